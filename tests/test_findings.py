"""Every finding code in the catalogue is produced by a concrete input, with file and line."""

from __future__ import annotations

import pytest

from migrator.core.findings import CATALOG
from migrator.core.planner import PlanOptions, build_plan
from migrator.sources.manifests.scan import scan
from tests.conftest import binding, deployment, identity

OK = identity() + "---\n" + binding()
SIDECAR = "metadata:\n  annotations:\n    wimigrate.io/mode: sidecar\n"


def sidecar_deployment(extra: str = "", name: str = "web") -> str:
    return deployment(name=name, extra=extra).replace(
        f"  name: {name}\n", f"  name: {name}\n  annotations:\n    wimigrate.io/mode: sidecar\n", 1
    )


CASES: dict[str, tuple[dict[str, str | bytes], dict]] = {
    "invalid-yaml": ({"bad.yaml": OK + "---\nkind: AzureIdentity\nspec: [unclosed\n"}, {}),
    "not-utf8": ({"latin.yaml": b"kind: AzureIdentity\nname: caf\xe9\n"}, {}),
    "empty-file": ({"empty.yaml": ""}, {}),
    "template-not-yaml": ({"t.yaml": "metadata:\n  labels:\n    aadpodidbinding: {{ .Values.sel }}\n"}, {}),
    "unresolved-variable": ({"v.yaml": OK + "---\n" + deployment(selector="$(AZ_IDENTITY_NAME)")}, {}),
    "duplicate-object": ({"a.yaml": OK, "b.yaml": identity()}, {}),
    "service-principal-identity": ({"sp.yaml": identity().replace("type: 0", "type: 1")}, {}),
    "invalid-identity-type": ({"t.yaml": identity().replace("type: 0", "type: 7")}, {}),
    "identity-not-found": ({"b.yaml": binding() + "---\n" + deployment()}, {}),
    "identity-missing-ids": ({"i.yaml": identity(client="<client-id>")}, {}),
    "multiple-identities-for-selector": (
        {
            "m.yaml": OK
            + "---\n"
            + identity("id2", n=2)
            + "---\n"
            + binding("id2", selector="id1")
            + "---\n"
            + deployment()
        },
        {},
    ),
    "fic-limit-exceeded": (
        {
            "many.yaml": OK
            + "".join("---\n" + deployment(name=f"w{i}", extra=f"serviceAccountName: sa{i}\n") for i in range(21))
        },
        {},
    ),
    "cross-namespace-binding": ({"x.yaml": OK + "---\n" + deployment(ns="other")}, {}),
    "unmatched-selector": ({"u.yaml": deployment(selector="nobody")}, {}),
    "unused-binding": ({"u.yaml": OK}, {}),
    "invalid-label-value": ({"l.yaml": OK + "---\n" + deployment(selector="'NAME OF the selector'")}, {}),
    "label-not-on-pods": (
        {
            "l.yaml": OK
            + "---\n"
            + deployment()
            .replace("        aadpodidbinding: id1\n", "")
            .replace("  namespace: apps\n", "  namespace: apps\n  labels: {aadpodidbinding: id1}\n", 1)
        },
        {},
    ),
    "label-in-custom-resource": (
        {
            "hr.yaml": "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: r}\n"
            "spec:\n  values:\n    podLabels:\n      aadpodidbinding: velero\n"
        },
        {},
    ),
    "selector-label-retained": (
        {
            "s.yaml": OK
            + "---\n"
            + deployment().replace(
                "      app: web\n  template", "      app: web\n      aadpodidbinding: id1\n  template"
            )
        },
        {},
    ),
    "already-migrated": (
        {
            "a.yaml": OK
            + "---\n"
            + deployment().replace(
                "        app: web\n", "        app: web\n        azure.workload.identity/use: 'true'\n"
            )
        },
        {},
    ),
    "partial-workload": (
        {
            "p.yaml": OK + "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: apps}\n"
            "spec:\n  template:\n    metadata:\n      labels: {aadpodidbinding: id1}\n"
        },
        {},
    ),
    "default-service-account": ({"d.yaml": OK + "---\n" + deployment()}, {}),
    "shared-service-account": (
        {
            "s.yaml": OK
            + "---\n"
            + identity("id2", n=2)
            + "---\n"
            + binding("id2")
            + "---\n"
            + deployment(extra="serviceAccountName: shared\n")
            + "---\n"
            + deployment(name="api", selector="id2", extra="serviceAccountName: shared\n")
        },
        {},
    ),
    "service-account-client-id-conflict": (
        {
            "c.yaml": OK
            + "---\n"
            + deployment(extra="serviceAccountName: sa\n")
            + "---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n  namespace: apps\n  annotations:\n"
            "    azure.workload.identity/client-id: 99999999-aaaa-bbbb-cccc-dddddddddddd\n"
        },
        {},
    ),
    "client-id-env-override": (
        {
            "e.yaml": OK
            + "---\n"
            + deployment().replace(
                "          image: nginx\n",
                "          image: nginx\n          env:\n            - {name: AZURE_CLIENT_ID, value: other}\n",
            )
        },
        {},
    ),
    "sidecar-unsupported-windows": (
        {"w.yaml": OK + "---\n" + sidecar_deployment("nodeSelector: {kubernetes.io/os: windows}\n")},
        {},
    ),
    "sidecar-unsupported-hostnetwork": ({"h.yaml": OK + "---\n" + sidecar_deployment("hostNetwork: true\n")}, {}),
    "sidecar-blocked-by-pod-security": (
        {
            "p.yaml": OK + "---\n" + sidecar_deployment() + "---\napiVersion: v1\nkind: Namespace\nmetadata:\n"
            "  name: apps\n  labels: {pod-security.kubernetes.io/enforce: baseline}\n"
        },
        {},
    ),
    "sidecar-job-never-completes": (
        {
            "j.yaml": OK + "---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: j, namespace: apps}\nspec:\n"
            "  template:\n    metadata:\n      labels: {aadpodidbinding: id1}\n    spec:\n"
            "      containers: [{name: c, image: i}]\n"
        },
        {"mode": "sidecar"},
    ),
    "flexvolume-keyvault": (
        {
            "f.yaml": OK
            + "---\n"
            + deployment(
                extra="volumes:\n- name: kv\n  flexVolume:\n    driver: azure/kv\n"
                "    options: {usepodidentity: 'true'}\n"
            )
        },
        {},
    ),
    "secret-provider-class-unowned": (
        {
            "s.yaml": "apiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\n"
            "metadata: {name: kv, namespace: apps}\nspec:\n  parameters: {usePodIdentity: 'true'}\n"
        },
        {},
    ),
    "invalid-issuer": ({"d.yaml": OK}, {"issuer": "http://example.com/"}),
    "issuer-without-trailing-slash": ({"d.yaml": OK}, {"issuer": "https://oidc.example.com/tenant/cluster"}),
    "symlink-outside-root": ({}, {}),  # built in the test: needs a link
    "file-too-large": ({}, {}),  # built in the test: needs a size limit
    "unreadable-file": ({}, {}),  # built in the test: a dangling link inside the tree
}


MIGRATED = deployment(extra="serviceAccountName: web\n").replace(
    "aadpodidbinding: id1\n", 'aadpodidbinding: id1\n        azure.workload.identity/use: "true"\n'
)
SA = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n  namespace: apps\n"
POD = (
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: apps\n"
    "  labels:\n    aadpodidbinding: id1\nspec:\n  containers: []\n"
)
SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: apps
spec:
  selector:
    aadpodidbinding: id1
  ports:
    - port: 80
"""
# code -> (files, phase, --workload patterns): findings of `rewrite`, not of `plan`
REWRITE_CASES: dict[str, tuple[dict[str, str], str, tuple[str, ...]]] = {
    "service-account-not-in-tree": (
        {"a.yaml": OK + "---\n" + deployment(extra="serviceAccountName: web\n")},
        "migrate",
        (),
    ),
    "not-migrated": ({"a.yaml": OK + "---\n" + deployment()}, "cleanup", ()),
    "recreate-needed": ({"a.yaml": OK + "---\n" + POD}, "migrate", ()),
    "label-used-by-selector": ({"a.yaml": OK + "---\n" + MIGRATED + "---\n" + SERVICE, "sa.yaml": SA}, "cleanup", ()),
    "workload-filter-unmatched": ({"a.yaml": OK + "---\n" + deployment()}, "migrate", ("apps/Deployment/nope",)),
}


def test_every_catalogued_code_has_a_case():
    from tests.live.test_cluster_discovery import LIVE_CASES  # checked against the lab there
    from tests.test_drift import DRIFT_CASES  # drift codes: checked with both places in test_drift
    from tests.test_prerequisites import PREREQUISITE_CASES  # checked in test_prerequisites

    assert set(CASES) | set(REWRITE_CASES) | set(DRIFT_CASES) | set(PREREQUISITE_CASES) | set(LIVE_CASES) == set(
        CATALOG
    )
    assert not set(CASES) & set(REWRITE_CASES)


@pytest.mark.parametrize("code", sorted(REWRITE_CASES))
def test_rewrite_code_is_reported(code, rewrite_of):
    files, phase, workloads = REWRITE_CASES[code]
    result = rewrite_of(files, phase, workloads)
    found = [f for f in result.findings if f.code == code]
    assert found, f"{code} not reported; got {[f.code for f in result.findings]}"
    assert found[0].severity == CATALOG[code].severity
    assert CATALOG[code].fix in found[0].message
    assert found[0].source or found[0].object or code == "workload-filter-unmatched"


@pytest.mark.parametrize("code", sorted(CASES))
def test_code_is_reported_with_its_location(code, tree, tmp_path):
    files, options = CASES[code]
    root = tree(files) if files else tmp_path
    kwargs = {}
    if code == "symlink-outside-root":
        outside = tmp_path.parent / f"{tmp_path.name}-outside.yaml"
        outside.write_text(OK)
        (root / "link.yaml").symlink_to(outside)
    if code == "unreadable-file":
        (root / "dangling.yaml").symlink_to(root / "gone.yaml")
    if code == "file-too-large":
        (root / "big.yaml").write_text(OK + "#" * 200)
        kwargs["max_file_size"] = 100
    plan = build_plan(scan([str(root)], **kwargs), PlanOptions(**options))
    found = [f for f in plan.findings if f.code == code]
    assert found, f"{code} not reported; got {[f.code for f in plan.findings]}"
    finding = found[0]
    assert finding.severity == CATALOG[code].severity or code == "multiple-identities-for-selector"
    assert CATALOG[code].fix in finding.message or code == "secret-provider-class-unowned"
    if files or code in ("symlink-outside-root", "file-too-large", "unreadable-file"):
        assert finding.source or finding.object, finding


def test_invalid_yaml_names_file_and_line_and_the_run_goes_on(discover):
    inv, findings = discover({"bad.yaml": OK + "---\nkind: AzureIdentity\nspec: [unclosed\n", "good.yaml": OK})
    bad = [f for f in findings if f.code == "invalid-yaml"]
    assert bad and bad[0].source.endswith("bad.yaml:22")  # where libyaml gave up: the end of the file
    assert "while parsing a flow sequence at line 21" in bad[0].message
    assert len(inv.identities) == 2  # the valid documents of both files were still read


def test_non_utf8_names_the_line(discover):
    _, findings = discover({"latin.yaml": b"a: 1\nkind: AzureIdentity\nname: caf\xe9\n"})
    assert [f.source.rsplit("/", 1)[-1] for f in findings if f.code == "not-utf8"] == ["latin.yaml:3"]


def test_selector_resolved_with_identity_for_becomes_info(plan_of):
    files, _ = CASES["multiple-identities-for-selector"]
    plan = plan_of(files, identity_for={"apps/id1": "id2"})
    found = [f for f in plan.findings if f.code == "multiple-identities-for-selector"]
    assert [f.severity for f in found] == ["info"]
    assert plan.serviceAccounts[0].clientID == "00000002-aaaa-bbbb-cccc-dddddddddddd"
    assert len(plan.federatedCredentials) == 2


def test_secrets_are_never_in_the_output(discover):
    secret = "c3VwZXItc2VjcmV0LXZhbHVl"
    text = identity().replace("type: 0", "type: 1\n  clientPassword: {name: sp-secret, namespace: apps}") + (
        f"---\napiVersion: v1\nkind: Secret\nmetadata: {{name: sp-secret, namespace: apps}}\ndata:\n"
        f"  clientSecret: {secret}\n"
    )
    inv, findings = discover({"sp.yaml": text})
    assert secret not in repr(inv.to_dict()) + repr([f.to_dict() for f in findings])

"""Drift between manifests and the live cluster: pure, both inventories recognised from YAML text.

The manifest side goes through the manifest reader (documents with lines) and ``recognise``, as ``scan``
does; the live side through ``recognise`` on line-less documents of every workload, as a cluster source
reads objects from the API.
"""

from __future__ import annotations

import copy

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.core.document import Document
from migrator.core.drift import drift_findings
from migrator.core.findings import CATALOG
from migrator.core.model import Finding, Inventory
from migrator.core.recognise import recognise
from migrator.sources.manifests.reader import parse_file
from tests.conftest import binding, client_id, deployment, identity

OK = identity() + "---\n" + binding()
WEB = OK + "---\n" + deployment()
AKS = "    kubernetes.azure.com/managedby: aks\n"


def manifests(files: dict[str, str]) -> Inventory:
    """Each file read as the manifest source reads it (every document, with its lines)."""
    inventory = Inventory()
    for path, content in files.items():
        for doc in parse_file(path, content.encode(), force=True).documents:
            inventory.extend(recognise(doc))
    return inventory


def live(content: str) -> Inventory:
    """Objects as the API server returns them: no file, no line, every workload recognised."""
    inventory = Inventory()
    for obj in yaml.safe_load_all(content):
        if not obj:
            continue
        meta = obj.get("metadata") or {}
        ref = f"{meta.get('namespace', 'default')}/{obj['kind']}/{meta.get('name')}"
        inventory.extend(recognise(Document(f"cluster:{ref}", None, obj), all_workloads=True))  # type: ignore[arg-type]
    return inventory


def drift(files: dict[str, str] | str, cluster: str) -> list[Finding]:
    return drift_findings(manifests({"deploy/app.yaml": files} if isinstance(files, str) else files), live(cluster))


def only(findings: list[Finding], code: str) -> Finding:
    assert [f.code for f in findings] == [code], [f.to_dict() for f in findings]
    return findings[0]


def labelled(workload: str, *labels: str) -> str:
    return workload.replace("        aadpodidbinding: id1\n", "".join(f"        {x}\n" for x in labels))


def with_label(text: str, label: str) -> str:
    """An AzureIdentity/Binding with a metadata label."""
    return text.replace("  namespace: apps\n", f"  namespace: apps\n  labels:\n{label}", 1)


def sidecar(workload: str, port: str = "8000") -> str:
    """The pod template annotated for the proxy sidecar."""
    annotations = (
        "        azure.workload.identity/inject-proxy-sidecar: 'true'\n"
        f"        azure.workload.identity/proxy-sidecar-port: '{port}'\n"
    )
    return workload.replace(
        "    metadata:\n      labels:\n", f"    metadata:\n      annotations:\n{annotations}      labels:\n", 1
    )


# code -> (manifest text, live text): the smallest drift that reports it.
DRIFT_CASES: dict[str, tuple[str, str]] = {
    "drift-undeclared-workload": (WEB, WEB + "---\n" + deployment(name="manual")),
    "drift-missing-workload": (WEB, OK),
    "drift-workload-changed": (WEB, OK + "---\n" + deployment(selector="id2")),
    "drift-undeclared-identity": (WEB, WEB + "---\n" + identity("id2", n=2)),
    "drift-missing-identity": (WEB, binding() + "---\n" + deployment()),
    "drift-identity-changed": (WEB, identity(client=client_id(9)) + "---\n" + binding() + "---\n" + deployment()),
    "drift-undeclared-binding": (WEB, WEB + "---\n" + binding("id2")),
    "drift-missing-binding": (WEB, identity() + "---\n" + deployment()),
    "drift-binding-changed": (WEB, identity() + "---\n" + binding(selector="other") + "---\n" + deployment()),
    "drift-namespace-not-in-manifests": (WEB, WEB + "---\n" + deployment(ns="elsewhere")),
}


def test_every_drift_code_is_catalogued_and_has_a_case():
    assert set(DRIFT_CASES) == {code for code in CATALOG if code.startswith("drift-")}


def test_each_drift_code_is_reported_with_both_places():
    for code, (declared, cluster) in DRIFT_CASES.items():
        finding = only(drift(declared, cluster), code)
        assert finding.severity == CATALOG[code].severity, code
        assert CATALOG[code].fix in finding.message, code
        assert finding.source and finding.object, code
        if code.endswith("-changed"):
            assert finding.source.startswith("deploy/app.yaml:"), finding
            assert "cluster:" in finding.message and "Git -> live" in finding.message, finding
        elif code.startswith("drift-missing-"):
            assert finding.source.startswith("deploy/app.yaml:") and finding.source in finding.message, finding
        else:
            assert finding.source.startswith("cluster:") and ":" not in finding.source[len("cluster:") :], finding


def test_identical_manifests_and_cluster_have_no_drift():
    text = (
        WEB
        + "---\n"
        + sidecar(labelled(deployment(name="api"), "aadpodidbinding: id1", "azure.workload.identity/use: 'true'"))
    )
    assert drift(text, text) == []
    assert drift_findings(manifests({"a.yaml": text}), manifests({"b.yaml": text})) == []
    assert drift_findings(Inventory(), Inventory()) == []


def test_undeclared_workload_names_the_live_object_and_what_it_runs():
    finding = only(
        drift(WEB, WEB + "---\n" + deployment(name="manual", extra="serviceAccountName: ops\n")),
        "drift-undeclared-workload",
    )
    assert finding.source == "cluster:apps/Deployment/manual" and finding.object == "apps/Deployment/manual"
    assert "aadpodidbinding='id1'" in finding.message and "serviceAccountName 'ops'" in finding.message


def test_live_workloads_without_pod_identity_or_made_by_a_controller_are_not_reported():
    plain = labelled(deployment(name="nginx"))
    replica_set = (
        deployment(name="web-5d8f")
        .replace("kind: Deployment", "kind: ReplicaSet")
        .replace("  namespace: apps\n", "  namespace: apps\n  labels: {pod-template-hash: 5d8f}\n", 1)
    )
    job_pod = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: job-x7\n  namespace: apps\n"
        "  labels: {aadpodidbinding: id1, job-name: job}\nspec:\n  containers: [{name: c, image: i}]\n"
    )
    cron_job = (
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: nightly-2900\n  namespace: apps\n"
        "  annotations: {batch.kubernetes.io/cronjob-scheduled-timestamp: '2024-01-01T00:00:00Z'}\nspec:\n"
        "  template:\n    metadata:\n      labels: {aadpodidbinding: id1}\n"
        "    spec:\n      containers: [{name: c, image: i}]\n"
    )
    assert drift(WEB, "---\n".join((WEB, plain, replica_set, job_pod, cron_job))) == []


def test_missing_workload_names_the_manifest_line():
    finding = only(drift({"deploy/web.yaml": deployment(), "deploy/ids.yaml": OK}, OK), "drift-missing-workload")
    assert finding.source == "deploy/web.yaml:1" and finding.object == "apps/Deployment/web"
    assert "is declared at deploy/web.yaml:1 but is not in the cluster" in finding.message


def test_changed_workload_lists_every_difference_git_to_live():
    declared = WEB
    cluster = (
        OK
        + "---\n"
        + sidecar(
            labelled(
                deployment(extra="serviceAccountName: web\n"),
                "aadpodidbinding: id2",
                "azure.workload.identity/use: 'true'",
            ),
            port="9000",
        )
    )
    finding = only(drift(declared, cluster), "drift-workload-changed")
    assert finding.source == "deploy/app.yaml:33"  # the aadpodidbinding label's line
    assert "(cluster:apps/Deployment/web)" in finding.message
    for change in (
        "label aadpodidbinding 'id1' -> 'id2'",
        "label azure.workload.identity/use (unset) -> 'true'",
        "serviceAccountName 'default' -> 'web'",
        "annotation azure.workload.identity/inject-proxy-sidecar (unset) -> 'true'",
        "annotation azure.workload.identity/proxy-sidecar-port (unset) -> '9000'",
    ):
        assert change in finding.message, finding.message


def test_changed_workload_without_a_label_change_points_at_the_object():
    finding = only(drift(WEB, OK + "---\n" + deployment(extra="serviceAccountName: other\n")), "drift-workload-changed")
    assert finding.source == "deploy/app.yaml:20"  # the Deployment's first line
    assert finding.message.split("Git -> live: ")[1].count(" -> ") == 1


def test_label_removed_by_hand_is_a_change_not_a_missing_workload():
    finding = only(drift(WEB, OK + "---\n" + labelled(deployment())), "drift-workload-changed")
    assert "label aadpodidbinding 'id1' -> (unset)" in finding.message


def test_default_service_account_equals_unset():
    assert drift(WEB, OK + "---\n" + deployment(extra="serviceAccountName: default\n")) == []
    assert drift(OK + "---\n" + deployment(extra="serviceAccountName: default\n"), WEB) == []
    assert (
        drift(
            OK + "---\n" + deployment(extra="serviceAccount: web\n"),
            OK + "---\n" + deployment(extra="serviceAccountName: web\n"),
        )
        == []
    )


def test_identity_ids_compare_case_insensitively():
    upper = (
        identity()
        .replace("resourcegroups/rg", "resourceGroups/RG")
        .replace("Microsoft.ManagedIdentity/userAssignedIdentities", "microsoft.managedidentity/USERASSIGNEDIDENTITIES")
    )
    upper = upper.replace(client_id(1), client_id(1).upper())
    assert upper != identity()
    assert drift(WEB, upper + "---\n" + binding() + "---\n" + deployment()) == []


def test_identity_changes_name_each_field():
    other_rg = identity().replace("resourcegroups/rg/", "resourcegroups/rg2/").replace("type: 0", "type: 1")
    finding = only(drift(WEB, other_rg + "---\n" + binding() + "---\n" + deployment()), "drift-identity-changed")
    assert finding.object == "apps/AzureIdentity/id1" and finding.source == "deploy/app.yaml:1"
    assert "type 0 -> 1" in finding.message and "resourceID '/subscriptions/" in finding.message
    assert "clientID" not in finding.message


def test_binding_changes_name_identity_and_selector():
    changed = binding().replace("azureIdentity: id1", "azureIdentity: id2").replace("selector: id1", "selector: x")
    finding = only(drift(WEB, identity() + "---\n" + changed + "---\n" + deployment()), "drift-binding-changed")
    assert "azureIdentity 'id1' -> 'id2'" in finding.message and "selector 'id1' -> 'x'" in finding.message
    assert finding.object == "apps/AzureIdentityBinding/id1-binding"


def test_aks_managed_identities_and_bindings_exist_only_live_by_design():
    addon = with_label(identity("pod-id-addon", n=5), AKS) + "---\n" + with_label(binding("pod-id-addon"), AKS)
    assert drift(WEB, WEB + "---\n" + addon) == []
    assert drift(WEB, WEB + "---\n" + addon.replace("namespace: apps", "namespace: team-b")) == []


def test_aks_managed_declared_in_git_but_gone_live_is_compared_like_any_other():
    addon = with_label(identity("pod-id-addon", n=5), AKS)
    assert [f.code for f in drift(WEB + "---\n" + addon, WEB)] == ["drift-missing-identity"]


def test_live_objects_outside_the_manifests_namespaces_are_summarised_per_namespace():
    others = "---\n".join(
        [identity("id9", ns="team-b", n=9), binding("id9", ns="team-b")]
        + [deployment(name=f"w{i}", ns="team-b", selector="id9") for i in range(5)]
        + [deployment(name="x", ns="team-c")]
    )
    findings = drift(WEB, WEB + "---\n" + others)
    assert [(f.code, f.severity, f.object) for f in findings] == [
        ("drift-namespace-not-in-manifests", "info", "team-b"),
        ("drift-namespace-not-in-manifests", "info", "team-c"),
    ]
    assert "has 7 object(s) using pod identity" in findings[0].message and "and 2 more" in findings[0].message
    assert findings[0].source == "cluster:team-b/AzureIdentity/id9"
    assert "team-c/Deployment/x" in findings[1].message


def test_a_namespace_declared_only_by_a_namespace_or_service_account_counts_as_covered():
    namespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-b\n"
    finding = only(
        drift(WEB + "---\n" + namespace, WEB + "---\n" + deployment(ns="team-b")), "drift-undeclared-workload"
    )
    assert finding.object == "team-b/Deployment/web"


def test_placeholders_and_partial_patches_compare_only_what_git_says():
    templated = OK + "---\n" + deployment(selector="$(SELECTOR)")
    assert drift(templated, WEB) == []
    patch = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: apps}\nspec:\n"
        "  template:\n    metadata:\n      labels: {aadpodidbinding: id1}\n"
    )
    live_web = OK + "---\n" + sidecar(deployment(extra="serviceAccountName: web\n"))
    assert drift(OK + "---\n" + patch, live_web) == []
    finding = only(drift(OK + "---\n" + patch.replace("id1}", "id2}"), live_web), "drift-workload-changed")
    assert "label aadpodidbinding 'id2' -> 'id1'" in finding.message and "serviceAccountName" not in finding.message


def test_a_whole_declaration_wins_over_a_patch_of_the_same_workload():
    patch = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: apps}\nspec:\n"
        "  template:\n    metadata:\n      labels: {aadpodidbinding: id1}\n"
    )
    finding = only(
        drift(WEB + "---\n" + patch, OK + "---\n" + deployment(extra="serviceAccountName: x\n")),
        "drift-workload-changed",
    )
    assert "serviceAccountName 'default' -> 'x'" in finding.message


# -- properties --------------------------------------------------------------------------------------------

NAMES = st.sampled_from(["a", "b", "web", "id1", "id-2"])
NAMESPACES = st.sampled_from(["apps", "team-b", "default"])
KINDS = st.sampled_from(["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"])
API = {"Deployment": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1", "Job": "batch/v1"}


@st.composite
def identity_objects(draw) -> dict:
    name = draw(NAMES)
    rid = f"/subscriptions/s/resourceGroups/{draw(st.sampled_from(['rg', 'RG']))}/providers/"
    rid += f"Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
    meta: dict = {"name": name, "namespace": draw(NAMESPACES)}
    if draw(st.booleans()):
        meta["labels"] = {"kubernetes.azure.com/managedby": "aks"}
    spec = {"type": draw(st.sampled_from([0, 1, "0"])), "clientID": client_id(draw(st.integers(0, 3)))}
    if draw(st.booleans()):
        spec["resourceID"] = rid
    return {"apiVersion": "aadpodidentity.k8s.io/v1", "kind": "AzureIdentity", "metadata": meta, "spec": spec}


@st.composite
def binding_objects(draw) -> dict:
    meta = {"name": draw(NAMES) + "-binding", "namespace": draw(NAMESPACES)}
    spec = {"azureIdentity": draw(NAMES), "selector": draw(NAMES)}
    return {"apiVersion": "aadpodidentity.k8s.io/v1", "kind": "AzureIdentityBinding", "metadata": meta, "spec": spec}


@st.composite
def workload_objects(draw) -> dict:
    kind = draw(KINDS)
    labels = {"app": "x"}
    if draw(st.booleans()):
        labels["aadpodidbinding"] = draw(NAMES)
    if draw(st.booleans()):
        labels["azure.workload.identity/use"] = "true"
    annotations = draw(
        st.sampled_from(
            [
                {},
                {"azure.workload.identity/inject-proxy-sidecar": "true"},
                {"azure.workload.identity/proxy-sidecar-port": "8000"},
            ]
        )
    )
    pod_spec: dict = {"containers": [{"name": "c", "image": "i"}]}
    service_account = draw(st.sampled_from([None, "default", "web"]))
    if service_account:
        pod_spec["serviceAccountName"] = service_account
    template = {"metadata": {"labels": labels, "annotations": annotations}, "spec": pod_spec}
    meta = {"name": draw(NAMES), "namespace": draw(NAMESPACES)}
    if kind == "Pod":
        return {"apiVersion": "v1", "kind": kind, "metadata": {**meta, **template["metadata"]}, "spec": pod_spec}
    if kind == "CronJob":
        spec: dict = {"schedule": "@daily", "jobTemplate": {"spec": {"template": template}}}
        return {"apiVersion": "batch/v1", "kind": kind, "metadata": meta, "spec": spec}
    return {"apiVersion": API[kind], "kind": kind, "metadata": meta, "spec": {"template": template}}


OBJECTS = st.lists(
    st.one_of(identity_objects(), binding_objects(), workload_objects()),
    max_size=12,
    unique_by=lambda o: (o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]),
)


@settings(max_examples=60, deadline=None)
@given(OBJECTS)
def test_an_inventory_never_drifts_from_itself(objects):
    text = yaml.safe_dump_all(objects, sort_keys=False) if objects else ""
    inventory = manifests({"deploy/all.yaml": text})
    assert drift_findings(inventory, inventory) == []
    cluster = live(text)
    assert drift_findings(cluster, cluster) == []


@settings(max_examples=60, deadline=None)
@given(OBJECTS)
def test_the_same_objects_in_git_and_live_do_not_drift(objects):
    text = yaml.safe_dump_all(objects, sort_keys=False) if objects else ""
    assert drift(text, text) == []


@settings(max_examples=60, deadline=None)
@given(OBJECTS, st.data())
def test_a_service_account_changed_live_is_the_only_drift(objects, data):
    users = [o for o in objects if o["kind"] not in ("AzureIdentity", "AzureIdentityBinding") and _uses_label(o)]
    if not users:
        return
    changed = data.draw(st.sampled_from(users))
    cluster = copy.deepcopy(objects)
    _pod_spec(cluster[objects.index(changed)])["serviceAccountName"] = "changed-by-hand"
    findings = drift(yaml.safe_dump_all(objects), yaml.safe_dump_all(cluster))
    meta = changed["metadata"]
    assert [(f.code, f.object) for f in findings] == [
        ("drift-workload-changed", f"{meta['namespace']}/{changed['kind']}/{meta['name']}")
    ]
    assert "-> 'changed-by-hand'" in findings[0].message


def _pod_template(obj: dict) -> dict:
    if obj["kind"] == "Pod":
        return obj
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]
    return obj["spec"]["template"]


def _pod_spec(obj: dict) -> dict:
    return _pod_template(obj)["spec"]


def _uses_label(obj: dict) -> bool:
    return "aadpodidbinding" in _pod_template(obj)["metadata"]["labels"]

"""Each recognised kind and field form, read from files as a user would have them."""

from __future__ import annotations

from tests.conftest import binding, client_id, codes, deployment, identity  # noqa: F401

LEGACY_IDENTITY = """\
apiVersion: aadpodidentity.k8s.io/v1
kind: AzureIdentity
metadata: {name: old, namespace: apps}
spec:
  type: "0"
  ResourceID: /subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/old
  ClientId: 00000009-aaaa-bbbb-cccc-dddddddddddd
---
apiVersion: aadpodidentity.k8s.io/v1
kind: AzureIdentityBinding
metadata: {name: old-binding, namespace: apps}
spec:
  AzureIdentity: old
  Selector: old-sel
"""


def test_identity_binding_and_workload_match(discover):
    inv, findings = discover({"a.yaml": identity() + "---\n" + binding() + "---\n" + deployment()})
    assert [(i.name, i.type, i.client_id) for i in inv.identities] == [("id1", 0, client_id(1))]
    assert [(b.name, b.identity, b.selector) for b in inv.bindings] == [("id1-binding", "id1", "id1")]
    assert [(w.kind, w.name, w.binding_label) for w in inv.workloads] == [("Deployment", "web", "id1")]
    assert codes(findings) == []


def test_legacy_capitalised_fields_and_quoted_type(discover):
    inv, findings = discover({"legacy.yaml": LEGACY_IDENTITY + "---\n" + deployment(selector="old-sel")})
    ident = inv.identities[0]
    assert (ident.type, ident.client_id, ident.legacy_fields) == (0, "00000009-aaaa-bbbb-cccc-dddddddddddd", True)
    assert (inv.bindings[0].identity, inv.bindings[0].selector) == ("old", "old-sel")
    assert codes(findings) == []


def test_identity_types_one_and_two_are_service_principals(discover):
    text = identity().replace("type: 0", "type: 1") + "---\n" + identity("sp2", n=2).replace("type: 0", "type: 2")
    inv, findings = discover({"sp.yaml": text})
    assert [i.type_name for i in inv.identities] == ["ServicePrincipal", "ServicePrincipalCertificate"]
    assert codes(findings).count("service-principal-identity") == 2


def test_every_workload_kind_is_recognised(discover):
    pod_spec = "spec:\n{indent}containers: [{{name: c, image: i}}]\n"
    labels = "metadata:\n{indent}labels: {{aadpodidbinding: id1}}\n"

    def template(indent: str) -> str:
        return indent + labels.format(indent=indent + "  ") + indent + pod_spec.format(indent=indent + "  ")

    docs = [
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {aadpodidbinding: id1}}\n"
        + pod_spec.format(indent="  "),
    ]
    for kind, api in [
        ("Deployment", "apps/v1"),
        ("StatefulSet", "apps/v1"),
        ("DaemonSet", "apps/v1"),
        ("ReplicaSet", "apps/v1"),
        ("ReplicationController", "v1"),
        ("Job", "batch/v1"),
    ]:
        docs.append(
            f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: {kind.lower()}}}\nspec:\n  template:\n"
            + template("    ")
        )
    for api in ("batch/v1", "batch/v1beta1"):
        docs.append(
            f"apiVersion: {api}\nkind: CronJob\nmetadata: {{name: cj-{api[-2:]}}}\nspec:\n  jobTemplate:\n"
            "    spec:\n      template:\n" + template("        ")
        )
    inv, _ = discover({"all.yaml": "---\n".join(docs)})
    kinds = sorted(w.kind for w in inv.workloads)
    assert kinds == sorted(
        [
            "Pod",
            "Deployment",
            "StatefulSet",
            "DaemonSet",
            "ReplicaSet",
            "ReplicationController",
            "Job",
            "CronJob",
            "CronJob",
        ]
    )
    assert all(w.binding_label == "id1" and not w.partial for w in inv.workloads)


def test_kind_list_items_and_json_files(discover):
    listed = "apiVersion: v1\nkind: List\nitems:\n" + "".join(
        "- " + doc.replace("\n", "\n  ").rstrip() + "\n" for doc in (identity(), binding())
    )
    json_doc = (
        '{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "j", "namespace": "apps"},'
        ' "spec": {"template": {"metadata": {"labels": {"aadpodidbinding": "id1"}},'
        ' "spec": {"containers": [{"name": "c", "image": "i"}]}}}}'
    )
    inv, findings = discover({"list.yaml": listed, "d.json": json_doc})
    assert [i.name for i in inv.identities] == ["id1"]
    assert [w.name for w in inv.workloads] == ["j"]
    assert codes(findings) == []


def test_exception_service_account_namespace_and_spc(discover):
    text = """\
apiVersion: aadpodidentity.k8s.io/v1
kind: AzurePodIdentityException
metadata: {name: ex, namespace: kube-system}
spec:
  PodLabels: {app: mic}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa1
  namespace: apps
  annotations: {team: a}
---
apiVersion: v1
kind: Namespace
metadata:
  name: apps
  labels: {pod-security.kubernetes.io/enforce: restricted}
---
apiVersion: secrets-store.csi.x-k8s.io/v1
kind: SecretProviderClass
metadata: {name: kv, namespace: apps}
spec:
  provider: azure
  parameters:
    usePodIdentity: "true"
    keyvaultName: vault
"""
    unrelated = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: zzz, namespace: elsewhere}\n"
    app = identity() + "---\n" + binding() + "---\n" + deployment(extra="serviceAccountName: sa1\n")
    inv, _ = discover({"misc.yaml": text, "app.yaml": app, "other.yaml": unrelated})
    assert inv.exceptions[0].pod_labels == {"app": "mic"}
    assert [(s.name, s.annotations) for s in inv.service_accounts] == [("sa1", {"team": "a"})]
    assert [(n.name, n.pod_security_enforce) for n in inv.namespaces] == [("apps", "restricted")]
    assert [(s.name, s.use_pod_identity, s.keyvault_name) for s in inv.secret_provider_classes] == [
        ("kv", True, "vault")
    ]


def test_namespaced_behaviour_annotation_and_aks_label(discover):
    text = identity().replace(
        "  namespace: apps\n", "  namespace: apps\n  annotations: {aadpodidentity.k8s.io/Behavior: namespaced}\n"
    )
    inv, _ = discover({"i.yaml": text})
    assert inv.identities[0].namespaced is True


def test_lines_point_at_the_label(discover):
    inv, _ = discover({"d.yaml": "# header\n" + deployment()})
    assert str(inv.workloads[0].label_source).endswith("d.yaml:15")


def test_kustomize_namespace_and_patch_fold_into_base(discover):
    files = {
        "base/kustomization.yaml": "resources: [deploy.yaml, id.yaml]\n",
        "base/deploy.yaml": deployment(ns="ignored")
        .replace("        aadpodidbinding: id1\n", "")
        .replace("    spec:\n", "    spec:\n      serviceAccountName: web-sa\n"),
        "base/id.yaml": identity(ns="x") + "---\n" + binding(ns="x"),
        "prod/kustomization.yaml": "namespace: prod\nresources: [../base]\npatchesStrategicMerge: [patch.yaml]\n",
        "prod/patch.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n"
        "    metadata:\n      labels: {aadpodidbinding: id1}\n",
    }
    inv, findings = discover(files)
    assert [(w.namespace, w.name, w.service_account, w.partial) for w in inv.workloads] == [
        ("prod", "web", "web-sa", False)
    ]
    assert {i.namespace for i in inv.identities} == {"prod"}
    assert codes(findings) == []

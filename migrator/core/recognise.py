"""Recognise pod-identity objects in parsed documents (pure: no I/O).

One function per kind; each returns inventory objects and findings about what
it read. Matching documents to each other happens later, in ``matching``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from migrator.core import findings as F
from migrator.core.document import Document
from migrator.core.fields import ci_item, dig, is_placeholder, mapping, text, truthy
from migrator.core.model import (
    Binding,
    Container,
    Identity,
    Inventory,
    Namespace,
    PodIdentityException,
    SecretProviderClass,
    ServiceAccount,
    Source,
    Workload,
)
from migrator.core.ownership import manager_of

POD_IDENTITY_GROUP = "aadpodidentity.k8s.io"
SPC_GROUP = "secrets-store.csi.x-k8s.io"
WORKLOAD_GROUPS = {"", "v1", "apps", "extensions", "batch"}
SELECTING_KINDS = {"Service", "NetworkPolicy", "PodDisruptionBudget"}
AKS_MANAGED_LABEL = "kubernetes.azure.com/managedby"
NAMESPACED_ANNOTATION = "aadpodidentity.k8s.io/Behavior"
BINDING_LABEL = "aadpodidbinding"
WI_USE_LABEL = "azure.workload.identity/use"

# Where the pod template lives, per kind.
TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": (),
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}


def group_of(api_version: Any) -> str:
    value = text(api_version) or ""
    return value.split("/")[0] if "/" in value else ""


def recognise(
    doc: Document,
    default_namespace: str = "default",
    namespace_override: str | None = None,
    *,
    patch: bool = False,
    all_workloads: bool = False,
) -> Inventory:
    """Everything ``doc`` contributes to the inventory.

    ``namespace_override`` is what a kustomization's ``namespace:`` imposes on
    the file: it wins over the object's own namespace, as in ``kustomize build``.
    """
    inventory = Inventory()
    _recognise_object(doc, doc.data, default_namespace, namespace_override, inventory, all_workloads)
    if patch:
        for item in (*inventory.identities, *inventory.bindings):
            item.patch = True
        for workload in inventory.workloads:
            workload.partial = True
    return inventory


def iter_objects(data: Any, at: tuple = ()) -> Iterator[tuple[tuple, dict]]:
    """Each object in a document with its path there: the document itself, or the items of a List."""
    if not isinstance(data, dict):
        return
    kind = (text(data.get("kind")) or "").strip()
    if kind == "List" or (kind.endswith("List") and isinstance(data.get("items"), list)):
        for i, item in enumerate(data.get("items") or []):
            yield from iter_objects(item, at + ("items", i))
        return
    yield at, data


@dataclass(frozen=True)
class ObjectRef:
    kind: str
    group: str
    name: str
    namespace: str


def object_ref(obj: dict, default_ns: str, override: str | None) -> ObjectRef:
    """Kind, API group, name and effective namespace, as ``kustomize build`` would set it."""
    kind = (text(obj.get("kind")) or "").strip()
    meta = mapping(obj.get("metadata"))
    name = text(meta.get("name")) or "<unnamed>"
    namespace = (override if kind != "Namespace" else None) or text(meta.get("namespace")) or default_ns
    return ObjectRef(kind, group_of(obj.get("apiVersion")), name, namespace)


def _recognise_object(
    doc: Document, data: Any, default_ns: str, override: str | None, inv: Inventory, all_workloads: bool
) -> None:
    for at, obj in iter_objects(data):
        ref = object_ref(obj, default_ns, override)
        _recognise_one(doc, obj, at, ref, inv, all_workloads)


def _recognise_one(doc: Document, obj: dict, at: tuple, ref: ObjectRef, inv: Inventory, all_workloads: bool) -> None:
    kind, group, name, namespace = ref.kind, ref.group, ref.name, ref.namespace
    meta = mapping(obj.get("metadata"))
    src = Source(doc.path, doc.line_of(*at) if at else doc.line)
    if group == POD_IDENTITY_GROUP:
        if kind == "AzureIdentity":
            _identity(doc, obj, at, name, namespace, src, inv)
        elif kind == "AzureIdentityBinding":
            _binding(doc, obj, at, name, namespace, src, inv)
        elif kind == "AzurePodIdentityException":
            spec = mapping(obj.get("spec"))
            _, labels = ci_item(spec, "podLabels")
            labels = {str(k): text(v) or "" for k, v in mapping(labels).items()}
            inv.exceptions.append(PodIdentityException(name, namespace, labels, src))
        return
    if kind in TEMPLATE_PATHS and group in WORKLOAD_GROUPS:
        _workload(doc, obj, at, kind, name, namespace, src, inv, all_workloads)
        return
    if kind == "ServiceAccount" and group == "":
        inv.service_accounts.append(ServiceAccount(name, namespace, dict(mapping(meta.get("annotations"))), src))
        return
    if kind == "Namespace" and group == "":
        enforce = text(mapping(meta.get("labels")).get("pod-security.kubernetes.io/enforce"))
        inv.namespaces.append(Namespace(name, enforce, src))
        return
    if kind == "SecretProviderClass" and group == SPC_GROUP:
        _secret_provider_class(obj, name, namespace, src, inv)
        return
    if kind in SELECTING_KINDS:
        return  # selectors on the label are the rewrite phase's concern
    _label_elsewhere(doc, obj, at, kind or None, name, namespace, inv)


def _identity(doc: Document, obj: dict, at: tuple, name: str, namespace: str, src: Source, inv: Inventory) -> None:
    spec = mapping(obj.get("spec"))
    meta = mapping(obj.get("metadata"))
    legacy = False
    values: dict[str, Any] = {}
    for field_name in ("type", "clientID", "resourceID", "tenantID"):
        key, value = ci_item(spec, field_name)
        values[field_name] = value
        legacy = legacy or (key is not None and key != field_name)
    raw_type = values["type"]
    id_type: int | None
    if raw_type is None:
        id_type = 0  # Go's zero value: a user-assigned identity
    elif isinstance(raw_type, int) and not isinstance(raw_type, bool):
        id_type = raw_type
    elif isinstance(raw_type, str) and raw_type.strip().isdigit():
        id_type = int(raw_type.strip())
    else:
        id_type = None
    ref = f"{namespace}/AzureIdentity/{name}"
    if id_type not in (0, 1, 2):
        inv.findings.append(
            F.make(
                "invalid-identity-type",
                f"AzureIdentity {namespace}/{name} has type {raw_type!r}",
                doc.source(*at, "spec", "type"),
                ref,
            )
        )
    annotations = mapping(meta.get("annotations"))
    labels = mapping(meta.get("labels"))
    inv.identities.append(
        Identity(
            name=name,
            namespace=namespace,
            type=id_type,
            client_id=text(values["clientID"]),
            resource_id=text(values["resourceID"]),
            tenant_id=text(values["tenantID"]),
            source=src,
            namespaced=text(annotations.get(NAMESPACED_ANNOTATION)) == "namespaced",
            aks_managed=text(labels.get(AKS_MANAGED_LABEL)) == "aks",
            legacy_fields=legacy,
        )
    )


def _binding(doc: Document, obj: dict, at: tuple, name: str, namespace: str, src: Source, inv: Inventory) -> None:
    spec = mapping(obj.get("spec"))
    _, identity = ci_item(spec, "azureIdentity")
    _, selector = ci_item(spec, "selector")
    _, weight = ci_item(spec, "weight")
    labels = mapping(mapping(obj.get("metadata")).get("labels"))
    inv.bindings.append(
        Binding(
            name=name,
            namespace=namespace,
            identity=text(identity) or "",
            selector=text(selector) or "",
            source=src,
            weight=weight if isinstance(weight, int) and not isinstance(weight, bool) else 0,
            aks_managed=text(labels.get(AKS_MANAGED_LABEL)) == "aks",
        )
    )


def _workload(
    doc: Document,
    obj: dict,
    at: tuple,
    kind: str,
    name: str,
    namespace: str,
    src: Source,
    inv: Inventory,
    all_workloads: bool = False,
) -> None:
    template_path = TEMPLATE_PATHS[kind]
    template = mapping(dig(obj, *template_path)) if template_path else obj
    pod_meta = mapping(template.get("metadata"))
    pod_spec = mapping(template.get("spec"))
    pod_labels = dict(mapping(pod_meta.get("labels")))
    meta = mapping(obj.get("metadata"))
    object_labels = dict(mapping(meta.get("labels")))
    uses_pod_identity = BINDING_LABEL in pod_labels or BINDING_LABEL in object_labels
    volumes = pod_spec.get("volumes") if isinstance(pod_spec.get("volumes"), list) else []
    spcs, flex = _volumes(volumes)
    if not uses_pod_identity and not flex and not all_workloads:
        return  # a workload that has nothing to do with pod identity
    selector = dig(obj, "spec", "selector")
    if kind == "ReplicationController":
        selector_labels = dict(mapping(selector))
    else:
        selector_labels = dict(mapping(mapping(selector).get("matchLabels")))
    containers = _containers(pod_spec)
    workload = Workload(
        kind=kind,
        api_version=text(obj.get("apiVersion")) or "",
        name=name,
        namespace=namespace,
        source=src,
        pod_labels=pod_labels,
        pod_annotations=dict(mapping(pod_meta.get("annotations"))),
        object_labels=object_labels,
        object_annotations=dict(mapping(meta.get("annotations"))),
        selector_labels=selector_labels,
        service_account=text(pod_spec.get("serviceAccountName") or pod_spec.get("serviceAccount")),
        host_network=pod_spec.get("hostNetwork") is True,
        windows=_is_windows(pod_spec),
        containers=containers,
        secret_provider_classes=spcs,
        flexvolume_pod_identity=flex,
        partial=not any(not c.init for c in containers),
        label_line=doc.line_of(*at, *template_path, "metadata", "labels", BINDING_LABEL)
        if BINDING_LABEL in pod_labels
        else doc.line_of(*at, "metadata", "labels", BINDING_LABEL),
        manager=manager_of(obj),
    )
    inv.workloads.append(workload)


def _containers(pod_spec: dict) -> list[Container]:
    result = []
    for field_name, init in (("initContainers", True), ("containers", False)):
        items = pod_spec.get(field_name)
        for item in items if isinstance(items, list) else []:
            item = mapping(item)
            env: dict[str, str | None] = {}
            for var in item.get("env") if isinstance(item.get("env"), list) else []:
                var = mapping(var)
                if "name" in var:
                    env[str(var["name"])] = text(var.get("value")) if "valueFrom" not in var else None
            result.append(Container(text(item.get("name")) or "", env, init, text(item.get("image"))))
    return result


def _volumes(volumes: list) -> tuple[list[str], bool]:
    spcs: list[str] = []
    flex = False
    for volume in volumes:
        volume = mapping(volume)
        csi = mapping(volume.get("csi"))
        if text(csi.get("driver")) == "secrets-store.csi.k8s.io":
            spc = text(mapping(csi.get("volumeAttributes")).get("secretProviderClass"))
            if spc:
                spcs.append(spc)
        flexvolume = mapping(volume.get("flexVolume"))
        if text(flexvolume.get("driver")) in ("azure/kv", "azure/keyvault"):
            _, value = ci_item(mapping(flexvolume.get("options")), "usepodidentity")
            flex = flex or truthy(value)
    return spcs, flex


def _is_windows(pod_spec: dict) -> bool:
    selector = mapping(pod_spec.get("nodeSelector"))
    if "windows" in (text(selector.get("kubernetes.io/os")), text(selector.get("beta.kubernetes.io/os"))):
        return True
    if text(mapping(pod_spec.get("os")).get("name")) == "windows":
        return True
    terms = dig(
        pod_spec, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"
    )
    for term in terms if isinstance(terms, list) else []:
        for expr in mapping(term).get("matchExpressions") or []:
            expr = mapping(expr)
            if (
                expr.get("key") == "kubernetes.io/os"
                and expr.get("operator") == "In"
                and expr.get("values") == ["windows"]
            ):
                return True
    return False


def _secret_provider_class(obj: dict, name: str, namespace: str, src: Source, inv: Inventory) -> None:
    params = mapping(dig(obj, "spec", "parameters"))
    _, use = ci_item(params, "usePodIdentity")
    _, client_id = ci_item(params, "clientID")
    inv.secret_provider_classes.append(
        SecretProviderClass(
            name=name,
            namespace=namespace,
            use_pod_identity=truthy(use),
            client_id=text(client_id) or None,
            keyvault_name=text(params.get("keyvaultName")),
            tenant_id=text(params.get("tenantId") or params.get("tenantID")),
            source=src,
        )
    )


def _label_elsewhere(
    doc: Document, obj: dict, at: tuple, kind: str | None, name: str, namespace: str, inv: Inventory
) -> None:
    """The label set inside another resource's fields (operator CRs, Helm values)."""
    what = f"{kind or 'document'} {namespace}/{name}" if kind else "Helm values or configuration"
    ref = f"{namespace}/{kind}/{name}" if kind else None
    for path, value in _find_label(obj, ()):
        if path[:2] == ("metadata", "labels"):
            continue  # a label on a non-pod object selects nothing
        dotted = ".".join(str(p) for p in path)
        shown = f"`{dotted}` = {value!r}"
        if is_placeholder(value):
            shown += " (a placeholder)"
        inv.findings.append(
            F.make("label-in-custom-resource", f"{what} sets aadpodidbinding at {shown}", doc.source(*at, *path), ref)
        )


def _find_label(data: Any, path: tuple, depth: int = 0):
    if depth > 40:
        return
    if isinstance(data, dict):
        for key, value in data.items():
            if key == BINDING_LABEL or isinstance(value, str) and f"{BINDING_LABEL}=" in value:
                yield path + (key,), value
            else:
                yield from _find_label(value, path + (key,), depth + 1)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _find_label(value, path + (i,), depth + 1)

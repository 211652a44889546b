"""Drift between the manifests in Git and the live cluster, in what the migration cares about (pure).

The plan and the rewrite read Git. If the cluster runs something else (a label changed by hand, a
workload installed outside the repository, a GitOps sync that failed), the migration would federate the
wrong ServiceAccount or leave a pod-identity user behind when the cleanup removes its identity. These
findings say where Git and the cluster disagree before anything is changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from migrator.core import findings as F
from migrator.core.fields import is_placeholder, text
from migrator.core.model import Binding, Finding, Identity, Inventory, Source, Workload
from migrator.core.plan import INJECT_SIDECAR_ANNOTATION, PROXY_PORT_ANNOTATION
from migrator.core.recognise import BINDING_LABEL, WI_USE_LABEL
from migrator.core.resource_ids import identity_id

# Labels and annotations a controller puts on the objects it creates: such a live object belongs to its
# owner (a Deployment's ReplicaSet, a StatefulSet's or Job's Pod, a CronJob's Job), which is what Git declares.
CONTROLLER_LABELS = (
    "pod-template-hash",
    "controller-revision-hash",
    "job-name",
    "batch.kubernetes.io/job-name",
    "controller-uid",
    "batch.kubernetes.io/controller-uid",
)
CONTROLLER_ANNOTATIONS = ("batch.kubernetes.io/cronjob-scheduled-timestamp",)
SIDECAR_ANNOTATIONS = (INJECT_SIDECAR_ANNOTATION, PROXY_PORT_ANNOTATION)
NAMESPACE_EXAMPLES = 5

T = TypeVar("T", Identity, Binding, Workload)


def drift_findings(manifests: Inventory, cluster: Inventory) -> list[Finding]:
    """Where ``manifests`` (Git) and ``cluster`` (live objects) disagree, as findings sorted like discovery's.

    Compared, per object key:

    - workloads (namespace, kind, name): the pod template's ``aadpodidbinding`` and
      ``azure.workload.identity/use`` labels, its serviceAccountName (unset and ``default`` are the same) and
      the proxy-sidecar annotations; a workload on one side only is reported when it uses pod identity (the
      manifest source reads no other workload, so a cluster inventory of every workload adds no noise);
    - AzureIdentity: type, clientID (case-insensitively: a GUID) and resourceID (case-insensitively, as ARM);
    - AzureIdentityBinding: azureIdentity and selector.

    Scope: a manifest tree often covers only some namespaces (one team's repository, the platform's charts
    elsewhere). Live objects are reported one by one only in namespaces the manifests declare something in;
    pod-identity use in any other namespace is summarised in one info finding per namespace, since the
    migration of that namespace is someone else's, but its cleanup must not remove what it still uses.
    Live objects a controller created (ReplicaSets, the Pods of StatefulSets and Jobs, a CronJob's Jobs) are
    their owner's business and never reported. AKS add-on identities and bindings (``aks_managed``) exist only
    in the cluster by design and are never reported as undeclared.

    A manifest value that is still a placeholder (``$(VAR)``, ``${VAR}``) is not compared (discovery reports
    it as unresolved-variable), nor is a field a partial workload (a kustomize patch without its base) leaves
    unset. Both inventories should be recognised alike: a cluster inventory read with ``all_workloads``
    reports a workload whose label was removed by hand as changed rather than missing.
    """
    found: list[Finding] = []
    covered = _namespaces(manifests)
    uncovered: dict[str, list[tuple[str, Source]]] = {}

    def live_only(namespace: str, obj: str, source: Source, code: str, what: str) -> None:
        if namespace in covered:
            found.append(_undeclared(code, what, source, obj))
        else:
            uncovered.setdefault(namespace, []).append((obj, source))

    declared_ids, live_ids = _by_key(manifests.identities), _by_key(cluster.identities)
    for key in sorted(declared_ids.keys() | live_ids.keys()):
        identity, live_identity = declared_ids.get(key), live_ids.get(key)
        if identity and live_identity:
            found.extend(_identity_changed(identity, live_identity))
        elif identity:
            what = f"AzureIdentity {_ref(identity)}"
            found.append(_missing("drift-missing-identity", what, identity.source, _object("AzureIdentity", identity)))
        elif live_identity and not live_identity.aks_managed:
            what = f"AzureIdentity {_ref(live_identity)} (clientID {_show(live_identity.client_id)})"
            obj = _object("AzureIdentity", live_identity)
            live_only(live_identity.namespace, obj, live_identity.source, "drift-undeclared-identity", what)

    declared_bindings, live_bindings = _by_key(manifests.bindings), _by_key(cluster.bindings)
    for key in sorted(declared_bindings.keys() | live_bindings.keys()):
        binding, live_binding = declared_bindings.get(key), live_bindings.get(key)
        if binding and live_binding:
            found.extend(_binding_changed(binding, live_binding))
        elif binding:
            what = f"AzureIdentityBinding {_ref(binding)}"
            obj = _object("AzureIdentityBinding", binding)
            found.append(_missing("drift-missing-binding", what, binding.source, obj))
        elif live_binding and not live_binding.aks_managed:
            what = (
                f"AzureIdentityBinding {_ref(live_binding)} (azureIdentity {_show(live_binding.identity)}, "
                f"selector {_show(live_binding.selector)})"
            )
            obj = _object("AzureIdentityBinding", live_binding)
            live_only(live_binding.namespace, obj, live_binding.source, "drift-undeclared-binding", what)

    declared_workloads, live_workloads = _by_key(manifests.workloads), _by_key(cluster.workloads)
    for key in sorted(declared_workloads.keys() | live_workloads.keys()):
        workload, live_workload = declared_workloads.get(key), live_workloads.get(key)
        if workload and live_workload:
            found.extend(_workload_changed(workload, live_workload))
        elif workload and _uses_identity(workload):
            found.append(_missing("drift-missing-workload", workload.ref, workload.source, workload.ref))
        elif live_workload and _uses_identity(live_workload) and not _controller_made(live_workload):
            what = f"{live_workload.ref} ({_summary(live_workload)})"
            live_only(
                live_workload.namespace, live_workload.ref, live_workload.source, "drift-undeclared-workload", what
            )

    for namespace, items in sorted(uncovered.items()):
        shown = ", ".join(ref for ref, _ in items[:NAMESPACE_EXAMPLES])
        more = f" and {len(items) - NAMESPACE_EXAMPLES} more" if len(items) > NAMESPACE_EXAMPLES else ""
        found.append(
            F.make(
                "drift-namespace-not-in-manifests",
                f"No scanned manifest declares anything in namespace {namespace}, where the cluster has "
                f"{len(items)} object(s) using pod identity: {shown}{more}",
                _live(items[0][1]),
                namespace,
            )
        )
    return sorted(found, key=F.sort_key)


def _by_key(items: Iterable[T]) -> dict[Any, T]:
    """One object per key: the last whole declaration read wins (as ``kubectl apply`` of the tree would)."""
    result: dict[Any, T] = {}
    for item in items:
        previous = result.get(item.key)
        if isinstance(item, Workload) and item.partial and isinstance(previous, Workload) and not previous.partial:
            continue
        result[item.key] = item
    return result


def _namespaces(inventory: Inventory) -> set[str]:
    """The namespaces the manifests declare anything in."""
    groups: tuple[Iterable[Any], ...] = (
        inventory.identities,
        inventory.bindings,
        inventory.exceptions,
        inventory.workloads,
        inventory.service_accounts,
        inventory.secret_provider_classes,
    )
    names = {item.namespace for group in groups for item in group}
    return names | {ns.name for ns in inventory.namespaces}


def _ref(item: Identity | Binding) -> str:
    return f"{item.namespace}/{item.name}"


def _object(kind: str, item: Identity | Binding) -> str:
    return f"{item.namespace}/{kind}/{item.name}"


def _live(source: Source) -> str:
    """A live object's reference; its Source carries no line."""
    return source.path if not source.line else str(source)


def _show(value: Any) -> str:
    return "(unset)" if value is None else repr(value)


def _uses_identity(w: Workload) -> bool:
    """Whether the workload uses pod identity: what the manifest source recognises a workload by."""
    return BINDING_LABEL in w.pod_labels or BINDING_LABEL in w.object_labels or w.flexvolume_pod_identity


def _controller_made(w: Workload) -> bool:
    return any(label in w.object_labels for label in CONTROLLER_LABELS) or any(
        a in w.object_annotations for a in CONTROLLER_ANNOTATIONS
    )


def _summary(w: Workload) -> str:
    parts = []
    if BINDING_LABEL in w.pod_labels:
        parts.append(f"aadpodidbinding={w.pod_labels[BINDING_LABEL]!r}")
    if WI_USE_LABEL in w.pod_labels:
        parts.append(f"{WI_USE_LABEL}={w.pod_labels[WI_USE_LABEL]!r}")
    parts.append(f"serviceAccountName {_service_account(w.service_account)!r}")
    return ", ".join(parts)


def _service_account(name: str | None) -> str:
    return name or "default"


def _missing(code: str, what: str, source: Source, obj: str) -> Finding:
    return F.make(code, f"{what} is declared at {source} but is not in the cluster", source, obj)


def _undeclared(code: str, what: str, source: Source, obj: str) -> Finding:
    message = f"{what} runs in the cluster ({_live(source)}) but no scanned manifest declares it"
    return F.make(code, message, _live(source), obj)


def _changed(code: str, what: str, declared: Source, live: Source, changes: list[str], obj: str) -> list[Finding]:
    if not changes:
        return []
    message = f"{what} differs between Git ({declared}) and the cluster ({_live(live)}), Git -> live: "
    return [F.make(code, message + "; ".join(changes), declared, obj)]


def _compare(changes: list[str], name: str, declared: Any, live: Any, same: Callable[[Any, Any], bool]) -> None:
    if is_placeholder(declared):
        return  # not rendered: discovery reports it as unresolved-variable
    if not same(declared, live):
        changes.append(f"{name} {_show(declared)} -> {_show(live)}")


def _equal(a: Any, b: Any) -> bool:
    return text(a) == text(b)


def _same_guid(a: Any, b: Any) -> bool:
    return (text(a) or "").strip().lower() == (text(b) or "").strip().lower()


def _same_resource_id(a: Any, b: Any) -> bool:
    parsed_a, parsed_b = identity_id(text(a) or ""), identity_id(text(b) or "")
    if parsed_a and parsed_b:
        return parsed_a.key == parsed_b.key
    return (text(a) or "").strip().rstrip("/").lower() == (text(b) or "").strip().rstrip("/").lower()


def _identity_changed(declared: Identity, live: Identity) -> list[Finding]:
    changes: list[str] = []
    _compare(changes, "type", declared.type, live.type, _equal)
    _compare(changes, "clientID", declared.client_id, live.client_id, _same_guid)
    _compare(changes, "resourceID", declared.resource_id, live.resource_id, _same_resource_id)
    what = f"AzureIdentity {_ref(declared)}"
    obj = _object("AzureIdentity", declared)
    return _changed("drift-identity-changed", what, declared.source, live.source, changes, obj)


def _binding_changed(declared: Binding, live: Binding) -> list[Finding]:
    changes: list[str] = []
    _compare(changes, "azureIdentity", declared.identity, live.identity, _equal)
    _compare(changes, "selector", declared.selector, live.selector, _equal)
    what = f"AzureIdentityBinding {_ref(declared)}"
    obj = _object("AzureIdentityBinding", declared)
    return _changed("drift-binding-changed", what, declared.source, live.source, changes, obj)


def _workload_changed(declared: Workload, live: Workload) -> list[Finding]:
    changes: list[str] = []
    partial = declared.partial  # a patch without its base: compare only what it sets
    for label in (BINDING_LABEL, WI_USE_LABEL):
        if label in declared.pod_labels or not partial:
            _compare(changes, f"label {label}", declared.pod_labels.get(label), live.pod_labels.get(label), _equal)
    if declared.service_account is not None or not partial:
        _compare(
            changes,
            "serviceAccountName",
            _service_account(declared.service_account),
            _service_account(live.service_account),
            _equal,
        )
    for annotation in SIDECAR_ANNOTATIONS:
        if annotation in declared.pod_annotations or not partial:
            declared_value = declared.pod_annotations.get(annotation)
            live_value = live.pod_annotations.get(annotation)
            _compare(changes, f"annotation {annotation}", declared_value, live_value, _equal)
    label_differs = any(c.startswith(f"label {BINDING_LABEL} ") for c in changes)
    source = declared.label_source if label_differs else declared.source
    return _changed("drift-workload-changed", declared.ref, source, live.source, changes, declared.ref)

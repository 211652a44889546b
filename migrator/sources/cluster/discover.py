"""``discover_cluster``: the inventory of a live cluster, read with one paginated list per kind.

Every live object goes through the same ``recognise`` as a manifest document (read unstructured,
so pre-1.6 capitalised fields survive), which keeps matching and planning blind to the source.
Pods are read only when labelled ``aadpodidbinding`` (a server-side selector) and resolved to
the object that made them in memory (``owners``); the workload kinds are listed whole because
the label sits on their pod templates, which no selector can reach. The requests therefore grow
with the number of objects over the page size, never with the number of pods or owners.

A resource the cluster does not serve (404: a CRD not installed) or that RBAC denies (403) is
a finding, not a failure: the rest of the inventory is still worth having.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from migrator.adapters.kube.resources import (
    AZURE_IDENTITIES,
    AZURE_IDENTITY_BINDINGS,
    AZURE_POD_IDENTITY_EXCEPTIONS,
    CRON_JOBS,
    DAEMON_SETS,
    DEPLOYMENTS,
    JOBS,
    MUTATING_WEBHOOKS,
    NAMESPACES,
    PODS,
    REPLICA_SETS,
    REPLICATION_CONTROLLERS,
    SECRET_PROVIDER_CLASSES,
    SERVICE_ACCOUNTS,
    STATEFUL_SETS,
    Resource,
)
from migrator.core import findings as F
from migrator.core.document import Document
from migrator.core.fields import mapping, text
from migrator.core.model import ClusterFacts, Finding, Inventory, Source
from migrator.core.recognise import BINDING_LABEL, recognise
from migrator.errors import Forbidden, NotFound
from migrator.ports import KubePort
from migrator.sources.cluster.owners import Resolution, key_of, pod_names, resolve, template_labels

WEBHOOK_CONFIGURATION = "azure-wi-webhook-mutating-webhook-configuration"
POD_IDENTITY_RESOURCES = (AZURE_IDENTITIES, AZURE_IDENTITY_BINDINGS, AZURE_POD_IDENTITY_EXCEPTIONS)
WORKLOAD_RESOURCES = (
    DEPLOYMENTS,
    REPLICA_SETS,
    STATEFUL_SETS,
    DAEMON_SETS,
    JOBS,
    CRON_JOBS,
    REPLICATION_CONTROLLERS,
)
PROGRESS_EVERY = 500

Progress = Callable[[str], None]


def live_source(context: str, obj: dict) -> str:
    """How a live object is named in sources: ``cluster CONTEXT: NS/Kind/name`` (no line)."""
    namespace, kind, name = key_of(obj)
    return f"cluster {context}: {namespace + '/' if namespace else ''}{kind}/{name}"


def discover_cluster(
    kube: KubePort, namespaces: list[str] | None, context: str, *, progress: Progress | None = None
) -> Inventory:
    """The inventory of the cluster ``kube`` talks to, for ``namespaces`` (None: all of them).

    Pod-identity objects are always read cluster-wide (a binding matches pods in any namespace by
    default) and then kept when they are in scope or used by a workload in scope.
    """
    scope = list(dict.fromkeys(namespaces)) if namespaces is not None else None
    first_request = kube.requests
    reader = _Reader(kube, context, scope, progress)
    custom = [obj for resource in POD_IDENTITY_RESOURCES for obj in reader.list_cluster_wide(resource)]
    pods = reader.list(PODS, label_selector=BINDING_LABEL)
    objects = [obj for resource in WORKLOAD_RESOURCES for obj in reader.list(resource)]
    service_accounts = reader.list(SERVICE_ACCOUNTS)
    spcs = reader.list(SECRET_PROVIDER_CLASSES)
    namespace_objects = reader.namespace_objects()
    webhook = reader.webhook()

    inventory = Inventory()
    for obj in custom:
        inventory.extend(recognise(_document(context, obj)))
    resolution = resolve(pods, objects)
    for obj in resolution.workloads:
        inventory.extend(recognise(_document(context, obj)))
    inventory.workloads.sort(key=lambda w: w.key)
    _mark_missing_owners(inventory, resolution)
    inventory.findings.extend(_label_only_on_pods(context, resolution, objects))
    if scope is not None:
        _keep_in_scope(inventory, set(scope))
    _add_context(inventory, context, service_accounts, spcs, namespace_objects)

    inventory.findings.extend(reader.findings())
    inventory.cluster = ClusterFacts(context=context, webhook_installed=webhook)
    inventory.stats = {
        **reader.counts,
        "podsScanned": len(pods),
        "workloads": len(inventory.workloads),
        "requests": kube.requests - first_request,
    }
    return inventory


def _document(context: str, obj: dict) -> Document:
    return Document(path=live_source(context, obj), line=0, data=obj)


class _Reader:
    """The lists and gets of one discovery, with 404s and 403s collected as findings."""

    def __init__(self, kube: KubePort, context: str, scope: list[str] | None, progress: Progress | None) -> None:
        self.kube = kube
        self.context = context
        self.scope = scope
        self.progress = progress
        self.counts: dict[str, int] = {}
        self.denied: list[Finding] = []
        self.not_served: dict[str, list[Resource]] = {}

    def list(self, resource: Resource, *, label_selector: str | None = None) -> list[dict]:
        """Every object of ``resource`` in scope: one paginated list cluster-wide, or one per namespace."""
        found: dict[tuple[Any, Any], dict] = {}
        for namespace in self.scope if self.scope is not None and resource.namespaced else [None]:
            if not self._fetch(resource, namespace, label_selector, found):
                break
        return self._counted(resource, found)

    def list_cluster_wide(self, resource: Resource) -> list[dict]:
        """One list in all namespaces, falling back to the namespaces in scope when that is denied."""
        found: dict[tuple[Any, Any], dict] = {}
        try:
            self._fetch(resource, None, None, found, raise_denied=self.scope is not None)
        except Forbidden as exc:
            self._denied(
                resource,
                None,
                exc,
                "list",
                note="; only the namespaces in scope were read, but bindings in others match pods in any "
                "namespace by default",
            )
            for namespace in self.scope or []:
                if not self._fetch(resource, namespace, None, found):
                    break
        return self._counted(resource, found)

    def namespace_objects(self) -> list[dict]:
        if self.scope is None:
            return self.list(NAMESPACES)
        found: dict[tuple[Any, Any], dict] = {}
        for name in self.scope:
            try:
                obj = self.kube.find(NAMESPACES, None, name)
            except Forbidden as exc:
                self._denied(NAMESPACES, None, exc, "get", name=name)
                continue
            if obj is not None:
                obj.setdefault("kind", NAMESPACES.kind)
                obj.setdefault("apiVersion", NAMESPACES.api_version)
                found[(None, name)] = obj
        return self._counted(NAMESPACES, found)

    def webhook(self) -> bool | None:
        """Whether the workload identity webhook is installed; None when that cannot be read."""
        try:
            return self.kube.find(MUTATING_WEBHOOKS, None, WEBHOOK_CONFIGURATION) is not None
        except Forbidden as exc:
            self._denied(MUTATING_WEBHOOKS, None, exc, "get", name=WEBHOOK_CONFIGURATION)
            return None

    def findings(self) -> list[Finding]:
        result = list(self.denied)
        for group, resources in self.not_served.items():
            plurals = ", ".join(r.plural for r in resources)
            what = {
                "aadpodidentity.k8s.io": "aad-pod-identity's CRDs are not installed (nothing to migrate from it)",
                "secrets-store.csi.x-k8s.io": "the Secrets Store CSI driver's CRDs are not installed",
            }.get(group, "the cluster does not serve them")
            version = resources[0].api_version
            result.append(
                F.make(
                    "crd-not-installed",
                    f"The cluster serves no {plurals} ({version}): {what}",
                    Source(f"cluster {self.context}"),
                    f"CustomResourceDefinition/{resources[0].plural}.{group}" if group else None,
                )
            )
        return result

    # -- internals ---------------------------------------------------------------------------------
    def _fetch(
        self,
        resource: Resource,
        namespace: str | None,
        label_selector: str | None,
        found: dict[tuple[Any, Any], dict],
        *,
        raise_denied: bool = False,
    ) -> bool:
        """Add one list's objects to ``found``; False when the resource is not served (stop asking)."""
        where = f"in namespace {namespace}" if namespace else "in all namespaces"
        self._tell(f"Listing {resource.plural} {where}")
        try:
            for obj in self.kube.list(resource, namespace, label_selector):
                meta = mapping(obj.get("metadata"))
                # keyed: a list restarted after an expired continue token yields objects again
                found[(meta.get("namespace"), meta.get("name"))] = obj
                if len(found) % PROGRESS_EVERY == 0:
                    self._tell(f"Listing {resource.plural} {where} ({len(found)})")
        except NotFound:
            served = self.not_served.setdefault(resource.group, [])
            if resource not in served:
                served.append(resource)
            return False
        except Forbidden as exc:
            if raise_denied:
                raise
            self._denied(resource, namespace, exc, "list")
        return True

    def _counted(self, resource: Resource, found: dict[tuple[Any, Any], dict]) -> list[dict]:
        self.counts[resource.kind] = self.counts.get(resource.kind, 0) + len(found)
        return list(found.values())

    def _denied(
        self, resource: Resource, namespace: str | None, exc: Forbidden, verb: str, *, name: str = "", note: str = ""
    ) -> None:
        full = f"{resource.plural}.{resource.group}" if resource.group else resource.plural
        if name:
            target, flags, where = f"{full}/{name}", "", ""
        elif namespace:
            target, flags, where = full, f" -n {namespace}", f" in namespace {namespace}"
        else:
            target, flags, where = full, " -A" if resource.namespaced else "", " in all namespaces"
        self.denied.append(
            F.make(
                "cluster-read-denied",
                f"{verb.capitalize()} {target}{where} was denied ({exc.message}){note}",
                Source(f"cluster {self.context}"),
                f"{namespace}/{resource.kind}" if namespace else resource.kind,
                fix=f"Check with `kubectl auth can-i {verb} {target}{flags}` and grant get and list on {full} "
                "(a ClusterRole, or a Role in each namespace scanned), or scan fewer namespaces with -n.",
            )
        )

    def _tell(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)


def _mark_missing_owners(inventory: Inventory, resolution: Resolution) -> None:
    """A pod whose controller could not be read is not a bare pod: say who controls it."""
    for workload in inventory.workloads:
        ref = resolution.missing_owner.get(workload.key)
        if ref is not None and workload.manager is None:
            workload.manager = f"controller {text(ref.get('kind'))}/{text(ref.get('name'))} (not read)"


def _label_only_on_pods(context: str, resolution: Resolution, objects: list[dict]) -> list[Finding]:
    by_key = {key_of(obj): obj for obj in objects}
    result = []
    for key, pods in sorted(resolution.label_only_on_pods.items()):
        owner = by_key[key]
        ref = "/".join(key)
        values = sorted({str(mapping(mapping(p.get("metadata")).get("labels")).get(BINDING_LABEL)) for p in pods})
        template = template_labels(owner).get(BINDING_LABEL)
        says = "has no aadpodidbinding" if template is None else f"has aadpodidbinding={template!r}"
        result.append(
            F.make(
                "label-only-on-pods",
                f"{len(pods)} pod(s) of {ref} ({pod_names(pods)}) carry aadpodidbinding="
                + ", ".join(repr(v) for v in values)
                + f", but its pod template {says}",
                live_source(context, pods[0]),
                ref,
            )
        )
    return result


def _keep_in_scope(inventory: Inventory, scope: set[str]) -> None:
    """With -n: pod-identity objects of the namespaces in scope, and those their workloads use."""
    selectors = {w.binding_label for w in inventory.workloads if w.binding_label is not None}
    inventory.bindings = [b for b in inventory.bindings if b.namespace in scope or b.selector in selectors]
    used = {(b.namespace, b.identity) for b in inventory.bindings}
    inventory.identities = [i for i in inventory.identities if i.namespace in scope or i.key in used]
    inventory.exceptions = [e for e in inventory.exceptions if e.namespace in scope]


def _add_context(
    inventory: Inventory, context: str, service_accounts: list[dict], spcs: list[dict], namespaces: list[dict]
) -> None:
    """ServiceAccounts, SecretProviderClasses and Namespaces that can matter to the plan.

    As for manifests: ServiceAccounts in the workloads' namespaces whose name contains a name the
    inventory mentions (an SA a workload runs as, or a name a new SA may be given), the
    SecretProviderClasses in pod-identity mode or mounted by a workload, and the workloads' namespaces.
    """
    spaces = {w.namespace for w in inventory.workloads}
    tokens = {w.service_account for w in inventory.workloads if w.service_account}
    tokens |= {w.name for w in inventory.workloads} | {i.name for i in inventory.identities}
    tokens |= {b.selector for b in inventory.bindings if b.selector}
    tokens.discard("default")
    mounted = {(w.namespace, name) for w in inventory.workloads for name in w.secret_provider_classes}
    for obj in service_accounts:
        namespace, _, name = key_of(obj)
        if namespace in spaces and any(token in name for token in tokens):
            inventory.extend(recognise(_document(context, obj)))
    for obj in spcs:
        found = recognise(_document(context, obj))
        inventory.secret_provider_classes.extend(
            s for s in found.secret_provider_classes if s.use_pod_identity or s.key in mounted
        )
    for obj in namespaces:
        if key_of(obj)[2] in spaces:
            inventory.extend(recognise(_document(context, obj)))

"""Read everything cleanup decides from; nothing is written.

Who uses a binding is judged cluster-wide, whatever namespaces the plan covers: a self-managed
binding matches pods in any namespace. As discovery does, labelled pods come from one list with
a label selector and are resolved to their top-level objects; the workload kinds are listed whole,
so templates without pods (a CronJob between runs) count too.
"""

from __future__ import annotations

from migrator.adapters.kube import resources as R
from migrator.core.changes import workload_key
from migrator.core.cleanup_facts import COMPONENT_LABEL, CleanupFacts, Usage
from migrator.core.fields import dig, mapping, text
from migrator.core.plan import Plan
from migrator.core.pod_identity_profile import profile_of
from migrator.core.recognise import BINDING_LABEL
from migrator.errors import NotFound, ServiceError
from migrator.phases.apply.context import ApplyContext
from migrator.phases.cleanup.context import CleanupSettings
from migrator.phases.cleanup.records import recorded_cleanups
from migrator.ports import KubePort
from migrator.sources.cluster.discover import WORKLOAD_RESOURCES
from migrator.sources.cluster.owners import key_of, resolve, template_labels
from migrator.storage.verifications import recorded_verdicts

KUBE_SYSTEM = "kube-system"
LISTED_KINDS = frozenset(resource.kind for resource in WORKLOAD_RESOURCES)


def observe(ctx: ApplyContext, plan: Plan, settings: CleanupSettings) -> CleanupFacts:
    kube = ctx.kube
    assert kube is not None
    facts = CleanupFacts(plan, cluster_id=settings.cluster_id)
    facts.verdicts = recorded_verdicts(settings.journal_dir)
    facts.cleaned = recorded_cleanups(settings.journal_dir)
    objects = [obj for resource in WORKLOAD_RESOURCES for obj in listed(kube, resource)]
    by_key = {workload_key(*key_of(obj)): obj for obj in objects}
    for planned in plan.workloads:  # from the cluster-wide lists; kinds they do not hold (a bare Pod) are read
        key = workload_key(planned.namespace, planned.kind, planned.name)
        found = by_key.get(key)
        if found is None and planned.kind not in LISTED_KINDS:
            found = kube.find(R.workload_resource(planned.kind), planned.namespace, planned.name)
        facts.workloads[key] = found
    facts.usages = usages(listed(kube, R.PODS, label_selector=BINDING_LABEL), objects)
    facts.identities = listed(kube, R.AZURE_IDENTITIES)
    facts.bindings = listed(kube, R.AZURE_IDENTITY_BINDINGS)
    facts.exceptions = listed(kube, R.AZURE_POD_IDENTITY_EXCEPTIONS)
    facts.assigned = listed(kube, R.AZURE_ASSIGNED_IDENTITIES)
    if ctx.clusters is not None and settings.cluster_id:
        try:
            facts.managed_cluster = ctx.clusters.get(settings.cluster_id)
        except ServiceError as exc:
            ctx.reporter.note(f"The managed cluster could not be read; AKS-managed pod identity stays: {exc.message}")
    _pods(kube, facts, objects)
    facts.mic = _components(listed(kube, R.DEPLOYMENTS, KUBE_SYSTEM), "mic")
    facts.nmi = _components(listed(kube, R.DAEMON_SETS, KUBE_SYSTEM), "nmi")
    for namespace in sorted({w.namespace for w in plan.workloads}):
        facts.network_policies[namespace] = listed(kube, R.NETWORK_POLICIES, namespace)
    return facts


def listed(
    kube: KubePort, resource: R.Resource, namespace: str | None = None, label_selector: str | None = None
) -> list[dict]:
    """Every object; none when the cluster does not serve the resource (aad-pod-identity's CRDs not installed)."""
    try:
        return list(kube.list(resource, namespace, label_selector))
    except NotFound:
        return []


def usages(pods: list[dict], objects: list[dict]) -> list[Usage]:
    """Each top-level object (or bare pod) with its ``aadpodidbinding`` values, from its template and its pods."""
    resolution = resolve(pods, objects)
    found: dict[tuple[str, str], Usage] = {}

    def add(key: tuple[str, str, str], value: object, pods: int) -> None:
        selector = text(value)
        if not selector:
            return
        namespace, kind, name = key
        usage = found.setdefault(
            (workload_key(namespace, kind, name), selector),
            Usage(workload_key(namespace, kind, name), f"{namespace}/{kind}/{name}", namespace, selector),
        )
        usage.pods += pods

    for obj in resolution.workloads:
        if obj.get("kind") != "Pod":
            add(key_of(obj), template_labels(obj).get(BINDING_LABEL), 0)
    for key, group in resolution.pods.items():
        for pod in group:
            if not dig(pod, "metadata", "deletionTimestamp"):
                add(key, mapping(dig(pod, "metadata", "labels")).get(BINDING_LABEL), 1)
    return sorted(found.values(), key=lambda u: (u.key, u.selector))


def _pods(kube: KubePort, facts: CleanupFacts, objects: list[dict]) -> None:
    """Pod labels where exceptions are (with the templates there), and which pods AzureAssignedIdentities name."""
    exception_namespaces = {text(dig(e, "metadata", "namespace")) or "" for e in facts.exceptions}
    exception_namespaces |= {
        text(mapping(e).get("namespace")) or ""
        for e in profile_of(facts.managed_cluster).get("userAssignedIdentityExceptions") or []
    }
    assigned_namespaces = {text(dig(a, "spec", "podNamespace")) or "" for a in facts.assigned}
    facts.pods = set()
    for namespace in sorted(exception_namespaces | assigned_namespaces):
        for pod in listed(kube, R.PODS, namespace):
            facts.pods.add((namespace, text(dig(pod, "metadata", "name")) or ""))
            if namespace in exception_namespaces:
                facts.pod_labels.setdefault(namespace, []).append(mapping(dig(pod, "metadata", "labels")))
    for obj in objects:
        namespace = key_of(obj)[0]
        if namespace in exception_namespaces:
            facts.pod_labels.setdefault(namespace, []).append(template_labels(obj))


def _components(objects: list[dict], component: str) -> list[dict]:
    """MIC (Deployment) or NMI (DaemonSet), by the label the chart and the add-on give them."""
    return [
        obj
        for obj in objects
        if component
        in (
            mapping(dig(obj, "metadata", "labels")).get(COMPONENT_LABEL),
            mapping(dig(obj, "metadata", "labels")).get("component"),
        )
    ]

"""What ``cleanup`` decides from and what it decides, as plain values (pure).

``phases.cleanup.observe`` fills ``CleanupFacts``; ``core.cleanup.plan_cleanup`` returns a
``CleanupPlan``. The helpers here read aad-pod-identity's own objects: whether MIC and NMI run,
what the AKS add-on manages, and an object's state as ``rollback`` re-creates it.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from typing import Any

from migrator.core.changes import Change
from migrator.core.fields import dig, mapping, text
from migrator.core.plan import Plan
from migrator.core.recognise import AKS_MANAGED_LABEL

API_VERSION = "aadpodidentity.k8s.io/v1"
FINALIZER = "azureassignedidentity.finalizers.aadpodidentity.k8s.io"
ADDON_EXCEPTION = ("kube-system", "aks-addon-exception")
COMPONENT_LABEL = "app.kubernetes.io/component"
HELM_RELEASE = "meta.helm.sh/release-name"
HELM_NAMESPACE = "meta.helm.sh/release-namespace"
SERVER_METADATA = (
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)
CRDS = (
    "azureassignedidentities.aadpodidentity.k8s.io azureidentities.aadpodidentity.k8s.io "
    "azureidentitybindings.aadpodidentity.k8s.io azurepodidentityexceptions.aadpodidentity.k8s.io"
)
NOT_VERIFIED = "not verified: run `wimigrate verify`"
SELECTOR_KEPT = "kept: part of spec.selector, which is immutable; harmless once the binding is gone"
SHOWN = 3


# -- what observe hands over --------------------------------------------------------------------


@dataclass
class Usage:
    """A top-level workload (or bare pod) whose template or running pods carry ``aadpodidbinding``."""

    key: str
    """``workload_key`` of the top-level object: verified workloads are found by it."""
    ref: str
    namespace: str
    selector: str
    pods: int = 0
    """Running pods carrying this value (0: only its pod template does, e.g. a CronJob between runs)."""


@dataclass
class CleanupFacts:
    plan: Plan
    workloads: dict[str, dict | None] = field(default_factory=dict)
    """``workload_key`` -> the planned workload as it is now (None: not found)."""
    verdicts: dict[str, dict] = field(default_factory=dict)
    """``workload_key`` -> its latest recorded ``verified`` record."""
    cleaned: dict[str, dict] = field(default_factory=dict)
    """``workload_key`` -> ``{"generation", "verified"}`` after an earlier cleanup removed its label."""
    usages: list[Usage] = field(default_factory=list)
    """Cluster-wide, whatever namespaces the plan covers."""
    identities: list[dict] = field(default_factory=list)
    bindings: list[dict] = field(default_factory=list)
    exceptions: list[dict] = field(default_factory=list)
    assigned: list[dict] = field(default_factory=list)
    pod_labels: dict[str, list[dict]] = field(default_factory=dict)
    """Namespace -> the labels of its pods and pod templates (what an exception could match)."""
    pods: set[tuple[str, str]] | None = None
    """(namespace, name) of the pods in the namespaces of AzureAssignedIdentities; None: not read."""
    cluster_id: str | None = None
    managed_cluster: dict | None = None
    """The managed cluster's wire JSON; None when not read (no Azure, or not an AKS cluster)."""
    mic: list[dict] = field(default_factory=list)
    """MIC Deployments in kube-system."""
    nmi: list[dict] = field(default_factory=list)
    """NMI DaemonSets in kube-system."""
    network_policies: dict[str, list[dict]] = field(default_factory=dict)
    """Migrated namespace -> its NetworkPolicies."""


@dataclass
class CleanupOptions:
    run_id: str = ""
    disable_addon: bool = False
    network_policies: bool = False
    """Generate the IMDS NetworkPolicies for unprotected migrated namespaces (to write them to a file)."""
    apply_network_policies: bool = False
    force: bool = False
    """Also delete objects a GitOps tool or Helm manages (they would come back from their source)."""


# -- what plan_cleanup returns ------------------------------------------------------------------


@dataclass
class Refusal:
    key: str
    ref: str
    reason: str
    failed: list[dict] = field(default_factory=list)
    """The failed checks of its verdict: ``{"check", "cause", "detail"}``."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Note:
    code: str
    """Stable: ``selector-kept``, ``mic-releases``, ``finalizers-removed``, ``offer-disable-addon``,
    ``offer-helm-uninstall``, ``unprotected-namespaces``, ``imds-restriction``..."""
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CleanupPlan:
    changes: list[Change] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    verified: list[str] = field(default_factory=list)
    """Refs of the workloads cleanup acts for."""
    users: list[Usage] = field(default_factory=list)
    """Who still uses pod identity after this run (the users of the bindings it keeps)."""
    unprotected: list[str] = field(default_factory=list)
    """Migrated namespaces with no NetworkPolicy blocking IMDS."""
    policies: list[dict] = field(default_factory=list)
    """The generated IMDS NetworkPolicies (with ``network_policies``)."""

    @property
    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.pending]

    def note(self, code: str, message: str) -> None:
        self.notes.append(Note(code, message))


def _labels(obj: Any) -> dict:
    return mapping(dig(obj, "metadata", "labels"))


def mic_running(deployments: list[dict]) -> bool:
    return any(mapping(d.get("status")).get("availableReplicas") for d in deployments)


def nmi_running(daemonsets: list[dict]) -> bool:
    return any(mapping(d.get("status")).get("numberAvailable") for d in daemonsets)


def aks_managed(obj: Any) -> bool:
    return _labels(obj).get(AKS_MANAGED_LABEL) == "aks"


def helm_release(components: list[dict]) -> tuple[str, str] | None:
    """(release, namespace) of a self-managed install, from the annotations Helm writes."""
    for obj in components:
        annotations = mapping(dig(obj, "metadata", "annotations"))
        release = text(annotations.get(HELM_RELEASE))
        if release and not aks_managed(obj):
            return release, text(annotations.get(HELM_NAMESPACE)) or text(dig(obj, "metadata", "namespace")) or ""
    return None


def prior_state(obj: dict) -> dict:
    """The object as ``rollback`` re-creates it: labels, annotations, finalizers and spec, no server fields."""
    state = copy.deepcopy(obj)
    meta = state.setdefault("metadata", {})
    for name in SERVER_METADATA:
        meta.pop(name, None)
    state.pop("status", None)
    return state

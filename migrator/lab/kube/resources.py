"""The resource types the emulated API server serves, with what discovery says about them."""

from __future__ import annotations

from dataclasses import dataclass

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    builtin: bool = True  # strategic merge patch works; custom resources answer 415
    verbs: tuple[str, ...] = ALL_VERBS

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> str:
        """``deployments.apps`` / ``pods``: how the apiserver names a resource in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def base_path(self) -> str:
        return f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"

    def path(self, namespace: str | None, name: str | None = None) -> str:
        parts = [self.base_path]
        if self.namespaced and namespace:
            parts.append(f"namespaces/{namespace}")
        parts.append(self.plural)
        if name:
            parts.append(name)
        return "/".join(parts)


def _rt(group: str, version: str, plural: str, kind: str, **kw: object) -> ResourceType:
    singular = kw.pop("singular", kind.lower())
    return ResourceType(group, version, plural, singular, kind, **kw)  # type: ignore[arg-type]


_WORKLOAD = {"categories": ("all",), "subresources": ("status", "scale")}

REGISTRY: tuple[ResourceType, ...] = (
    _rt(
        "",
        "v1",
        "namespaces",
        "Namespace",
        namespaced=False,
        short_names=("ns",),
        subresources=("status",),
        verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
    ),
    _rt("", "v1", "nodes", "Node", namespaced=False, short_names=("no",), subresources=("status",)),
    _rt("", "v1", "pods", "Pod", short_names=("po",), categories=("all",), subresources=("status", "log", "eviction")),
    _rt("", "v1", "serviceaccounts", "ServiceAccount", short_names=("sa",), subresources=("token",)),
    _rt("", "v1", "services", "Service", short_names=("svc",), categories=("all",), subresources=("status",)),
    _rt("", "v1", "configmaps", "ConfigMap", short_names=("cm",)),
    _rt("", "v1", "secrets", "Secret"),
    _rt("", "v1", "events", "Event", short_names=("ev",)),
    _rt(
        "",
        "v1",
        "replicationcontrollers",
        "ReplicationController",
        short_names=("rc",),
        categories=("all",),
        subresources=("status",),
    ),
    _rt("apps", "v1", "deployments", "Deployment", short_names=("deploy",), **_WORKLOAD),
    _rt("apps", "v1", "replicasets", "ReplicaSet", short_names=("rs",), **_WORKLOAD),
    _rt("apps", "v1", "statefulsets", "StatefulSet", short_names=("sts",), **_WORKLOAD),
    _rt("apps", "v1", "daemonsets", "DaemonSet", short_names=("ds",), categories=("all",), subresources=("status",)),
    _rt("batch", "v1", "jobs", "Job", categories=("all",), subresources=("status",)),
    _rt("batch", "v1", "cronjobs", "CronJob", short_names=("cj",), categories=("all",), subresources=("status",)),
    _rt("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", short_names=("netpol",)),
    _rt("networking.k8s.io", "v1", "ingresses", "Ingress", short_names=("ing",), subresources=("status",)),
    _rt("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", short_names=("pdb",), subresources=("status",)),
    _rt(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        short_names=("hpa",),
        categories=("all",),
        subresources=("status",),
    ),
    _rt("rbac.authorization.k8s.io", "v1", "roles", "Role"),
    _rt("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding"),
    _rt("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", namespaced=False),
    _rt("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", namespaced=False),
    _rt(
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        "MutatingWebhookConfiguration",
        namespaced=False,
    ),
    _rt(
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        "ValidatingWebhookConfiguration",
        namespaced=False,
    ),
    _rt(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        namespaced=False,
        short_names=("crd", "crds"),
        subresources=("status",),
    ),
)

POD_IDENTITY_GROUP = "aadpodidentity.k8s.io"

CUSTOM: tuple[ResourceType, ...] = (
    _rt(POD_IDENTITY_GROUP, "v1", "azureidentities", "AzureIdentity", builtin=False, categories=("all",)),
    _rt(POD_IDENTITY_GROUP, "v1", "azureidentitybindings", "AzureIdentityBinding", builtin=False, categories=("all",)),
    _rt(POD_IDENTITY_GROUP, "v1", "azurepodidentityexceptions", "AzurePodIdentityException", builtin=False),
    _rt(
        POD_IDENTITY_GROUP,
        "v1",
        "azureassignedidentities",
        "AzureAssignedIdentity",
        builtin=False,
        subresources=("status",),
    ),
    _rt("secrets-store.csi.x-k8s.io", "v1", "secretproviderclasses", "SecretProviderClass", builtin=False),
)


class Registry:
    """The types one lab serves: the built-ins, plus the custom resources whose CRDs are installed."""

    def __init__(self, types: tuple[ResourceType, ...]) -> None:
        self.types = types
        self._by_path = {(t.group, t.version, t.plural): t for t in types}
        self._by_kind = {(t.api_version, t.kind): t for t in types}

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._by_path.get((group, version, plural))

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        return self._by_kind.get((api_version, kind))

    def get(self, plural: str, group: str = "") -> ResourceType:
        """For the lab's own code: the type by plural name (and group); KeyError when not served."""
        for t in self.types:
            if t.plural == plural and t.group == group:
                return t
        raise KeyError(f"{plural}.{group}" if group else plural)

    def groups(self) -> list[tuple[str, str]]:
        """(group, version) pairs in discovery order, core first."""
        seen: list[tuple[str, str]] = []
        for t in self.types:
            if (t.group, t.version) not in seen:
                seen.append((t.group, t.version))
        return seen


def registry(pod_identity_crds: bool = True) -> Registry:
    custom = CUSTOM if pod_identity_crds else tuple(t for t in CUSTOM if t.group != POD_IDENTITY_GROUP)
    return Registry(REGISTRY + custom)

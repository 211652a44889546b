"""The inventory: what uses pod identity, as plain values.

Every source (manifest files now, a live cluster and AKS later) produces these
same objects, so matching and planning never know where a fact came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

IDENTITY_TYPES = {0: "UserAssignedMSI", 1: "ServicePrincipal", 2: "ServicePrincipalCertificate"}


@dataclass(frozen=True, order=True)
class Source:
    """Where a fact was read: a file and 1-based line, or a live object's reference."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return self.path if not self.line else f"{self.path}:{self.line}"  # 0: a live object, no line


@dataclass
class Identity:
    name: str
    namespace: str
    type: int | None
    client_id: str | None
    resource_id: str | None
    tenant_id: str | None
    source: Source
    namespaced: bool = False
    aks_managed: bool = False
    legacy_fields: bool = False
    patch: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)

    @property
    def type_name(self) -> str:
        return IDENTITY_TYPES.get(self.type, "Unknown") if self.type is not None else "Unknown"


@dataclass
class Binding:
    name: str
    namespace: str
    identity: str
    selector: str
    source: Source
    weight: int = 0
    aks_managed: bool = False
    patch: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)


@dataclass
class PodIdentityException:
    name: str
    namespace: str
    pod_labels: dict[str, str]
    source: Source
    aks_managed: bool = False


@dataclass
class Container:
    name: str
    env: dict[str, str | None]
    init: bool = False
    image: str | None = None
    """Matches the application's source to the workload (``--source``: by the image's repository name)."""


@dataclass
class Workload:
    """A pod-bearing object, reduced to what the migration needs from its pod template."""

    kind: str
    api_version: str
    name: str
    namespace: str
    source: Source
    pod_labels: dict[str, Any] = field(default_factory=dict)
    pod_annotations: dict[str, Any] = field(default_factory=dict)
    object_labels: dict[str, Any] = field(default_factory=dict)
    object_annotations: dict[str, Any] = field(default_factory=dict)
    selector_labels: dict[str, Any] = field(default_factory=dict)
    service_account: str | None = None
    host_network: bool = False
    windows: bool = False
    containers: list[Container] = field(default_factory=list)
    secret_provider_classes: list[str] = field(default_factory=list)
    flexvolume_pod_identity: bool = False
    partial: bool = False
    label_line: int | None = None
    manager: str | None = None
    """Who else owns the object and would revert a live patch (Argo CD, Flux, Helm, an operator), or None."""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.namespace, self.kind, self.name)

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.kind}/{self.name}"

    @property
    def binding_label(self) -> Any:
        return self.pod_labels.get("aadpodidbinding")

    @property
    def label_source(self) -> Source:
        return Source(self.source.path, self.label_line or self.source.line)


@dataclass
class ServiceAccount:
    name: str
    namespace: str
    annotations: dict[str, Any]
    source: Source

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)


@dataclass
class SecretProviderClass:
    name: str
    namespace: str
    use_pod_identity: bool
    client_id: str | None
    keyvault_name: str | None
    tenant_id: str | None
    source: Source

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)


@dataclass
class Namespace:
    name: str
    pod_security_enforce: str | None
    source: Source


@dataclass
class Finding:
    code: str
    severity: str
    message: str
    source: str | None = None
    object: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "source": self.source,
            "object": self.object,
        }


@dataclass(frozen=True)
class ExistingCredential:
    """A federated identity credential already on an identity in Azure."""

    name: str
    issuer: str
    subject: str
    audiences: list[str] = field(default_factory=list)


@dataclass
class AzureIdentityFacts:
    """What Azure says about one user-assigned identity (read with azure-mgmt-msi)."""

    resource_id: str
    found: bool
    client_id: str | None = None
    principal_id: str | None = None
    tenant_id: str | None = None
    credentials: list[ExistingCredential] = field(default_factory=list)
    error: str | None = None
    """Why it could not be read (403, ...), when ``found`` is unknown rather than false."""


@dataclass
class ClusterFacts:
    """What the managed cluster (ARM) and the cluster itself say about the prerequisites.

    None means "not known" (that source was not read), never "no".
    """

    resource_id: str | None = None
    name: str | None = None
    resource_group: str | None = None
    oidc_issuer_enabled: bool | None = None
    issuer: str | None = None
    """Exactly as AKS reports it, trailing slash included."""
    workload_identity_enabled: bool | None = None
    pod_identity_enabled: bool | None = None
    uses_managed_identity: bool | None = None
    kubernetes_version: str | None = None
    webhook_installed: bool | None = None
    context: str | None = None


@dataclass
class Inventory:
    identities: list[Identity] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    exceptions: list[PodIdentityException] = field(default_factory=list)
    workloads: list[Workload] = field(default_factory=list)
    service_accounts: list[ServiceAccount] = field(default_factory=list)
    secret_provider_classes: list[SecretProviderClass] = field(default_factory=list)
    namespaces: list[Namespace] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    cluster: ClusterFacts | None = None
    azure_identities: dict[str, AzureIdentityFacts] = field(default_factory=dict)
    """By resource id, lower-cased (ARM ids compare case-insensitively)."""

    def to_dict(self) -> dict[str, Any]:
        """The public JSON shape of ``discover``."""
        return {
            "identities": [
                {
                    "name": i.name,
                    "namespace": i.namespace,
                    "type": i.type,
                    "clientID": i.client_id,
                    "resourceID": i.resource_id,
                    "tenantID": i.tenant_id,
                    "namespaced": i.namespaced,
                    "aksManaged": i.aks_managed,
                    "legacyFields": i.legacy_fields,
                    "source": str(i.source),
                }
                for i in self.identities
            ],
            "bindings": [
                {
                    "name": b.name,
                    "namespace": b.namespace,
                    "identity": b.identity,
                    "selector": b.selector,
                    "weight": b.weight,
                    "source": str(b.source),
                }
                for b in self.bindings
            ],
            "exceptions": [
                {"name": e.name, "namespace": e.namespace, "podLabels": e.pod_labels, "source": str(e.source)}
                for e in self.exceptions
            ],
            "workloads": [
                {
                    "kind": w.kind,
                    "apiVersion": w.api_version,
                    "name": w.name,
                    "namespace": w.namespace,
                    "selector": w.binding_label,
                    "serviceAccountName": w.service_account,
                    "partial": w.partial,
                    "managedBy": w.manager,
                    "source": str(w.label_source),
                }
                for w in self.workloads
            ],
            "serviceAccounts": [
                {"name": s.name, "namespace": s.namespace, "annotations": s.annotations, "source": str(s.source)}
                for s in self.service_accounts
            ],
            "secretProviderClasses": [
                {
                    "name": s.name,
                    "namespace": s.namespace,
                    "usePodIdentity": s.use_pod_identity,
                    "clientID": s.client_id,
                    "keyvaultName": s.keyvault_name,
                    "source": str(s.source),
                }
                for s in self.secret_provider_classes
            ],
            "findings": [f.to_dict() for f in self.findings],
            "stats": dict(self.stats),
        }

    def extend(self, other: Inventory) -> None:
        for name in (
            "identities",
            "bindings",
            "exceptions",
            "workloads",
            "service_accounts",
            "secret_provider_classes",
            "namespaces",
            "findings",
        ):
            getattr(self, name).extend(getattr(other, name))
        for key, value in other.stats.items():
            self.stats[key] = self.stats.get(key, 0) + value

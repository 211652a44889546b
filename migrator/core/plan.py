"""The migration plan: a plain, serialisable value every later phase reads.

It is written to and read from YAML/JSON (``plan --out``), so its field names
are the public camelCase ones and ``from_dict`` validates what it reads.
"""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any

from migrator.core.model import Finding

PLAN_API_VERSION = "wimigrate.io/v1"
PLAN_KIND = "MigrationPlan"
AUDIENCE = "api://AzureADTokenExchange"
ISSUER_PLACEHOLDER = "${AKS_OIDC_ISSUER}"
MODES = ("label", "sidecar")
DEFAULT_PROXY_PORT = 8000

CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
TENANT_ID_ANNOTATION = "azure.workload.identity/tenant-id"
TOKEN_EXPIRATION_ANNOTATION = "azure.workload.identity/service-account-token-expiration"
USE_LABEL = "azure.workload.identity/use"
INJECT_SIDECAR_ANNOTATION = "azure.workload.identity/inject-proxy-sidecar"
PROXY_PORT_ANNOTATION = "azure.workload.identity/proxy-sidecar-port"


class PlanFormatError(ValueError):
    """A plan file that does not have the shape ``from_dict`` expects."""


@dataclass
class PlannedServiceAccount:
    namespace: str
    name: str
    clientID: str
    create: bool
    annotations: dict[str, str] = field(default_factory=dict)
    identities: list[str] = field(default_factory=list)
    source: str | None = None


@dataclass
class PlannedCredential:
    identityResourceID: str | None
    identityName: str
    identityClientID: str
    identityType: str  # "managedIdentity" or "application"
    name: str
    issuer: str
    subject: str
    audience: str = AUDIENCE
    namespace: str = ""
    serviceAccountName: str = ""


@dataclass
class PlannedWorkload:
    kind: str
    apiVersion: str
    namespace: str
    name: str
    serviceAccountName: str
    previousServiceAccountName: str | None
    mode: str
    clientID: str
    identities: list[str] = field(default_factory=list)
    bindingSelector: str = ""
    proxyPort: int | None = None
    source: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.kind}/{self.name}"


@dataclass
class PlannedSecretProviderClass:
    namespace: str
    name: str
    clientID: str
    source: str | None = None


@dataclass
class Plan:
    issuer: str
    issuerPlaceholder: bool
    options: dict[str, Any] = field(default_factory=dict)
    serviceAccounts: list[PlannedServiceAccount] = field(default_factory=list)
    federatedCredentials: list[PlannedCredential] = field(default_factory=list)
    workloads: list[PlannedWorkload] = field(default_factory=list)
    secretProviderClasses: list[PlannedSecretProviderClass] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "apiVersion": PLAN_API_VERSION,
            "kind": PLAN_KIND,
            "issuer": self.issuer,
            "issuerPlaceholder": self.issuerPlaceholder,
            "options": dict(self.options),
            "serviceAccounts": [asdict(x) for x in self.serviceAccounts],
            "federatedCredentials": [asdict(x) for x in self.federatedCredentials],
            "workloads": [asdict(x) for x in self.workloads],
            "secretProviderClasses": [asdict(x) for x in self.secretProviderClasses],
            "findings": [f.to_dict() for f in self.findings],
        }

    @classmethod
    def from_dict(cls, data: Any) -> Plan:
        if not isinstance(data, dict):
            raise PlanFormatError("the plan must be a mapping at the top level")
        if data.get("kind") != PLAN_KIND:
            raise PlanFormatError(
                f"`kind` must be {PLAN_KIND!r}, not {data.get('kind')!r} (write one with `wimigrate plan --out`)"
            )
        if data.get("apiVersion") != PLAN_API_VERSION:
            raise PlanFormatError(f"`apiVersion` must be {PLAN_API_VERSION!r}, not {data.get('apiVersion')!r}")
        issuer = data.get("issuer")
        if not isinstance(issuer, str) or not issuer:
            raise PlanFormatError("`issuer` must be a non-empty string")
        return cls(
            issuer=issuer,
            issuerPlaceholder=bool(data.get("issuerPlaceholder", False)),
            options=dict(data.get("options") or {}),
            serviceAccounts=_items(data, "serviceAccounts", PlannedServiceAccount),
            federatedCredentials=_items(data, "federatedCredentials", PlannedCredential),
            workloads=_items(data, "workloads", PlannedWorkload),
            secretProviderClasses=_items(data, "secretProviderClasses", PlannedSecretProviderClass),
            findings=[
                Finding(**_known(f, Finding, f"findings[{i}]")) for i, f in enumerate(data.get("findings") or [])
            ],
        )


def _known(item: Any, kind: type, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise PlanFormatError(f"{where} must be a mapping")
    names = {f.name for f in fields(kind)}
    unknown = sorted(set(item) - names)
    if unknown:
        raise PlanFormatError(f"{where} has unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(names))}")
    required = {f.name for f in fields(kind) if f.default is MISSING and f.default_factory is MISSING}
    missing = sorted(required - set(item))
    if missing:
        raise PlanFormatError(f"{where} lacks {', '.join(missing)}")
    return item


def _items(data: dict, key: str, kind: type) -> list:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise PlanFormatError(f"`{key}` must be a list")
    return [kind(**_known(item, kind, f"{key}[{i}]")) for i, item in enumerate(value)]

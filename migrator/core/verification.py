"""Does workload identity really work for a migrated workload? Checks over what was observed (pure).

``phases.verify`` reads the cluster, Azure and (optionally) Entra into a ``WorkloadObservation``;
``verify_workload`` turns it into one ``Check`` per question, each failure with a diagnosed cause
(a stable code, so tests, the journal and cleanup can name it) and the fix. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from migrator.core.model import ExistingCredential
from migrator.core.plan import PlannedWorkload

PASS, FAIL, SKIP = "pass", "fail", "skip"

# check names, in the order they are reported
ROLLOUT = "rollout"
POD_LABEL = "pod-label"
SERVICE_ACCOUNT = "service-account"
CLIENT_ID = "client-id"
WEBHOOK = "webhook"
SIDECAR = "sidecar"
CREDENTIAL = "credential"
TOKEN_EXCHANGE = "token-exchange"
SIGNATURES = "logs-and-events"
CHECKS = (ROLLOUT, POD_LABEL, SERVICE_ACCOUNT, CLIENT_ID, WEBHOOK, SIDECAR, CREDENTIAL, TOKEN_EXCHANGE, SIGNATURES)


@dataclass
class Check:
    name: str
    status: str
    detail: str
    """What was seen (pass) or what is wrong (fail), naming the object."""
    cause: str = ""
    """On failure: a stable code for the diagnosed cause (``missing-label``, ``issuer-trailing-slash``...)."""
    fix: str = ""
    """On failure: what to do, with the exact command where there is one."""


@dataclass
class TokenExchange:
    """The outcome of redeeming a fresh service-account token at Entra (never the token itself)."""

    ok: bool
    service_account: str
    """``namespace/name`` the token was minted for."""
    client_id: str
    code: str | None = None
    """``AADSTS70021`` and so on, or None (success, or a failure before Entra answered)."""
    message: str = ""
    """Entra's description or the local error, free of tokens."""


@dataclass
class LogLine:
    where: str
    """``pod/<name>/<container>`` or ``event <Kind>/<name>``."""
    text: str


@dataclass
class WorkloadObservation:
    """Everything ``verify_workload`` looks at for one planned workload. None means "not read"."""

    planned: PlannedWorkload
    current: dict | None
    """The workload object as the API server returns it (None: not found)."""
    pods: list[dict] = field(default_factory=list)
    """Its pods now (not terminating), as the API server returns them."""
    service_account: dict | None = None
    """The planned ServiceAccount as it is in the cluster (None: not found)."""
    webhook: dict | None = None
    """The workload-identity MutatingWebhookConfiguration (None: not installed)."""
    issuer: str | None = None
    """The cluster's OIDC issuer exactly as AKS reports it; None when unknown."""
    identity_resource_id: str | None = None
    """The identity the plan federates for this workload (None: an app registration, or not planned)."""
    credentials: list[ExistingCredential] | None = None
    """The federated credentials on that identity; None when Azure was not read."""
    credentials_error: str | None = None
    """Why the credentials could not be read (403, identity not found...)."""
    token: TokenExchange | None = None
    """The token exchange's outcome; None unless ``--token-exchange``."""
    lines: list[LogLine] = field(default_factory=list)
    """Recent log lines of its pods' containers and messages of its events, for signature scanning."""


@dataclass
class SignatureHit:
    """A known failure signature found in a log line or event."""

    signature: str
    """Stable code: ``AADSTS70021``, ``imds-timeout``, ``proxy-error``, ``webhook-denied``..."""
    where: str
    excerpt: str
    """The matching text, shortened, with anything token-like redacted."""
    cause: str
    fix: str


@dataclass
class WorkloadVerdict:
    ref: str
    """``namespace/Kind/name``."""
    key: str
    """``workload_key`` of the workload: the journal and cleanup find verdicts by it."""
    mode: str
    checks: list[Check] = field(default_factory=list)
    hits: list[SignatureHit] = field(default_factory=list)
    generation: int | None = None
    """The workload's metadata.generation when verified: a later change invalidates the verdict."""

    @property
    def passed(self) -> bool:
        return all(c.status != FAIL for c in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == FAIL]

    def to_dict(self) -> dict[str, Any]:
        return {
            "workload": self.ref,
            "mode": self.mode,
            "passed": self.passed,
            "generation": self.generation,
            "checks": [asdict(c) for c in self.checks],
            "signatures": [asdict(h) for h in self.hits],
        }


def verify_workload(obs: WorkloadObservation) -> WorkloadVerdict:
    """Every check for one workload, in ``CHECKS`` order."""
    raise NotImplementedError

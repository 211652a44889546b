"""What verification gets: the ports, where the cluster's issuer and tenant come from, options, a clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from migrator.core.verification import WorkloadVerdict
from migrator.ports import IdentitiesPort, KubePort, TokenExchangePort

TOKEN_SECONDS = 600
"""Lifetime of the service-account token minted for the exchange: the apiserver's minimum."""


@dataclass
class VerifyOptions:
    token_exchange: bool = False
    wait: float = 0.0
    """Seconds to keep re-checking failing workloads (credential propagation and RBAC take minutes)."""
    interval: float = 10.0
    time_scale: float = 1.0
    """> 1 against a sped-up lab: waits shrink by this factor."""
    tail_lines: int = 100
    max_pods: int = 5
    """Pods per workload whose logs are read: enough to see a failure, bounded on big workloads."""


class VerifyReporter(Protocol):
    def round(self, number: int, failing: int, total: int) -> None: ...

    def verdict(self, verdict: WorkloadVerdict) -> None: ...


class QuietVerifyReporter:
    def round(self, number: int, failing: int, total: int) -> None:
        pass

    def verdict(self, verdict: WorkloadVerdict) -> None:
        pass


@dataclass
class VerifyContext:
    kube: KubePort
    identities: IdentitiesPort | None
    """None: Azure is not consulted and the credential check is skipped."""
    exchange: TokenExchangePort | None
    issuer: str | None
    """The cluster's OIDC issuer exactly as AKS reports it (or the plan's when AKS was not read)."""
    tenant_id: str | None = None
    """For the token exchange when the pod does not say (no AZURE_TENANT_ID injected)."""
    authority: str | None = None
    options: VerifyOptions = field(default_factory=VerifyOptions)
    reporter: VerifyReporter = field(default_factory=QuietVerifyReporter)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

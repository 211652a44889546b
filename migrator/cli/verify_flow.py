"""The verify flow shared by ``verify``, ``cleanup --verify`` and ``retire-sidecar``: connect, check, journal."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrator.cli.connection import Live


@dataclass
class VerifyRequest:
    token_exchange: bool
    wait: float
    interval: float
    tenant_id: str | None
    journal_dir: Path
    output: str
    target: dict[str, Any]
    record: bool = True


def run_verify(plan: Any, live: Live, issuer: str | None, request: VerifyRequest, lab_info: Any = None) -> Any:
    """Verify every planned workload; the verdicts go to a journal (``command: verify``) for cleanup."""
    from migrator.adapters.azure.identities import IdentityGateway
    from migrator.cli import verify_render
    from migrator.phases.verify.context import VerifyContext, VerifyOptions
    from migrator.phases.verify.runner import verify
    from migrator.storage.journal import Journal

    exchange = None
    if request.token_exchange:
        from migrator.adapters.azure.token_exchange import EntraExchange

        exchange = EntraExchange(connection_verify=lab_info.ca_file if lab_info is not None else None)
    ctx = VerifyContext(
        kube=live.kube,
        identities=IdentityGateway(live.azure) if live.azure is not None else None,
        exchange=exchange,
        issuer=issuer,
        tenant_id=request.tenant_id or (lab_info.tenant_id if lab_info is not None else None),
        authority=lab_info.login_url if lab_info is not None else None,
        options=VerifyOptions(
            token_exchange=request.token_exchange,
            wait=request.wait,
            interval=request.interval,
            time_scale=live.time_scale,
        ),
    )
    reporter = verify_render.WaitReporter(request.wait) if request.output == "table" else None
    if reporter is not None:
        ctx.reporter = reporter
    journal = None
    if request.record:
        header = {
            "runId": _run_id(),
            "command": "verify",
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "target": request.target,
            "plan": plan.to_dict(),
        }
        journal = Journal.create(request.journal_dir, header)
    try:
        return verify(plan, ctx, journal)
    finally:
        if reporter is not None:
            reporter.close()


def _run_id() -> str:
    from migrator.phases.apply.runner import new_run_id

    return new_run_id()

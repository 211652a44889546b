"""The apply flow shared by ``apply`` (and later the wizard and playbooks): show, confirm, journal, execute."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from migrator.cli.connection import Live
from migrator.errors import InputError


@dataclass
class ApplyRequest:
    phases: tuple[str, ...]
    dry_run: bool
    yes: bool
    force: bool
    propagation_wait: float
    journal_dir: Path
    output: str
    target: dict[str, Any]
    """Where the run goes (context, cluster id, lab), for the journal header."""


def run_apply(plan: Any, live: Live, request: ApplyRequest, journal: Any = None) -> Any:
    """Validate, observe, show, confirm, then execute with a journal. ``journal``: resume that one."""
    from migrator.adapters.azure.identities import IdentityGateway
    from migrator.cli import apply_render
    from migrator.phases.apply import runner
    from migrator.phases.apply.context import ApplyContext, ApplyOptions, QuietReporter
    from migrator.storage.journal import Journal

    options = ApplyOptions(
        phases=request.phases,
        dry_run=request.dry_run,
        force=request.force,
        propagation_wait=request.propagation_wait,
        time_scale=live.time_scale,
    )
    identities = IdentityGateway(live.azure) if live.azure is not None else None
    run_id = journal.header.get("runId") if journal is not None else runner.new_run_id()
    table = request.output == "table"
    reporter = apply_render.ProgressReporter() if table else QuietReporter()
    ctx = ApplyContext(live.kube, identities, journal, run_id, options, reporter)
    runner.validate(plan, ctx)
    observed = runner.observe(plan, ctx)
    pending = sum(1 for changes in observed.values() for c in changes if c.pending)
    if table and not request.dry_run and pending and not request.yes:
        apply_render.print_changes(observed)  # what the confirmation is about
    if not request.dry_run and pending:
        confirm(pending, request.yes)
        if journal is None:
            header = {
                "runId": run_id,
                "command": "apply",
                "started": _now(),
                "target": request.target,
                "phases": list(request.phases),
                "plan": plan.to_dict(),
            }
            ctx.journal = Journal.create(request.journal_dir, header)
    try:
        report = runner.execute(plan, ctx, observed)
    finally:
        if isinstance(reporter, apply_render.ProgressReporter):
            reporter.close()
    return report


def confirm(count: int, yes: bool, verb: str = "Make") -> None:
    """Ask on a terminal; without one, refuse unless --yes (unattended runs must opt in)."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise InputError(
            f"Refusing to change anything ({count} change(s)) without confirmation: no terminal to ask.",
            hint="Review with --dry-run, then run again with --yes.",
        )
    if not click.confirm(f"{verb} these {count} change(s)?", default=False, err=True):
        raise click.exceptions.Exit(0)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

"""The retire-sidecar flow shared by ``retire-sidecar`` and playbooks: patch (journaled), then verify again."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrator.cli.connection import Live
from migrator.cli.verify_flow import VerifyRequest


@dataclass
class RetireOutcome:
    report: Any
    """The ApplyReport of the annotation removal."""
    verification: Any
    """The VerifyReport after it, or None (dry run, or the change did not go through)."""
    journal: Path | None


def run_retire(
    live: Live,
    lab: Any,
    refs: list[tuple[str, str, str]],
    request: VerifyRequest,
    *,
    dry_run: bool,
    yes: bool,
    force: bool,
) -> RetireOutcome:
    """Observe, show, confirm, patch with a journal, then verify the workloads in label mode."""
    from migrator.cli import apply_render
    from migrator.cli.apply_flow import confirm
    from migrator.cli.verify_flow import run_verify
    from migrator.phases import retire
    from migrator.phases.apply.context import ApplyContext, ApplyOptions, QuietReporter
    from migrator.phases.apply.runner import new_run_id
    from migrator.storage.journal import Journal

    output = request.output
    run_id = new_run_id()
    options = ApplyOptions(phases=("retire-sidecar",), dry_run=dry_run, force=force, time_scale=live.time_scale)
    reporter = apply_render.ProgressReporter() if output == "table" else QuietReporter()
    ctx = ApplyContext(live.kube, None, None, run_id, options, reporter)
    changes = retire.observe(ctx, refs)
    pending = [c for c in changes if c.pending]
    if output == "table" and pending and not yes and not dry_run:
        apply_render.print_changes({"workloads": changes})
    if pending and not dry_run:
        confirm(len(pending), yes)
        header = {"runId": run_id, "command": "retire-sidecar", "target": request.target, "phases": ["retire-sidecar"]}
        ctx.journal = Journal.create(request.journal_dir, header)
    try:
        results = _run(ctx, changes)
    finally:
        if isinstance(reporter, apply_render.ProgressReporter):
            reporter.close()
    report = _report(run_id, dry_run, results, ctx)
    verification = None
    if not dry_run and not report.exit_code:
        plan = _verification_plan(request.journal_dir, refs, live)
        verification = run_verify(plan, live, _issuer(plan, lab), request, lab)
    return RetireOutcome(report, verification, ctx.journal.path if ctx.journal else None)


def _run(ctx: Any, changes: list[Any]) -> list[Any]:
    from migrator.phases import retire
    from migrator.phases.apply.context import BLOCKED, PENDING, UNCHANGED
    from migrator.phases.apply.steps import StepResult

    results = [StepResult.of(c, BLOCKED if c.action == "blocked" else UNCHANGED) for c in changes if not c.pending]
    pending = [c for c in changes if c.pending]
    if not pending:
        return results
    if ctx.options.dry_run:
        write = retire.writer(ctx)
        for change in pending:
            write(change)
            results.append(StepResult.of(change, PENDING, "the API server accepts it (dry run)"))
        return results
    results.extend(retire.execute(ctx, pending))
    ctx.journal.append(
        {"type": "end", "status": "failed" if any(r.status == "failed" for r in results) else "completed"}
    )
    return results


def _report(run_id: str, dry_run: bool, results: list[Any], ctx: Any) -> Any:
    from migrator.phases.apply.runner import ApplyReport

    return ApplyReport(run_id, dry_run, results, ctx.journal.path if ctx.journal else None)


def _verification_plan(journal_dir: Path, refs: list[tuple[str, str, str]], live: Any) -> Any:
    """The plan each workload was migrated with (from the journals), now in label mode; else what the
    cluster says (its ServiceAccount and client id), without credentials: the token exchange still checks."""
    from migrator.adapters.kube.resources import SERVICE_ACCOUNTS, workload_resource
    from migrator.core.changes import workload_key
    from migrator.core.fields import dig
    from migrator.core.plan import CLIENT_ID_ANNOTATION, Plan, PlannedWorkload
    from migrator.core.recognise import TEMPLATE_PATHS
    from migrator.storage.verifications import latest_plan_with

    plan = Plan(issuer="", issuerPlaceholder=True)
    for namespace, kind, name in refs:
        stored = latest_plan_with(journal_dir, workload_key(namespace, kind, name))
        if stored is not None:
            found = Plan.from_dict(stored)
            planned = next(w for w in found.workloads if (w.namespace, w.kind, w.name) == (namespace, kind, name))
            plan.issuer, plan.issuerPlaceholder = found.issuer, found.issuerPlaceholder
            plan.federatedCredentials.extend(
                c for c in found.federatedCredentials if c.namespace == namespace and c not in plan.federatedCredentials
            )
        else:
            current = live.kube.get(workload_resource(kind), namespace, name)
            path = TEMPLATE_PATHS[kind]
            account = dig(current, *path, "spec", "serviceAccountName") or "default"
            sa = live.kube.find(SERVICE_ACCOUNTS, namespace, account) or {}
            client_id = dig(sa, "metadata", "annotations", CLIENT_ID_ANNOTATION) or ""
            planned = PlannedWorkload(
                kind, current.get("apiVersion", ""), namespace, name, account, None, "label", client_id
            )
        planned.mode, planned.proxyPort = "label", None
        plan.workloads.append(planned)
    return plan


def _issuer(plan: Any, lab: Any) -> str | None:
    if lab is not None:
        return lab.issuer_url
    return None if plan.issuerPlaceholder else plan.issuer

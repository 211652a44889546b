"""``wimigrate retire-sidecar``: drop the proxy sidecar once the application's SDK is new enough."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from migrator.cli.connection import kube_options
from migrator.cli.lab_options import lab_options
from migrator.cli.options import output_option
from migrator.cli.verify_cmd import verify_options_with
from migrator.errors import InputError


@click.command("retire-sidecar")
@click.option(
    "--workload",
    "workloads",
    multiple=True,
    required=True,
    metavar="NS/KIND/NAME",
    help="The workload whose application now uses a new enough Azure Identity SDK. Repeatable.",
)
@kube_options
@lab_options
@click.option("--dry-run", is_flag=True, help="Show the change (checked server-side); change nothing.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation (required without a terminal).")
@click.option("--force", is_flag=True, help="Also patch workloads a GitOps tool, Helm or a controller manages.")
@verify_options_with("5m")
@output_option
def retire_sidecar(
    workloads: tuple[str, ...],
    context: str | None,
    kubeconfig: str | None,
    lab_dir: Path | None,
    throwaway_lab: bool,
    dry_run: bool,
    yes: bool,
    force: bool,
    token_exchange: bool,
    wait: float,
    interval: float,
    exchange_tenant_id: str | None,
    journal_dir: Path,
    output: str,
) -> None:
    """Remove the azwi-proxy sidecar annotations, then verify the workload again.

    \b
    The sidecar lets applications on an old Azure Identity SDK keep calling
    IMDS; `wimigrate verify` lists the SDK versions that make it unnecessary.
    The change is journaled: `wimigrate rollback JOURNAL` puts the sidecar back.
    Verification waits for the rollout (--wait, default 5m).

    Exit codes: 0 retired and verified, 1 blocked or verification failed,
    2 usage error, 3 a change failed, 130 interrupted.
    """
    from migrator.cli import apply_render, render, verify_render
    from migrator.cli.apply_flow import confirm
    from migrator.cli.connection import connect_live
    from migrator.cli.lab_options import lab_target
    from migrator.cli.verify_flow import VerifyRequest, run_verify
    from migrator.core.sidecar import parse_workload_ref
    from migrator.phases import retire
    from migrator.phases.apply.context import ApplyContext, ApplyOptions, QuietReporter
    from migrator.phases.apply.runner import new_run_id
    from migrator.storage.journal import Journal

    try:
        refs = list(dict.fromkeys(parse_workload_ref(w) for w in workloads))
    except ValueError as exc:
        raise InputError(f"--workload {exc}") from None
    if (lab_dir is not None or throwaway_lab) and (context or kubeconfig):
        raise InputError("--context and --kubeconfig do not apply to a lab (it has its own kubeconfig).")
    with lab_target(lab_dir, throwaway_lab) as lab:
        live = connect_live(lab, kubeconfig, context, kube=True, azure=lab is not None)
        target = live.target(lab.cluster_id if lab else None)
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
            header = {"runId": run_id, "command": "retire-sidecar", "target": target, "phases": ["retire-sidecar"]}
            ctx.journal = Journal.create(journal_dir, header)
        try:
            results = _run(ctx, changes)
        finally:
            if isinstance(reporter, apply_render.ProgressReporter):
                reporter.close()
        report = _report(run_id, dry_run, results, ctx)
        verification = None
        if not dry_run and not report.exit_code:
            plan = _verification_plan(journal_dir, refs, live)
            request = VerifyRequest(token_exchange, wait, interval, exchange_tenant_id, journal_dir, output, target)
            verification = run_verify(plan, live, _issuer(plan, lab), request, lab)
    if output == "table":
        apply_render.print_report(report, "Retire sidecar")
        if verification is not None:
            verify_render.print_report(verification, next_step=None)
            if not verification.passed and ctx.journal is not None:
                click.echo(f"To put the sidecar back: wimigrate rollback {ctx.journal.path}", err=True)
    else:
        data = report.to_dict()
        data["verification"] = verification.to_dict() if verification is not None else None
        render.echo_data(data, output)
    code = report.exit_code or (verification.exit_code if verification is not None else 0)
    raise click.exceptions.Exit(code)


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

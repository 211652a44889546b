"""``wimigrate retire-sidecar``: drop the proxy sidecar once the application's SDK is new enough."""

from __future__ import annotations

from pathlib import Path

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
    from migrator.cli.connection import connect_live
    from migrator.cli.lab_options import lab_target
    from migrator.cli.retire_flow import run_retire
    from migrator.cli.verify_flow import VerifyRequest
    from migrator.core.sidecar import parse_workload_ref

    try:
        refs = list(dict.fromkeys(parse_workload_ref(w) for w in workloads))
    except ValueError as exc:
        raise InputError(f"--workload {exc}") from None
    if (lab_dir is not None or throwaway_lab) and (context or kubeconfig):
        raise InputError("--context and --kubeconfig do not apply to a lab (it has its own kubeconfig).")
    with lab_target(lab_dir, throwaway_lab) as lab:
        live = connect_live(lab, kubeconfig, context, kube=True, azure=lab is not None)
        target = live.target(lab.cluster_id if lab else None)
        request = VerifyRequest(token_exchange, wait, interval, exchange_tenant_id, journal_dir, output, target)
        outcome = run_retire(live, lab, refs, request, dry_run=dry_run, yes=yes, force=force)
    report, verification = outcome.report, outcome.verification
    if output == "table":
        apply_render.print_report(report, "Retire sidecar")
        if verification is not None:
            verify_render.print_report(verification, next_step=None)
            if not verification.passed and outcome.journal is not None:
                click.echo(f"To put the sidecar back: wimigrate rollback {outcome.journal}", err=True)
    else:
        data = report.to_dict()
        data["verification"] = verification.to_dict() if verification is not None else None
        render.echo_data(data, output)
    code = report.exit_code or (verification.exit_code if verification is not None else 0)
    raise click.exceptions.Exit(code)

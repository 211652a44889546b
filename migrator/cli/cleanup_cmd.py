"""``wimigrate cleanup``: remove pod identity, only for workloads whose verification passed, journaled."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from migrator.cli.options import output_option, plan_options
from migrator.cli.sources import source_options
from migrator.cli.verify_cmd import verify_options_with
from migrator.errors import InputError

PHASE_TITLES = {
    "labels": "Workload labels",
    "networkpolicies": "NetworkPolicies (IMDS)",
    "bindings": "AzureIdentityBindings",
    "identities": "AzureIdentities",
    "exceptions": "AzurePodIdentityExceptions",
    "podidentityprofile": "Managed cluster (ARM)",
    "assignedidentities": "AzureAssignedIdentities",
}
ACTIONS = {"create": "create", "patch": "change", "delete": "delete", "blocked": "blocked"}


@click.command()
@click.argument("plan_file", metavar="[PLAN]", required=False, type=click.Path(exists=True, dir_okay=False))
@source_options
@plan_options
@click.option("--dry-run", is_flag=True, help="Show what would be removed (Kubernetes checks it server-side).")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation (required without a terminal).")
@click.option("--force", is_flag=True, help="Also remove objects a GitOps tool or Helm manages.")
@click.option(
    "--disable-addon",
    is_flag=True,
    help="When nothing uses pod identity any more, disable the AKS add-on (podIdentityProfile.enabled=false).",
)
@click.option(
    "--network-policy",
    "network_policy",
    metavar="FILE",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write a NetworkPolicy per unprotected migrated namespace blocking egress to IMDS (- for stdout).",
)
@click.option("--apply-network-policy", is_flag=True, help="Create those NetworkPolicies (journaled).")
@click.option(
    "--verify",
    "verify_first",
    is_flag=True,
    help="Verify the workloads first, in this run (as `wimigrate verify`; its verdicts are recorded too).",
)
@verify_options_with("0", journal_help="Where verdicts are read (and recorded) and the journal is written (mode 0600).")
@output_option
def cleanup(
    plan_file: str | None,
    dry_run: bool,
    yes: bool,
    force: bool,
    disable_addon: bool,
    network_policy: str | None,
    apply_network_policy: bool,
    verify_first: bool,
    token_exchange: bool,
    wait: float,
    interval: float,
    exchange_tenant_id: str | None,
    journal_dir: Path,
    output: str,
    **values: Any,
) -> None:
    """Remove pod identity from migrated workloads whose verification passed.

    \b
    Only workloads whose latest `wimigrate verify` verdict passed (--verify:
    verify them now) and that did not change since lose their aadpodidbinding
    label; the others are refused. Then bindings and identities nothing uses
    any more are deleted (AKS-managed ones through the managed cluster's
    podIdentityProfile), exceptions that serve nothing, and, once MIC is gone,
    AzureAssignedIdentities left behind. Every removal is journaled with the
    object's full state: `wimigrate rollback JOURNAL` restores it.

    NMI no longer guards IMDS afterwards: --network-policy writes a
    NetworkPolicy per migrated namespace that blocks it (pods of its
    AzurePodIdentityExceptions excepted); --apply-network-policy creates them.

    Exit codes: 0 done (or nothing to do), 1 a workload refused or a change
    blocked (dry run: changes pending), 2 usage error, 3 a change failed.
    """
    from migrator.core.cleanup_facts import CleanupOptions

    if network_policy == "-" and output != "table":
        raise InputError("--network-policy - writes YAML to stdout: use it with -o table (the default).")
    options = CleanupOptions(
        disable_addon=disable_addon,
        network_policies=network_policy is not None,
        apply_network_policies=apply_network_policy,
        force=force,
    )
    if (token_exchange or wait or exchange_tenant_id) and not verify_first:
        raise InputError("--token-exchange, --wait and --exchange-tenant-id go with --verify.")
    from migrator.cli import render, verify_render
    from migrator.cli.live_plan import live_plan
    from migrator.cli.verify_flow import VerifyRequest, run_verify

    verification = None
    with live_plan(plan_file, values, output) as lp:
        if verify_first:
            request = VerifyRequest(token_exchange, wait, interval, exchange_tenant_id, journal_dir, output, lp.target)
            verification = run_verify(lp.plan, lp.live, lp.issuer, request, lp.lab)
            if output == "table":
                verify_render.print_report(verification, next_step=None)
        report = run_cleanup(lp, options, dry_run, yes, journal_dir, output, network_policy)
    if output == "table":
        print_report(report)
    else:
        data = report.to_dict()
        if verification is not None:
            data["verification"] = verification.to_dict()
        render.echo_data(data, output)
    raise click.exceptions.Exit(report.exit_code)


def run_cleanup(
    lp: Any,
    options: Any,
    dry_run: bool,
    yes: bool,
    journal_dir: Path,
    output: str,
    network_policy: str | None = None,
) -> Any:
    """Observe, decide, show, confirm, then execute with a journal (none for a dry run)."""
    plan, live, cluster_id = lp.plan, lp.live, lp.cluster_id
    from migrator.cli.apply_flow import confirm
    from migrator.cli.apply_render import ProgressReporter
    from migrator.phases.apply.context import ApplyContext, ApplyOptions, QuietReporter
    from migrator.phases.apply.runner import new_run_id
    from migrator.phases.cleanup import runner
    from migrator.phases.cleanup.context import CleanupSettings
    from migrator.storage.journal import Journal

    options.run_id = new_run_id()
    reporter = ProgressReporter() if output == "table" else QuietReporter()
    clusters = None
    if live.azure is not None and cluster_id:
        from migrator.adapters.azure.clusters import ClusterGateway

        clusters = ClusterGateway(live.azure)
    ctx = ApplyContext(
        live.kube,
        None,
        None,
        options.run_id,
        ApplyOptions(dry_run=dry_run, time_scale=live.time_scale),
        reporter,
        clusters=clusters,
    )
    decided = runner.prepare(ctx, plan, CleanupSettings(journal_dir, cluster_id, options))
    if network_policy is not None:
        _write_policies(decided.policies, network_policy)
    pending = decided.pending
    if output == "table" and not dry_run and pending and not yes:
        print_changes(decided)  # what the confirmation is about
    if not dry_run and pending:
        confirm(len(pending), yes)
        header = {
            "runId": options.run_id,
            "command": "cleanup",
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "target": live.target(cluster_id),
            "options": {"disableAddon": options.disable_addon, "force": options.force},
            "plan": plan.to_dict(),
        }
        ctx.journal = Journal.create(journal_dir, header)
    try:
        return runner.execute(ctx, decided)
    finally:
        if isinstance(reporter, ProgressReporter):
            reporter.close()


def _write_policies(policies: list[dict], where: str) -> None:
    """A multi-document YAML file (written atomically), or stdout for ``-``."""
    from migrator.cli.render import dump

    text = "---\n".join(dump(policy, "yaml") for policy in policies)
    if where == "-":
        click.echo(text, nl=False)
        return
    from migrator.storage.atomic import write_text

    write_text(where, text)


# -- showing it -----------------------------------------------------------------------------------


def print_changes(decided: Any) -> None:
    """What cleanup is about to do, per phase."""
    from rich.text import Text

    from migrator.cli.render import _table, console

    out = console()
    for phase, title in PHASE_TITLES.items():
        rows = [
            [Text(ACTIONS[c.action], style="bold red" if c.action == "blocked" else "yellow"), c.message]
            for c in decided.changes
            if c.phase == phase and c.action in ACTIONS
        ]
        if rows:
            out.print(_table(title, ["action", "what"], rows))


def print_report(report: Any) -> None:
    from rich.text import Text

    from migrator.cli.apply_render import STATUS_ORDER, STATUS_STYLE
    from migrator.cli.render import _table, console

    out = console()
    decided = report.plan
    if decided.refusals:
        rows = [[r.ref, r.reason] for r in decided.refusals]
        out.print(_table("Refused (pod identity kept)", ["workload", "why"], rows))
    rows = [[Text(r.status, style=STATUS_STYLE.get(r.status, "")), r.message, r.detail] for r in report.results]
    if rows:
        title = "Cleanup" + (" (dry run)" if report.dry_run else "")
        out.print(_table(title, ["status", "change", "result"], rows))
    for note in decided.notes:
        out.print(f"Note: {note.message}", markup=False)
    counts = ", ".join(f"{report.count(s)} {s}" for s in STATUS_ORDER if report.count(s))
    if decided.refusals:
        counts = ", ".join(x for x in (counts, f"{len(decided.refusals)} workload(s) refused") if x)
    out.print(counts or "Nothing to clean up.")
    if report.journal and not report.dry_run:
        out.print(f"Journal: {report.journal} (undo with `wimigrate rollback {report.journal}`)")

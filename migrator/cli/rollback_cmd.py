"""``wimigrate rollback JOURNAL``: undo an apply run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from migrator.cli.connection import kube_options
from migrator.cli.options import output_option
from migrator.errors import InputError


@click.command()
@click.argument("journal_path", metavar="JOURNAL", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@kube_options
@click.option(
    "--lab-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="WIMIGRATE_LAB_DIR",
    help="Undo a run made against the lab running with this state directory. Env: WIMIGRATE_LAB_DIR.",
)
@click.option("--dry-run", is_flag=True, help="Show what would be undone; change nothing.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@output_option
def rollback(
    journal_path: Path,
    context: str | None,
    kubeconfig: str | None,
    lab_dir: Path | None,
    dry_run: bool,
    yes: bool,
    output: str,
) -> None:
    """Undo the changes an apply or cleanup run recorded in JOURNAL, newest first.

    Workloads and ServiceAccounts get back the values the run replaced;
    ServiceAccounts and federated credentials the run created are deleted.
    Nothing that existed before the run is deleted. What cleanup deleted is
    re-created, and its podIdentityProfile changes are put back. Safe to run
    again: what was undone is recorded in the journal.
    """
    from migrator.cli import apply_render, render
    from migrator.cli.apply_flow import confirm
    from migrator.cli.connection import connect_live
    from migrator.cli.lab_options import lab_target
    from migrator.phases.apply.context import ApplyContext, ApplyOptions
    from migrator.phases.apply.rollback import rollback as undo
    from migrator.storage.journal import Journal

    if lab_dir is not None and (context or kubeconfig):
        raise InputError("--context and --kubeconfig do not apply to a lab (it has its own kubeconfig).")
    journal = Journal.open(journal_path)
    state = journal.state()
    # the latest intent per change, as rollback undoes them (a create that became a patch is journaled twice)
    todo = [intent["seq"] for intent in state.intents.values() if intent["seq"] not in state.undone]
    if not todo:
        _nothing(output)
        return
    phases = {intent["phase"] for intent in state.intents.values()}
    arm = {"federate", "podidentityprofile"}  # what goes to Azure: credentials, a cleanup's profile change
    with lab_target(lab_dir, False) as lab:
        live = connect_live(lab, kubeconfig, context, kube=bool(phases - arm), azure=bool(phases & arm))
        if not dry_run:
            confirm(len(todo), yes, "Undo")
        ctx = ApplyContext(
            live.kube, _identities(live), journal, journal.header.get("runId", ""), ApplyOptions(dry_run=dry_run)
        )
        ctx.clusters = _clusters(live)
        report = undo(journal, ctx)
    if output == "table":
        apply_render.print_rollback(report)
    else:
        render.echo_data(report.to_dict(), output)
    raise click.exceptions.Exit(report.exit_code)


def _identities(live: Any) -> Any:
    if live.azure is None:
        return None
    from migrator.adapters.azure.identities import IdentityGateway

    return IdentityGateway(live.azure)


def _clusters(live: Any) -> Any:
    if live.azure is None:
        return None
    from migrator.adapters.azure.clusters import ClusterGateway

    return ClusterGateway(live.azure)


def _nothing(output: str) -> None:
    from migrator.cli import render

    if output == "table":
        render.console().print("Nothing to undo: every change in this journal was already undone.")
    else:
        render.echo_data({"steps": []}, output)

"""``wimigrate run PLAYBOOK``: a whole migration, unattended, from a reviewed file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from migrator.cli.connection import kube_options
from migrator.cli.lab_options import lab_options
from migrator.cli.options import journal_dir_option, output_option


@click.command()
@click.argument("playbook_file", metavar="PLAYBOOK", type=click.Path(exists=True, dir_okay=False))
@click.option("-y", "--yes", is_flag=True, help="Make the changes without asking (required without a terminal).")
@click.option("--dry-run", is_flag=True, help="Run every phase as a dry run: Kubernetes checks, nothing changes.")
@kube_options
@lab_options
@click.option("--manifests", multiple=True, type=click.Path(exists=True), help="Override target.manifests.")
@click.option("-n", "--namespace", "namespaces", multiple=True, help="Override target.namespaces. Repeatable.")
@click.option("-A", "--all-namespaces", is_flag=True, help="Override target.namespaces: every namespace.")
@click.option("--cluster-id", metavar="ID", help="Override target.clusterId (the AKS cluster's resource id).")
@click.option(
    "--report",
    "report_file",
    type=click.Path(dir_okay=False),
    help="Write the machine-readable report (JSON) here.",
)
@click.option(
    "--summary",
    "summary_file",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write a Markdown summary for a pull-request comment here (- for stdout).",
)
@journal_dir_option("Where journals and verdicts go (mode 0600).")
@output_option
def run(
    playbook_file: str,
    yes: bool,
    dry_run: bool,
    context: str | None,
    kubeconfig: str | None,
    lab_dir: Path | None,
    throwaway_lab: bool,
    manifests: tuple[str, ...],
    namespaces: tuple[str, ...],
    all_namespaces: bool,
    cluster_id: str | None,
    report_file: str | None,
    summary_file: str | None,
    journal_dir: Path,
    output: str,
) -> None:
    """Run a playbook: discovery to cleanup, as its phases say, with no questions.

    \b
    The playbook (see playbooks/README.md) names the target, the plan's
    options and the phases. Command-line options override its target; --lab
    rehearses it in a throwaway lab seeded with samples/quickstart. Every
    phase is checked before the first change; the first failed phase stops
    the run (a cleanup never follows a failed verification). Without --yes
    and without a terminal, a playbook that changes things is refused.

    Exit codes: 0 every phase passed, 1 a phase failed (a check, a refusal,
    a blocked change), 2 usage error or invalid playbook, 3 a change failed,
    130 interrupted.
    """
    from migrator.cli import render
    from migrator.cli.playbook_run import RunSettings, run_playbook
    from migrator.errors import InputError
    from migrator.storage.playbooks import load_playbook

    if namespaces and all_namespaces:
        raise InputError("Use -n/--namespace or -A/--all-namespaces, not both.")
    playbook = load_playbook(playbook_file)
    overrides = {
        "manifests": list(manifests) or None,
        "context": context,
        "kubeconfig": kubeconfig,
        "namespaces": list(namespaces) or ([] if all_namespaces else None),
        "cluster_id": cluster_id,
        "lab": True if throwaway_lab or lab_dir else None,
    }
    playbook = _override(playbook, overrides)
    settings = RunSettings(yes, dry_run, journal_dir, output, _announcer(output), lab_dir)
    report = run_playbook(playbook, playbook_file, settings)
    if report_file:
        from migrator.storage.atomic import write_text

        write_text(report_file, render.dump(report.to_dict(), "json"))
    markdown = report.to_markdown()
    if summary_file == "-":
        click.echo(markdown, nl=False)
    elif summary_file:
        from migrator.storage.atomic import write_text

        write_text(summary_file, markdown)
    if output == "table":
        _print(report)
    elif summary_file != "-":
        render.echo_data(report.to_dict(), output)
    raise click.exceptions.Exit(report.exit_code)


def _override(playbook: Any, overrides: dict[str, Any]) -> Any:
    """The playbook with the command line's target values (those given) in place of its own."""
    import dataclasses

    changes = {k: v for k, v in overrides.items() if v is not None}
    if {"lab", "context", "kubeconfig"} & changes.keys():
        changes["cluster"] = True
    return dataclasses.replace(playbook, target=dataclasses.replace(playbook.target, **changes))


def _announcer(output: str) -> Any:
    if output != "table":
        return lambda name: None
    from migrator.cli.render import console

    out = console()
    return lambda name: out.rule(f"[bold]{name}", style="dim")


def _print(report: Any) -> None:
    from rich.text import Text

    from migrator.cli.render import _table, console

    style = {"passed": "green", "failed": "bold red", "skipped": "dim"}
    rows = [[p.name, Text(p.status, style=style[p.status]), p.summary] for p in report.phases]
    out = console()
    out.print(_table(f"Playbook {report.playbook}", ["phase", "result", "summary"], rows))
    if report.passed:
        out.print(f"Every phase passed{' (dry run)' if report.dry_run else ''}.", style="green")
    else:
        failed = next(p for p in report.phases if p.status == "failed")
        out.print(f"Phase {failed.name} failed: {failed.summary}", style="bold red", markup=False)

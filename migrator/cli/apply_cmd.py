"""``wimigrate apply``: carry out the plan in Azure and the cluster, journaled, resumable, reversible."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from migrator.cli.options import build_plan_options, journal_dir_option, output_option, plan_options
from migrator.cli.sources import open_sources, source_options
from migrator.errors import InputError

PHASE_NAMES = ("federate", "serviceaccounts", "workloads")


@click.command()
@click.argument("plan_file", metavar="[PLAN]", required=False, type=click.Path(exists=True, dir_okay=False))
@source_options
@plan_options
@click.option(
    "--only",
    metavar="PHASES",
    help=f"Run only these phases, comma-separated ({','.join(PHASE_NAMES)}).",
)
@click.option("--skip-phases", metavar="PHASES", help="Run every phase but these, comma-separated.")
@click.option(
    "--dry-run", is_flag=True, help="Show what would change (Kubernetes checks it server-side); change nothing."
)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation (required without a terminal).")
@click.option(
    "--force",
    is_flag=True,
    help="Also patch objects a GitOps tool, Helm or a controller manages, and "
    "overwrite a ServiceAccount's other client-id.",
)
@click.option(
    "--resume",
    is_flag=False,
    flag_value="latest",
    default=None,
    metavar="[JOURNAL]",
    help="Continue an interrupted run (its journal; default: the latest unfinished one in --journal-dir).",
)
@journal_dir_option("Where journals are written (mode 0600).")
@click.option(
    "--propagation-wait",
    type=click.FloatRange(min=0),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="Wait after creating federated credentials, before workloads rely on them.",
)
@output_option
def apply(
    plan_file: str | None,
    only: str | None,
    skip_phases: str | None,
    dry_run: bool,
    yes: bool,
    force: bool,
    resume: str | None,
    journal_dir: Path,
    propagation_wait: float,
    output: str,
    **values: Any,
) -> None:
    """Create federated credentials, then ServiceAccounts, then patch workloads.

    \b
    The plan comes from PLAN (`wimigrate plan --out`), from a journal with
    --resume, or from discovery (the live cluster, as with `discover --cluster`).
    Every change is journaled before it is made (.wimigrate/journal-*.jsonl);
    `wimigrate rollback JOURNAL` undoes the run. Applying twice changes nothing.

    Exit codes: 0 done (or nothing to do), 1 changes blocked or skipped (dry
    run: changes pending), 2 usage error, 3 a change failed, 130 interrupted.
    """
    from migrator.cli import apply_render, render
    from migrator.cli.apply_flow import ApplyRequest, run_apply

    phases = _phases(only, skip_phases)
    plan_opts = build_plan_options(values)
    journal = _resume_journal(resume, journal_dir)
    if journal is not None:
        phases = tuple(journal.header.get("phases") or phases)
    request = ApplyRequest(phases, dry_run, yes, force, propagation_wait, journal_dir, output, {})
    if journal is not None or plan_file:
        plan = _stored_plan(plan_file, journal)
        with _connect(values, phases) as live:
            request.target = live.target()
            report = run_apply(plan, live, request, journal)
    else:
        values["cluster"] = True  # apply works on a live cluster: the manifests, if given, are compared with it
        with open_sources(values, show_progress=output == "table") as sources:
            from migrator.core.planner import build_plan
            from migrator.core.prerequisites import prerequisite_findings

            plan = build_plan(sources.inventory, plan_opts)
            _refuse_errors([*plan.findings, *prerequisite_findings(sources.inventory)])
            live = _live_from(sources, phases)
            request.target = live.target(sources.cluster_id)
            report = run_apply(plan, live, request)
    if output == "table":
        apply_render.print_report(report)
    else:
        render.echo_data(report.to_dict(), output)
    raise click.exceptions.Exit(report.exit_code)


def _phases(only: str | None, skip: str | None) -> tuple[str, ...]:
    if only and skip:
        raise InputError("Use --only or --skip-phases, not both.")

    def names(text: str, option: str) -> list[str]:
        items = [p.strip() for p in text.split(",") if p.strip()]
        bad = [p for p in items if p not in PHASE_NAMES]
        if bad or not items:
            raise InputError(f"{option} {text!r}: phases are {', '.join(PHASE_NAMES)}")
        return items

    if only:
        chosen = names(only, "--only")
        return tuple(p for p in PHASE_NAMES if p in chosen)
    if skip:
        skipped = names(skip, "--skip-phases")
        return tuple(p for p in PHASE_NAMES if p not in skipped)
    return PHASE_NAMES


def _resume_journal(resume: str | None, journal_dir: Path) -> Any:
    if resume is None:
        return None
    from migrator.storage.journal import Journal, latest_unfinished

    path = latest_unfinished(journal_dir) if resume == "latest" else Path(resume)
    if path is None:
        raise InputError(f"No unfinished run to resume in {journal_dir}.", hint="Name the journal: --resume FILE.")
    if not path.is_file():
        raise InputError(f"--resume {path}: no such journal.")
    journal = Journal.open(path)
    state = journal.state()
    if state.ended == "completed":
        raise InputError(f"{path}: that run completed; nothing to resume.", hint="Run apply again to check.")
    if state.undone:  # resuming would skip the steps it records as done, which rollback has since undone
        raise InputError(
            f"{path}: that run was rolled back; it cannot be resumed.",
            hint="Finish the rollback with `wimigrate rollback JOURNAL` if it stopped, then run apply again.",
        )
    return journal


def _stored_plan(plan_file: str | None, journal: Any) -> Any:
    if journal is not None:
        from migrator.core.plan import Plan, PlanFormatError

        if plan_file:
            raise InputError("Give a PLAN or --resume, not both: a resumed run uses the plan in its journal.")
        try:
            return Plan.from_dict(journal.header.get("plan"))
        except (PlanFormatError, TypeError) as exc:
            raise InputError(f"{journal.path}: the journal's plan cannot be read: {exc}") from exc
    from migrator.storage.planfile import read_plan

    plan = read_plan(str(plan_file))
    _refuse_errors(plan.findings)
    return plan


def _refuse_errors(findings: list[Any]) -> None:
    """A plan with error findings (or an unmet prerequisite) is not applied: it would break something."""
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        shown = "; ".join(f"{f.code}: {f.message}" for f in errors[:3])
        raise InputError(
            f"The plan has {len(errors)} error finding(s), so nothing is applied: {shown}",
            hint="`wimigrate discover` or `wimigrate plan` with the same options shows them all and what fixes each.",
        )


@contextlib.contextmanager
def _connect(values: dict[str, Any], phases: tuple[str, ...]) -> Iterator[Any]:
    """Connections for a stored plan: the kubeconfig context (or lab) and Azure; discovery options are refused."""
    from migrator.cli.connection import connect_live
    from migrator.cli.lab_options import lab_target

    discovery = [name for name in ("manifests", "namespaces", "cluster_id", "resource_group") if values.get(name)]
    if discovery or values.get("all_namespaces"):
        raise InputError("A stored plan (PLAN or --resume) is applied as it is: drop the discovery options.")
    with lab_target(values["lab_dir"], values["throwaway_lab"]) as lab:
        yield connect_live(
            lab,
            values["kubeconfig"],
            values["context"],
            kube=bool(set(phases) - {"federate"}),
            azure="federate" in phases,
        )


def _live_from(sources: Any, phases: tuple[str, ...]) -> Any:
    from migrator.cli.connection import Live

    azure = sources.azure
    if azure is None and "federate" in phases:
        from migrator.adapters.azure.connect import connect

        azure = connect(lab=sources.lab)
    lab = sources.lab
    return Live(sources.kube, sources.kube_target, azure, lab.speedup if lab else 1.0, lab is not None)

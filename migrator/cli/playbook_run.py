"""Running a playbook: its phases in order over one set of connections, each ending passed, failed or skipped.

Everything is checked before anything changes (the target, the plan's error findings, consent to change
things), as azwi's phase workflow does; then each phase runs the same flow as its own command (apply,
verify, cleanup, retire-sidecar, rewrite, export) and the first failure stops the run, so a cleanup never
follows a failed verification.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from migrator.core.run_report import FAILED, PASSED, SKIPPED, PhaseOutcome, RunReport
from migrator.errors import EXIT_FINDINGS, InputError, WimigrateError

LIVE_CHANGES = ("federate", "serviceaccounts", "workloads", "apply", "cleanup", "retire-sidecar")
"""Phases that change the cluster or Azure; ``rewrite`` changes files (only with write: in-place/out-dir)."""
APPLY_PHASES = ("federate", "serviceaccounts", "workloads")
LAB_SPEEDUP = 50.0
"""A throwaway lab's clock runs this much faster: a rehearsal need not wait for real rollouts."""


@dataclass
class RunSettings:
    yes: bool = False
    dry_run: bool = False
    journal_dir: Path = Path(".wimigrate")
    output: str = "table"
    announce: Callable[[str], None] = lambda text: None
    lab_dir: Path | None = None
    """A running lab named on the command line (``--lab-dir``): the target's cluster then."""


@dataclass
class _Run:
    """What the phases share: the playbook, its sources and plan, and the connections."""

    playbook: Any
    settings: RunSettings
    sources: Any = None
    plan: Any = None
    live: Any = None
    issuer: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def table(self) -> bool:
        return self.settings.output == "table"

    def target(self) -> dict[str, Any]:
        cluster_id = self.sources.cluster_id if self.sources is not None else None
        return self.live.target(cluster_id) if self.live is not None else {}


def run_playbook(playbook: Any, source: str, settings: RunSettings) -> RunReport:
    """Check, connect, plan once, then run each phase; the report says what each did."""
    from migrator.storage.playbooks import require_target

    require_target(playbook)  # after the command line's overrides
    names = [step.name for step in playbook.steps]
    _consent(names, playbook, settings)
    report = RunReport(playbook.name, source, _target_dict(playbook.target), settings.dry_run, started=_now())
    run = _Run(playbook, settings)
    with _connected(run):
        failed = False
        for step in playbook.steps:
            if failed:
                report.phases.append(PhaseOutcome(step.name, SKIPPED, "not run: an earlier phase failed"))
                continue
            if settings.dry_run and _moot_in_dry_run(step.name, names):
                report.phases.append(PhaseOutcome(step.name, SKIPPED, DRY_RUN_SKIP))
                continue
            settings.announce(step.name)
            began = time.monotonic()
            try:
                outcome = PHASES[step.name](run, dict(step.options))
            except WimigrateError as exc:
                outcome = PhaseOutcome(step.name, FAILED, exc.message, [exc.hint] if exc.hint else [], exc.exit_code)
            except click.exceptions.Exit as exc:  # declined at a confirmation prompt: the run stops there
                if exc.exit_code:
                    raise
                outcome = PhaseOutcome(step.name, FAILED, "declined at the confirmation: nothing changed", [], 1)
            outcome.seconds = time.monotonic() - began
            report.phases.append(outcome)
            failed = outcome.status == FAILED
    report.target = {**report.target, **{k: v for k, v in run.target().items() if v}}
    report.finished = _now()
    return report


DRY_RUN_SKIP = "dry run: nothing was applied, so there is nothing new to verify (or to clean up after it)"


def _moot_in_dry_run(name: str, names: list[str]) -> bool:
    """In a dry run nothing changes: a verification would only re-check the old state, and a cleanup
    after a skipped verification would only be refused."""
    return name == "verify" or (name == "cleanup" and "verify" in names)


def _consent(names: list[str], playbook: Any, settings: RunSettings) -> None:
    """Unattended runs must opt in to changes: without --yes and a terminal, refuse before anything runs."""
    changing = [n for n in names if n in LIVE_CHANGES]
    rewrite = next((s for s in playbook.steps if s.name == "rewrite"), None)
    if rewrite is not None and rewrite.options.get("write") in ("in-place", "out-dir"):
        changing.append("rewrite")
    if changing and not settings.yes and not settings.dry_run and not sys.stdin.isatty():
        raise InputError(
            f"The playbook changes things ({', '.join(changing)}) and there is no terminal to ask: nothing was run.",
            hint="Pass --yes to run it unattended, or --dry-run to see what it would do.",
        )


@contextlib.contextmanager
def _connected(run: _Run) -> Iterator[None]:
    """Read the sources once (the cluster when a phase needs it) and make the plan every phase reads."""
    from migrator.cli.connection import Live
    from migrator.cli.sources import open_sources
    from migrator.core.plan_selection import select
    from migrator.core.planner import build_plan
    from migrator.core.playbook import selected

    playbook = run.playbook
    values = _source_values(playbook.target, run.settings.lab_dir)
    with open_sources(
        values,
        show_progress=run.table,
        lab_speedup=LAB_SPEEDUP,
        lab_aks_addon=playbook.target.lab_aks_addon,
        lab_seed=Path(playbook.target.lab_seed) if playbook.target.lab_seed else None,
    ) as sources:
        run.sources = sources
        plan = build_plan(sources.inventory, playbook.plan_options())
        run.plan = select(plan, lambda ns, kind, name: selected(playbook, ns, kind, name))
        cluster = sources.inventory.cluster
        run.issuer = (cluster.issuer if cluster is not None else None) or (
            None if run.plan.issuerPlaceholder else run.plan.issuer
        )
        if sources.kube is not None:
            lab = sources.lab
            run.live = Live(
                sources.kube, sources.kube_target, sources.azure, lab.speedup if lab else 1.0, lab is not None
            )
        yield


def _source_values(target: Any, lab_dir: Path | None) -> dict[str, Any]:
    """The playbook's target as the values ``open_sources`` reads from the command line."""
    from migrator.sources.manifests.reader import DEFAULT_MAX_FILE_SIZE

    throwaway = bool(target.lab) and lab_dir is None
    live = bool(target.cluster) or throwaway or lab_dir is not None
    return {
        "manifests": tuple(target.manifests),
        "default_namespace": "default",
        "max_file_size": DEFAULT_MAX_FILE_SIZE,
        "cluster": live,
        "context": target.context,
        "kubeconfig": target.kubeconfig,
        "namespaces": tuple(target.namespaces) if live else (),
        "all_namespaces": live and not target.namespaces,
        "lab_dir": lab_dir,
        "throwaway_lab": throwaway,
        "cluster_id": target.cluster_id,
        "resource_group": None,
        "aks_name": None,
        "subscription": None,
    }


def _target_dict(target: Any) -> dict[str, Any]:
    return {
        "manifests": list(target.manifests),
        "cluster": bool(target.cluster),
        "context": target.context,
        "namespaces": list(target.namespaces),
        "clusterID": target.cluster_id,
        "lab": bool(target.lab),
    }


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# -- the phases ------------------------------------------------------------------------------------


def _discover(run: _Run, options: dict[str, Any]) -> PhaseOutcome:
    inventory = run.sources.inventory
    errors = [f for f in inventory.findings if f.severity == "error"]
    warnings = [f for f in inventory.findings if f.severity == "warning"]
    summary = (
        f"{len(inventory.identities)} identities, {len(inventory.bindings)} bindings, "
        f"{len(inventory.workloads)} workloads; {len(errors)} error(s), {len(warnings)} warning(s)"
    )
    details = [f"{f.severity} {f.code}: {f.message}" for f in errors + warnings]
    data = {"findings": [f.to_dict() for f in inventory.findings], "stats": dict(inventory.stats)}
    return PhaseOutcome("discover", PASSED, summary, details, data=data)


def _plan(run: _Run, options: dict[str, Any]) -> PhaseOutcome:
    """The plan every later phase reads; error findings stop the run before anything changes."""
    plan = run.plan
    if options.get("out"):
        from migrator.storage.planfile import write_plan

        write_plan(str(options["out"]), plan.to_dict())
    errors = [f for f in plan.findings if f.severity == "error"]
    summary = (
        f"{len(plan.workloads)} workloads, {len(plan.serviceAccounts)} ServiceAccounts, "
        f"{len(plan.federatedCredentials)} federated credentials"
        + (f"; written to {options['out']}" if options.get("out") else "")
    )
    if errors:
        details = [f"{f.code}: {f.message}" for f in errors]
        return PhaseOutcome(
            "plan",
            FAILED,
            f"{summary}; {len(errors)} error finding(s): fix them (or leave those workloads out) first",
            details,
            EXIT_FINDINGS,
            data=plan.to_dict(),
        )
    return PhaseOutcome("plan", PASSED, summary, data=plan.to_dict())


def _export(run: _Run, options: dict[str, Any]) -> PhaseOutcome:
    from migrator.export import render
    from migrator.storage.atomic import write_text

    try:
        text = render(run.plan, options["format"])
    except ValueError as exc:
        return PhaseOutcome("export", FAILED, str(exc), exit_code=EXIT_FINDINGS)
    count = len(run.plan.federatedCredentials)
    if run.settings.dry_run:
        summary = f"{count} federated credential(s) as {options['format']}; {options['out']} not written (dry run)"
        return PhaseOutcome("export", PASSED, summary)
    write_text(str(options["out"]), text)
    return PhaseOutcome("export", PASSED, f"{count} federated credential(s) as {options['format']} in {options['out']}")


def _rewrite(run: _Run, options: dict[str, Any]) -> PhaseOutcome:
    from migrator.cli.options import load_tree
    from migrator.cli.rewrite_cmd import _data, _diffs
    from migrator.phases.rewrite import run_rewrite
    from migrator.rewrite.phases import PhaseOptions
    from migrator.sources.manifests.reader import DEFAULT_MAX_FILE_SIZE
    from migrator.storage import tree as trees

    manifests = tuple(run.playbook.target.manifests)
    write = "diff" if run.settings.dry_run else options.get("write", "diff")
    phase = PhaseOptions(options.get("phase", "migrate"), tuple(options.get("workloads") or ()), "default")
    loaded = load_tree(manifests, "default", DEFAULT_MAX_FILE_SIZE, False)
    result = run_rewrite(loaded, phase, run.playbook.plan_options(), DEFAULT_MAX_FILE_SIZE)
    if write != "diff" and result.pending:
        from migrator.cli.apply_flow import confirm

        files = sum(1 for f in result.files if f.status in ("changed", "created", "deleted"))
        confirm(files, run.settings.yes, "Write")
    if write == "in-place":
        trees.write_in_place(result.files)
    elif write == "out-dir":
        trees.check_out_dir(manifests[0], str(options["outDir"]))
        trees.write_copy(manifests[0], str(options["outDir"]), result.files)
    diffs = _diffs(result) if write == "diff" else {}
    data = _data(result, write, diffs)
    counts = data["summary"]
    summary = (
        f"phase {result.phase}: {counts['changed']} changed, {counts['created']} created, "
        f"{counts['deleted']} deleted, {counts['failed']} failed of {counts['examined']} files"
        + (" (diff only)" if write == "diff" else "")
    )
    failed = [f"{f.path}: {f.message}" for f in result.files if f.status == "failed"]
    errors = [f"{f.code}: {f.message}" for f in result.findings if f.severity == "error"]
    if run.table and diffs:
        from migrator.cli.rewrite_cmd import _print_diff

        _print_diff("".join(diffs.values()))
    status = FAILED if failed or errors else PASSED
    return PhaseOutcome("rewrite", status, summary, failed + errors, EXIT_FINDINGS if status == FAILED else 0, data)


def _apply(phases: tuple[str, ...], name: str) -> Callable[[_Run, dict[str, Any]], PhaseOutcome]:
    def phase(run: _Run, options: dict[str, Any]) -> PhaseOutcome:
        from migrator.cli import apply_render
        from migrator.cli.apply_flow import ApplyRequest, run_apply

        live = _live(run, azure="federate" in phases)
        request = ApplyRequest(
            phases,
            run.settings.dry_run,
            run.settings.yes,
            bool(options.get("force")),
            float(options.get("propagationWait", 10)),
            run.settings.journal_dir,
            run.settings.output,
            run.target(),
        )
        report = run_apply(run.plan, live, request)
        if run.table:
            apply_render.print_report(report, name.capitalize())
        details = _attention(report)
        return _outcome(name, _code(run, report), _counts(report), details, report.to_dict(), report.journal)

    return phase


def _verify(run: _Run, options: dict[str, Any]) -> PhaseOutcome:
    from migrator.cli import verify_render
    from migrator.cli.verify_flow import run_verify

    live = _live(run, azure=run.sources.cluster_id is not None)
    request = _verify_request(run, options)
    report = run_verify(run.plan, live, run.issuer, request, run.sources.lab)
    if run.table:
        verify_render.print_report(report, next_step=None)
    passed = sum(1 for v in report.verdicts if v.passed)
    summary = f"{passed} of {len(report.verdicts)} workload(s) passed every check"
    if not report.verdicts:
        summary = "nothing to verify: no workload in the plan (none uses pod identity, or none was selected)"
    details = _failed_checks(report)
    return _outcome("verify", report.exit_code, summary, details, report.to_dict(), report.journal)


def _cleanup(run: _Run, options: dict[str, Any]) -> PhaseOutcome:
    from migrator.cli.cleanup_cmd import print_report, run_cleanup
    from migrator.cli.live_plan import LivePlan
    from migrator.core.cleanup_facts import CleanupOptions

    live = _live(run, azure=run.sources.cluster_id is not None)
    policy = options.get("networkPolicy", "none")
    cleanup_options = CleanupOptions(
        disable_addon=bool(options.get("disableAddon")),
        network_policies=policy != "none",
        apply_network_policies=policy == "apply",
        force=bool(options.get("force")),
    )
    where = str(options["networkPolicyFile"]) if policy == "file" else None
    lp = LivePlan(run.plan, live, run.issuer, run.sources.lab, run.sources.cluster_id)
    s = run.settings
    report = run_cleanup(lp, cleanup_options, s.dry_run, s.yes, s.journal_dir, s.output, where)
    if run.table:
        print_report(report)
    counts = _counts(report, "nothing to clean up")
    details = [f"refused {r.ref}: {r.reason}" for r in report.plan.refusals] + _attention(report)
    code = report.exit_code if report.plan.refusals else _code(run, report)
    return _outcome("cleanup", code, counts, details, report.to_dict(), report.journal)


def _retire(run: _Run, options: dict[str, Any]) -> PhaseOutcome:
    from migrator.cli import apply_render, verify_render
    from migrator.cli.retire_flow import run_retire
    from migrator.core.sidecar import parse_workload_ref

    try:
        refs = list(dict.fromkeys(parse_workload_ref(w) for w in options.get("workloads") or ()))
    except ValueError as exc:
        raise InputError(f"retire-sidecar workloads: {exc}") from None
    live = _live(run, azure=run.sources.cluster_id is not None)
    request = _verify_request(run, {"wait": 300, **options})
    s = run.settings
    outcome = run_retire(live, run.sources.lab, refs, request, dry_run=s.dry_run, yes=s.yes, force=False)
    report, verification = outcome.report, outcome.verification
    if run.table:
        apply_render.print_report(report, "Retire sidecar")
        if verification is not None:
            verify_render.print_report(verification, next_step=None)
    code = _code(run, report) or (verification.exit_code if verification is not None else 0)
    counts = _counts(report)
    if verification is not None:
        counts += "; verified again: " + ("passed" if verification.passed else "failed")
    data = {**report.to_dict(), "verification": verification.to_dict() if verification is not None else None}
    details = _attention(report) + (_failed_checks(verification) if verification is not None else [])
    return _outcome("retire-sidecar", code, counts, details, data, outcome.journal)


_STATUSES = ("done", "would change", "unchanged", "blocked", "skipped", "failed")
_ATTENTION = ("blocked", "skipped", "failed")


def _counts(report: Any, nothing: str = "nothing to change") -> str:
    return ", ".join(f"{report.count(s)} {s}" for s in _STATUSES if report.count(s)) or nothing


def _attention(report: Any) -> list[str]:
    """The steps a reader must look at: blocked, skipped or failed."""
    return [f"{r.status}: {r.message} ({r.detail})" for r in report.results if r.status in _ATTENTION]


def _failed_checks(verification: Any) -> list[str]:
    return [f"{v.ref}: {c.name} ({c.cause}): {c.detail}" for v in verification.verdicts for c in v.failed]


def _code(run: _Run, report: Any) -> int:
    """A change phase's exit code; in a dry run, changes pending are what was asked for, not a failure."""
    code = report.exit_code
    if run.settings.dry_run and code == EXIT_FINDINGS and not any(report.count(s) for s in _ATTENTION):
        return 0
    return code


def _outcome(name: str, code: int, summary: str, details: list[str], data: dict, journal: Any) -> PhaseOutcome:
    status = PASSED if code == 0 else FAILED
    return PhaseOutcome(name, status, summary, details, code, data, str(journal) if journal else None)


def _live(run: _Run, *, azure: bool) -> Any:
    """The connections a phase needs; Azure is connected on first need (a lab's, or az login's)."""
    if run.live is None:
        raise InputError(
            "This phase needs a cluster, and the playbook's target reads none.",
            hint="Set target.cluster: true (or target.lab: true), or run with --lab / --context.",
        )
    if azure and run.live.azure is None:
        from migrator.adapters.azure.connect import connect

        run.live.azure = connect(lab=run.sources.lab)
    return run.live


def _verify_request(run: _Run, options: dict[str, Any]) -> Any:
    from migrator.cli.verify_flow import VerifyRequest
    from migrator.core.durations import parse_duration

    return VerifyRequest(
        bool(options.get("tokenExchange")),
        parse_duration(options.get("wait", 0)),
        parse_duration(options.get("interval", 10)),
        None,
        run.settings.journal_dir,
        run.settings.output,
        run.target(),
    )


PHASES: dict[str, Callable[[_Run, dict[str, Any]], PhaseOutcome]] = {
    "discover": _discover,
    "plan": _plan,
    "export": _export,
    "rewrite": _rewrite,
    "federate": _apply(("federate",), "federate"),
    "serviceaccounts": _apply(("serviceaccounts",), "serviceaccounts"),
    "workloads": _apply(("workloads",), "workloads"),
    "apply": _apply(APPLY_PHASES, "apply"),
    "verify": _verify,
    "cleanup": _cleanup,
    "retire-sidecar": _retire,
}

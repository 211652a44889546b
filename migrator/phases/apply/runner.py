"""The apply workflow: validate everything, observe everything, then change things in phase order.

Modelled on azwi's phase workflow: named phases, ``--only`` to pick some, inputs validated for
every selected phase before the first write, and "already exists" / "not found" handled as the
normal outcomes of idempotent steps. A resumed run skips what its journal records as done and
finishes what it records as begun, keeping the prior values written the first time.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from migrator.core.changes import FEDERATE, PHASES, SERVICE_ACCOUNTS, WORKLOADS, Change
from migrator.core.plan import Plan
from migrator.errors import EXIT_FAILED, EXIT_FINDINGS, InputError, ServiceError
from migrator.phases.apply import federate, serviceaccounts, workloads
from migrator.phases.apply.context import (
    BLOCKED,
    DONE,
    FAILED,
    PENDING,
    SKIPPED,
    UNCHANGED,
    ApplyContext,
)
from migrator.phases.apply.steps import StepResult


@dataclass
class ApplyReport:
    run_id: str
    dry_run: bool
    results: list[StepResult] = field(default_factory=list)
    journal: Path | None = None
    waited: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def exit_code(self) -> int:
        """3 when a change failed; 1 when one was blocked (or, dry run, when changes are pending); else 0."""
        if self.count(FAILED):
            return EXIT_FAILED
        if self.count(BLOCKED) or self.count(SKIPPED) or (self.dry_run and self.count(PENDING)):
            return EXIT_FINDINGS
        return 0

    def to_dict(self) -> dict:
        return {
            "runId": self.run_id,
            "dryRun": self.dry_run,
            "journal": str(self.journal) if self.journal else None,
            "summary": {s: self.count(s) for s in (DONE, PENDING, UNCHANGED, BLOCKED, SKIPPED, FAILED)},
            "steps": [r.__dict__ for r in self.results],
        }


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ-", time.gmtime()) + uuid.uuid4().hex[:8]


def validate(plan: Plan, ctx: ApplyContext) -> None:
    """Refuse before any change when a selected phase cannot work at all."""
    problems = []
    selected = ctx.options.phases
    unknown = [p for p in selected if p not in PHASES]
    if unknown:
        problems.append(f"unknown phase(s) {', '.join(unknown)}; phases are {', '.join(PHASES)}")
    if FEDERATE in selected and plan.federatedCredentials:
        if plan.issuerPlaceholder:
            problems.append(
                "the plan has no OIDC issuer (it says ${AKS_OIDC_ISSUER}); give --cluster-id so it is read "
                "from AKS, or --issuer URL exactly as `az aks show --query oidcIssuerProfile.issuerUrl` prints it"
            )
        if ctx.identities is None:
            problems.append("the federate phase needs Azure: give --cluster-id or -g/--name (or --lab)")
    if (SERVICE_ACCOUNTS in selected or WORKLOADS in selected) and ctx.kube is None:
        problems.append("the serviceaccounts and workloads phases need the cluster: give --cluster (or --lab)")
    if problems:
        raise InputError("Cannot apply: " + "; ".join(problems) + ".")


def observe(plan: Plan, ctx: ApplyContext) -> dict[str, list[Change]]:
    """Every selected phase's changes, reading only; done steps of a resumed run are left out."""
    skip = _finished(ctx)
    selected = ctx.options.phases
    observed: dict[str, list[Change]] = {}
    if FEDERATE in selected:
        observed[FEDERATE] = federate.observe(ctx, plan, skip)
    if SERVICE_ACCOUNTS in selected:
        observed[SERVICE_ACCOUNTS] = serviceaccounts.observe(ctx, plan, skip)
    if WORKLOADS in selected:
        observed[WORKLOADS] = workloads.observe(ctx, plan, skip)
    return observed


def execute(plan: Plan, ctx: ApplyContext, observed: dict[str, list[Change]]) -> ApplyReport:
    report = ApplyReport(ctx.run_id, ctx.options.dry_run, journal=ctx.journal.path if ctx.journal else None)
    resumed = _resumed(ctx)
    bad: set[str] = set()
    for phase in PHASES:
        changes = observed.get(phase)
        if changes is None:
            continue
        ctx.reporter.phase(phase, sum(1 for c in changes if c.pending))
        runnable = []
        for change in changes:
            broken = [d for d in change.depends if d in bad]
            if change.pending and broken:
                result = StepResult.of(change, SKIPPED, f"needs {', '.join(broken)}, which did not succeed")
                report.results.append(result)
                bad.add(change.key)
            elif change.pending:
                runnable.append(change)
            else:
                status = BLOCKED if change.action == "blocked" else UNCHANGED
                report.results.append(StepResult.of(change, status))
                if status == BLOCKED:
                    bad.add(change.key)
                elif change.key in resumed and ctx.journal is not None and not ctx.options.dry_run:
                    # the interrupted run made this change but could not record it: record it now
                    ctx.journal.append({"type": "done", "seq": resumed[change.key]["seq"], "detail": "confirmed"})
        results = _run_phase(phase, plan, ctx, runnable, resumed)
        report.results.extend(results)
        bad.update(r.key for r in results if r.status == FAILED)
        if phase == FEDERATE and WORKLOADS in observed and any(r.status == DONE for r in results):
            report.waited = _propagation_wait(ctx)
    if ctx.journal is not None and not ctx.options.dry_run:
        status = "failed" if report.count(FAILED) else "completed"
        ctx.journal.append({"type": "end", "status": status, "at": _now()})
    return report


def _run_phase(
    phase: str, plan: Plan, ctx: ApplyContext, changes: list[Change], resumed: dict[str, dict]
) -> list[StepResult]:
    if not changes:
        return []
    if ctx.options.dry_run:
        return _dry_run(phase, plan, ctx, changes)
    if phase == FEDERATE:
        return federate.execute(ctx, changes, resumed)
    if phase == SERVICE_ACCOUNTS:
        return serviceaccounts.execute(ctx, plan, changes, resumed)
    return workloads.execute(ctx, plan, changes, resumed)


def _dry_run(phase: str, plan: Plan, ctx: ApplyContext, changes: list[Change]) -> list[StepResult]:
    """Azure has no dry run: credentials are listed. Kubernetes checks each write server-side (dryRun=All)."""
    if phase == FEDERATE:
        return [StepResult.of(change, PENDING) for change in changes]
    write = (serviceaccounts if phase == SERVICE_ACCOUNTS else workloads).writer(ctx, plan)
    results = []
    for change in changes:
        try:
            write(change)
            results.append(StepResult.of(change, PENDING, "the API server accepts it (dry run)"))
        except ServiceError as exc:  # reported per change; a dry run never stops early
            results.append(StepResult.of(change, FAILED, f"the API server would refuse it: {exc.message}"))
        ctx.reporter.step(change, results[-1].status, results[-1].detail)
    return results


def _propagation_wait(ctx: ApplyContext) -> float:
    wait = ctx.options.propagation_wait / max(ctx.options.time_scale, 1e-9)
    if wait > 0:
        ctx.reporter.note(
            f"Waiting {ctx.options.propagation_wait:g}s for the new federated credentials to propagate in Entra ID"
        )
        ctx.sleep(wait)
    return wait


def _finished(ctx: ApplyContext) -> set[str]:
    if ctx.journal is None:
        return set()
    state = ctx.journal.state()
    return {key for key in state.intents if state.finished(key)}


def _resumed(ctx: ApplyContext) -> dict[str, dict]:
    """Intents of the interrupted run that never got an outcome (or failed): finished now, same prior."""
    if ctx.journal is None:
        return {}
    state = ctx.journal.state()
    return {key: intent for key, intent in state.intents.items() if not state.finished(key)}


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

"""The cleanup workflow: observe everything, decide (pure), then change things in phase order, journaled.

Each change goes through ``phases.apply.steps.run_step``: its intent (with the object's full prior
state) is on disk before the write, its outcome after. A change whose dependency failed (an
identity whose binding could not be deleted) is skipped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from migrator.core.changes import BLOCKED as BLOCKED_ACTION
from migrator.core.changes import CLEANUP_PHASES, LABELS, POD_IDENTITY_PROFILE, Change, workload_key
from migrator.core.cleanup import plan_cleanup
from migrator.core.cleanup_facts import CleanupPlan
from migrator.core.plan import Plan
from migrator.errors import EXIT_FINDINGS, ServiceError
from migrator.phases.apply.context import BLOCKED, FAILED, PENDING, SKIPPED, UNCHANGED, ApplyContext
from migrator.phases.apply.runner import ApplyReport
from migrator.phases.apply.steps import StepResult, run_step
from migrator.phases.cleanup import writers
from migrator.phases.cleanup.context import CleanupSettings
from migrator.phases.cleanup.observe import observe


@dataclass
class CleanupReport(ApplyReport):
    plan: CleanupPlan = field(default_factory=CleanupPlan)

    @property
    def exit_code(self) -> int:
        """As apply's; and 1 when a workload was refused."""
        code = super().exit_code
        return EXIT_FINDINGS if code == 0 and self.plan.refusals else code

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "verified": list(self.plan.verified),
            "refused": [r.to_dict() for r in self.plan.refusals],
            "notes": [n.to_dict() for n in self.plan.notes],
            "stillUsing": [u.__dict__ for u in self.plan.users],
            "unprotectedNamespaces": list(self.plan.unprotected),
        }


def prepare(ctx: ApplyContext, plan: Plan, settings: CleanupSettings) -> CleanupPlan:
    """Observe (reads only) and decide."""
    facts = observe(ctx, plan, settings)
    decided = plan_cleanup(facts, settings.options)
    for change in decided.changes:
        if change.phase == LABELS:
            key = workload_key(change.target["namespace"], change.target["kind"], change.target["name"])
            change.target["verifiedGeneration"] = (facts.verdicts.get(key) or {}).get("generation")
    return decided


def execute(ctx: ApplyContext, decided: CleanupPlan) -> CleanupReport:
    report = CleanupReport(
        ctx.run_id, ctx.options.dry_run, journal=ctx.journal.path if ctx.journal else None, plan=decided
    )
    bad: set[str] = set()
    for phase in CLEANUP_PHASES:
        changes = [c for c in decided.changes if c.phase == phase]
        ctx.reporter.phase(phase, sum(1 for c in changes if c.pending))
        for change in changes:
            broken = [d for d in change.depends if d in bad]
            if change.pending and broken:
                result = StepResult.of(change, SKIPPED, f"needs {', '.join(broken)}, which did not succeed")
            elif change.pending:
                result = _run(ctx, change)
            else:
                result = StepResult.of(change, BLOCKED if change.action == BLOCKED_ACTION else UNCHANGED)
            report.results.append(result)
            if result.status in (BLOCKED, SKIPPED, FAILED):
                bad.add(change.key)
    if ctx.journal is not None and not ctx.options.dry_run:
        status = "failed" if report.count(FAILED) else "completed"
        ctx.journal.append({"type": "end", "status": status, "at": _now()})
    return report


def _run(ctx: ApplyContext, change: Change) -> StepResult:
    if not ctx.options.dry_run:
        return run_step(ctx, change, lambda: writers.write(ctx, change))
    if change.phase == POD_IDENTITY_PROFILE:  # Azure has no dry run: the change is listed
        result = StepResult.of(change, PENDING, "listed only (ARM has no dry run)")
    else:
        try:
            writers.write(ctx, change)
            result = StepResult.of(change, PENDING, "the API server accepts it (dry run)")
        except ServiceError as exc:  # reported per change; a dry run never stops early
            result = StepResult.of(change, FAILED, f"the API server would refuse it: {exc.message}")
    ctx.reporter.step(change, result.status, result.detail)
    return result


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

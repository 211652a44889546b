"""One journaled change: the intent is on disk before the write, the outcome after it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from migrator.core.changes import Change
from migrator.errors import ServiceError
from migrator.phases.apply.context import DONE, FAILED, ApplyContext


@dataclass
class StepResult:
    key: str
    phase: str
    action: str
    status: str
    message: str
    detail: str = ""

    @classmethod
    def of(cls, change: Change, status: str, detail: str = "") -> StepResult:
        return cls(change.key, change.phase, change.action, status, change.message, detail)


def intent_record(change: Change) -> dict:
    return {
        "type": "intent",
        "key": change.key,
        "phase": change.phase,
        "action": change.action,
        "target": change.target,
        "prior": change.prior,
        "desired": change.desired,
    }


def run_step(ctx: ApplyContext, change: Change, act: Callable[[], str], resumed: dict | None = None) -> StepResult:
    """Journal the intent (or continue ``resumed``, the interrupted run's), act, journal the outcome.

    ``act`` returns a detail for the report; a ServiceError is journaled as failed and reported,
    anything else (a crash, Ctrl-C) leaves the intent without outcome for ``--resume``.
    """
    assert ctx.journal is not None
    intent = resumed or ctx.journal.append(intent_record(change))
    ctx.mark("before-change", change)
    try:
        detail = act()
    except ServiceError as exc:
        seq = ctx.journal.latest_seq(change.key) or intent["seq"]
        ctx.journal.append({"type": "failed", "seq": seq, "error": exc.message})
        result = StepResult.of(change, FAILED, exc.message)
        ctx.reporter.step(change, FAILED, exc.message)
        return result
    ctx.mark("after-change", change)
    ctx.journal.append({"type": "done", "seq": ctx.journal.latest_seq(change.key) or intent["seq"], "detail": detail})
    ctx.reporter.step(change, DONE, detail)
    return StepResult.of(change, DONE, detail)


def run_steps(
    ctx: ApplyContext, changes: list[Change], write: Callable[[Change], str], resumed: dict[str, dict]
) -> list[StepResult]:
    """``run_step`` for each pending change, in order."""
    return [run_step(ctx, c, lambda c=c: write(c), resumed.get(c.key)) for c in changes if c.pending]

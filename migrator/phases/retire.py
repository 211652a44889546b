"""``wimigrate retire-sidecar``: remove the proxy sidecar annotations, journaled, then verify again."""

from __future__ import annotations

from collections.abc import Callable

from migrator.adapters.kube.resources import workload_resource
from migrator.core.changes import NONE, Change
from migrator.core.ownership import manager_of
from migrator.core.sidecar import retirement_change
from migrator.errors import Conflict
from migrator.phases.apply.context import ApplyContext
from migrator.phases.apply.steps import StepResult, run_steps

CONFLICT_RETRIES = 5
Ref = tuple[str, str, str]


def observe(ctx: ApplyContext, refs: list[Ref]) -> list[Change]:
    assert ctx.kube is not None
    return [_change(ctx, ref) for ref in refs]


def execute(ctx: ApplyContext, changes: list[Change]) -> list[StepResult]:
    return run_steps(ctx, changes, writer(ctx), {})


def writer(ctx: ApplyContext) -> Callable[[Change], str]:
    """Patches one template (server-side dry run with ``--dry-run``); a 409 re-reads and recomputes."""

    def write(change: Change) -> str:
        assert ctx.kube is not None
        t = change.target
        ref = (t["namespace"], t["kind"], t["name"])
        for _ in range(CONFLICT_RETRIES):
            try:
                ctx.kube.patch(
                    workload_resource(t["kind"]),
                    t["namespace"],
                    t["name"],
                    change.desired,
                    "strategic",
                    dry_run=ctx.options.dry_run,
                )
                return "patched; " + t.get("rollout", "its pods roll")
            except Conflict:
                again = _change(ctx, ref)
                if again.action == NONE:
                    return "already retired"
                if not again.pending:
                    raise Conflict(again.message) from None
                change.desired = again.desired
        raise Conflict(f"{'/'.join(ref)} kept changing under us; run retire-sidecar again")

    return write


def _change(ctx: ApplyContext, ref: Ref) -> Change:
    assert ctx.kube is not None
    namespace, kind, name = ref
    current = ctx.kube.find(workload_resource(kind), namespace, name)
    return retirement_change(
        namespace, kind, name, current, manager=manager_of(current) if current else None, force=ctx.options.force
    )

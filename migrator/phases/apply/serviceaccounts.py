"""Phase ``serviceaccounts``: create the planned ServiceAccounts, or annotate existing ones."""

from __future__ import annotations

from collections.abc import Callable

from migrator.adapters.kube.resources import SERVICE_ACCOUNTS
from migrator.core.changes import (
    CREATE,
    CREATED_BY_ANNOTATION,
    NONE,
    Change,
    service_account_change,
    service_account_key,
)
from migrator.core.fields import dig
from migrator.core.plan import Plan, PlannedServiceAccount
from migrator.errors import AlreadyExists, Conflict
from migrator.phases.apply.context import ApplyContext
from migrator.phases.apply.steps import StepResult, intent_record, run_steps

CONFLICT_RETRIES = 5


def observe(ctx: ApplyContext, plan: Plan, skip: set[str]) -> list[Change]:
    assert ctx.kube is not None
    changes = []
    for planned in plan.serviceAccounts:
        current = ctx.kube.find(SERVICE_ACCOUNTS, planned.namespace, planned.name)
        change = service_account_change(planned, current, ctx.run_id, force=ctx.options.force)
        if change.key not in skip:
            changes.append(change)
    return changes


def execute(ctx: ApplyContext, plan: Plan, changes: list[Change], resumed: dict[str, dict]) -> list[StepResult]:
    return run_steps(ctx, changes, writer(ctx, plan), resumed)


def writer(ctx: ApplyContext, plan: Plan) -> Callable[[Change], str]:
    """Makes one change of this phase (a server-side dry run with ``--dry-run``)."""
    planned = {service_account_key(p.namespace, p.name): p for p in plan.serviceAccounts}
    return lambda change: write(ctx, planned[change.key], change)


def write(ctx: ApplyContext, planned: PlannedServiceAccount, change: Change) -> str:
    """Create or patch; a create that finds the object, or a patch on a stale version, reads and decides again."""
    assert ctx.kube is not None
    for _ in range(CONFLICT_RETRIES):
        try:
            if change.action == CREATE:
                ctx.kube.create(SERVICE_ACCOUNTS, planned.namespace, change.desired, dry_run=ctx.options.dry_run)
                return "created"
            ctx.kube.patch(
                SERVICE_ACCOUNTS, planned.namespace, planned.name, change.desired, "merge", dry_run=ctx.options.dry_run
            )
            return "annotated"
        except (AlreadyExists, Conflict):
            current = ctx.kube.find(SERVICE_ACCOUNTS, planned.namespace, planned.name)
            if change.action == CREATE and dig(current, "metadata", "annotations", CREATED_BY_ANNOTATION) == ctx.run_id:
                return "created"  # our create went through; only its answer was lost
            again = service_account_change(planned, current, ctx.run_id, force=ctx.options.force)
            if again.action == NONE:
                return "already as planned"
            if again.action != change.action and ctx.journal is not None:
                ctx.journal.append(intent_record(again))  # someone else created it: now a patch, with its prior
            change.action, change.prior, change.desired = again.action, again.prior, again.desired
    raise Conflict(f"ServiceAccount {planned.namespace}/{planned.name} kept changing under us; run apply again")

"""Phase ``workloads``: patch each workload's pod template so its pods roll onto workload identity.

Strategic merge patches carrying the object's resourceVersion: a 409 means someone changed it
since we read it, so read it again and recompute (never blindly overwrite). Objects that a
GitOps tool or another controller owns are left alone unless ``--force``.
"""

from __future__ import annotations

from collections.abc import Callable

from migrator.adapters.kube.resources import workload_resource
from migrator.core.changes import (
    NONE,
    Change,
    credential_key,
    service_account_key,
    workload_change,
    workload_key,
)
from migrator.core.ownership import manager_of
from migrator.core.plan import Plan, PlannedWorkload
from migrator.errors import Conflict
from migrator.phases.apply.context import ApplyContext
from migrator.phases.apply.steps import StepResult, run_steps

CONFLICT_RETRIES = 5


def observe(ctx: ApplyContext, plan: Plan, skip: set[str]) -> list[Change]:
    assert ctx.kube is not None
    changes = []
    for planned in plan.workloads:
        change = _change(
            ctx, plan, planned, ctx.kube.find(workload_resource(planned.kind), planned.namespace, planned.name)
        )
        if change.key not in skip:
            changes.append(change)
    return changes


def execute(ctx: ApplyContext, plan: Plan, changes: list[Change], resumed: dict[str, dict]) -> list[StepResult]:
    return run_steps(ctx, changes, writer(ctx, plan), resumed)


def writer(ctx: ApplyContext, plan: Plan) -> Callable[[Change], str]:
    """Makes one change of this phase (a server-side dry run with ``--dry-run``)."""
    planned = {workload_key(w.namespace, w.kind, w.name): w for w in plan.workloads}
    return lambda change: write(ctx, plan, planned[change.key], change)


def dependencies(plan: Plan, w: PlannedWorkload) -> list[str]:
    """The credential for its ServiceAccount's subject (its primary identity) and the ServiceAccount."""
    subject = f"system:serviceaccount:{w.namespace}:{w.serviceAccountName}"
    keys = [
        credential_key(c)
        for c in plan.federatedCredentials
        if c.subject == subject and c.identityClientID == w.clientID
    ]
    if any(s.namespace == w.namespace and s.name == w.serviceAccountName for s in plan.serviceAccounts):
        keys.append(service_account_key(w.namespace, w.serviceAccountName))
    return keys


def _change(ctx: ApplyContext, plan: Plan, planned: PlannedWorkload, current: dict | None) -> Change:
    return workload_change(
        planned,
        current,
        manager=manager_of(current) if current else None,
        force=ctx.options.force,
        depends=dependencies(plan, planned),
    )


def write(ctx: ApplyContext, plan: Plan, planned: PlannedWorkload, change: Change) -> str:
    assert ctx.kube is not None
    resource = workload_resource(planned.kind)
    for _ in range(CONFLICT_RETRIES):
        try:
            ctx.kube.patch(
                resource, planned.namespace, planned.name, change.desired, "strategic", dry_run=ctx.options.dry_run
            )
            return "patched; " + change.target.get("rollout", "its pods roll")
        except Conflict:
            again = _change(ctx, plan, planned, ctx.kube.find(resource, planned.namespace, planned.name))
            if again.action == NONE:
                return "already as planned"
            if not again.pending:
                raise Conflict(again.message) from None
            change.desired = again.desired
    raise Conflict(f"{planned.ref} kept changing under us; run apply again")

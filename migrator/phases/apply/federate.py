"""Phase ``federate``: federated identity credentials in Azure, paced below Azure's write limits.

Writes under one identity go strictly one at a time (Azure answers 409 to concurrent ones);
identities proceed in parallel. Every write first reserves a slot with the rate limiter for its
subscription and its identity, so a run never provokes a 429 (azure-core still retries one,
honouring Retry-After, should another client spend the budget).
"""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from migrator.core.changes import (
    BLOCKED,
    CREATE,
    FEDERATE,
    Change,
    credential_change,
    credential_key,
    credential_target,
)
from migrator.core.plan import Plan, PlannedCredential
from migrator.core.ratelimit import FIC_WRITES_PER_SECOND, RateLimiter
from migrator.core.resource_ids import identity_id
from migrator.errors import NotFound, ServiceError
from migrator.phases.apply.context import ApplyContext
from migrator.phases.apply.steps import StepResult, run_step

READS_PER_SECOND = {"subscription": 10.0, "identity": 0.5}


def observe(ctx: ApplyContext, plan: Plan, skip: set[str]) -> list[Change]:
    """One list of existing credentials per identity (paced to ARM's read limits), then the diff."""
    by_identity: dict[str, list[PlannedCredential]] = defaultdict(list)
    for planned in plan.federatedCredentials:
        by_identity[(planned.identityResourceID or planned.identityClientID).lower()].append(planned)
    limiter = RateLimiter(READS_PER_SECOND, ctx.options.time_scale)

    def one(items: list[PlannedCredential]) -> list[Change]:
        wanted = [p for p in items if credential_key(p) not in skip]
        rid = items[0].identityResourceID
        if not wanted:
            return []
        if not rid or items[0].identityType != "managedIdentity" or ctx.identities is None:
            return [credential_change(p, []) for p in wanted]
        _wait(ctx, limiter, rid)
        try:
            existing = ctx.identities.credentials(rid)
        except NotFound:
            return [
                Change(
                    credential_key(p),
                    FEDERATE,
                    BLOCKED,
                    credential_target(p),
                    f"identity {rid} does not exist in Azure (create it, or fix the AzureIdentity's resourceID)",
                )
                for p in wanted
            ]
        except ServiceError as exc:
            return [Change(credential_key(p), FEDERATE, BLOCKED, credential_target(p), exc.message) for p in wanted]
        return [credential_change(p, existing) for p in wanted]

    groups = list(by_identity.values())
    with ThreadPoolExecutor(max_workers=max(1, min(ctx.options.workers, len(groups) or 1))) as pool:
        return [change for changes in pool.map(one, groups) for change in changes]


def execute(ctx: ApplyContext, changes: list[Change], resumed: dict[str, dict]) -> list[StepResult]:
    """Create the pending credentials: a worker per identity, writes paced per subscription and identity."""
    assert ctx.identities is not None
    identities = ctx.identities
    limiter = RateLimiter(FIC_WRITES_PER_SECOND, ctx.options.time_scale)
    per_identity: dict[str, list[Change]] = defaultdict(list)
    for change in changes:
        if change.action == CREATE:
            per_identity[change.target["identityResourceID"].lower()].append(change)

    def write(change: Change) -> str:
        t = change.target
        created, _ = identities.put_credential(
            t["identityResourceID"], t["name"], t["issuer"], t["subject"], t["audience"]
        )
        return "created" if created else "updated (it existed with the same name)"

    def worker(items: list[Change]) -> list[StepResult]:
        results = []
        for change in items:
            _wait(ctx, limiter, change.target["identityResourceID"])
            results.append(run_step(ctx, change, lambda c=change: write(c), resumed.get(change.key)))
        return results

    groups = list(per_identity.values())
    if not groups:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(ctx.options.workers, len(groups)))) as pool:
        return [r for results in pool.map(worker, groups) for r in results]


def _wait(ctx: ApplyContext, limiter: RateLimiter, resource_id: str) -> None:
    rid = identity_id(resource_id)
    subscription = rid.subscription if rid else ""
    start = limiter.reserve([("subscription", subscription), ("identity", resource_id)], ctx.clock())
    delay = start - ctx.clock()
    if delay > 0:
        ctx.sleep(delay)

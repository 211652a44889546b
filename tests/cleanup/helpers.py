"""Cleanup against a lab: verdicts journaled as ``verify`` would, cleanup run through its phases, and
snapshots of every pod-identity object, for comparing before, after and after rollback."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from migrator.adapters.azure.clusters import ClusterGateway
from migrator.adapters.kube import resources as R
from migrator.core.changes import workload_key
from migrator.core.cleanup_facts import SERVER_METADATA, CleanupOptions, CleanupPlan
from migrator.core.plan import Plan
from migrator.core.verification import FAIL, PASS, Check, WorkloadVerdict
from migrator.phases.apply.context import ApplyContext, ApplyOptions, Checkpoint
from migrator.phases.apply.rollback import RollbackReport, rollback
from migrator.phases.apply.runner import new_run_id
from migrator.phases.cleanup import runner
from migrator.phases.cleanup.context import CleanupSettings
from migrator.phases.cleanup.runner import CleanupReport
from migrator.storage.journal import Journal
from migrator.storage.verifications import record_verdicts
from tests.apply.world import SPEEDUP, World

POD_IDENTITY = (R.AZURE_IDENTITIES, R.AZURE_IDENTITY_BINDINGS, R.AZURE_POD_IDENTITY_EXCEPTIONS)
BINDING_LABEL = "aadpodidbinding"


@dataclass
class Cleanup:
    report: CleanupReport
    journal: Journal | None

    @property
    def statuses(self) -> dict[str, str]:
        return {r.key: r.status for r in self.report.results}

    @property
    def plan(self) -> CleanupPlan:
        return self.report.plan


def record(
    world: World, plan: Plan | None = None, *, failed: dict[str, Check] | None = None, generation: int = 0
) -> None:
    """A passing verdict per planned workload (``failed``: by ref, a failing check instead), at its current
    generation (+ ``generation``), journaled as ``wimigrate verify`` does."""
    plan = plan or world.plan
    verdicts = []
    for w in plan.workloads:
        current = world.workload(w.namespace, w.kind, w.name)
        check = (failed or {}).get(w.ref) or Check("rollout", PASS, "rolled out")
        verdicts.append(
            WorkloadVerdict(
                w.ref,
                workload_key(w.namespace, w.kind, w.name),
                w.mode,
                [check],
                generation=current["metadata"]["generation"] + generation,
            )
        )
    journal = Journal.create(world.journals, {"runId": new_run_id(), "command": "verify"})
    record_verdicts(journal, verdicts, token_exchange=False)


def failing(cause: str) -> Check:
    return Check("credential", FAIL, "no federated credential", cause=cause, fix="apply again")


def cleanup(
    world: World,
    plan: Plan | None = None,
    *,
    dry_run: bool = False,
    checkpoint: Checkpoint | None = None,
    **options: Any,
) -> Cleanup:
    """observe, decide, execute, with a cleanup journal (none for a dry run), as the CLI does after --yes."""
    plan = plan or world.plan
    opts = CleanupOptions(run_id=new_run_id(), **options)
    ctx = ApplyContext(
        world.kube,
        None,
        None,
        opts.run_id,
        ApplyOptions(dry_run=dry_run, time_scale=SPEEDUP),
        checkpoint=checkpoint,
        clusters=ClusterGateway(world.target),
    )
    decided = runner.prepare(ctx, plan, CleanupSettings(world.journals, world.info.cluster_id, opts))
    if not dry_run and decided.pending:
        ctx.journal = Journal.create(
            world.journals, {"runId": opts.run_id, "command": "cleanup", "plan": plan.to_dict()}
        )
    return Cleanup(runner.execute(ctx, decided), ctx.journal)


def undo(world: World, journal: Journal) -> RollbackReport:
    opened = Journal.open(journal.path)
    ctx = ApplyContext(
        world.kube,
        world.identities,
        opened,
        opened.header["runId"],
        ApplyOptions(time_scale=SPEEDUP),
        clusters=ClusterGateway(world.target),
    )
    return rollback(opened, ctx)


def pod_identity(world: World) -> dict[str, dict]:
    """Every AzureIdentity, binding and exception, without server fields: ``Kind ns/name`` -> object."""
    found = {}
    for resource in POD_IDENTITY:
        for obj in world.kube.list(resource):
            meta = obj["metadata"]
            found[f"{resource.kind} {meta['namespace']}/{meta['name']}"] = bare(obj)
    return found


def bare(obj: dict) -> dict:
    obj = copy.deepcopy(obj)
    for name in SERVER_METADATA:
        obj["metadata"].pop(name, None)
    obj.pop("status", None)
    return obj


def template_label(world: World, namespace: str, kind: str, name: str) -> Any:
    obj = world.workload(namespace, kind, name)
    template = obj["spec"]["jobTemplate"]["spec"]["template"] if kind == "CronJob" else obj["spec"]["template"]
    return (template["metadata"].get("labels") or {}).get(BINDING_LABEL)


def labelled_pods(world: World) -> list[str]:
    return sorted(
        f"{p['metadata']['namespace']}/{p['metadata']['name']}"
        for p in world.kube.list(R.PODS, None, BINDING_LABEL)
        if not p["metadata"].get("deletionTimestamp")
    )

"""``wimigrate rollback JOURNAL``: undo an apply run, newest change first.

Workloads and ServiceAccounts get the prior values of the fields the run touched; what the run
created (ServiceAccounts marked with its run id, credentials that did not exist before) is
deleted; nothing that existed before the run is ever deleted. Each undo is journaled
(``undone``), so an interrupted rollback continues where it stopped. Intents without an outcome
(the run crashed around that change) are undone too: every undo first checks the current state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from migrator.adapters.kube import resources as kube
from migrator.core.changes import (
    CREATE,
    CREATED_BY_ANNOTATION,
    FEDERATE,
    PATCH,
    SERVICE_ACCOUNTS,
    undo_service_account,
    undo_workload,
)
from migrator.core.fields import dig, mapping
from migrator.core.recognise import TEMPLATE_PATHS
from migrator.errors import InputError, ServiceError
from migrator.phases.apply.context import ApplyContext
from migrator.storage.journal import Journal

RESTORED, DELETED, NOTHING, FAILED = "restored", "deleted", "nothing to undo", "failed"


@dataclass
class UndoResult:
    key: str
    status: str
    detail: str = ""


@dataclass
class RollbackReport:
    dry_run: bool = False
    results: list[UndoResult] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 3 if any(r.status == FAILED for r in self.results) else 0

    def to_dict(self) -> dict:
        return {"dryRun": self.dry_run, "steps": [r.__dict__ for r in self.results]}


def rollback(journal: Journal, ctx: ApplyContext) -> RollbackReport:
    state = journal.state()
    run_id = journal.header.get("runId", "")
    report = RollbackReport(ctx.options.dry_run)
    intents = {record["seq"]: record for record in state.intents.values()}
    for seq in sorted(intents, reverse=True):
        if seq in state.undone:
            continue
        intent = intents[seq]
        try:
            status, detail = _undo(intent, ctx, run_id)
        except ServiceError as exc:
            report.results.append(UndoResult(intent["key"], FAILED, exc.message))
            ctx.reporter.note(f"{intent['key']}: {exc.message}")
            continue
        report.results.append(UndoResult(intent["key"], status, detail))
        if not ctx.options.dry_run:
            journal.append({"type": "undone", "seq": seq, "status": status})
    return report


def _undo(intent: dict, ctx: ApplyContext, run_id: str) -> tuple[str, str]:
    phase, action, target = intent["phase"], intent["action"], intent["target"]
    dry = ctx.options.dry_run
    from migrator.phases.cleanup import undo as cleanup_undo  # a cleanup journal: what it deleted comes back

    if cleanup_undo.handles(intent):
        return cleanup_undo.undo(intent, ctx, run_id)
    if phase == FEDERATE and action == CREATE:
        if ctx.identities is None:
            raise InputError("Rolling back federated credentials needs Azure: give --lab or sign in (az login).")
        what = f"federated credential {target['name']} on {target.get('identityName')}"
        if dry:
            return DELETED, what
        existed = ctx.identities.delete_credential(target["identityResourceID"], target["name"])
        return (DELETED, what) if existed else (NOTHING, f"{what}: already gone")
    if ctx.kube is None:
        raise InputError("Rolling back cluster changes needs the cluster: give --context/--kubeconfig (or --lab).")
    if phase == SERVICE_ACCOUNTS and action == CREATE:
        current = ctx.kube.find(kube.SERVICE_ACCOUNTS, target["namespace"], target["name"])
        if current is None:
            return NOTHING, "never created"
        if dig(current, "metadata", "annotations", CREATED_BY_ANNOTATION) != run_id:
            return NOTHING, "not created by this run; kept"
        ctx.kube.delete(
            kube.SERVICE_ACCOUNTS, target["namespace"], target["name"], uid=dig(current, "metadata", "uid"), dry_run=dry
        )
        return DELETED, f"ServiceAccount {target['namespace']}/{target['name']}"
    if phase == SERVICE_ACCOUNTS and action == PATCH:
        current = ctx.kube.find(kube.SERVICE_ACCOUNTS, target["namespace"], target["name"])
        if current is None:
            return NOTHING, "gone"
        annotations = mapping(dig(current, "metadata", "annotations"))
        if all(annotations.get(k) == v for k, v in (intent["prior"].get("annotations") or {}).items()):
            return NOTHING, "already as before"
        ctx.kube.patch(
            kube.SERVICE_ACCOUNTS,
            target["namespace"],
            target["name"],
            undo_service_account(intent["prior"]),
            "merge",
            dry_run=dry,
        )
        return RESTORED, f"ServiceAccount {target['namespace']}/{target['name']} annotations"
    if action == PATCH:
        kind = target["kind"]
        resource = kube.workload_resource(kind)
        current = ctx.kube.find(resource, target["namespace"], target["name"])
        if current is None:
            return NOTHING, "gone"
        if _as_before(kind, current, intent["prior"]):
            return NOTHING, "already as before"
        ctx.kube.patch(
            resource,
            target["namespace"],
            target["name"],
            undo_workload(kind, intent["prior"]),
            "strategic",
            dry_run=dry,
        )
        return RESTORED, f"{target['namespace']}/{kind}/{target['name']} pod template"
    return NOTHING, f"{action} needs no undo"


def _as_before(kind: str, current: dict, prior: dict) -> bool:
    path = TEMPLATE_PATHS[kind]
    template = mapping(dig(current, *path)) if path else current
    meta = mapping(template.get("metadata"))
    spec = mapping(template.get("spec"))
    checks = [
        (mapping(meta.get("labels")), prior.get("labels") or {}),
        (mapping(meta.get("annotations")), prior.get("annotations") or {}),
        (spec, prior.get("spec") or {}),
    ]
    return all(now.get(k) == v for now, before in checks for k, v in before.items())

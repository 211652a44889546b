"""What applying the plan would change, computed from the plan and the objects as they are (pure).

``diff`` here, ``sync`` in ``migrator.phases.apply``: each function takes the planned item and
the current object (or Azure's credentials) and returns one ``Change``: its action, the exact
patch or body, and the prior values of exactly the fields it touches, which the journal keeps
so that ``rollback`` can put them back. Nothing secret is ever part of a change: only labels,
annotations, ServiceAccount names and credential issuer/subject.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from typing import Any

from migrator.core.fields import dig, mapping
from migrator.core.model import ExistingCredential
from migrator.core.plan import (
    CLIENT_ID_ANNOTATION,
    INJECT_SIDECAR_ANNOTATION,
    PROXY_PORT_ANNOTATION,
    USE_LABEL,
    PlannedCredential,
    PlannedServiceAccount,
    PlannedWorkload,
)
from migrator.core.planner import FIC_LIMIT
from migrator.core.recognise import TEMPLATE_PATHS

FEDERATE, SERVICE_ACCOUNTS, WORKLOADS = "federate", "serviceaccounts", "workloads"
PHASES = (FEDERATE, SERVICE_ACCOUNTS, WORKLOADS)

CREATE, PATCH, NONE, BLOCKED = "create", "patch", "none", "blocked"
DELETE = "delete"
"""``cleanup`` removes pod-identity objects; the journal keeps their full prior state for ``rollback``."""

# cleanup's phases, in the order it runs them (rollback undoes them newest first)
LABELS, NETWORK_POLICIES = "labels", "networkpolicies"
BINDINGS, IDENTITIES, EXCEPTIONS = "bindings", "identities", "exceptions"
POD_IDENTITY_PROFILE, ASSIGNED_IDENTITIES = "podidentityprofile", "assignedidentities"
CLEANUP_PHASES = (LABELS, NETWORK_POLICIES, BINDINGS, IDENTITIES, EXCEPTIONS, POD_IDENTITY_PROFILE, ASSIGNED_IDENTITIES)
CREATED_BY_ANNOTATION = "wimigrate.io/created-by"
"""On ServiceAccounts a run creates: the run id, so rollback deletes only what that run made."""


@dataclass
class Change:
    key: str
    """Stable across runs: resume and rollback find a step by it."""
    phase: str
    action: str
    target: dict[str, Any]
    message: str
    prior: Any = None
    desired: Any = None
    depends: list[str] = field(default_factory=list)
    """Keys of changes that must succeed first (a workload needs its credential and its ServiceAccount)."""

    @property
    def pending(self) -> bool:
        return self.action in (CREATE, PATCH, DELETE)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- federated credentials ---------------------------------------------------------------------


def credential_key(c: PlannedCredential) -> str:
    return f"credential:{(c.identityResourceID or c.identityClientID).lower()}:{c.issuer}:{c.subject}"


def credential_target(c: PlannedCredential) -> dict[str, Any]:
    return {
        "identityResourceID": c.identityResourceID,
        "identityName": c.identityName,
        "name": c.name,
        "issuer": c.issuer,
        "subject": c.subject,
        "audience": c.audience,
    }


def credential_change(planned: PlannedCredential, existing: list[ExistingCredential]) -> Change:
    """Create, or nothing when an identical one exists (under this name or, reused, under another)."""
    target = credential_target(planned)
    key = credential_key(planned)
    where = f"federated credential {planned.name} on {planned.identityName}"
    if planned.identityType != "managedIdentity" or not planned.identityResourceID:
        return Change(
            key,
            FEDERATE,
            BLOCKED,
            target,
            f"{where}: {planned.identityName} is an app registration (service principal); its federated credential "
            "is created with Microsoft Graph: `wimigrate export --format az` prints the `az ad app "
            "federated-credential create` command",
        )
    same = [c for c in existing if c.issuer == planned.issuer and c.subject == planned.subject]
    for c in same:
        if c.audiences == [planned.audience]:
            note = "already exists" if c.name == planned.name else f"already exists as {c.name} (reused)"
            return Change(key, FEDERATE, NONE, {**target, "name": c.name}, f"{where}: {note}")
    by_name = next((c for c in existing if c.name == planned.name), None)
    if by_name is not None and not same:
        return Change(
            key,
            FEDERATE,
            BLOCKED,
            target,
            f"{where}: the name is taken by a credential for {by_name.subject} from {by_name.issuer} (another "
            "cluster?); overwriting it would break that one. Set --cluster-name or --fic-name-pattern",
        )
    if same:
        return Change(
            key,
            FEDERATE,
            BLOCKED,
            target,
            f"{where}: {same[0].name} has this issuer and subject with audiences {same[0].audiences}; "
            f"workload identity needs exactly [{planned.audience!r}]. Fix or delete {same[0].name}",
        )
    if len(existing) >= FIC_LIMIT:
        return Change(
            key,
            FEDERATE,
            BLOCKED,
            target,
            f"{where}: the identity already has {len(existing)} federated credentials, Azure's limit is {FIC_LIMIT}. "
            "Delete unused ones (`az identity federated-credential list`) or use another identity",
        )
    return Change(key, FEDERATE, CREATE, target, f"{where}: create for {planned.subject}", None, target)


# -- ServiceAccounts ---------------------------------------------------------------------------


def service_account_key(namespace: str, name: str) -> str:
    return f"serviceaccount:{namespace}/{name}"


def service_account_change(
    planned: PlannedServiceAccount, current: dict | None, run_id: str, *, force: bool = False
) -> Change:
    target = {"kind": "ServiceAccount", "namespace": planned.namespace, "name": planned.name}
    key = service_account_key(planned.namespace, planned.name)
    where = f"ServiceAccount {planned.namespace}/{planned.name}"
    if current is None:
        body = {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {
                "name": planned.name,
                "namespace": planned.namespace,
                "annotations": {**planned.annotations, CREATED_BY_ANNOTATION: run_id},
            },
        }
        return Change(key, SERVICE_ACCOUNTS, CREATE, target, f"{where}: create", None, body)
    annotations = mapping(dig(current, "metadata", "annotations"))
    wanted = {k: v for k, v in planned.annotations.items() if annotations.get(k) != v}
    if not wanted:
        return Change(key, SERVICE_ACCOUNTS, NONE, target, f"{where}: already annotated")
    held = annotations.get(CLIENT_ID_ANNOTATION)
    if CLIENT_ID_ANNOTATION in wanted and held and not force:
        return Change(
            key,
            SERVICE_ACCOUNTS,
            BLOCKED,
            target,
            f"{where} already carries client-id {held}, the plan wants {planned.annotations[CLIENT_ID_ANNOTATION]}; "
            "pods using it would switch identity. Pass --force to overwrite, or plan another ServiceAccount",
        )
    prior = {"annotations": {k: annotations.get(k) for k in wanted}}
    patch = {"metadata": {"annotations": wanted, "resourceVersion": dig(current, "metadata", "resourceVersion")}}
    shown = ", ".join(f"{k}={v}" for k, v in sorted(wanted.items()))
    return Change(key, SERVICE_ACCOUNTS, PATCH, target, f"{where}: annotate {shown}", prior, patch)


# -- workloads ---------------------------------------------------------------------------------


def workload_key(namespace: str, kind: str, name: str) -> str:
    return f"workload:{namespace}/{kind}/{name}"


def workload_change(
    planned: PlannedWorkload,
    current: dict | None,
    *,
    manager: str | None = None,
    force: bool = False,
    depends: list[str] | None = None,
) -> Change:
    """The template patch that makes the webhook mutate new pods: label, ServiceAccount, sidecar annotations."""
    target = {
        "kind": planned.kind,
        "apiVersion": planned.apiVersion,
        "namespace": planned.namespace,
        "name": planned.name,
    }
    key = workload_key(planned.namespace, planned.kind, planned.name)
    where = planned.ref
    deps = list(depends or [])
    if current is None:
        return Change(key, WORKLOADS, BLOCKED, target, f"{where}: not found in the cluster", depends=deps)
    path = TEMPLATE_PATHS[planned.kind]
    template = mapping(dig(current, *path)) if path else current
    meta, spec = mapping(template.get("metadata")), mapping(template.get("spec"))
    labels, annotations = mapping(meta.get("labels")), mapping(meta.get("annotations"))
    want_labels = {USE_LABEL: "true"}
    want_annotations: dict[str, str] = {}
    if planned.mode == "sidecar":
        want_annotations = {INJECT_SIDECAR_ANNOTATION: "true", PROXY_PORT_ANNOTATION: str(planned.proxyPort or 8000)}
    want_spec = {"serviceAccountName": planned.serviceAccountName}
    if "serviceAccount" in spec:
        want_spec["serviceAccount"] = planned.serviceAccountName  # the deprecated alias must agree
    labels_diff = {k: v for k, v in want_labels.items() if labels.get(k) != v}
    annotations_diff = {k: v for k, v in want_annotations.items() if annotations.get(k) != v}
    spec_diff = {k: v for k, v in want_spec.items() if spec.get(k) != v}
    if not (labels_diff or annotations_diff or spec_diff):
        return Change(key, WORKLOADS, NONE, target, f"{where}: already migrated", depends=deps)
    immutable = _immutable_reason(planned.kind, current)
    if immutable:
        return Change(key, WORKLOADS, BLOCKED, target, f"{where}: {immutable}", depends=deps)
    if manager and not force:
        return Change(
            key,
            WORKLOADS,
            BLOCKED,
            target,
            f"{where} is managed by {manager}, which would revert or overwrite a live change. Change its source "
            "(`wimigrate rewrite` on the manifests) or pass --force to patch it anyway",
            depends=deps,
        )
    prior = {
        "labels": {k: labels.get(k) for k in labels_diff},
        "annotations": {k: annotations.get(k) for k in annotations_diff},
        "spec": {k: spec.get(k) for k in spec_diff},
    }
    target["rollout"] = rollout_note(planned.kind, current)
    patch = template_patch(planned.kind, labels_diff, annotations_diff, spec_diff)
    patch.setdefault("metadata", {})["resourceVersion"] = dig(current, "metadata", "resourceVersion")
    parts = [f"label {k}={v}" for k, v in labels_diff.items()]
    parts += [
        f"serviceAccountName {spec.get('serviceAccountName') or 'default'} -> {v}"
        for k, v in spec_diff.items()
        if k == "serviceAccountName"
    ]
    parts += [f"annotation {k}={v}" for k, v in annotations_diff.items()]
    if manager:
        parts.append(f"managed by {manager} (--force)")
    return Change(key, WORKLOADS, PATCH, target, f"{where}: {', '.join(parts)}", prior, patch, deps)


def rollout_note(kind: str, current: dict) -> str:
    """What happens to running pods after the template changes: the webhook mutates only new pods."""
    if kind == "CronJob":
        return "its next Jobs run with workload identity"
    if kind in ("ReplicaSet", "ReplicationController"):
        return "existing pods keep pod identity: delete them so the controller re-creates them mutated"
    strategy = dig(current, "spec", "updateStrategy", "type")
    if kind in ("StatefulSet", "DaemonSet") and strategy == "OnDelete":
        return "updateStrategy OnDelete: delete its pods so they are re-created mutated"
    return "its pods roll"


def template_patch(kind: str, labels: dict, annotations: dict, spec: dict) -> dict:
    """A strategic merge patch setting these pod-template fields (None values delete them)."""
    template: dict[str, Any] = {}
    if labels or annotations:
        template["metadata"] = {}
        if labels:
            template["metadata"]["labels"] = dict(labels)
        if annotations:
            template["metadata"]["annotations"] = dict(annotations)
    if spec:
        template["spec"] = dict(spec)
    patch: dict[str, Any] = template
    for part in reversed(TEMPLATE_PATHS[kind]):
        patch = {part: patch}
    return copy.deepcopy(patch)


def undo_workload(kind: str, prior: dict) -> dict:
    """The patch that puts the prior values back (absent ones are deleted).

    The API server serves ``serviceAccount`` (deprecated alias) equal to ``serviceAccountName`` and, on
    a write where the name is empty, takes the name from the alias: deleting only the name would bring
    it back from the alias, so when the template had no ServiceAccount the alias is deleted as well.
    """
    spec = dict(prior.get("spec") or {})
    if "serviceAccountName" in spec and spec["serviceAccountName"] is None:
        spec.setdefault("serviceAccount", None)
    return template_patch(kind, prior.get("labels") or {}, prior.get("annotations") or {}, spec)


def undo_service_account(prior: dict) -> dict:
    return {"metadata": {"annotations": dict(prior.get("annotations") or {})}}


def _immutable_reason(kind: str, current: dict) -> str | None:
    if kind == "Pod":
        return (
            "a bare Pod's ServiceAccount cannot change in place; delete and re-create it from its migrated manifest "
            "(`wimigrate rewrite`), or run it under a Deployment"
        )
    if kind == "Job":
        if _job_finished(current):
            return "the Job has finished; nothing runs under pod identity any more (re-create it to run it again)"
        return "a Job's pod template is immutable; let it finish, then re-create it from its migrated manifest"
    return None


def _job_finished(job: dict) -> bool:
    conditions = dig(job, "status", "conditions")
    return any(
        mapping(c).get("type") in ("Complete", "Failed") and mapping(c).get("status") == "True"
        for c in (conditions if isinstance(conditions, list) else [])
    )

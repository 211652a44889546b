"""The writes of cleanup, one per kind of change (server-side dry runs with ``--dry-run``).

Deletes carry the uid read by ``observe`` as a precondition: an object re-created since (same
name, other uid) is not ours to delete. The label patch carries the resourceVersion; on a 409 the
workload is read again. The managed cluster is read right before its PUT and only
``podIdentityProfile`` changes.
"""

from __future__ import annotations

import contextlib

from migrator.adapters.kube import resources as R
from migrator.core.changes import (
    ASSIGNED_IDENTITIES,
    CREATED_BY_ANNOTATION,
    LABELS,
    NETWORK_POLICIES,
    POD_IDENTITY_PROFILE,
    Change,
    template_patch,
    workload_key,
)
from migrator.core.cleanup_facts import FINALIZER
from migrator.core.fields import dig
from migrator.core.pod_identity_profile import profile_removed
from migrator.core.recognise import BINDING_LABEL, TEMPLATE_PATHS
from migrator.errors import AlreadyExists, Conflict, InputError, NotFound
from migrator.phases.apply.context import ApplyContext
from migrator.phases.cleanup.records import record_cleaned

CONFLICT_RETRIES = 5
OBJECTS = {
    r.kind: r
    for r in (
        R.AZURE_IDENTITIES,
        R.AZURE_IDENTITY_BINDINGS,
        R.AZURE_POD_IDENTITY_EXCEPTIONS,
        R.AZURE_ASSIGNED_IDENTITIES,
        R.NETWORK_POLICIES,
    )
}
"""The kinds cleanup deletes or creates, by kind name."""


def write(ctx: ApplyContext, change: Change) -> str:
    """Make one change; returns the detail for the report."""
    if change.phase == LABELS:
        return remove_label(ctx, change)
    if change.phase == NETWORK_POLICIES:
        return create_policy(ctx, change)
    if change.phase == POD_IDENTITY_PROFILE:
        return update_profile(ctx, change)
    if change.phase == ASSIGNED_IDENTITIES:
        return release_assigned(ctx, change)
    return delete(ctx, change)


def remove_label(ctx: ApplyContext, change: Change) -> str:
    assert ctx.kube is not None
    target = change.target
    kind, namespace, name = target["kind"], target["namespace"], target["name"]
    resource = R.workload_resource(kind)
    patch = change.desired
    for _ in range(CONFLICT_RETRIES):
        try:
            result = ctx.kube.patch(resource, namespace, name, patch, "strategic", dry_run=ctx.options.dry_run)
        except Conflict:
            current = ctx.kube.get(resource, namespace, name)
            path = TEMPLATE_PATHS[kind]
            if BINDING_LABEL not in (dig(current, *path, "metadata", "labels") or {}):
                return "label already removed"
            patch = template_patch(kind, {BINDING_LABEL: None}, {}, {})
            patch.setdefault("metadata", {})["resourceVersion"] = dig(current, "metadata", "resourceVersion")
            continue
        if ctx.journal is not None and not ctx.options.dry_run:
            key = workload_key(namespace, kind, name)
            record_cleaned(ctx.journal, key, dig(result, "metadata", "generation"), target.get("verifiedGeneration"))
        return "label removed; " + target.get("rollout", "its pods roll")
    raise Conflict(f"{namespace}/{kind}/{name} kept changing under us; run cleanup again")


def delete(ctx: ApplyContext, change: Change) -> str:
    assert ctx.kube is not None
    target = change.target
    resource = OBJECTS[target["kind"]]
    try:
        ctx.kube.delete(
            resource, target["namespace"], target["name"], uid=target.get("uid"), dry_run=ctx.options.dry_run
        )
    except NotFound:
        return "already gone"
    except Conflict as exc:  # the uid precondition: the object was replaced since it was read
        raise Conflict(
            f"{target['kind']} {target['namespace']}/{target['name']} was re-created since it was read; "
            f"run cleanup again ({exc.message})"
        ) from exc
    return "deleted"


def release_assigned(ctx: ApplyContext, change: Change) -> str:
    """Remove MIC's finalizer (MIC no longer runs to do it), then delete."""
    assert ctx.kube is not None
    target = change.target
    resource = R.AZURE_ASSIGNED_IDENTITIES
    namespace, name = target["namespace"], target["name"]
    current = ctx.kube.find(resource, namespace, name)
    if current is None:
        return "already gone"
    finalizers = list(dig(current, "metadata", "finalizers") or [])
    if FINALIZER in finalizers:
        patch = {
            "metadata": {
                "finalizers": [f for f in finalizers if f != FINALIZER],
                "resourceVersion": dig(current, "metadata", "resourceVersion"),
            }
        }
        ctx.kube.patch(resource, namespace, name, patch, "merge", dry_run=ctx.options.dry_run)
    with contextlib.suppress(NotFound):  # the finalizer was the last thing holding a deleted one
        ctx.kube.delete(resource, namespace, name, uid=dig(current, "metadata", "uid"), dry_run=ctx.options.dry_run)
    return "finalizer removed, deleted"


def create_policy(ctx: ApplyContext, change: Change) -> str:
    assert ctx.kube is not None
    namespace = change.target["namespace"]
    try:
        ctx.kube.create(R.NETWORK_POLICIES, namespace, change.desired, dry_run=ctx.options.dry_run)
    except AlreadyExists:
        current = ctx.kube.find(R.NETWORK_POLICIES, namespace, change.target["name"])
        if dig(current, "metadata", "annotations", CREATED_BY_ANNOTATION) == ctx.run_id:
            return "created"  # our create went through; only its answer was lost
        return "already exists (made by someone else; kept)"
    return "created"


def update_profile(ctx: ApplyContext, change: Change) -> str:
    """One PUT of the managed cluster as read now, with only podIdentityProfile changed."""
    if ctx.clusters is None:
        raise InputError("Changing podIdentityProfile needs Azure: give --cluster-id (or -g/--name, or a lab).")
    cluster_id = change.target["clusterID"]
    body = profile_removed(ctx.clusters.get(cluster_id), change.desired)
    if body is None:
        return "already as wanted"
    ctx.clusters.update(cluster_id, body)
    return "podIdentityProfile updated; the add-on removes what it no longer lists"

"""Rollback of a cleanup run (called by ``phases.apply.rollback`` for cleanup's intents).

Deleted objects are re-created from the full prior state the journal holds (left alone when one
of that name exists); removed podIdentityProfile entries, exceptions and ``enabled`` are merged
back into the managed cluster as it is now, in one PUT (the add-on then re-creates its CRs);
NetworkPolicies are deleted only when this run created them. AzureAssignedIdentities are MIC's
own records: MIC re-creates them for pods that still use a binding, so they are not re-created.
"""

from __future__ import annotations

from migrator.core.changes import (
    ASSIGNED_IDENTITIES,
    CREATE,
    CREATED_BY_ANNOTATION,
    DELETE,
    NETWORK_POLICIES,
    POD_IDENTITY_PROFILE,
)
from migrator.core.fields import dig
from migrator.core.pod_identity_profile import profile_restored
from migrator.errors import AlreadyExists, InputError
from migrator.phases.apply.context import ApplyContext
from migrator.phases.apply.rollback import DELETED, NOTHING, RESTORED
from migrator.phases.cleanup.writers import OBJECTS


def handles(intent: dict) -> bool:
    """Whether this intent is cleanup's to undo (the label patches use apply's workload undo)."""
    return intent["action"] == DELETE or intent["phase"] in (NETWORK_POLICIES, POD_IDENTITY_PROFILE)


def undo(intent: dict, ctx: ApplyContext, run_id: str) -> tuple[str, str]:
    phase, action, target = intent["phase"], intent["action"], intent["target"]
    if phase == POD_IDENTITY_PROFILE:
        return _profile(intent, ctx)
    if ctx.kube is None:
        raise InputError("Rolling back cluster changes needs the cluster: give --context/--kubeconfig (or --lab).")
    what = f"{target['kind']} {target['namespace']}/{target['name']}"
    if phase == NETWORK_POLICIES and action == CREATE:
        current = ctx.kube.find(OBJECTS[target["kind"]], target["namespace"], target["name"])
        if current is None:
            return NOTHING, f"{what}: never created"
        if dig(current, "metadata", "annotations", CREATED_BY_ANNOTATION) != run_id:
            return NOTHING, f"{what}: not created by this run; kept"
        ctx.kube.delete(
            OBJECTS[target["kind"]],
            target["namespace"],
            target["name"],
            uid=dig(current, "metadata", "uid"),
            dry_run=ctx.options.dry_run,
        )
        return DELETED, what
    if phase == ASSIGNED_IDENTITIES:
        return NOTHING, f"{what}: MIC's own record, not re-created (MIC re-creates it for pods that use a binding)"
    if action != DELETE:
        return NOTHING, f"{action} needs no undo"
    resource = OBJECTS[target["kind"]]
    if ctx.kube.find(resource, target["namespace"], target["name"]) is not None:
        return NOTHING, f"{what}: one of that name exists; kept"
    try:
        ctx.kube.create(resource, target["namespace"], intent["prior"], dry_run=ctx.options.dry_run)
    except AlreadyExists:
        return NOTHING, f"{what}: one of that name exists; kept"
    return RESTORED, f"{what} re-created"


def _profile(intent: dict, ctx: ApplyContext) -> tuple[str, str]:
    if ctx.clusters is None:
        raise InputError("Rolling back podIdentityProfile needs Azure: give --lab-dir, or sign in (az login).")
    cluster_id = intent["target"]["clusterID"]
    what = f"managed cluster {intent['target'].get('name') or cluster_id} podIdentityProfile"
    body = profile_restored(ctx.clusters.get(cluster_id), intent["prior"] or {})
    if body is None:
        return NOTHING, f"{what}: already as before"
    if not ctx.options.dry_run:
        ctx.clusters.update(cluster_id, body)
    return RESTORED, f"{what}: entries put back (the add-on re-creates their objects)"

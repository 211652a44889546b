"""What ``cleanup`` removes once workload identity is proven, computed from what was observed (pure).

``phases.cleanup.observe`` reads the cluster (cluster-wide: a binding matches pods in any
namespace), the managed cluster and the recorded verdicts into ``CleanupFacts``; ``plan_cleanup``
decides, per migrated workload, whether it may lose pod identity (its latest verdict passed and
it has not changed since), and then which pod-identity objects nothing uses any more. Every
removal is a ``Change`` whose ``prior`` is the object's full state, so ``rollback`` can restore it.
Here: the per-workload decisions; ``cleanup_removals``: the pod-identity objects; ``cleanup_facts``:
the values in and out. Nothing here does I/O.
"""

from __future__ import annotations

from migrator.core.changes import (
    BLOCKED,
    CLEANUP_PHASES,
    LABELS,
    NONE,
    PATCH,
    Change,
    rollout_note,
    template_patch,
    workload_key,
)
from migrator.core.cleanup_facts import (
    NOT_VERIFIED,
    SELECTOR_KEPT,
    CleanupFacts,
    CleanupOptions,
    CleanupPlan,
    Refusal,
)
from migrator.core.cleanup_removals import remove
from migrator.core.fields import dig, mapping
from migrator.core.ownership import manager_of
from migrator.core.plan import PlannedWorkload
from migrator.core.recognise import BINDING_LABEL, TEMPLATE_PATHS


def plan_cleanup(facts: CleanupFacts, options: CleanupOptions) -> CleanupPlan:
    """Refusals first; then, for the verified workloads only, every removal nothing still needs."""
    result = CleanupPlan()
    verified: dict[str, PlannedWorkload] = {}
    for planned in facts.plan.workloads:
        key = workload_key(planned.namespace, planned.kind, planned.name)
        refusal = judge(planned, facts.workloads.get(key), facts.verdicts.get(key), facts.cleaned.get(key))
        if refusal is None:
            verified[key] = planned
        else:
            result.refusals.append(refusal)
    if not verified:
        return result  # every workload refused (or none planned): nothing changes
    result.verified = [p.ref for p in verified.values()]
    for key, planned in verified.items():
        change = label_change(planned, facts.workloads[key], force=options.force)
        result.changes.append(change)
        if change.action == NONE and change.message.endswith(SELECTOR_KEPT):
            result.note("selector-kept", change.message)
    remove(facts, options, verified, result)
    result.changes.sort(key=lambda c: CLEANUP_PHASES.index(c.phase))
    return result


# -- may this workload lose pod identity? -------------------------------------------------------


def judge(planned: PlannedWorkload, current: dict | None, verdict: dict | None, cleaned: dict | None) -> Refusal | None:
    """None when its latest verdict passed and it has not changed since (but for cleanup's own label removal)."""
    key = workload_key(planned.namespace, planned.kind, planned.name)
    if current is None:
        return Refusal(key, planned.ref, "not found in the cluster")
    if verdict is None:
        return Refusal(key, planned.ref, NOT_VERIFIED)
    failed = [dict(f) for f in verdict.get("failed") or [] if isinstance(f, dict)]
    if not verdict.get("passed"):
        shown = "; ".join(f"{f.get('check')}: {f.get('cause') or f.get('detail') or 'failed'}" for f in failed)
        reason = f"verification failed ({shown or 'see `wimigrate verify`'}): fix it and run `wimigrate verify` again"
        return Refusal(key, planned.ref, reason, failed)
    generation = dig(current, "metadata", "generation")
    if verdict.get("generation") is not None and verdict.get("generation") == generation:
        return None
    if cleaned and cleaned.get("generation") == generation and cleaned.get("verified") == verdict.get("generation"):
        return None
    return Refusal(
        key,
        planned.ref,
        f"changed since it was verified (generation {verdict.get('generation')} then, {generation} now): "
        "verify again with `wimigrate verify`",
    )


def label_change(planned: PlannedWorkload, current: dict, *, force: bool = False) -> Change:
    """Remove ``aadpodidbinding`` from the pod template, unless ``spec.selector`` needs it there."""
    key = f"label:{planned.namespace}/{planned.kind}/{planned.name}"
    target = {
        "kind": planned.kind,
        "apiVersion": planned.apiVersion,
        "namespace": planned.namespace,
        "name": planned.name,
    }
    where = planned.ref
    path = TEMPLATE_PATHS[planned.kind]
    labels = mapping(dig(current, *path, "metadata", "labels"))
    if BINDING_LABEL not in labels:
        return Change(key, LABELS, NONE, target, f"{where}: no aadpodidbinding label")
    value = labels[BINDING_LABEL]
    if planned.kind != "Pod" and in_selector(current):
        return Change(key, LABELS, NONE, target, f"{where}: aadpodidbinding={value} {SELECTOR_KEPT}")
    if planned.kind == "Job":
        return Change(
            key,
            LABELS,
            NONE,
            target,
            f"{where}: aadpodidbinding={value} kept: a Job's pod template is immutable; harmless once the binding "
            "is gone",
        )
    manager = manager_of(current)
    if manager and not force:
        return Change(
            key,
            LABELS,
            BLOCKED,
            target,
            f"{where} is managed by {manager}, which would put the label back: remove aadpodidbinding from its "
            "source (`wimigrate rewrite --phase cleanup`), or pass --force",
        )
    patch = template_patch(planned.kind, {BINDING_LABEL: None}, {}, {})
    patch.setdefault("metadata", {})["resourceVersion"] = dig(current, "metadata", "resourceVersion")
    target["rollout"] = rollout_note(planned.kind, current)
    return Change(
        key,
        LABELS,
        PATCH,
        target,
        f"{where}: remove label aadpodidbinding={value}",
        {"labels": {BINDING_LABEL: value}},
        patch,
    )


def in_selector(current: dict) -> bool:
    """Whether ``spec.selector`` (matchLabels or matchExpressions) names the label."""
    selector = mapping(dig(current, "spec", "selector"))
    if BINDING_LABEL in mapping(selector.get("matchLabels")):
        return True
    expressions = selector.get("matchExpressions")
    return any(mapping(e).get("key") == BINDING_LABEL for e in (expressions if isinstance(expressions, list) else []))

"""Retiring the azwi-proxy sidecar once the application's SDK supports workload identity (pure).

The sidecar is a migration aid: the webhook injects it whenever the pod template carries the
``inject-proxy-sidecar`` annotation (present is enough, whatever its value), so retiring it means
removing that annotation and the port annotation. The prior values go to the journal, so
``rollback`` puts the sidecar back if the upgraded application still fails.
"""

from __future__ import annotations

from migrator.core.changes import BLOCKED, NONE, PATCH, Change, rollout_note, template_patch, workload_key
from migrator.core.fields import dig, mapping
from migrator.core.plan import INJECT_SIDECAR_ANNOTATION, PROXY_PORT_ANNOTATION
from migrator.core.recognise import TEMPLATE_PATHS

RETIRE_SIDECAR = "retire-sidecar"
SIDECAR_ANNOTATIONS = (INJECT_SIDECAR_ANNOTATION, PROXY_PORT_ANNOTATION)
KIND_ALIASES = {
    "deploy": "Deployment",
    "sts": "StatefulSet",
    "ds": "DaemonSet",
    "rs": "ReplicaSet",
    "rc": "ReplicationController",
    "cj": "CronJob",
}


def parse_workload_ref(text: str) -> tuple[str, str, str]:
    """``NS/KIND/NAME`` (kind as kubectl spells it: ``deployment``, ``deploy``, ``Deployment``...)."""
    parts = text.split("/")
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"{text!r}: give the workload as NAMESPACE/KIND/NAME, e.g. orders/deploy/orders-legacy-sync")
    namespace, kind, name = parts
    canonical = {k.lower(): k for k in TEMPLATE_PATHS}
    resolved = KIND_ALIASES.get(kind.lower()) or canonical.get(kind.lower()) or canonical.get(kind.lower().rstrip("s"))
    if resolved is None:
        raise ValueError(f"{text!r}: {kind!r} is not a workload kind ({', '.join(sorted(TEMPLATE_PATHS))})")
    return namespace, resolved, name


def retirement_change(
    namespace: str, kind: str, name: str, current: dict | None, *, manager: str | None = None, force: bool = False
) -> Change:
    """The template patch removing the sidecar annotations, with their prior values."""
    key = workload_key(namespace, kind, name)
    ref = f"{namespace}/{kind}/{name}"
    target = {"kind": kind, "apiVersion": (current or {}).get("apiVersion"), "namespace": namespace, "name": name}
    if current is None:
        return Change(key, RETIRE_SIDECAR, BLOCKED, target, f"{ref}: not found in the cluster")
    path = TEMPLATE_PATHS[kind]
    template = mapping(dig(current, *path)) if path else current
    annotations = mapping(mapping(template.get("metadata")).get("annotations"))
    present = {k: annotations[k] for k in SIDECAR_ANNOTATIONS if k in annotations}
    if not present:
        return Change(key, RETIRE_SIDECAR, NONE, target, f"{ref}: no proxy sidecar annotations (nothing to retire)")
    if kind in ("Pod", "Job"):
        return Change(
            key,
            RETIRE_SIDECAR,
            BLOCKED,
            target,
            f"{ref}: a {kind}'s pod template is immutable; re-create it without the "
            f"{INJECT_SIDECAR_ANNOTATION} annotation",
        )
    if manager and not force:
        return Change(
            key,
            RETIRE_SIDECAR,
            BLOCKED,
            target,
            f"{ref} is managed by {manager}, which would put the sidecar back: remove the annotations in its "
            "source (`wimigrate rewrite --phase remove-sidecar`), or pass --force",
        )
    target["rollout"] = rollout_note(kind, current)
    patch = template_patch(kind, {}, {k: None for k in present}, {})
    patch.setdefault("metadata", {})["resourceVersion"] = dig(current, "metadata", "resourceVersion")
    shown = ", ".join(sorted(present))
    return Change(key, RETIRE_SIDECAR, PATCH, target, f"{ref}: remove {shown}", {"annotations": present}, patch)

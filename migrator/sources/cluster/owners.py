"""Which object to migrate for each labelled pod: its top-level owner, from objects already listed (pure).

Pods are what carry ``aadpodidbinding`` at run time, but the object to change is the one whose
pod template made them: Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob, Pod -> StatefulSet.
``azwi podidentity detect`` walks these controller references with one GET per owner; here every
workload kind was listed once, so the walk is a dictionary lookup and a cluster costs a few
paginated lists whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from migrator.core.fields import dig, mapping, text
from migrator.core.ownership import controller_reference, is_managed_kind
from migrator.core.recognise import BINDING_LABEL, TEMPLATE_PATHS

Key = tuple[str, str, str]
"""(namespace, kind, name) of a namespaced object."""

MAX_DEPTH = 16  # a cycle of controller references is a corrupt cluster; never loop on one


def key_of(obj: dict) -> Key:
    meta = mapping(obj.get("metadata"))
    return (text(meta.get("namespace")) or "", text(obj.get("kind")) or "", text(meta.get("name")) or "")


def template_labels(obj: dict) -> dict:
    """The labels a workload object gives its pods (a Pod's own labels)."""
    path = TEMPLATE_PATHS.get(text(obj.get("kind")) or "")
    if path is None:
        return {}
    template = dig(obj, *path) if path else obj
    return mapping(mapping(mapping(template).get("metadata")).get("labels"))


@dataclass
class Resolution:
    """What the listed objects say about the labelled pods."""

    workloads: list[dict] = field(default_factory=list)
    """Objects to recognise as workloads: every listed object no other listed object controls, then the
    labelled pods that are their own top level (bare pods, pods of an operator's custom resource)."""
    pods: dict[Key, list[dict]] = field(default_factory=dict)
    """Labelled pods by the key of their top-level object."""
    label_only_on_pods: dict[Key, list[dict]] = field(default_factory=dict)
    """Pods whose aadpodidbinding value is in none of their owners' pod templates (labelled by hand)."""
    missing_owner: dict[Key, dict] = field(default_factory=dict)
    """Top-level objects (by key) whose controller is of a workload kind but was not listed (not readable,
    or being deleted): its reference, so a ReplicaSet or pod is not taken for one that can be changed freely."""


class Owners:
    """Controller references between listed objects, looked up by uid (by name when a uid is absent)."""

    def __init__(self, objects: Iterable[dict]) -> None:
        self._by_uid: dict[str, dict] = {}
        self._by_key: dict[Key, dict] = {}
        for obj in objects:
            uid = text(mapping(obj.get("metadata")).get("uid"))
            if uid:
                self._by_uid[uid] = obj
            self._by_key[key_of(obj)] = obj

    def owner(self, obj: dict) -> dict | None:
        """The listed object controlling ``obj``; None for a top-level object or an unknown controller kind."""
        ref = controller_reference(obj)
        if ref is None or not is_managed_kind(ref.get("apiVersion"), ref.get("kind")):
            return None
        uid = text(ref.get("uid"))
        if uid:
            return self._by_uid.get(uid)  # same name, other uid: a recreated object, not this one's owner
        namespace = text(mapping(obj.get("metadata")).get("namespace")) or ""
        return self._by_key.get((namespace, text(ref.get("kind")) or "", text(ref.get("name")) or ""))

    def chain(self, obj: dict) -> list[dict]:
        """``obj`` and its controllers up to the top-level listed one."""
        chain = [obj]
        seen = {id(obj)}
        while len(chain) < MAX_DEPTH:
            owner = self.owner(chain[-1])
            if owner is None or id(owner) in seen:
                break
            seen.add(id(owner))
            chain.append(owner)
        return chain

    def controlled(self, obj: dict) -> bool:
        """Whether another listed workload controls ``obj`` (old ReplicaSets, a CronJob's Jobs)."""
        return self.owner(obj) is not None


def resolve(pods: Iterable[dict], objects: Iterable[dict]) -> Resolution:
    """Top-level workloads and the labelled pods of each, from the listed pods and workload objects."""
    objects = list(objects)
    owners = Owners(objects)
    result = Resolution(workloads=[obj for obj in objects if not owners.controlled(obj)])
    own_top: dict[Key, dict] = {}
    for pod in pods:
        chain = owners.chain(pod)
        top = chain[-1]
        key = key_of(top)
        result.pods.setdefault(key, []).append(pod)
        if top is pod:
            own_top.setdefault(key, pod)
            continue
        value = mapping(mapping(pod.get("metadata")).get("labels")).get(BINDING_LABEL)
        if not any(template_labels(owner).get(BINDING_LABEL) == value for owner in chain[1:]):
            result.label_only_on_pods.setdefault(key, []).append(pod)
    result.workloads.extend(own_top.values())
    for obj in result.workloads:
        ref = controller_reference(obj)
        if ref is not None and is_managed_kind(ref.get("apiVersion"), ref.get("kind")):
            result.missing_owner[key_of(obj)] = ref  # a top level with a workload controller: it was not listed
    return result


def pod_names(pods: list[Any], limit: int = 3) -> str:
    """``a, b, c and 4 more``: enough to find them with kubectl, short enough for a table."""
    names = sorted(text(mapping(p.get("metadata")).get("name")) or "?" for p in pods)
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")

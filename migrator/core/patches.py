"""Fold kustomize strategic-merge patches into the objects they patch.

A patch file holds partial objects (an AzureIdentity whose spec is filled in
by the overlay, a Deployment patch that only adds the aadpodidbinding label);
counting them as objects of their own would report duplicates and miss ids.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from migrator.core.model import Binding, Identity, Inventory, Workload

T = TypeVar("T", Identity, Binding, Workload)


def _merge_identity(base: Identity, patch: Identity) -> None:
    for name in ("type", "client_id", "resource_id", "tenant_id"):
        value = getattr(patch, name)
        if value is not None and not (name == "type" and value == 0 and base.type is not None):
            setattr(base, name, value)
    base.namespaced = base.namespaced or patch.namespaced
    base.legacy_fields = base.legacy_fields or patch.legacy_fields


def _merge_binding(base: Binding, patch: Binding) -> None:
    base.identity = patch.identity or base.identity
    base.selector = patch.selector or base.selector


def _merge_workload(base: Workload, patch: Workload) -> None:
    base.pod_labels.update(patch.pod_labels)
    base.pod_annotations.update(patch.pod_annotations)
    base.object_labels.update(patch.object_labels)
    base.object_annotations.update(patch.object_annotations)
    base.service_account = patch.service_account or base.service_account
    base.secret_provider_classes.extend(
        s for s in patch.secret_provider_classes if s not in base.secret_provider_classes
    )
    base.label_line, base.source = (
        (patch.label_line, patch.source) if "aadpodidbinding" in patch.pod_labels else (base.label_line, base.source)
    )


def _fold(items: list[T], is_patch: Callable[[T], bool], merge: Callable[[T, T], None]) -> list[T]:
    """Merge each patch into the whole object with its key; patches of a missing base fold into the first."""
    targets: dict = {item.key: item for item in items if not is_patch(item)}
    kept = [item for item in items if not is_patch(item)]
    for patch in (item for item in items if is_patch(item)):
        if patch.key in targets:
            merge(targets[patch.key], patch)
        else:
            targets[patch.key] = patch
            kept.append(patch)
    return kept


def merge_patches(inventory: Inventory) -> None:
    inventory.identities = _fold(inventory.identities, lambda i: i.patch, _merge_identity)
    inventory.bindings = _fold(inventory.bindings, lambda b: b.patch, _merge_binding)
    inventory.workloads = _fold(inventory.workloads, lambda w: w.partial, _merge_workload)

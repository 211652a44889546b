"""Fold kustomize strategic-merge patches into the objects they patch.

A patch file holds partial objects (an AzureIdentity whose spec is filled in
by the overlay, a Deployment patch that only adds the aadpodidbinding label);
counting them as objects of their own would report duplicates and miss ids.
"""

from __future__ import annotations

from migrator.core.model import Binding, Identity, Inventory, Workload


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


def merge_patches(inventory: Inventory) -> None:
    identities = {i.key: i for i in inventory.identities if not i.patch}
    kept_identities = [i for i in inventory.identities if not i.patch]
    for patch in (i for i in inventory.identities if i.patch):
        if patch.key in identities:
            _merge_identity(identities[patch.key], patch)
        else:
            kept_identities.append(patch)
    inventory.identities = kept_identities

    bindings = {b.key: b for b in inventory.bindings if not b.patch}
    kept_bindings = [b for b in inventory.bindings if not b.patch]
    for patch in (b for b in inventory.bindings if b.patch):
        if patch.key in bindings:
            _merge_binding(bindings[patch.key], patch)
        else:
            kept_bindings.append(patch)
    inventory.bindings = kept_bindings

    workloads = {w.key: w for w in inventory.workloads if not w.partial}
    kept_workloads = [w for w in inventory.workloads if not w.partial]
    for patch in (w for w in inventory.workloads if w.partial):
        if patch.key in workloads:
            _merge_workload(workloads[patch.key], patch)
        else:
            workloads[patch.key] = patch  # later patches of a missing base fold into this one
            kept_workloads.append(patch)
    inventory.workloads = kept_workloads

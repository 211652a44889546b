"""Which identities each workload really gets, as aad-pod-identity decides it.

A pod gets every identity whose binding's selector equals its
``aadpodidbinding`` label. Bindings match across namespaces unless MIC runs
with ``--forceNamespaced``, the identity is annotated
``aadpodidentity.k8s.io/Behavior: namespaced``, or the AKS add-on manages it
(the add-on always runs namespaced).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from migrator.core import findings as F
from migrator.core.fields import (
    is_guid,
    is_managed_identity_id,
    is_placeholder,
    is_valid_label_value,
)
from migrator.core.model import Binding, Finding, Identity, Inventory, Workload
from migrator.core.recognise import BINDING_LABEL, WI_USE_LABEL


@dataclass
class Match:
    workload: Workload
    selector: str
    bindings: list[Binding] = field(default_factory=list)
    identities: list[Identity] = field(default_factory=list)
    """Usable identities, the one the ServiceAccount carries first."""
    primary: Identity | None = None


@dataclass
class MatchResult:
    matches: list[Match]
    findings: list[Finding]
    usable_identities: set[tuple[str, str]]


def namespaced(binding: Binding, identity: Identity | None, force_namespaced: bool) -> bool:
    return (
        force_namespaced
        or binding.aks_managed
        or (identity is not None and (identity.namespaced or identity.aks_managed))
    )


def check_identities(inventory: Inventory) -> tuple[list[Finding], set[tuple[str, str]]]:
    """Findings about identities themselves, and the keys of those a plan can use."""
    findings: list[Finding] = []
    usable: set[tuple[str, str]] = set()
    for ident in inventory.identities:
        ref = f"{ident.namespace}/AzureIdentity/{ident.name}"
        fields = {"clientID": ident.client_id, "resourceID": ident.resource_id, "namespace": ident.namespace}
        placeholders = [k for k, v in fields.items() if is_placeholder(v)]
        if placeholders:
            findings.append(
                F.make(
                    "unresolved-variable",
                    f"AzureIdentity {ident.namespace}/{ident.name} has placeholder "
                    + ", ".join(f"{k}={fields[k]!r}" for k in placeholders),
                    ident.source,
                    ref,
                )
            )
            continue
        if ident.type in (1, 2):
            findings.append(
                F.make(
                    "service-principal-identity",
                    f"AzureIdentity {ident.namespace}/{ident.name} is type {ident.type} "
                    f"({ident.type_name}); its secret is never read or shown",
                    ident.source,
                    ref,
                )
            )
            if is_guid(ident.client_id):
                usable.add(ident.key)
            else:
                findings.append(
                    F.make(
                        "identity-missing-ids",
                        f"AzureIdentity {ident.namespace}/{ident.name} has no GUID clientID ({ident.client_id!r})",
                        ident.source,
                        ref,
                    )
                )
            continue
        if ident.type != 0:
            continue  # invalid-identity-type was reported when it was read
        problems = []
        if not is_guid(ident.client_id):
            problems.append(f"clientID {ident.client_id!r} is not a GUID")
        if not is_managed_identity_id(ident.resource_id):
            problems.append(f"resourceID {ident.resource_id!r} is not a user-assigned identity's resource id")
        if problems:
            findings.append(
                F.make(
                    "identity-missing-ids",
                    f"AzureIdentity {ident.namespace}/{ident.name}: " + "; ".join(problems),
                    ident.source,
                    ref,
                )
            )
            continue
        usable.add(ident.key)
    return findings, usable


def check_duplicates(inventory: Inventory) -> list[Finding]:
    """Objects declared twice (alternative files, overlays scanned together)."""
    findings = []
    groups = (
        ("AzureIdentity", inventory.identities),
        ("AzureIdentityBinding", inventory.bindings),
        ("ServiceAccount", inventory.service_accounts),
    )
    for kind, items in groups:
        seen: dict[tuple[str, str], str] = {}
        for item in items:
            key = (item.namespace, item.name)
            if key in seen and seen[key] != str(item.source):
                findings.append(
                    F.make(
                        "duplicate-object",
                        f"{kind} {key[0]}/{key[1]} is also declared at {seen[key]}",
                        item.source,
                        f"{key[0]}/{kind}/{key[1]}",
                    )
                )
            seen.setdefault(key, str(item.source))
    workloads: dict[tuple[str, str, str], str] = {}
    for w in inventory.workloads:
        if w.key in workloads and not w.partial:
            findings.append(
                F.make("duplicate-object", f"{w.ref} is also declared at {workloads[w.key]}", w.source, w.ref)
            )
        if not w.partial:
            workloads.setdefault(w.key, str(w.source))
    return findings


def choose_primary(m: Match, identity_for: dict[str, str]) -> Finding | None:
    """Pick the identity the SA's client-id names; several need the user's choice."""
    if len(m.identities) <= 1:
        m.primary = m.identities[0] if m.identities else None
        return None
    w = m.workload
    choice = identity_for.get(f"{w.namespace}/{m.selector}") or identity_for.get(m.selector)
    names = ", ".join(f"{i.namespace}/{i.name} ({i.client_id})" for i in m.identities)
    for ident in m.identities:
        if choice in (ident.name, f"{ident.namespace}/{ident.name}"):
            m.identities.remove(ident)
            m.identities.insert(0, ident)
            m.primary = ident
            return F.make(
                "multiple-identities-for-selector",
                f"{w.ref} (selector {m.selector!r}) gets identities {names}; its ServiceAccount carries "
                f"{ident.namespace}/{ident.name}",
                w.label_source,
                w.ref,
                severity=F.INFO,
                fix="Every identity gets a federated credential for the ServiceAccount; the application must ask "
                "for the others by client id (client_id / managedIdentityClientId in the Azure Identity SDK).",
            )
    return F.make(
        "multiple-identities-for-selector",
        f"{w.ref} (selector {m.selector!r}) gets identities {names}",
        w.label_source,
        w.ref,
    )


def match(
    inventory: Inventory, *, force_namespaced: bool = False, identity_for: dict[str, str] | None = None
) -> MatchResult:
    findings, usable = check_identities(inventory)
    findings.extend(check_duplicates(inventory))
    identities = {i.key: i for i in inventory.identities}
    by_selector: dict[str, list[Binding]] = {}
    for binding in inventory.bindings:
        if any(is_placeholder(v) for v in (binding.selector, binding.identity, binding.namespace)):
            findings.append(
                F.make(
                    "unresolved-variable",
                    f"AzureIdentityBinding {binding.namespace}/{binding.name} has selector "
                    f"{binding.selector!r} and azureIdentity {binding.identity!r}",
                    binding.source,
                    f"{binding.namespace}/AzureIdentityBinding/{binding.name}",
                )
            )
            continue
        by_selector.setdefault(binding.selector, []).append(binding)

    used_bindings: set[tuple[str, str]] = set()
    missing_reported: set[tuple[str, str]] = set()
    matches: list[Match] = []
    for workload in inventory.workloads:
        label = workload.binding_label
        if label is None:
            if BINDING_LABEL in workload.object_labels:
                findings.append(
                    F.make(
                        "label-not-on-pods",
                        f"{workload.ref} has aadpodidbinding={workload.object_labels[BINDING_LABEL]!r} "
                        "on its own metadata only",
                        workload.label_source,
                        workload.ref,
                    )
                )
            continue
        if is_placeholder(label) or is_placeholder(workload.namespace):
            findings.append(
                F.make(
                    "unresolved-variable",
                    f"{workload.ref} has aadpodidbinding={label!r} in namespace {workload.namespace!r}",
                    workload.label_source,
                    workload.ref,
                )
            )
            continue
        if not is_valid_label_value(label):
            findings.append(
                F.make(
                    "invalid-label-value",
                    f"{workload.ref} has aadpodidbinding={label!r}",
                    workload.label_source,
                    workload.ref,
                )
            )
            continue
        result = Match(workload, label)
        skipped_namespaced = []
        for binding in by_selector.get(label, []):
            ident = identities.get((binding.namespace, binding.identity))
            if binding.namespace != workload.namespace and namespaced(binding, ident, force_namespaced):
                skipped_namespaced.append(binding)
                continue
            used_bindings.add(binding.key)
            if ident is None:
                if binding.key not in missing_reported:
                    missing_reported.add(binding.key)
                    findings.append(
                        F.make(
                            "identity-not-found",
                            f"AzureIdentityBinding {binding.namespace}/{binding.name} names "
                            f"AzureIdentity {binding.identity!r}, not found in namespace "
                            f"{binding.namespace}",
                            binding.source,
                            f"{binding.namespace}/AzureIdentityBinding/{binding.name}",
                        )
                    )
                continue
            if binding.namespace != workload.namespace:
                findings.append(
                    F.make(
                        "cross-namespace-binding",
                        f"{workload.ref} uses AzureIdentityBinding {binding.namespace}/{binding.name} "
                        "from another namespace",
                        workload.label_source,
                        workload.ref,
                    )
                )
            result.bindings.append(binding)
            if ident.key in usable and ident not in result.identities:
                result.identities.append(ident)
        if not result.bindings:
            hint = ""
            if skipped_namespaced:
                hint = (
                    " (bindings with that selector exist in namespace(s) "
                    + ", ".join(sorted({b.namespace for b in skipped_namespaced}))
                    + ", but matching is namespaced there)"
                )
            findings.append(
                F.make(
                    "unmatched-selector",
                    f"{workload.ref} has aadpodidbinding={label!r}, which no binding selects{hint}",
                    workload.label_source,
                    workload.ref,
                )
            )
        chosen = choose_primary(result, identity_for or {})
        if chosen:
            findings.append(chosen)
        matches.append(result)

    for binding in inventory.bindings:
        if binding.key not in used_bindings and not is_placeholder(binding.selector):
            findings.append(
                F.make(
                    "unused-binding",
                    f"AzureIdentityBinding {binding.namespace}/{binding.name} (selector "
                    f"{binding.selector!r}) matches no scanned workload",
                    binding.source,
                    f"{binding.namespace}/AzureIdentityBinding/{binding.name}",
                )
            )
    return MatchResult(matches, findings, usable)


def workload_findings(workload: Workload) -> list[Finding]:
    """Findings about a workload that do not depend on matching."""
    findings = []
    if workload.pod_labels.get(WI_USE_LABEL) is not None:
        findings.append(
            F.make(
                "already-migrated",
                f"{workload.ref} already has {WI_USE_LABEL}={workload.pod_labels[WI_USE_LABEL]!r}",
                workload.source,
                workload.ref,
            )
        )
    if BINDING_LABEL in workload.selector_labels:
        findings.append(
            F.make(
                "selector-label-retained",
                f"{workload.ref} selects its pods by aadpodidbinding",
                workload.source,
                workload.ref,
            )
        )
    if workload.flexvolume_pod_identity:
        findings.append(
            F.make(
                "flexvolume-keyvault",
                f'{workload.ref} mounts an azure/kv FlexVolume with usepodidentity "true"',
                workload.source,
                workload.ref,
            )
        )
    if workload.partial:
        findings.append(F.make("partial-workload", f"{workload.ref} has no containers", workload.source, workload.ref))
    return findings


def discovery_findings(
    inventory: Inventory, *, force_namespaced: bool = False, identity_for: dict[str, str] | None = None
) -> list[Finding]:
    """Everything ``discover`` reports: reading problems, matching and workload findings."""
    result = match(inventory, force_namespaced=force_namespaced, identity_for=identity_for)
    found = list(inventory.findings) + result.findings
    for workload in inventory.workloads:
        found.extend(workload_findings(workload))
    unique = {(f.code, f.message, f.source, f.object): f for f in found}
    return sorted(unique.values(), key=F.sort_key)

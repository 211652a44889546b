"""What the wizard decides from the inventory and the answers: which workloads can be chosen, the plan
options the answers make, which error findings block and how each can be resolved. Pure: no I/O, no
prompts, so every rule here is tested without a terminal.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from migrator.core import findings as F
from migrator.core.matching import match
from migrator.core.model import Finding, Identity, Inventory, Workload
from migrator.core.planner import MODE_ANNOTATION, PlanOptions, workload_mode

SIDECAR_ERRORS = ("sidecar-unsupported-windows", "sidecar-unsupported-hostnetwork", "sidecar-blocked-by-pod-security")
IDENTITY_CHOICE = "multiple-identities-for-selector"
READING_ERRORS = ("invalid-yaml", "not-utf8", "unreadable-file")
"""Errors about a file, not an object: the rest of the tree was read, so the user may go on."""

# How a blocking error can be resolved.
CHOOSE_IDENTITY, USE_LABEL, EXCLUDE, QUIT, CONTINUE = "identity", "label", "exclude", "quit", "continue"


def candidates(inventory: Inventory, force_namespaced: bool = False) -> list[Workload]:
    """Workloads the migration can cover: labelled aadpodidbinding and matched by at least one binding
    (a workload whose selector nothing binds has nothing to migrate), sorted by namespace, kind, name."""
    result = match(inventory, force_namespaced=force_namespaced)
    chosen = {m.workload.key: m.workload for m in result.matches if m.bindings or m.identities}
    return [chosen[key] for key in sorted(chosen)]


def chosen_refs(answers: dict[str, Any]) -> list[str]:
    """The workloads the session covers: those chosen, minus those excluded while resolving errors."""
    excluded = set((answers.get("resolve") or {}).get("excluded") or [])
    return [ref for ref in answers.get("workloads") or [] if ref not in excluded]


def effective_modes(answers: dict[str, Any]) -> dict[str, str]:
    """Mode per chosen workload: the answer of the modes step, unless resolving an error changed it."""
    modes = dict(answers.get("modes") or {})
    modes.update((answers.get("resolve") or {}).get("modes") or {})
    return {ref: modes[ref] for ref in chosen_refs(answers) if ref in modes}


def identity_for(answers: dict[str, Any], base: dict[str, str]) -> dict[str, str]:
    return {**base, **((answers.get("resolve") or {}).get("identityFor") or {})}


def session_options(base: PlanOptions, answers: dict[str, Any]) -> PlanOptions:
    """The plan options of the session: the command line's, with each chosen workload's mode (exact refs
    first, so they win over any glob) and the identities picked for shared selectors."""
    return dataclasses.replace(
        base,
        workload_modes={**effective_modes(answers), **base.workload_modes},
        identity_for=identity_for(answers, base.identity_for),
    )


@dataclass
class ModeProposal:
    mode: str
    reason: str


def default_mode(workload: Workload, base: PlanOptions, sdk: tuple[str | None, str] | None) -> ModeProposal:
    """The mode offered first: what SDK detection proposes (with its reason), else what the plan would do."""
    if sdk is not None and sdk[0] is not None:
        return ModeProposal(sdk[0], sdk[1])
    planned = workload_mode(workload, base)
    hinted = str(workload.object_annotations.get(MODE_ANNOTATION) or "")
    if any(_matches(p, workload) for p in base.workload_modes):
        reason = "--workload-mode"
    elif hinted == planned:
        reason = f"annotated {MODE_ANNOTATION}: {hinted}"
    else:
        reason = f"default (--mode {base.mode})"
    if sdk is not None and sdk[1]:
        reason = f"{reason}; SDK detection: {sdk[1]}"
    return ModeProposal(planned, reason)


def _matches(pattern: str, w: Workload) -> bool:
    from migrator.core.planner import workload_matches

    return workload_matches(pattern, w.namespace, w.kind, w.name)


@dataclass
class Blocker:
    """An error finding that stands in the way of the chosen workloads, and what can be done about it."""

    finding: Finding
    workloads: list[str] = field(default_factory=list)
    """The chosen workloads it concerns; empty for one about the whole cluster or tree."""
    resolutions: list[str] = field(default_factory=list)
    identities: list[Identity] = field(default_factory=list)
    """With CHOOSE_IDENTITY: the identities to choose from."""
    selector: str = ""

    @property
    def key(self) -> str:
        """Stable across runs, to notice an error that comes back after it was resolved."""
        return f"{self.finding.code}|{self.finding.object or self.finding.source or ''}"


def blockers(
    findings: list[Finding], inventory: Inventory, chosen: list[str], force_namespaced: bool = False
) -> list[Blocker]:
    """The error findings that concern the chosen workloads or everything; errors about objects only other
    workloads use are left to those workloads' migration."""
    selected = set(chosen)
    matched = {m.workload.ref: m for m in match(inventory, force_namespaced=force_namespaced).matches}
    result: list[Blocker] = []
    seen: set[str] = set()
    for finding in sorted(findings, key=F.sort_key):
        if finding.severity != F.ERROR:
            continue
        affected = affected_workloads(finding, inventory)
        blocker = Blocker(finding)
        if blocker.key in seen:
            continue
        seen.add(blocker.key)
        if affected is None:
            blocker.resolutions = [QUIT, CONTINUE] if finding.code in READING_ERRORS else [QUIT]
            result.append(blocker)
            continue
        blocker.workloads = sorted(affected & selected)
        if not blocker.workloads:
            continue
        if finding.code == IDENTITY_CHOICE and len(blocker.workloads) == 1 and blocker.workloads[0] in matched:
            m = matched[blocker.workloads[0]]
            blocker.identities, blocker.selector = list(m.identities), m.selector
            blocker.resolutions = [CHOOSE_IDENTITY, EXCLUDE, QUIT]
        elif finding.code in SIDECAR_ERRORS:
            blocker.resolutions = [USE_LABEL, EXCLUDE, QUIT]
        else:
            blocker.resolutions = [EXCLUDE, QUIT]
        result.append(blocker)
    return result


def concerning(findings: list[Finding], inventory: Inventory, chosen: list[str]) -> list[Finding]:
    """The findings about the chosen workloads (or about everything), without the infos."""
    selected = set(chosen)
    result = []
    for finding in findings:
        affected = affected_workloads(finding, inventory)
        if finding.severity != F.INFO and (affected is None or affected & selected):
            result.append(finding)
    return result


def affected_workloads(finding: Finding, inventory: Inventory) -> set[str] | None:
    """Refs of the workloads a finding is about: its object when that is a workload, the users of an
    identity or binding it names; None when it is about the cluster, Azure or a file as a whole."""
    obj = finding.object or ""
    refs = {w.ref: w for w in inventory.workloads}
    if obj in refs:
        return {obj}
    parts = obj.split("/")
    if len(parts) == 3 and parts[1] == "AzureIdentityBinding":
        selectors = {b.selector for b in inventory.bindings if (b.namespace, b.name) == (parts[0], parts[2])}
        return _using(inventory, selectors)
    identities: list[Identity] = []
    if len(parts) == 3 and parts[1] == "AzureIdentity":
        identities = [i for i in inventory.identities if (i.namespace, i.name) == (parts[0], parts[2])]
    elif "/providers/microsoft.managedidentity/" in obj.lower():
        identities = [i for i in inventory.identities if (i.resource_id or "").lower() == obj.lower()]
    else:
        return None
    keys = {i.key for i in identities}
    selectors = {b.selector for b in inventory.bindings if (b.namespace, b.identity) in keys}
    return _using(inventory, selectors)


def _using(inventory: Inventory, selectors: set[str]) -> set[str]:
    return {w.ref for w in inventory.workloads if w.binding_label is not None and w.binding_label in selectors}


def identity_choice_key(blocker: Blocker) -> str:
    """The ``--identity-for`` key for a shared selector: ``NAMESPACE/SELECTOR`` of the workload."""
    namespace = blocker.workloads[0].split("/", 1)[0]
    return f"{namespace}/{blocker.selector}"


def identity_choice_value(identity: Identity, among: list[Identity]) -> str:
    """The identity's name, qualified with its namespace only when another candidate has the same name."""
    same = [i for i in among if i.name == identity.name]
    return identity.name if len(same) == 1 else f"{identity.namespace}/{identity.name}"

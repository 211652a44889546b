"""What each rewrite phase changes, decided on parsed documents (pure: no I/O, no text).

``migrate`` adds workload identity beside pod identity, ``cleanup`` removes
pod identity once the workload has moved, ``remove-sidecar`` drops the proxy
annotations. Each returns edits per document; ``engine`` makes them in text.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from migrator.core import findings as F
from migrator.core.fields import ci_item, dig, mapping, text
from migrator.core.model import Finding, Inventory, Source
from migrator.core.plan import (
    DEFAULT_PROXY_PORT,
    INJECT_SIDECAR_ANNOTATION,
    PROXY_PORT_ANNOTATION,
    USE_LABEL,
    Plan,
    PlannedServiceAccount,
)
from migrator.core.planner import MODE_ANNOTATION, workload_matches
from migrator.core.recognise import (
    BINDING_LABEL,
    POD_IDENTITY_GROUP,
    SPC_GROUP,
    TEMPLATE_PATHS,
    WORKLOAD_GROUPS,
    ObjectRef,
    iter_objects,
    object_ref,
)
from migrator.rewrite.edits import DeleteItem, DeleteKey, Edit, Path, SetKey

PHASES = ("migrate", "cleanup", "remove-sidecar")
POD_IDENTITY_KINDS = ("AzureIdentity", "AzureIdentityBinding", "AzurePodIdentityException")
SIDECAR_ANNOTATIONS = (INJECT_SIDECAR_ANNOTATION, PROXY_PORT_ANNOTATION)
IMMUTABLE_TEMPLATES = ("Pod", "Job")  # kinds whose pod template the API server will not update


@dataclass
class ParsedDocument:
    """One document of a file: where it is, its data, and the namespace kustomize imposes on it."""

    path: str
    chunk: int
    line: int
    data: Any
    namespace_override: str | None = None

    @property
    def key(self) -> tuple[str, int]:
        return (self.path, self.chunk)


@dataclass(frozen=True)
class NewServiceAccount:
    """A ServiceAccount the plan creates, to be written beside the workload that runs as it."""

    account: PlannedServiceAccount
    beside: str
    explicit_namespace: bool


@dataclass
class Changes:
    edits: dict[tuple[str, int], list[Edit]] = field(default_factory=lambda: defaultdict(list))
    deleted: set[tuple[str, int]] = field(default_factory=set)
    new_service_accounts: list[NewServiceAccount] = field(default_factory=list)
    notes: dict[str, dict[str, list[str]]] = field(default_factory=lambda: defaultdict(dict))
    """File -> object -> what changes in it, for people reading the summary."""
    findings: list[Finding] = field(default_factory=list)

    def add(self, doc: ParsedDocument, obj: str, what: str, *edits: Edit) -> None:
        self.edits[doc.key].extend(edits)
        self.note(doc.path, obj, what)

    def note(self, path: str, obj: str, what: str) -> None:
        notes = self.notes[path].setdefault(obj, [])
        if what not in notes:
            notes.append(what)

    def summary(self, path: str) -> list[str]:
        return [f"{obj}: {', '.join(whats)}" for obj, whats in self.notes.get(path, {}).items()]


@dataclass
class PhaseOptions:
    phase: str = "migrate"
    workloads: tuple[str, ...] = ()
    """Globs (``namespace/kind/name`` or ``namespace/name``); empty: every workload."""
    default_namespace: str = "default"


@dataclass
class _Object:
    doc: ParsedDocument
    at: Path
    obj: dict
    ref: ObjectRef

    @property
    def template(self) -> Path:
        return self.at + TEMPLATE_PATHS[self.ref.kind]

    @property
    def pod_labels(self) -> dict:
        return mapping(dig(self.obj, *TEMPLATE_PATHS[self.ref.kind], "metadata", "labels"))

    @property
    def pod_annotations(self) -> dict:
        return mapping(dig(self.obj, *TEMPLATE_PATHS[self.ref.kind], "metadata", "annotations"))

    @property
    def source(self) -> Source:
        return Source(self.doc.path, self.doc.line)

    @property
    def name(self) -> str:
        return f"{self.ref.namespace}/{self.ref.kind}/{self.ref.name}"


def objects(docs: list[ParsedDocument], default_namespace: str) -> Iterator[_Object]:
    for doc in docs:
        for at, obj in iter_objects(doc.data):
            yield _Object(doc, at, obj, object_ref(obj, default_namespace, doc.namespace_override))


def _workloads(objs: list[_Object]) -> dict[tuple[str, str, str], list[_Object]]:
    result: dict[tuple[str, str, str], list[_Object]] = defaultdict(list)
    for o in objs:
        if o.ref.kind in TEMPLATE_PATHS and o.ref.group in WORKLOAD_GROUPS:
            result[(o.ref.namespace, o.ref.kind, o.ref.name)].append(o)
    return result


def _selected(options: PhaseOptions, namespace: str, kind: str, name: str) -> bool:
    return not options.workloads or any(workload_matches(p, namespace, kind, name) for p in options.workloads)


def unmatched_patterns(options: PhaseOptions, keys: list[tuple[str, str, str]]) -> list[Finding]:
    return [
        F.make("workload-filter-unmatched", f"--workload {pattern!r} matches no workload in these manifests")
        for pattern in options.workloads
        if not any(workload_matches(pattern, *key) for key in keys)
    ]


# -- migrate ---------------------------------------------------------------


def migrate(docs: list[ParsedDocument], plan: Plan, options: PhaseOptions) -> Changes:
    changes = Changes()
    objs = list(objects(docs, options.default_namespace))
    workloads = _workloads(objs)
    planned = {(w.namespace, w.kind, w.name): w for w in plan.workloads}
    creating = {(s.namespace, s.name): s for s in plan.serviceAccounts if s.create}
    placed: set[tuple[str, str]] = set()
    for key, entries in workloads.items():
        pw = planned.get(key)
        if pw is None or not _selected(options, *key):
            continue
        targets = [o for o in entries if BINDING_LABEL in o.pod_labels] or entries
        if key[1] in IMMUTABLE_TEMPLATES and text(targets[0].pod_labels.get(USE_LABEL)) != "true":
            ref = "/".join(key)
            changes.findings.append(F.make("recreate-needed", f"{ref} must be re-created", targets[0].source, ref))
        for o in targets:
            labels = o.template + ("metadata", "labels")
            changes.add(o.doc, o.name, f"label {USE_LABEL}", SetKey(labels, USE_LABEL, "true"))
            if pw.serviceAccountName != pw.previousServiceAccountName:
                spec = o.template + ("spec",)
                edits: list[Edit] = [SetKey(spec, "serviceAccountName", pw.serviceAccountName)]
                if "serviceAccount" in mapping(dig(o.obj, *TEMPLATE_PATHS[o.ref.kind], "spec")):
                    edits.append(SetKey(spec, "serviceAccount", pw.serviceAccountName))
                changes.add(o.doc, o.name, f"serviceAccountName {pw.serviceAccountName}", *edits)
            if pw.mode == "sidecar":
                annotations = o.template + ("metadata", "annotations")
                port = str(pw.proxyPort or DEFAULT_PROXY_PORT)
                changes.add(
                    o.doc,
                    o.name,
                    f"proxy sidecar on port {port}",
                    SetKey(annotations, INJECT_SIDECAR_ANNOTATION, "true"),
                    SetKey(annotations, PROXY_PORT_ANNOTATION, port),
                )
            sa_key = (key[0], pw.serviceAccountName)
            if sa_key in creating and sa_key not in placed:
                placed.add(sa_key)
                explicit = "namespace" in mapping(o.obj.get("metadata"))
                changes.new_service_accounts.append(NewServiceAccount(creating[sa_key], o.doc.path, explicit))
    _annotate_service_accounts(objs, plan, changes)
    _switch_secret_provider_classes(objs, plan, changes)
    changes.findings.extend(unmatched_patterns(options, list(workloads)))
    return changes


def _annotate_service_accounts(objs: list[_Object], plan: Plan, changes: Changes) -> None:
    declared = {(o.ref.namespace, o.ref.name): o for o in objs if o.ref.kind == "ServiceAccount" and not o.ref.group}
    for sa in plan.serviceAccounts:
        if sa.create:
            continue
        o = declared.get((sa.namespace, sa.name))
        if o is None:
            shown = ", ".join(f"{k}: {v}" for k, v in sa.annotations.items())
            changes.findings.append(
                F.make(
                    "service-account-not-in-tree",
                    f"ServiceAccount {sa.namespace}/{sa.name} is not declared in these manifests; it needs {shown}",
                    obj=f"{sa.namespace}/ServiceAccount/{sa.name}",
                )
            )
            continue
        path = o.at + ("metadata", "annotations")
        edits = [SetKey(path, k, v) for k, v in sa.annotations.items()]
        changes.add(o.doc, o.name, f"annotate client-id {sa.clientID}", *edits)


def _switch_secret_provider_classes(objs: list[_Object], plan: Plan, changes: Changes) -> None:
    planned = {(s.namespace, s.name): s for s in plan.secretProviderClasses}
    for o in objs:
        spc = planned.get((o.ref.namespace, o.ref.name))
        if spc is None or o.ref.kind != "SecretProviderClass" or o.ref.group != SPC_GROUP:
            continue
        params = mapping(dig(o.obj, "spec", "parameters"))
        path = o.at + ("spec", "parameters")
        use_key = ci_item(params, "usePodIdentity")[0] or "usePodIdentity"
        client_key = ci_item(params, "clientID")[0] or "clientID"
        changes.add(
            o.doc,
            o.name,
            f"usePodIdentity false, clientID {spc.clientID}",
            SetKey(path, use_key, "false"),
            SetKey(path, client_key, spc.clientID),
        )


# -- cleanup ---------------------------------------------------------------


@dataclass
class _Selector:
    """An object outside the workload that selects pods by the aadpodidbinding label."""

    what: str
    namespace: str | None  # None: any namespace
    values: set[str] | None  # None: any value
    source: Source

    def selects(self, namespace: str, value: str) -> bool:
        return (self.namespace is None or self.namespace == namespace) and (self.values is None or value in self.values)


def _label_selector_values(selector: Any) -> set[str] | None | bool:
    """Values of aadpodidbinding a LabelSelector requires: a set, None for any, False when unused."""
    selector = mapping(selector)
    labels = mapping(selector.get("matchLabels"))
    if BINDING_LABEL in labels:
        return {text(labels[BINDING_LABEL]) or ""}
    for expression in selector.get("matchExpressions") or []:
        expression = mapping(expression)
        if expression.get("key") == BINDING_LABEL:
            values = expression.get("values")
            if expression.get("operator") == "In" and isinstance(values, list):
                return {text(v) or "" for v in values}
            return None
    return False


def _selectors(objs: list[_Object]) -> list[_Selector]:
    found: list[_Selector] = []

    def add(o: _Object, selector: Any, namespace: str | None, where: str = "") -> None:
        values = _label_selector_values(selector)
        if values is not False:
            found.append(_Selector(f"{o.name}{where} ({o.source})", namespace, values, o.source))

    for o in objs:
        kind, ns, spec = o.ref.kind, o.ref.namespace, mapping(o.obj.get("spec"))
        if kind == "Service" and not o.ref.group:
            selector = mapping(spec.get("selector"))
            if BINDING_LABEL in selector:
                found.append(_Selector(f"{o.name} ({o.source})", ns, {text(selector[BINDING_LABEL]) or ""}, o.source))
        elif kind == "PodDisruptionBudget":
            add(o, spec.get("selector"), ns)
        elif kind == "NetworkPolicy":
            add(o, spec.get("podSelector"), ns)
            for direction, peers_key in (("ingress", "from"), ("egress", "to")):
                for rule in spec.get(direction) or []:
                    for peer in mapping(rule).get(peers_key) or []:
                        peer = mapping(peer)
                        add(o, peer.get("podSelector"), None if "namespaceSelector" in peer else ns, f" {direction}")
        elif kind in TEMPLATE_PATHS and o.ref.group in WORKLOAD_GROUPS:
            pod_spec = dig(o.obj, *TEMPLATE_PATHS[kind], "spec")
            for selector in _nested_label_selectors(pod_spec):
                add(o, selector, ns, " affinity or topology spread")
    return found


def _nested_label_selectors(data: Any, depth: int = 0) -> Iterator[Any]:
    """``labelSelector`` values anywhere in a pod spec (affinity, topologySpreadConstraints)."""
    if depth > 12:
        return
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "labelSelector":
                yield value
            else:
                yield from _nested_label_selectors(value, depth + 1)
    elif isinstance(data, list):
        for item in data:
            yield from _nested_label_selectors(item, depth + 1)


def _own_selector_uses_label(o: _Object) -> bool:
    selector = dig(o.obj, "spec", "selector")
    if o.ref.kind == "ReplicationController":
        return BINDING_LABEL in mapping(selector)
    return _label_selector_values(selector) is not False


def _not_migrated_reason(inventory: Inventory, plan: Plan, key: tuple[str, str, str]) -> str | None:
    merged = {w.key: w for w in inventory.workloads}.get(key)
    labels = merged.pod_labels if merged else {}
    if text(labels.get(USE_LABEL)) != "true":
        return f'its pod template has no `{USE_LABEL}: "true"` label'
    pw = next((w for w in plan.workloads if (w.namespace, w.kind, w.name) == key), None)
    if pw and pw.serviceAccountName != pw.previousServiceAccountName:
        was = pw.previousServiceAccountName or "default"
        return f"it still runs as ServiceAccount {was!r}, where the plan moves it to {pw.serviceAccountName!r}"
    return None


def cleanup(docs: list[ParsedDocument], plan: Plan, inventory: Inventory, options: PhaseOptions) -> Changes:
    changes = Changes()
    objs = list(objects(docs, options.default_namespace))
    workloads = _workloads(objs)
    selectors = _selectors(objs)
    still_needed: set[str] = set()  # selector values some workload still depends on
    for key, entries in workloads.items():
        carrying = [o for o in entries if BINDING_LABEL in o.pod_labels]
        if not carrying:
            continue
        value = text(carrying[0].pod_labels[BINDING_LABEL]) or ""
        ref = "/".join(key)
        if not _selected(options, *key):
            still_needed.add(value)
            continue
        reason = _not_migrated_reason(inventory, plan, key)
        if reason:
            still_needed.add(value)
            changes.findings.append(F.make("not-migrated", f"{ref} is not migrated: {reason}", carrying[0].source, ref))
            continue
        for o in entries:  # the label on the workload object itself selects nothing
            if o.template != o.at and BINDING_LABEL in mapping(dig(o.obj, "metadata", "labels")):
                edit = DeleteKey(o.at + ("metadata", "labels"), BINDING_LABEL, len(o.at) + 1)
                changes.add(o.doc, o.name, "remove label aadpodidbinding from the object", edit)
        if any(_own_selector_uses_label(o) for o in entries):
            continue  # the plan reports selector-label-retained: a selector is immutable
        users = [s for s in selectors if s.selects(key[0], value)]
        if users:
            changes.findings.append(
                F.make(
                    "label-used-by-selector",
                    f"aadpodidbinding={value} on {ref} is selected by " + ", ".join(s.what for s in users),
                    carrying[0].source,
                    ref,
                )
            )
            continue
        for o in carrying:
            path = o.template + ("metadata", "labels")
            changes.add(o.doc, o.name, "remove label aadpodidbinding", DeleteKey(path, BINDING_LABEL, len(o.template)))
    _remove_pod_identity_objects(objs, still_needed, changes)
    changes.findings.extend(unmatched_patterns(options, list(workloads)))
    return changes


def _remove_pod_identity_objects(objs: list[_Object], still_needed: set[str], changes: Changes) -> None:
    pod_identity = [o for o in objs if o.ref.group == POD_IDENTITY_GROUP and o.ref.kind in POD_IDENTITY_KINDS]
    kept_identities = set()
    kept: set[int] = set()
    for o in pod_identity:
        if o.ref.kind == "AzureIdentityBinding":
            spec = mapping(o.obj.get("spec"))
            if (text(ci_item(spec, "selector")[1]) or "") in still_needed:
                kept.add(id(o))
                kept_identities.add((o.ref.namespace, text(ci_item(spec, "azureIdentity")[1]) or ""))
    for o in pod_identity:
        if o.ref.kind == "AzureIdentity" and (o.ref.namespace, o.ref.name) in kept_identities:
            kept.add(id(o))
    items: dict[tuple[str, int], list[tuple[_Object, int]]] = defaultdict(list)
    for o in pod_identity:
        if id(o) in kept:
            continue
        if not o.at:
            changes.deleted.add(o.doc.key)
            changes.note(o.doc.path, o.name, "removed")
        else:
            items[o.doc.key].append((o, int(o.at[-1])))
    for entries in items.values():
        doc = entries[0][0].doc
        if len(entries) == len(dig(doc.data, *entries[0][0].at[:-1]) or ()) and len(entries[0][0].at) == 2:
            changes.deleted.add(doc.key)  # a List of nothing but pod-identity objects goes whole
            for o, _ in entries:
                changes.note(doc.path, o.name, "removed")
            continue
        for o, index in sorted(entries, key=lambda e: -e[1]):
            changes.add(o.doc, o.name, "removed", DeleteItem(o.at[:-1], index, len(o.at) - 1))


# -- remove-sidecar --------------------------------------------------------


def remove_sidecar(docs: list[ParsedDocument], options: PhaseOptions) -> Changes:
    changes = Changes()
    workloads = _workloads(list(objects(docs, options.default_namespace)))
    for key, entries in workloads.items():
        if not _selected(options, *key):
            continue
        for o in entries:
            present = [a for a in SIDECAR_ANNOTATIONS if a in o.pod_annotations]
            if present:
                path = o.template + ("metadata", "annotations")
                edits = [DeleteKey(path, a, len(o.template)) for a in present]
                changes.add(o.doc, o.name, "remove the proxy sidecar annotations", *edits)
            hint = mapping(mapping(o.obj.get("metadata")).get("annotations")).get(MODE_ANNOTATION)
            if text(hint) == "sidecar":  # our own hint, no longer true
                edit = DeleteKey(o.at + ("metadata", "annotations"), MODE_ANNOTATION, len(o.at) + 1)
                changes.add(o.doc, o.name, f"remove {MODE_ANNOTATION}", edit)
    changes.findings.extend(unmatched_patterns(options, list(workloads)))
    return changes

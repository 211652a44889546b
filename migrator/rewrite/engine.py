"""Rewrite a set of manifest files for one phase: bytes in, bytes out (pure: no I/O).

Only the documents a phase changes are parsed and edited; every other byte
of a file is kept as it was. A file whose edit cannot be made faithfully is
reported as failed and left alone, and the others go on.
"""

from __future__ import annotations

import codecs
import os
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from migrator.core.fields import mapping
from migrator.core.model import Finding, Inventory
from migrator.core.plan import Plan
from migrator.rewrite import phases
from migrator.rewrite.edits import AppendItem, DeleteItem, Edit, EditError
from migrator.rewrite.phases import Changes, NewServiceAccount, ParsedDocument, PhaseOptions
from migrator.rewrite.yamledit import edit_document, render
from migrator.sources.manifests.kustomize import listed_files
from migrator.sources.manifests.parse import compose, construct, split_documents
from migrator.sources.manifests.reader import declares_context, is_template

# A chunk is parsed only when it may hold something the phase acts on.
NEEDLES = {
    "migrate": ("aadpodidbinding", "ServiceAccount", "SecretProviderClass"),
    "cleanup": ("aadpodid", "AzureIdentity", "AzurePodIdentityException"),
    "remove-sidecar": ("proxy-sidecar",),
}
_UNREAD = object()
_MIGRATE_PARSE = re.compile("aadpodidbinding|SecretProviderClass")
_BARE_MARKER = re.compile(r"\A---[ \t]*\r?\n")
_CONTENT_LINE = re.compile(r"(?m)^(?![ \t]*(?:#.*)?\r?$)(?!---[ \t]*(?:#.*)?\r?$)(?!\.\.\.[ \t]*\r?$)")


@dataclass(frozen=True)
class SourceFile:
    path: str
    """As shown to users."""
    real: str
    """Where it really is; kustomization entries and namespaces resolve against this."""
    data: bytes


@dataclass
class FileOutcome:
    path: str
    real: str
    status: str  # changed, created, deleted, failed, skipped
    before: bytes | None = None
    after: bytes | None = None
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "status": self.status, "changes": list(self.notes), "error": self.error}


@dataclass
class RewriteResult:
    phase: str
    files: list[FileOutcome] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    examined: int = 0

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def failed(self) -> bool:
        return any(f.status == "failed" for f in self.files)

    @property
    def pending(self) -> bool:
        return any(f.status in ("changed", "created", "deleted") for f in self.files)


@dataclass
class _Text:
    source: SourceFile
    text: str
    bom: bool
    chunks: list[tuple[int, str]]


def rewrite(
    files: list[SourceFile],
    kustomizations: list[SourceFile],
    plan: Plan | None,
    inventory: Inventory,
    options: PhaseOptions,
    namespaces: dict[str, str] | None = None,
    taken: set[str] | None = None,
    parsed: dict[tuple[str, int], Any] | None = None,
) -> RewriteResult:
    """Outcome per file of running ``options.phase`` over ``files``.

    ``namespaces`` maps real paths to the namespace a kustomization imposes;
    ``taken`` holds real paths a new file must not take; ``parsed`` holds data
    already read, by (path, first line of the chunk), so it is not parsed twice.
    """
    if options.phase not in phases.PHASES:
        raise ValueError(f"unknown phase {options.phase!r}")
    result = RewriteResult(options.phase, examined=len(files))
    accounts = {sa.name for sa in plan.serviceAccounts if not sa.create} if plan else set()
    texts, docs, skipped = _read_sources(files, NEEDLES[options.phase], namespaces or {}, parsed or {}, accounts)
    result.files.extend(skipped)
    changes = _changes(options, docs, plan, inventory)
    result.findings.extend(changes.findings)
    touched = sorted({path for path, _ in (*changes.edits, *changes.deleted)})
    data = {doc.key: doc.data for doc in docs}
    outcomes = {o.path: o for o in (_apply(texts[path], changes, data) for path in touched) if o is not None}
    kustom = KustomizationEditor(kustomizations)
    # a ServiceAccount whose workload could not be switched to it would only be clutter
    requests = [r for r in changes.new_service_accounts if getattr(outcomes.get(r.beside), "status", "") != "failed"]
    created = _create_service_accounts(requests, texts, kustom, set(taken or ()), plan)
    for outcome in outcomes.values():
        if outcome.status == "deleted":
            kustom.forget(outcome.real)
    result.files.extend(outcomes.values())
    result.files.extend(created)
    result.files.extend(kustom.outcomes())
    result.files.sort(key=lambda f: f.path)
    return result


def _read_sources(
    files: list[SourceFile],
    needles: tuple[str, ...],
    namespaces: dict[str, str],
    parsed: dict[tuple[str, int], Any],
    accounts: set[str],
) -> tuple[dict[str, _Text], list[ParsedDocument], list[FileOutcome]]:
    """Decoded files, the documents the phase may act on, and the templates it must skip."""
    texts: dict[str, _Text] = {}
    docs: list[ParsedDocument] = []
    skipped: list[FileOutcome] = []
    for source in files:
        loaded = _load(source)
        if loaded is None:
            continue
        if is_template(loaded.text):
            if any(n in loaded.text for n in needles):
                note = "template, not YAML: change it by hand (see the template-not-yaml finding)"
                skipped.append(FileOutcome(source.path, source.real, "skipped", notes=[note]))
            continue
        texts[source.path] = loaded
        docs.extend(_documents(loaded, needles, namespaces.get(source.real), parsed, accounts))
    return texts, docs, skipped


def _load(source: SourceFile) -> _Text | None:
    data = source.data
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        text = data[3:].decode("utf-8") if bom else data.decode("utf-8")
    except UnicodeDecodeError:
        return None  # reported by discovery as not-utf8
    return _Text(source, text, bom, split_documents(text))


def _wanted_for_migrate(chunk: str, accounts: set[str]) -> bool:
    """A workload, a SecretProviderClass, or a ServiceAccount the plan annotates (not an RBAC subject)."""
    if _MIGRATE_PARSE.search(chunk):
        return True
    return declares_context(chunk) and any(name in chunk for name in accounts)


def _documents(
    loaded: _Text,
    needles: tuple[str, ...],
    override: str | None,
    parsed: dict[tuple[str, int], Any],
    accounts: set[str],
) -> list[ParsedDocument]:
    docs = []
    for index, (line, chunk) in enumerate(loaded.chunks):
        if not any(n in chunk for n in needles):
            continue
        if needles is NEEDLES["migrate"] and not _wanted_for_migrate(chunk, accounts):
            continue
        data = parsed.get((loaded.source.path, line), _UNREAD)
        if data is _UNREAD:
            try:
                data = construct(compose(chunk))
            except (yaml.YAMLError, TypeError, RecursionError):
                continue  # reported by discovery as invalid-yaml
        if isinstance(data, dict):
            docs.append(ParsedDocument(loaded.source.path, index, line, data, override))
    return docs


def _changes(options: PhaseOptions, docs: list[ParsedDocument], plan: Plan | None, inventory: Inventory) -> Changes:
    if options.phase == "remove-sidecar":
        return phases.remove_sidecar(docs, options)
    if plan is None:
        raise ValueError(f"the {options.phase} phase needs a plan")
    if options.phase == "migrate":
        return phases.migrate(docs, plan, options)
    return phases.cleanup(docs, plan, inventory, options)


def _apply(loaded: _Text, changes: Changes, data: dict[tuple[str, int], Any]) -> FileOutcome | None:
    source = loaded.source
    notes = changes.summary(source.path)
    pieces = []
    for index, (line, chunk) in enumerate(loaded.chunks):
        key = (source.path, index)
        if key in changes.deleted:
            continue
        try:
            pieces.append(edit_document(chunk, changes.edits.get(key, []), data.get(key)))
        except EditError as exc:
            error = f"{source.path}:{line}: {exc}"
            return FileOutcome(source.path, source.real, "failed", source.data, notes=notes, error=error)
    text = "".join(pieces)
    if pieces and (source.path, 0) in changes.deleted and not loaded.text.startswith("---"):
        text = _BARE_MARKER.sub("", text, count=1)  # the file did not start with `---`; keep it so
    if text == loaded.text:
        return None
    if not _CONTENT_LINE.search(text):
        return FileOutcome(source.path, source.real, "deleted", source.data, None, notes)
    after = (codecs.BOM_UTF8 if loaded.bom else b"") + text.encode("utf-8")
    return FileOutcome(source.path, source.real, "changed", source.data, after, notes)


# -- new ServiceAccount files ------------------------------------------------


def _create_service_accounts(
    requests: list[NewServiceAccount],
    texts: dict[str, _Text],
    kustom: KustomizationEditor,
    taken: set[str],
    plan: Plan | None,
) -> list[FileOutcome]:
    outcomes = []
    for request in requests:
        beside = texts[request.beside]
        real, path = _free_name(beside.source, request.account.name, taken)
        taken.add(real)
        nl = "\r\n" if "\r\n" in beside.text else "\n"
        content = service_account_yaml(request, plan, nl)
        outcomes.append(
            FileOutcome(
                path,
                real,
                "created",
                None,
                content.encode("utf-8"),
                [f"new ServiceAccount {request.account.namespace}/{request.account.name}"],
            )
        )
        kustom.add_beside(beside.source.real, real)
    return outcomes


def _free_name(beside: SourceFile, name: str, taken: set[str]) -> tuple[str, str]:
    real_dir, shown_dir = os.path.dirname(beside.real), os.path.dirname(beside.path)
    for n in range(1, 1000):
        filename = f"serviceaccount-{name}{'' if n == 1 else f'-{n}'}.yaml"
        real = os.path.join(real_dir, filename)
        if real not in taken:
            return real, os.path.join(shown_dir, filename)
    raise EditError(f"no free file name for ServiceAccount {name} in {shown_dir}")


def service_account_yaml(request: NewServiceAccount, plan: Plan | None, nl: str = "\n") -> str:
    """The new ServiceAccount as a small, commented YAML file."""
    sa = request.account
    workloads = plan.workloads if plan else []
    users = sorted(w.ref for w in workloads if w.namespace == sa.namespace and w.serviceAccountName == sa.name)
    lines = [
        f"# Workload identity for {', '.join(users) or sa.name}; added by wimigrate.",
        "apiVersion: v1",
        "kind: ServiceAccount",
        "metadata:",
        f"  name: {render(sa.name, None)}",
    ]
    if request.explicit_namespace:
        lines.append(f"  namespace: {render(sa.namespace, None)}")
    lines.append("  annotations:")
    lines.extend(f"    {key}: {render(value)}" for key, value in sa.annotations.items())
    return nl.join(lines) + nl


# -- kustomizations ------------------------------------------------------------


class KustomizationEditor:
    """Keeps kustomizations' file lists in step with files created and deleted."""

    def __init__(self, kustomizations: list[SourceFile]) -> None:
        self.files = {os.path.dirname(k.real): k for k in kustomizations}
        self.data: dict[str, dict] = {}
        self.edits: dict[str, list[Edit]] = {}
        self.notes: dict[str, dict[str, list[str]]] = {}
        self.index: dict[str, list[tuple[str, str, int]]] | None = None

    def _parsed(self, directory: str) -> dict:
        if directory not in self.data:
            loaded = _load(self.files[directory])
            try:
                data = construct(compose(loaded.text)) if loaded else None
            except yaml.YAMLError:
                data = None
            self.data[directory] = mapping(data)
        return self.data[directory]

    def _entries(self, directory: str) -> list[tuple[str, int, str]]:
        """(list key, index, real target) of every file the kustomization names."""
        return [
            (key, index, os.path.normpath(os.path.join(directory, entry)))
            for key, index, entry in listed_files(self._parsed(directory))
        ]

    def _listing(self, target: str) -> list[tuple[str, str, int]]:
        """(kustomization directory, list key, index) of every entry naming ``target``."""
        if self.index is None:
            self.index = {}
            for directory in self.files:
                for key, index, listed in self._entries(directory):
                    self.index.setdefault(listed, []).append((directory, key, index))
        return self.index.get(target, [])

    def add_beside(self, listed: str, new: str) -> None:
        """List ``new`` in the resources of every kustomization that names ``listed``."""
        for directory in dict.fromkeys(d for d, _, _ in self._listing(listed)):
            relative = posixpath.join(*os.path.relpath(new, directory).split(os.sep))
            self.edits.setdefault(directory, []).append(AppendItem(("resources",), relative))
            self._note(directory, "resources: add", relative)

    def forget(self, deleted: str) -> None:
        """Drop a deleted file from every kustomization that names it."""
        for directory, key, index in sorted(self._listing(deleted), key=lambda h: -h[2]):
            self.edits.setdefault(directory, []).append(DeleteItem((key,), index))
            self._note(directory, f"{key}: remove", os.path.relpath(deleted, directory))

    def _note(self, directory: str, what: str, entry: str) -> None:
        self.notes.setdefault(directory, {}).setdefault(what, []).append(entry)

    def outcomes(self) -> list[FileOutcome]:
        result = []
        for directory, edits in self.edits.items():
            source = self.files[directory]
            loaded = _load(source)
            if loaded is None:
                continue
            edits = sorted(edits, key=lambda e: (isinstance(e, DeleteItem), -getattr(e, "index", 0)))
            notes = [f"{what} {', '.join(entries)}" for what, entries in self.notes[directory].items()]
            try:
                text = edit_document(loaded.text, edits)
            except EditError as exc:
                result.append(
                    FileOutcome(
                        source.path,
                        source.real,
                        "failed",
                        source.data,
                        notes=self.notes[directory],
                        error=f"{source.path}: {exc}",
                    )
                )
                continue
            after = (codecs.BOM_UTF8 if loaded.bom else b"") + text.encode("utf-8")
            result.append(FileOutcome(source.path, source.real, "changed", source.data, after, notes))
        return result

"""Build the inventory from manifest files and directories."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from migrator.core import findings as F
from migrator.core.document import Document
from migrator.core.model import Inventory, Source
from migrator.core.patches import merge_patches
from migrator.core.recognise import recognise
from migrator.sources.manifests.kustomize import is_kustomization, namespace_map, patch_files
from migrator.sources.manifests.reader import (
    DEFAULT_MAX_FILE_SIZE,
    FileResult,
    may_declare_context,
    may_mention_pod_identity,
    mentions_pod_identity,
    parse_chunk,
    parse_file,
    read_bytes,
)
from migrator.sources.manifests.walk import FoundFile, SkippedLink, walk


class ManifestPathError(ValueError):
    """A --manifests path that does not exist."""


@dataclass
class ScanResult:
    """The inventory, and what a rewrite needs to find its way back to the files."""

    inventory: Inventory
    files: dict[str, FoundFile] = field(default_factory=dict)
    """Every manifest file walked, by the path shown to users."""
    relevant: list[str] = field(default_factory=list)
    """Files that mention pod identity (parsed in the first pass)."""
    kustomizations: list[FoundFile] = field(default_factory=list)
    namespaces: dict[str, str] = field(default_factory=dict)
    """Real path -> the namespace a kustomization imposes on it."""
    parsed: dict[tuple[str, int], Any] = field(default_factory=dict)
    """(path, first line of a ``---`` chunk) -> its data, for chunks holding one document."""


def scan(
    paths: Iterable[str],
    *,
    default_namespace: str = "default",
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    on_file: Callable[[str], None] | None = None,
) -> Inventory:
    """Inventory of every manifest below ``paths``; unreadable files become findings."""
    return scan_tree(paths, default_namespace=default_namespace, max_file_size=max_file_size, on_file=on_file).inventory


def scan_tree(
    paths: Iterable[str],
    *,
    default_namespace: str = "default",
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    on_file: Callable[[str], None] | None = None,
) -> ScanResult:
    """Like ``scan``, keeping the file lists and kustomize namespaces."""
    inventory = Inventory()
    tree = ScanResult(inventory)
    stats = {"files": 0, "filesRead": 0, "documents": 0, "templates": 0}
    seen: set[str] = set()
    documents: list[tuple[str, Document]] = []
    kustomizations: dict[str, bytes] = {}
    kustomization_paths: dict[str, str] = {}
    skipped: list[FoundFile] = []
    deferred: list[tuple[str, str, int, str]] = []
    for root in paths:
        if not os.path.exists(root):
            raise ManifestPathError(f"{root}: no such file or directory")
        for found in walk(root):
            if isinstance(found, SkippedLink):
                inventory.findings.append(
                    F.make("symlink-outside-root", f"Link to {found.target} not followed", Source(found.path))
                )
                continue
            if found.real in seen:
                continue
            seen.add(found.real)
            tree.files[found.path] = found
            stats["files"] += 1
            if on_file:
                on_file(found.path)
            data, problem = read_bytes(found.path, found.real, max_file_size)
            if problem:
                inventory.findings.append(problem)
                continue
            assert data is not None
            kustomization = is_kustomization(found.path)
            if kustomization:
                kustomizations[os.path.dirname(found.real)] = data
                kustomization_paths[os.path.dirname(found.real)] = found.path
                tree.kustomizations.append(found)
                continue
            blank = not data or data.isspace()
            if not blank and not (may_mention_pod_identity(data) and mentions_pod_identity(data)):
                skipped.append(found)  # may still hold a ServiceAccount the plan needs: see _add_context
                continue
            stats["filesRead"] += 1
            tree.relevant.append(found.path)
            result = parse_file(found.path, data, template_name=found.template_name)
            inventory.findings.extend(result.findings)
            stats["templates"] += result.template
            documents.extend((found.real, doc) for doc in result.documents)
            deferred.extend((found.real, found.path, line, chunk) for line, chunk in result.deferred)

    def load(directory: str) -> dict | None:
        result = parse_file(kustomization_paths[directory], kustomizations[directory], force=True)
        inventory.findings.extend(result.findings)
        data = result.documents[0].data if result.documents else None
        return data if isinstance(data, dict) else None

    # Kustomizations matter only to the objects found; a tree without any is done.
    namespaces, parsed = namespace_map(kustomizations, load) if documents else ({}, {})
    patches = patch_files(parsed)
    for real, doc in documents:
        stats["documents"] += 1
        inventory.extend(recognise(doc, default_namespace, namespaces.get(real), patch=real in patches))
    merge_patches(inventory)
    _add_patch_bases(inventory, documents, skipped, default_namespace, namespaces, max_file_size)
    stats["documents"] += _add_context(inventory, deferred, skipped, default_namespace, namespaces, max_file_size)
    inventory.stats = stats
    tree.namespaces = namespaces
    per_chunk = Counter((doc.path, doc.chunk_line) for _, doc in documents)
    tree.parsed = {
        (doc.path, doc.chunk_line): doc.data for _, doc in documents if per_chunk[doc.path, doc.chunk_line] == 1
    }
    return tree


def _add_patch_bases(
    inventory: Inventory,
    documents: list[tuple[str, Document]],
    skipped: list[FoundFile],
    default_namespace: str,
    namespaces: dict[str, str],
    max_size: int,
) -> None:
    """Find the bases of workload patches, which carry no pod identity themselves.

    A kustomize patch that adds the label holds no ServiceAccount or containers;
    the base Deployment it patches does, and the plan must not guess them.
    """
    wanted = {w.key for w in inventory.workloads if w.partial}
    if not wanted:
        return
    candidates = list(documents)
    needles = {key[2].encode() for key in wanted}
    for found in skipped:
        data, _ = read_bytes(found.path, found.real, max_size)
        if data and any(n in data for n in needles):
            candidates.extend((found.real, doc) for doc in parse_file(found.path, data, force=True).documents)
    for real, doc in candidates:
        bases = recognise(doc, default_namespace, namespaces.get(real), all_workloads=True).workloads
        inventory.workloads.extend(w for w in bases if w.key in wanted and not w.partial)
    merge_patches(inventory)


def _add_context(
    inventory: Inventory,
    deferred: list[tuple[str, str, int, str]],
    skipped: list[FoundFile],
    default_namespace: str,
    namespaces: dict[str, str],
    max_size: int,
) -> int:
    """Parse the ServiceAccount and Namespace documents that can matter to the plan.

    Only those naming something the pod-identity inventory mentions (an SA a
    workload runs as, a name a new SA may take, a workload's namespace) are
    parsed: in a large repository most ServiceAccounts have nothing to do with
    the migration, and parsing them all was most of the cost. Files the first
    pass skipped are read again here, only when there is pod identity at all.
    """
    names = {w.service_account for w in inventory.workloads if w.service_account}
    names |= {w.name for w in inventory.workloads} | {i.name for i in inventory.identities}
    names |= {b.selector for b in inventory.bindings if b.selector}
    spaces = {w.namespace for w in inventory.workloads}
    if not names:
        return 0
    encoded = {t.encode() for t in names | spaces}
    for found in skipped:
        data, _ = read_bytes(found.path, found.real, max_size)
        if data and may_declare_context(data) and any(t in data for t in encoded):
            chunks = parse_file(found.path, data, template_name=found.template_name).deferred
            deferred.extend((found.real, found.path, line, chunk) for line, chunk in chunks)
    count = 0
    for real, path, line, chunk in deferred:
        tokens = names if "ServiceAccount" in chunk else spaces
        if not any(t in chunk for t in tokens):
            continue
        result = FileResult()
        parse_chunk(path, chunk, line, result)
        inventory.findings.extend(result.findings)
        for doc in result.documents:
            count += 1
            inventory.extend(recognise(doc, default_namespace, namespaces.get(real)))
    return count

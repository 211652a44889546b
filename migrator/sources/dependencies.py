"""Read the applications' dependency files under ``--source DIR`` and tie them to workloads.

The walk is the manifest walk's discipline (``sources/manifests/walk.py``): sorted, bounded file sizes,
symlinked directories never entered, a symlinked file read only when its target stays inside the tree.
Vendored and build folders (node_modules, vendor, target, bin, obj, virtualenvs) are skipped: they hold
the dependencies' own dependency files, not the application's. What a file declares is decided by the
pure ``core.sdk_detect``; a file that cannot be read becomes an unknown assessment, never an exception.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable, Sequence

from migrator.core.planner import workload_matches
from migrator.core.sdk_detect import (
    CONTEXT_FILES,
    Assessment,
    application_of,
    assess_file,
    dependency_format,
    not_read,
    settle,
)
from migrator.errors import InputError
from migrator.sources.manifests.reader import DEFAULT_MAX_FILE_SIZE

SKIPPED_DIRS = frozenset(
    {"node_modules", ".git", "vendor", "target", "bin", "obj", "venv", ".venv", "__pycache__", "site-packages"}
)

WorkloadKey = tuple[str, str, str]
"""(namespace, kind, name), as ``model.Workload.key``."""


def scan_sources(root: str, *, max_file_size: int = DEFAULT_MAX_FILE_SIZE) -> dict[str, list[Assessment]]:
    """Application directory (posix, relative to ``root``; ``.`` for the top) -> its identity SDK assessments.

    Every directory holding a dependency file is listed, with an empty list when it declares no identity
    SDK, so the caller can tell "no SDK declared" from "no dependency file". ``root`` may be a single file.
    """
    if not os.path.exists(root):
        raise InputError(
            f"--source {root}: no such file or directory",
            hint="give the directory that holds the applications' source code (their dependency files)",
        )
    root_real = os.path.realpath(root)
    if os.path.isfile(root):
        name = os.path.basename(root)
        if not dependency_format(name):
            raise InputError(
                f"--source {root}: not a dependency file this tool reads",
                hint="give a directory, or a requirements*.txt, pyproject.toml, package.json, go.mod, pom.xml, "
                "build.gradle(.kts) or *.csproj file",
            )
        text, problem = _read(root_real, max_file_size)
        return {".": settle([not_read(name, problem)] if problem else assess_file(name, text or ""))}
    files, contexts = _walk(root, root_real)
    result: dict[str, list[Assessment]] = {}
    for rel, real, refused in files:
        bucket = result.setdefault(application_of(rel), [])
        text, problem = (None, refused) if refused else _read(real, max_file_size)
        if problem:
            bucket.append(not_read(rel, problem))
            continue
        bucket.extend(assess_file(rel, text or "", _context(rel, contexts, max_file_size)))
    return {key: settle(result[key]) for key in sorted(result)}


def _inside(real: str, root_real: str) -> bool:
    return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)


def _walk(root: str, root_real: str) -> tuple[list[tuple[str, str, str]], dict[str, str]]:
    """Dependency files (relative path, real path, why it is not read or "") and context files by relative path."""
    files: list[tuple[str, str, str]] = []
    contexts: dict[str, str] = {}
    stack = [("", root)]
    while stack:
        rel_dir, directory = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        subdirs = []
        for entry in entries:
            rel = posixpath.join(rel_dir, entry.name) if rel_dir else entry.name
            if entry.is_symlink():
                if entry.is_dir():
                    continue  # its target is scanned where it really lives, when that is inside
                target = os.path.realpath(entry.path)
                inside = _inside(target, root_real)
                if dependency_format(rel):
                    refused = "" if inside else f"was not read: it is a symlink to {target}, outside {root}"
                    if inside and os.path.exists(target) and not os.path.isfile(target):
                        refused = f"was not read: it is a symlink to {target}, which is not a regular file"
                    files.append((rel, target, refused))
                elif entry.name in CONTEXT_FILES and inside and os.path.isfile(target):
                    contexts[rel] = target
            elif entry.is_dir(follow_symlinks=False):
                if entry.name not in SKIPPED_DIRS and not entry.name.startswith("."):
                    subdirs.append((rel, entry.path))
            elif entry.is_file(follow_symlinks=False):
                if dependency_format(rel):
                    files.append((rel, entry.path, ""))
                elif entry.name in CONTEXT_FILES:
                    contexts[rel] = entry.path
        stack.extend(reversed(subdirs))
    return files, contexts


def _context(rel: str, contexts: dict[str, str], max_file_size: int) -> dict[str, str]:
    """The related files a dependency file needs: siblings, and the nearest Directory.Packages.props above."""
    directory = posixpath.dirname(rel)
    wanted = [posixpath.join(directory, name) for name in CONTEXT_FILES if name != "Directory.Packages.props"]
    here = directory
    while True:
        props = posixpath.join(here, "Directory.Packages.props")
        if props in contexts:
            wanted.append(props)
            break
        if not here:
            break
        here = posixpath.dirname(here)
    result: dict[str, str] = {}
    for path in wanted:
        if path in contexts:
            text, problem = _read(contexts[path], max_file_size)
            if text is not None and problem is None:
                result[path] = text
    return result


def _read(real: str, max_size: int) -> tuple[str | None, str | None]:
    """(text, None) or (None, why not), at most ``max_size`` bytes read."""
    try:
        with open(real, "rb") as handle:
            data = handle.read(max_size + 1)
    except OSError as exc:
        return None, f"could not be read: {exc.strerror or exc}"
    if len(data) > max_size:
        return None, f"was not read: it is over {max_size} bytes"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), None
    return data.decode("utf-8-sig", errors="replace"), None


# --- applications to workloads --------------------------------------------------------------------------------


def _normalise(name: str) -> str:
    """``PaymentsApi``, ``payments_api`` and ``payments-api`` name the same application."""
    return re.sub(r"[-_.\s]+", "", name.lower())


def image_basename(image: str) -> str:
    """``contoso.azurecr.io/orders/legacy-sync:1.4`` -> ``legacy-sync`` (tag and digest dropped)."""
    reference = image.split("@", 1)[0]
    return reference.rsplit("/", 1)[-1].split(":", 1)[0]


def match_workloads(
    apps: dict[str, list[Assessment]],
    workloads: Iterable[tuple[str, str, str, Sequence[str]]],
    mapping: Sequence[str] = (),
    *,
    root_name: str | None = None,
) -> dict[WorkloadKey, list[Assessment]]:
    """Workload (namespace, kind, name) -> the assessments of the application directories that build it.

    A directory belongs to a workload when its last path component is the workload's name or the
    repository basename of one of its images (compared without case or ``-``/``_``/``.``); when several
    directories match by name, those with the namespace among their path components are preferred.
    ``mapping`` entries ``NS/KIND/NAME=DIR`` (globs as ``--mode-for``; ``NS/NAME`` also works) replace the
    automatic match: DIR is relative to the scanned root and takes the directories below it too.
    ``root_name`` is the name the top directory (``.``) goes by. Workloads with no directory are left out.
    """
    explicit = [_mapping_entry(raw, apps) for raw in mapping]
    result: dict[WorkloadKey, list[Assessment]] = {}
    for namespace, kind, name, images in workloads:
        key = (namespace, kind, name)
        chosen = [dirs for pattern, dirs in explicit if workload_matches(pattern, namespace, kind, name)]
        directories = chosen[0] if chosen else _automatic(apps, namespace, name, images, root_name)
        if directories:
            result[key] = [a for directory in directories for a in apps[directory]]
    return result


def _mapping_entry(raw: str, apps: dict[str, list[Assessment]]) -> tuple[str, list[str]]:
    pattern, sep, directory = raw.partition("=")
    if not sep or not pattern.strip() or not directory.strip() or pattern.count("/") not in (1, 2):
        raise InputError(
            f"--source mapping {raw!r}: expected NS/KIND/NAME=DIR",
            hint="for example orders/Deployment/orders-legacy-sync=services/legacy-sync",
        )
    directory = posixpath.normpath(directory.strip().replace("\\", "/")).strip("/") or "."
    if directory.startswith("./"):
        directory = directory[2:]
    prefix = "" if directory == "." else directory + "/"
    below = [d for d in apps if d == directory or d.startswith(prefix)]
    if not below:
        known = ", ".join(sorted(apps)) or "none"
        raise InputError(
            f"--source mapping {raw!r}: no dependency file was found in {directory!r} or below it",
            hint=f"directories with dependency files: {known}",
        )
    return pattern.strip(), below


def _automatic(
    apps: dict[str, list[Assessment]], namespace: str, name: str, images: Sequence[str], root_name: str | None
) -> list[str]:
    by_name = _normalise(name)
    by_image = {_normalise(image_basename(image)) for image in images if image}
    candidates = []
    for directory in apps:
        last = root_name if directory == "." else posixpath.basename(directory)
        if last and (_normalise(last) == by_name or _normalise(last) in by_image):
            candidates.append(directory)
    in_namespace = [d for d in candidates if _normalise(namespace) in {_normalise(p) for p in d.split("/")}]
    return in_namespace or candidates

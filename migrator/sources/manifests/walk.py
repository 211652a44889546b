"""Find the manifest files under the paths a user gave, safely.

Hidden folders (.git, .terraform, ...) are skipped, symlinked directories are
not entered, and a symlinked file is read only when its target stays inside
the root it was found under.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
TEMPLATE_SUFFIXES = (".tpl", ".gotmpl", ".tmpl")


@dataclass(frozen=True)
class FoundFile:
    path: str
    """Path as shown to users: below the root as the user spelled it."""
    real: str
    template_name: bool = False


@dataclass(frozen=True)
class SkippedLink:
    path: str
    target: str


def is_candidate(name: str) -> bool:
    lower = name.lower()
    return lower.endswith(MANIFEST_SUFFIXES) or lower.endswith(TEMPLATE_SUFFIXES)


def _inside(real: str, root_real: str) -> bool:
    return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)


def walk(root: str) -> Iterator[FoundFile | SkippedLink]:
    """Yield candidate files below ``root`` in a stable (sorted) order."""
    root_real = os.path.realpath(root)
    if os.path.isfile(root):
        yield FoundFile(root, root_real, not root.lower().endswith(MANIFEST_SUFFIXES))
        return
    stack = [(root, root_real)]
    while stack:
        directory, real_dir = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        subdirs = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_symlink():
                target = os.path.realpath(entry.path)
                if entry.is_dir():
                    continue  # its target is scanned where it really lives, if inside
                if not is_candidate(entry.name):
                    continue
                if not _inside(target, root_real):
                    yield SkippedLink(entry.path, target)
                    continue
                yield FoundFile(entry.path, target, not entry.name.lower().endswith(MANIFEST_SUFFIXES))
            elif entry.is_dir(follow_symlinks=False):
                subdirs.append((entry.path, os.path.join(real_dir, entry.name)))
            elif is_candidate(entry.name):
                yield FoundFile(
                    entry.path,
                    os.path.join(real_dir, entry.name),
                    not entry.name.lower().endswith(MANIFEST_SUFFIXES),
                )
        stack.extend(reversed(subdirs))

"""The namespace a kustomization imposes on the files it lists.

``kustomize build`` sets ``namespace:`` on every namespaced object of its
resources, bases and patches; without following that, a workload in a base
would be matched and federated in the wrong namespace.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_LIST_KEYS = ("resources", "bases", "patchesStrategicMerge", "components")


def is_kustomization(path: str) -> bool:
    return os.path.basename(path) in KUSTOMIZATION_NAMES


def listed_files(data: dict[str, Any]) -> list[tuple[str, int, str]]:
    """(list key, index, entry) of every file or folder a kustomization names, patches' ``path:`` included."""
    found = []
    for key in (*_LIST_KEYS, "patches"):
        items = data.get(key)
        for index, item in enumerate(items if isinstance(items, list) else []):
            entry = item.get("path") if key == "patches" and isinstance(item, dict) else item
            if isinstance(entry, str) and (key != "patches" or isinstance(item, dict)):
                found.append((key, index, entry))
    return found


def _entries(data: dict[str, Any]) -> list[str]:
    return [entry for _, _, entry in listed_files(data)]


Loader = Callable[[str], "dict[str, Any] | None"]


def patch_files(kustomizations: dict[str, dict[str, Any]]) -> set[str]:
    """Real paths of the strategic-merge patch files the kustomizations name."""
    result = set()
    for directory, data in kustomizations.items():
        for key, _, entry in listed_files(data):
            if key in ("patchesStrategicMerge", "patches"):
                result.add(os.path.normpath(os.path.join(directory, entry)))
    return result


def namespace_map(raw: dict[str, bytes], load: Loader) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """Real file path -> namespace, and the kustomizations that were parsed.

    ``raw`` maps each kustomization's real directory to its bytes; only those
    that set a namespace, and those they reach, are parsed (``load``). When
    several overlays put one base file in different namespaces, the file is
    left out: only a render can tell which copy is meant.
    """
    parsed: dict[str, dict[str, Any]] = {}

    def get(directory: str) -> dict[str, Any] | None:
        if directory not in parsed and directory in raw:
            parsed[directory] = load(directory) or {}
        return parsed.get(directory)

    result: dict[str, set[str]] = {}

    def files_of(directory: str, seen: frozenset[str]) -> list[str]:
        data = get(directory)
        if data is None or directory in seen:
            return []
        files = []
        for entry in _entries(data):
            target = os.path.normpath(os.path.join(directory, entry))
            if target in raw:
                files.extend(files_of(target, seen | {directory}))
            else:
                files.append(target)
        return files

    for directory, data in raw.items():
        if b"namespace" not in data and b"atches" not in data:
            continue
        namespace = (get(directory) or {}).get("namespace")
        if isinstance(namespace, str) and namespace:
            for path in files_of(directory, frozenset()):
                result.setdefault(path, set()).add(namespace)
    namespaces = {path: next(iter(names)) for path, names in result.items() if len(names) == 1}
    return namespaces, parsed

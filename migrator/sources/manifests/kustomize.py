"""The namespace a kustomization imposes on the files it lists.

``kustomize build`` sets ``namespace:`` on every namespaced object of its
resources, bases and patches; without following that, a workload in a base
would be matched and federated in the wrong namespace.
"""

from __future__ import annotations

import os
from typing import Any

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_LIST_KEYS = ("resources", "bases", "patchesStrategicMerge", "components")


def is_kustomization(path: str) -> bool:
    return os.path.basename(path) in KUSTOMIZATION_NAMES


def _entries(data: dict[str, Any]) -> list[str]:
    entries: list[str] = []
    for key in _LIST_KEYS:
        for item in data.get(key) or []:
            if isinstance(item, str):
                entries.append(item)
    for item in data.get("patches") or []:
        if isinstance(item, dict) and isinstance(item.get("path"), str):
            entries.append(item["path"])
    return entries


def patch_files(kustomizations: dict[str, dict[str, Any]]) -> set[str]:
    """Real paths of the strategic-merge patch files the kustomizations name."""
    result = set()
    for directory, data in kustomizations.items():
        entries = [e for e in data.get("patchesStrategicMerge") or [] if isinstance(e, str)]
        entries += [
            p["path"] for p in data.get("patches") or [] if isinstance(p, dict) and isinstance(p.get("path"), str)
        ]
        result.update(os.path.realpath(os.path.join(directory, e)) for e in entries)
    return result


def namespace_map(kustomizations: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Real file path -> namespace, from kustomizations keyed by their real directory.

    When several overlays put one base file in different namespaces, the file
    is left out: only a render can tell which copy is meant.
    """
    result: dict[str, set[str]] = {}

    def files_of(directory: str, seen: frozenset[str]) -> list[str]:
        data = kustomizations.get(directory)
        if data is None or directory in seen:
            return []
        files = []
        for entry in _entries(data):
            target = os.path.realpath(os.path.join(directory, entry))
            if os.path.isdir(target):
                files.extend(files_of(target, seen | {directory}))
            else:
                files.append(target)
        return files

    for directory, data in kustomizations.items():
        namespace = data.get("namespace")
        if not isinstance(namespace, str) or not namespace:
            continue
        for path in files_of(directory, frozenset()):
            result.setdefault(path, set()).add(namespace)
    return {path: next(iter(names)) for path, names in result.items() if len(names) == 1}

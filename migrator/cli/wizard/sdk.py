"""SDK detection for the wizard's mode step: each workload's application, found in ``--source`` trees (or named
with ``--source-for``), and the mode its Azure Identity SDK calls for, with the reason shown beside it.

With one ``--source DIR``, a ``--source-for`` DIR is relative to it; with several, each tree's directories are
prefixed with the tree's own name (``--source-for 'orders/*/legacy-sync=services/legacy-sync'`` for
``--source ./services``). Without ``--source``, each ``--source-for`` DIR is a directory of its own.
"""

from __future__ import annotations

import os
import posixpath
from typing import Any

from migrator.core.model import Workload


def proposals(roots: list[str], explicit: list[str], workloads: list[Workload]) -> dict[str, tuple[str | None, str]]:
    """Workload ref -> (proposed mode or None when unknown, why). Empty without ``--source``/``--source-for``."""
    if not roots and not explicit:
        return {}
    from migrator.core.sdk_detect import proposed_mode
    from migrator.sources.dependencies import match_workloads, scan_sources

    keyed = [(w.namespace, w.kind, w.name, _images(w)) for w in workloads]
    matched: dict[tuple[str, str, str], list[Any]] = {}
    if roots:
        apps, root_name = _apps(roots, scan_sources)
        matched = match_workloads(apps, keyed, list(explicit), root_name=root_name)
    else:
        for entry in explicit:
            pattern, _, directory = entry.partition("=")
            found = match_workloads(scan_sources(directory), keyed, [f"{pattern}=."])
            for key, assessments in found.items():
                matched.setdefault(key, assessments)
    refs = {w.key: w.ref for w in workloads}
    return {refs[key]: proposed_mode(assessments) for key, assessments in matched.items() if key in refs}


def _apps(roots: list[str], scan: Any) -> tuple[dict[str, list[Any]], str | None]:
    """Application directory -> assessments over every tree; the top directory's name for matching by name."""
    if len(roots) == 1:
        return scan(roots[0]), _name(roots[0])
    apps: dict[str, list[Any]] = {}
    for root in roots:
        prefix = _name(root)
        for directory, assessments in scan(root).items():
            apps[prefix if directory == "." else posixpath.join(prefix, directory)] = assessments
    return apps, None


def _name(root: str) -> str:
    return os.path.basename(os.path.abspath(root).rstrip(os.sep)) or "."


def _images(w: Workload) -> list[str]:
    """The workload's container images (its init containers' too)."""
    return [c.image for c in w.containers if c.image]

"""A rewrite run: scan the tree, plan, read the files the phase touches, rewrite them.

The only I/O here is reading; writing (in place, to a copy, or as a diff) is
the caller's choice, made on the returned outcomes.
"""

from __future__ import annotations

from collections.abc import Iterable

from migrator.core.planner import PlanOptions, build_plan
from migrator.rewrite.engine import NEEDLES, RewriteResult, SourceFile, rewrite
from migrator.rewrite.phases import PhaseOptions
from migrator.sources.manifests.reader import read_bytes
from migrator.sources.manifests.scan import ScanResult
from migrator.sources.manifests.walk import FoundFile


def run_rewrite(tree: ScanResult, phase: PhaseOptions, plan_options: PlanOptions, max_file_size: int) -> RewriteResult:
    inventory = tree.inventory
    if phase.phase == "remove-sidecar":
        plan = None  # the annotations are all it needs
        candidates = _with_needle(tree.files.values(), NEEDLES["remove-sidecar"], max_file_size)
        findings: list = []
    else:
        plan = build_plan(inventory, plan_options)
        wanted = list(tree.relevant)
        wanted += [_path_of(s.source) for s in plan.serviceAccounts if s.source]
        wanted += [_path_of(s.source) for s in plan.secretProviderClasses if s.source]
        candidates = _read((tree.files[p] for p in dict.fromkeys(wanted) if p in tree.files), max_file_size)
        # after migrate, every workload is "already migrated": expected, not news, in cleanup
        expected = "already-migrated" if phase.phase == "cleanup" else None
        findings = [f for f in plan.findings if f.code != expected]
    kustomizations = _read(tree.kustomizations, max_file_size)
    result = rewrite(
        [SourceFile(f.path, f.real, data) for f, data in candidates],
        [SourceFile(f.path, f.real, data) for f, data in kustomizations],
        plan,
        inventory,
        phase,
        tree.namespaces,
        {f.real for f in tree.files.values()} | {f.real for f in tree.kustomizations},
        tree.parsed,
    )
    result.findings[:0] = findings
    result.examined = len(tree.files)
    return result


def _path_of(source: str) -> str:
    path, _, line = source.rpartition(":")
    return path if path and line.isdigit() else source


def _read(files: Iterable[FoundFile], max_file_size: int) -> list[tuple[FoundFile, bytes]]:
    result = []
    for found in files:
        data, problem = read_bytes(found.path, found.real, max_file_size)
        if data is not None and problem is None:
            result.append((found, data))
    return result


def _with_needle(
    files: Iterable[FoundFile], needles: tuple[str, ...], max_file_size: int
) -> list[tuple[FoundFile, bytes]]:
    encoded = tuple(n.encode() for n in needles)
    return [(f, data) for f, data in _read(files, max_file_size) if any(n in data for n in encoded)]

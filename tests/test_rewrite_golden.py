"""Golden trees: each phase's output, byte for byte, and each phase run again changes nothing.

A case is a folder under tests/golden/rewrite/ with ``input/`` and the expected
tree after each phase: ``migrate/`` (from input), ``cleanup/`` (from migrate),
``remove-sidecar/`` (from cleanup, else migrate). An optional ``args`` file holds
extra command-line arguments, one per line. Regenerate with
WIMIGRATE_UPDATE_GOLDEN=1 and review the diff by hand.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.cli.main import cli

GOLDEN = Path(__file__).parent / "golden" / "rewrite"
UPDATE = os.environ.get("WIMIGRATE_UPDATE_GOLDEN") == "1"
CHAIN = (("migrate", "input"), ("cleanup", "migrate"), ("remove-sidecar", "cleanup"))


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()
    }


def steps(case: Path) -> list[tuple[str, Path, Path]]:
    result = []
    for phase, source in CHAIN:
        if phase == "remove-sidecar" and not (case / "cleanup").is_dir():
            source = "migrate"
        if (case / phase).is_dir() or (UPDATE and phase == "migrate"):
            result.append((phase, case / source, case / phase))
    return result


def run(phase: str, source: Path, out: Path, extra: list[str]) -> None:
    args = ["rewrite", "--manifests", str(source), "--phase", phase, "--out", str(out), "-o", "json", *extra]
    result = CliRunner().invoke(cli, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert '"failed": 0' in result.output, result.output


CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "input").is_dir()) if GOLDEN.is_dir() else []


@pytest.mark.parametrize("name", CASES)
def test_golden_tree(name: str, tmp_path: Path) -> None:
    case = GOLDEN / name
    extra = (case / "args").read_text().split() if (case / "args").exists() else []
    for phase, source, expected in steps(case):
        out = tmp_path / phase
        run(phase, source, out, extra)
        if UPDATE:
            shutil.rmtree(expected, ignore_errors=True)
            shutil.copytree(out, expected, symlinks=True)
        assert tree_bytes(out) == tree_bytes(expected), f"{name}: {phase} differs from {expected}"
        again = tmp_path / f"{phase}-again"
        run(phase, expected, again, extra)
        assert tree_bytes(again) == tree_bytes(expected), f"{name}: {phase} is not idempotent"


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 10


SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "phases"


@pytest.mark.parametrize(
    ("phase", "source", "expected"),
    [
        ("migrate", "before", "after-migrate"),
        ("cleanup", "after-migrate", "after-cleanup"),
        ("remove-sidecar", "after-cleanup", "after-remove-sidecar"),
    ],
)
def test_phase_samples_are_the_commands_output(phase: str, source: str, expected: str, tmp_path: Path) -> None:
    out = tmp_path / expected
    run(phase, SAMPLE / source, out, [])
    if UPDATE:
        shutil.rmtree(SAMPLE / expected, ignore_errors=True)
        shutil.copytree(out, SAMPLE / expected)
    assert tree_bytes(out) == tree_bytes(SAMPLE / expected)

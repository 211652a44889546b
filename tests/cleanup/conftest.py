"""A lab seeded with samples/quickstart (self-managed, or through the AKS add-on), already migrated by apply."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from migrator.lab.lab import Lab, LabConfig
from tests.apply.world import QUICKSTART, SPEEDUP, World


def migrated(lab: Lab, journals: Path) -> World:
    lab.seed_manifests(QUICKSTART)
    lab.settle()
    world = World(lab, journals)
    run = world.apply()
    assert run.report.exit_code == 0, run.report.to_dict()
    lab.settle()
    return world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """Self-managed aad-pod-identity (the Helm chart's MIC and NMI), the quickstart applied."""
    with Lab(LabConfig(speedup=SPEEDUP), state_dir=tmp_path / "lab") as lab:
        yield migrated(lab, tmp_path / ".wimigrate")


@pytest.fixture
def aks_world(tmp_path: Path) -> Iterator[World]:
    """The quickstart's identities, bindings and exceptions in the AKS add-on's podIdentityProfile, applied."""
    with Lab(LabConfig(speedup=SPEEDUP, aks_addon=True), state_dir=tmp_path / "lab") as lab:
        yield migrated(lab, tmp_path / ".wimigrate")

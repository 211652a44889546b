"""A fresh lab per test, seeded with samples/quickstart, and wimigrate's real adapters pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from migrator.lab.lab import Lab, LabConfig
from tests.apply.world import QUICKSTART, SPEEDUP, World


@pytest.fixture
def lab() -> Iterator[Lab]:
    with Lab(LabConfig(speedup=SPEEDUP)) as running:
        running.seed_manifests(QUICKSTART)
        running.settle()
        yield running


@pytest.fixture
def world(lab: Lab, tmp_path: Path) -> World:
    """``KubeApi(connect(lab=info).client)``, ``IdentityGateway(connect(info))`` and the quickstart's plan;
    journals go to ``tmp_path/.wimigrate``."""
    return World(lab, tmp_path / ".wimigrate")

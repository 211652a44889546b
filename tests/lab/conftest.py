"""A fresh lab per test, and real SDK clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from migrator.lab.lab import Lab, LabConfig
from tests.lab.kube_clients import Clients, clients


@pytest.fixture
def lab_config() -> LabConfig:
    """Override in a test module (or parametrize) to change the emulated world."""
    return LabConfig(speedup=50.0)


@pytest.fixture
def lab(lab_config: LabConfig) -> Iterator[Lab]:
    with Lab(lab_config) as running:
        yield running


@pytest.fixture
def k(lab: Lab) -> Clients:
    """The official kubernetes client's APIs, pointed at the test's lab."""
    return clients(lab)

"""Live-source tests: the lab's fixtures, and the real ``KubeApi`` connected to the test's lab."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from migrator.adapters.kube.api import KubeApi
from migrator.adapters.kube.connect import KubeTarget, connect
from migrator.lab.lab import Lab
from tests.lab.conftest import k, lab, lab_config  # noqa: F401  (fixtures shared with the lab's tests)


@dataclass
class Live:
    lab: Lab
    target: KubeTarget
    kube: KubeApi


@pytest.fixture
def live(lab: Lab) -> Live:  # noqa: F811
    """The lab reached as wimigrate reaches a real cluster: kubeconfig -> ApiClient -> KubeApi."""
    target = connect(lab=lab.info())
    return Live(lab, target, KubeApi(target.client))

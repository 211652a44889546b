"""Wizards over manifest trees, answered by a script: every step runs for real except the terminal."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from migrator.cli.sources import Sources
from migrator.cli.wizard.steps import Wizard
from migrator.core.model import Inventory
from migrator.core.planner import PlanOptions
from migrator.sources.manifests.scan import scan_tree
from migrator.storage.wizard_state import WizardState, load_state
from tests.wizard.scripted import ScriptedPrompts

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"


def manifest_target(root: Path) -> dict[str, Any]:
    """The source option values of ``wizard --manifests ROOT``, as the state file keeps them."""
    return {
        "manifests": [str(root)],
        "default_namespace": "default",
        "max_file_size": 10 * 1024 * 1024,
        "cluster": False,
        "context": None,
        "kubeconfig": None,
        "namespaces": [],
        "all_namespaces": False,
        "lab_dir": None,
        "throwaway_lab": False,
        "cluster_id": None,
        "resource_group": None,
        "aks_name": None,
        "subscription": None,
    }


class Session:
    """A manifest tree, the state file and a way to run the wizard's steps over them."""

    def __init__(self, root: Path, state_path: Path) -> None:
        self.root = root
        self.state_path = state_path

    def wizard(
        self,
        prompts: ScriptedPrompts,
        *,
        state: WizardState | None = None,
        inventory: Inventory | None = None,
        **plan: Any,
    ) -> Wizard:
        if state is None:
            state = WizardState(target=manifest_target(self.root), options={"plan": {"mode": "label"}})
        if inventory is None:
            inventory = scan_tree([str(self.root)]).inventory
        return Wizard(
            state,
            self.state_path,
            prompts,
            PlanOptions(**plan),
            Sources(inventory=inventory, manifests=inventory),
            self.state_path.parent / "journals",
            tree=lambda: scan_tree([str(self.root)]),
        )

    def saved(self) -> WizardState:
        return load_state(self.state_path)


@pytest.fixture
def session(tmp_path: Path) -> Callable[..., Session]:
    """``session("quickstart")``: a copy of a sample (rewritten in place by the tests), or ``session(tree)``."""

    def make(sample: str | Path) -> Session:
        root = tmp_path / "tree"
        if isinstance(sample, Path):
            root = sample
        else:
            shutil.copytree(SAMPLES / sample, root)
        return Session(root, tmp_path / "state" / "wizard-state.json")

    return make

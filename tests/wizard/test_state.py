"""The session file: private, atomic, complete enough to resume, and loud about damage."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from migrator.errors import InputError
from migrator.storage.wizard_state import STEPS, WizardState, load_state, save_state


def test_saved_privately_and_atomically_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "new" / "wizard-state.json"
    state = WizardState(target={"lab_dir": "/tmp/lab"}, options={"plan": {"mode": "label"}})
    state.answers["namespaces"] = ["orders"]
    state.step = "workloads"
    save_state(path, state)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert os.listdir(path.parent) == ["wizard-state.json"]  # no temporary file left behind
    loaded = load_state(path)
    assert (loaded.step, loaded.answers, loaded.target) == ("workloads", {"namespaces": ["orders"]}, state.target)
    assert loaded.started == state.started and loaded.updated


def test_a_file_readable_by_others_becomes_private_on_the_next_save(tmp_path: Path) -> None:
    path = tmp_path / "wizard-state.json"
    path.write_text("{}")
    path.chmod(0o644)
    save_state(path, WizardState())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "No saved wizard session"),
        ("{not json", "wizard-state.json:1: not a wizard session"),
        ('{"version": 9, "step": "discover"}', "version 9"),
        ('{"version": 1, "step": "lunch"}', "unknown step 'lunch'"),
        ('{"version": 1, "step": "apply", "answers": []}', "`answers` must be an object"),
        ("[1]", "expected a JSON object"),
    ],
)
def test_a_missing_or_damaged_session_is_an_input_error(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "wizard-state.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        load_state(path)


def test_the_steps_are_in_the_order_the_wizard_runs_them() -> None:
    assert STEPS[0] == "discover" and STEPS[-1] == "done"
    assert STEPS.index("confirm") < STEPS.index("apply") < STEPS.index("verify") < STEPS.index("cleanup")
    assert WizardState(step="done").finished and not WizardState().finished
    data = WizardState().to_dict()
    assert json.loads(json.dumps(data)) == data

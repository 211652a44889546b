"""``wimigrate run`` on a terminal without --yes: it asks before each change, and a "no" stops the run cleanly."""

from __future__ import annotations

import json
from pathlib import Path

from tests.apply.world import World
from tests.wizard.test_terminal import Terminal, pytestmark  # noqa: F401 (skipped without tmux)

PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"


def test_declining_the_apply_stops_the_run_and_changes_nothing(world: World, terminal: Terminal) -> None:
    version = world.store_version()
    report = terminal.cwd / "report.json"
    terminal.run(
        "run",
        str(PLAYBOOKS / "modern-sdk.yaml"),
        "--lab-dir",
        str(world.lab.state_dir),
        "--journal-dir",
        str(world.journals),
        "--report",
        str(report),
    )
    terminal.answer("Make these 13 change(s)? [y/N]", "n", "Enter", line=True)

    assert terminal.exit_code() == 1
    phases = {p["name"]: (p["status"], p["summary"]) for p in json.loads(report.read_text())["phases"]}
    assert phases["apply"] == ("failed", "declined at the confirmation: nothing changed")
    assert phases["verify"][0] == phases["cleanup"][0] == "skipped"
    world.lab.settle()
    assert world.store_version() == version

"""The command without a terminal, what its --help costs, and how a session starts or resumes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from migrator.cli.main import cli
from migrator.cli.wizard import command
from migrator.cli.wizard.command import wizard
from migrator.errors import InputError
from migrator.storage.wizard_state import WizardState, load_state, save_state
from tests.wizard.scripted import ScriptedPrompts


def test_the_wizard_needs_a_terminal() -> None:
    result = CliRunner().invoke(cli, ["wizard", "--manifests", "."], env={"WIMIGRATE_LAB_DIR": None})
    assert result.exit_code == 2
    assert "The wizard asks questions: it needs a terminal." in result.output and "wimigrate run" in result.output


def test_bare_wimigrate_without_a_terminal_prints_the_help() -> None:
    result = CliRunner().invoke(cli, [])
    assert result.exit_code == 2 and "Usage: " in result.output and "wimigrate wizard " in result.output


def test_wizard_help_is_fast_and_imports_no_prompt_or_sdk_library() -> None:
    code = (
        "import sys, runpy; sys.argv=['wimigrate','wizard','--help']\n"
        "try:\n runpy.run_module('migrator', run_name='__main__')\nexcept SystemExit: pass\n"
        "heavy=[m for m in sys.modules if m.split('.')[0] in "
        "('kubernetes','azure','rich','yaml','questionary','prompt_toolkit')]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=dict(os.environ))
    assert "--resume" in out.stdout and out.stdout.strip().splitlines()[-1] == "[]"


def start(path: Path, resume: bool, prompts: ScriptedPrompts | None = None) -> None:
    """The session start (after the terminal check), as ``wimigrate wizard [--resume] --state PATH`` runs it."""
    ctx = click.Context(wizard)
    command.start(ctx, prompts or ScriptedPrompts(), path, resume, None, (), (), path.parent / "j", {})


def test_resume_refuses_a_finished_session_and_a_throwaway_lab_that_is_gone(tmp_path: Path) -> None:
    path = tmp_path / "wizard-state.json"
    save_state(path, WizardState(step="done"))
    with pytest.raises(InputError, match="is finished"):
        start(path, resume=True)
    gone = WizardState(target={"throwaway_lab": True}, step="verify")
    gone.answers["confirm"] = {"at": "2026-12-06T00:00:00Z", "plan": {}}
    save_state(path, gone)
    with pytest.raises(InputError, match="throwaway lab"):
        start(path, resume=True)


def test_a_new_session_replaces_an_unfinished_one_only_when_told(tmp_path: Path) -> None:
    path = tmp_path / "wizard-state.json"
    unfinished = WizardState(step="modes")
    unfinished.answers["namespaces"] = ["orders"]  # an answer would be lost: ask first
    save_state(path, unfinished)
    prompts = ScriptedPrompts(("confirm", "Start a new one and replace it?", False))
    with pytest.raises(click.exceptions.Exit) as kept:
        start(path, resume=False, prompts=prompts)
    assert kept.value.exit_code == 0 and prompts.done
    assert load_state(path).step == "modes"

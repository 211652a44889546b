"""The wizard's session file: every answer, saved right after it is given, so ``wizard --resume`` goes on.

A JSON file (mode 0600, written atomically) holding the target (what to reconnect to), the wizard's
options and the answers, keyed by step. It holds choices, names and paths only: never a token, a
secret or an object body.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrator.errors import InputError
from migrator.storage.atomic import write_text

STATE_VERSION = 1
DEFAULT_STATE = Path(".wimigrate") / "wizard-state.json"
STEPS = (
    "discover",
    "namespaces",
    "workloads",
    "modes",
    "resolve",
    "preview",
    "confirm",
    "apply",
    "export",
    "verify",
    "cleanup",
    "playbook",
    "done",
)
"""The wizard's steps in order; ``WizardState.step`` is the one reached (asked next, or running)."""


@dataclass
class WizardState:
    target: dict[str, Any] = field(default_factory=dict)
    """The source options (paths absolute) the session reads: reconnecting on resume needs nothing else."""
    options: dict[str, Any] = field(default_factory=dict)
    """The wizard's own options and the plan options, as given when the session started."""
    answers: dict[str, Any] = field(default_factory=dict)
    """Step name -> what was answered there."""
    step: str = STEPS[0]
    started: str = field(default_factory=lambda: _now())
    updated: str = ""

    @property
    def finished(self) -> bool:
        return self.step == "done"

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "step": self.step,
            "started": self.started,
            "updated": self.updated,
            "target": self.target,
            "options": self.options,
            "answers": self.answers,
        }

    @classmethod
    def from_dict(cls, data: Any, where: str) -> WizardState:
        if not isinstance(data, dict):
            raise InputError(f"{where}: not a wizard session (expected a JSON object)")
        if data.get("version") != STATE_VERSION:
            raise InputError(
                f"{where}: a wizard session of version {data.get('version')!r}; this wimigrate reads {STATE_VERSION}",
                hint="Start a new session without --resume.",
            )
        step = data.get("step")
        if step not in STEPS:
            raise InputError(f"{where}: unknown step {step!r}; steps are {', '.join(STEPS)}")
        parts = {}
        for key in ("target", "options", "answers"):
            value = data.get(key)
            value = {} if value is None else value
            if not isinstance(value, dict):
                raise InputError(f"{where}: `{key}` must be an object")
            parts[key] = value
        return cls(
            target=parts["target"],
            options=parts["options"],
            answers=parts["answers"],
            step=step,
            started=str(data.get("started") or ""),
            updated=str(data.get("updated") or ""),
        )


def load_state(path: Path) -> WizardState:
    """The saved session; a missing or damaged file is an input error naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            f"No saved wizard session at {path}.",
            hint="Start one with `wimigrate wizard` (give --state FILE if it was saved elsewhere).",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the wizard session ({exc})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}:{exc.lineno}: not a wizard session ({exc.msg})", hint="Start a new session without --resume."
        ) from exc
    return WizardState.from_dict(data, str(path))


def save_state(path: Path, state: WizardState) -> None:
    """Atomically, mode 0600 (the directory 0700 when created): the file names the cluster and choices."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    state.updated = _now()
    write_text(str(path), json.dumps(state.to_dict(), indent=2, sort_keys=False) + "\n", mode=0o600)


def exists(path: Path) -> bool:
    return os.path.isfile(path)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

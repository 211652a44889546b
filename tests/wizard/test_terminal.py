"""``wimigrate wizard`` end to end in a real terminal: tmux runs it against a lab this test process serves,
keys are typed with ``send-keys``, the screen is read with ``capture-pane``, and the lab's final state is read
back through the real Kubernetes and Azure clients."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.adapters.kube import resources as R
from migrator.cli.main import cli
from migrator.core.plan import CLIENT_ID_ANNOTATION, USE_LABEL
from migrator.lab.lab import Lab, LabConfig
from migrator.storage.playbooks import load_playbook
from tests.apply.world import QUICKSTART, SPEEDUP, World, template_of

TMUX = shutil.which("tmux")
pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}")
ROOT = Path(__file__).resolve().parents[2]


class Terminal:
    """A tmux server of its own; each ``run`` starts a new 160x50 session (``wizard-N``) and talks to it."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.socket = str(cwd / "tmux.sock")  # a server of its own, its socket removed with the test's files
        self.config = cwd / "tmux.conf"
        self.config.write_text("set -g history-limit 20000\nset -g remain-on-exit on\n")
        self.runs = 0

    @property
    def session(self) -> str:
        return f"wizard-{self.runs}"

    def tmux(self, *args: str) -> str:
        command = [str(TMUX), "-S", self.socket, "-f", str(self.config), *args]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def run(self, *args: str) -> None:
        """``wimigrate ARGS`` in a new window, with NO_COLOR and without the caller's lab or terminal size."""
        env = {"NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(ROOT)}
        assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        wizard = shlex.join([sys.executable, "-m", "migrator", *args])
        script = f"env -u WIMIGRATE_LAB_DIR -u COLUMNS -u LINES {assignments} {wizard}; echo WIZARD-EXIT=$?"
        self.runs += 1  # a new session each time (the old ones stay, dead): no server restart to race with
        self.tmux("new-session", "-d", "-s", self.session, "-x", "160", "-y", "50", "-c", str(self.cwd), script)

    def screen(self, history: bool = False) -> str:
        """The screen (with ``history``, all that scrolled off too), lines the terminal wrapped joined (-J)."""
        return self.tmux("capture-pane", "-p", "-J", "-t", self.session, *(["-S", "-"] if history else []))

    def wait_for(self, text: str, timeout: float = 30.0, raw: bool = False) -> str:
        """Poll the bottom of the screen (where the active prompt is) until ``text`` shows, or fail; with ``raw``,
        also until the terminal is in raw mode, where the prompt reads keys one by one (a key typed while the
        terminal is in line mode arrives translated: Enter as a newline, which questionary ignores)."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            bottom = "\n".join([line for line in screen.splitlines() if line.strip()][-20:])
            if text in bottom and (not raw or self.raw_mode()):
                return screen
            if ("WIZARD-EXIT=" in bottom and "WIZARD-EXIT=" not in text) or time.monotonic() > deadline:
                pytest.fail(f"waited for {text!r}; the terminal shows:\n{self.screen(history=True)[-6000:]}")
            time.sleep(0.05)

    def raw_mode(self) -> bool:
        """Whether the program in the pane reads keys one by one (canonical line editing off)."""
        tty = self.tmux("display-message", "-p", "-t", self.session, "#{pane_tty}").strip()
        fd = os.open(tty, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            return not termios.tcgetattr(fd)[3] & termios.ICANON
        finally:
            os.close(fd)

    def answer(self, prompt: str, *keys: str, line: bool = False) -> None:
        """Type ``keys`` at a questionary prompt (or, with ``line``, at a line-mode prompt such as click's)."""
        self.wait_for(prompt, raw=not line)
        self.tmux("send-keys", "-t", self.session, *keys)

    def exit_code(self) -> int:
        screen = self.wait_for("WIZARD-EXIT=")
        return int(re.findall(r"WIZARD-EXIT=(\d+)", screen)[-1])

    def close(self) -> None:
        subprocess.run([str(TMUX), "-S", self.socket, "kill-server"], capture_output=True, check=False)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    lab = Lab(LabConfig(speedup=SPEEDUP), state_dir=tmp_path / "lab")
    lab.start()
    try:
        lab.seed_manifests(QUICKSTART)
        lab.settle()
        yield World(lab, tmp_path / "journals")
    finally:
        lab.stop()


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    work = tmp_path / "work"
    work.mkdir()
    term = Terminal(work)
    try:
        yield term
    finally:
        term.close()


def wizard_args(world: World) -> list[str]:
    state = world.journals.parent / "wizard-state.json"
    return [
        "wizard",
        "--lab-dir",
        str(world.lab.state_dir),
        "-A",
        "--state",
        str(state),
        "--journal-dir",
        str(world.journals),
    ]


def choose_everything(term: Terminal) -> None:
    term.answer("? Namespaces to migrate (Use arrow keys", "Enter")
    term.answer("? Workloads to migrate (Use arrow keys", "Enter")
    term.answer("? Use these modes? (Y/n)", "y")


def credentials(world: World) -> dict[str, set[str]]:
    return {rid.rsplit("/", 1)[-1]: set(world.credentials(rid)) for rid in world.identity_ids()}


def test_a_whole_migration_in_the_terminal(world: World, terminal: Terminal) -> None:
    terminal.run(*wizard_args(world))
    terminal.wait_for("? Namespaces to migrate (Use arrow keys")
    shown = terminal.screen(history=True)
    assert "Step 1: what uses pod identity" in shown and "Workloads (5)" in shown
    choose_everything(terminal)
    terminal.answer("? Apply the plan to wimigrate-lab? (y/N)", "y")
    terminal.answer("? How long may verification wait", "Enter")  # 5 minutes, the default
    terminal.answer("? Also prove a token exchange with Entra ID? (Y/n)", "y")
    terminal.answer("? Every workload passed. Remove pod identity now? (y/N)", "y")
    terminal.answer("? NetworkPolicies blocking IMDS? (Use arrow keys)", "Down", "Enter")  # create them
    terminal.answer("Make these 15 change(s)? [y/N]", "y", "Enter", line=True)
    terminal.answer("? Save this session as a playbook", "y")
    terminal.answer("? Playbook file", "Enter")
    assert terminal.exit_code() == 0
    shown = terminal.screen(history=True)
    assert "All 5 workload(s) passed verification." in shown and "13 done" in shown and "15 done" in shown

    planned = {c.identityName: c.name for c in world.plan.federatedCredentials}
    found = credentials(world)
    assert all(name in found[f"id-{identity}"] for identity, name in planned.items())
    for sa in world.plan.serviceAccounts:
        live = world.service_account(sa.namespace, sa.name)
        assert live is not None and live["metadata"]["annotations"][CLIENT_ID_ANNOTATION] == sa.clientID
    legacy = world.workload("orders", "Deployment", "orders-legacy-sync")
    labels = template_of(legacy)["metadata"]["labels"]
    assert labels[USE_LABEL] == "true" and "aadpodidbinding" not in labels  # migrated, then cleaned up
    pods = [p for p in world.kube.list(R.PODS, "orders") if p["metadata"]["name"].startswith("orders-legacy-sync")]
    assert pods and all(any(c["name"] == "azwi-proxy" for c in p["spec"]["containers"]) for p in pods)
    env = {e["name"] for p in pods for c in p["spec"]["containers"] for e in c.get("env") or []}
    assert "AZURE_FEDERATED_TOKEN_FILE" in env  # the webhook mutated them
    assert list(world.kube.list(R.AZURE_IDENTITY_BINDINGS, None)) == []
    assert world.kube.find(R.NETWORK_POLICIES, "orders", "wimigrate-deny-imds") is not None

    state_file = world.journals.parent / "wizard-state.json"
    state = json.loads(state_file.read_text())
    assert state["step"] == "done" and stat.S_IMODE(state_file.stat().st_mode) == 0o600
    assert not JWT.search(state_file.read_text())  # no token in the session file
    playbook = load_playbook(terminal.cwd / "wizard-playbook.yaml")
    assert [s.name for s in playbook.phases] == ["discover", "plan", "apply", "verify", "cleanup"]
    assert playbook.target.lab and len(playbook.options.workloads.include) == 5

    # the saved playbook, replayed by `wimigrate run` on a fresh lab, reaches the same end state
    with Lab(LabConfig(speedup=SPEEDUP), state_dir=terminal.cwd / "replay-lab") as fresh:
        fresh.seed_manifests(QUICKSTART)
        fresh.settle()
        replay = World(fresh, terminal.cwd / "replay-journals")
        result = CliRunner().invoke(
            cli,
            ["run", str(terminal.cwd / "wizard-playbook.yaml"), "--lab-dir", str(fresh.state_dir), "--yes"]
            + ["--journal-dir", str(replay.journals), "-o", "json"],
            env={"NO_COLOR": "1", "WIMIGRATE_LAB_DIR": None},
        )
        assert result.exit_code == 0, result.output
        fresh.settle()
        assert end_state(replay) == end_state(world)


def end_state(world: World) -> dict:
    """What a migration leaves, comparable across labs: credential names and subjects per identity,
    ServiceAccount client ids, each workload's identity labels, and the pod-identity objects left."""
    workloads = {}
    for w in world.plan.workloads:
        labels = template_of(world.workload(w.namespace, w.kind, w.name))["metadata"].get("labels") or {}
        workloads[w.ref] = (labels.get(USE_LABEL), labels.get("aadpodidbinding"))
    return {
        "credentials": {
            rid.rsplit("/", 1)[-1]: sorted((c.name, c.subject) for c in world.credentials(rid).values())
            for rid in world.identity_ids()
        },
        "serviceAccounts": {
            f"{sa.namespace}/{sa.name}": (world.service_account(sa.namespace, sa.name) or {})
            .get("metadata", {})
            .get("annotations", {})
            .get(CLIENT_ID_ANNOTATION)
            for sa in world.plan.serviceAccounts
        },
        "workloads": workloads,
        "bindings": len(list(world.kube.list(R.AZURE_IDENTITY_BINDINGS, None))),
        "policies": sorted(p["metadata"]["namespace"] for p in world.kube.list(R.NETWORK_POLICIES, None)),
    }


def test_interrupted_twice_then_resumed_to_the_end(world: World, terminal: Terminal) -> None:
    terminal.run(*wizard_args(world))
    choose_everything(terminal)
    terminal.answer("? Apply the plan to wimigrate-lab? (y/N)", "C-c")
    assert terminal.exit_code() == 130
    shown = terminal.screen(history=True)
    assert "Interrupted." in shown and f"`wimigrate wizard --resume --state {world.journals.parent}" in shown
    assert all(not names for names in credentials(world).values())  # nothing was applied
    state_file = world.journals.parent / "wizard-state.json"
    assert json.loads(state_file.read_text())["step"] == "confirm"

    resume = ["wizard", "--resume", "--state", str(state_file)]
    terminal.run(*resume)
    screen = terminal.wait_for("? Apply the plan to wimigrate-lab? (y/N)")
    assert "✔ Namespaces: orders, payments, platform" in terminal.screen(history=True)
    assert "Namespaces to migrate" not in screen  # answered before: shown, not asked
    terminal.answer("? Apply the plan to wimigrate-lab? (y/N)", "y")
    terminal.answer("? How long may verification wait", "C-c")
    assert terminal.exit_code() == 130
    assert json.loads(state_file.read_text())["step"] == "verify"
    applied = len(list(world.journals.glob("journal-*.jsonl")))
    assert applied == 1 and all(credentials(world).values())

    terminal.run(*resume)
    terminal.answer("? How long may verification wait", "Up", "Enter")  # 2 minutes
    terminal.answer("? Also prove a token exchange with Entra ID? (Y/n)", "n")
    terminal.answer("? Every workload passed. Remove pod identity now? (y/N)", "Enter")  # default: no
    terminal.answer("? Save this session as a playbook", "n")
    assert terminal.exit_code() == 0
    shown = terminal.screen(history=True)
    assert "✔ Applied: 13 done" in shown and "All 5 workload(s) passed verification." in shown
    assert len(list(world.journals.glob("journal-*.jsonl"))) == 2  # the apply, then one verification
    assert len(list(world.kube.list(R.AZURE_IDENTITY_BINDINGS, None))) == 3  # cleanup declined: pod identity stays
    labels = template_of(world.workload("platform", "Deployment", "cost-exporter"))["metadata"]["labels"]
    assert labels[USE_LABEL] == "true" and labels["aadpodidbinding"] == "cost-exporter"
    answers = json.loads(state_file.read_text())["answers"]
    assert answers["verify"]["wait"] == "2m" and answers["verify"]["tokenExchange"] is False
    assert answers["cleanup"] == {"run": False} and answers["playbook"] == {"path": None}
    assert not os.path.exists(terminal.cwd / "wizard-playbook.yaml")


def test_bare_wimigrate_on_a_terminal_is_the_wizard(terminal: Terminal) -> None:
    terminal.run()
    terminal.answer("? What do you want to migrate? (Use arrow keys)", "C-c")
    assert terminal.exit_code() == 130
    assert "continue with `wimigrate wizard --resume`" in terminal.screen(history=True)


def test_resume_refuses_a_new_target(world: World, terminal: Terminal) -> None:
    state_file = world.journals.parent / "wizard-state.json"
    terminal.run(*wizard_args(world))
    terminal.answer("? Namespaces to migrate (Use arrow keys", "C-c")
    assert terminal.exit_code() == 130
    terminal.run("wizard", "--resume", "--state", str(state_file), "-A", "--source", str(terminal.cwd))
    assert terminal.exit_code() == 2
    assert "drop --all-namespaces, --source." in terminal.screen(history=True)

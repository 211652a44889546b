"""`wimigrate lab up` in a real process (ready line, client files, clean stop on Ctrl-C and SIGTERM)
and `wimigrate lab status` through CliRunner."""

from __future__ import annotations

import json
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from kubernetes import client, config

from migrator.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]


def start_lab(state: Path, *extra: str) -> tuple[subprocess.Popen, list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "migrator", "lab", "up", "--dir", str(state), *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:  # synchronise on the ready line, not on time
        lines.append(line.rstrip("\n"))
        if line.strip() == "lab ready":
            return proc, lines
    proc.wait(timeout=10)
    pytest.fail(f"lab never became ready: {lines} {proc.stderr.read() if proc.stderr else ''}")


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_lab_up_serves_until_a_signal_and_stops_cleanly(tmp_path: Path, stop_signal: int) -> None:
    state = tmp_path / "state"
    proc, lines = start_lab(state)
    try:
        assert any(line.startswith("Seeded from samples/quickstart") for line in lines)
        for name in ("kubeconfig", "lab.env", "lab.json", "operator.token"):
            assert stat.S_IMODE((state / name).stat().st_mode) == 0o600, name
        env = (state / "lab.env").read_text()
        assert f"export KUBECONFIG='{state / 'kubeconfig'}'" in env
        api = config.new_client_from_config(str(state / "kubeconfig"))
        namespaces = {n.metadata.name for n in client.CoreV1Api(api).list_namespace().items}
        assert {"payments", "orders", "platform", "kube-system"} <= namespaces
        status = CliRunner().invoke(cli, ["lab", "status", "--lab-dir", str(state), "-o", "json"])
        assert status.exit_code == 0, status.output
        data = json.loads(status.output)
        assert data["kubernetes"]["azureidentities"] == 3
        assert data["cluster"]["workloadIdentity"] is True
    finally:
        proc.send_signal(stop_signal)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert "lab stopped" in err
    assert "Traceback" not in err


def test_lab_status_without_a_running_lab_says_how_to_start_one(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["lab", "status", "--lab-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "No lab state in" in result.output and "wimigrate lab up --dir" in result.output


def test_lab_status_of_a_throwaway_lab(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, ["lab", "status", "--lab", "-o", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {i["name"] for i in data["identities"]} == {"id-payments-api", "id-orders", "id-platform-cost-reader"}


def test_lab_up_rejects_a_bad_fault_and_a_missing_seed(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(cli, ["lab", "up", "--dir", str(tmp_path), "--fault", "arm:put"])
    assert bad.exit_code == 2 and "SERVICE:VERB:RESOURCE:ACTION" in bad.output
    missing = runner.invoke(cli, ["lab", "up", "--dir", str(tmp_path), "--seed", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "--no-seed" in missing.output


def test_pid_of_a_stopped_lab_is_detected(tmp_path: Path) -> None:
    state = tmp_path / "state"
    proc, _ = start_lab(state, "--no-seed")
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=15)
    result = CliRunner().invoke(cli, ["lab", "status", "--lab-dir", str(state)])
    assert result.exit_code == 2 and "is not running" in result.output

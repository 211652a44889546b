"""``verify`` and ``retire-sidecar`` through click's CliRunner, against a lab reached with --lab-dir."""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from migrator.adapters.kube import resources as R
from migrator.cli.main import cli
from migrator.core.plan import INJECT_SIDECAR_ANNOTATION, PROXY_PORT_ANNOTATION
from migrator.storage.journal import read_records
from tests.apply.world import template_of
from tests.verify.conftest import Verifier, make_lab

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}")
LEGACY = ("orders", "orders-legacy-sync")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Verifier]:
    lab = make_lab()
    try:
        yield Verifier(lab, tmp_path / "journals")
    finally:
        lab.stop()


def wimigrate(world: Verifier, command: str, *args: str) -> Result:
    argv = [command, *args, "--lab-dir", str(world.lab.state_dir), "--journal-dir", str(world.journals)]
    return CliRunner().invoke(cli, argv, env={"NO_COLOR": "1", "COLUMNS": "200", "WIMIGRATE_LAB_DIR": None})


def data(result: Result) -> Any:
    return json.loads(result.stdout)


def journal_texts(world: Verifier) -> list[str]:
    return [p.read_text() for p in sorted(world.journals.glob("journal-*.jsonl"))]


def test_verify_before_apply_fails_and_records_private_verdicts(world: Verifier) -> None:
    result = wimigrate(world, "verify", "-A", "-o", "json")
    assert result.exit_code == 1, result.output
    report = data(result)
    assert not report["passed"] and len(report["workloads"]) == 5
    path = Path(report["journal"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    records = [r for r in read_records(path) if r["type"] == "verified"]
    assert len(records) == 5 and not any(r["passed"] for r in records)


def test_verify_after_apply_passes_with_a_token_exchange_and_keeps_no_token(world: Verifier) -> None:
    assert wimigrate(world, "apply", "-A", "--yes", "-o", "json").exit_code == 0
    world.lab.settle()
    result = wimigrate(world, "verify", "-A", "--token-exchange")
    assert result.exit_code == 0, result.output
    assert "All 5 workload(s) passed verification" in result.stdout
    assert (
        "Still on the azwi-proxy sidecar" in result.stdout and "orders/Deployment/orders-legacy-sync" in result.stdout
    )
    assert "azure-identity" in result.stdout and "1.13.0" in result.stdout  # the SDK minimums
    assert not any(JWT.search(text) for text in journal_texts(world))
    assert not JWT.search(result.output)


def test_verify_a_stored_plan(world: Verifier, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    made = CliRunner().invoke(
        cli,
        ["plan", "-A", "--lab-dir", str(world.lab.state_dir), "--out", str(plan)],
        env={"WIMIGRATE_LAB_DIR": None},
    )
    assert made.exit_code == 0, made.output
    assert wimigrate(world, "apply", str(plan), "--yes").exit_code == 0
    world.lab.settle()
    result = wimigrate(world, "verify", str(plan), "-o", "json")
    assert result.exit_code == 0, result.output
    assert data(result)["passed"]


@pytest.mark.parametrize("args, message", [(("--wait", "5x"), "is not a duration"), (("-n", "x"), "drop --manifests")])
def test_verify_usage_errors(world: Verifier, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("kind: MigrationPlan\napiVersion: wimigrate.io/v1\nissuer: https://x/\n")
    result = wimigrate(world, "verify", str(plan), *args)
    assert result.exit_code == 2 and message in result.output


def test_retire_sidecar_removes_the_annotations_verifies_and_rolls_back(world: Verifier) -> None:
    assert wimigrate(world, "apply", "-A", "--yes").exit_code == 0
    world.lab.settle()
    refused = wimigrate(world, "retire-sidecar", "--workload", "orders/deploy/orders-legacy-sync")
    assert refused.exit_code == 2 and "no terminal" in refused.output
    result = wimigrate(
        world,
        "retire-sidecar",
        "--workload",
        "orders/deploy/orders-legacy-sync",
        "--token-exchange",
        "--yes",
        "-o",
        "json",
    )
    assert result.exit_code == 0, result.output
    report = data(result)
    assert report["verification"]["passed"] and report["summary"]["done"] == 1
    annotations = (
        template_of(world.workload("orders", "Deployment", "orders-legacy-sync"))["metadata"].get("annotations") or {}
    )
    assert INJECT_SIDECAR_ANNOTATION not in annotations and PROXY_PORT_ANNOTATION not in annotations
    pods = [p for p in world.kube.list(R.PODS, "orders") if p["metadata"]["name"].startswith("orders-legacy-sync")]
    assert pods and not any(c["name"] == "azwi-proxy" for p in pods for c in p["spec"]["containers"])
    undo = CliRunner().invoke(
        cli,
        ["rollback", report["journal"], "--yes", "--lab-dir", str(world.lab.state_dir)],
        env={"WIMIGRATE_LAB_DIR": None},
    )
    assert undo.exit_code == 0, undo.output
    annotations = template_of(world.workload("orders", "Deployment", "orders-legacy-sync"))["metadata"]["annotations"]
    assert annotations[INJECT_SIDECAR_ANNOTATION] == "true" and PROXY_PORT_ANNOTATION in annotations


def test_retire_sidecar_of_a_workload_without_one_changes_nothing(world: Verifier) -> None:
    assert wimigrate(world, "apply", "-A", "--yes").exit_code == 0
    world.lab.settle()
    before = world.workload("platform", "Deployment", "cost-exporter")["metadata"]["resourceVersion"]
    result = wimigrate(world, "retire-sidecar", "--workload", "platform/deployment/cost-exporter", "-o", "json")
    assert result.exit_code == 0, result.output
    assert data(result)["summary"]["unchanged"] == 1 and data(result)["journal"] is None
    assert world.workload("platform", "Deployment", "cost-exporter")["metadata"]["resourceVersion"] == before


def test_retire_sidecar_rejects_a_malformed_workload(world: Verifier) -> None:
    result = wimigrate(world, "retire-sidecar", "--workload", "orders/gizmo/x")
    assert result.exit_code == 2 and "not a workload kind" in result.output


def test_waiting_without_a_terminal_prints_a_line_per_failing_round(capsys: pytest.CaptureFixture[str]) -> None:
    from migrator.cli.verify_render import WaitReporter

    reporter = WaitReporter(300.0)
    reporter.round(1, 2, 5)
    reporter.round(2, 0, 5)  # everything passed: nothing to say, the report follows
    reporter.close()
    assert capsys.readouterr().err == "Round 1: 3 of 5 workload(s) pass; re-checking the rest\n"
    WaitReporter(0.0).round(1, 2, 5)  # no --wait: no rounds to report
    assert capsys.readouterr().err == ""

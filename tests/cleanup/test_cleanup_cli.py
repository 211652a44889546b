"""``cleanup`` and ``rollback`` through click's CliRunner, against a lab with the AKS add-on (``--lab-dir``)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from migrator.cli.main import cli
from migrator.storage.journal import Journal, latest_unfinished
from tests.apply.world import World
from tests.cleanup.helpers import pod_identity, record, template_label

REFUSED = "without confirmation: no terminal to ask"


def wimigrate(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1", "COLUMNS": "200", "WIMIGRATE_LAB_DIR": None})


def cleanup(world: World, *args: str) -> Result:
    lab = ("--lab-dir", str(world.lab.state_dir), "--journal-dir", str(world.journals))
    return wimigrate("cleanup", "-A", *lab, *args)


def data(result: Result) -> Any:
    return json.loads(result.stdout)


def test_cleanup_cli_refuses_dry_runs_asks_cleans_and_rolls_back(aks_world: World) -> None:
    world = aks_world
    before, version = pod_identity(world), world.store_version()

    refused = cleanup(world, "-o", "json")
    assert refused.exit_code == 1, refused.output
    assert {r["reason"] for r in data(refused)["refused"]} == {"not verified: run `wimigrate verify`"}
    assert data(refused)["steps"] == [] and data(refused)["journal"] is None

    record(world)
    dry = cleanup(world, "--dry-run", "-o", "json")
    assert dry.exit_code == 1, dry.output
    steps = {s["key"].split(":")[0]: s for s in data(dry)["steps"] if s["status"] == "would change"}
    assert steps["podidentityprofile"]["detail"] == "listed only (ARM has no dry run)"
    assert steps["label"]["detail"] == "the API server accepts it (dry run)"
    unattended = cleanup(world)
    assert unattended.exit_code == 2 and REFUSED in unattended.output
    assert "podIdentityProfile" in unattended.stdout  # the changes were shown first
    world.lab.settle()
    assert world.store_version() == version

    done = cleanup(world, "--yes", "-o", "json")

    assert done.exit_code == 0, done.output
    report = data(done)
    path = Path(report["journal"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    header = Journal.open(path).header
    assert header["command"] == "cleanup" and header["target"]["clusterID"] == world.info.cluster_id
    assert {w["kind"] for w in header["plan"]["workloads"]} == {"Deployment", "StatefulSet", "CronJob"}
    assert "offer-disable-addon" in {n["code"] for n in report["notes"]}
    world.lab.settle()
    assert set(pod_identity(world)) == {"AzurePodIdentityException kube-system/aks-addon-exception"}
    assert latest_unfinished(world.journals) is None  # apply --resume never picks a cleanup journal

    undone = wimigrate("rollback", str(path), "--lab-dir", str(world.lab.state_dir), "--yes", "-o", "json")

    assert undone.exit_code == 0, undone.output
    assert {s["status"] for s in data(undone)["steps"]} == {"restored"}
    world.lab.settle()
    assert pod_identity(world) == before
    assert template_label(world, "platform", "Deployment", "cost-exporter") == "cost-exporter"

    table = cleanup(world, "--yes")  # rolled back: the workloads changed since they were verified
    assert table.exit_code == 1, table.output
    assert "Refused (pod identity kept)" in table.stdout and "verify again" in table.stdout


def test_latest_unfinished_considers_apply_journals_only(tmp_path: Path) -> None:
    old = Journal.create(tmp_path, {"runId": "old"})  # before journals named their command
    Journal.create(tmp_path, {"runId": "c", "command": "cleanup"})
    Journal.create(tmp_path, {"runId": "v", "command": "verify"})
    os.utime(old.path, (1, 1))

    assert latest_unfinished(tmp_path) == old.path


def test_cleanup_verify_checks_in_the_same_run_then_cleans(world: World) -> None:
    misplaced = cleanup(world, "--wait", "1m")
    assert misplaced.exit_code == 2 and "go with --verify" in misplaced.output

    done = cleanup(world, "--verify", "--token-exchange", "--yes", "-o", "json")

    assert done.exit_code == 0, done.output
    report = data(done)
    assert report["verification"]["passed"] is True
    assert report["refused"] == [] and len(report["verified"]) == 5
    world.lab.settle()
    assert template_label(world, "platform", "Deployment", "cost-exporter") is None
    commands = {Journal.open(p).header.get("command") for p in world.journals.glob("journal-*.jsonl")}
    assert {"verify", "cleanup"} <= commands  # the verdicts of this run are on record too

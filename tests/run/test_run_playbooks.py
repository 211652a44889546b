"""``wimigrate run``: each shipped playbook against a lab seeded with samples/quickstart, through CliRunner.

The lab's end state is read through the real clients (azure-mgmt-msi, the kubernetes API): federated
credentials made, ServiceAccounts annotated, pods mutated by the webhook, pod identity gone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from migrator.adapters.kube import resources as R
from migrator.cli.main import cli
from migrator.core.plan import CLIENT_ID_ANNOTATION
from migrator.lab.lab import Lab, LabConfig
from tests.apply.world import QUICKSTART, SPEEDUP, World
from tests.cleanup.helpers import labelled_pods, pod_identity

PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"


def start(tmp_path: Path, **config: Any) -> Iterator[World]:
    with Lab(LabConfig(speedup=SPEEDUP, **config), state_dir=tmp_path / "lab") as lab:
        lab.seed_manifests(QUICKSTART)
        lab.settle()
        yield World(lab, tmp_path / ".wimigrate")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    yield from start(tmp_path)


def run(world: World, playbook: Path | str, *args: str) -> Result:
    return CliRunner().invoke(
        cli,
        ["run", str(playbook), "--lab-dir", str(world.lab.state_dir), "--journal-dir", str(world.journals), *args],
        env={"NO_COLOR": "1", "COLUMNS": "160", "WIMIGRATE_LAB_DIR": None},
    )


def phases(result: Result) -> dict[str, str]:
    return {p["name"]: p["status"] for p in json.loads(result.stdout)["phases"]}


def mutated(world: World, namespace: str) -> list[str]:
    """Pods of a namespace the webhook mutated (AZURE_FEDERATED_TOKEN_FILE in every container)."""
    names = []
    for pod in world.kube.list(R.PODS, namespace):
        containers = pod["spec"]["containers"]
        if containers and all(
            any(e["name"] == "AZURE_FEDERATED_TOKEN_FILE" for e in c.get("env") or []) for c in containers
        ):
            names.append(pod["metadata"]["name"])
    return names


def test_modern_sdk_migrates_verifies_and_removes_pod_identity(world: World, tmp_path: Path) -> None:
    report_file, summary_file = tmp_path / "report.json", tmp_path / "summary.md"

    result = run(
        world,
        PLAYBOOKS / "modern-sdk.yaml",
        "--yes",
        "-o",
        "json",
        "--report",
        str(report_file),
        "--summary",
        str(summary_file),
    )

    assert result.exit_code == 0, result.output
    assert phases(result) == dict.fromkeys(("discover", "plan", "apply", "verify", "cleanup"), "passed")
    assert json.loads(report_file.read_text())["passed"] is True
    assert summary_file.read_text().startswith("### wimigrate run `modern-sdk`: ✅ passed")
    world.lab.settle()
    for rid in world.identity_ids():
        assert world.credentials(rid), rid  # every planned identity has its federated credential
    for sa in world.plan.serviceAccounts:
        assert world.service_account(sa.namespace, sa.name)["metadata"]["annotations"][CLIENT_ID_ANNOTATION]
    assert mutated(world, "payments") and mutated(world, "platform")
    assert not [k for k in pod_identity(world) if not k.startswith("AzurePodIdentityException kube-system")]
    # only pods of Jobs made before cleanup keep the label: a Job's template is immutable
    assert all(pod.startswith("payments/payments-settlement-") for pod in labelled_pods(world))


def test_legacy_sidecar_then_retire_sidecar(world: World) -> None:
    first = run(world, PLAYBOOKS / "legacy-sdk-sidecar.yaml", "--yes", "-o", "json")
    assert first.exit_code == 0, first.output
    world.lab.settle()
    legacy = world.kube.list(R.PODS, "orders")
    assert any(c["name"] == "azwi-proxy" for p in legacy for c in p["spec"]["containers"])

    second = run(world, PLAYBOOKS / "retire-sidecar.yaml", "--yes", "-o", "json")

    assert second.exit_code == 0, second.output
    assert phases(second)["retire-sidecar"] == "passed"
    template = world.workload("orders", "Deployment", "orders-legacy-sync")["spec"]["template"]
    assert "azure.workload.identity/inject-proxy-sidecar" not in (template["metadata"].get("annotations") or {})


def test_aks_addon_removal_disables_the_addon(tmp_path: Path) -> None:
    for world in start(tmp_path, aks_addon=True):
        result = run(world, PLAYBOOKS / "aks-addon-removal.yaml", "--yes", "-o", "json")

        assert result.exit_code == 0, result.output
        cluster = world.lab.azure.managed_cluster(world.lab.cluster_id)
        profile = cluster["properties"]["podIdentityProfile"]
        assert profile["enabled"] is False and not profile.get("userAssignedIdentities")
        world.lab.settle()
        assert not [k for k in pod_identity(world) if "AzureIdentity" in k]


def test_gitops_pr_rewrites_as_a_diff_and_exports_terraform(world: World, tmp_path: Path) -> None:
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=tmp_path):
        result = runner.invoke(
            cli,
            ["run", str(PLAYBOOKS / "gitops-pr.yaml"), "--manifests", str(QUICKSTART), "-o", "json"],
            env={"NO_COLOR": "1", "WIMIGRATE_LAB_DIR": None},
        )
        assert result.exit_code == 0, result.output
        assert phases(result) == dict.fromkeys(("discover", "plan", "rewrite", "export"), "passed")
        assert 'resource "azurerm_federated_identity_credential"' in Path("federated.tf").read_text()
    rewrite = next(p for p in json.loads(result.stdout)["phases"] if p["name"] == "rewrite")
    assert rewrite["report"]["summary"]["changed"] > 0
    assert any("+        azure.workload.identity/use" in f.get("diff", "") for f in rewrite["report"]["files"])


def test_without_yes_and_without_a_terminal_nothing_runs(world: World) -> None:
    version = world.store_version()
    result = run(world, PLAYBOOKS / "modern-sdk.yaml")
    assert result.exit_code == 2
    assert "there is no terminal to ask: nothing was run" in result.output
    assert world.store_version() == version and not world.journals.exists()


def test_a_failed_verification_stops_before_cleanup(tmp_path: Path) -> None:
    playbook = tmp_path / "quick.yaml"
    playbook.write_text(
        "apiVersion: wimigrate.io/v1\nkind: Playbook\nmetadata: {name: quick}\ntarget: {cluster: true}\n"
        "phases:\n  - apply\n  - verify: {wait: 0}\n  - cleanup\n"
    )
    for world in start(tmp_path, webhook_installed=False):
        result = run(world, playbook, "--yes", "-o", "json", "--summary", str(tmp_path / "s.md"))

        assert result.exit_code == 1, result.output
        assert phases(result) == {"apply": "passed", "verify": "failed", "cleanup": "skipped"}
        assert "| verify | ❌ failed |" in (tmp_path / "s.md").read_text()
        assert pod_identity(world)  # nothing of pod identity was removed


def test_an_invalid_playbook_names_file_and_line(world: World, tmp_path: Path) -> None:
    playbook = tmp_path / "bad.yaml"
    playbook.write_text(
        "apiVersion: wimigrate.io/v1\nkind: Playbook\nmetadata: {name: bad}\ntarget: {cluster: true}\n"
        "phases:\n  - discover\n  - verify: {wait: soon}\n"
    )
    result = run(world, playbook, "--yes")
    assert result.exit_code == 2
    assert f"{playbook}:7: phases[1].verify.wait:" in result.output


def test_a_target_without_a_cluster_is_refused_at_its_line(tmp_path: Path) -> None:
    playbook = tmp_path / "nowhere.yaml"
    playbook.write_text(
        "apiVersion: wimigrate.io/v1\nkind: Playbook\nmetadata: {name: nowhere}\ntarget: {cluster: false}\n"
        "phases:\n  - verify\n"
    )
    result = CliRunner().invoke(cli, ["run", str(playbook), "--yes"], env={"WIMIGRATE_LAB_DIR": None})
    assert result.exit_code == 2
    assert f"{playbook}:6: phases[0]: 'verify' works on a live cluster" in result.output


def test_a_dry_run_changes_nothing_and_skips_what_would_only_recheck(world: World) -> None:
    version = world.store_version()
    result = run(world, PLAYBOOKS / "modern-sdk.yaml", "--dry-run", "-o", "json")
    assert result.exit_code == 0, result.output
    assert phases(result) == {
        "discover": "passed",
        "plan": "passed",
        "apply": "passed",
        "verify": "skipped",
        "cleanup": "skipped",
    }
    apply = next(p for p in json.loads(result.stdout)["phases"] if p["name"] == "apply")
    assert apply["report"]["summary"]["would change"] > 0
    world.lab.settle()
    assert world.store_version() == version


def test_a_lab_seed_that_is_not_a_directory_is_refused(tmp_path: Path) -> None:
    playbook = tmp_path / "seeded.yaml"
    playbook.write_text(
        "apiVersion: wimigrate.io/v1\nkind: Playbook\nmetadata: {name: seeded}\n"
        f"target: {{cluster: true, labSeed: {tmp_path / 'missing'}}}\nphases:\n  - discover\n"
    )
    result = CliRunner().invoke(cli, ["run", str(playbook), "--lab"], env={"WIMIGRATE_LAB_DIR": None})
    assert result.exit_code == 2
    assert f"The lab's seed {tmp_path / 'missing'} is not a directory." in result.output


def test_a_dry_run_of_gitops_pr_writes_no_file(tmp_path: Path) -> None:
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=tmp_path):
        result = runner.invoke(
            cli,
            ["run", str(PLAYBOOKS / "gitops-pr.yaml"), "--manifests", str(QUICKSTART), "--dry-run", "-o", "json"],
            env={"NO_COLOR": "1", "WIMIGRATE_LAB_DIR": None},
        )
        assert result.exit_code == 0, result.output
        assert not Path("federated.tf").exists()
    export = next(p for p in json.loads(result.stdout)["phases"] if p["name"] == "export")
    assert export["summary"].endswith("federated.tf not written (dry run)")

"""``discover`` and ``plan`` on the live sources, through click's CliRunner against a lab."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from migrator.cli.main import cli
from migrator.lab.lab import Lab
from tests.lab.kube_clients import Clients

QUICKSTART_WORKLOADS = [
    ("orders", "Deployment", "orders-legacy-sync"),
    ("orders", "StatefulSet", "orders-processor"),
    ("payments", "CronJob", "payments-settlement"),
    ("payments", "Deployment", "payments-api"),
    ("platform", "Deployment", "cost-exporter"),
]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1", "COLUMNS": "200", "WIMIGRATE_LAB_DIR": None})


def workloads(data: dict) -> list[tuple[str, str, str]]:
    return [(w["namespace"], w["kind"], w["name"]) for w in data["workloads"]]


@pytest.fixture
def seeded(lab: Lab) -> Lab:
    lab.seed_manifests(Path("samples/quickstart"))
    return lab


def test_discover_with_a_throwaway_lab_finds_the_quickstart_workloads_by_top_level_kind() -> None:
    result = run("discover", "--lab", "-A", "-o", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert workloads(data) == QUICKSTART_WORKLOADS
    assert all(w["source"].startswith("cluster wimigrate-lab: ") for w in data["workloads"])
    assert data["scope"]["context"] == "wimigrate-lab" and data["scope"]["namespaces"] is None
    assert data["scope"]["clusterID"].endswith("/managedClusters/lab-aks")
    assert data["stats"]["requests"] == data["scope"]["requests"] == 15


def test_discover_table_shows_the_scope_and_the_requests(seeded: Lab) -> None:
    result = run("discover", "--lab-dir", str(seeded.state_dir), "-n", "payments")
    assert result.exit_code == 0, result.output
    assert "Cluster context wimigrate-lab, namespace(s) payments:" in result.output
    assert "request(s)" in result.output and "payments-settlement" in result.output
    assert "orders-processor" not in result.output


def test_without_a_namespace_the_contexts_namespace_is_read_as_kubectl_does(seeded: Lab) -> None:
    result = run("discover", "--lab-dir", str(seeded.state_dir), "-o", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["scope"]["namespaces"] == ["default"] and data["workloads"] == []


def test_discover_a_cluster_through_a_kubeconfig(seeded: Lab, k: Clients) -> None:
    """The path a real cluster takes: --cluster with a kubeconfig and context, no Azure unless asked."""
    result = run(
        "discover",
        "--cluster",
        "--kubeconfig",
        str(seeded.kubeconfig),
        "--context",
        "wimigrate-lab",
        "-A",
        "-o",
        "json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert workloads(data) == QUICKSTART_WORKLOADS
    assert data["scope"]["clusterID"] is None
    bad = run("discover", "--cluster", "--kubeconfig", str(seeded.kubeconfig), "--context", "nope")
    assert bad.exit_code == 2 and "no context 'nope'" in bad.output


def test_manifests_and_cluster_together_use_the_live_inventory_and_report_drift(seeded: Lab, k: Clients) -> None:
    k.apps.patch_namespaced_deployment(
        "cost-exporter",
        "platform",
        {"spec": {"template": {"metadata": {"labels": {"aadpodidbinding": "changed-by-hand"}}}}},
    )
    seeded.settle()
    result = run(
        "discover", "--manifests", "samples/quickstart", "--lab-dir", str(seeded.state_dir), "-A", "-o", "json"
    )
    data = json.loads(result.output)
    assert data["scope"]["manifests"] is True
    assert {w["name"]: w["selector"] for w in data["workloads"]}["cost-exporter"] == "changed-by-hand"
    assert "drift-workload-changed" in {f["code"] for f in data["findings"]}


def test_plan_reads_the_cluster_and_its_issuer(seeded: Lab) -> None:
    result = run("plan", "--lab-dir", str(seeded.state_dir), "-A", "-o", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [(w["namespace"], w["kind"], w["name"]) for w in data["workloads"]] == QUICKSTART_WORKLOADS
    assert data["issuer"] == seeded.issuer.url
    table = run("plan", "--lab-dir", str(seeded.state_dir), "-A", "-g", "lab-rg", "--name", "lab-aks")
    assert table.exit_code == 0, table.output
    assert "Cluster context wimigrate-lab, all namespaces:" in table.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Nothing to read: give --manifests PATH, --cluster"),
        (("--cluster", "-n", "a", "-A"), "not both"),
        (("--manifests", "samples/quickstart", "-A"), "apply to the live cluster: add --cluster"),
        (("--lab", "--context", "x"), "do not apply to a lab"),
        (("--manifests", "samples/quickstart", "-g", "rg"), "go together"),
        (("--manifests", "samples/quickstart", "-g", "rg", "--name", "aks"), "--subscription is required"),
        (("--manifests", "samples/quickstart", "--cluster-id", "x", "-g", "rg", "--name", "aks"), "not both"),
        (("--manifests", "samples/quickstart", "--subscription", "s"), "goes with -g/--name"),
    ],
)
def test_source_usage_errors(args: tuple[str, ...], message: str) -> None:
    for command in ("discover", "plan"):
        result = run(command, *args)
        assert result.exit_code == 2, result.output
        assert message in result.output and "Traceback" not in result.output

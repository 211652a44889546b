"""After NMI, pods can reach IMDS: cleanup reports unprotected migrated namespaces and generates (or creates)
a NetworkPolicy per namespace blocking 169.254.169.254, leaving pods of AzurePodIdentityExceptions alone."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from migrator.adapters.kube import resources as R
from migrator.cli.main import cli
from migrator.core.changes import CREATED_BY_ANNOTATION, NETWORK_POLICIES
from migrator.phases.apply.context import DONE
from migrator.phases.apply.rollback import DELETED
from tests.apply.world import World
from tests.cleanup.helpers import cleanup, record, undo

MIGRATED = ["orders", "payments", "platform"]
PROBE = {"app.kubernetes.io/name": "payments-probe"}


def policies(world: World, namespace: str) -> list[dict]:
    return list(world.kube.list(R.NETWORK_POLICIES, namespace))


def add_exception(world: World) -> None:
    """An exception in a migrated namespace: its pods reached IMDS through NMI, and must keep doing so."""
    world.kube.create(
        R.AZURE_POD_IDENTITY_EXCEPTIONS,
        "payments",
        {
            "apiVersion": "aadpodidentity.k8s.io/v1",
            "kind": "AzurePodIdentityException",
            "metadata": {"name": "probe-exception", "namespace": "payments"},
            "spec": {"podLabels": PROBE},
        },
    )


def test_apply_network_policy_creates_valid_policies_and_rollback_removes_them(world: World) -> None:
    add_exception(world)
    record(world)

    result = cleanup(world, apply_network_policies=True)

    assert result.report.exit_code == 0, result.report.to_dict()
    assert result.plan.unprotected == MIGRATED
    codes = {n.code for n in result.plan.notes}
    assert {"unprotected-namespaces", "imds-restriction"} <= codes
    created = [c for c in result.plan.changes if c.phase == NETWORK_POLICIES]
    assert {c.target["namespace"] for c in created} == set(MIGRATED)
    assert {result.statuses[c.key] for c in created} == {DONE}  # the lab's API server validated each one
    for ns in MIGRATED:
        live = policies(world, ns)
        assert live and all(
            p["metadata"]["annotations"][CREATED_BY_ANNOTATION] == result.journal.header["runId"] for p in live
        )
        assert "169.254.169.254/32" in json.dumps(live)
    assert "payments-probe" in json.dumps(policies(world, "payments"))  # the exception's pods are left alone
    assert "payments-probe" not in json.dumps(policies(world, "orders"))
    # no pod matches the exception, so this run deleted it too: the policies were made from it first
    assert world.kube.find(R.AZURE_POD_IDENTITY_EXCEPTIONS, "payments", "probe-exception") is None

    again = cleanup(world, apply_network_policies=True)
    assert again.plan.unprotected == [] and again.plan.pending == []

    report = undo(world, result.journal)

    assert {r.status for r in report.results if r.key.startswith("networkpolicy:")} == {DELETED}
    assert all(policies(world, ns) == [] for ns in MIGRATED)


def test_network_policy_file_is_written_without_applying(world: World, tmp_path: Path) -> None:
    record(world)
    version = world.store_version()
    out = tmp_path / "imds.yaml"
    lab = ("--lab-dir", str(world.lab.state_dir), "--journal-dir", str(world.journals))

    result = CliRunner().invoke(
        cli, ["cleanup", "-A", *lab, "--dry-run", "--network-policy", str(out), "-o", "json"], env={"NO_COLOR": "1"}
    )

    assert result.exit_code == 1, result.output  # a dry run with changes pending
    documents = list(yaml.safe_load_all(out.read_text()))
    assert {d["kind"] for d in documents} == {"NetworkPolicy"}
    assert {d["metadata"]["namespace"] for d in documents} == set(MIGRATED)
    assert json.loads(result.stdout)["unprotectedNamespaces"] == MIGRATED
    world.lab.settle()
    assert world.store_version() == version

"""One cluster with both kinds of pod identity: AKS add-on identities and a self-managed install."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from migrator.cli.main import cli
from migrator.lab.lab import Lab, LabConfig

QUICKSTART = Path("samples/quickstart")
SELF_MANAGED_ID = (
    "/subscriptions/{sub}/resourceGroups/rg-legacy/providers/Microsoft.ManagedIdentity/"
    "userAssignedIdentities/id-reports"
)
CLIENT_ID = "0b1d2c3e-4f50-4a61-8b72-9c8d7e6f5a41"


def _self_managed(lab: Lab) -> str:
    """An AzureIdentity + binding + Deployment installed with the open-source chart, in namespace reports."""
    rid = SELF_MANAGED_ID.format(sub=lab.subscription_id)
    lab.azure.add_identity(rid, client_id=CLIENT_ID)
    store, registry = lab.kube.store, lab.kube.registry
    store.create(registry.get("namespaces"), None, {"metadata": {"name": "reports"}})
    group = "aadpodidentity.k8s.io"
    store.create(
        registry.get("azureidentities", group),
        "reports",
        {
            "apiVersion": f"{group}/v1",
            "kind": "AzureIdentity",
            "metadata": {"name": "reports"},
            "spec": {"type": 0, "resourceID": rid, "clientID": CLIENT_ID},
        },
    )
    store.create(
        registry.get("azureidentitybindings", group),
        "reports",
        {
            "apiVersion": f"{group}/v1",
            "kind": "AzureIdentityBinding",
            "metadata": {"name": "reports-binding"},
            "spec": {"azureIdentity": "reports", "selector": "reports"},
        },
    )
    store.create(
        registry.get("deployments", "apps"),
        "reports",
        {
            "metadata": {"name": "report-builder"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "report-builder"}},
                "template": {
                    "metadata": {"labels": {"app": "report-builder", "aadpodidbinding": "reports"}},
                    "spec": {"containers": [{"name": "app", "image": "contoso.azurecr.io/reports:2.1"}]},
                },
            },
        },
    )
    lab.settle()
    return rid


def test_discovery_of_aks_managed_and_self_managed_pod_identity_across_namespaces(tmp_path: Path) -> None:
    with Lab(LabConfig(speedup=50.0, aks_addon=True), state_dir=tmp_path / "lab") as lab:
        lab.seed_manifests(QUICKSTART)
        rid = _self_managed(lab)
        result = CliRunner().invoke(
            cli, ["discover", "--lab-dir", str(tmp_path / "lab"), "-A", "-o", "json"], env={"NO_COLOR": "1"}
        )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    managed = {(i["namespace"], i["name"]): i["aksManaged"] for i in data["identities"]}
    assert managed == {
        ("orders", "orders"): True,
        ("payments", "payments-api"): True,
        ("platform", "platform-cost-reader"): True,
        ("reports", "reports"): False,
    }
    workloads = {(w["namespace"], w["kind"], w["name"]) for w in data["workloads"]}
    assert ("reports", "Deployment", "report-builder") in workloads
    assert {ns for ns, _, _ in workloads} == {"orders", "payments", "platform", "reports"}
    assert all(f["severity"] != "error" for f in data["findings"]), data["findings"]
    assert data["scope"]["clusterID"] and data["scope"]["namespaces"] is None
    reports = next(i for i in data["identities"] if i["name"] == "reports")
    assert reports["resourceID"] == rid and reports["clientID"] == CLIENT_ID
    assert "azure-identity-not-found" not in {f["code"] for f in data["findings"]}

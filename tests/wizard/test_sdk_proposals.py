"""The wizard's mode proposals for the quickstart, from samples/quickstart-src (one directory per application)."""

from __future__ import annotations

from pathlib import Path

from migrator.cli.wizard.sdk import proposals
from migrator.sources.manifests.scan import scan

ROOT = Path(__file__).resolve().parents[2]


def test_each_quickstart_workload_gets_its_mode_from_its_sdk() -> None:
    workloads = scan([str(ROOT / "samples" / "quickstart")]).workloads
    found = proposals([str(ROOT / "samples" / "quickstart-src")], [], workloads)
    assert {ref: mode for ref, (mode, _) in found.items()} == {
        "orders/Deployment/orders-legacy-sync": "sidecar",
        "orders/StatefulSet/orders-processor": "label",
        "payments/Deployment/payments-api": "label",
        "payments/CronJob/payments-settlement": "label",
        # its directory is named after its image (ghcr.io/contoso/azure-cost-exporter), not the Deployment
        "platform/Deployment/cost-exporter": "label",
    }
    assert "1.2.5" in found["orders/Deployment/orders-legacy-sync"][1]

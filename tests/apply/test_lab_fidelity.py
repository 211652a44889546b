"""Lab behaviours the apply tests rely on, pinned to what Kubernetes and ARM do."""

from __future__ import annotations

from migrator.adapters.kube import resources as R
from tests.apply.world import World, template_of


def test_statefulset_pods_get_a_volume_per_claim_template(world: World) -> None:
    """pkg/controller/statefulset updateStorage: claim ``<template>-<set>-<ordinal>``, so a template
    mounting its volumeClaimTemplate is valid (the quickstart's orders-processor runs)."""
    pods = list(world.kube.list(R.PODS, "orders", label_selector="app.kubernetes.io/name=orders-processor"))
    assert sorted(p["metadata"]["name"] for p in pods) == [f"orders-processor-{i}" for i in range(3)]
    for pod in pods:
        volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
        assert volumes["outbox"] == {
            "name": "outbox",
            "persistentVolumeClaim": {"claimName": f"outbox-{pod['metadata']['name']}"},
        }


def test_service_account_alias_is_served_and_wins_when_the_name_is_removed(world: World) -> None:
    """core/v1 conversion: ``serviceAccount`` is served equal to ``serviceAccountName``; a write without
    the name takes it from the alias; removing both leaves the default."""

    def spec() -> dict:
        return template_of(world.workload("platform", "Deployment", "cost-exporter"))["spec"]

    assert "serviceAccountName" not in spec() and "serviceAccount" not in spec()
    patch = {"spec": {"template": {"spec": {"serviceAccountName": "platform-cost-reader"}}}}
    world.kube.create(R.SERVICE_ACCOUNTS, "platform", {"metadata": {"name": "platform-cost-reader"}})
    world.kube.patch(R.DEPLOYMENTS, "platform", "cost-exporter", patch)
    assert (spec()["serviceAccountName"], spec()["serviceAccount"]) == ("platform-cost-reader",) * 2
    world.kube.patch(
        R.DEPLOYMENTS, "platform", "cost-exporter", {"spec": {"template": {"spec": {"serviceAccountName": None}}}}
    )
    assert (spec()["serviceAccountName"], spec()["serviceAccount"]) == ("platform-cost-reader",) * 2
    both = {"spec": {"template": {"spec": {"serviceAccountName": None, "serviceAccount": None}}}}
    world.kube.patch(R.DEPLOYMENTS, "platform", "cost-exporter", both)
    assert "serviceAccountName" not in spec() and "serviceAccount" not in spec()


def test_credential_creations_count_arm_creates_only(world: World) -> None:
    planned = world.plan.federatedCredentials[0]
    rid = planned.identityResourceID
    assert rid is not None
    world.lab.azure.add_federated_credential(rid, "seeded", issuer="https://example.com/i/", subject="s")  # not counted
    for _ in range(2):  # a create (201), then an update of the same credential (200)
        world.identities.put_credential(rid, planned.name, planned.issuer, planned.subject, planned.audience)
    assert world.creations() == {f"{rid}/federatedIdentityCredentials/{planned.name}".lower(): 1}

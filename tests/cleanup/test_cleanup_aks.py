"""Cleanup with the AKS pod-identity add-on: its identities leave through podIdentityProfile (ARM), and stay gone."""

from __future__ import annotations

from migrator.adapters.kube import resources as R
from migrator.core.changes import POD_IDENTITY_PROFILE
from migrator.phases.apply.context import BLOCKED, DONE
from migrator.phases.apply.rollback import RESTORED
from tests.apply.world import World
from tests.cleanup.helpers import cleanup, failing, pod_identity, record, template_label, undo

ADDON_EXCEPTION = "AzurePodIdentityException kube-system/aks-addon-exception"


def profile(world: World) -> dict:
    return world.lab.azure.managed_cluster(world.info.cluster_id)["properties"]["podIdentityProfile"]


def components(world: World) -> set[str]:
    deployments = {d["metadata"]["name"] for d in world.kube.list(R.DEPLOYMENTS, "kube-system")}
    daemonsets = {d["metadata"]["name"] for d in world.kube.list(R.DAEMON_SETS, "kube-system")}
    return (deployments | daemonsets) & {"mic", "nmi"}


def test_aks_managed_identities_are_removed_through_arm_and_not_resurrected(aks_world: World) -> None:
    world = aks_world
    before, profile_before = pod_identity(world), profile(world)
    assert len(profile_before["userAssignedIdentities"]) == 3
    deletes = world.spy("kube", "delete")
    record(world)

    result = cleanup(world)

    assert result.report.exit_code == 0, result.report.to_dict()
    [change] = [c for c in result.plan.changes if c.phase == POD_IDENTITY_PROFILE]
    assert result.statuses[change.key] == DONE
    assert (
        world.lab.faults.fired(deletes) == 0
    )  # nothing AKS-managed is deleted in the cluster: the add-on would re-create it
    world.lab.settle()
    world.lab.settle()  # the add-on reconciles once more on its own deletions: nothing comes back
    assert set(pod_identity(world)) == {ADDON_EXCEPTION}
    after = profile(world)
    assert after["enabled"] is True
    assert after["userAssignedIdentities"] == [] and after["userAssignedIdentityExceptions"] == []
    assert template_label(world, "payments", "Deployment", "payments-api") is None
    assert "offer-disable-addon" in {n.code for n in result.plan.notes}
    assert components(world) == {"mic", "nmi"}  # offered, never by default

    report = undo(world, result.journal)

    assert report.exit_code == 0 and {r.status for r in report.results} == {RESTORED}
    world.lab.settle()
    assert profile(world) == profile_before
    assert pod_identity(world) == before  # the add-on re-created its objects
    assert template_label(world, "payments", "Deployment", "payments-api") == "payments-api"


def test_disable_addon_is_blocked_while_something_uses_pod_identity(aks_world: World) -> None:
    world = aks_world
    record(world, failed={"orders/StatefulSet/orders-processor": failing("pods-not-restarted")})

    blocked = cleanup(world, disable_addon=True)

    assert blocked.report.exit_code == 1
    [result] = [r for r in blocked.report.results if r.status == BLOCKED]
    assert "orders/StatefulSet/orders-processor" in result.message and "orders/orders-binding" in result.message
    world.lab.settle()
    assert profile(world)["enabled"] is True and components(world) == {"mic", "nmi"}
    assert "AzureIdentityBinding orders/orders-binding" in pod_identity(world)
    assert template_label(world, "orders", "StatefulSet", "orders-processor") == "orders"

    record(world)  # verified now
    disabled = cleanup(world, disable_addon=True)

    assert disabled.report.exit_code == 0, disabled.report.to_dict()
    [change] = [c for c in disabled.plan.changes if c.phase == POD_IDENTITY_PROFILE]
    assert change.desired["enabled"] is False and "disable the add-on" in change.message
    world.lab.settle()
    assert profile(world)["enabled"] is False
    assert components(world) == set()  # the add-on removed MIC and NMI
    assert pod_identity(world) == {}

    report = undo(world, disabled.journal)

    assert report.exit_code == 0
    world.lab.settle()
    assert profile(world)["enabled"] is True and components(world) == {"mic", "nmi"}
    assert "AzureIdentityBinding orders/orders-binding" in pod_identity(world)

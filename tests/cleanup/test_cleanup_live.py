"""Cleanup against a lab with self-managed aad-pod-identity, after ``apply`` migrated the quickstart."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrator.adapters.kube import resources as R
from migrator.core.changes import Change
from migrator.core.cleanup_facts import FINALIZER
from migrator.phases.apply.context import DONE, PENDING, UNCHANGED
from migrator.phases.apply.rollback import NOTHING, RESTORED
from migrator.storage.journal import Journal, latest_unfinished
from tests.apply.world import World
from tests.cleanup.helpers import (
    cleanup,
    failing,
    labelled_pods,
    pod_identity,
    record,
    template_label,
    undo,
)

WORKLOADS = {
    ("orders", "Deployment", "orders-legacy-sync"): "orders",
    ("orders", "StatefulSet", "orders-processor"): "orders",
    ("payments", "Deployment", "payments-api"): "payments-api",
    ("payments", "CronJob", "payments-settlement"): "payments-api",
    ("platform", "Deployment", "cost-exporter"): "cost-exporter",
}
BINDINGS = {"orders/orders-binding", "payments/payments-api-binding", "platform/platform-cost-reader-binding"}
IDENTITIES = {"orders/orders", "payments/payments-api", "platform/platform-cost-reader"}


def journals(world: World) -> list[Path]:
    """Cleanup's journals (apply's is there too)."""
    return sorted(
        p for p in world.journals.glob("journal-*.jsonl") if Journal.open(p).header.get("command") == "cleanup"
    )


def test_cleanup_refuses_before_verification_and_changes_nothing(world: World) -> None:
    version, before = world.store_version(), pod_identity(world)

    unverified = cleanup(world, disable_addon=True, apply_network_policies=True)
    world.lab.settle()
    assert world.store_version() == version and journals(world) == []
    record(world, generation=-1)  # every workload changed since it was verified
    changed = cleanup(world)
    world.lab.settle()
    assert world.store_version() == version and journals(world) == []
    record(world, failed={"payments/Deployment/payments-api": failing("credential-missing")})
    one_failed = cleanup(world, disable_addon=True)

    assert unverified.plan.changes == [] and unverified.journal is None
    assert {r.reason for r in unverified.plan.refusals} == {"not verified: run `wimigrate verify`"}
    assert unverified.report.exit_code == 1
    [refused] = one_failed.plan.refusals
    assert refused.ref == "payments/Deployment/payments-api" and "credential: credential-missing" in refused.reason
    assert refused.failed[0]["cause"] == "credential-missing"
    assert len(changed.plan.refusals) == len(WORKLOADS) and changed.plan.changes == []
    assert all("verify again" in r.reason for r in changed.plan.refusals)
    assert changed.report.exit_code == 1
    # only the verified workloads lost their label; the refused one keeps its binding (and the CronJob sharing it)
    assert one_failed.report.exit_code == 1
    assert template_label(world, "payments", "Deployment", "payments-api") == "payments-api"
    statuses = one_failed.statuses
    assert "label:payments/Deployment/payments-api" not in statuses
    assert statuses["binding:payments/payments-api-binding"] == UNCHANGED
    assert statuses["identity:payments/payments-api"] == UNCHANGED
    assert statuses["binding:orders/orders-binding"] == DONE
    blocked = [r for r in one_failed.report.results if r.status == "blocked"]
    assert len(blocked) == 1 and "payments/Deployment/payments-api" in blocked[0].message  # --disable-addon
    world.lab.settle()
    after = pod_identity(world)
    assert "AzureIdentityBinding payments/payments-api-binding" in after
    assert "AzureIdentityBinding orders/orders-binding" not in after
    assert before != after and len(journals(world)) == 1


def test_dry_run_changes_nothing(world: World) -> None:
    record(world)
    version = world.store_version()

    result = cleanup(world, dry_run=True)

    assert result.journal is None and result.report.exit_code == 1
    statuses = set(result.statuses.values())
    assert statuses == {PENDING}
    assert {r.detail for r in result.report.results} == {"the API server accepts it (dry run)"}
    world.lab.settle()
    assert world.store_version() == version


def test_cleanup_removes_pod_identity_and_rollback_restores_it(world: World) -> None:
    before = pod_identity(world)
    record(world)
    deletes = world.spy("kube", "delete", "azure*")

    result = cleanup(world)

    assert result.report.exit_code == 0, result.report.to_dict()
    assert world.lab.faults.fired(deletes) == len(BINDINGS) + len(IDENTITIES) + 1  # and the exception
    statuses = result.statuses
    assert {k for k, s in statuses.items() if k.startswith("binding:") and s == DONE} == {
        f"binding:{b}" for b in BINDINGS
    }
    assert {k for k, s in statuses.items() if k.startswith("identity:") and s == DONE} == {
        f"identity:{i}" for i in IDENTITIES
    }
    assert statuses["exception:kube-system/cluster-autoscaler-exception"] == DONE  # no pod matches it
    codes = {n.code for n in result.plan.notes}
    assert "mic-releases" in codes and "offer-helm-uninstall" in codes
    helm = next(n.message for n in result.plan.notes if n.code == "offer-helm-uninstall")
    assert "`helm uninstall aad-pod-identity -n kube-system`" in helm
    world.lab.settle()
    assert pod_identity(world) == {}
    for (ns, kind, name), _ in WORKLOADS.items():
        assert template_label(world, ns, kind, name) is None
    # the pods rolled without the label; only the CronJob's finished Jobs keep theirs (Jobs are immutable)
    assert all(p.startswith("payments/payments-settlement-") for p in labelled_pods(world))
    assert list(world.kube.list(R.AZURE_ASSIGNED_IDENTITIES)) == []  # MIC released them
    header = result.journal.header
    assert header["command"] == "cleanup"

    again = cleanup(world)  # its own label removal does not make the verdicts stale
    assert again.plan.refusals == [] and again.plan.pending == [] and again.report.exit_code == 0

    report = undo(world, result.journal)

    assert report.exit_code == 0
    assert {r.status for r in report.results} == {RESTORED}
    world.lab.settle()
    assert pod_identity(world) == before
    for (ns, kind, name), selector in WORKLOADS.items():
        assert template_label(world, ns, kind, name) == selector
    assert len(labelled_pods(world)) >= 8


def test_without_mic_cleanup_releases_assigned_identities_and_says_so(world: World) -> None:
    assigned = list(world.kube.list(R.AZURE_ASSIGNED_IDENTITIES))
    assert assigned and all(FINALIZER in a["metadata"]["finalizers"] for a in assigned)
    mic = world.kube.get(R.DEPLOYMENTS, "kube-system", "aad-pod-identity-mic")
    world.kube.delete(R.DEPLOYMENTS, "kube-system", "aad-pod-identity-mic", uid=mic["metadata"]["uid"])
    world.lab.settle()
    record(world)

    result = cleanup(world)

    assert result.report.exit_code == 0, result.report.to_dict()
    released = {k for k, s in result.statuses.items() if k.startswith("assigned:") and s == DONE}
    assert released == {f"assigned:{a['metadata']['namespace']}/{a['metadata']['name']}" for a in assigned}
    assert "finalizers-removed" in {n.code for n in result.plan.notes}
    change = next(c for c in result.plan.changes if c.key in released)
    assert "MIC no longer runs" in change.message and FINALIZER in change.message
    world.lab.settle()
    assert list(world.kube.list(R.AZURE_ASSIGNED_IDENTITIES)) == []

    report = undo(world, result.journal)

    not_restored = [r for r in report.results if r.key.startswith("assigned:")]
    assert not_restored and {r.status for r in not_restored} == {NOTHING}
    assert "MIC's own record" in not_restored[0].detail


class Crash(BaseException):
    """Not an Exception: nothing in cleanup may catch it, as nothing catches a kill."""


def test_a_crashed_cleanup_is_finished_by_running_it_again_and_both_roll_back(world: World) -> None:
    before = pod_identity(world)
    record(world)

    def crash(where: str, change: Change) -> None:
        if where == "after-change" and change.key == "binding:payments/payments-api-binding":
            raise Crash  # deleted, but the journal never heard of it

    with pytest.raises(Crash):
        cleanup(world, checkpoint=crash)
    [crashed] = journals(world)
    state = Journal.open(crashed).state()
    assert state.ended is None and not state.finished("binding:payments/payments-api-binding")
    assert latest_unfinished(world.journals) != crashed  # apply --resume never picks it

    second = cleanup(world)  # observes again: what the crashed run did is not done twice

    assert second.report.exit_code == 0, second.report.to_dict()
    assert "binding:payments/payments-api-binding" not in second.statuses
    assert second.statuses["identity:payments/payments-api"] == DONE
    world.lab.settle()
    assert pod_identity(world) == {}

    for path in (second.journal.path, crashed):
        assert undo(world, Journal.open(path)).exit_code == 0
    world.lab.settle()
    assert pod_identity(world) == before

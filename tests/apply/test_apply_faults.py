"""Issue 5: apply completes when 30% of the writes fail (429, 500, 409, connection resets), and still
creates every federated credential exactly once.

Who recovers what: azure-core retries ARM's 429 (honouring Retry-After), 5xx and resets itself;
``IdentityGateway``'s RetryPolicy adds Azure's 409 (concurrent writes under one identity); ``KubeApi``'s
RetryPolicy retries the apiserver's 429/5xx/resets; a 409 from the apiserver is not resent as it was
but read again and recomputed by the phase (``serviceaccounts.write``, ``workloads.write``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from migrator.lab.faults import Fault
from migrator.lab.lab import Lab, LabConfig
from migrator.phases.apply.context import DONE, UNCHANGED
from tests.apply.world import QUICKSTART, SPEEDUP, World

FAULT_RATE = 0.30
WRITES = [
    ("arm", "put", "federatedIdentityCredentials"),
    ("kube", "create", "serviceaccounts"),
    ("kube", "patch", "serviceaccounts"),
    ("kube", "patch", "deployments"),
    ("kube", "patch", "statefulsets"),
    ("kube", "patch", "cronjobs"),
]
ARM_RETRY_AFTER = 0.02
"""Real seconds (the lab's ARM sends fractional Retry-After when sped up)."""

DETERMINISTIC = [
    # The first FIC write meets every ARM fault in turn: azure-core retries the 429, the reset and
    # the 500; the 409 reaches IdentityGateway, whose RetryPolicy writes again.
    Fault("status", "arm", "put", "federatedIdentityCredentials", status=429, retry_after=ARM_RETRY_AFTER, times=1),
    Fault("reset", "arm", "put", "federatedIdentityCredentials", times=1),
    Fault("status", "arm", "put", "federatedIdentityCredentials", status=500, times=1),
    Fault("status", "arm", "put", "federatedIdentityCredentials", status=409, times=1),
    # Kubernetes: a 409 on a create and on a patch (read again, decide again), a reset, a 500 and a
    # 429 with Retry-After (KubeApi's RetryPolicy).
    Fault("status", "kube", "create", "serviceaccounts", status=409, times=1),
    Fault("reset", "kube", "create", "serviceaccounts", times=1),
    Fault("status", "kube", "patch", "serviceaccounts", status=500, times=1),
    Fault("status", "kube", "patch", "deployments", status=409, times=1),
    Fault("reset", "kube", "patch", "statefulsets", times=1),
    Fault("status", "kube", "patch", "cronjobs", status=429, retry_after=1.0, times=1),
]


def random_faults(rate: float = FAULT_RATE) -> list[Fault]:
    """Four rules per write (429, 500, 409, reset), each firing with p, so that 1 - (1 - p)^4 = rate."""
    p = 1 - (1 - rate) ** 0.25
    faults = []
    for service, verb, resource in WRITES:
        faults += [
            Fault("status", service, verb, resource, status=429, probability=p, retry_after=_retry_after(service)),
            Fault("status", service, verb, resource, status=500, probability=p),
            Fault("status", service, verb, resource, status=409, probability=p),
            Fault("reset", service, verb, resource, probability=p),
        ]
    return faults


def _retry_after(service: str) -> float | None:
    return ARM_RETRY_AFTER if service == "arm" else None  # the apiserver's is whole seconds: let backoff work


@pytest.fixture(params=[1, 2, 3])
def faulty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with Lab(LabConfig(speedup=SPEEDUP, seed=request.param)) as lab:
        lab.seed_manifests(QUICKSTART)
        lab.settle()
        world = World(lab, tmp_path / ".wimigrate")
        # azure-core's exponential backoff (0.8 s, 1.6 s...) in lab time, as ApplyOptions.time_scale does for pacing
        world.target.client_options["retry_backoff_factor"] = 0.8 / SPEEDUP
        yield world


def test_apply_completes_under_faults_and_creates_each_credential_once(faulty: World) -> None:
    world, plan = faulty, faulty.plan
    deterministic = [world.lab.faults.add(f) for f in DETERMINISTIC]
    randomised = [world.lab.faults.add(f) for f in random_faults()]

    run = world.apply()

    assert run.report.exit_code == 0, [(r.key, r.status, r.detail) for r in run.report.results if r.status != DONE]
    assert {r.status for r in run.report.results} == {DONE}
    assert [world.lab.faults.fired(f) for f in deterministic] == [1] * len(deterministic)
    fired = sum(world.lab.faults.fired(f) for f in randomised)
    assert fired >= 1
    # every credential created exactly once, none under another name
    wanted = {
        f"{c.identityResourceID}/federatedIdentityCredentials/{c.name}".lower() for c in plan.federatedCredentials
    }
    assert world.creations() == dict.fromkeys(wanted, 1)
    for rid in world.identity_ids():
        names = set(world.credentials(rid))
        assert names == {c.name for c in plan.federatedCredentials if c.identityResourceID == rid}
    # and the world is as planned: without faults, a second run finds nothing to do
    world.lab.faults.clear()
    world.lab.settle()
    again = world.apply()
    assert {r.status for r in again.report.results} == {UNCHANGED}


def test_a_workload_changed_after_observe_is_read_again_not_resent(world: World) -> None:
    """A real 409 (someone changed the Deployment since apply read it): the stale patch is not resent
    (it would fail the same way every time), the phase reads the object again and patches that."""
    lab = world.lab
    deployments = lab.kube.registry.get("deployments", "apps")

    def someone_else(where: str, change: object) -> None:
        key = getattr(change, "key", "")
        if where == "before-change" and key == "workload:payments/Deployment/payments-api":

            def edit(current: dict) -> dict:
                current["metadata"].setdefault("annotations", {})["team.contoso.com/owner"] = "payments"
                return current

            lab.kube.store.patch(deployments, "payments", "payments-api", edit)

    patches = world.spy("kube", "patch", "deployments")
    run = world.apply(checkpoint=someone_else)

    assert run.report.exit_code == 0
    assert run.statuses["workload:payments/Deployment/payments-api"] == DONE
    assert world.kube.retry.retries == 0  # nothing resent blindly
    assert lab.faults.fired(patches) == 3 + 1  # three Deployments, one of them twice (stale, then recomputed)
    live = world.workload("payments", "Deployment", "payments-api")
    assert live["metadata"]["annotations"]["team.contoso.com/owner"] == "payments"  # their change kept
    assert live["spec"]["template"]["metadata"]["labels"]["azure.workload.identity/use"] == "true"

"""Issue 5: what apply refuses to change, and what it then leaves alone.

Blocked changes are reported (exit code 1) and never journaled or written; workloads that need a
blocked credential or ServiceAccount are skipped; everything else still goes through.
"""

from __future__ import annotations

import pytest

from migrator.adapters.kube import resources as R
from migrator.core.changes import credential_key
from migrator.core.plan import CLIENT_ID_ANNOTATION, USE_LABEL, PlannedCredential
from migrator.errors import EXIT_FINDINGS
from migrator.lab.azure.identities import MAX_CREDENTIALS
from migrator.phases.apply.context import BLOCKED, DONE, SKIPPED, UNCHANGED
from tests.apply.world import Run, World, template_of

ORDERS_WORKLOADS = {"workload:orders/Deployment/orders-legacy-sync", "workload:orders/StatefulSet/orders-processor"}
OTHER_ISSUER = "https://westeurope.oic.prod-aks.azure.com/72f988bf-86f1-41af-91ab-2d7cd011db47/other-cluster/"


def _credential(world: World, name: str) -> PlannedCredential:
    return next(c for c in world.plan.federatedCredentials if c.name == name)


def _by_status(run: Run, status: str) -> set[str]:
    return {r.key for r in run.report.results if r.status == status}


def _journaled(run: Run) -> set[str]:
    assert run.journal is not None
    return set(run.journal.state().intents)


def test_workload_managed_by_argo_cd_is_blocked_without_force_and_patched_with_force(world: World) -> None:
    key = "workload:payments/Deployment/payments-api"
    world.kube.patch(
        R.DEPLOYMENTS, "payments", "payments-api", {"metadata": {"labels": {"argocd.argoproj.io/instance": "shop"}}}
    )
    world.lab.settle()
    template = template_of(world.workload("payments", "Deployment", "payments-api"))

    run = world.apply()

    assert run.report.exit_code == EXIT_FINDINGS
    assert _by_status(run, BLOCKED) == {key}
    assert "Argo CD application shop" in next(r.message for r in run.report.results if r.key == key)
    assert key not in _journaled(run)
    assert template_of(world.workload("payments", "Deployment", "payments-api")) == template
    assert len(_by_status(run, DONE)) == len(run.report.results) - 1

    forced = world.apply(force=True)

    assert forced.report.exit_code == 0
    assert _by_status(forced, DONE) == {key}
    assert "(--force)" in next(r.message for r in forced.report.results if r.key == key)
    patched = world.workload("payments", "Deployment", "payments-api")
    assert template_of(patched)["metadata"]["labels"][USE_LABEL] == "true"
    assert patched["metadata"]["labels"]["argocd.argoproj.io/instance"] == "shop"


def test_service_account_with_another_client_id_is_blocked_and_its_workload_skipped(world: World) -> None:
    other = "0f0e0d0c-0b0a-4909-8807-060504030201"
    world.kube.patch(
        R.SERVICE_ACCOUNTS,
        "payments",
        "payments-api",
        {"metadata": {"annotations": {CLIENT_ID_ANNOTATION: other}}},
        "merge",
    )
    template = template_of(world.workload("payments", "Deployment", "payments-api"))

    run = world.apply()

    assert run.report.exit_code == EXIT_FINDINGS
    assert _by_status(run, BLOCKED) == {"serviceaccount:payments/payments-api"}
    assert _by_status(run, SKIPPED) == {"workload:payments/Deployment/payments-api"}
    skipped = next(r for r in run.report.results if r.status == SKIPPED)
    assert "serviceaccount:payments/payments-api" in skipped.detail
    sa = world.service_account("payments", "payments-api")
    assert sa is not None and sa["metadata"]["annotations"][CLIENT_ID_ANNOTATION] == other
    assert template_of(world.workload("payments", "Deployment", "payments-api")) == template
    # the credential for that subject and the other workloads went through
    assert credential_key(_credential(world, "payments-payments-api")) in _by_status(run, DONE)
    assert "workload:payments/CronJob/payments-settlement" in _by_status(run, DONE)
    assert _journaled(run) == _by_status(run, DONE)


@pytest.mark.parametrize(
    "issuer, subject",
    [(OTHER_ISSUER, "system:serviceaccount:orders:orders"), (None, "system:serviceaccount:orders-legacy:orders")],
    ids=["another-issuer", "another-subject"],
)
def test_credential_name_taken_by_another_trust_is_blocked_and_its_workloads_skipped(
    world: World, issuer: str | None, subject: str
) -> None:
    planned = _credential(world, "orders-orders")
    assert planned.identityResourceID is not None
    world.lab.azure.add_federated_credential(
        planned.identityResourceID, "orders-orders", issuer=issuer or planned.issuer, subject=subject
    )
    before = world.credentials(planned.identityResourceID)

    run = world.apply()

    assert run.report.exit_code == EXIT_FINDINGS
    key = credential_key(planned)
    assert _by_status(run, BLOCKED) == {key}
    assert "the name is taken" in next(r.message for r in run.report.results if r.key == key)
    assert _by_status(run, SKIPPED) == ORDERS_WORKLOADS
    for ref in ORDERS_WORKLOADS:
        namespace, kind, name = ref.removeprefix("workload:").split("/")
        assert USE_LABEL not in (template_of(world.workload(namespace, kind, name))["metadata"].get("labels") or {})
    after = world.credentials(planned.identityResourceID)
    assert {n: c.as_dict() for n, c in after.items()} == {n: c.as_dict() for n, c in before.items()}  # untouched
    assert key not in _journaled(run)
    assert {k for k in _by_status(run, DONE) if k.startswith("credential:")} == {
        credential_key(c) for c in world.plan.federatedCredentials if c.name != "orders-orders"
    }


def test_identity_at_its_credential_limit_is_blocked_and_its_workload_skipped(world: World) -> None:
    planned = _credential(world, "platform-platform-cost-reader")
    rid = planned.identityResourceID
    assert rid is not None
    for n in range(MAX_CREDENTIALS):
        world.lab.azure.add_federated_credential(
            rid, f"cluster-{n:02d}", issuer=f"https://eastus.oic.prod-aks.azure.com/t/{n}/", subject=planned.subject
        )

    run = world.apply()

    assert run.report.exit_code == EXIT_FINDINGS
    key = credential_key(planned)
    assert _by_status(run, BLOCKED) == {key}
    assert f"Azure's limit is {MAX_CREDENTIALS}" in next(r.message for r in run.report.results if r.key == key)
    assert _by_status(run, SKIPPED) == {"workload:platform/Deployment/cost-exporter"}
    assert len(world.credentials(rid)) == MAX_CREDENTIALS
    assert USE_LABEL not in template_of(world.workload("platform", "Deployment", "cost-exporter"))["metadata"].get(
        "labels", {}
    )
    assert not _by_status(run, UNCHANGED)

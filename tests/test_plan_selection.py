"""A plan narrowed to selected workloads keeps exactly what they need."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from migrator.core.model import Finding
from migrator.core.plan_selection import select
from migrator.core.planner import PlanOptions, build_plan
from migrator.sources.manifests.scan import scan

QUICKSTART = Path(__file__).resolve().parents[1] / "samples" / "quickstart"


def quickstart_plan():
    return build_plan(scan([str(QUICKSTART)]), PlanOptions(issuer="https://issuer.example/t/"))


def test_selecting_everything_returns_the_plan_itself() -> None:
    plan = quickstart_plan()
    assert select(plan, lambda ns, kind, name: True) is plan


def test_a_namespace_keeps_its_service_accounts_credentials_and_findings_only() -> None:
    plan = quickstart_plan()
    narrowed = select(plan, lambda ns, kind, name: ns == "orders")

    assert {w.namespace for w in narrowed.workloads} == {"orders"} and narrowed.workloads
    assert {sa.namespace for sa in narrowed.serviceAccounts} == {"orders"}
    assert {(c.namespace, c.serviceAccountName) for c in narrowed.federatedCredentials} == {
        (sa.namespace, sa.name) for sa in narrowed.serviceAccounts
    }
    left_out = {w.ref for w in plan.workloads if w.namespace != "orders"}
    assert not [f for f in narrowed.findings if f.object in left_out]
    assert [f for f in plan.findings if f.object in left_out]  # there was something to drop
    assert len(plan.workloads) > len(narrowed.workloads)  # the original is unchanged


def test_selecting_nothing_leaves_an_empty_plan() -> None:
    narrowed = select(quickstart_plan(), lambda ns, kind, name: False)
    assert not narrowed.workloads and not narrowed.serviceAccounts and not narrowed.federatedCredentials


def test_an_error_about_a_workload_left_out_of_the_plan_is_dropped_too() -> None:
    plan = quickstart_plan()
    planned = {w.ref for w in plan.workloads}
    unplanned = Finding("multiple-identities-for-selector", "error", "two identities", None, "shop/Deployment/cart")
    widened = replace(plan, findings=[*plan.findings, unplanned])
    assert "shop/Deployment/cart" not in planned

    kept = select(widened, lambda ns, kind, name: ns != "shop")
    assert unplanned not in kept.findings
    assert unplanned in select(widened, lambda ns, kind, name: True).findings

"""Matching scope (cross-namespace, forceNamespaced, per-identity, AKS) and planning decisions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from migrator.core.naming import PatternError, fic_name, is_valid_fic_name, service_account_name
from migrator.core.plan import Plan
from tests.conftest import binding, client_id, codes, deployment, identity

CROSS = {"id.yaml": identity(ns="identities") + "---\n" + binding(ns="identities"), "app.yaml": deployment(ns="apps")}


def test_bindings_match_across_namespaces_by_default(discover):
    inv, findings = discover(CROSS)
    assert "cross-namespace-binding" in codes(findings)
    assert "unmatched-selector" not in codes(findings)


def test_force_namespaced_matches_only_within_the_namespace(discover):
    _, findings = discover(CROSS, force_namespaced=True)
    unmatched = [f for f in findings if f.code == "unmatched-selector"]
    assert unmatched and "namespace(s) identities" in unmatched[0].message


@pytest.mark.parametrize(
    "marker",
    [
        (
            "  namespace: identities\n",
            "  namespace: identities\n  annotations:\n    aadpodidentity.k8s.io/Behavior: namespaced\n",
        ),
        ("  namespace: identities\n", "  namespace: identities\n  labels:\n    kubernetes.azure.com/managedby: aks\n"),
    ],
    ids=["behavior-annotation", "aks-add-on"],
)
def test_per_identity_namespaced_matching(discover, marker):
    files = dict(CROSS)
    files["id.yaml"] = identity(ns="identities").replace(*marker) + "---\n" + binding(ns="identities")
    _, findings = discover(files)
    assert "unmatched-selector" in codes(findings)


def test_plan_reuses_own_service_account_and_creates_for_default(plan_of):
    files = {
        "ids.yaml": identity() + "---\n" + binding() + "---\n" + identity("id2", n=2) + "---\n" + binding("id2"),
        "a.yaml": deployment(name="a", extra="serviceAccountName: a-sa\n"),
        "b.yaml": deployment(name="b"),
        "c.yaml": deployment(name="c", selector="id2"),
    }
    plan = plan_of(files, issuer="https://issuer.example/tenant/cluster/")
    sas = {(s.name, s.create, s.clientID) for s in plan.serviceAccounts}
    assert sas == {("a-sa", False, client_id(1)), ("id1", True, client_id(1)), ("id2", True, client_id(2))}
    workloads = {w.name: (w.serviceAccountName, w.previousServiceAccountName) for w in plan.workloads}
    assert workloads == {"a": ("a-sa", "a-sa"), "b": ("id1", None), "c": ("id2", None)}
    subjects = sorted(c.subject for c in plan.federatedCredentials)
    assert subjects == [
        "system:serviceaccount:apps:a-sa",
        "system:serviceaccount:apps:id1",
        "system:serviceaccount:apps:id2",
    ]
    assert {c.issuer for c in plan.federatedCredentials} == {"https://issuer.example/tenant/cluster/"}
    assert {c.audience for c in plan.federatedCredentials} == {"api://AzureADTokenExchange"}


def test_one_credential_per_identity_and_subject(plan_of):
    files = {
        "i.yaml": identity() + "---\n" + binding(),
        "d.yaml": deployment(name="a") + "---\n" + deployment(name="b"),
    }
    plan = plan_of(files)
    assert len(plan.serviceAccounts) == 1 and len(plan.federatedCredentials) == 1
    assert plan.issuerPlaceholder and plan.federatedCredentials[0].issuer == "${AKS_OIDC_ISSUER}"


def test_annotations_modes_and_proxy_port(plan_of):
    files = {
        "i.yaml": identity() + "---\n" + binding(),
        "d.yaml": deployment(name="a") + "---\n" + deployment(name="b"),
    }
    plan = plan_of(
        files,
        tenant_id="72f988bf-86f1-41af-91ab-2d7cd011db47",
        token_expiration=7200,
        workload_modes={"apps/Deployment/b": "sidecar"},
        proxy_port=9000,
    )
    annotations = plan.serviceAccounts[0].annotations
    assert annotations["azure.workload.identity/tenant-id"] == "72f988bf-86f1-41af-91ab-2d7cd011db47"
    assert annotations["azure.workload.identity/service-account-token-expiration"] == "7200"
    assert {(w.name, w.mode, w.proxyPort) for w in plan.workloads} == {("a", "label", None), ("b", "sidecar", 9000)}


def test_plan_round_trips_through_its_dict(plan_of):
    plan = plan_of({"i.yaml": identity() + "---\n" + binding() + "---\n" + deployment()})
    again = Plan.from_dict(plan.to_dict())
    assert again.to_dict() == plan.to_dict()


def test_plan_is_stable_across_runs(plan_of):
    files = {"i.yaml": identity() + "---\n" + binding() + "---\n" + deployment()}
    assert plan_of(files).to_dict() == plan_of(files).to_dict()


def test_fic_names_follow_the_rules():
    assert fic_name("{namespace}-{serviceAccount}", namespace="apps", serviceAccount="web") == "apps-web"
    assert (
        fic_name("{cluster}-{namespace}-{serviceAccount}", cluster="prod.eu", namespace="a", serviceAccount="b.c")
        == "prod-eu-a-b-c"
    )
    long = fic_name("{namespace}-{serviceAccount}", namespace="n" * 100, serviceAccount="s" * 100)
    assert len(long) == 120 and is_valid_fic_name(long)
    assert is_valid_fic_name(fic_name("{namespace}", namespace="a"))
    with pytest.raises(PatternError):
        fic_name("{nope}")


def test_service_account_names_are_dns_subdomains():
    assert service_account_name("{identity}", identity="My_Identity") == "my-identity"
    assert service_account_name("{workload}-wi", workload="Web.App") == "web.app-wi"


@given(st.text(min_size=0, max_size=300), st.text(min_size=0, max_size=300))
def test_any_input_gives_a_valid_stable_fic_name(namespace, service_account):
    name = fic_name("{namespace}-{serviceAccount}", namespace=namespace, serviceAccount=service_account)
    assert is_valid_fic_name(name)
    assert name == fic_name("{namespace}-{serviceAccount}", namespace=namespace, serviceAccount=service_account)


def test_cluster_name_prefixes_default_credential_names(plan_of):
    files = {"i.yaml": identity() + "---\n" + binding() + "---\n" + deployment()}
    assert [c.name for c in plan_of(files, cluster_name="aks-prod").federatedCredentials] == ["aks-prod-apps-id1"]
    custom = plan_of(files, cluster_name="aks-prod", fic_name_pattern="{identity}-{serviceAccount}")
    assert [c.name for c in custom.federatedCredentials] == ["id1-id1"]

"""Live discovery through the real ``KubeApi`` against the lab: the same inventory as the manifests,
owners resolved from a few lists, -n scoping, missing CRDs and RBAC denials as findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from migrator.adapters.kube.api import KubeApi
from migrator.core.findings import CATALOG
from migrator.core.matching import discovery_findings
from migrator.core.model import Finding, Inventory
from migrator.lab.faults import Fault
from migrator.lab.lab import LabConfig
from migrator.sources.cluster.discover import discover_cluster
from migrator.sources.manifests.scan import scan
from tests.lab.kube_clients import Clients, namespace
from tests.live.conftest import Live

QUICKSTART = Path("samples/quickstart")
# The live-cluster finding codes and the test that produces each from the lab (test_findings checks the list).
LIVE_CASES = {
    "crd-not-installed": "test_missing_pod_identity_crds_are_a_finding",
    "cluster-read-denied": "test_rbac_denials_are_findings_and_the_rest_is_read",
    "label-only-on-pods": "test_pods_resolve_to_top_level_owners",
}


def check_catalogued(finding: Finding) -> None:
    """Severity and fix as the catalogue says (the README table lists them)."""
    assert LIVE_CASES[finding.code]
    assert finding.severity == CATALOG[finding.code].severity
    assert finding.message.endswith(CATALOG[finding.code].fix) or finding.code == "cluster-read-denied"
    assert finding.source and finding.object


def discover(live: Live, namespaces: list[str] | None = None, page_size: int = 500) -> Inventory:
    kube = KubeApi(live.target.client, page_size=page_size)
    return discover_cluster(kube, namespaces, live.target.context)


def comparable(inventory: Inventory) -> dict[str, Any]:
    """The inventory without sources (a file and line for manifests, an object reference live)."""
    data = inventory.to_dict()
    result = {}
    for section in ("identities", "bindings", "exceptions", "workloads", "serviceAccounts", "secretProviderClasses"):
        rows = [{k: v for k, v in row.items() if k != "source"} for row in data[section]]
        result[section] = sorted(rows, key=lambda r: (r["namespace"], r.get("kind", ""), r["name"]))
    result["namespaces"] = sorted((n.name, n.pod_security_enforce) for n in inventory.namespaces)
    return result


def template(labels: dict, **spec: Any) -> dict:
    return {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}], **spec}}


def deployment(name: str, labels: dict, replicas: int = 1, meta: dict | None = None) -> dict:
    return {
        "metadata": {"name": name, **(meta or {})},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": template({"app": name, **labels}),
        },
    }


def refs(inventory: Inventory) -> list[str]:
    return [w.ref for w in inventory.workloads]


# --------------------------------------------------------------------------------------------------
# The quickstart: live and manifests agree


def test_live_quickstart_matches_the_manifest_inventory(live: Live) -> None:
    live.lab.seed_manifests(QUICKSTART)
    inventory = discover(live)
    assert comparable(inventory) == comparable(scan([str(QUICKSTART)]))
    assert [w.source for w in inventory.workloads][
        0
    ].path == "cluster wimigrate-lab: orders/Deployment/orders-legacy-sync"
    assert str(inventory.workloads[0].label_source) == "cluster wimigrate-lab: orders/Deployment/orders-legacy-sync"
    assert inventory.findings == []
    assert discovery_findings(inventory) == discovery_findings(scan([str(QUICKSTART)])) == []
    assert inventory.cluster is not None
    assert (inventory.cluster.context, inventory.cluster.webhook_installed) == ("wimigrate-lab", True)
    stats = inventory.stats
    # 3 pod-identity kinds + labelled pods + 7 workload kinds + SAs + SPCs + namespaces, then the webhook GET
    assert stats["requests"] == 15
    assert stats["podsScanned"] == stats["Pod"] > 0 and stats["Deployment"] >= 3 and stats["AzureIdentity"] == 3


@pytest.mark.parametrize("lab_config", [LabConfig(speedup=50.0, webhook_installed=False)])
def test_without_the_webhook_the_fact_says_so(live: Live) -> None:
    inventory = discover(live)
    assert inventory.cluster is not None and inventory.cluster.webhook_installed is False
    assert inventory.findings == []  # the prerequisite finding is made from the fact, elsewhere


# --------------------------------------------------------------------------------------------------
# Owners


def test_pods_resolve_to_top_level_owners(live: Live, k: Clients) -> None:
    lab = live.lab
    lab.seed_manifests(QUICKSTART)
    shop = namespace(k, lab, "shop")
    extra = namespace(k, lab, "extra")
    # a Deployment rolled once: its old ReplicaSet is kept (scaled to 0) and is no workload of its own
    k.apps.create_namespaced_deployment(shop, deployment("web", {"aadpodidbinding": "payments-api"}, replicas=2))
    lab.settle()
    k.apps.patch_namespaced_deployment(
        "web", shop, {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.28"}]}}}}
    )
    lab.settle()
    assert len(k.apps.list_namespaced_replica_set(shop).items) == 2
    # scaled to zero and a CronJob: workloads by their templates, pods or not
    k.apps.create_namespaced_deployment(shop, deployment("idle", {"aadpodidbinding": "payments-api"}, replicas=0))
    k.batch.create_namespaced_cron_job(
        shop,
        {
            "metadata": {"name": "weekly"},
            "spec": {
                "schedule": "0 3 * * 0",
                "jobTemplate": {
                    "spec": {"template": template({"aadpodidbinding": "payments-api"}, restartPolicy="Never")}
                },
            },
        },
    )
    # a bare pod with the label
    k.core.create_namespaced_pod(
        extra,
        {
            **template({"aadpodidbinding": "orders"}),
            "metadata": {"name": "debug", "labels": {"aadpodidbinding": "orders"}},
        },
    )
    # a pod labelled by hand: its Deployment's template has no label
    k.apps.create_namespaced_deployment(extra, deployment("plain", {}))
    lab.settle()
    [pod] = k.core.list_namespaced_pod(extra, label_selector="app=plain").items
    k.core.patch_namespaced_pod(pod.metadata.name, extra, {"metadata": {"labels": {"aadpodidbinding": "orders"}}})
    lab.settle()
    assert len(k.batch.list_namespaced_job(shop).items) == 1

    inventory = discover(live)
    assert refs(inventory) == [
        "extra/Pod/debug",
        "orders/Deployment/orders-legacy-sync",
        "orders/StatefulSet/orders-processor",
        "payments/CronJob/payments-settlement",
        "payments/Deployment/payments-api",
        "platform/Deployment/cost-exporter",
        "shop/CronJob/weekly",
        "shop/Deployment/idle",
        "shop/Deployment/web",
    ]
    assert {w.ref: w.service_account for w in inventory.workloads}["extra/Pod/debug"] == "default"
    [hand] = [f for f in inventory.findings if f.code == "label-only-on-pods"]
    assert hand.object == "extra/Deployment/plain" and hand.severity == "warning"
    check_catalogued(hand)
    assert pod.metadata.name in hand.message and "has no aadpodidbinding" in hand.message
    assert hand.source == f"cluster wimigrate-lab: extra/Pod/{pod.metadata.name}"
    # every list is one request per kind, whatever the number of owners
    assert inventory.stats["requests"] == 15


def test_operator_and_gitops_owned_workloads_say_who_manages_them(live: Live, k: Clients) -> None:
    lab = live.lab
    ns = namespace(k, lab, "ops")
    k.apps.create_namespaced_deployment(
        ns, deployment("argo", {"aadpodidbinding": "x"}, meta={"labels": {"argocd.argoproj.io/instance": "shop"}})
    )
    helm = {"labels": {"app.kubernetes.io/managed-by": "Helm"}, "annotations": {"meta.helm.sh/release-name": "pay"}}
    k.apps.create_namespaced_deployment(ns, deployment("helm", {"aadpodidbinding": "x"}, meta=helm))
    # an Argo Rollout makes ReplicaSets itself: the ReplicaSet is the last kind wimigrate knows
    rollout = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "name": "payments",
        "uid": "0b8c1f4e-0000-4000-8000-000000000001",
        "controller": True,
    }
    k.apps.create_namespaced_replica_set(
        ns,
        {
            "metadata": {"name": "payments-6d4f", "ownerReferences": [rollout]},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "payments"}},
                "template": template({"app": "payments", "aadpodidbinding": "x"}),
            },
        },
    )
    lab.settle()
    inventory = discover(live, ["ops"])
    assert {w.ref: w.manager for w in inventory.workloads} == {
        "ops/Deployment/argo": "Argo CD application shop",
        "ops/Deployment/helm": "Helm release pay",
        "ops/ReplicaSet/payments-6d4f": "controller Rollout/payments",
    }
    assert inventory.to_dict()["workloads"][0]["managedBy"] == "Argo CD application shop"


# --------------------------------------------------------------------------------------------------
# Scope


def test_namespace_scope_reads_only_those_namespaces(live: Live, k: Clients) -> None:
    live.lab.seed_manifests(QUICKSTART)
    # a workload in another namespace using the payments binding across namespaces
    other = namespace(k, live.lab, "other")
    k.apps.create_namespaced_deployment(other, deployment("cross", {"aadpodidbinding": "payments-api"}))
    live.lab.settle()

    inventory = discover(live, ["payments"])
    assert refs(inventory) == ["payments/CronJob/payments-settlement", "payments/Deployment/payments-api"]
    assert [b.name for b in inventory.bindings] == ["payments-api-binding"]
    assert [i.name for i in inventory.identities] == ["payments-api"]
    assert inventory.exceptions == []  # kube-system is out of scope
    assert [n.name for n in inventory.namespaces] == ["payments"]
    # pod-identity kinds cluster-wide (3), 10 lists in the namespace, one namespace GET, the webhook
    assert inventory.stats["requests"] == 3 + 10 + 1 + 1

    # a binding in another namespace is kept when a workload in scope uses it
    crossing = discover(live, ["other"])
    assert refs(crossing) == ["other/Deployment/cross"]
    assert [(b.namespace, b.name) for b in crossing.bindings] == [("payments", "payments-api-binding")]
    assert [(i.namespace, i.name) for i in crossing.identities] == [("payments", "payments-api")]
    assert "cross-namespace-binding" in {f.code for f in discovery_findings(crossing)}
    # two namespaces: one list per kind and namespace
    assert discover(live, ["payments", "orders"]).stats["requests"] == 3 + 2 * 10 + 2 + 1


# --------------------------------------------------------------------------------------------------
# What is missing or denied


@pytest.mark.parametrize("lab_config", [LabConfig(speedup=50.0, pod_identity_crds=False)])
def test_missing_pod_identity_crds_are_a_finding(live: Live) -> None:
    live.lab.seed_manifests(QUICKSTART)
    inventory = discover(live)
    [missing] = [f for f in inventory.findings if f.code == "crd-not-installed"]
    check_catalogued(missing)
    assert "azureidentities, azureidentitybindings, azurepodidentityexceptions" in missing.message
    assert missing.object == "CustomResourceDefinition/azureidentities.aadpodidentity.k8s.io"
    assert inventory.identities == [] and inventory.bindings == []
    assert len(inventory.workloads) == 5  # the labelled workloads are still there
    assert "unmatched-selector" in {f.code for f in discovery_findings(inventory)}


def test_rbac_denials_are_findings_and_the_rest_is_read(live: Live) -> None:
    live.lab.seed_manifests(QUICKSTART)
    denied = live.lab.faults.add(
        Fault("status", service="kube", verb="list", resource="deployments", status=403, message="forbidden")
    )
    webhook = live.lab.faults.add(
        Fault("status", service="kube", verb="get", resource="mutatingwebhookconfigurations", status=403)
    )
    inventory = discover(live)
    assert live.lab.faults.fired(denied) == 1 and live.lab.faults.fired(webhook) == 1
    found = sorted((f.code, f.object) for f in inventory.findings)
    assert found == [("cluster-read-denied", "Deployment"), ("cluster-read-denied", "MutatingWebhookConfiguration")]
    deploy = next(f for f in inventory.findings if f.object == "Deployment")
    assert deploy.severity == "warning" and "`kubectl auth can-i list deployments.apps -A`" in deploy.message
    for finding in inventory.findings:
        check_catalogued(finding)
    # without the Deployments, their ReplicaSets are the last known owners, marked as controlled
    managers = {w.ref: w.manager for w in inventory.workloads}
    assert managers["orders/StatefulSet/orders-processor"] is None
    assert managers["payments/CronJob/payments-settlement"] is None
    replica_sets = {ref: m for ref, m in managers.items() if "/ReplicaSet/" in ref}
    assert sorted(m for m in replica_sets.values()) == [
        "controller Deployment/cost-exporter (not read)",
        "controller Deployment/orders-legacy-sync (not read)",
        "controller Deployment/payments-api (not read)",
    ]
    assert len(managers) == 5
    assert inventory.cluster is not None and inventory.cluster.webhook_installed is None


def test_denied_cluster_wide_pod_identity_falls_back_to_the_namespaces_in_scope(live: Live) -> None:
    live.lab.seed_manifests(QUICKSTART)
    fault = live.lab.faults.add(
        Fault("status", service="kube", verb="list", resource="azureidentitybindings", status=403, times=1)
    )
    inventory = discover(live, ["payments"])
    assert live.lab.faults.fired(fault) == 1
    [denied] = inventory.findings
    assert denied.code == "cluster-read-denied" and "only the namespaces in scope were read" in denied.message
    assert [b.name for b in inventory.bindings] == ["payments-api-binding"]


# --------------------------------------------------------------------------------------------------
# The AKS add-on, and scale


@pytest.mark.parametrize("lab_config", [LabConfig(speedup=50.0, aks_addon=True)])
def test_aks_addon_objects_are_read_as_aks_managed(live: Live) -> None:
    live.lab.seed_manifests(QUICKSTART)
    inventory = discover(live)
    assert {i.name for i in inventory.identities} == {"orders", "payments-api", "platform-cost-reader"}
    assert all(i.aks_managed for i in inventory.identities)
    assert inventory.bindings and all(b.aks_managed for b in inventory.bindings)


def test_requests_grow_with_pages_not_with_pods(live: Live) -> None:
    lab = live.lab
    store, registry = lab.kube.store, lab.kube.registry
    for i in range(10):
        store.create(registry.get("namespaces"), None, {"metadata": {"name": f"team-{i}"}})
    lab.settle()
    for i in range(100):
        store.create(
            registry.get("deployments", "apps"),
            f"team-{i % 10}",
            deployment(f"app-{i}", {"aadpodidbinding": f"id-{i % 5}"}, replicas=20),
        )
    lab.settle(120)
    inventory = discover(live, page_size=500)
    assert inventory.stats["podsScanned"] == 2000
    assert len(inventory.workloads) == 100
    # 2,000 labelled pods in 4 pages; every other kind fits in one
    assert inventory.stats["requests"] == 15 + 3

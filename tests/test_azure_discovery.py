"""discover_azure and prerequisite_findings through the real gateways (azure-mgmt-containerservice,
azure-mgmt-msi, azure-identity) against a lab: nothing is mocked, failures are injected on the wire."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.msi.models import FederatedIdentityCredential

from migrator.adapters.azure.clusters import ClusterGateway
from migrator.adapters.azure.connect import AzureTarget, connect
from migrator.adapters.azure.identities import IdentityGateway
from migrator.adapters.retry import RetryPolicy
from migrator.core.model import Binding, Identity, Inventory, PodIdentityException, Source
from migrator.core.plan import AUDIENCE
from migrator.core.planner import PlanOptions, build_plan
from migrator.core.prerequisites import prerequisite_findings
from migrator.core.resource_ids import make_cluster_id
from migrator.lab.faults import Fault
from migrator.lab.lab import Lab, LabConfig
from migrator.sources.azure.discover import discover_azure
from migrator.sources.manifests.scan import scan
from tests.lab.azure_clients import ARM_SCOPE, operator_credential
from tests.lab.kube_clients import clients

QUICKSTART = Path(__file__).resolve().parents[1] / "samples" / "quickstart"
SUBSCRIPTION = "12bb3cde-310b-4f45-b4a0-7a0a4279c51c"  # where the quickstart's identities live
GROUP = "rg-contoso-prod-identities"
CLIENT_IDS = {
    ("orders", "orders"): "3c9c29bb-dd99-44e4-95ee-326e04a7901e",
    ("payments", "payments-api"): "c686e570-60ba-4943-95b8-675e16daf92d",
    ("platform", "platform-cost-reader"): "dc3f90eb-ba45-474f-9428-9fe6cf58485b",
}
SELECTORS = {"orders": "orders", "payments-api": "payments-api", "platform-cost-reader": "cost-exporter"}


def identity_id(name: str) -> str:
    return (
        f"/subscriptions/{SUBSCRIPTION}/resourcegroups/{GROUP}/providers/Microsoft.ManagedIdentity/"
        f"userAssignedIdentities/{name}"
    )


@pytest.fixture
def lab() -> Iterator[Lab]:
    """The quickstart handed to the AKS pod-identity add-on."""
    with Lab(LabConfig(speedup=50.0, aks_addon=True)) as running:
        report = running.seed_manifests(QUICKSTART)
        assert not report.failed, report.failed
        yield running


@pytest.fixture
def plain_lab() -> Iterator[Lab]:
    with Lab(LabConfig(speedup=50.0)) as running:
        yield running


def gateways(lab: Lab, target: AzureTarget | None = None) -> tuple[ClusterGateway, IdentityGateway]:
    target = target or connect(lab=lab.info())
    return ClusterGateway(target), IdentityGateway(target)


def discovered(lab: Lab, inventory: Inventory | None = None, cluster: str | None = "lab") -> Inventory:
    inventory = inventory if inventory is not None else Inventory()
    clusters, identities = gateways(lab)
    discover_azure(clusters, identities, inventory, lab.cluster_id if cluster == "lab" else cluster)
    return inventory


def msi(lab: Lab) -> ManagedServiceIdentityClient:
    """azure-mgmt-msi on the quickstart identities' subscription, as the operator."""
    return ManagedServiceIdentityClient(
        operator_credential(lab),
        SUBSCRIPTION,
        base_url=lab.arm_url,
        credential_scopes=[ARM_SCOPE],
        connection_verify=str(lab.ca_file),
    )


def create_credential(lab: Lab, identity: str, name: str, subject: str, issuer: str | None = None) -> None:
    body = FederatedIdentityCredential(issuer=issuer or lab.issuer.url, subject=subject, audiences=[AUDIENCE])
    msi(lab).federated_identity_credentials.create_or_update(GROUP, identity, name, body)


def codes(inventory: Inventory) -> list[str]:
    return sorted(f.code for f in inventory.findings + prerequisite_findings(inventory))


# -- a healthy AKS cluster with the add-on ------------------------------------------------------------------


def test_cluster_facts_and_the_add_on_identities(lab: Lab) -> None:
    inventory = discovered(lab)

    cluster = inventory.cluster
    assert cluster.issuer == lab.issuer.url and cluster.issuer.endswith("/")  # byte for byte, slash included
    assert (cluster.name, cluster.resource_group, cluster.resource_id) == ("lab-aks", "lab-rg", lab.cluster_id)
    assert cluster.oidc_issuer_enabled and cluster.workload_identity_enabled and cluster.pod_identity_enabled
    assert cluster.uses_managed_identity is True and cluster.kubernetes_version == "1.30"
    assert cluster.webhook_installed is None  # not read here: that is cluster discovery's

    assert {i.key: i.client_id for i in inventory.identities} == CLIENT_IDS
    assert all(i.aks_managed and i.type == 0 for i in inventory.identities)
    assert {(b.namespace, b.name, b.identity, b.selector) for b in inventory.bindings} == {
        (ns, f"{name}-binding", name, SELECTORS[name]) for ns, name in CLIENT_IDS
    }
    assert all(b.aks_managed and "podIdentityProfile" in str(b.source) for b in inventory.bindings)
    [exception] = inventory.exceptions
    assert (exception.namespace, exception.name, exception.aks_managed) == (
        "kube-system",
        "cluster-autoscaler-exception",
        True,
    )
    assert exception.pod_labels == {"app.kubernetes.io/name": "cluster-autoscaler"}

    facts = inventory.azure_identities
    assert set(facts) == {
        identity_id(f"id-{name}").lower() for name in ("orders", "payments-api", "platform-cost-reader")
    }
    for ident in inventory.identities:
        arm = facts[ident.resource_id.lower()]
        assert arm.found and arm.error is None and arm.credentials == []
        assert arm.client_id == ident.client_id and arm.tenant_id == lab.tenant_id
        assert arm.principal_id == lab.azure.identity(ident.resource_id)["properties"]["principalId"]
    assert codes(inventory) == []


def test_what_cluster_discovery_read_is_marked_not_duplicated(lab: Lab) -> None:
    """The add-on's own CRs, read from the lab's Kubernetes API as cluster discovery reads them."""
    custom = clients(lab).custom
    inventory = Inventory()

    def live(plural: str) -> list[dict]:
        return custom.list_cluster_custom_object("aadpodidentity.k8s.io", "v1", plural)["items"]

    def managed(obj: dict) -> bool:
        return (obj["metadata"].get("labels") or {}).get("kubernetes.azure.com/managedby") == "aks"

    for obj in live("azureidentities"):
        meta, spec = obj["metadata"], obj["spec"]
        inventory.identities.append(
            Identity(
                meta["name"], meta["namespace"], 0, None, spec["resourceID"], None, Source("live"), aks_managed=False
            )
        )
    for obj in live("azureidentitybindings"):
        meta, spec = obj["metadata"], obj["spec"]
        inventory.bindings.append(
            Binding(meta["name"], meta["namespace"], spec["azureIdentity"], spec["selector"], Source("live"))
        )
    for obj in live("azurepodidentityexceptions"):
        meta = obj["metadata"]
        inventory.exceptions.append(
            PodIdentityException(
                meta["name"], meta["namespace"], obj["spec"]["podLabels"], Source("live"), managed(obj)
            )
        )
    counts = (len(inventory.identities), len(inventory.bindings), len(inventory.exceptions))
    assert counts == (3, 3, 2)  # the add-on's own aks-addon-exception in kube-system as well

    discovered(lab, inventory)

    assert (len(inventory.identities), len(inventory.bindings), len(inventory.exceptions)) == counts
    assert all(i.aks_managed for i in inventory.identities) and all(b.aks_managed for b in inventory.bindings)
    assert all(e.aks_managed for e in inventory.exceptions)
    assert all(str(x.source) == "live" for x in inventory.identities + inventory.bindings)
    assert {i.key: i.client_id for i in inventory.identities} == CLIENT_IDS  # filled from Azure


def test_the_plan_uses_the_cluster_issuer_and_existing_credentials(lab: Lab) -> None:
    lab.azure.page_size = 2  # the gateway must follow nextLink
    create_credential(lab, "id-payments-api", "legacy-name", "system:serviceaccount:payments:payments-api")
    create_credential(
        lab, "id-payments-api", "other-cluster", "system:serviceaccount:payments:payments-api", "https://other.example/"
    )
    create_credential(lab, "id-payments-api", "batch", "system:serviceaccount:batch:runner")

    inventory = scan([str(QUICKSTART)])
    discovered(lab, inventory)

    payments = inventory.azure_identities[identity_id("id-payments-api").lower()]
    assert sorted(c.name for c in payments.credentials) == ["batch", "legacy-name", "other-cluster"]
    assert {c.name: c.issuer for c in payments.credentials}["legacy-name"] == lab.issuer.url
    assert all(i.aks_managed for i in inventory.identities) and len(inventory.identities) == 3

    plan = build_plan(inventory, PlanOptions())
    assert plan.issuer == lab.issuer.url and plan.issuerPlaceholder is False
    names = {(c.identityName, c.subject): c.name for c in plan.federatedCredentials}
    assert names[("payments-api", "system:serviceaccount:payments:payments-api")] == "legacy-name"  # reused
    assert names[("payments-api", "system:serviceaccount:payments:payments-api-wi")] == "payments-payments-api-wi"
    assert not [f for f in plan.findings if f.severity == "error"]


def test_credential_limit_reached_and_exceeded(lab: Lab) -> None:
    create_credential(lab, "id-orders", "made-with-msi", "system:serviceaccount:elsewhere:app")
    for i in range(19):
        lab.azure.add_federated_credential(
            identity_id("id-orders"), f"seeded-{i}", issuer=lab.issuer.url, subject=f"system:serviceaccount:ns{i}:app"
        )
    inventory = discovered(lab, scan([str(QUICKSTART)]))

    assert len(inventory.azure_identities[identity_id("id-orders").lower()].credentials) == 20
    [reached] = [f for f in prerequisite_findings(inventory) if f.code == "fic-limit-reached"]
    assert reached.object == identity_id("id-orders") and "orders/orders" in reached.message
    [exceeded] = [f for f in build_plan(inventory, PlanOptions()).findings if f.code == "fic-limit-exceeded"]
    assert "21 federated credentials" in exceeded.message and "20 of them already in Azure" in exceeded.message


def test_missing_identity_and_wrong_client_id(lab: Lab) -> None:
    ghost = identity_id("id-ghost")
    inventory = Inventory(
        identities=[
            Identity("ghost", "apps", 0, "00000000-1111-2222-3333-444444444444", ghost, None, Source("ghost.yaml", 3)),
            Identity(
                "orders",
                "orders",
                0,
                "00000000-1111-2222-3333-555555555555",
                identity_id("id-orders"),
                None,
                Source("o.yaml", 4),
            ),
        ]
    )
    discovered(lab, inventory, cluster=None)

    assert inventory.azure_identities[ghost.lower()].found is False
    findings = prerequisite_findings(inventory)
    assert sorted(f.code for f in findings) == ["azure-client-id-mismatch", "azure-identity-not-found"]
    missing = next(f for f in findings if f.code == "azure-identity-not-found")
    assert missing.source == "ghost.yaml:3" and f"az identity show --ids {ghost}" in missing.message
    mismatch = next(f for f in findings if f.code == "azure-client-id-mismatch")
    assert CLIENT_IDS[("orders", "orders")] in mismatch.message


# -- 403, 404 and no answer, on the wire -----------------------------------------------------------------------


def test_identity_reads_forbidden(lab: Lab) -> None:
    fault = lab.faults.add(
        Fault(action="status", status=403, service="arm", verb="get", resource="userAssignedIdentities")
    )
    inventory = discovered(lab)

    assert lab.faults.fired(fault) == 3  # once per identity: a 403 is not retried
    assert inventory.cluster.issuer == lab.issuer.url  # the cluster itself was readable
    assert all(not f.found and f.error for f in inventory.azure_identities.values())
    findings = prerequisite_findings(inventory)
    assert [f.code for f in findings] == ["azure-identity-unreadable"] * 3
    for f in findings:
        assert f'--role "Managed Identity Contributor" --assignee <you> --scope {f.object}' in f.message
    assert inventory.findings == []


def test_credential_list_forbidden(lab: Lab) -> None:
    lab.faults.add(
        Fault(action="status", status=403, service="arm", verb="list", resource="federatedIdentityCredentials")
    )
    inventory = discovered(lab)
    assert all(f.found and f.client_id and f.error for f in inventory.azure_identities.values())
    findings = prerequisite_findings(inventory)
    assert {f.code for f in findings} == {"azure-identity-unreadable"}
    assert all("federated credentials cannot be listed" in f.message for f in findings)


def test_cluster_read_forbidden(lab: Lab) -> None:
    lab.faults.add(Fault(action="status", status=403, service="arm", verb="get", resource="managedClusters"))
    inventory = discovered(lab, scan([str(QUICKSTART)]))
    [f] = inventory.findings
    assert f.code == "aks-cluster-unreadable" and f.object == lab.cluster_id
    assert inventory.cluster.issuer is None and inventory.cluster.name == "lab-aks"
    assert len(inventory.azure_identities) == 3  # identities were still read
    assert build_plan(inventory, PlanOptions()).issuerPlaceholder is True


def test_cluster_not_found(lab: Lab) -> None:
    missing = make_cluster_id(lab.subscription_id, "lab-rg", "nope")
    inventory = discovered(lab, cluster=missing)
    assert [f.code for f in inventory.findings] == ["aks-cluster-not-found"]
    assert inventory.findings[0].object == missing


def test_connection_resets_become_one_finding(lab: Lab) -> None:
    lab.faults.add(Fault(action="reset", service="arm", verb="get", resource="userAssignedIdentities"))
    target = connect(lab=lab.info())
    target.client_options["retry_total"] = 0  # azure-core would retry the reset itself
    clusters, identities = ClusterGateway(target), IdentityGateway(target, RetryPolicy(attempts=1))
    inventory = Inventory()
    discover_azure(clusters, identities, inventory, lab.cluster_id)
    assert inventory.cluster.issuer == lab.issuer.url
    [f] = inventory.findings
    assert f.code == "azure-unavailable" and "of 3 user-assigned identities could not be read" in f.message
    assert inventory.azure_identities == {}


def test_unreachable_azure_is_a_finding_not_a_traceback(lab: Lab) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"https://127.0.0.1:{probe.getsockname()[1]}"
    target = connect(lab=replace(lab.info(), arm_url=closed))
    target.client_options["retry_total"] = 0
    clusters, identities = ClusterGateway(target, RetryPolicy(attempts=1)), IdentityGateway(target)
    inventory = scan([str(QUICKSTART)])
    discover_azure(clusters, identities, inventory, lab.cluster_id)
    assert [f.code for f in inventory.findings] == ["azure-unavailable"]
    assert "nothing else was read" in inventory.findings[0].message
    assert inventory.azure_identities == {} and prerequisite_findings(inventory) == []


# -- clusters that miss a prerequisite ----------------------------------------------------------------------


def test_disabled_issuer_and_workload_identity_then_fixed(plain_lab: Lab) -> None:
    lab = plain_lab
    legacy = make_cluster_id(lab.subscription_id, "lab-rg", "legacy-aks")
    lab.azure.add_managed_cluster(
        legacy,
        location="eastus",
        issuer_url=f"{lab.issuer.url}legacy/",
        oidc_issuer_enabled=False,
        workload_identity_enabled=False,
    )
    inventory = discovered(lab, cluster=legacy)
    cluster = inventory.cluster
    assert (cluster.oidc_issuer_enabled, cluster.issuer, cluster.workload_identity_enabled) == (False, None, False)
    findings = prerequisite_findings(inventory)
    assert sorted(f.code for f in findings) == ["oidc-issuer-disabled", "workload-identity-disabled"]
    update = "az aks update -g lab-rg -n legacy-aks --enable-oidc-issuer"
    assert all(update in f.message and f"--subscription {lab.subscription_id}`" in f.message for f in findings)
    assert build_plan(inventory, PlanOptions()).issuerPlaceholder is True

    # What `az aks update --enable-oidc-issuer --enable-workload-identity` does, through the same gateway.
    clusters, _ = gateways(lab)
    body = clusters.get(legacy)
    body["properties"]["oidcIssuerProfile"] = {"enabled": True}
    body["properties"]["securityProfile"] = {"workloadIdentity": {"enabled": True}}
    clusters.update(legacy, body)

    fixed = discovered(lab, cluster=legacy)
    assert fixed.cluster.issuer == f"{lab.issuer.url}legacy/" and prerequisite_findings(fixed) == []


def test_service_principal_cluster(plain_lab: Lab) -> None:
    lab = plain_lab
    old = make_cluster_id(lab.subscription_id, "lab-rg", "sp-aks")
    lab.azure.add_managed_cluster(
        old,
        location="eastus",
        issuer_url=lab.issuer.url,
        oidc_issuer_enabled=True,
        workload_identity_enabled=True,
        service_principal_client_id="0a0b0c0d-1111-2222-3333-444455556666",
    )
    inventory = discovered(lab, cluster=old)
    assert inventory.cluster.uses_managed_identity is False
    [f] = prerequisite_findings(inventory)
    assert f.code == "cluster-not-managed-identity"
    assert (
        f"`az aks update -g lab-rg -n sp-aks --enable-managed-identity --subscription {lab.subscription_id}`"
        in f.message
    )

    clusters, _ = gateways(lab)
    body = clusters.get(old)
    body["identity"] = {"type": "SystemAssigned"}
    clusters.update(old, body)
    assert discovered(lab, cluster=old).cluster.uses_managed_identity is True

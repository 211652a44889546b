"""AKS managed clusters through the real azure-mgmt-containerservice client: GET shape, PUT as a
long-running operation, and the validation AKS does."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceModifiedError
from azure.mgmt.containerservice.models import (
    ManagedClusterPodIdentity,
    ManagedClusterPodIdentityProfile,
    UserAssignedIdentity,
)

from migrator.lab.faults import Fault
from migrator.lab.lab import Lab
from tests.lab.azure_clients import aks_client, identity_id

RG = "lab-rg"
CLUSTER = "lab-aks"


def pod_identity_profile(resource_id: str, namespace: str | None = "apps") -> ManagedClusterPodIdentityProfile:
    return ManagedClusterPodIdentityProfile(
        enabled=True,
        user_assigned_identities=[
            ManagedClusterPodIdentity(
                name="web-identity", namespace=namespace, identity=UserAssignedIdentity(resource_id=resource_id)
            )
        ],
    )


def test_get_has_the_wire_shape(lab: Lab) -> None:
    cluster = aks_client(lab).managed_clusters.get(RG, CLUSTER)
    assert cluster.id == lab.cluster_id and cluster.location == "eastus" and cluster.e_tag
    props = cluster.properties
    assert props.provisioning_state == "Succeeded"
    assert props.oidc_issuer_profile.enabled is True
    assert props.oidc_issuer_profile.issuer_url == lab.issuer.url and props.oidc_issuer_profile.issuer_url.endswith("/")
    assert props.security_profile.workload_identity.enabled is True
    kubelet = props.identity_profile["kubeletidentity"]
    assert kubelet.client_id == lab.azure.identity(kubelet.resource_id)["properties"]["clientId"]
    # Keys exactly as AKS spells them on the wire.
    assert cluster["properties"]["oidcIssuerProfile"]["issuerURL"] == lab.issuer.url
    assert cluster["eTag"] == cluster.e_tag
    assert cluster.identity.type == "SystemAssigned" and cluster.identity.tenant_id == lab.tenant_id


def test_pod_identity_change_completes_before_subscribers_and_poller_see_it(lab: Lab) -> None:
    web = lab.azure.add_identity(identity_id(lab, "web"))
    seen: list[tuple[str, dict, str]] = []
    holder: dict[str, Any] = {}
    lab.azure.subscribe(lambda cid, wire: seen.append((cid, wire, holder["poller"].status())))
    client = aks_client(lab)
    cluster = client.managed_clusters.get(RG, CLUSTER)
    cluster.properties.pod_identity_profile = pod_identity_profile(web["id"])

    with lab.azure.hold_cluster_operations() as gate:
        holder["poller"] = client.managed_clusters.begin_create_or_update(RG, CLUSTER, cluster)
        assert gate.wait_arrived(1)  # the operation's time is up; it is parked just before completing
        assert not holder["poller"].done()
        stored = lab.azure.managed_cluster(lab.cluster_id)
        assert stored["properties"]["provisioningState"] == "Updating"
        assert "podIdentityProfile" not in stored["properties"]
        assert seen == []
    result = holder["poller"].result()

    assert result.properties.provisioning_state == "Succeeded"
    [entry] = result.properties.pod_identity_profile.user_assigned_identities
    assert (entry.name, entry.namespace, entry.provisioning_state) == ("web-identity", "apps", "Assigned")
    assert entry.identity.client_id == web["properties"]["clientId"]
    assert entry.identity.object_id == web["properties"]["principalId"]
    assert result.e_tag != cluster.e_tag
    [(cluster_id, wire, poller_status)] = seen
    assert cluster_id == lab.cluster_id
    assert wire["properties"]["podIdentityProfile"]["userAssignedIdentities"][0]["name"] == "web-identity"
    assert wire["properties"]["provisioningState"] == "Succeeded"
    assert poller_status.lower() != "succeeded"  # subscribers ran before the operation reported success


def test_failed_operation_raises_and_changes_nothing(lab: Lab) -> None:
    web = lab.azure.add_identity(identity_id(lab, "web"))
    seen: list[str] = []
    lab.azure.subscribe(lambda cid, wire: seen.append(cid))
    lab.azure.fail_next_cluster_operation(lab.cluster_id, code="PodIdentityAddonFailed", message="add-on broke")
    client = aks_client(lab)
    cluster = client.managed_clusters.get(RG, CLUSTER)
    cluster.properties.pod_identity_profile = pod_identity_profile(web["id"])
    with pytest.raises(HttpResponseError) as caught:
        client.managed_clusters.begin_create_or_update(RG, CLUSTER, cluster).result()
    assert caught.value.error.code == "PodIdentityAddonFailed"
    assert caught.value.error.message == "add-on broke"
    after = client.managed_clusters.get(RG, CLUSTER)
    assert after.properties.provisioning_state == "Failed"
    assert after.properties.pod_identity_profile is None and after.e_tag == cluster.e_tag
    assert seen == []


def test_workload_identity_requires_the_oidc_issuer(lab: Lab) -> None:
    other = lab.cluster_id.replace(CLUSTER, "old-aks")
    lab.azure.add_managed_cluster(
        other, location="eastus", issuer_url=lab.issuer.url, oidc_issuer_enabled=False, workload_identity_enabled=False
    )
    client = aks_client(lab)
    cluster = client.managed_clusters.get(RG, "old-aks")
    assert cluster.properties.oidc_issuer_profile.issuer_url is None
    cluster.properties.security_profile.workload_identity.enabled = True
    with pytest.raises(HttpResponseError) as caught:
        client.managed_clusters.begin_create_or_update(RG, "old-aks", cluster)
    assert caught.value.status_code == 400
    assert "OIDC issuer" in caught.value.error.message
    assert lab.azure.managed_cluster(other)["properties"]["securityProfile"]["workloadIdentity"]["enabled"] is False

    cluster.properties.oidc_issuer_profile.enabled = True
    result = client.managed_clusters.begin_create_or_update(RG, "old-aks", cluster).result()
    assert result.properties.oidc_issuer_profile.issuer_url == lab.issuer.url
    assert result.properties.security_profile.workload_identity.enabled is True


def test_oidc_issuer_cannot_be_disabled(lab: Lab) -> None:
    client = aks_client(lab)
    cluster = client.managed_clusters.get(RG, CLUSTER)
    cluster.properties.security_profile.workload_identity.enabled = False
    cluster.properties.oidc_issuer_profile.enabled = False
    with pytest.raises(HttpResponseError) as caught:
        client.managed_clusters.begin_create_or_update(RG, CLUSTER, cluster)
    assert caught.value.status_code == 400 and "cannot be disabled" in caught.value.error.message


def test_pod_identity_entries_are_validated(lab: Lab) -> None:
    client = aks_client(lab)
    cluster = client.managed_clusters.get(RG, CLUSTER)
    cluster.properties.pod_identity_profile = pod_identity_profile(identity_id(lab, "web"), namespace=None)
    with pytest.raises(HttpResponseError) as caught:
        client.managed_clusters.begin_create_or_update(RG, CLUSTER, cluster)
    assert caught.value.status_code == 400 and caught.value.error.code == "InvalidParameter"
    cluster.properties.pod_identity_profile = pod_identity_profile(identity_id(lab, "does-not-exist"))
    with pytest.raises(HttpResponseError) as caught:
        client.managed_clusters.begin_create_or_update(RG, CLUSTER, cluster)
    assert caught.value.status_code == 400 and "was not found" in caught.value.error.message


def test_if_match_precondition(lab: Lab) -> None:
    client = aks_client(lab)
    cluster = client.managed_clusters.get(RG, CLUSTER)
    with pytest.raises(ResourceModifiedError) as caught:
        client.managed_clusters.begin_create_or_update(
            RG, CLUSTER, cluster, etag="stale", match_condition=MatchConditions.IfNotModified
        )
    assert caught.value.status_code == 412
    result = client.managed_clusters.begin_create_or_update(
        RG, CLUSTER, cluster, etag=cluster.e_tag, match_condition=MatchConditions.IfNotModified
    ).result()
    assert result.properties.provisioning_state == "Succeeded"


def test_second_update_while_one_is_running_conflicts(lab: Lab) -> None:
    client = aks_client(lab)
    cluster = client.managed_clusters.get(RG, CLUSTER)
    with lab.azure.hold_cluster_operations():
        first = client.managed_clusters.begin_create_or_update(RG, CLUSTER, cluster)
        with pytest.raises(ResourceExistsError) as caught:
            client.managed_clusters.begin_create_or_update(RG, CLUSTER, cluster)
        assert caught.value.error.code == "OperationNotAllowed"
    assert first.result().properties.provisioning_state == "Succeeded"


def test_injected_error_on_a_status_poll_is_retried(lab: Lab) -> None:
    fault = lab.faults.add(
        Fault(action="status", status=503, service="arm", verb="get", resource="operations", times=1)
    )
    client = aks_client(lab)
    cluster = client.managed_clusters.get(RG, CLUSTER)
    assert client.managed_clusters.begin_create_or_update(RG, CLUSTER, cluster).result().name == CLUSTER
    assert lab.faults.fired(fault) == 1

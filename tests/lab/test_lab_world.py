"""The lab as one world: seeding, federation end to end (TokenRequest -> Entra), the AKS add-on's
reconciliation, MIC's assigned identities, and what managed-cluster settings install."""

from __future__ import annotations

from pathlib import Path

import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.mgmt.msi import ManagedServiceIdentityClient
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from migrator.lab.faults import Fault
from migrator.lab.kube.podidentity import FINALIZER
from migrator.lab.lab import Lab, LabConfig
from tests.lab.azure_clients import aks_client, assertion_credential, operator_credential

QUICKSTART = Path(__file__).resolve().parents[2] / "samples" / "quickstart"
PI = ("aadpodidentity.k8s.io", "v1")


def kube(lab: Lab) -> client.ApiClient:
    return config.new_client_from_config(str(lab.kubeconfig))


def custom_items(lab: Lab, plural: str) -> list[dict]:
    return client.CustomObjectsApi(kube(lab)).list_cluster_custom_object(*PI, plural)["items"]


def identity_parts(resource_id: str) -> tuple[str, str, str]:
    parts = resource_id.split("/")
    return parts[2], parts[4], parts[8]


def msi_for(lab: Lab, subscription: str) -> ManagedServiceIdentityClient:
    """Seeded identities live in the subscriptions their manifests name."""
    return ManagedServiceIdentityClient(
        operator_credential(lab),
        subscription,
        base_url=lab.arm_url,
        connection_verify=str(lab.ca_file),
        credential_scopes=["https://management.azure.com/.default"],
    )


def test_seeding_creates_objects_pods_and_the_identities_they_name(lab: Lab) -> None:
    report = lab.seed_manifests(QUICKSTART)
    assert not report.failed
    assert len(report.identities) == 3
    api = kube(lab)
    pods = client.CoreV1Api(api).list_namespaced_pod("payments").items
    assert pods and all(p.status.phase in ("Running", "Succeeded") for p in pods)
    for item in custom_items(lab, "azureidentities"):
        sub, group, name = identity_parts(item["spec"]["resourceID"])
        arm = msi_for(lab, sub).user_assigned_identities.get(group, name)
        assert arm.id.lower() == item["spec"]["resourceID"].lower()
        assert arm.client_id == item["spec"]["clientID"]


def test_seeding_reports_objects_in_a_namespace_the_api_server_refuses(lab: Lab, tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: $K8S_NAMESPACE}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: shop}\n"
    )
    report = lab.seed_manifests(tmp_path)
    assert report.created == ["ConfigMap shop/settings"]
    assert len(report.failed) == 1 and report.failed[0].startswith(f"{tmp_path / 'app.yaml'}:1: ConfigMap settings: ")
    assert "$K8S_NAMESPACE" in report.failed[0]


def test_federation_end_to_end_with_a_token_request(lab: Lab) -> None:
    """A federated credential created through azure-mgmt-msi, with the issuer AKS reports, lets a
    TokenRequest-minted service-account token be exchanged by ClientAssertionCredential."""
    lab.seed_manifests(QUICKSTART)
    cluster = aks_client(lab).managed_clusters.get(lab.config.resource_group, lab.config.cluster_name)
    issuer = cluster.properties.oidc_issuer_profile.issuer_url
    assert issuer.endswith("/")
    item = next(i for i in custom_items(lab, "azureidentities") if i["metadata"]["name"] == "payments-api")
    sub, group, name = identity_parts(item["spec"]["resourceID"])
    msi = msi_for(lab, sub)
    subject = "system:serviceaccount:payments:payments-api"
    msi.federated_identity_credentials.create_or_update(
        group,
        name,
        "payments-api",
        {"properties": {"issuer": issuer, "subject": subject, "audiences": ["api://AzureADTokenExchange"]}},
    )
    core = client.CoreV1Api(kube(lab))

    def token(sa: str) -> str:
        request = {"spec": {"audiences": ["api://AzureADTokenExchange"], "expirationSeconds": 3600}}
        return core.create_namespaced_service_account_token(sa, "payments", request).status.token

    access = assertion_credential(lab, item["spec"]["clientID"], token("payments-api")).get_token(
        "https://management.azure.com/.default"
    )
    assert access.token.count(".") == 2 and access.expires_on > 0

    with pytest.raises(ClientAuthenticationError, match="AADSTS70021"):
        assertion_credential(lab, item["spec"]["clientID"], token("default")).get_token(
            "https://management.azure.com/.default"
        )
    # The same credential with the issuer's trailing slash dropped: no match.
    msi.federated_identity_credentials.create_or_update(
        group,
        name,
        "payments-api",
        {"properties": {"issuer": issuer.rstrip("/"), "subject": subject, "audiences": ["api://AzureADTokenExchange"]}},
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS70021"):
        assertion_credential(lab, item["spec"]["clientID"], token("payments-api")).get_token(
            "https://management.azure.com/.default"
        )


def test_mic_assigns_identities_and_its_finalizer_outlives_it(lab: Lab) -> None:
    lab.seed_manifests(QUICKSTART)
    assigned = custom_items(lab, "azureassignedidentities")
    labelled = [
        p for p in client.CoreV1Api(kube(lab)).list_pod_for_all_namespaces(label_selector="aadpodidbinding").items
    ]
    assert len(assigned) == len(labelled) > 0
    assert all(FINALIZER in a["metadata"]["finalizers"] for a in assigned)
    apps, custom = client.AppsV1Api(kube(lab)), client.CustomObjectsApi(kube(lab))
    apps.delete_namespaced_deployment("aad-pod-identity-mic", "kube-system")
    lab.settle()
    victim = assigned[0]["metadata"]
    custom.delete_namespaced_custom_object(*PI, victim["namespace"], "azureassignedidentities", victim["name"])
    lab.settle()
    left = custom.get_namespaced_custom_object(*PI, victim["namespace"], "azureassignedidentities", victim["name"])
    assert left["metadata"]["deletionTimestamp"]  # stuck on the finalizer with MIC gone
    custom.patch_namespaced_custom_object(
        *PI,
        victim["namespace"],
        "azureassignedidentities",
        victim["name"],
        [{"op": "remove", "path": "/metadata/finalizers"}],
        _content_type="application/json-patch+json",
    )
    with pytest.raises(ApiException) as gone:
        custom.get_namespaced_custom_object(*PI, victim["namespace"], "azureassignedidentities", victim["name"])
    assert gone.value.status == 404


class TestAksAddon:
    @pytest.fixture
    def lab_config(self) -> LabConfig:
        return LabConfig(speedup=50.0, aks_addon=True)

    def test_addon_recreates_what_kubectl_deletes_and_follows_the_profile(self, lab: Lab) -> None:
        lab.seed_manifests(QUICKSTART)
        custom = client.CustomObjectsApi(kube(lab))
        bindings = custom_items(lab, "azureidentitybindings")
        assert {b["metadata"]["labels"]["kubernetes.azure.com/managedby"] for b in bindings} == {"aks"}
        target = next(b for b in bindings if b["metadata"]["namespace"] == "orders")["metadata"]
        custom.delete_namespaced_custom_object(*PI, target["namespace"], "azureidentitybindings", target["name"])
        lab.settle()
        back = custom.get_namespaced_custom_object(*PI, target["namespace"], "azureidentitybindings", target["name"])
        assert back["metadata"]["uid"] != target["uid"]

        aks = aks_client(lab)
        cluster = aks.managed_clusters.get(lab.config.resource_group, lab.config.cluster_name)
        profile = cluster.properties.pod_identity_profile
        profile.user_assigned_identities = [u for u in profile.user_assigned_identities if u.namespace != "orders"]
        aks.managed_clusters.begin_create_or_update(
            lab.config.resource_group, lab.config.cluster_name, cluster
        ).result()
        lab.settle()
        assert not [i for i in custom_items(lab, "azureidentities") if i["metadata"]["namespace"] == "orders"]
        assert not [b for b in custom_items(lab, "azureidentitybindings") if b["metadata"]["namespace"] == "orders"]
        assert [i for i in custom_items(lab, "azureidentities") if i["metadata"]["namespace"] == "payments"]

        cluster = aks.managed_clusters.get(lab.config.resource_group, lab.config.cluster_name)
        cluster.properties.pod_identity_profile.enabled = False
        cluster.properties.pod_identity_profile.user_assigned_identities = []
        aks.managed_clusters.begin_create_or_update(
            lab.config.resource_group, lab.config.cluster_name, cluster
        ).result()
        lab.settle()
        assert not custom_items(lab, "azureidentities")
        names = [d.metadata.name for d in client.AppsV1Api(kube(lab)).list_namespaced_daemon_set("kube-system").items]
        assert "nmi" not in names


def test_workload_identity_setting_installs_and_removes_the_webhook(lab: Lab) -> None:
    admission = client.AdmissionregistrationV1Api(kube(lab))
    names = [w.metadata.name for w in admission.list_mutating_webhook_configuration().items]
    assert names == ["azure-wi-webhook-mutating-webhook-configuration"]
    aks = aks_client(lab)
    cluster = aks.managed_clusters.get(lab.config.resource_group, lab.config.cluster_name)
    cluster.properties.security_profile.workload_identity.enabled = False
    aks.managed_clusters.begin_create_or_update(lab.config.resource_group, lab.config.cluster_name, cluster).result()
    lab.settle()
    assert admission.list_mutating_webhook_configuration().items == []


def test_kube_faults_are_injected_and_counted(lab: Lab) -> None:
    core = client.CoreV1Api(kube(lab))
    failing = lab.faults.add(Fault(action="status", status=500, service="kube", verb="list", resource="pods", times=1))
    with pytest.raises(ApiException) as raised:
        core.list_namespaced_pod("default")
    assert raised.value.status == 500 and "injected" in raised.value.body
    # urllib3 (under the kubernetes client) honours Retry-After on a 429 by itself: the call succeeds.
    throttled = lab.faults.add(
        Fault(action="status", status=429, retry_after=1, service="kube", verb="list", resource="pods", times=1)
    )
    assert core.list_namespaced_pod("default").items == []
    reset = lab.faults.add(Fault(action="reset", service="kube", verb="get", resource="namespaces", times=1))
    assert core.read_namespace("default").metadata.name == "default"  # urllib3 retried the dropped connection
    assert [lab.faults.fired(f) for f in (failing, throttled, reset)] == [1, 1, 1]


def test_every_lab_server_listens_on_loopback_only(lab: Lab) -> None:
    for url in (lab.kube_url, lab.arm_url, lab.login_url, lab.issuer.url):
        assert url.startswith("https://127.0.0.1:"), url
    for server in lab._servers:
        assert server._server.server_address[0] == "127.0.0.1"

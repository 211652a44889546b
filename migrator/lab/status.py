"""A lab's contents, read the way the live commands read a real cluster and Azure (through the SDKs)."""

from __future__ import annotations

from typing import Any

from migrator.lab.clients import aks_client, kube_api_client, msi_client
from migrator.lab.lab import LabInfo

POD_IDENTITY = ("azureidentities", "azureidentitybindings", "azurepodidentityexceptions", "azureassignedidentities")


def read_status(info: LabInfo) -> dict[str, Any]:
    from kubernetes import client

    api = kube_api_client(info)
    core, apps, custom = client.CoreV1Api(api), client.AppsV1Api(api), client.CustomObjectsApi(api)
    kube = {
        "namespaces": len(core.list_namespace().items),
        "deployments": len(apps.list_deployment_for_all_namespaces().items),
        "pods": len(core.list_pod_for_all_namespaces().items),
        "serviceaccounts": len(core.list_service_account_for_all_namespaces().items),
    }
    resource_ids: set[str] = set()
    for plural in POD_IDENTITY:
        items = custom.list_cluster_custom_object("aadpodidentity.k8s.io", "v1", plural)["items"]
        kube[plural] = len(items)
        if plural == "azureidentities":
            resource_ids.update(str((i.get("spec") or {}).get("resourceID") or "") for i in items)
    identities = []
    for resource_id in sorted(r for r in resource_ids if r.count("/") == 8):
        parts = resource_id.split("/")
        msi = msi_client(info, subscription_id=parts[2])
        identity = msi.user_assigned_identities.get(parts[4], parts[8])
        credentials = list(msi.federated_identity_credentials.list(parts[4], parts[8]))
        identities.append(
            {"name": identity.name, "clientId": identity.client_id, "federatedCredentials": len(credentials)}
        )
    group, name = info.cluster_id.split("/")[4], info.cluster_id.split("/")[-1]
    cluster = aks_client(info).managed_clusters.get(group, name)
    props = cluster.properties
    return {
        "cluster": {
            "id": info.cluster_id,
            "oidcIssuer": props.oidc_issuer_profile.issuer_url if props.oidc_issuer_profile else None,
            "workloadIdentity": bool(
                props.security_profile
                and props.security_profile.workload_identity
                and props.security_profile.workload_identity.enabled
            ),
            "podIdentityAddon": bool(props.pod_identity_profile and props.pod_identity_profile.enabled),
        },
        "kubernetes": kube,
        "identities": identities,
    }

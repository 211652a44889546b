"""Real SDK clients pointed at a lab: only the endpoint, the CA and the credential differ from
what the live commands use against Azure and AKS."""

from __future__ import annotations

from typing import Any

from migrator.lab.lab import ARM_AUDIENCE, LabInfo


def kube_api_client(info: LabInfo) -> Any:
    from kubernetes import config

    return config.new_client_from_config(info.kubeconfig)


def azure_credential(info: LabInfo) -> Any:
    """The lab operator signs in as workload identity does: a federated token file, exchanged at the lab's Entra."""
    from azure.identity import WorkloadIdentityCredential

    return WorkloadIdentityCredential(
        tenant_id=info.tenant_id,
        client_id=info.operator_client_id,
        token_file_path=info.token_file,
        authority=info.login_url,
        connection_verify=info.ca_file,
    )


def _arm_kwargs(info: LabInfo) -> dict[str, Any]:
    return {
        "base_url": info.arm_url,
        "credential_scopes": [f"{ARM_AUDIENCE}/.default"],
        "connection_verify": info.ca_file,
        "polling_interval": 1,
    }


def msi_client(info: LabInfo, credential: Any = None, subscription_id: str | None = None) -> Any:
    from azure.mgmt.msi import ManagedServiceIdentityClient

    return ManagedServiceIdentityClient(
        credential or azure_credential(info), subscription_id or info.subscription_id, **_arm_kwargs(info)
    )


def aks_client(info: LabInfo, credential: Any = None) -> Any:
    from azure.mgmt.containerservice import ContainerServiceClient

    return ContainerServiceClient(credential or azure_credential(info), info.subscription_id, **_arm_kwargs(info))

"""Real SDK clients pointed at a lab: only the endpoint, the CA and the credential differ from
what the live commands use against Azure and AKS."""

from __future__ import annotations

from typing import Any

from migrator.adapters.azure.connect import connect
from migrator.lab.lab import LabInfo


def kube_api_client(info: LabInfo) -> Any:
    from kubernetes import config

    return config.new_client_from_config(info.kubeconfig)


def azure_credential(info: LabInfo) -> Any:
    """The lab operator signs in as workload identity does: a federated token file, exchanged at the lab's Entra."""
    return connect(info).credential


def msi_client(info: LabInfo, credential: Any = None, subscription_id: str | None = None) -> Any:
    from azure.mgmt.msi import ManagedServiceIdentityClient

    target = connect(info)
    return ManagedServiceIdentityClient(
        credential or target.credential, subscription_id or info.subscription_id, **target.client_options
    )


def aks_client(info: LabInfo, credential: Any = None) -> Any:
    from azure.mgmt.containerservice import ContainerServiceClient

    target = connect(info)
    return ContainerServiceClient(credential or target.credential, info.subscription_id, **target.client_options)

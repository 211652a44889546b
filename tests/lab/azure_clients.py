"""Real Azure SDK clients and credentials pointed at a running lab (nothing here is mocked)."""

from __future__ import annotations

import time
from typing import Any

from azure.identity import ClientAssertionCredential, WorkloadIdentityCredential
from azure.mgmt.containerservice import ContainerServiceClient
from azure.mgmt.msi import ManagedServiceIdentityClient

from migrator.lab.lab import Lab

ARM_SCOPE = "https://management.azure.com/.default"
EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"


def operator_credential(lab: Lab) -> WorkloadIdentityCredential:
    """The operator's federated credential, as ``lab.env`` configures it."""
    return WorkloadIdentityCredential(
        tenant_id=lab.tenant_id,
        client_id=lab.operator_client_id,
        token_file_path=str(lab.token_file),
        authority=lab.login_url,
        connection_verify=str(lab.ca_file),
    )


def _client_options(lab: Lab, options: dict[str, Any]) -> dict[str, Any]:
    return {
        "base_url": lab.arm_url,
        "credential_scopes": [ARM_SCOPE],
        "connection_verify": str(lab.ca_file),
        "polling_interval": 1,
        "retry_backoff_factor": 0.01,
        **options,
    }


def msi_client(lab: Lab, credential: Any = None, **options: Any) -> ManagedServiceIdentityClient:
    return ManagedServiceIdentityClient(
        credential or operator_credential(lab), lab.subscription_id, **_client_options(lab, options)
    )


def aks_client(lab: Lab, credential: Any = None, **options: Any) -> ContainerServiceClient:
    return ContainerServiceClient(
        credential or operator_credential(lab), lab.subscription_id, **_client_options(lab, options)
    )


def identity_id(lab: Lab, name: str, resource_group: str | None = None) -> str:
    group = resource_group or lab.config.resource_group
    return (
        f"/subscriptions/{lab.subscription_id}/resourcegroups/{group}"
        f"/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
    )


def service_account_token(
    lab: Lab,
    *,
    subject: str,
    issuer: str | None = None,
    audience: str | list[str] = EXCHANGE_AUDIENCE,
    lifetime: int = 3600,
    issued: float | None = None,
) -> str:
    """A projected service-account token from the lab cluster's issuer (wire.md D.3)."""
    now = int(issued if issued is not None else time.time())
    return lab.keys.issuer.sign(
        {
            "iss": issuer if issuer is not None else lab.issuer.url,
            "sub": subject,
            "aud": [audience] if isinstance(audience, str) else audience,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
        }
    )


def assertion_credential(lab: Lab, client_id: str, assertion: str) -> ClientAssertionCredential:
    return ClientAssertionCredential(
        lab.tenant_id,
        client_id,
        func=lambda: assertion,
        authority=lab.login_url,
        connection_verify=str(lab.ca_file),
    )

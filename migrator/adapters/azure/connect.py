"""Credentials and SDK clients for Azure, or for a lab (its ARM endpoint, CA and operator identity)."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

ARM_SCOPE = "https://management.azure.com/.default"


@dataclass
class AzureTarget:
    """Where ARM calls go. One client per subscription, built on first use and shared by threads."""

    credential: Any
    client_options: dict[str, Any] = field(default_factory=dict)
    statuses: Counter = field(default_factory=Counter)
    """HTTP status of every ARM answer (retries included): benchmarks assert no 429 came back."""
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def msi(self, subscription: str) -> Any:
        from azure.mgmt.msi import ManagedServiceIdentityClient

        return self._client("msi", subscription, ManagedServiceIdentityClient)

    def aks(self, subscription: str) -> Any:
        from azure.mgmt.containerservice import ContainerServiceClient

        return self._client("aks", subscription, ContainerServiceClient)

    def _client(self, name: str, subscription: str, factory: Any) -> Any:
        with self._lock:
            key = (name, subscription.lower())
            if key not in self._clients:
                self._clients[key] = factory(
                    self.credential, subscription, raw_response_hook=self._count, **self.client_options
                )
            return self._clients[key]

    def _count(self, response: Any) -> None:
        with self._lock:
            self.statuses[response.http_response.status_code] += 1


def connect(lab: Any = None) -> AzureTarget:
    """``DefaultAzureCredential`` (az login, workload identity, managed identity...), or the lab's operator."""
    if lab is not None:
        from azure.identity import WorkloadIdentityCredential

        credential = WorkloadIdentityCredential(
            tenant_id=lab.tenant_id,
            client_id=lab.operator_client_id,
            token_file_path=lab.token_file,
            authority=lab.login_url,
            connection_verify=lab.ca_file,
        )
        options = {
            "base_url": lab.arm_url,
            "credential_scopes": [ARM_SCOPE],
            "connection_verify": lab.ca_file,
            "polling_interval": 1,
        }
        return AzureTarget(credential, options)
    from azure.identity import DefaultAzureCredential

    return AzureTarget(DefaultAzureCredential(exclude_interactive_browser_credential=True))

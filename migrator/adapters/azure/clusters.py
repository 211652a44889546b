"""AKS managed clusters (azure-mgmt-containerservice), read as the wire's plain JSON shape."""

from __future__ import annotations

from typing import Any

from migrator.adapters.azure.connect import AzureTarget
from migrator.adapters.azure.errors import classify
from migrator.adapters.retry import RetryPolicy
from migrator.core.resource_ids import require_cluster_id
from migrator.errors import ServiceError


class ClusterGateway:
    def __init__(self, target: AzureTarget, retry: RetryPolicy | None = None) -> None:
        self.target = target
        self.retry = retry or RetryPolicy()

    def get(self, resource_id: str) -> dict[str, Any]:
        """The managed cluster as ARM sends it (``properties.oidcIssuerProfile.issuerURL`` and so on)."""
        rid = require_cluster_id(resource_id)

        def read() -> dict[str, Any]:
            try:
                model = self.target.aks(rid.subscription).managed_clusters.get(rid.resource_group, rid.name)
            except Exception as exc:
                raise classify(exc, f"read managed cluster {rid.name}") from exc
            return model.as_dict()

        return self.retry.call(read)

    def update(self, resource_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """PUT the whole managed cluster (a long-running operation) and wait for it to finish."""
        rid = require_cluster_id(resource_id)

        def write() -> dict[str, Any]:
            try:
                poller = self.target.aks(rid.subscription).managed_clusters.begin_create_or_update(
                    rid.resource_group, rid.name, body
                )
                return poller.result().as_dict()
            except ServiceError:
                raise
            except Exception as exc:
                raise classify(exc, f"update managed cluster {rid.name}") from exc

        return self.retry.call(write)

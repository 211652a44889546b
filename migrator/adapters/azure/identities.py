"""User-assigned identities and their federated credentials (azure-mgmt-msi), as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrator.adapters.azure.connect import AzureTarget
from migrator.adapters.azure.errors import classify
from migrator.adapters.retry import RetryPolicy
from migrator.core.model import ExistingCredential
from migrator.core.resource_ids import require_identity_id
from migrator.errors import ServiceError


@dataclass(frozen=True)
class IdentityFacts:
    resource_id: str
    client_id: str | None
    principal_id: str | None
    tenant_id: str | None


class IdentityGateway:
    """Calls azure-mgmt-msi; azure-core's policy retries 429/5xx/resets honouring Retry-After,
    ``retry`` adds what it leaves: Azure's 409 for concurrent writes under one identity."""

    def __init__(self, target: AzureTarget, retry: RetryPolicy | None = None) -> None:
        self.target = target
        self.retry = retry or RetryPolicy()

    def identity(self, resource_id: str) -> IdentityFacts:
        rid = require_identity_id(resource_id)
        found = self._do(
            f"read identity {resource_id}",
            lambda: self.target.msi(rid.subscription).user_assigned_identities.get(rid.resource_group, rid.name),
        )
        return IdentityFacts(found.id or resource_id, found.client_id, found.principal_id, found.tenant_id)

    def credentials(self, resource_id: str) -> list[ExistingCredential]:
        rid = require_identity_id(resource_id)

        def read() -> list[ExistingCredential]:
            ops = self.target.msi(rid.subscription).federated_identity_credentials
            return [_credential(c) for c in ops.list(rid.resource_group, rid.name)]

        return self._do(f"list federated credentials of {rid.name}", read)

    def put_credential(
        self, resource_id: str, name: str, issuer: str, subject: str, audience: str
    ) -> tuple[bool, ExistingCredential]:
        """Create or update; True when ARM answered 201 (created)."""
        from azure.mgmt.msi.models import FederatedIdentityCredential

        rid = require_identity_id(resource_id)
        body = FederatedIdentityCredential(issuer=issuer, subject=subject, audiences=[audience])

        def put() -> tuple[bool, ExistingCredential]:
            ops = self.target.msi(rid.subscription).federated_identity_credentials
            status, model = ops.create_or_update(rid.resource_group, rid.name, name, body, cls=_with_status)
            return status == 201, _credential(model)

        return self._do(f"write federated credential {name} on {rid.name}", put)

    def delete_credential(self, resource_id: str, name: str) -> bool:
        """True when it existed (200), False when it was already gone (204)."""
        rid = require_identity_id(resource_id)

        def delete() -> bool:
            ops = self.target.msi(rid.subscription).federated_identity_credentials
            status, _ = ops.delete(rid.resource_group, rid.name, name, cls=_with_status)
            return status == 200

        return self._do(f"delete federated credential {name} on {rid.name}", delete)

    def _do(self, what: str, operation: Any) -> Any:
        def once() -> Any:
            try:
                return operation()
            except ServiceError:
                raise
            except Exception as exc:
                error = classify(exc, what)
                if type(error) is ServiceError:
                    raise
                raise error from exc

        return self.retry.call(once)


def _with_status(pipeline_response: Any, deserialized: Any, headers: Any) -> tuple[int, Any]:
    return pipeline_response.http_response.status_code, deserialized


def _credential(model: Any) -> ExistingCredential:
    return ExistingCredential(
        name=model.name or "",
        issuer=model.issuer or "",
        subject=model.subject or "",
        audiences=list(model.audiences or []),
    )

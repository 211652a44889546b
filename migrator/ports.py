"""What the phases need from the outside world, as Protocols; ``migrator.adapters`` implements them.

Phases import these names only, so they never see an SDK, and tests can run them against the lab
through the real adapters.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from migrator.adapters.kube.resources import Resource
from migrator.core.model import ExistingCredential
from migrator.core.verification import TokenExchange


class KubePort(Protocol):
    requests: int

    def list(
        self, resource: Resource, namespace: str | None = None, label_selector: str | None = None
    ) -> Iterator[dict]:
        """Every object, each with its ``kind`` (list items come without one)."""
        ...

    def get(self, resource: Resource, namespace: str | None, name: str) -> dict: ...

    def find(self, resource: Resource, namespace: str | None, name: str) -> dict | None: ...

    def create(self, resource: Resource, namespace: str | None, body: dict, *, dry_run: bool = False) -> dict: ...

    def patch(
        self,
        resource: Resource,
        namespace: str | None,
        name: str,
        patch: Any,
        patch_type: str = "strategic",
        *,
        dry_run: bool = False,
    ) -> dict: ...

    def delete(
        self,
        resource: Resource,
        namespace: str | None,
        name: str,
        *,
        uid: str | None = None,
        resource_version: str | None = None,
        dry_run: bool = False,
    ) -> dict: ...

    def create_token(
        self, namespace: str, service_account: str, audience: str, expiration_seconds: int = 3600
    ) -> str: ...

    def logs(self, namespace: str, pod: str, container: str, tail_lines: int = 200) -> str: ...


class IdentitiesPort(Protocol):
    def identity(self, resource_id: str) -> Any: ...

    def credentials(self, resource_id: str) -> list[ExistingCredential]: ...

    def put_credential(
        self, resource_id: str, name: str, issuer: str, subject: str, audience: str
    ) -> tuple[bool, ExistingCredential]: ...

    def delete_credential(self, resource_id: str, name: str) -> bool: ...


class ClustersPort(Protocol):
    def get(self, resource_id: str) -> dict[str, Any]: ...

    def update(self, resource_id: str, body: dict[str, Any]) -> dict[str, Any]: ...


class TokenExchangePort(Protocol):
    def exchange(
        self, tenant_id: str, client_id: str, assertion: str, authority: str | None, service_account: str
    ) -> TokenExchange:
        """Redeem ``assertion`` at Entra for ``client_id``; the outcome never carries a token."""
        ...

"""``KubeApi``: the few calls wimigrate makes, over the official client's transport.

Requests go through ``ApiClient.param_serialize``/``call_api`` (auth, TLS and proxy from the
kubeconfig) with raw JSON in and out: building the client's models costs about 1 ms per pod,
forty times the wire time of a large list. Every failure is classified here, once, into the
``migrator.errors`` service errors, and transient ones are retried by one ``RetryPolicy``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

from migrator.adapters.kube.resources import PODS, SERVICE_ACCOUNTS, Resource
from migrator.adapters.retry import RetryPolicy
from migrator.errors import (
    AlreadyExists,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    ServiceError,
    Throttled,
    Unauthorized,
    Unavailable,
)

PATCH_TYPES = {
    "merge": "application/merge-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "json": "application/json-patch+json",
}
PAGE_SIZE = 500
MAX_LIST_RESTARTS = 3
"""A list whose continue token keeps expiring (pages slower than the server keeps them) fails after this."""


class KubeApi:
    def __init__(self, client: Any, retry: RetryPolicy | None = None, page_size: int = PAGE_SIZE) -> None:
        self.client = client
        self.retry = retry or RetryPolicy()
        self.page_size = page_size
        self._lock = threading.Lock()
        self.requests = 0
        """Requests sent (retries included), for benchmarks and the discovery summary."""

    # -- reads ------------------------------------------------------------------------------

    def list(
        self, resource: Resource, namespace: str | None = None, label_selector: str | None = None
    ) -> Iterator[dict]:
        """Every object once, page by page (``limit``/``continue``).

        A 410 for an expired continue token restarts the list, as client-go's pager does; objects
        already yielded (by uid) are not yielded again.
        """
        token: str | None = None
        seen: set[str] = set()
        restarts = 0
        while True:
            query: list[tuple[str, Any]] = [("limit", self.page_size)]
            if label_selector:
                query.append(("labelSelector", label_selector))
            if token:
                query.append(("continue", token))
            try:
                page = self._call("GET", resource.path(namespace), query)
            except ServiceError as exc:
                if exc.status == 410 and token and restarts < MAX_LIST_RESTARTS:
                    token, restarts = None, restarts + 1
                    continue
                raise
            for item in page.get("items") or []:
                uid = (item.get("metadata") or {}).get("uid") or ""
                if restarts and uid in seen:
                    continue
                seen.add(uid)
                item.setdefault("kind", resource.kind)
                item.setdefault("apiVersion", resource.api_version)
                yield item
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return

    def get(self, resource: Resource, namespace: str | None, name: str) -> dict:
        return self._call("GET", resource.path(namespace, name))

    def find(self, resource: Resource, namespace: str | None, name: str) -> dict | None:
        """The object, or None when it does not exist."""
        try:
            return self.get(resource, namespace, name)
        except NotFound:
            return None

    # -- writes -----------------------------------------------------------------------------

    def create(self, resource: Resource, namespace: str | None, body: dict, *, dry_run: bool = False) -> dict:
        return self._call("POST", resource.path(namespace), _dry(dry_run), body)

    def patch(
        self,
        resource: Resource,
        namespace: str | None,
        name: str,
        patch: Any,
        patch_type: str = "strategic",
        *,
        dry_run: bool = False,
    ) -> dict:
        headers = {"Content-Type": PATCH_TYPES[patch_type]}
        return self._call("PATCH", resource.path(namespace, name), _dry(dry_run), patch, headers)

    def delete(
        self,
        resource: Resource,
        namespace: str | None,
        name: str,
        *,
        uid: str | None = None,
        resource_version: str | None = None,
        dry_run: bool = False,
    ) -> dict:
        body: dict[str, Any] = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}
        preconditions = {k: v for k, v in (("uid", uid), ("resourceVersion", resource_version)) if v}
        if preconditions:
            body["preconditions"] = preconditions
        return self._call("DELETE", resource.path(namespace, name), _dry(dry_run), body)

    def create_token(self, namespace: str, service_account: str, audience: str, expiration_seconds: int = 3600) -> str:
        """A service account token (TokenRequest); the caller must never print or store it."""
        body = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"audiences": [audience], "expirationSeconds": expiration_seconds},
        }
        path = SERVICE_ACCOUNTS.path(namespace, service_account, "token")
        return self._call("POST", path, [], body)["status"]["token"]

    def logs(self, namespace: str, pod: str, container: str, tail_lines: int = 200) -> str:
        """The last lines a container logged (empty when it has not started)."""
        path = PODS.path(namespace, pod, "log")
        query = [("container", container), ("tailLines", tail_lines)]
        return self.retry.call(
            lambda: self._once("GET", path, query, None, {"Accept": "text/plain"}, text=True),
            retry_on=_worth_resending,
        )

    # -- transport --------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        query: list[tuple[str, Any]] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> dict:
        return self.retry.call(lambda: self._once(method, path, query, body, headers), retry_on=_worth_resending)

    def _once(
        self,
        method: str,
        path: str,
        query: list[tuple[str, Any]] | None,
        body: Any,
        headers: dict[str, str] | None,
        *,
        text: bool = False,
    ) -> Any:
        header_params = {"Accept": "application/json", **(headers or {})}
        if body is not None and "Content-Type" not in header_params:
            header_params["Content-Type"] = "application/json"
        with self._lock:
            self.requests += 1
        request = self.client.param_serialize(
            method,
            path,
            query_params=query or None,
            header_params=header_params,
            body=body,
            auth_settings=["BearerToken"],
        )
        try:
            response = self.client.call_api(*request)
            data = response.read()
        except Exception as exc:  # urllib3 errors (reset, refused, timeout) without a response
            if isinstance(exc, ServiceError):
                raise
            raise Unavailable(f"{method} {path}: no answer from the Kubernetes API ({_short(exc)})") from exc
        if 200 <= response.status <= 299 and text:
            return data.decode("utf-8", "replace")
        if 200 <= response.status <= 299:
            return json.loads(data) if data else {}
        raise classify(method, path, response.status, data, response.headers)


def _worth_resending(error: ServiceError) -> bool:
    """Transient errors, except 409: the apiserver's Conflict (a stale resourceVersion) comes back for the
    same request every time; the caller reads the object again and recomputes its write instead."""
    return error.transient and not isinstance(error, Conflict)


def classify(method: str, path: str, status: int, data: bytes | None, headers: Any) -> ServiceError:
    """The one place an apiserver answer becomes an error class."""
    try:
        body = json.loads(data or b"{}")
    except ValueError:
        body = {}
    reason = body.get("reason") or "" if isinstance(body, dict) else ""
    message = (body.get("message") if isinstance(body, dict) else None) or f"HTTP {status}"
    retry_after = _retry_after(headers)
    text = f"{method} {path}: {message}"
    kinds: dict[int, type[ServiceError]] = {
        401: Unauthorized,
        403: Forbidden,
        404: NotFound,
        422: Invalid,
        400: Invalid,
    }
    if status == 409:
        cls: type[ServiceError] = AlreadyExists if reason == "AlreadyExists" else Conflict
    elif status == 429:
        cls = Throttled
    elif status >= 500:
        cls = Unavailable
    else:
        cls = kinds.get(status, ServiceError)
    return cls(text, status=status, reason=reason, retry_after=retry_after)


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _short(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


def _dry(dry_run: bool) -> list[tuple[str, Any]]:
    return [("dryRun", "All")] if dry_run else []

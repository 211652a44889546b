"""Redeem a service-account token at Entra, as the workload's SDK would (azure-identity).

The proof that federation works end to end without touching the application: Entra checks the
assertion's issuer, subject, audience and lifetime against the identity's federated credentials.
Only the outcome leaves this module; the assertion and the access token are never kept.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from typing import Any

from migrator.core.verification import TokenExchange

ARM_SCOPE = "https://management.azure.com/.default"
AADSTS = re.compile(r"\bAADSTS(\d+)\b")
_TRACE = re.compile(r"\s*(Trace ID|Correlation ID|Timestamp):.*", re.IGNORECASE | re.DOTALL)


class EntraExchange:
    def __init__(self, connection_verify: str | None = None, scope: str = ARM_SCOPE) -> None:
        self.connection_verify = connection_verify
        self.scope = scope

    def exchange(
        self, tenant_id: str, client_id: str, assertion: str, authority: str | None, service_account: str
    ) -> TokenExchange:
        from azure.core.exceptions import AzureError
        from azure.identity import ClientAssertionCredential

        options: dict[str, Any] = {}
        if authority:
            options["authority"] = authority
        if self.connection_verify:
            options["connection_verify"] = self.connection_verify
        credential = ClientAssertionCredential(tenant_id, client_id, func=lambda: assertion, **options)
        try:
            with _quiet("azure.identity"):
                credential.get_token(self.scope)
        except AzureError as exc:  # ClientAuthenticationError from Entra; connection errors before it answered
            return TokenExchange(False, service_account, client_id, *_entra_error(exc))
        except ValueError as exc:  # a malformed tenant id or authority, refused before any request
            return TokenExchange(False, service_account, client_id, None, str(exc)[:300])
        finally:
            credential.close()
        return TokenExchange(True, service_account, client_id)


@contextlib.contextmanager
def _quiet(name: str) -> Iterator[None]:
    """azure-identity logs a failed get_token as a warning on stderr; the outcome is reported instead."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _entra_error(exc: Exception) -> tuple[str | None, str]:
    """The AADSTS code and Entra's description, without trace ids (or the connection error)."""
    text = str(getattr(exc, "message", None) or exc)
    match = AADSTS.search(text)
    if match is None:
        return None, text.splitlines()[0][:300] if text else type(exc).__name__
    description = _TRACE.sub("", text[match.start() :]).strip()
    return f"AADSTS{match.group(1)}", description[:600]

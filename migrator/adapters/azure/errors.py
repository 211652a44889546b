"""azure-core exceptions classified into ``migrator.errors`` service errors, in one place."""

from __future__ import annotations

from typing import Any

from migrator.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    ServiceError,
    Throttled,
    Unauthorized,
    Unavailable,
)


def classify(exc: Exception, what: str) -> ServiceError:
    """``what`` names the operation for the user, e.g. ``create federated credential x on identity y``."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )

    if isinstance(exc, ClientAuthenticationError) and getattr(exc, "status_code", None) is None:
        return Unauthorized(
            f"{what}: cannot sign in to Azure ({_first_line(exc)})",
            hint="Run `az login` (or set up workload identity / a managed identity for this runner).",
        )
    if isinstance(exc, HttpResponseError) and exc.status_code is not None:
        status = exc.status_code
        error = getattr(exc, "error", None)
        code = getattr(error, "code", None) or ""
        message = getattr(error, "message", None) or _first_line(exc)
        retry_after = _retry_after(exc.response)
        text = f"{what}: {message}" + (f" ({code})" if code else "")
        if status == 404:
            return NotFound(text, status=status, reason=code)
        if status == 401:
            return Unauthorized(text, status=status, reason=code)
        if status == 403:
            return Forbidden(text, status=status, reason=code)
        if status == 409:
            return Conflict(text, status=status, reason=code, retry_after=retry_after)
        if status == 429:
            return Throttled(text, status=status, reason=code, retry_after=retry_after)
        if status >= 500:
            return Unavailable(text, status=status, reason=code, retry_after=retry_after)
        return Invalid(text, status=status, reason=code)
    if isinstance(exc, ServiceRequestError | ServiceResponseError | HttpResponseError):
        return Unavailable(f"{what}: no answer from Azure ({_first_line(exc)})")
    return ServiceError(f"{what}: {_first_line(exc)}")


def _retry_after(response: Any) -> float | None:
    try:
        value = response.headers.get("Retry-After") if response is not None else None
        return float(value) if value is not None else None
    except (AttributeError, ValueError):
        return None


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]

"""ARM's error shape, shared by every ARM handler: handlers raise :class:`ArmError`, the
service turns it into ``{"error": {"code", "message"}}`` with the right status and headers."""

from __future__ import annotations

import math

from migrator.lab.httpd import Response, json_response
from migrator.lab.pacing import Pacing

NOT_FOUND_FIX = "For more details please go to https://aka.ms/ARMResourceNotFoundFix"

# Codes the lab answers when only a status is known (injected faults, internal errors).
STATUS_CODES = {
    400: "BadRequest",
    401: "AuthenticationFailed",
    403: "AuthorizationFailed",
    404: "ResourceNotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    412: "PreconditionFailed",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


class ArmError(Exception):
    """An ARM error answer. ``headers`` carries Retry-After only where a retry is wanted:
    azure-core retries any status >= 400 that has it."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"({code}) {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def response(self) -> Response:
        return json_response(self.status, {"error": {"code": self.code, "message": self.message}}, self.headers)


def not_found(resource_type: str, name: str, resource_group: str | None) -> ArmError:
    """ARM's 404 text: ``The Resource 'Microsoft.X/type/name' under resource group 'rg' was not found.``"""
    where = f" under resource group '{resource_group}'" if resource_group else ""
    message = f"The Resource '{resource_type}/{name}'{where} was not found. {NOT_FOUND_FIX}"
    return ArmError(404, "ResourceNotFound", message)


def bad_request(message: str, code: str = "BadRequest") -> ArmError:
    return ArmError(400, code, message)


def retry_after_headers(real_seconds: float, pacing: Pacing) -> dict[str, str]:
    """``Retry-After`` and ``retry-after-ms`` for a wait of ``real_seconds``.

    azure-core prefers ``Retry-After`` over ``retry-after-ms`` whenever both are present
    (``azure/core/pipeline/policies/_utils.py get_retry_after``) and parses it with ``float()``.
    At real speed the header is ARM's integer (ceil, at least 1). Sped up, it carries the
    fractional real wait, so that the SDK sleeps the short real time instead of a whole second.
    """
    real_seconds = max(real_seconds, 0.001)
    millis = max(1, math.ceil(real_seconds * 1000))
    seconds = str(max(1, math.ceil(real_seconds))) if pacing.speedup == 1.0 else f"{millis / 1000:.3f}"
    return {"Retry-After": seconds, "retry-after-ms": str(millis)}

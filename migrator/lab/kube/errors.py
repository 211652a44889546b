"""API errors as the apiserver reports them: a ``Status`` object with reason, code and details.

Every failure the emulator returns goes through these constructors, so messages stay in the
apiserver's words (clients and users match on them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from migrator.lab.kube.resources import ResourceType


@dataclass
class ApiError(Exception):
    code: int
    reason: str
    message: str
    details: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message

    def status(self) -> dict:
        body: dict = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


def _details(rt: ResourceType, name: str, kind: str | None = None) -> dict:
    details = {"name": name, "kind": kind or rt.plural}
    if rt.group:
        details["group"] = rt.group
    return details


def not_found(rt: ResourceType, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{rt.group_resource} "{name}" not found', _details(rt, name))


def namespace_not_found(name: str) -> ApiError:
    return ApiError(404, "NotFound", f'namespaces "{name}" not found', {"name": name, "kind": "namespaces"})


def already_exists(rt: ResourceType, name: str) -> ApiError:
    return ApiError(409, "AlreadyExists", f'{rt.group_resource} "{name}" already exists', _details(rt, name))


def conflict(rt: ResourceType, name: str) -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {rt.group_resource} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again",
        _details(rt, name),
    )


def precondition_failed(rt: ResourceType, name: str, what: str) -> ApiError:
    return ApiError(
        409, "Conflict", f'Operation cannot be fulfilled on {rt.group_resource} "{name}": {what}', _details(rt, name)
    )


@dataclass(frozen=True)
class Cause:
    field: str
    type: str  # FieldValueRequired, FieldValueInvalid, FieldValueForbidden, ...
    message: str  # e.g. "Required value", 'Invalid value: "x": field is immutable'


def invalid(rt: ResourceType, name: str, causes: list[Cause]) -> ApiError:
    kind = f"{rt.kind}.{rt.group}" if rt.group else rt.kind
    text = ", ".join(f"{c.field}: {c.message}" for c in causes)
    message = f'{kind} "{name}" is invalid: ' + (f"[{text}]" if len(causes) > 1 else text)
    details = _details(rt, name, kind=rt.kind)
    details["causes"] = [{"reason": c.type, "message": c.message, "field": c.field} for c in causes]
    return ApiError(422, "Invalid", message, details)


def forbidden(rt: ResourceType, name: str, why: str) -> ApiError:
    return ApiError(403, "Forbidden", f'{rt.group_resource} "{name}" is forbidden: {why}', _details(rt, name))


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def method_not_allowed(message: str = "the server does not allow this method on the requested resource") -> ApiError:
    return ApiError(405, "MethodNotAllowed", message)


def unsupported_media_type(content_type: str) -> ApiError:
    return ApiError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
        + ("" if "strategic" in content_type else ", application/strategic-merge-patch+json"),
    )


def expired(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def internal(message: str) -> ApiError:
    return ApiError(500, "InternalError", f"Internal error occurred: {message}")

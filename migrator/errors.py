"""The one error family users see; the CLI boundary turns it into exit codes."""

from __future__ import annotations

EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_FAILED = 3
EXIT_INTERRUPTED = 130


class WimigrateError(Exception):
    """An expected failure, with a message written for the user (no traceback)."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InputError(WimigrateError):
    """Bad input: a missing path, an unreadable or malformed plan file, a bad option value."""

    exit_code = EXIT_USAGE


class ServiceError(WimigrateError):
    """A Kubernetes or Azure request that failed; adapters classify every failure into one subclass.

    ``status`` is the HTTP status (0 when no answer came), ``reason`` the service's own word for
    it (``NotFound``, ``Conflict``, ``ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity``).
    """

    transient = False

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        reason: str = "",
        retry_after: float | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.reason = reason
        self.retry_after = retry_after


class NotFound(ServiceError):
    """The object does not exist: a normal outcome for reads before a create and for repeated deletes."""


class AlreadyExists(ServiceError):
    """A create found the object there already: a normal outcome of an idempotent step."""


class Conflict(ServiceError):
    """A stale resourceVersion, or Azure's concurrent-write refusal: read again, then retry."""

    transient = True


class Forbidden(ServiceError):
    """Authenticated but not allowed (RBAC, Azure role): say which permission is missing."""


class Unauthorized(ServiceError):
    """No valid credential: the kubeconfig, `az login` or the workload identity token."""


class Invalid(ServiceError):
    """The service rejected the request's content (422, most 400s): retrying cannot help."""


class Throttled(ServiceError):
    """429: wait for ``retry_after`` (the service's Retry-After), then retry."""

    transient = True


class Unavailable(ServiceError):
    """5xx, a reset connection or a timeout: safe to retry an idempotent step."""

    transient = True

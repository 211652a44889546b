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

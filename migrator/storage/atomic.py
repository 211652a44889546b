"""Atomic file writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import contextlib
import os
import tempfile


def write_bytes(path: str, data: bytes, mode: int | None = None) -> None:
    """Write via a temp file in the same directory, fsync, then rename over ``path``.

    The file keeps its current mode unless ``mode`` is given (new files: ``mode`` or 0644).
    """
    directory = os.path.dirname(os.path.abspath(path))
    try:
        current = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        current = None
    final_mode = mode if mode is not None else (current if current is not None else 0o644)
    fd, tmp = tempfile.mkstemp(prefix=".wimigrate-", dir=directory)
    try:
        os.fchmod(fd, final_mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path: str, text: str, mode: int | None = None) -> None:
    write_bytes(path, text.encode("utf-8"), mode)

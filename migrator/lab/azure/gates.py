"""Test hooks that park lab work at a known point: how tests make two requests overlap (or a
long-running operation stay in flight) deterministically, without sleeping."""

from __future__ import annotations

import threading


class Gate:
    """Work that reaches the gate waits there until :meth:`release` (or ``timeout``, a safety net)."""

    def __init__(self, timeout: float = 60.0) -> None:
        self._cond = threading.Condition()
        self._arrived = 0
        self._open = False
        self._timeout = timeout

    @property
    def is_open(self) -> bool:
        with self._cond:
            return self._open

    @property
    def arrived(self) -> int:
        with self._cond:
            return self._arrived

    def pass_through(self) -> None:
        """Called by the lab: count the arrival, then wait for the release."""
        with self._cond:
            self._arrived += 1
            self._cond.notify_all()
            self._cond.wait_for(lambda: self._open, self._timeout)

    def wait_arrived(self, count: int = 1, timeout: float = 10.0) -> bool:
        """Called by the test: True once ``count`` pieces of work are parked at the gate."""
        with self._cond:
            return self._cond.wait_for(lambda: self._arrived >= count, timeout)

    def release(self) -> None:
        with self._cond:
            self._open = True
            self._cond.notify_all()

    def __enter__(self) -> Gate:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

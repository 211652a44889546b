"""Token buckets for ARM's documented request limits, in lab time.

Rates are nominal (Azure's numbers); the buckets refill at ``pacing.rate(nominal)`` so a sped-up
lab throttles in the same proportions, only faster.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from migrator.lab.pacing import Pacing


@dataclass(frozen=True)
class RateLimit:
    """``per_second`` nominal requests per second, with bursts of up to ``burst`` requests."""

    per_second: float
    burst: float = 1.0


# Federated identity credential create/update (domain.md section 3): 10/s per tenant,
# 2/s per subscription, 0.25/s per identity. Bursts: one second's worth, at least one request.
FIC_WRITE_LIMITS: dict[str, RateLimit] = {
    "tenant": RateLimit(10.0, 10.0),
    "subscription": RateLimit(2.0, 2.0),
    "identity": RateLimit(0.25, 1.0),
}


class _Bucket:
    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.stamp = now

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait(self) -> float:
        """Real seconds until one token is available (0 when one is)."""
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate


class Throttle:
    """Buckets per (scope, key). A request is admitted only when every bucket it touches has a
    token; a refused request takes nothing, as ARM counts only admitted requests."""

    def __init__(
        self, pacing: Pacing, limits: dict[str, RateLimit], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._pacing = pacing
        self._limits = dict(limits)
        self._clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()
        self.refused = 0  # how many requests were throttled: tests assert on it instead of timing

    def configure(self, scope: str, limit: RateLimit | None) -> None:
        """Change (or, with None, lift) one scope's limit; that scope's buckets start full."""
        with self._lock:
            if limit is None:
                self._limits.pop(scope, None)
            else:
                self._limits[scope] = limit
            self._buckets = {k: b for k, b in self._buckets.items() if k[0] != scope}

    def limit(self, scope: str) -> RateLimit | None:
        with self._lock:
            return self._limits.get(scope)

    def acquire(self, keys: Iterable[tuple[str, str]]) -> float:
        """0.0 when admitted (one token taken from each bucket), else the real seconds to wait."""
        now = self._clock()
        with self._lock:
            buckets = []
            for scope, name in keys:
                limit = self._limits.get(scope)
                if limit is None:
                    continue
                bucket = self._buckets.get((scope, name))
                if bucket is None:
                    bucket = _Bucket(self._pacing.rate(limit.per_second), max(1.0, limit.burst), now)
                    self._buckets[(scope, name)] = bucket
                bucket.refill(now)
                buckets.append(bucket)
            wait = max((b.wait() for b in buckets), default=0.0)
            if wait > 0:
                self.refused += 1
                return wait
            for bucket in buckets:
                bucket.tokens -= 1.0
            return 0.0

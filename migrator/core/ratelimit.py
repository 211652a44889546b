"""Client-side pacing to Azure's documented write limits, so a run never provokes throttling.

A reservation scheduler (GCRA without bursts): each scope (a subscription, an identity) has the
time its next request may start; a request touching several scopes starts at the latest of them
and pushes each one on by its interval. Pure: the caller supplies the clock and does the waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

# domain.md section 3: federated credential create/update, 2/s per subscription, 0.25/s per identity.
FIC_WRITES_PER_SECOND = {"subscription": 2.0, "identity": 0.25}
SAFETY_MARGIN = 0.05
"""Requests are spaced this much wider than the limit, so network jitter never makes two arrive too close."""


class RateLimiter:
    def __init__(self, per_second: dict[str, float], time_scale: float = 1.0, margin: float = SAFETY_MARGIN) -> None:
        """``time_scale`` > 1 runs the clock faster (a sped-up lab throttles at ``rate * time_scale``)."""
        self._interval = {scope: (1.0 + margin) / (rate * time_scale) for scope, rate in per_second.items()}
        self._next: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def interval(self, scope: str) -> float:
        return self._interval[scope]

    def reserve(self, keys: Iterable[tuple[str, str]], now: float) -> float:
        """The time at which a request on all ``keys`` (``(scope, key)``) may start; the slot is taken."""
        keys = [(scope, key.lower()) for scope, key in keys if scope in self._interval]
        with self._lock:
            start = max([now, *(self._next.get(k, now) for k in keys)])
            for k in keys:
                self._next[k] = start + self._interval[k[0]]
            return start


def floor_seconds(writes_per_identity: dict[str, int], identities_per_subscription: dict[str, list[str]]) -> float:
    """The least time Azure's limits allow for these writes (nominal seconds; bursts ignored)."""
    sub_rate, id_rate = FIC_WRITES_PER_SECOND["subscription"], FIC_WRITES_PER_SECOND["identity"]
    worst = 0.0
    for identities in identities_per_subscription.values():
        total = sum(writes_per_identity.get(i, 0) for i in identities)
        worst = max(worst, (total - 1) / sub_rate if total else 0.0)
    for count in writes_per_identity.values():
        worst = max(worst, (count - 1) / id_rate if count else 0.0)
    return worst

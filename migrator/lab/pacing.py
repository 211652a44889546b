"""Lab time for the things Azure makes you wait for (throttling windows, long-running
operations, write latency): a speed-up factor lets tests and benchmarks run them faster than
real time while keeping every ratio between them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pacing:
    speedup: float = 1.0

    def __post_init__(self) -> None:
        if self.speedup <= 0:
            raise ValueError("speedup must be positive")

    def seconds(self, nominal: float) -> float:
        """Real seconds that stand for ``nominal`` Azure seconds."""
        return nominal / self.speedup

    def rate(self, nominal_per_second: float) -> float:
        """Real events per second that stand for a nominal rate."""
        return nominal_per_second * self.speedup

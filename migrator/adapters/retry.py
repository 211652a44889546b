"""One retry loop for both services: transient failures only, Retry-After first, else backoff.

The SDK transports' own status retries are switched off or left to azure-core's policy
where it already honours Retry-After, so one request is never retried by two layers at once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from migrator.errors import ServiceError

T = TypeVar("T")


@dataclass
class RetryPolicy:
    attempts: int = 8
    base_delay: float = 0.2
    max_delay: float = 20.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    retries: int = 0
    """How many retries this policy has made, for reports and benchmarks."""

    def delay(self, error: ServiceError, attempt: int) -> float:
        if error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.max_delay)
        backoff = min(self.max_delay, self.base_delay * (2**attempt))
        return backoff * (0.5 + self.rng.random() / 2)

    def call(self, operation: Callable[[], T], retry_on: Callable[[ServiceError], bool] | None = None) -> T:
        """Run ``operation``; on a transient ServiceError (or one ``retry_on`` accepts) wait and run it again."""
        attempt = 0
        while True:
            try:
                return operation()
            except ServiceError as error:
                wanted = error.transient if retry_on is None else retry_on(error)
                if not wanted or attempt + 1 >= self.attempts:
                    raise
                self.sleep(self.delay(error, attempt))
                attempt += 1
                self.retries += 1

"""What every phase gets: the ports, the journal, the options, a reporter and a clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from migrator.core.changes import PHASES, Change
from migrator.ports import ClustersPort, IdentitiesPort, KubePort
from migrator.storage.journal import Journal

DEFAULT_PROPAGATION_WAIT = 10.0
"""Seconds between the last new credential and the first workload that relies on it (Entra propagation)."""

DONE, UNCHANGED, BLOCKED, FAILED, SKIPPED, PENDING = "done", "unchanged", "blocked", "failed", "skipped", "would change"


@dataclass
class ApplyOptions:
    phases: tuple[str, ...] = PHASES
    dry_run: bool = False
    force: bool = False
    propagation_wait: float = DEFAULT_PROPAGATION_WAIT
    time_scale: float = 1.0
    """> 1 against a sped-up lab: pacing and waits shrink by this factor, as the lab's clock does."""
    workers: int = 16


class Reporter(Protocol):
    def phase(self, name: str, total: int) -> None: ...

    def step(self, change: Change, status: str, detail: str = "") -> None: ...

    def note(self, message: str) -> None: ...


class QuietReporter:
    def phase(self, name: str, total: int) -> None:
        pass

    def step(self, change: Change, status: str, detail: str = "") -> None:
        pass

    def note(self, message: str) -> None:
        pass


Checkpoint = Callable[[str, Change], None]
"""Called with ``before-change`` (intent journaled) and ``after-change`` (change made, not yet recorded)."""


@dataclass
class ApplyContext:
    kube: KubePort | None
    identities: IdentitiesPort | None
    journal: Journal | None
    run_id: str
    options: ApplyOptions = field(default_factory=ApplyOptions)
    reporter: Reporter = field(default_factory=QuietReporter)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    checkpoint: Checkpoint | None = None
    """Tests inject crashes here; nothing else uses it."""
    clusters: ClustersPort | None = None
    """The managed cluster (ARM): cleanup and its rollback change podIdentityProfile through it."""

    def mark(self, point: str, change: Change) -> None:
        if self.checkpoint is not None:
            self.checkpoint(point, change)

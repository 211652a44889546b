"""What cleanup needs beyond the apply context: where verdicts are, and which managed cluster."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from migrator.core.cleanup_facts import CleanupOptions


@dataclass
class CleanupSettings:
    journal_dir: Path
    """Where the verdicts (``verify``) and earlier cleanups are journaled."""
    cluster_id: str | None = None
    """The AKS managed cluster: AKS-managed pod identities are removed through its podIdentityProfile."""
    options: CleanupOptions = field(default_factory=CleanupOptions)

"""Cleanup's own records in its journal, beyond intents and outcomes.

Removing the label changes the workload's ``metadata.generation``, which would otherwise make its
verdict look stale to the next cleanup. A ``cleaned`` record says which generation cleanup itself
produced from which verified one, so running cleanup again is not refused for its own change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from migrator.storage.journal import Journal, latest_records

CLEANED = "cleaned"


def cleaned_record(key: str, generation: Any, verified: Any) -> dict[str, Any]:
    return {"type": CLEANED, "key": key, "generation": generation, "verified": verified}


def record_cleaned(journal: Journal, key: str, generation: Any, verified: Any) -> None:
    journal.append(cleaned_record(key, generation, verified))


def recorded_cleanups(directory: Path) -> dict[str, dict[str, Any]]:
    """The newest ``cleaned`` record per workload key across the cleanup journals in ``directory``."""
    return latest_records(directory, CLEANED, command="cleanup")

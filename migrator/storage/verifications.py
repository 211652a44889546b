"""Verification verdicts on disk: ``verify`` journals each one; ``cleanup`` acts only on passed ones.

A verdict is a ``verified`` record in a journal whose header says ``command: verify``. It holds
the check names, causes and details (never a token) and the workload's ``generation`` at the time,
so that a workload changed since its verification is verified again before anything is removed.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from migrator.core.verification import WorkloadVerdict
from migrator.errors import InputError
from migrator.storage.journal import Journal, journal_paths, latest_records

VERIFIED = "verified"


def verdict_record(verdict: WorkloadVerdict, *, token_exchange: bool) -> dict[str, Any]:
    return {
        "type": VERIFIED,
        "key": verdict.key,
        "ref": verdict.ref,
        "passed": verdict.passed,
        "generation": verdict.generation,
        "tokenExchange": token_exchange,
        "failed": [{"check": c.name, "cause": c.cause, "detail": c.detail} for c in verdict.failed],
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def record_verdicts(journal: Journal, verdicts: list[WorkloadVerdict], *, token_exchange: bool) -> None:
    journal.extend([verdict_record(verdict, token_exchange=token_exchange) for verdict in verdicts])


def recorded_verdicts(directory: Path) -> dict[str, dict[str, Any]]:
    """The newest ``verified`` record per workload key across the journals in ``directory``."""
    return latest_records(directory, VERIFIED)


def latest_plan_with(directory: Path, key: str) -> dict[str, Any] | None:
    """The plan (as a dict) of the newest apply or verify journal that names this workload key."""
    from migrator.core.changes import workload_key

    for path in journal_paths(directory, newest_first=True):
        try:
            header = Journal.open(path).header
        except InputError:
            continue
        plan = header.get("plan")
        workloads = plan.get("workloads") if isinstance(plan, dict) else None
        for w in workloads if isinstance(workloads, list) else []:
            if isinstance(w, dict) and workload_key(w.get("namespace"), w.get("kind"), w.get("name")) == key:
                return plan
    return None

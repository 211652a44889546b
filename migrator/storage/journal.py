"""The journal: every live change, written (and fsynced) before it is made.

A JSON-lines file, mode 0600, in ``.wimigrate/``. Records:

- ``run``: the header, with the run id, the target and the whole plan (so ``--resume`` needs
  nothing else; the plan holds names, ids and issuer, never a secret);
- ``intent``: a change about to be made, with the prior values of exactly the fields it touches;
- ``done`` / ``failed``: how that change ended (by ``seq``);
- ``undone``: rollback restored it; ``end``: the run finished (``completed``, ``failed``).

No token, secret or object body beyond the touched fields is ever written.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrator.errors import InputError

JOURNAL_VERSION = 1
DEFAULT_DIR = Path(".wimigrate")


class Journal:
    def __init__(self, path: Path, records: list[dict] | None = None) -> None:
        self.path = path
        self.records: list[dict] = list(records or [])
        self._lock = threading.Lock()
        self._seq = max((r.get("seq", 0) for r in self.records), default=0)
        self._latest = {r["key"]: r["seq"] for r in self.records if r.get("type") == "intent"}

    @classmethod
    def create(cls, directory: Path, header: dict[str, Any]) -> Journal:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        for attempt in range(1000):
            path = directory / (f"journal-{stamp}.jsonl" if not attempt else f"journal-{stamp}-{attempt}.jsonl")
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            os.close(fd)
            journal = cls(path)
            journal.append({"type": "run", "version": JOURNAL_VERSION, **header})
            return journal
        raise InputError(f"Cannot create a journal in {directory}: too many runs in one second")

    @classmethod
    def open(cls, path: Path) -> Journal:
        return cls(path, read_records(path))

    def append(self, record: dict[str, Any]) -> dict[str, Any]:
        """Write one record durably; ``intent`` records get the next ``seq``."""
        return self.extend([record])[0]

    def extend(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Write records durably with one fsync (a round's verdicts); ``intent`` records get the next ``seq``."""
        with self._lock:
            written = []
            for record in records:
                if record.get("type") == "intent" and "seq" not in record:
                    self._seq += 1
                    record = {"seq": self._seq, **record}
                written.append(record)
            text = "".join(json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n" for r in written)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, text.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
            for record in written:
                self.records.append(record)
                if record.get("type") == "intent":
                    self._latest[record["key"]] = record["seq"]
            return written

    def latest_seq(self, key: str) -> int | None:
        """The seq of the newest intent for ``key`` (a create that turned into a patch has two)."""
        with self._lock:
            return self._latest.get(key)

    @property
    def header(self) -> dict[str, Any]:
        return self.records[0] if self.records and self.records[0].get("type") == "run" else {}

    def state(self) -> JournalState:
        return JournalState.of(self.records)


@dataclass
class JournalState:
    """The journal folded: per change key, its intent and how it ended."""

    intents: dict[str, dict] = field(default_factory=dict)
    """Latest intent per key."""
    outcomes: dict[int, dict] = field(default_factory=dict)
    """``done``/``failed`` record per seq."""
    undone: set[int] = field(default_factory=set)
    order: list[int] = field(default_factory=list)
    """Seqs of intents in the order they were written."""
    ended: str | None = None

    @classmethod
    def of(cls, records: list[dict]) -> JournalState:
        state = cls()
        for record in records:
            kind = record.get("type")
            if kind == "intent":
                state.intents[record["key"]] = record
                state.order.append(record["seq"])
            elif kind in ("done", "failed"):
                state.outcomes[record["seq"]] = record
            elif kind == "undone":
                state.undone.add(record["seq"])
            elif kind == "end":
                state.ended = record.get("status")
        return state

    def finished(self, key: str) -> bool:
        intent = self.intents.get(key)
        return intent is not None and (self.outcomes.get(intent["seq"]) or {}).get("type") == "done"


def read_records(path: Path) -> list[dict]:
    """Every complete record; a torn last line (a crash mid-write) is ignored, any other damage is an error."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the journal ({exc.strerror or exc})") from exc
    lines = text.split("\n")
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            if number == len(lines) and not text.endswith("\n"):
                break  # the write the crash interrupted; its change was never made
            raise InputError(f"{path}:{number}: not a journal record ({exc.msg})") from exc
    if not records or records[0].get("type") != "run":
        raise InputError(
            f"{path}: not a wimigrate journal (no run header)", hint="Journals are .wimigrate/journal-*.jsonl"
        )
    return records


def latest_unfinished(directory: Path) -> Path | None:
    """The newest apply journal whose run did not end ``completed``: what ``apply --resume`` continues.

    Journals of other commands (``cleanup``, ``verify``) are never picked; old journals have no ``command``.
    """
    for path in journal_paths(directory, newest_first=True):
        try:
            records = read_records(path)
        except InputError:
            continue
        if records[0].get("command", "apply") != "apply":
            continue
        state = JournalState.of(records)
        if state.ended != "completed":
            return path
    return None


def journal_paths(directory: Path, *, newest_first: bool = False) -> list[Path]:
    """The journals in ``directory`` in the order they were written (modification time, then name)."""
    if not directory.is_dir():
        return []
    paths = sorted(directory.glob("journal-*.jsonl"), key=lambda p: (p.stat().st_mtime, p.name))
    return paths[::-1] if newest_first else paths


def latest_records(directory: Path, record_type: str, command: str | None = None) -> dict[str, dict[str, Any]]:
    """The newest record of ``record_type`` per ``key`` across the journals (of ``command`` only, if given);
    unreadable journals are passed over: they hold no decision anyone can rely on."""
    latest: dict[str, dict[str, Any]] = {}
    for path in journal_paths(directory):
        try:
            records = read_records(path)
        except InputError:
            continue
        if command is not None and records[0].get("command") != command:
            continue
        for record in records:
            if record.get("type") == record_type and isinstance(record.get("key"), str):
                latest[record["key"]] = record
    return latest

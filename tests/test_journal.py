"""The apply journal: durable, private, and readable after a crash."""

from __future__ import annotations

import stat

import pytest

from migrator.errors import InputError
from migrator.storage.journal import Journal, latest_unfinished, read_records


def test_journal_is_created_0600_with_its_header(tmp_path):
    journal = Journal.create(tmp_path / ".wimigrate", {"runId": "r1", "plan": {}})
    assert journal.path.name.startswith("journal-") and journal.path.suffix == ".jsonl"
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    assert read_records(journal.path)[0] == {"type": "run", "version": 1, "runId": "r1", "plan": {}}


def test_two_runs_in_one_second_get_two_journals(tmp_path):
    first = Journal.create(tmp_path, {"runId": "a"})
    second = Journal.create(tmp_path, {"runId": "b"})
    assert first.path != second.path


def test_state_folds_intents_outcomes_and_undos(tmp_path):
    journal = Journal.create(tmp_path, {"runId": "r"})
    a = journal.append({"type": "intent", "key": "a", "phase": "federate", "action": "create"})
    b = journal.append({"type": "intent", "key": "b", "phase": "workloads", "action": "patch"})
    journal.append({"type": "done", "seq": a["seq"]})
    journal.append({"type": "failed", "seq": b["seq"], "error": "boom"})
    journal.append({"type": "undone", "seq": a["seq"]})
    state = Journal.open(journal.path).state()
    assert (a["seq"], b["seq"]) == (1, 2)
    assert state.finished("a") and not state.finished("b") and state.undone == {1}
    reopened = Journal.open(journal.path)
    assert reopened.append({"type": "intent", "key": "c"})["seq"] == 3


def test_a_torn_last_line_is_ignored_but_damage_elsewhere_is_reported(tmp_path):
    journal = Journal.create(tmp_path, {"runId": "r"})
    journal.append({"type": "intent", "key": "a"})
    with open(journal.path, "a") as handle:
        handle.write('{"type": "done", "se')
    assert [r["type"] for r in read_records(journal.path)] == ["run", "intent"]
    lines = journal.path.read_text().splitlines()
    journal.path.write_text("\n".join([lines[0], "garbage", lines[1]]) + "\n")
    with pytest.raises(InputError, match=r":2: not a journal record"):
        read_records(journal.path)


def test_a_file_without_a_run_header_is_refused(tmp_path):
    path = tmp_path / "journal-x.jsonl"
    path.write_text('{"type": "intent"}\n')
    with pytest.raises(InputError, match="not a wimigrate journal"):
        read_records(path)


def test_latest_unfinished_skips_completed_runs(tmp_path):
    done = Journal.create(tmp_path, {"runId": "done"})
    done.append({"type": "end", "status": "completed"})
    open_run = Journal.create(tmp_path, {"runId": "open"})
    assert latest_unfinished(tmp_path) == open_run.path
    open_run.append({"type": "end", "status": "completed"})
    assert latest_unfinished(tmp_path) is None

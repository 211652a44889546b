"""Issue 5: a run that dies around any change resumes to the same end state, creates every credential
exactly once, and rolls back completely.

For each checkpoint point and every step k, apply crashes at the k-th call of ``ApplyContext.checkpoint``
at that point (``before-change``: intent journaled, nothing done; ``after-change``: change made, not yet
recorded). Then a new context over ``Journal.open(path)``, with the run id and plan of the journal's
header, observes and executes again. One lab per point: after each k the rollback must bring the lab
back to the state it started from, which is what the next k starts from.
"""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from migrator.core.plan import Plan
from migrator.phases.apply.context import DONE, UNCHANGED, Checkpoint
from migrator.storage.journal import Journal
from tests.apply.world import State, World, comparable, normalised


class Crash(BaseException):
    """Not an Exception: nothing in apply may catch it, as nothing catches a kill or Ctrl-C."""


def crash_at(point: str, k: int) -> Checkpoint:
    calls = itertools.count(1)

    def checkpoint(where: str, change: object) -> None:
        if where == point and next(calls) == k:
            raise Crash(f"{point} #{k}")

    return checkpoint


def _credential_ids(plan: Plan) -> set[str]:
    return {f"{c.identityResourceID}/federatedIdentityCredentials/{c.name}".lower() for c in plan.federatedCredentials}


def _assert_restored(world: World, initial: State, note: str) -> None:
    world.lab.settle()
    now = world.snapshot()
    assert set(now.service_accounts) == set(initial.service_accounts), note
    assert {k: comparable(v) for k, v in now.service_accounts.items()} == {
        k: comparable(v) for k, v in initial.service_accounts.items()
    }, note
    assert {k: comparable(v) for k, v in now.workloads.items()} == {
        k: comparable(v) for k, v in initial.workloads.items()
    }, note
    assert now.credentials == initial.credentials, note


@pytest.mark.parametrize("point", ["before-change", "after-change"])
def test_crash_at_every_step_then_resume_then_rollback(world: World, point: str) -> None:
    plan, issuer = world.plan, world.info.issuer_url
    initial = world.snapshot()

    reference = world.apply()
    assert reference.report.exit_code == 0 and reference.journal is not None
    steps = len(reference.journal.state().intents)
    assert steps == len(reference.report.results) == 13
    world.lab.settle()
    expected = normalised(world.snapshot(), issuer)
    assert world.rollback(reference.journal.path).exit_code == 0
    _assert_restored(world, initial, "rollback of the uncrashed run")

    for k in range(1, steps + 1):
        note = f"crash {point} #{k}"
        creations = Counter(world.creations())
        with pytest.raises(Crash):
            world.apply(checkpoint=crash_at(point, k))
        path = max(world.journals.glob("journal-*.jsonl"), key=lambda p: p.stat().st_mtime_ns)
        interrupted = Journal.open(path).state()
        assert interrupted.ended is None and any(not interrupted.finished(key) for key in interrupted.intents), note

        resumed = world.resume(path)  # the same journal, run id and plan; nothing else carried over

        assert resumed.report.exit_code == 0, note
        assert {r.status for r in resumed.report.results} <= {DONE, UNCHANGED}, note
        assert resumed.journal is not None
        state = resumed.journal.state()
        assert state.ended == "completed" and all(state.finished(key) for key in state.intents), note
        assert len(state.intents) == steps, note
        world.lab.settle()
        assert normalised(world.snapshot(), issuer) == expected, note
        made = Counter(world.creations()) - creations
        assert dict(made) == dict.fromkeys(_credential_ids(plan), 1), note

        assert world.rollback(path).exit_code == 0, note
        _assert_restored(world, initial, note)

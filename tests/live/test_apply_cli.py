"""``apply`` and ``rollback`` through click's CliRunner, against a lab seeded with samples/quickstart.

Each test starts its own lab (about 0.1 s) and reaches it as a user would, with ``--lab-dir``;
journals go to ``tmp_path`` with ``--journal-dir``. The lab is read back with wimigrate's own
adapters (``tests.apply.world.World``) to check what changed and what did not.
"""

from __future__ import annotations

import itertools
import json
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from migrator.adapters.kube.resources import SERVICE_ACCOUNTS
from migrator.cli.main import cli
from migrator.core.changes import CREATED_BY_ANNOTATION
from migrator.lab.lab import Lab, LabConfig
from migrator.phases.apply.context import DONE, PENDING, UNCHANGED, ApplyContext, Checkpoint
from migrator.phases.apply.rollback import DELETED, RESTORED
from migrator.storage.journal import Journal
from tests.apply.world import QUICKSTART, SPEEDUP, State, World, comparable

STEPS = 13
"""The quickstart's plan: 4 federated credentials, 4 ServiceAccounts (3 new, 1 annotated), 5 workloads."""
CLIENT_ID = "azure.workload.identity/client-id"
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}")
CREATED_SAS = {"orders/orders", "payments/payments-api-wi", "platform/platform-cost-reader"}
CREDENTIALS = {
    "id-orders/orders-orders",
    "id-payments-api/payments-payments-api",
    "id-payments-api/payments-payments-api-wi",
    "id-platform-cost-reader/platform-platform-cost-reader",
}
REFUSED = "without confirmation: no terminal to ask"


class Crash(BaseException):
    """Not an Exception: nothing in apply may catch it, as nothing catches a kill."""


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with Lab(LabConfig(speedup=SPEEDUP)) as lab:
        lab.seed_manifests(QUICKSTART)
        lab.settle()
        yield World(lab, tmp_path / "journals")


def wimigrate(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1", "COLUMNS": "200", "WIMIGRATE_LAB_DIR": None})


def apply(world: World, *args: str) -> Result:
    return wimigrate("apply", *args, "--lab-dir", str(world.lab.state_dir), "--journal-dir", str(world.journals))


def rollback(world: World, journal: Path, *args: str) -> Result:
    return wimigrate("rollback", str(journal), *args, "--lab-dir", str(world.lab.state_dir))


def data(result: Result) -> Any:
    return json.loads(result.stdout)


def statuses(result: Result) -> dict[str, str]:
    return {step["key"]: step["status"] for step in data(result)["steps"]}


def journals(world: World) -> list[Path]:
    return sorted(world.journals.glob("journal-*.jsonl")) if world.journals.exists() else []


@dataclass
class Untouched:
    """The lab as it is now: a later ``check`` asserts that nothing was written since."""

    world: World
    version: str
    creations: dict[str, int]
    state: State

    @classmethod
    def now(cls, world: World) -> Untouched:
        world.lab.settle()
        return cls(world, world.store_version(), world.creations(), world.snapshot())

    def check(self) -> None:
        self.world.lab.settle()
        assert self.world.store_version() == self.version, "the cluster changed"
        assert self.world.creations() == self.creations, "a federated credential was created"
        after = self.world.snapshot()
        assert after.workloads == self.state.workloads
        assert after.service_accounts == self.state.service_accounts
        assert after.credentials == self.state.credentials


# -- dry run and confirmation -------------------------------------------------------------------


def test_dry_run_lists_every_change_and_changes_nothing(world: World) -> None:
    before = Untouched.now(world)

    result = apply(world, "-A", "--dry-run", "-o", "json")

    assert result.exit_code == 1, result.output  # a dry run with changes pending
    report = data(result)
    assert report["dryRun"] is True and report["journal"] is None
    assert report["summary"] == {PENDING: STEPS, DONE: 0, UNCHANGED: 0, "blocked": 0, "skipped": 0, "failed": 0}
    assert len(report["steps"]) == STEPS and {s["status"] for s in report["steps"]} == {PENDING}
    cluster = [s for s in report["steps"] if s["phase"] != "federate"]
    assert len(cluster) == 9 and {s["detail"] for s in cluster} == {"the API server accepts it (dry run)"}
    before.check()
    assert journals(world) == []


def test_apply_without_yes_and_without_a_terminal_refuses(world: World) -> None:
    before = Untouched.now(world)

    result = apply(world, "-A")

    assert result.exit_code == 2, result.output
    assert f"Refusing to change anything ({STEPS} change(s)) {REFUSED}" in result.output
    assert "--yes" in result.output and "Traceback" not in result.output
    assert "create" in result.stdout  # the table of what it would have done came first
    before.check()
    assert journals(world) == []


# -- apply, and apply again ----------------------------------------------------------------------


def test_apply_writes_a_private_journal_without_tokens_and_a_second_apply_changes_nothing(world: World) -> None:
    first = apply(world, "-A", "--yes", "-o", "json")

    assert first.exit_code == 0, first.output
    report = data(first)
    assert report["dryRun"] is False and report["summary"][DONE] == STEPS
    assert {s["status"] for s in report["steps"]} == {DONE}
    [path] = journals(world)
    assert report["journal"] == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(world.journals.stat().st_mode) & 0o077 == 0
    text = path.read_text()
    assert not JWT.search(text), "a JWT (bearer or ServiceAccount token) in the journal"
    assert world.lab.token_file.read_text().strip() not in text
    journal = Journal.open(path)
    header = journal.header
    assert header["command"] == "apply" and header["runId"] == report["runId"]
    assert header["phases"] == ["federate", "serviceaccounts", "workloads"]
    assert header["target"] == {"context": "wimigrate-lab", "clusterID": world.info.cluster_id, "lab": True}
    state = journal.state()
    assert len(state.intents) == STEPS and all(state.finished(key) for key in state.intents)
    assert state.ended == "completed"
    world.lab.settle()
    applied = world.snapshot()
    assert CLIENT_ID in applied.service_accounts["payments/payments-api"]["metadata"]["annotations"]
    assert set(applied.service_accounts) >= CREATED_SAS and set(applied.credentials) >= CREDENTIALS

    after_first = Untouched.now(world)
    second = apply(world, "-A", "--yes", "-o", "json")

    assert second.exit_code == 0, second.output
    again = data(second)
    assert again["journal"] is None and again["summary"][UNCHANGED] == STEPS
    assert set(statuses(second).values()) == {UNCHANGED}
    assert set(statuses(second)) == set(statuses(first))
    table = apply(world, "-A", "--yes")
    assert table.exit_code == 0, table.output
    assert f"{STEPS} unchanged" in table.output and "Journal:" not in table.output
    after_first.check()
    assert journals(world) == [path]


# -- a stored plan ---------------------------------------------------------------------------------


def test_apply_a_plan_written_by_plan(world: World, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.yaml"
    planned = wimigrate("plan", "--lab-dir", str(world.lab.state_dir), "-A", "--out", str(plan_file), "-o", "json")
    assert planned.exit_code == 0, planned.output
    before = Untouched.now(world)

    for extra in (("--manifests", str(QUICKSTART)), ("-A",), ("-n", "payments")):
        refused = apply(world, str(plan_file), "--yes", *extra)
        assert refused.exit_code == 2, refused.output
        assert "A stored plan (PLAN or --resume) is applied as it is: drop the discovery options." in refused.output
    before.check()
    assert journals(world) == []

    result = apply(world, str(plan_file), "--yes", "-o", "json")

    assert result.exit_code == 0, result.output
    assert set(statuses(result).values()) == {DONE} and len(statuses(result)) == STEPS
    [path] = journals(world)
    header = Journal.open(path).header
    assert header["plan"]["workloads"] == data(planned)["workloads"]
    assert header["target"]["clusterID"] is None and header["target"]["lab"] is True
    again = apply(world, "-A", "--yes", "-o", "json")  # discovery finds the plan's work done
    assert again.exit_code == 0 and set(statuses(again).values()) == {UNCHANGED}


# -- phases ----------------------------------------------------------------------------------------


def test_only_federate_then_skip_workloads(world: World) -> None:
    before = world.snapshot()

    only = apply(world, "-A", "--yes", "--only", "federate", "-o", "json")

    assert only.exit_code == 0, only.output
    steps = data(only)["steps"]
    assert {s["phase"] for s in steps} == {"federate"} and [s["status"] for s in steps] == [DONE] * 4
    world.lab.settle()
    now = world.snapshot()
    assert set(now.credentials) - set(before.credentials) == CREDENTIALS
    assert now.service_accounts == before.service_accounts
    assert now.workloads == before.workloads
    [first] = journals(world)
    assert Journal.open(first).header["phases"] == ["federate"]

    skip = apply(world, "-A", "--yes", "--skip-phases", "workloads", "-o", "json")

    assert skip.exit_code == 0, skip.output
    by_phase: dict[str, set[str]] = {}
    for step in data(skip)["steps"]:
        by_phase.setdefault(step["phase"], set()).add(step["status"])
    assert by_phase == {"federate": {UNCHANGED}, "serviceaccounts": {DONE}}
    world.lab.settle()
    now = world.snapshot()
    assert set(now.service_accounts) - set(before.service_accounts) == CREATED_SAS
    assert CLIENT_ID in now.service_accounts["payments/payments-api"]["metadata"]["annotations"]
    assert now.workloads == before.workloads
    second = next(p for p in journals(world) if p != first)
    assert Journal.open(second).header["phases"] == ["federate", "serviceaccounts"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--only", "bogus"), "--only 'bogus': phases are federate, serviceaccounts, workloads"),
        (("--only", "federate,bogus"), "--only 'federate,bogus': phases are"),
        (("--skip-phases", "nope"), "--skip-phases 'nope': phases are"),
        (("--only", ","), "--only ',': phases are"),
        (("--only", "federate", "--skip-phases", "workloads"), "Use --only or --skip-phases, not both."),
    ],
)
def test_phase_options_usage_errors(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    """Refused before anything is read: no lab is needed (the one named does not exist)."""
    result = wimigrate("apply", "-A", "--yes", *args, "--lab-dir", str(tmp_path / "no-lab"))
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


# -- resume ----------------------------------------------------------------------------------------


def crash_at(point: str, k: int, exc: BaseException) -> Checkpoint:
    calls = itertools.count(1)

    def checkpoint(where: str, change: object) -> None:
        if where == point and next(calls) == k:
            raise exc

    return checkpoint


def test_resume_finishes_a_run_interrupted_through_the_phases_api(world: World) -> None:
    with pytest.raises(Crash):  # the 6th change (the 2nd ServiceAccount) journaled, not made
        world.apply(checkpoint=crash_at("before-change", 6, Crash()))
    [path] = journals(world)
    interrupted = Journal.open(path).state()
    assert interrupted.ended is None and sum(interrupted.finished(key) for key in interrupted.intents) == 5

    unconfirmed = apply(world, "--resume")
    assert unconfirmed.exit_code == 2 and REFUSED in unconfirmed.output
    result = apply(world, "--resume", "--yes", "-o", "json")

    assert result.exit_code == 0, result.output
    report = data(result)
    assert report["journal"] == str(path) and report["runId"] == Journal.open(path).header["runId"]
    assert set(statuses(result).values()) == {DONE} and len(report["steps"]) == STEPS - 5
    assert journals(world) == [path]  # the same journal, continued
    state = Journal.open(path).state()
    assert len(state.intents) == STEPS and all(state.finished(key) for key in state.intents)
    assert state.ended == "completed"
    check = apply(world, "-A", "--yes", "-o", "json")
    assert check.exit_code == 0 and set(statuses(check).values()) == {UNCHANGED}

    nothing = apply(world, "--resume", "--yes")
    assert nothing.exit_code == 2, nothing.output
    assert f"No unfinished run to resume in {world.journals}." in nothing.output
    named = apply(world, "--resume", str(path), "--yes")
    assert named.exit_code == 2 and "that run completed; nothing to resume" in named.output


def test_resume_a_cli_run_interrupted_by_ctrl_c_keeps_its_phases(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    before = world.snapshot()
    checkpoint = crash_at("after-change", 6, KeyboardInterrupt())
    monkeypatch.setattr(ApplyContext, "mark", lambda self, point, change: checkpoint(point, change))

    interrupted = apply(world, "-A", "--yes", "--skip-phases", "workloads")

    assert interrupted.exit_code == 130 and "Interrupted." in interrupted.output
    monkeypatch.undo()
    [path] = journals(world)
    assert Journal.open(path).state().ended is None

    result = apply(world, "--resume", "--yes", "-o", "json")

    assert result.exit_code == 0, result.output
    steps = data(result)["steps"]
    assert {s["phase"] for s in steps} == {"serviceaccounts"}  # the journal's phases, not all three
    # the 6th change was made but not recorded: found done, and confirmed in the journal
    assert [s["status"] for s in steps] == [UNCHANGED, DONE, DONE]
    state = Journal.open(path).state()
    assert len(state.intents) == 8 and all(state.finished(key) for key in state.intents)
    assert state.ended == "completed"
    assert any(r.get("detail") == "confirmed" for r in Journal.open(path).records)
    world.lab.settle()
    now = world.snapshot()
    assert set(now.service_accounts) - set(before.service_accounts) == CREATED_SAS
    assert now.workloads == before.workloads


def test_resume_with_nothing_unfinished_is_a_usage_error(world: World) -> None:
    result = apply(world, "--resume", "--yes")
    assert result.exit_code == 2, result.output
    assert f"Error: No unfinished run to resume in {world.journals}." in result.output
    assert "Hint: Name the journal: --resume FILE." in result.output


def test_a_rolled_back_run_cannot_be_resumed(world: World) -> None:
    """Resuming skips the steps the journal records as done; after a rollback they are undone, so a
    resume would patch workloads onto ServiceAccounts and credentials that no longer exist."""
    with pytest.raises(Crash):  # the 10th change (the 2nd workload) journaled, not made
        world.apply(checkpoint=crash_at("before-change", 10, Crash()))
    [path] = journals(world)
    undo = rollback(world, path, "--yes")
    assert undo.exit_code == 0, undo.output
    rolled_back = Untouched.now(world)

    for args in (("--resume",), ("--resume", str(path))):
        result = apply(world, *args, "--yes")
        assert result.exit_code == 2, result.output
        assert f"{path}: that run was rolled back; it cannot be resumed." in result.output
    rolled_back.check()
    assert Journal.open(path).state().ended is None


# -- rollback --------------------------------------------------------------------------------------


def test_rollback_restores_the_lab_and_is_safe_to_repeat(world: World) -> None:
    before = world.snapshot()
    assert "payments/payments-api" in before.service_accounts
    assert CLIENT_ID not in (before.service_accounts["payments/payments-api"]["metadata"].get("annotations") or {})
    applied = apply(world, "-A", "--yes", "-o", "json")
    assert applied.exit_code == 0, applied.output
    [path] = journals(world)
    journal_text = path.read_text()
    after_apply = Untouched.now(world)
    assert set(after_apply.state.service_accounts) >= CREATED_SAS

    unconfirmed = rollback(world, path)
    assert unconfirmed.exit_code == 2 and "Refusing to change anything" in unconfirmed.output
    dry = rollback(world, path, "--dry-run", "-o", "json")
    assert dry.exit_code == 0, dry.output
    assert len(data(dry)["steps"]) == STEPS and data(dry)["dryRun"] is True
    assert rollback(world, path, "--context", "prod", "--yes").exit_code == 2  # a lab has its own kubeconfig
    after_apply.check()
    assert path.read_text() == journal_text  # a dry run records no undo

    result = rollback(world, path, "--yes", "-o", "json")

    assert result.exit_code == 0, result.output
    undone = {step["key"]: step["status"] for step in data(result)["steps"]}
    assert undone["serviceaccount:payments/payments-api"] == RESTORED
    assert {k for k, s in undone.items() if s == DELETED} == {f"serviceaccount:{sa}" for sa in CREATED_SAS} | {
        k for k in undone if k.startswith("credential:")
    }
    assert {k for k, s in undone.items() if s == RESTORED} == {"serviceaccount:payments/payments-api"} | {
        k for k in undone if k.startswith("workload:")
    }
    world.lab.settle()
    now = world.snapshot()
    assert set(now.service_accounts) == set(before.service_accounts)
    kept = now.service_accounts["payments/payments-api"]
    assert kept["metadata"]["uid"] == before.service_accounts["payments/payments-api"]["metadata"]["uid"]
    annotations = kept["metadata"].get("annotations") or {}
    assert CLIENT_ID not in annotations and CREATED_BY_ANNOTATION not in annotations
    for key, obj in before.service_accounts.items():
        assert comparable(now.service_accounts[key]) == comparable(obj), key
    for key, obj in before.workloads.items():
        assert comparable(now.workloads[key]) == comparable(obj), key
    assert now.credentials == before.credentials

    again = rollback(world, path, "--yes")
    assert again.exit_code == 0, again.output
    assert "Nothing to undo" in again.output
    again_json = rollback(world, path, "--yes", "-o", "json")
    assert again_json.exit_code == 0 and data(again_json) == {"steps": []}


def test_rollback_of_a_create_that_became_a_patch(world: World) -> None:
    """Someone else creates a ServiceAccount between observe and write: the run journals a second intent
    (a patch, with its prior) for that change. Rollback counts and undoes the latest intent per change."""

    def someone_creates_it(where: str, change: Any) -> None:
        if where == "before-change" and change.key == "serviceaccount:orders/orders":
            body = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "orders", "namespace": "orders"}}
            world.kube.create(SERVICE_ACCOUNTS, "orders", body)

    run = world.apply(checkpoint=someone_creates_it)
    assert run.report.exit_code == 0 and run.journal is not None
    assert run.statuses["serviceaccount:orders/orders"] == DONE
    state = run.journal.state()
    assert len(state.order) == STEPS + 1 and len(state.intents) == STEPS
    assert all(state.finished(key) for key in state.intents)  # the outcome went to the latest intent
    theirs = world.service_account("orders", "orders")
    assert theirs is not None and CREATED_BY_ANNOTATION not in theirs["metadata"]["annotations"]

    unconfirmed = rollback(world, run.journal.path)
    assert unconfirmed.exit_code == 2 and f"({STEPS} change(s))" in unconfirmed.output
    result = rollback(world, run.journal.path, "--yes", "-o", "json")

    assert result.exit_code == 0, result.output
    undone = {step["key"]: step["status"] for step in data(result)["steps"]}
    assert len(data(result)["steps"]) == STEPS and undone["serviceaccount:orders/orders"] == RESTORED
    kept = world.service_account("orders", "orders")
    assert kept is not None and kept["metadata"]["uid"] == theirs["metadata"]["uid"]  # not ours: never deleted
    assert CLIENT_ID not in (kept["metadata"].get("annotations") or {})
    again = rollback(world, run.journal.path)  # nothing left: no confirmation needed
    assert again.exit_code == 0, again.output
    assert "Nothing to undo" in again.output


# -- plans with error findings ---------------------------------------------------------------------


def test_a_plan_with_error_findings_is_refused(world: World, tmp_path: Path) -> None:
    lab_dir = str(world.lab.state_dir)
    before = Untouched.now(world)
    # A plan file from manifests with two identities behind one selector.
    shared = tmp_path / "shared.yaml"
    planned = wimigrate(
        "plan", "--manifests", "samples/shared-selector", "--issuer", world.info.issuer_url, "--out", str(shared)
    )
    assert planned.exit_code == 1, planned.output
    result = apply(world, str(shared), "--yes")
    assert result.exit_code == 2, result.output
    assert "The plan has 1 error finding(s), so nothing is applied: multiple-identities-for-selector" in result.output

    # A good plan file, with an error finding edited in.
    edited = tmp_path / "edited.yaml"
    assert wimigrate("plan", "--lab-dir", lab_dir, "-A", "--out", str(edited)).exit_code == 0
    plan = yaml.safe_load(edited.read_text())
    plan["findings"].append({"code": "hand-made-error", "severity": "error", "message": "edited in for the test"})
    edited.write_text(yaml.safe_dump(plan))
    result = apply(world, str(edited), "--yes", "-o", "json")
    assert result.exit_code == 2, result.output
    assert "hand-made-error: edited in for the test" in result.output and result.stdout == ""
    before.check()

    # Discovery that finds such a pod in the cluster refuses too.
    world.lab.seed_manifests(Path("samples/shared-selector"))
    seeded = Untouched.now(world)
    result = apply(world, "-A", "--yes")
    assert result.exit_code == 2, result.output
    assert "error finding(s), so nothing is applied: multiple-identities-for-selector" in result.output
    seeded.check()
    assert journals(world) == []

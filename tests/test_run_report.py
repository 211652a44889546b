"""The playbook run report: verdict, exit code, and the Markdown a pull request gets."""

from __future__ import annotations

from migrator.core.run_report import FAILED, PASSED, SKIPPED, PhaseOutcome, RunReport


def report(*phases: PhaseOutcome) -> RunReport:
    return RunReport("modern-sdk", "playbooks/modern-sdk.yaml", {"context": "prod", "lab": False}, phases=list(phases))


def test_every_phase_passed() -> None:
    r = report(PhaseOutcome("discover", PASSED, "3 identities"), PhaseOutcome("verify", PASSED, "5 of 5"))
    assert r.passed and r.exit_code == 0
    text = r.to_markdown()
    assert text.startswith("### wimigrate run `modern-sdk`: ✅ passed\n")
    assert "| verify | ✅ passed | 5 of 5 |" in text
    assert "Target: context `prod`" in text and "lab" not in text.split("\n")[2]


def test_a_failed_check_is_exit_1_and_a_failed_change_exit_3() -> None:
    checks = report(PhaseOutcome("verify", FAILED, "4 of 5", ["a/Deployment/b: credential (credential-missing)"], 1))
    assert not checks.passed and checks.exit_code == 1
    changes = report(PhaseOutcome("apply", FAILED, "1 failed", exit_code=3), PhaseOutcome("verify", SKIPPED, "not run"))
    assert changes.exit_code == 3
    assert "| verify | ⏭️ skipped | not run |" in changes.to_markdown()


def test_details_and_journals_are_listed_with_pipes_escaped() -> None:
    r = report(
        PhaseOutcome("cleanup", FAILED, "refused", ["refused a|b: not\nverified"], 1, journal=".wimigrate/j.jsonl")
    )
    text = r.to_markdown()
    assert "<summary>cleanup: 1 item(s)</summary>" in text
    assert "- refused a\\|b: not verified" in text
    assert "`.wimigrate/j.jsonl`" in text


def test_to_dict_is_the_machine_readable_report() -> None:
    data = report(PhaseOutcome("plan", PASSED, "ok", data={"workloads": []})).to_dict()
    assert data["kind"] == "RunReport" and data["passed"] is True and data["exitCode"] == 0
    assert data["phases"][0] == {
        "name": "plan",
        "status": "passed",
        "summary": "ok",
        "details": [],
        "exitCode": 0,
        "journal": None,
        "seconds": 0.0,
        "report": {"workloads": []},
    }

"""What a playbook run did, phase by phase: the machine-readable report and a pull-request comment (pure).

Each phase ends ``passed`` (it did what it should, changes included), ``failed`` (a check failed, a change
was blocked or refused, or a change failed) or ``skipped`` (an earlier phase failed, so nothing after it
ran: a cleanup never follows a failed verification). The run passes only when no phase failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migrator.errors import EXIT_FAILED, EXIT_FINDINGS

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
MARK = {PASSED: "✅", FAILED: "❌", SKIPPED: "⏭️"}


@dataclass
class PhaseOutcome:
    name: str
    status: str
    summary: str
    details: list[str] = field(default_factory=list)
    """Lines worth a reader's attention: failed checks, blocked changes, notes."""
    exit_code: int = 0
    data: dict[str, Any] = field(default_factory=dict)
    """The phase's own report (as its command prints it with -o json)."""
    journal: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "summary": self.summary,
            "details": list(self.details),
            "exitCode": self.exit_code,
            "journal": self.journal,
            "seconds": round(self.seconds, 3),
            "report": self.data,
        }


@dataclass
class RunReport:
    playbook: str
    source: str
    """The playbook file."""
    target: dict[str, Any]
    dry_run: bool = False
    phases: list[PhaseOutcome] = field(default_factory=list)
    started: str = ""
    finished: str = ""

    @property
    def passed(self) -> bool:
        return all(p.status != FAILED for p in self.phases)

    @property
    def exit_code(self) -> int:
        """0 every phase passed; 3 a change failed; 1 another failure (a check, a refusal, a blocked change)."""
        codes = [p.exit_code or EXIT_FINDINGS for p in self.phases if p.status == FAILED]
        if not codes:
            return 0
        return EXIT_FAILED if EXIT_FAILED in codes else EXIT_FINDINGS

    def to_dict(self) -> dict[str, Any]:
        return {
            "apiVersion": "wimigrate.io/v1",
            "kind": "RunReport",
            "playbook": self.playbook,
            "source": self.source,
            "target": dict(self.target),
            "dryRun": self.dry_run,
            "passed": self.passed,
            "exitCode": self.exit_code,
            "started": self.started,
            "finished": self.finished,
            "phases": [p.to_dict() for p in self.phases],
        }

    def to_markdown(self) -> str:
        """A pull-request comment: the verdict, a table of phases, then what needs attention."""
        verdict = "passed" if self.passed else "failed"
        dry = " (dry run)" if self.dry_run else ""
        lines = [
            f"### wimigrate run `{self.playbook}`{dry}: {MARK[PASSED if self.passed else FAILED]} {verdict}",
            "",
            f"Target: {_target_text(self.target)}",
            "",
            "| phase | result | summary |",
            "| --- | --- | --- |",
        ]
        lines += [f"| {p.name} | {MARK[p.status]} {p.status} | {_cell(p.summary)} |" for p in self.phases]
        for phase in self.phases:
            if phase.details:
                lines += ["", f"<details><summary>{phase.name}: {len(phase.details)} item(s)</summary>", ""]
                lines += [f"- {_cell(d)}" for d in phase.details]
                lines += ["", "</details>"]
        journals = [p.journal for p in self.phases if p.journal]
        if journals:
            lines += ["", "Journals (undo with `wimigrate rollback JOURNAL`): " + ", ".join(f"`{j}`" for j in journals)]
        return "\n".join(lines) + "\n"


def _target_text(target: dict[str, Any]) -> str:
    parts = [k if v is True else f"{k} `{v}`" for k, v in target.items() if v not in (None, "", [], False)]
    return ", ".join(parts) or "none"


def _cell(text: str) -> str:
    """Markdown table cells and list items: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")

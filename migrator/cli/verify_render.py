"""Showing verification: live status while waiting, then per workload each failed check with cause and fix."""

from __future__ import annotations

import sys
from typing import Any

from migrator.cli.render import _table, console
from migrator.core.verification import CREDENTIAL, TOKEN_EXCHANGE

CHECK_STYLE = {"pass": "green", "fail": "bold red", "skip": "dim"}


def print_report(report: Any, next_step: str | None = "wimigrate cleanup") -> None:
    """A summary table, then per failing workload each failed check: what is wrong, then the fix on its
    own unwrapped line, so a command can be copied whole."""
    from rich.text import Text

    out = console()
    rows = []
    for verdict in report.verdicts:
        if verdict.passed:
            checked = sum(1 for c in verdict.checks if c.status == "pass")
            rows.append([verdict.ref, Text("passed", style="green"), f"{checked} checks passed"])
        else:
            rows.append([verdict.ref, Text("failed", style="bold red"), ", ".join(c.name for c in verdict.failed)])
    if rows:
        out.print(_table("Verification", ["workload", "result", "checks"], rows))
    for verdict in report.verdicts:
        if verdict.failed:
            out.print(Text(f"\n{verdict.ref}", style="bold"))
        for check in verdict.failed:
            cause = f"{check.name} ({check.cause})" if check.cause else check.name
            out.print(Text.assemble("  ✗ ", (cause, "bold red"), f": {check.detail}"))
            if check.fix:
                out.print(f"    fix: {check.fix}", soft_wrap=True, markup=False)
    hits = [(v.ref, h) for v in report.verdicts for h in v.hits]
    if hits:
        out.print(
            _table(
                "Known failure signatures in logs and events",
                ["workload", "signature", "where", "excerpt", "likely cause and fix"],
                [[ref, h.signature, h.where, h.excerpt, f"{h.cause} {h.fix}"] for ref, h in hits],
            )
        )
    optional = (CREDENTIAL, TOKEN_EXCHANGE)  # the checks skipped for want of an option, not by the workload's kind
    skipped = sorted({(c.name, c.detail) for v in report.verdicts for c in v.checks if c.status == "skip"})
    for name, detail in (s for s in skipped if s[0] in optional):
        out.print(f"Not checked: {name} ({detail}).", style="dim")
    _print_sidecars(out, report)
    passed = sum(1 for v in report.verdicts if v.passed)
    total = len(report.verdicts)
    if not total:
        out.print("No migrated workload in the plan: nothing to verify.")
    elif report.passed:
        then = f" Next: {next_step}" if next_step else ""
        out.print(f"All {total} workload(s) passed verification.{then}", style="green")
    else:
        out.print(f"{passed} of {total} workload(s) passed verification.", style="bold red")
    if report.journal:
        out.print(f"Verdicts recorded in {report.journal}", style="dim")


def _print_sidecars(out: Any, report: Any) -> None:
    from migrator.core.sdk import retirement_note

    proxied = report.on_sidecar
    if not proxied:
        return
    out.print(
        "Still on the azwi-proxy sidecar (a migration aid, not for production): "
        + ", ".join(v.ref for v in proxied)
        + ". Once the application uses an Azure Identity SDK at or above these versions, "
        "`wimigrate retire-sidecar --workload NS/KIND/NAME` removes it:"
    )
    out.print(retirement_note())


class WaitReporter:
    """A status line on stderr while ``--wait`` re-checks failing workloads; without a terminal (CI logs), a
    line per round that leaves some failing, so a long wait shows it is alive."""

    def __init__(self, wait: float) -> None:
        self._status: Any = None
        self._lines = wait > 0 and not sys.stderr.isatty()
        if wait > 0 and sys.stderr.isatty():
            self._status = console(stderr=True).status("Verifying")
            self._status.start()

    def round(self, number: int, failing: int, total: int) -> None:
        text = f"Round {number}: {total - failing} of {total} workload(s) pass; re-checking the rest"
        if self._status is not None:
            self._status.update(text)
        elif self._lines and failing:
            print(text, file=sys.stderr, flush=True)

    def verdict(self, verdict: Any) -> None:
        pass

    def close(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

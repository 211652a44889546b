"""Showing apply and rollback: the change table before, a progress bar during, the outcome after."""

from __future__ import annotations

import sys
from typing import Any

from migrator.cli.render import _table, console

STATUS_STYLE = {
    "done": "green",
    "would change": "yellow",
    "unchanged": "dim",
    "blocked": "bold red",
    "skipped": "yellow",
    "failed": "bold red",
    "restored": "green",
    "deleted": "green",
    "nothing to undo": "dim",
}
PHASE_TITLES = {
    "federate": "Federated credentials (Azure)",
    "serviceaccounts": "ServiceAccounts",
    "workloads": "Workloads",
}


def print_changes(observed: dict[str, list[Any]]) -> None:
    """What apply is about to do, per phase."""
    from rich.text import Text

    out = console()
    unchanged = sum(1 for changes in observed.values() for c in changes if c.action == "none")
    for phase, changes in observed.items():
        rows = []
        for change in changes:
            if change.action == "none":
                continue
            label = {"create": "create", "patch": "change", "none": "unchanged", "blocked": "blocked"}[change.action]
            style = {"create": "yellow", "change": "yellow", "unchanged": "dim", "blocked": "bold red"}[label]
            rows.append([Text(label, style=style), change.message])
        if rows:
            out.print(_table(PHASE_TITLES[phase], ["action", "what"], rows))
    if unchanged:
        out.print(f"{unchanged} already as planned.")


def print_report(report: Any, title: str = "Apply") -> None:
    from rich.text import Text

    out = console()
    rows = [
        [Text(r.status, style=STATUS_STYLE.get(r.status, "")), r.message, r.detail]
        for r in report.results
        if r.status != "unchanged"
    ]
    if rows:
        out.print(_table(title + (" (dry run)" if report.dry_run else ""), ["status", "change", "result"], rows))
    counts = ", ".join(f"{report.count(s)} {s}" for s in STATUS_ORDER if report.count(s))
    out.print(counts or "Nothing to change.")
    if report.journal and not report.dry_run:
        out.print(f"Journal: {report.journal} (undo with `wimigrate rollback {report.journal}`)")


STATUS_ORDER = ("done", "would change", "unchanged", "blocked", "skipped", "failed")


def print_rollback(report: Any) -> None:
    from rich.text import Text

    rows = [[Text(r.status, style=STATUS_STYLE.get(r.status, "")), r.detail] for r in report.results]
    title = "Rollback (dry run: nothing was changed)" if report.dry_run else "Rollback"
    console().print(_table(title, ["status", "what"], rows) if rows else "Nothing to undo.")


class ProgressReporter:
    """A rich progress bar per phase on stderr (when it is a terminal), failures printed as they happen."""

    def __init__(self) -> None:
        self._progress: Any = None
        self._task: Any = None
        self._out = console(stderr=True)
        self.enabled = sys.stderr.isatty()

    def phase(self, name: str, total: int) -> None:
        self.close()
        if not self.enabled or not total:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self._out,
            transient=False,
        )
        self._progress.start()
        self._task = self._progress.add_task(PHASE_TITLES.get(name, name), total=total)

    def step(self, change: Any, status: str, detail: str = "") -> None:
        if self._progress is not None:
            self._progress.advance(self._task)
        if status == "failed":
            self._out.print(f"[bold red]failed[/] {change.message}: {detail}", markup=True, highlight=False)

    def note(self, message: str) -> None:
        self._out.print(message, markup=False, highlight=False)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

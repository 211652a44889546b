"""Verify every planned workload; with a wait, re-check the failing ones until they pass or time runs out."""

from __future__ import annotations

from dataclasses import dataclass, field

from migrator.core.changes import workload_key
from migrator.core.fields import dig, mapping
from migrator.core.plan import Plan, PlannedWorkload
from migrator.core.verification import WorkloadObservation, WorkloadVerdict, verify_workload
from migrator.errors import EXIT_FINDINGS
from migrator.phases.verify.context import VerifyContext
from migrator.phases.verify.observe import Observer
from migrator.storage.journal import Journal
from migrator.storage.verifications import record_verdicts

PROXY_CONTAINER = "azwi-proxy"


@dataclass
class VerifyReport:
    verdicts: list[WorkloadVerdict] = field(default_factory=list)
    rounds: int = 0
    waited: float = 0.0
    token_exchange: bool = False
    journal: str | None = None
    proxied: set[str] = field(default_factory=set)
    """Refs of workloads whose pods run the azwi-proxy sidecar."""

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts)

    @property
    def exit_code(self) -> int:
        """0 only when every check of every workload passed (or was not applicable)."""
        return 0 if self.passed else EXIT_FINDINGS

    @property
    def on_sidecar(self) -> list[WorkloadVerdict]:
        """Workloads still running the proxy sidecar: retire it once the application's SDK is new enough."""
        return [v for v in self.verdicts if v.mode == "sidecar" or v.ref in self.proxied]

    def to_dict(self) -> dict:
        return {
            "passed": self.passed,
            "rounds": self.rounds,
            "waited": round(self.waited, 3),
            "tokenExchange": self.token_exchange,
            "journal": self.journal,
            "workloads": [v.to_dict() for v in self.verdicts],
            "onSidecar": [v.ref for v in self.on_sidecar],
        }


def verify(plan: Plan, ctx: VerifyContext, journal: Journal | None = None) -> VerifyReport:
    """Check all planned workloads; re-check the failing ones every interval until ``wait`` runs out."""
    report = VerifyReport(token_exchange=ctx.options.token_exchange)
    verdicts: dict[str, WorkloadVerdict] = {}
    pending = list(plan.workloads)
    scale = max(ctx.options.time_scale, 1e-9)
    deadline = ctx.clock() + ctx.options.wait / scale
    started = ctx.clock()
    while True:
        report.rounds += 1
        observer = Observer(ctx, plan)
        for planned in pending:
            observation = observer.observe(planned)
            verdict = verify_workload(observation)
            verdicts[verdict.key] = verdict
            if _proxied(observation):
                report.proxied.add(verdict.ref)
        pending = [w for w in pending if not _passed(verdicts, w)]
        ctx.reporter.round(report.rounds, len(pending), len(plan.workloads))
        if not pending or ctx.clock() + ctx.options.interval / scale > deadline:
            break
        ctx.sleep(ctx.options.interval / scale)
    report.waited = ctx.clock() - started
    report.verdicts = [verdicts[k] for k in sorted(verdicts, key=lambda k: verdicts[k].ref)]
    for verdict in report.verdicts:
        ctx.reporter.verdict(verdict)
    if journal is not None:
        record_verdicts(journal, report.verdicts, token_exchange=ctx.options.token_exchange)
        journal.append({"type": "end", "status": "passed" if report.passed else "failed"})
        report.journal = str(journal.path)
    return report


def _passed(verdicts: dict[str, WorkloadVerdict], w: PlannedWorkload) -> bool:
    return verdicts[workload_key(w.namespace, w.kind, w.name)].passed


def _proxied(observation: WorkloadObservation) -> bool:
    containers = [mapping(c) for pod in observation.pods for c in dig(pod, "spec", "containers") or []]
    return any(c.get("name") == PROXY_CONTAINER for c in containers)

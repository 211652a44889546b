"""The wizard's steps, one function each, in the order they run.

Every step first looks for its answer in the session: a resumed session shows what was answered and goes
on, so the first unanswered step is the first question asked. Every answer is saved the moment it is
given. The steps that change things reuse the commands' flows: apply (validated, journaled, resumable
from its journal), verify (verdicts recorded for cleanup), cleanup (journaled), and the manifest rewrite.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from migrator.cli.wizard import decisions as D
from migrator.cli.wizard.prompts import Option, Prompts
from migrator.core.model import Workload
from migrator.core.plan import Plan
from migrator.core.planner import PlanOptions
from migrator.errors import EXIT_FAILED, EXIT_FINDINGS
from migrator.storage.wizard_state import WizardState, save_state

SHOWN = 8
"""Saved workloads listed by name on resume; more are counted."""
WAITS = (("0", "no wait: check once"), ("2m", "2 minutes"), ("5m", "5 minutes"), ("10m", "10 minutes"))
MODE_TITLES = {
    "label": "label    the application's Azure Identity SDK supports workload identity",
    "sidecar": "sidecar  an older SDK that calls IMDS: the azwi-proxy sidecar answers it",
}
NETWORK_POLICY_CHOICES = (
    ("none", "none: IMDS is protected another way"),
    ("apply", "create one per migrated namespace (journaled)"),
    ("file", "write them to a file, to review and apply myself"),
)


class Stop(Exception):
    """The session ends here for now (the user's choice or a failure); the answers so far stay saved."""

    def __init__(self, message: str, exit_code: int = 0, resumable: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.resumable = resumable


@dataclass
class Wizard:
    """One session: the saved answers, where to ask, and what was read."""

    state: WizardState
    state_path: Path
    prompts: Prompts
    base: PlanOptions
    """The plan options of the command line; the answers add modes and identity choices."""
    sources: Any
    """``cli.sources.Sources``: the inventory read and the open connections."""
    journal_dir: Path = Path(".wimigrate")
    sdk: dict[str, tuple[str | None, str]] = field(default_factory=dict)
    """Workload ref -> (proposed mode or None, why), from SDK detection (``--source``)."""
    tree: Callable[[], Any] | None = None
    """Manifest sessions: scans the tree again for the rewrite."""
    default_namespace: str = "default"
    max_file_size: int = 10 * 1024 * 1024
    pool: list[Workload] = field(default_factory=list)
    """The workloads that can be chosen (set by ``discover``)."""
    out: Any = None
    """A rich console (stdout, NO_COLOR honoured)."""

    def __post_init__(self) -> None:
        if self.out is None:
            from migrator.cli.render import console

            self.out = console()

    @property
    def answers(self) -> dict[str, Any]:
        return self.state.answers

    @property
    def live(self) -> bool:
        return self.sources.kube is not None

    def reach(self, step: str) -> None:
        if self.state.step != step:
            self.state.step = step
            self.save()

    def answer(self, key: str, value: Any, next_step: str | None = None) -> None:
        """Record an answer (and the step reached) on disk before anything else happens."""
        self.answers[key] = value
        if next_step is not None:
            self.state.step = next_step
        self.save()

    def save(self) -> None:
        save_state(self.state_path, self.state)

    def heading(self, text: str) -> None:
        self.out.print(f"\n[bold]{text}[/bold]")

    def saved(self, title: str, text: str) -> None:
        self.out.print(f"✔ {title}: {text}", markup=False, highlight=False)

    def plan_options(self) -> PlanOptions:
        return D.session_options(self.base, self.answers)

    def make_plan(self) -> Plan:
        """The plan for the chosen workloads: built over everything read (as ``wimigrate run`` builds it, so a
        replayed playbook names ServiceAccounts and credentials the same), then narrowed to the choice."""
        from migrator.core.plan_selection import select
        from migrator.core.planner import build_plan

        chosen = set(D.chosen_refs(self.answers))
        return select(
            build_plan(self.sources.inventory, self.plan_options()),
            lambda ns, kind, name: f"{ns}/{kind}/{name}" in chosen,
        )

    def confirmed_plan(self) -> Plan:
        return Plan.from_dict(self.answers["confirm"]["plan"])


def run(w: Wizard) -> None:
    """Every step in order; raises ``Stop`` when the session pauses or ends early."""
    discover(w)
    choose_namespaces(w)
    choose_workloads(w)
    choose_modes(w)
    resolve_errors(w)
    if "confirm" not in w.answers:
        preview(w)
    confirm(w)
    if w.live:
        apply(w)
        if verify(w):
            cleanup(w)
    else:
        rewrite(w)
        export(w)
    save_playbook_step(w)
    w.answer("finished", _now(), "done")
    w.out.print("\nDone. The session is recorded in " + str(w.state_path) + ".", markup=False)


# -- 1. discovery -----------------------------------------------------------------------------------


def discover(w: Wizard) -> None:
    from migrator.cli import render
    from migrator.core import findings as F
    from migrator.core.matching import discovery_findings
    from migrator.core.prerequisites import prerequisite_findings

    inventory = w.sources.inventory
    w.pool = D.candidates(inventory, w.base.force_namespaced)
    findings = discovery_findings(inventory, force_namespaced=w.base.force_namespaced)
    findings = sorted(findings + prerequisite_findings(inventory), key=F.sort_key)
    errors = sum(1 for f in findings if f.severity == F.ERROR)
    summary = f"{len(w.pool)} workload(s) on pod identity, {errors} error finding(s)"
    if "discover" in w.answers:
        w.saved("Discovery", summary)
    else:
        w.heading("Step 1: what uses pod identity")
        render.print_inventory(inventory, findings, scope=w.sources.scope())
    if not w.pool and "confirm" not in w.answers:
        raise Stop("Nothing to migrate: no workload is bound to a pod identity here.", resumable=False)
    if "discover" not in w.answers:
        w.answer("discover", {"workloads": len(w.pool), "errors": errors}, "namespaces")


# -- 2. namespaces and workloads --------------------------------------------------------------------


def choose_namespaces(w: Wizard) -> None:
    if "namespaces" in w.answers:
        w.saved("Namespaces", ", ".join(w.answers["namespaces"]))
        return
    w.reach("namespaces")
    w.heading("Step 2: what to migrate")
    counts: dict[str, int] = {}
    for workload in w.pool:
        counts[workload.namespace] = counts.get(workload.namespace, 0) + 1
    options = [Option(ns, f"{ns} ({n} workload{'s' if n != 1 else ''})", checked=True) for ns, n in counts.items()]
    chosen = w.prompts.checkbox("Namespaces to migrate", options)
    w.answer("namespaces", [ns for ns in counts if ns in chosen], "workloads")


def choose_workloads(w: Wizard) -> None:
    if "workloads" in w.answers:
        refs = w.answers["workloads"]
        shown = ", ".join(refs[:SHOWN]) + (f" and {len(refs) - SHOWN} more" if len(refs) > SHOWN else "")
        w.saved("Workloads", shown)
        return
    w.reach("workloads")
    namespaces = set(w.answers["namespaces"])
    options = [
        Option(x.ref, f"{x.kind}/{x.name}  (aadpodidbinding={x.binding_label})", checked=True, group=x.namespace)
        for x in w.pool
        if x.namespace in namespaces
    ]
    chosen = set(w.prompts.checkbox("Workloads to migrate", options))
    w.answer("workloads", [o.value for o in options if o.value in chosen], "modes")


# -- 3. modes ----------------------------------------------------------------------------------------


def choose_modes(w: Wizard) -> None:
    if "modes" in w.answers:
        modes = w.answers["modes"]
        sidecar = sorted(ref for ref, mode in modes.items() if mode == "sidecar")
        w.saved("Modes", f"sidecar for {', '.join(sidecar)}; label for the rest" if sidecar else "label for all")
        return
    w.reach("modes")
    from migrator.cli.render import _table

    by_ref = {x.ref: x for x in w.pool}
    refs = [ref for ref in w.answers["workloads"] if ref in by_ref]
    proposals = {ref: D.default_mode(by_ref[ref], w.base, w.sdk.get(ref)) for ref in refs}
    w.heading("Step 3: label or proxy sidecar, per workload")
    w.out.print(
        _table("Proposed modes", ["workload", "mode", "why"], [[r, p.mode, p.reason] for r, p in proposals.items()])
    )
    if "modesSoFar" not in w.answers and w.prompts.confirm("Use these modes?", default=True):
        modes = {ref: p.mode for ref, p in proposals.items()}
    else:
        so_far = w.answers.setdefault("modesSoFar", {})  # one workload at a time: each answer is kept at once
        w.save()
        for ref, proposal in proposals.items():
            if ref in so_far:
                w.saved(f"Mode for {ref}", so_far[ref])
                continue
            options = [Option(mode, title) for mode, title in MODE_TITLES.items()]
            w.out.print(f"{ref}: {proposal.mode} proposed ({proposal.reason})", markup=False, highlight=False)
            so_far[ref] = w.prompts.select(f"Mode for {ref}?", options, default=proposal.mode)
            w.save()
        modes = {ref: so_far[ref] for ref in proposals}
        w.answers.pop("modesSoFar", None)
    w.answer("modes", modes, "resolve")


# -- 4. error findings ------------------------------------------------------------------------------


def resolve_errors(w: Wizard) -> None:
    """Ask about each error finding in the way of the chosen workloads until none is left."""
    from migrator.core.prerequisites import prerequisite_findings

    record = w.answers.get("resolve") or {}
    if record.get("done"):
        _show_resolutions(w, record)
        return
    w.reach("resolve")
    record = {"identityFor": {}, "modes": {}, "excluded": [], "accepted": [], "handled": [], **record}
    inventory = w.sources.inventory
    asked = False
    while True:
        chosen = D.chosen_refs(w.answers)
        if not chosen:
            raise Stop("Every chosen workload was left out: nothing to migrate.", resumable=False)
        findings = w.make_plan().findings + prerequisite_findings(inventory)
        pending = [
            b
            for b in D.blockers(findings, inventory, chosen, w.base.force_namespaced)
            if b.key not in record["accepted"]
        ]
        if not pending:
            if not asked:
                w.heading("Step 4: no error finding stands in the way")
            break
        if not asked:
            w.heading("Step 4: error findings to resolve")
            asked = True
        blocker = pending[0]
        action = _ask(w, blocker, again=blocker.key in record["handled"])
        if action == D.QUIT:
            w.answer("resolve", record)
            raise Stop(f"Stopped to fix {blocker.finding.code}; the fix is shown above.", EXIT_FINDINGS)
        kind, _, value = action.partition(":")
        if kind == D.CHOOSE_IDENTITY:
            record["identityFor"][D.identity_choice_key(blocker)] = value
        elif kind == D.USE_LABEL:
            record["modes"].update({ref: "label" for ref in blocker.workloads})
        elif kind == D.EXCLUDE:
            record["excluded"] += [ref for ref in blocker.workloads if ref not in record["excluded"]]
        elif kind == D.CONTINUE:
            record["accepted"].append(blocker.key)
        record["handled"].append(blocker.key)
        w.answer("resolve", record)
    record["done"] = True
    w.answer("resolve", record, "preview")


def _ask(w: Wizard, blocker: D.Blocker, again: bool) -> str:
    f = blocker.finding
    where = f.object or f.source or "everything read"
    w.out.print(f"[bold red]error[/] {f.code} ({where})", highlight=False)
    w.out.print(f"  {f.message}", markup=False, highlight=False)
    options: list[Option] = []
    for resolution in blocker.resolutions:
        if again and resolution in (D.CHOOSE_IDENTITY, D.USE_LABEL):
            continue  # it came back after that choice: only leaving out or stopping can help
        if resolution == D.CHOOSE_IDENTITY:
            for ident in blocker.identities:
                value = D.identity_choice_value(ident, blocker.identities)
                options.append(
                    Option(
                        f"{D.CHOOSE_IDENTITY}:{value}",
                        f"Its ServiceAccount gets {ident.namespace}/{ident.name} (client id {ident.client_id}); "
                        "the others are federated too",
                    )
                )
        elif resolution == D.USE_LABEL:
            options.append(Option(D.USE_LABEL, f"Use label mode for {', '.join(blocker.workloads)} instead"))
        elif resolution == D.EXCLUDE:
            options.append(
                Option(D.EXCLUDE, f"Leave {', '.join(blocker.workloads)} out (pod identity stays there for now)")
            )
        elif resolution == D.CONTINUE:
            options.append(Option(D.CONTINUE, "Go on: the rest was read, this stays an error"))
        elif resolution == D.QUIT:
            options.append(Option(D.QUIT, "Quit to fix it, then continue with `wimigrate wizard --resume`"))
    return w.prompts.select("How do you want to resolve it?", options, default=options[0].value)


def _show_resolutions(w: Wizard, record: dict[str, Any]) -> None:
    parts = [f"{key} -> {value}" for key, value in record.get("identityFor", {}).items()]
    parts += [f"{ref}: label mode" for ref in record.get("modes", {})]
    parts += [f"{ref} left out" for ref in record.get("excluded", [])]
    parts += [f"accepted {key.split('|', 1)[0]}" for key in record.get("accepted", [])]
    w.saved("Error findings", "; ".join(parts) if parts else "none to resolve")


# -- 5. and 6. preview and confirmation --------------------------------------------------------------


def preview(w: Wizard) -> None:
    """The plan, and for manifests the diff the rewrite makes; checked as apply would check it."""
    from migrator.cli import render

    w.reach("preview")
    w.heading("Step 5: what will change")
    plan = w.make_plan()
    # the infos were in the discovery summary; the preview keeps what concerns the chosen workloads
    kept = D.concerning(plan.findings, w.sources.inventory, D.chosen_refs(w.answers))
    render.print_plan(dataclasses.replace(plan, findings=kept))
    if w.live:
        _validate_apply(w, plan)
        return
    result = _rewrite_result(w)
    from migrator.cli.rewrite_cmd import _diffs, _print_diff

    diffs = _diffs(result)
    if diffs:
        _print_diff("".join(diffs.values()))
    rows = [[f.status, f.path, f.error or "; ".join(f.notes)] for f in result.files]
    if rows:
        w.out.print(render._table(f"Files ({len(rows)})", ["status", "file", "what"], rows))
    counts = ", ".join(f"{result.count(s)} {s}" for s in ("changed", "created", "deleted", "failed", "skipped"))
    w.out.print(f"Rewrite: {counts} file(s); nothing is written before you confirm.", markup=False)


def confirm(w: Wizard) -> None:
    if "confirm" in w.answers:
        w.saved("Confirmed", w.answers["confirm"]["at"])
        return
    w.reach("confirm")
    plan = w.make_plan()
    if w.live:
        where = w.sources.kube_target.context if w.sources.kube_target is not None else "the cluster"
        w.out.print(
            f"Applying creates {len(plan.federatedCredentials)} federated credential(s) in Azure, then "
            f"{len(plan.serviceAccounts)} ServiceAccount(s) and {len(plan.workloads)} workload(s) in {where}, "
            "side by side with pod identity. Every change is journaled first: `wimigrate rollback JOURNAL` "
            "undoes it.",
            markup=False,
            highlight=False,
        )
        question = f"Apply the plan to {where}?"
    else:
        question = f"Rewrite the manifests in place for {len(D.chosen_refs(w.answers))} workload(s)?"
    if not w.prompts.confirm(question, default=False):
        raise Stop("Nothing was changed. `wimigrate wizard --resume` shows the preview again.")
    w.answer("confirm", {"at": _now(), "plan": plan.to_dict()}, "apply")


def _validate_apply(w: Wizard, plan: Plan) -> None:
    """Refuse here, before the confirmation, what apply would refuse (no issuer, no Azure)."""
    from migrator.phases.apply import runner
    from migrator.phases.apply.context import ApplyContext, ApplyOptions

    live = _live(w, azure=bool(plan.federatedCredentials))
    ctx = ApplyContext(live.kube, _identities(live), None, "preview", ApplyOptions())
    runner.validate(plan, ctx)


# -- 7. apply or rewrite ----------------------------------------------------------------------------


def apply(w: Wizard) -> None:
    """The plan confirmed, applied with apply's own flow; an interrupted run continues from its journal."""
    from migrator.cli import apply_render
    from migrator.cli.apply_cmd import PHASE_NAMES
    from migrator.cli.apply_flow import ApplyRequest, run_apply

    record = dict(w.answers.get("apply") or {})
    if record.get("finished"):
        w.saved("Applied", f"{record.get('summary')}; journal {record.get('journal') or 'none (nothing to change)'}")
        return
    w.reach("apply")
    w.heading("Step 7: applying")
    plan = w.confirmed_plan()
    journal = _interrupted_journal(w.journal_dir, record["started"]) if record.get("started") else None
    if journal is not None:
        w.out.print(f"Continuing the interrupted run recorded in {journal.path}.", markup=False)
        plan = Plan.from_dict(journal.header["plan"])
    else:
        record = {"started": _now()}
        w.answer("apply", record)
    live = _live(w, azure=True)
    request = ApplyRequest(PHASE_NAMES, False, True, False, 10.0, w.journal_dir, "table", live.target(_cluster_id(w)))
    report = run_apply(plan, live, request, journal)
    apply_render.print_report(report)
    counts = ", ".join(f"{report.count(s)} {s}" for s in apply_render.STATUS_ORDER if report.count(s))
    record.update(summary=counts or "nothing to change", journal=str(report.journal) if report.journal else None)
    if report.exit_code == EXIT_FAILED:
        w.answer("apply", record)
        raise Stop(
            "A change failed (see above). Fix the cause, then `wimigrate wizard --resume` finishes the run "
            "from its journal.",
            EXIT_FAILED,
        )
    record.update(finished=True, exitCode=report.exit_code)
    w.answer("apply", record, "verify")
    if report.exit_code:
        w.out.print("Some changes were blocked or skipped: those workloads will fail verification.", style="yellow")


def rewrite(w: Wizard) -> None:
    """Manifests only: the migrate phase written in place for the chosen workloads."""
    from migrator.cli import render
    from migrator.storage.tree import write_in_place

    record = w.answers.get("apply") or {}
    if record.get("finished"):
        w.saved("Rewritten", record.get("summary", ""))
        return
    w.reach("apply")
    w.heading("Step 7: rewriting the manifests")
    result = _rewrite_result(w)
    write_in_place(result.files)
    next_step = (
        "Next: commit and deploy with the federated credentials (next step, or `wimigrate export`), run "
        "`wimigrate verify`, then `wimigrate rewrite --phase cleanup`."
    )
    render.print_rewrite(result, "in-place", None, err=False, next_step=next_step)
    summary = ", ".join(f"{result.count(s)} {s}" for s in ("changed", "created", "deleted", "failed"))
    w.answer("apply", {"finished": True, "summary": summary, "failed": result.failed}, "export")
    if result.failed:
        raise Stop("Some files could not be rewritten (see above).", EXIT_FAILED, resumable=False)


EXPORT_FILES = {"terraform": "federated.tf", "az": "federated.sh", "bicep": "federated.bicep", "json": "federated.json"}


def export(w: Wizard) -> None:
    """Manifests only: the federated credentials the rewritten manifests need, as code for the same review."""
    from migrator.export import render
    from migrator.storage.atomic import write_text

    record = w.answers.get("export")
    if record is not None:
        w.saved("Credentials", f"{record['format']} in {record['out']}" if record.get("format") else "not exported")
        return
    w.reach("export")
    w.heading("Step 8: the federated credentials")
    options = [Option(fmt, f"{fmt} ({name})") for fmt, name in EXPORT_FILES.items()]
    options.append(Option("none", "none: I create them another way"))
    fmt = w.prompts.select("Write the federated credentials as code?", options, default="terraform")
    if fmt == "none":
        w.answer("export", {}, "playbook")
        return
    out = w.prompts.text("File", default=EXPORT_FILES[fmt])
    plan = w.confirmed_plan()
    try:
        text = render(plan, fmt)
    except ValueError as exc:
        raise Stop(f"The credentials cannot be exported: {exc}", EXIT_FAILED) from None
    write_text(out, text)
    w.out.print(f"{len(plan.federatedCredentials)} federated credential(s) written to {out}.", markup=False)
    w.answer("export", {"format": fmt, "out": out}, "playbook")


def _rewrite_result(w: Wizard) -> Any:
    from migrator.phases.rewrite import run_rewrite
    from migrator.rewrite.phases import PhaseOptions

    assert w.tree is not None, "a manifest session scans its tree"
    phase = PhaseOptions("migrate", tuple(D.chosen_refs(w.answers)), w.default_namespace)
    return run_rewrite(w.tree(), phase, w.plan_options(), w.max_file_size)


# -- 8. verify ---------------------------------------------------------------------------------------


def verify(w: Wizard) -> bool:
    """Ask how to verify, then verify until every workload passes or the user stops; True when all passed."""
    from migrator.cli import verify_render
    from migrator.cli.verify_flow import VerifyRequest, run_verify
    from migrator.core.durations import parse_duration

    record = dict(w.answers.get("verify") or {})
    if record.get("passed"):
        w.saved("Verified", f"every workload passed (verdicts in {record.get('journal')})")
        return True
    w.reach("verify")
    w.heading("Step 8: verifying")
    if "wait" in record and "tokenExchange" in record:
        w.saved("Verification", _verify_text(record))
    if "wait" not in record:
        options = [Option(value, title) for value, title in WAITS]
        record["wait"] = w.prompts.select(
            "How long may verification wait for rollouts and credential propagation?", options, default="5m"
        )
        w.answer("verify", record)
    if "tokenExchange" not in record:
        w.out.print(
            "A token exchange mints a ServiceAccount token per workload and redeems it at Entra ID for the "
            "identity: proof that federation works. The applications are not touched.",
            highlight=False,
        )
        record["tokenExchange"] = w.prompts.confirm("Also prove a token exchange with Entra ID?", default=True)
        w.answer("verify", record)
    plan = w.confirmed_plan()
    live = _live(w, azure=_cluster_id(w) is not None)
    cluster = w.sources.inventory.cluster
    issuer = (cluster.issuer if cluster is not None else None) or (None if plan.issuerPlaceholder else plan.issuer)
    while True:
        request = VerifyRequest(
            bool(record["tokenExchange"]),
            parse_duration(record["wait"]),
            10.0,
            None,
            w.journal_dir,
            "table",
            live.target(_cluster_id(w)),
        )
        report = run_verify(plan, live, issuer, request, w.sources.lab)
        verify_render.print_report(report, next_step=None)
        record.update(passed=report.passed, journal=report.journal)
        w.answer("verify", record, "cleanup" if report.passed else "verify")
        if report.passed:
            return True
        again = w.prompts.select(
            "Not every workload passed. What now?",
            [
                Option("again", "Verify again (after fixing what is shown above, or to wait longer)"),
                Option("stop", "Stop here; `wimigrate wizard --resume` verifies again later"),
            ],
            default="again",
        )
        if again == "stop":
            raise Stop("Verification did not pass; pod identity stays in place.", EXIT_FINDINGS)


def _verify_text(record: dict[str, Any]) -> str:
    wait = "no wait" if record["wait"] in ("0", 0) else f"wait up to {record['wait']}"
    return wait + (", with a token exchange" if record["tokenExchange"] else ", no token exchange")


# -- 9. cleanup --------------------------------------------------------------------------------------


def cleanup(w: Wizard) -> None:
    """Offered once verification passed (default No): remove pod identity, journaled."""
    from migrator.cli.cleanup_cmd import print_report, run_cleanup
    from migrator.cli.live_plan import LivePlan
    from migrator.core.cleanup_facts import CleanupOptions

    record = dict(w.answers.get("cleanup") or {})
    if record.get("finished") or record.get("run") is False:
        w.saved("Cleanup", record.get("summary") or "not now")
        return
    w.reach("cleanup")
    if "run" not in record:
        w.heading("Step 9: removing pod identity")
        w.out.print(
            "Cleanup removes aadpodidbinding from the verified workloads, then the bindings and identities "
            "nothing uses any more; every removal is journaled and `wimigrate rollback JOURNAL` restores it.",
            highlight=False,
        )
        record["run"] = w.prompts.confirm("Every workload passed. Remove pod identity now?", default=False)
        if not record["run"]:
            w.answer("cleanup", record, "playbook")
            w.out.print("Pod identity stays. Later: `wimigrate cleanup` (it trusts the verdicts just recorded).")
            return
        w.answer("cleanup", record)
    if "networkPolicy" not in record:
        w.out.print(
            "Without NMI every pod can reach IMDS (169.254.169.254) and the nodes' identities.", highlight=False
        )
        options = [Option(value, title) for value, title in NETWORK_POLICY_CHOICES]
        record["networkPolicy"] = w.prompts.select("NetworkPolicies blocking IMDS?", options, default="none")
        if record["networkPolicy"] == "file":
            record["networkPolicyFile"] = w.prompts.text("Write them to", default="imds-networkpolicies.yaml")
        w.answer("cleanup", record)
    else:
        w.saved("Cleanup", f"yes; NetworkPolicies: {record['networkPolicy']}")
    policy = record["networkPolicy"]
    options = CleanupOptions(network_policies=policy != "none", apply_network_policies=policy == "apply")
    lp = LivePlan(w.confirmed_plan(), _live(w, azure=_cluster_id(w) is not None), None, w.sources.lab, _cluster_id(w))
    try:
        report = run_cleanup(lp, options, False, False, w.journal_dir, "table", record.get("networkPolicyFile"))
    except click.exceptions.Exit:  # the cleanup's own "Make these changes?" was answered no
        record.update(run=False, summary="declined at its confirmation")
        w.answer("cleanup", record, "playbook")
        return
    print_report(report)
    counts = ", ".join(f"{report.count(s)} {s}" for s in ("done", "blocked", "skipped", "failed") if report.count(s))
    journal = str(report.journal) if report.journal else None
    record.update(finished=True, summary=counts or "nothing to clean up", journal=journal)
    w.answer("cleanup", record, "playbook")
    if report.exit_code == EXIT_FAILED:
        raise Stop("A cleanup change failed (see above); `wimigrate rollback JOURNAL` undoes the rest.", EXIT_FAILED)


# -- finally: the playbook ---------------------------------------------------------------------------


def save_playbook_step(w: Wizard, path: str | None = None) -> None:
    from migrator.cli.wizard.record import playbook_name, session_playbook
    from migrator.storage.playbooks import save_playbook

    if "playbook" in w.answers:
        saved = w.answers["playbook"].get("path")
        w.saved("Playbook", saved or "not saved")
        return
    w.reach("playbook")
    path = path or w.state.options.get("savePlaybook")
    if not path:
        if not w.prompts.confirm("Save this session as a playbook (`wimigrate run FILE` replays it)?", default=True):
            w.answer("playbook", {"path": None}, "done")
            return
        path = w.prompts.text("Playbook file", default="wizard-playbook.yaml")
    playbook = session_playbook(
        w.state.target,
        w.state.options.get("plan") or {},
        w.answers,
        name=playbook_name(w.state.started),
        description=f"Recorded by `wimigrate wizard` (session started {w.state.started}).",
    )
    save_playbook(path, playbook)
    w.out.print(f"Playbook written to {path}; replay it with `wimigrate run {path}`.", markup=False)
    w.answer("playbook", {"path": path})


# -- connections -------------------------------------------------------------------------------------


def _live(w: Wizard, *, azure: bool) -> Any:
    from migrator.cli.connection import Live

    sources = w.sources
    if azure and sources.azure is None:
        from migrator.adapters.azure.connect import connect

        sources.azure = connect(lab=sources.lab)
    lab = sources.lab
    return Live(sources.kube, sources.kube_target, sources.azure, lab.speedup if lab else 1.0, lab is not None)


def _identities(live: Any) -> Any:
    if live.azure is None:
        return None
    from migrator.adapters.azure.identities import IdentityGateway

    return IdentityGateway(live.azure)


def _cluster_id(w: Wizard) -> str | None:
    return w.sources.cluster_id


def _interrupted_journal(directory: Path, started: str) -> Any:
    """The apply journal this session started and did not finish, if any."""
    from migrator.storage.journal import Journal, latest_unfinished

    path = latest_unfinished(directory)
    if path is None:
        return None
    journal = Journal.open(path)
    if str(journal.header.get("started") or "") < started or journal.state().undone:
        return None
    return journal


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

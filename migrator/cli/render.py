"""Printing inventories and plans: rich tables for people, JSON/YAML for machines.

rich is imported only when a table or progress bar is drawn, so ``-o json``
stays cheap and prints nothing but the document.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import click

from migrator.core.model import Finding, Inventory

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def dump(data: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data, indent=2, sort_keys=False, default=str) + "\n"
    import yaml

    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1000)


def echo_data(data: Any, fmt: str) -> None:
    click.echo(dump(data, fmt), nl=False)


def console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, no_color="NO_COLOR" in os.environ, highlight=False, soft_wrap=False)


@contextlib.contextmanager
def spinner(description: str) -> Iterator[Callable[[str], None]]:
    """A transient spinner line on stderr; yields a function that changes its text."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=None)
        yield lambda text: progress.update(task, description=text)


def scan_with_progress(paths: Iterable[str], default_namespace: str, max_file_size: int, show: bool) -> Any:
    """Scan (a ScanResult), with a progress line on stderr when it is a terminal."""
    from migrator.sources.manifests.scan import scan_tree as scan

    if not (show and sys.stderr.isatty()):
        return scan(paths, default_namespace=default_namespace, max_file_size=max_file_size)
    with spinner("Scanning manifests") as tell:
        count = 0

        def tick(path: str) -> None:
            nonlocal count
            count += 1
            if count % 50 == 0:
                tell(f"Scanning manifests ({count} files)")

        return scan(paths, default_namespace=default_namespace, max_file_size=max_file_size, on_file=tick)


PLAIN_ROWS = 60  # above this, rich's table layout costs more than it helps: plain lines


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> Any:
    from rich.text import Text

    cells = [[v if isinstance(v, Text) else Text("" if v is None else str(v)) for v in row] for row in rows]
    if len(rows) > PLAIN_ROWS:
        text = Text(f"{title}\n", style="bold")
        for row in cells:
            text.append_text(Text("  ").join(row))
            text.append("\n")
        return text
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_lines=False, expand=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in cells:
        table.add_row(*row)
    return table


def findings_table(findings: list[Finding]) -> Any:
    from rich.text import Text

    rows = [
        [Text(f.severity, style=SEVERITY_STYLE.get(f.severity, "")), f.code, f.source or f.object or "", f.message]
        for f in findings
    ]
    return _table(f"Findings ({len(findings)})", ["severity", "code", "where", "what to do"], rows)


def summary_line(findings: list[Finding]) -> str:
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("error", "warning", "info")}
    return f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info"


def print_inventory(inv: Inventory, findings: list[Finding], scope: str | None = None) -> None:
    """``scope`` describes a live read (context, namespaces, requests); a manifest scan counts its files."""
    out = console()
    if findings:
        out.print(findings_table(findings))
    out.print(
        _table(
            f"Identities ({len(inv.identities)})",
            ["namespace", "name", "type", "client id", "source"],
            [[i.namespace, i.name, i.type_name, i.client_id, i.source] for i in inv.identities],
        )
    )
    out.print(
        _table(
            f"Bindings ({len(inv.bindings)})",
            ["namespace", "name", "identity", "selector", "source"],
            [[b.namespace, b.name, b.identity, b.selector, b.source] for b in inv.bindings],
        )
    )
    workloads = sorted(inv.workloads, key=lambda w: w.key)
    managed = any(w.manager for w in workloads)  # the column only when someone else manages a workload
    out.print(
        _table(
            f"Workloads ({len(workloads)})",
            ["namespace", "kind", "name", "aadpodidbinding", "service account", *(["managed by"] * managed), "source"],
            [
                [w.namespace, w.kind, w.name, w.binding_label, w.service_account or "default"]
                + ([w.manager or ""] if managed else [])
                + [w.label_source]
                for w in workloads
            ],
        )
    )
    if inv.secret_provider_classes:
        out.print(
            _table(
                f"SecretProviderClasses ({len(inv.secret_provider_classes)})",
                ["namespace", "name", "usePodIdentity", "source"],
                [[s.namespace, s.name, s.use_pod_identity, s.source] for s in inv.secret_provider_classes],
            )
        )
    if inv.exceptions:
        out.print(
            _table(
                f"Pod identity exceptions ({len(inv.exceptions)})",
                ["namespace", "name", "pod labels"],
                [[e.namespace, e.name, ", ".join(f"{k}={v}" for k, v in e.pod_labels.items())] for e in inv.exceptions],
            )
        )
    stats = inv.stats
    if scope:
        out.print(f"{scope} {summary_line(findings)}.")
        return
    out.print(
        f"Scanned {stats.get('files', 0)} file(s), read {stats.get('filesRead', 0)}, "
        f"{stats.get('documents', 0)} relevant document(s). {summary_line(findings)}."
    )


def print_plan(plan: Any) -> None:
    out = console()
    if plan.findings:
        out.print(findings_table(plan.findings))
    out.print(
        _table(
            f"ServiceAccounts ({len(plan.serviceAccounts)})",
            ["namespace", "name", "action", "client id", "identities"],
            [
                [s.namespace, s.name, "create" if s.create else "annotate", s.clientID, ", ".join(s.identities)]
                for s in plan.serviceAccounts
            ],
        )
    )
    out.print(
        _table(
            f"Federated credentials ({len(plan.federatedCredentials)})",
            ["identity", "name", "subject", "issuer"],
            [[c.identityName, c.name, c.subject, c.issuer] for c in plan.federatedCredentials],
        )
    )
    out.print(
        _table(
            f"Workloads ({len(plan.workloads)})",
            ["namespace", "kind", "name", "service account", "mode"],
            [[w.namespace, w.kind, w.name, _sa_change(w), w.mode] for w in plan.workloads],
        )
    )
    if plan.secretProviderClasses:
        out.print(
            _table(
                f"SecretProviderClasses ({len(plan.secretProviderClasses)})",
                ["namespace", "name", "clientID"],
                [[s.namespace, s.name, s.clientID] for s in plan.secretProviderClasses],
            )
        )
    note = (
        " Issuer unknown: pass --issuer (see `az aks show ... --query oidcIssuerProfile.issuerUrl`)."
        if plan.issuerPlaceholder
        else ""
    )
    out.print(f"{summary_line(plan.findings)}.{note}")


def _sa_change(w: Any) -> str:
    before = w.previousServiceAccountName or "default"
    return w.serviceAccountName if before == w.serviceAccountName else f"{before} -> {w.serviceAccountName}"


STATUS_STYLE = {"changed": "green", "created": "green", "deleted": "yellow", "failed": "bold red", "skipped": "cyan"}


def print_rewrite(result: Any, target: str, out_dir: str | None, *, err: bool, next_step: str) -> None:
    """The files a rewrite changed, created, deleted, skipped or failed, then findings and a summary."""
    from rich.text import Text

    out = console(stderr=err)
    if result.findings:
        out.print(findings_table(result.findings))
    rows = [
        [Text(f.status, style=STATUS_STYLE.get(f.status, "")), f.path, f.error or "; ".join(f.notes)]
        for f in result.files
    ]
    if rows:
        out.print(_table(f"Files ({len(rows)})", ["status", "file", "what"], rows))
    counts = ", ".join(f"{result.count(s)} {s}" for s in ("changed", "created", "deleted", "failed", "skipped"))
    where = {"diff": "nothing written (--diff)", "in-place": "written in place", "out": f"written to {out_dir}"}
    untouched = max(result.examined - sum(1 for f in result.files if f.status != "created"), 0)
    out.print(f"Phase {result.phase}: {counts}; {where[target]}. The other {untouched} file(s) are untouched.")
    out.print(f"{summary_line(result.findings)}.")
    if result.pending and not result.failed:
        out.print(next_step if target != "diff" else "Apply with --in-place, or --out DIR for a copy.")


def print_lab_status(data: dict[str, Any]) -> None:
    out = console()
    cluster = data["cluster"]
    out.print(f"[bold]Managed cluster[/bold]  {cluster['id']}", soft_wrap=True)
    out.print(f"OIDC issuer      {cluster['oidcIssuer'] or 'disabled'}", soft_wrap=True)
    out.print(
        f"Workload identity {'enabled' if cluster['workloadIdentity'] else 'disabled'}; pod-identity add-on "
        f"{'enabled' if cluster['podIdentityAddon'] else 'disabled'}",
        soft_wrap=True,
    )
    out.print(_table("Kubernetes", ["Kind", "Count"], [[k, v] for k, v in data["kubernetes"].items()]))
    out.print(
        _table(
            "User-assigned identities",
            ["Name", "Client id", "Federated credentials"],
            [[i["name"], i["clientId"], i["federatedCredentials"]] for i in data["identities"]],
        )
    )

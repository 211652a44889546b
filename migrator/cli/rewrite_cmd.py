"""``wimigrate rewrite``: migrate manifest files in Git, one reviewable phase at a time."""

from __future__ import annotations

import sys
from typing import Any

import click

from migrator.cli.options import build_plan_options, load_tree, manifests_option, output_option, plan_options
from migrator.errors import EXIT_FINDINGS, InputError

PHASE_HELP = (
    "migrate: add workload identity beside pod identity (both work); "
    "cleanup: remove pod identity once verified; "
    "remove-sidecar: drop the proxy sidecar once the SDK is upgraded."
)
NEXT_STEP = {
    "migrate": "Next: create the federated credentials (`wimigrate export`), deploy, verify, "
    "then run `wimigrate rewrite --phase cleanup`.",
    "cleanup": "Next: deploy; then remove the pod-identity add-on or chart once no namespace uses it.",
    "remove-sidecar": "Next: deploy; the pods restart without the proxy sidecar.",
}


@click.command()
@manifests_option
@click.option(
    "--phase",
    type=click.Choice(("migrate", "cleanup", "remove-sidecar")),
    default="migrate",
    show_default=True,
    help=PHASE_HELP,
)
@plan_options
@click.option(
    "--workload",
    "workloads",
    multiple=True,
    metavar="NS/KIND/NAME",
    help="Only these workloads (glob patterns allowed; NS/NAME works too). Repeatable.",
)
@click.option("--diff", "as_diff", is_flag=True, help="Print a unified diff and change nothing (the default).")
@click.option("--dry-run", "dry_run", is_flag=True, help="Same as --diff.")
@click.option("--in-place", is_flag=True, help="Edit the files where they are.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Write a full migrated copy of the tree to this new directory.",
)
@output_option
def rewrite(
    manifests: tuple[str, ...],
    default_namespace: str,
    max_file_size: int,
    phase: str,
    workloads: tuple[str, ...],
    as_diff: bool,
    dry_run: bool,
    in_place: bool,
    out_dir: str | None,
    output: str,
    **values: Any,
) -> None:
    """Rewrite manifests for one migration phase, keeping everything else byte for byte.

    \b
    Three steps, each its own pull request:
      rewrite --phase migrate     label, ServiceAccount and SecretProviderClass changes
      (deploy, then `wimigrate verify`)
      rewrite --phase cleanup     drop aadpodidbinding and the pod-identity objects

    Comments, key order, quoting, indentation and line endings stay as they
    are; files with nothing to change are not touched. Templates (Helm) are
    listed, never changed. Exit status: 1 when a file failed, an error
    finding exists, or (with --diff) when anything would change.
    """
    from migrator.cli import render
    from migrator.core.findings import has_errors
    from migrator.phases.rewrite import run_rewrite
    from migrator.rewrite.phases import PhaseOptions

    target = _target(as_diff or dry_run, in_place, out_dir, manifests)
    plan_opts = build_plan_options(values)
    tree = load_tree(manifests, default_namespace, max_file_size, output == "table")
    result = run_rewrite(tree, PhaseOptions(phase, workloads, default_namespace), plan_opts, max_file_size)
    if target == "in-place":
        from migrator.storage.tree import write_in_place

        write_in_place(result.files)
    elif target == "out":
        from migrator.storage.tree import write_copy

        assert out_dir is not None
        write_copy(manifests[0], out_dir, result.files)
    diffs = _diffs(result) if target == "diff" else {}
    if output == "table":
        if diffs:
            _print_diff("".join(diffs.values()))
        render.print_rewrite(result, target, out_dir, err=target == "diff", next_step=NEXT_STEP[phase])
    else:
        data = _data(result, target, diffs)
        render.echo_data(data, output)
    if result.failed or has_errors(result.findings) or (target == "diff" and result.pending):
        raise click.exceptions.Exit(EXIT_FINDINGS)


def _target(as_diff: bool, in_place: bool, out_dir: str | None, manifests: tuple[str, ...]) -> str:
    chosen = [name for name, on in (("--diff", as_diff), ("--in-place", in_place), ("--out", out_dir)) if on]
    if len(chosen) > 1:
        raise InputError(f"{' and '.join(chosen)} cannot be combined", hint="Choose one of --diff, --in-place, --out.")
    if out_dir and len(manifests) != 1:
        raise InputError("--out copies one tree: give exactly one --manifests", hint="Or run once per tree.")
    return "in-place" if in_place else "out" if out_dir else "diff"


def _diffs(result: Any) -> dict[str, str]:
    """Diffs with paths relative to the working directory, so `git apply` / `patch -p1` take them there."""
    import os

    from migrator.rewrite.diff import unified_diff

    def label(path: str) -> str:
        relative = os.path.relpath(path)
        return path if relative.startswith("..") else relative

    return {f.path: text for f in result.files if (text := unified_diff(f, label=label(f.path)))}


def _print_diff(text: str) -> None:
    import os

    if not sys.stdout.isatty() or "NO_COLOR" in os.environ:
        click.echo(text, nl=False)
        return
    colours = {"+": "green", "-": "red", "@": "cyan"}
    for line in text.splitlines(keepends=True):
        bold = line.startswith(("diff --git", "+++", "---"))
        click.echo(click.style(line, fg=None if bold else colours.get(line[:1]), bold=bold), nl=False)


def _data(result: Any, target: str, diffs: dict[str, str]) -> dict[str, Any]:
    files = []
    for f in result.files:
        item = f.to_dict()
        if f.path in diffs:
            item["diff"] = diffs[f.path]
        files.append(item)
    statuses = ("changed", "created", "deleted", "failed", "skipped")
    return {
        "phase": result.phase,
        "target": target,
        "files": files,
        "findings": [x.to_dict() for x in result.findings],
        "summary": {**{s: result.count(s) for s in statuses}, "examined": result.examined},
    }

"""``wimigrate plan``: the migration plan computed from the inventory."""

from __future__ import annotations

from typing import Any

import click

from migrator.cli.options import build_plan_options, output_option, plan_options
from migrator.cli.sources import open_sources, source_options
from migrator.errors import EXIT_FINDINGS


@click.command()
@source_options
@plan_options
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write the plan to this file (.json for JSON, else YAML).",
)
@output_option
def plan(
    out_path: str | None,
    output: str,
    **values: Any,
) -> None:
    """Plan ServiceAccounts, federated credentials and workload changes.

    The plan is a plain file that later steps read (`export`, and the
    rewrite/apply commands). Exits 1 when an error finding exists.
    """
    from migrator.cli import render
    from migrator.core.findings import has_errors
    from migrator.core.planner import build_plan

    options = build_plan_options(values)
    with open_sources(values, show_progress=output == "table") as sources:
        result = build_plan(sources.inventory, options)
        scope = sources.scope()
    data = result.to_dict()
    if out_path:
        from migrator.storage.planfile import write_plan

        write_plan(out_path, data)
    if output == "table":
        render.print_plan(result)
        if scope:
            render.console().print(scope.rstrip(";") + ".")
        if out_path:
            render.console().print(f"Plan written to {out_path}.")
    else:
        render.echo_data(data, output)
    if has_errors(result.findings):
        raise click.exceptions.Exit(EXIT_FINDINGS)

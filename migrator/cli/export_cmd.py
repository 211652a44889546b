"""``wimigrate export``: the plan's federated credentials as az, Terraform, Bicep or JSON."""

from __future__ import annotations

import click


@click.command()
@click.argument("plan_file", metavar="PLAN", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("az", "terraform", "bicep", "json")),
    default="az",
    show_default=True,
    help="az: a shell script; terraform/bicep: infrastructure as code; json: data.",
)
@click.option(
    "--out", "out_path", type=click.Path(dir_okay=False, writable=True), help="Write to this file instead of stdout."
)
def export(plan_file: str, fmt: str, out_path: str | None) -> None:
    """Export the federated credentials of PLAN (written by `plan --out`)."""
    from migrator.export import render
    from migrator.storage.atomic import write_text
    from migrator.storage.planfile import read_plan

    text = render(read_plan(plan_file), fmt)
    if out_path:
        write_text(out_path, text, mode=0o755 if fmt == "az" else 0o644)
        click.echo(f"Wrote {out_path}.", err=True)
    else:
        click.echo(text, nl=False)

"""The ``wimigrate`` command group and the one place errors become exit codes.

Exit codes: 0 success; 1 error-severity findings (or, for a dry run, changes
pending); 2 usage or input error; 3 an operation failed; 130 interrupted.
"""

from __future__ import annotations

import click

from migrator import __version__
from migrator.errors import EXIT_INTERRUPTED, WimigrateError

EPILOG = (
    "Exit codes: 0 success, 1 error findings, 2 usage or input error, 3 operation failed, 130 interrupted. "
    'Shell completion: eval "$(_WIMIGRATE_COMPLETE=bash_source wimigrate)" (zsh_source, fish_source too).'
)


class LazyGroup(click.Group):
    """Imports a subcommand's module only when that subcommand runs, so --help stays fast."""

    COMMANDS = {
        "discover": ("migrator.cli.discover", "discover"),
        "plan": ("migrator.cli.plan_cmd", "plan"),
        "export": ("migrator.cli.export_cmd", "export"),
        "rewrite": ("migrator.cli.rewrite_cmd", "rewrite"),
        "lab": ("migrator.cli.lab_cmd", "lab"),
        "apply": ("migrator.cli.apply_cmd", "apply"),
        "rollback": ("migrator.cli.rollback_cmd", "rollback"),
        "cleanup": ("migrator.cli.cleanup_cmd", "cleanup"),
        "verify": ("migrator.cli.verify_cmd", "verify"),
        "retire-sidecar": ("migrator.cli.retire_cmd", "retire_sidecar"),
        "run": ("migrator.cli.run_cmd", "run"),
        "wizard": ("migrator.cli.wizard.command", "wizard"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self.COMMANDS.get(cmd_name)
        if target is None:
            return None
        module = __import__(target[0], fromlist=[target[1]])
        return getattr(module, target[1])

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except WimigrateError as exc:
            click.echo(f"Error: {exc.message}", err=True)
            if exc.hint:
                click.echo(f"Hint: {exc.hint}", err=True)
            raise click.exceptions.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None


@click.group(
    cls=LazyGroup,
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"]},
    invoke_without_command=True,
)
@click.version_option(__version__, prog_name="wimigrate")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Move AKS workloads from aad-pod-identity to Azure Workload Identity.

    \b
    Typical flow:
      wimigrate discover --manifests ./deploy        what uses pod identity
      wimigrate plan --manifests ./deploy --out plan.yaml
      wimigrate export plan.yaml --format terraform  federated credentials as code
      wimigrate rewrite --manifests ./deploy --in-place  migrate the manifests (then --phase cleanup)
      wimigrate wizard                               all of it step by step (also: bare `wimigrate`)
    """
    if ctx.invoked_subcommand is not None:
        return
    import sys

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise click.exceptions.NoArgsIsHelpError(ctx)  # as before: the help on stderr, exit code 2
    import os
    from pathlib import Path

    lab_dir = os.environ.get("WIMIGRATE_LAB_DIR")
    command = ctx.command.get_command(ctx, "wizard")  # type: ignore[attr-defined]
    ctx.invoke(command, lab_dir=Path(lab_dir) if lab_dir else None)


def main() -> None:
    cli(prog_name="wimigrate")

"""``wimigrate verify``: prove that each migrated workload authenticates with workload identity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from migrator.cli.durations import Duration
from migrator.cli.options import journal_dir_option, output_option, plan_options
from migrator.cli.sources import source_options

JOURNAL_HELP = "Where verdicts are recorded (mode 0600); cleanup reads them."


def verify_options_with(wait_default: str, journal_help: str = JOURNAL_HELP) -> Any:
    """The options verification takes, shared with ``cleanup --verify`` and ``retire-sidecar``."""
    return lambda func: _verify_options(func, wait_default, journal_help)


def _verify_options(func: Any, wait_default: str, journal_help: str) -> Any:
    decorators = [
        click.option(
            "--token-exchange",
            is_flag=True,
            help="Also mint a ServiceAccount token (TokenRequest) and redeem it at Entra for the identity: "
            "proof that federation works, without touching the application.",
        ),
        click.option(
            "--wait",
            type=Duration(),
            default=wait_default,
            show_default=wait_default != "0",
            metavar="DURATION",
            help="Re-check failing workloads until they pass or DURATION (90s, 5m) runs out: credential "
            "propagation and RBAC take minutes.",
        ),
        click.option(
            "--interval", type=Duration(), default="10s", show_default=True, metavar="DURATION", help="Between checks."
        ),
        click.option(
            "--exchange-tenant-id",
            metavar="GUID",
            help="Tenant for --token-exchange when the ServiceAccount and pods do not say.",
        ),
        journal_dir_option(journal_help),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


verify_options = verify_options_with("0")


@click.command()
@click.argument("plan_file", metavar="[PLAN]", required=False, type=click.Path(exists=True, dir_okay=False))
@source_options
@plan_options
@verify_options
@output_option
def verify(
    plan_file: str | None,
    token_exchange: bool,
    wait: float,
    interval: float,
    exchange_tenant_id: str | None,
    journal_dir: Path,
    output: str,
    **values: Any,
) -> None:
    """Check that every migrated workload really uses workload identity.

    \b
    Per workload: the rollout finished; its pods carry the label, run as the
    planned ServiceAccount, and were mutated by the webhook (token volume where
    AZURE_FEDERATED_TOKEN_FILE points, the proxy sidecar in sidecar mode); the
    ServiceAccount has the identity's client id; a federated credential matches
    the cluster's issuer (byte for byte) and the subject; with --token-exchange,
    Entra issues a token. Logs and events are scanned for known failures
    (AADSTS codes, IMDS timeouts, proxy errors, webhook denials), each explained.

    The plan comes from PLAN or from discovery (as `apply`). Verdicts are
    recorded in --journal-dir: `wimigrate cleanup` acts only on passed ones.

    Exit codes: 0 every check passed, 1 a check failed, 2 usage error,
    3 an operation failed, 130 interrupted.
    """
    from migrator.cli import render, verify_render
    from migrator.cli.live_plan import live_plan
    from migrator.cli.verify_flow import VerifyRequest, run_verify

    request = VerifyRequest(token_exchange, wait, interval, exchange_tenant_id, journal_dir, output, {})
    with live_plan(plan_file, values, output) as lp:
        request.target = lp.target
        report = run_verify(lp.plan, lp.live, lp.issuer, request, lp.lab)
    if output == "table":
        verify_render.print_report(report)
    else:
        render.echo_data(report.to_dict(), output)
    raise click.exceptions.Exit(report.exit_code)

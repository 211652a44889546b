"""``wimigrate verify``: prove that each migrated workload authenticates with workload identity."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from migrator.cli.durations import Duration
from migrator.cli.options import build_plan_options, output_option, plan_options
from migrator.cli.sources import open_sources, source_options
from migrator.errors import InputError


def verify_options_with(wait_default: str) -> Any:
    """The options verification takes, shared with ``cleanup --verify`` and ``retire-sidecar``."""
    return lambda func: _verify_options(func, wait_default)


def _verify_options(func: Any, wait_default: str) -> Any:
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
        click.option(
            "--journal-dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=Path(".wimigrate"),
            show_default=True,
            help="Where verdicts are recorded (mode 0600); cleanup reads them.",
        ),
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
    from migrator.cli.verify_flow import VerifyRequest, run_verify

    request = VerifyRequest(token_exchange, wait, interval, exchange_tenant_id, journal_dir, output, {})
    with _plan_and_live(plan_file, values, output) as (plan, live, issuer, lab_info, target):
        request.target = target
        report = run_verify(plan, live, issuer, request, lab_info)
    if output == "table":
        verify_render.print_report(report)
    else:
        render.echo_data(report.to_dict(), output)
    raise click.exceptions.Exit(report.exit_code)


@contextlib.contextmanager
def _plan_and_live(plan_file: str | None, values: dict[str, Any], output: str) -> Iterator[tuple]:
    """(plan, Live, the cluster's issuer, lab info, journal target) from PLAN or from discovery."""
    from migrator.cli.connection import Live

    plan_opts = build_plan_options(values)
    if plan_file:
        with _stored(values) as (live, issuer, info, cluster_id):
            from migrator.storage.planfile import read_plan

            plan = read_plan(plan_file)
            yield plan, live, issuer or _plan_issuer(plan), info, _target(live, cluster_id)
        return
    values["cluster"] = True
    with open_sources(values, show_progress=output == "table") as sources:
        from migrator.core.planner import build_plan

        plan = build_plan(sources.inventory, plan_opts)
        cluster = sources.inventory.cluster
        issuer = (cluster.issuer if cluster is not None else None) or _plan_issuer(plan)
        lab = sources.lab
        live = Live(sources.kube, sources.kube_target, sources.azure, lab.speedup if lab else 1.0, lab is not None)
        yield plan, live, issuer, lab, _target(live, sources.cluster_id)


@contextlib.contextmanager
def _stored(values: dict[str, Any]) -> Iterator[tuple]:
    """Connections for a stored plan: the cluster (or lab), and Azure when a lab or an AKS cluster is named."""
    from migrator.cli.connection import connect_live
    from migrator.cli.lab_options import lab_target
    from migrator.cli.sources import CLUSTER_ID

    discovery = [name for name in ("manifests", "namespaces") if values.get(name)]
    if discovery or values.get("all_namespaces"):
        raise InputError("A stored PLAN names its workloads: drop --manifests, -n and -A.")
    cluster_id = values.get("cluster_id")
    if values.get("resource_group"):
        if not values.get("aks_name") or not values.get("subscription"):
            raise InputError("-g/--resource-group needs --name and --subscription (or give --cluster-id).")
        cluster_id = CLUSTER_ID.format(values["subscription"], values["resource_group"], values["aks_name"])
    with lab_target(values["lab_dir"], values["throwaway_lab"]) as lab:
        cluster_id = cluster_id or (lab.cluster_id if lab is not None else None)
        live = connect_live(
            lab, values["kubeconfig"], values["context"], kube=True, azure=lab is not None or cluster_id is not None
        )
        issuer = None
        if cluster_id is not None and live.azure is not None:
            from migrator.adapters.azure.clusters import ClusterGateway
            from migrator.sources.azure.discover import cluster_facts

            issuer = cluster_facts(ClusterGateway(live.azure).get(cluster_id), cluster_id).issuer
        yield live, issuer, lab, cluster_id


def _plan_issuer(plan: Any) -> str | None:
    return None if plan.issuerPlaceholder else plan.issuer


def _target(live: Any, cluster_id: str | None) -> dict[str, Any]:
    return {
        "context": live.kube_target.context if live.kube_target is not None else None,
        "clusterID": cluster_id,
        "lab": live.lab,
    }

"""``wimigrate plan``: the migration plan computed from the inventory."""

from __future__ import annotations

import click

from migrator.cli.options import (
    load_inventory,
    manifests_option,
    namespaced_option,
    output_option,
    parse_assignments,
    parse_version,
)
from migrator.core.plan import DEFAULT_PROXY_PORT, MODES
from migrator.errors import EXIT_FINDINGS, InputError


@click.command()
@manifests_option
@namespaced_option
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="label",
    show_default=True,
    help="label: modern Azure Identity SDKs (label only); sidecar: old SDKs through the proxy sidecar.",
)
@click.option(
    "--workload-mode",
    multiple=True,
    metavar="NS/KIND/NAME=MODE",
    help="Mode for matching workloads (glob patterns allowed, e.g. 'legacy/*=sidecar'). Repeatable.",
)
@click.option("--issuer", metavar="URL", help="The cluster's OIDC issuer URL, exactly as AKS reports it.")
@click.option("--tenant-id", metavar="GUID", help="Annotate ServiceAccounts with this tenant id.")
@click.option(
    "--token-expiration",
    type=click.IntRange(3600, 86400),
    metavar="SECONDS",
    help="Annotate ServiceAccounts with a token expiration (3600..86400).",
)
@click.option(
    "--proxy-port",
    type=click.IntRange(1, 65535),
    default=DEFAULT_PROXY_PORT,
    show_default=True,
    help="Port of the proxy sidecar.",
)
@click.option(
    "--sa-name-pattern",
    default="{identity}",
    show_default=True,
    help="Name of ServiceAccounts the plan creates; tokens {identity} {workload} {namespace} {selector}.",
)
@click.option(
    "--fic-name-pattern",
    default=None,
    help="Federated credential names; tokens {cluster} {namespace} {serviceAccount} {identity}. "
    "Default: {namespace}-{serviceAccount}, prefixed with {cluster}- when --cluster-name is set.",
)
@click.option("--cluster-name", default="", help="Cluster name used in credential names.")
@click.option(
    "--kubernetes-version",
    metavar="MAJOR.MINOR",
    help="The cluster's Kubernetes version (Jobs with the proxy sidecar complete only from 1.32).",
)
@click.option(
    "--identity-for",
    multiple=True,
    metavar="[NS/]SELECTOR=IDENTITY",
    help="The identity a ServiceAccount gets when several are bound to one selector. Repeatable.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write the plan to this file (.json for JSON, else YAML).",
)
@output_option
def plan(
    manifests: tuple[str, ...],
    default_namespace: str,
    max_file_size: int,
    force_namespaced: bool,
    mode: str,
    workload_mode: tuple[str, ...],
    issuer: str | None,
    tenant_id: str | None,
    token_expiration: int | None,
    proxy_port: int,
    sa_name_pattern: str,
    fic_name_pattern: str | None,
    cluster_name: str,
    kubernetes_version: str | None,
    identity_for: tuple[str, ...],
    out_path: str | None,
    output: str,
) -> None:
    """Plan ServiceAccounts, federated credentials and workload changes.

    The plan is a plain file that later steps read (`export`, and the
    rewrite/apply commands). Exits 1 when an error finding exists.
    """
    from migrator.cli import render
    from migrator.core.findings import has_errors
    from migrator.core.naming import FIC_TOKENS, SA_TOKENS, PatternError, check_pattern
    from migrator.core.planner import PlanOptions, build_plan

    try:
        check_pattern(sa_name_pattern, SA_TOKENS)
        check_pattern(fic_name_pattern or "", FIC_TOKENS)
    except PatternError as exc:
        raise InputError(str(exc)) from exc
    options = PlanOptions(
        issuer=issuer,
        mode=mode,
        workload_modes=parse_assignments(workload_mode, "--workload-mode", MODES),
        force_namespaced=force_namespaced,
        tenant_id=tenant_id,
        token_expiration=token_expiration,
        proxy_port=proxy_port,
        sa_name_pattern=sa_name_pattern,
        fic_name_pattern=fic_name_pattern,
        cluster_name=cluster_name,
        kubernetes_version=parse_version(kubernetes_version),
        identity_for=parse_assignments(identity_for, "--identity-for"),
    )
    inventory = load_inventory(manifests, default_namespace, max_file_size, output == "table")
    result = build_plan(inventory, options)
    data = result.to_dict()
    if out_path:
        from migrator.storage.planfile import write_plan

        write_plan(out_path, data)
    if output == "table":
        render.print_plan(result)
        if out_path:
            render.console().print(f"Plan written to {out_path}.")
    else:
        render.echo_data(data, output)
    if has_errors(result.findings):
        raise click.exceptions.Exit(EXIT_FINDINGS)

"""``wimigrate discover``: what uses pod identity, and what is wrong with it."""

from __future__ import annotations

from typing import Any

import click

from migrator.cli.options import namespaced_option, output_option
from migrator.cli.sources import open_sources, source_options
from migrator.errors import EXIT_FINDINGS


@click.command()
@source_options
@namespaced_option
@output_option
def discover(force_namespaced: bool, output: str, **values: Any) -> None:
    """Inventory pod-identity usage in manifests or in the live cluster.

    Finds AzureIdentity, AzureIdentityBinding and AzurePodIdentityException
    objects, workloads labelled aadpodidbinding (live: resolved from their pods
    to the Deployment, StatefulSet, CronJob... that makes them), their
    ServiceAccounts and SecretProviderClasses using pod identity, checks the
    workload identity prerequisites, and reports every problem as a finding
    with what to do about it. Exits 1 when an error finding exists.

    \b
      wimigrate discover --manifests ./deploy
      wimigrate discover --cluster -A                  every namespace of the current context
      wimigrate discover --cluster -n shop -g RG --name AKS --subscription SUB
      wimigrate discover --manifests ./deploy --cluster -A   also: where Git and the cluster differ
    """
    from migrator.cli import render
    from migrator.core import findings as F
    from migrator.core.matching import discovery_findings
    from migrator.core.prerequisites import prerequisite_findings

    with open_sources(values, show_progress=output == "table") as sources:
        inventory = sources.inventory
        findings = discovery_findings(inventory, force_namespaced=force_namespaced)
        findings = sorted(findings + prerequisite_findings(inventory), key=F.sort_key)
        if output == "table":
            render.print_inventory(inventory, findings, scope=sources.scope())
        else:
            data = inventory.to_dict()
            data["findings"] = [f.to_dict() for f in findings]
            scope = sources.scope_data()
            if scope is not None:
                data["scope"] = scope
            render.echo_data(data, output)
    if F.has_errors(findings):
        raise click.exceptions.Exit(EXIT_FINDINGS)

"""``wimigrate discover``: what uses pod identity, and what is wrong with it."""

from __future__ import annotations

import click

from migrator.cli.options import load_inventory, manifests_option, namespaced_option, output_option
from migrator.errors import EXIT_FINDINGS


@click.command()
@manifests_option
@namespaced_option
@output_option
def discover(
    manifests: tuple[str, ...], default_namespace: str, max_file_size: int, force_namespaced: bool, output: str
) -> None:
    """Inventory pod-identity usage in manifest files and directories.

    Finds AzureIdentity, AzureIdentityBinding and AzurePodIdentityException
    objects, workloads labelled aadpodidbinding, their ServiceAccounts and
    SecretProviderClasses using pod identity, and reports every problem as a
    finding with what to do about it. Exits 1 when an error finding exists.
    """
    from migrator.cli import render
    from migrator.core.findings import has_errors
    from migrator.core.matching import discovery_findings

    inventory = load_inventory(manifests, default_namespace, max_file_size, output == "table")
    findings = discovery_findings(inventory, force_namespaced=force_namespaced)
    if output == "table":
        render.print_inventory(inventory, findings)
    else:
        data = inventory.to_dict()
        data["findings"] = [f.to_dict() for f in findings]
        render.echo_data(data, output)
    if has_errors(findings):
        raise click.exceptions.Exit(EXIT_FINDINGS)

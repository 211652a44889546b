"""Connections for the commands that change things: the kubeconfig context and Azure (or a lab)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click


def kube_options(func: Callable) -> Callable:
    """--context and --kubeconfig, as kubectl takes them."""
    func = click.option(
        "--kubeconfig",
        type=click.Path(dir_okay=False),
        help="The kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).",
    )(func)
    return click.option("--context", metavar="NAME", help="The kubeconfig context to use (default: the current one).")(
        func
    )


@dataclass
class Live:
    kube: Any
    """A KubeApi, or None."""
    kube_target: Any
    azure: Any
    """An AzureTarget, or None."""
    time_scale: float = 1.0
    lab: bool = False

    def target(self, cluster_id: str | None = None) -> dict[str, Any]:
        """Where a run went, for its journal header."""
        context = self.kube_target.context if self.kube_target is not None else None
        return {"context": context, "clusterID": cluster_id, "lab": self.lab}


def connect_live(lab: Any, kubeconfig: str | None, context: str | None, *, kube: bool, azure: bool) -> Live:
    """The adapters, connected lazily so ``--help`` and plan-only runs never import an SDK."""
    kube_api = kube_target = azure_target = None
    if kube:
        from migrator.adapters.kube.api import KubeApi
        from migrator.adapters.kube.connect import connect

        kube_target = connect(kubeconfig, context, lab)
        kube_api = KubeApi(kube_target.client)
    if azure:
        from migrator.adapters.azure.connect import connect as connect_azure

        azure_target = connect_azure(lab)
    return Live(kube_api, kube_target, azure_target, lab.speedup if lab is not None else 1.0, lab is not None)

"""The plan and the connections for the commands that check or clean up a migration (verify, cleanup).

The plan is a stored PLAN file or comes from discovery of the live cluster (as ``apply`` makes it);
either way the command needs the cluster, and Azure when a lab or an AKS managed cluster is named.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from migrator.cli.connection import Live
from migrator.cli.options import build_plan_options
from migrator.cli.sources import open_sources
from migrator.errors import InputError


@dataclass
class LivePlan:
    plan: Any
    live: Live
    issuer: str | None
    """The cluster's OIDC issuer as AKS reports it, else the plan's (unless a placeholder)."""
    lab: Any
    """The lab's connection info, or None."""
    cluster_id: str | None

    @property
    def target(self) -> dict[str, Any]:
        """What a journal header records about where the run went."""
        return self.live.target(self.cluster_id)


@contextlib.contextmanager
def live_plan(plan_file: str | None, values: dict[str, Any], output: str) -> Iterator[LivePlan]:
    """From PLAN, or from discovery (cluster-wide facts included) with the plan options in ``values``."""
    plan_opts = build_plan_options(values)
    if plan_file:
        with _stored(values) as (live, issuer, lab, cluster_id):
            from migrator.storage.planfile import read_plan

            plan = read_plan(plan_file)
            yield LivePlan(plan, live, issuer or _plan_issuer(plan), lab, cluster_id)
        return
    values["cluster"] = True
    with open_sources(values, show_progress=output == "table") as sources:
        from migrator.core.planner import build_plan

        plan = build_plan(sources.inventory, plan_opts)
        cluster = sources.inventory.cluster
        issuer = (cluster.issuer if cluster is not None else None) or _plan_issuer(plan)
        lab = sources.lab
        live = Live(sources.kube, sources.kube_target, sources.azure, lab.speedup if lab else 1.0, lab is not None)
        yield LivePlan(plan, live, issuer, lab, sources.cluster_id)


@contextlib.contextmanager
def _stored(values: dict[str, Any]) -> Iterator[tuple]:
    """Connections for a stored plan: the cluster (or lab), and Azure when a lab or an AKS cluster is named."""
    from migrator.cli.connection import connect_live
    from migrator.cli.lab_options import lab_target
    from migrator.cli.sources import CLUSTER_ID

    if values.get("manifests") or values.get("namespaces") or values.get("all_namespaces"):
        raise InputError("A stored PLAN names its workloads: drop --manifests, -n and -A.")
    cluster_id = values.get("cluster_id")
    if values.get("resource_group"):
        if not values.get("aks_name") or not values.get("subscription"):
            raise InputError("-g/--resource-group needs --name and --subscription (or give --cluster-id).")
        cluster_id = CLUSTER_ID.format(values["subscription"], values["resource_group"], values["aks_name"])
    with lab_target(values["lab_dir"], values["throwaway_lab"]) as lab:
        cluster_id = cluster_id or (lab.cluster_id if lab is not None else None)
        live = connect_live(lab, values["kubeconfig"], values["context"], kube=True, azure=cluster_id is not None)
        issuer = None
        if cluster_id is not None and live.azure is not None:
            from migrator.adapters.azure.clusters import ClusterGateway
            from migrator.sources.azure.discover import cluster_facts

            issuer = cluster_facts(ClusterGateway(live.azure).get(cluster_id), cluster_id).issuer
        yield live, issuer, lab, cluster_id


def _plan_issuer(plan: Any) -> str | None:
    return None if plan.issuerPlaceholder else plan.issuer

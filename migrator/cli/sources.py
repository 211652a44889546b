"""Where an inventory comes from: manifests, the live cluster (or a lab), and Azure, for every command.

``source_options`` declares the options once; ``open_sources`` reads what they name and keeps the
connections open for the command. With both manifests and a cluster, the live inventory is the
basis (it is what runs) and the manifests are compared with it (drift findings). Nothing heavy is
imported here at module level: ``wimigrate --help`` must stay fast.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from migrator.cli.connection import kube_options
from migrator.cli.lab_options import lab_options
from migrator.errors import InputError

if TYPE_CHECKING:  # for the type checker only: --help must not import these
    from migrator.adapters.azure.connect import AzureTarget
    from migrator.adapters.kube.api import KubeApi
    from migrator.adapters.kube.connect import KubeTarget
    from migrator.core.model import Inventory
    from migrator.lab.lab import LabInfo

SOURCE_OPTION_NAMES = (
    "manifests",
    "default_namespace",
    "max_file_size",
    "cluster",
    "context",
    "kubeconfig",
    "namespaces",
    "all_namespaces",
    "lab_dir",
    "throwaway_lab",
    "cluster_id",
    "resource_group",
    "aks_name",
    "subscription",
)
CLUSTER_ID = "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ContainerService/managedClusters/{}"


def source_options(func: Callable) -> Callable:
    """--manifests, --cluster (kubectl's -n/-A/--context/--kubeconfig), --lab/--lab-dir, and the AKS cluster."""
    decorators = [
        click.option(
            "--manifests",
            "manifests",
            multiple=True,
            type=click.Path(exists=True, file_okay=True, dir_okay=True),
            help="A manifest file or directory (walked recursively). Repeatable.",
        ),
        click.option(
            "--default-namespace",
            default="default",
            show_default=True,
            help="Namespace of manifest objects that name none (and no kustomization sets one).",
        ),
        click.option(
            "--max-file-size",
            type=click.IntRange(min=1),
            default=10 * 1024 * 1024,
            show_default=True,
            help="Files larger than this many bytes are reported, not read.",
        ),
        click.option(
            "--cluster",
            is_flag=True,
            help="Read the live cluster of the kubeconfig's context (with --manifests too: report the drift).",
        ),
        kube_options,
        click.option(
            "-n",
            "--namespace",
            "namespaces",
            multiple=True,
            metavar="NS",
            help="Read this namespace of the cluster (default: the context's, as kubectl). Repeatable.",
        ),
        click.option("-A", "--all-namespaces", is_flag=True, help="Read every namespace of the cluster."),
        lab_options,
        click.option(
            "--cluster-id",
            metavar="ID",
            help="The AKS cluster's resource id: read its OIDC issuer, add-on and identities from Azure.",
        ),
        click.option("-g", "--resource-group", metavar="RG", help="The AKS cluster's resource group (with --name)."),
        click.option("--name", "aks_name", metavar="NAME", help="The AKS cluster's name (with -g)."),
        click.option(
            "--subscription",
            metavar="ID",
            help="The AKS cluster's subscription (with -g/--name; default with a lab: the lab's).",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


@dataclass
class Sources:
    """What a command reads from, open for as long as the command runs."""

    inventory: Inventory
    """The inventory to work from: the live one when a cluster was read, else the manifests'."""
    manifests: Inventory | None = None
    """The manifests' inventory when --manifests was given."""
    kube: KubeApi | None = None
    """The cluster's API, when one was read."""
    kube_target: KubeTarget | None = None
    """The client, the context and the context's namespace."""
    azure: AzureTarget | None = None
    """Set when a lab or an AKS cluster (--cluster-id, -g/--name) was given."""
    cluster_id: str | None = None
    namespaces: list[str] | None = None
    """The namespaces read; None for all of them (or no cluster)."""
    lab: LabInfo | None = None
    """The lab in use."""

    @property
    def live(self) -> bool:
        return self.kube is not None

    def scope(self) -> str | None:
        """One line for table output: what was read, and at what cost; None for manifests only."""
        if self.kube_target is None:
            return None
        stats = self.inventory.stats
        where = "all namespaces" if self.namespaces is None else "namespace(s) " + ", ".join(self.namespaces)
        drift = " compared with the manifests;" if self.manifests is not None else ""
        return (
            f"Cluster context {self.kube_target.context}, {where}: {stats.get('podsScanned', 0)} labelled pod(s), "
            f"{stats.get('workloads', 0)} workload(s), {stats.get('requests', 0)} request(s);{drift}"
        )

    def scope_data(self) -> dict[str, Any] | None:
        """The same for JSON/YAML output."""
        if self.kube_target is None:
            return None
        return {
            "context": self.kube_target.context,
            "namespaces": self.namespaces,
            "manifests": self.manifests is not None,
            "clusterID": self.cluster_id,
            "requests": self.inventory.stats.get("requests", 0),
        }


@contextlib.contextmanager
def open_sources(
    values: dict[str, Any],
    *,
    show_progress: bool,
    lab_speedup: float = 1.0,
    lab_aks_addon: bool = False,
    lab_seed: Path | None = None,
) -> Iterator[Sources]:
    """Read the sources the options in ``values`` name (popped from it); connections close on exit.
    ``lab_speedup``, ``lab_aks_addon`` and ``lab_seed`` shape a throwaway lab (``--lab``)."""
    v = {name: values.pop(name) for name in SOURCE_OPTION_NAMES}
    lab_wanted = v["throwaway_lab"] or v["lab_dir"] is not None
    live = v["cluster"] or lab_wanted
    _check(v, live, lab_wanted)
    from migrator.cli.lab_options import lab_target

    with contextlib.ExitStack() as stack:
        manifests = None
        if v["manifests"]:
            from migrator.cli.options import load_inventory

            manifests = load_inventory(v["manifests"], v["default_namespace"], v["max_file_size"], show_progress)
        info = None
        if lab_wanted:
            seed = {"seed": lab_seed} if lab_seed is not None else {}
            opened = lab_target(v["lab_dir"], v["throwaway_lab"], speedup=lab_speedup, aks_addon=lab_aks_addon, **seed)
            info = stack.enter_context(opened)
        from migrator.core.model import Inventory

        sources = Sources(inventory=manifests if manifests is not None else Inventory(), manifests=manifests, lab=info)
        if live:
            _read_cluster(sources, v, info, stack, show_progress)
        cluster_id = _cluster_id(v, info)
        if cluster_id is not None:
            _read_azure(sources, info, cluster_id)
        if manifests is not None and sources.live:
            from migrator.core.drift import drift_findings

            sources.inventory.findings.extend(drift_findings(manifests, sources.inventory))
        yield sources


def _check(v: dict[str, Any], live: bool, lab_wanted: bool) -> None:
    if not v["manifests"] and not live:
        raise InputError(
            "Nothing to read: give --manifests PATH, --cluster (the kubeconfig's current context), or --lab/--lab-dir.",
            hint="For example: wimigrate discover --manifests ./deploy, or wimigrate discover --cluster -A",
        )
    if v["namespaces"] and v["all_namespaces"]:
        raise InputError("Use -n/--namespace or -A/--all-namespaces, not both.")
    kube_flags = [
        flag
        for flag, given in (
            ("-n/--namespace", bool(v["namespaces"])),
            ("-A/--all-namespaces", v["all_namespaces"]),
            ("--context", v["context"] is not None),
            ("--kubeconfig", v["kubeconfig"] is not None),
        )
        if given
    ]
    if kube_flags and not live:
        raise InputError(f"{', '.join(kube_flags)} apply to the live cluster: add --cluster.")
    if lab_wanted and (v["context"] or v["kubeconfig"]):
        raise InputError("--context and --kubeconfig do not apply to a lab (it has its own kubeconfig).")
    if v["cluster_id"] and (v["resource_group"] or v["aks_name"]):
        raise InputError("Give the AKS cluster either as --cluster-id or as -g/--name, not both.")
    if bool(v["resource_group"]) != bool(v["aks_name"]):
        raise InputError("-g/--resource-group and --name go together: the AKS cluster's resource group and name.")
    if v["subscription"] and not v["resource_group"]:
        raise InputError("--subscription goes with -g/--name (a --cluster-id names its subscription).")
    if v["resource_group"] and not v["subscription"] and not lab_wanted:
        raise InputError(
            "--subscription is required with -g/--name.",
            hint="az account show --query id -o tsv prints the current one.",
        )


def _cluster_id(v: dict[str, Any], info: Any) -> str | None:
    if v["cluster_id"]:
        return v["cluster_id"]
    if v["resource_group"]:
        subscription = v["subscription"] or info.subscription_id
        return CLUSTER_ID.format(subscription, v["resource_group"], v["aks_name"])
    return info.cluster_id if info is not None else None


def _read_cluster(
    sources: Sources, v: dict[str, Any], info: Any, stack: contextlib.ExitStack, show_progress: bool
) -> None:
    from migrator.adapters.kube.api import KubeApi
    from migrator.adapters.kube.connect import connect

    target = connect(v["kubeconfig"], v["context"], lab=info)
    stack.callback(target.client.close)
    sources.kube_target, sources.kube = target, KubeApi(target.client)
    if v["all_namespaces"]:
        sources.namespaces = None
    else:
        sources.namespaces = list(dict.fromkeys(v["namespaces"])) or [target.namespace]
    live = discover_with_progress(sources.kube, sources.namespaces, target.context, show_progress)
    sources.inventory = live


def discover_with_progress(kube: Any, namespaces: list[str] | None, context: str, show: bool) -> Any:
    """``discover_cluster``, with a spinner on stderr naming the list in flight when stderr is a terminal."""
    from migrator.sources.cluster.discover import discover_cluster

    if not (show and sys.stderr.isatty()):
        return discover_cluster(kube, namespaces, context)
    from migrator.cli.render import spinner

    with spinner(f"Reading cluster {context}") as tell:
        return discover_cluster(kube, namespaces, context, progress=lambda message: tell(f"{context}: {message}"))


def _read_azure(sources: Sources, info: Any, cluster_id: str) -> None:
    from migrator.adapters.azure.clusters import ClusterGateway
    from migrator.adapters.azure.connect import connect
    from migrator.adapters.azure.identities import IdentityGateway
    from migrator.sources.azure.discover import discover_azure

    sources.azure = connect(lab=info)
    sources.cluster_id = cluster_id
    discover_azure(ClusterGateway(sources.azure), IdentityGateway(sources.azure), sources.inventory, cluster_id)

"""Cluster discovery benchmark (issue 5): ``discover_cluster`` through the real ``KubeApi`` against a lab
holding 300 namespaces, 5,000 Deployments (with their ReplicaSets) and 20,000 pods, of which the pods of
1,000 Deployments (one in five, spread over all namespaces) carry ``aadpodidbinding``.

    python benchmarks/bench_cluster_discovery.py [--runs 5] [--profile]

The lab is filled through its own API path (store + admission + controllers), as in bench_lab.py;
filling is not timed. It runs in a child process, as a cluster is another machine: the discovery's
process holds only what it read (in one process, the lab's 35,000 stored objects made each of
Python's full garbage collections several times slower). Each run is a whole discovery of all
namespaces (-A) with a fresh KubeApi.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NAMESPACES = 300
DEPLOYMENTS = 5000
PODS_EACH = 4
LABELLED_EVERY = 5  # 1,000 of the 5,000 Deployments use pod identity
IDENTITIES = 50


def serve_big_lab(conn: object) -> None:
    """The child: fill the lab, send its LabInfo and the fill time, serve until told to stop."""
    lab, fill = big_lab()
    conn.send((lab.info(), fill))
    conn.recv()
    lab.stop()


def big_lab() -> tuple:
    from bench_lab import big_lab as filled_lab

    def labels(i: int) -> dict[str, str]:
        return {"aadpodidbinding": f"id-{i // LABELLED_EVERY % IDENTITIES}"} if i % LABELLED_EVERY == 0 else {}

    return filled_lab(NAMESPACES, DEPLOYMENTS, PODS_EACH, labels, add_identities)


def add_identities(lab: object) -> None:
    """One AzureIdentity and its binding per identity, spread over the namespaces."""
    store, reg = lab.kube.store, lab.kube.registry
    for i in range(IDENTITIES):
        ns = f"team-{i % NAMESPACES:03d}"
        resource_id = (
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg/providers/"
            f"Microsoft.ManagedIdentity/userAssignedIdentities/id-{i}"
        )
        store.create(
            reg.get("azureidentities", "aadpodidentity.k8s.io"),
            ns,
            {
                "apiVersion": "aadpodidentity.k8s.io/v1",
                "kind": "AzureIdentity",
                "metadata": {"name": f"id-{i}"},
                "spec": {"type": 0, "resourceID": resource_id, "clientID": f"{i:08d}-0000-4000-8000-000000000000"},
            },
        )
        store.create(
            reg.get("azureidentitybindings", "aadpodidentity.k8s.io"),
            ns,
            {
                "apiVersion": "aadpodidentity.k8s.io/v1",
                "kind": "AzureIdentityBinding",
                "metadata": {"name": f"id-{i}-binding"},
                "spec": {"azureIdentity": f"id-{i}", "selector": f"id-{i}"},
            },
        )


def discover(info: object) -> tuple[float, object]:
    from migrator.adapters.kube.api import KubeApi
    from migrator.adapters.kube.connect import connect
    from migrator.sources.cluster.discover import discover_cluster

    target = connect(lab=info)
    kube = KubeApi(target.client)
    start = time.perf_counter()
    inventory = discover_cluster(kube, None, target.context)
    elapsed = time.perf_counter() - start
    target.client.close()
    return elapsed, inventory


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="Also profile one more run (cProfile, top 15).")
    args = parser.parse_args()
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    parent, child = multiprocessing.get_context("fork").Pipe()
    server = multiprocessing.get_context("fork").Process(target=serve_big_lab, args=(child,))
    server.start()
    info, fill = parent.recv()
    print(f"lab filled in {fill:.0f} s (not part of the figure)")
    times = []
    inventory = None
    for _ in range(args.runs):
        elapsed, inventory = discover(info)
        times.append(elapsed)
    stats = inventory.stats
    total = sum(v for k, v in stats.items() if k[:1].isupper())
    print(
        f"listed {total} objects: {stats['Pod']} labelled pods of {stats['Deployment']} Deployments and "
        f"{stats['ReplicaSet']} ReplicaSets in {stats['Namespace']} namespaces; "
        f"{len(inventory.workloads)} workloads, {len(inventory.identities)} identities, "
        f"{len(inventory.findings)} findings"
    )
    print(f"requests per discovery: {stats['requests']} (page size 500)")
    print(
        f"discover_cluster, all namespaces: median {statistics.median(times):.2f} s, best {min(times):.2f} s "
        f"({args.runs} runs: {', '.join(f'{t:.2f}' for t in times)})"
    )
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(discover, info)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    parent.send("stop")
    server.join(60)


if __name__ == "__main__":
    main()

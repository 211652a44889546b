"""Lab benchmarks (issue 4): start-up seeded with samples/quickstart/, and a paginated list of
every pod in a lab holding 300 namespaces, 5,000 deployments and 20,000 pods.

    python benchmarks/bench_lab.py [--runs 5] [--skip-big]

The big lab is filled through the lab's own API path (store + admission + controllers), so
the pods are real ReplicaSet pods with the webhook's mutation; filling it is not timed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def startup_in_process(runs: int) -> list[float]:
    from migrator.lab.lab import Lab, LabConfig

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        lab = Lab(LabConfig(fresh_keys=True)).start()
        lab.seed_manifests(ROOT / "samples" / "quickstart")
        times.append(time.perf_counter() - start)
        lab.stop()
    return times


def startup_command(runs: int) -> list[float]:
    """`wimigrate lab up` from exec to "lab ready" on stdout (Python start-up and imports included)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as state:
            start = time.perf_counter()
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "migrator",
                    "lab",
                    "up",
                    "--dir",
                    state,
                    "--seed",
                    str(ROOT / "samples" / "quickstart"),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                env=env,
                cwd=ROOT,
            )
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.strip() == "lab ready":
                    times.append(time.perf_counter() - start)
                    break
            proc.terminate()
            proc.wait(timeout=10)
    return times


def big_lab(
    namespaces: int = 300,
    deployments: int = 5000,
    pods_each: int = 4,
    pod_labels: Callable[[int], dict[str, str]] = lambda i: {"aadpodidbinding": f"id-{i % 50}"},
    before_deployments: Callable[[Any], None] | None = None,
) -> tuple:
    """A started lab with namespaces ``team-000``..., and Deployment ``app-i`` (pods labelled ``app`` plus
    ``pod_labels(i)``) spread over them, its pods running; and the fill time. Shared by the benchmarks."""
    from migrator.lab.lab import Lab, LabConfig

    lab = Lab(LabConfig()).start()
    store, reg = lab.kube.store, lab.kube.registry
    fill = time.perf_counter()
    for i in range(namespaces):
        store.create(reg.get("namespaces"), None, {"metadata": {"name": f"team-{i:03d}"}})
    lab.settle(60)
    if before_deployments is not None:
        before_deployments(lab)
    for i in range(deployments):
        ns = f"team-{i % namespaces:03d}"
        labels = {"app": f"app-{i}", **pod_labels(i)}
        store.create(
            reg.get("deployments", "apps"),
            ns,
            {
                "metadata": {"name": f"app-{i}", "labels": {"app": f"app-{i}"}},
                "spec": {
                    "replicas": pods_each,
                    "selector": {"matchLabels": {"app": f"app-{i}"}},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {"containers": [{"name": "app", "image": "contoso.azurecr.io/app:1.0"}]},
                    },
                },
            },
        )
    lab.settle(3600)
    return lab, time.perf_counter() - fill


def list_all_pods(lab: object, runs: int) -> tuple[list[float], list[float], int, int]:
    import re
    import ssl
    import urllib.request

    from kubernetes import client

    from migrator.lab.clients import kube_api_client

    core = client.CoreV1Api(kube_api_client(lab.info()))
    sdk_times, raw_times = [], []
    count = requests = 0
    for _ in range(runs):
        start = time.perf_counter()
        count, requests, token = 0, 0, None
        while True:
            page = core.list_pod_for_all_namespaces(limit=500, _continue=token)
            requests += 1
            count += len(page.items)
            token = page.metadata._continue
            if not token:
                break
        sdk_times.append(time.perf_counter() - start)
    context = ssl.create_default_context(cafile=str(lab.ca_file))
    for _ in range(runs):
        start = time.perf_counter()
        token, pages = None, 0
        while True:
            pages += 1
            url = f"{lab.kube_url}/api/v1/pods?limit=500" + (f"&continue={token}" if token else "")
            request = urllib.request.Request(url, headers={"Authorization": f"Bearer {lab.kube_token}"})
            with urllib.request.urlopen(request, context=context) as response:
                body = response.read()
            # The lab writes the list metadata first: the token is found without decoding 1 MB of pods.
            match = re.search(rb'"continue":\s*"([^"]+)"', body[:1000])
            token = match.group(1).decode() if match else None
            if not token:
                break
        raw_times.append(time.perf_counter() - start)
        assert pages == requests, (pages, requests)
    return sdk_times, raw_times, count, requests


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-big", action="store_true")
    args = parser.parse_args()
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    inproc = startup_in_process(args.runs)
    print(
        f"start-up in process, seeded (quickstart): median {statistics.median(inproc):.2f} s, best {min(inproc):.2f} s"
    )
    command = startup_command(args.runs)
    print(f"`wimigrate lab up` to 'lab ready': median {statistics.median(command):.2f} s, best {min(command):.2f} s")
    if args.skip_big:
        return
    lab, fill = big_lab()
    print(f"big lab filled in {fill:.0f} s (not part of the figure)")
    sdk, raw, count, requests = list_all_pods(lab, args.runs)
    print(
        f"list all {count} pods, limit=500 ({requests} requests), kubernetes client: "
        f"median {statistics.median(sdk):.2f} s, best {min(sdk):.2f} s"
    )
    print(
        f"same over raw HTTPS, bytes only (what the lab answers): median {statistics.median(raw):.2f} s, "
        f"best {min(raw):.2f} s"
    )
    lab.stop()


if __name__ == "__main__":
    main()

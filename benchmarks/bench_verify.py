"""Verify and cleanup at scale: ``verify`` (with and without ``--token-exchange``), ``cleanup --dry-run``
and a real ``cleanup`` of a lab holding many migrated workloads, through the real adapters.

    python benchmarks/bench_verify.py [--runs 3] [--namespaces 20] [--per-namespace 10] [--replicas 2] [--profile]

The lab (default: 20 namespaces ``team-00``..., 10 Deployments each, 2 pods per Deployment, one
AzureIdentity and binding per namespace: 200 workloads on 20 identities) is seeded from a generated
manifest tree through the lab's own API path and served from a child process, as a cluster is another
machine. The plan is made from that tree (``plan --issuer``) and carried out with ``apply`` (not timed).
Then each round times, in this order, what the commands do once parsed: the connections and the issuer
(``live_plan``), then ``run_verify`` or ``run_cleanup`` (JSON output, so no table is drawn and nothing
is printed); a real cleanup is rolled back and the lab settled afterwards, outside the timing.

Requests are counted on the server: the child counts every request its HTTP layer answers, by
service (kube, arm, entra) and by the service's own (verb, resource) classification, read and reset
around each measurement. The client's own counters (``KubeApi.requests``, ``AzureTarget.statuses``)
are printed next to them as a cross-check. The lab runs at speed-up 50, which only shortens apply's
pacing and the controllers' delays; no timed command waits on lab time.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SPEEDUP = 50.0
RESOURCE_GROUP = "rg-bench-identities"
SERVICES = ("kube", "arm", "entra")


# -- the manifest tree ----------------------------------------------------------------------------


def client_id(n: int) -> str:
    return f"{n:08x}-b00b-4000-8000-000000000000"


def write_tree(root: Path, subscription: str, namespaces: int, per_namespace: int, replicas: int) -> None:
    """Namespaces, one AzureIdentity + binding per namespace, and its Deployments labelled for it."""
    (root / "identity").mkdir(parents=True)
    (root / "apps").mkdir()
    docs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"team-{i:02d}"}} for i in range(namespaces)]
    (root / "namespaces.yaml").write_text("---\n".join(json.dumps(d) + "\n" for d in docs))
    for i in range(namespaces):
        ns, identity = f"team-{i:02d}", f"id-{i:02d}"
        rid = (
            f"/subscriptions/{subscription}/resourcegroups/{RESOURCE_GROUP}/providers/"
            f"Microsoft.ManagedIdentity/userAssignedIdentities/{identity}"
        )
        docs = [
            {
                "apiVersion": "aadpodidentity.k8s.io/v1",
                "kind": "AzureIdentity",
                "metadata": {"name": identity, "namespace": ns},
                "spec": {"type": 0, "resourceID": rid, "clientID": client_id(i)},
            },
            {
                "apiVersion": "aadpodidentity.k8s.io/v1",
                "kind": "AzureIdentityBinding",
                "metadata": {"name": f"{identity}-binding", "namespace": ns},
                "spec": {"azureIdentity": identity, "selector": identity},
            },
        ]
        (root / "identity" / f"{ns}.yaml").write_text("---\n".join(json.dumps(d) + "\n" for d in docs))
        docs = []
        for j in range(per_namespace):
            name = f"app-{i * per_namespace + j:04d}"
            docs.append(
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
                    "spec": {
                        "replicas": replicas,
                        "selector": {"matchLabels": {"app": name}},
                        "template": {
                            "metadata": {"labels": {"app": name, "aadpodidbinding": identity}},
                            "spec": {"containers": [{"name": "app", "image": "contoso.azurecr.io/app:1.0"}]},
                        },
                    },
                }
            )
        (root / "apps" / f"{ns}.yaml").write_text("---\n".join(json.dumps(d) + "\n" for d in docs))


# -- the lab, in a child process ------------------------------------------------------------------


class RequestCounter(logging.Handler):
    """Counts what the lab's HTTP layer answers, by (service, verb, resource) as the service classifies it.

    The lab logs every answered request at DEBUG (``httpd._dispatch``: service name, method, path, status);
    this handler reads those records instead of changing the lab."""

    def __init__(self, services: dict[str, Any]) -> None:
        super().__init__(logging.DEBUG)
        self.services = services
        self.counts: Counter = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        if not isinstance(args, tuple) or len(args) != 4:
            return
        from email.message import Message

        from migrator.lab.httpd import Request

        name, method, path, _status = args
        service = self.services.get(name)
        verb, resource = service.classify(Request(method, path, {}, Message())) if service else (method, path)
        self.counts[(name, verb, resource)] += 1

    def take(self) -> Counter:
        self.acquire()
        try:
            counts, self.counts = self.counts, Counter()
        finally:
            self.release()
        return counts


def serve_lab(conn: Any, state: str, tree: str, namespaces: int, per_namespace: int, replicas: int) -> None:
    """The child: start and seed the lab, then answer the parent's requests until told to stop."""
    from migrator.lab.lab import Lab, LabConfig

    lab = Lab(LabConfig(speedup=SPEEDUP), state_dir=Path(state)).start()
    counter = RequestCounter({"kube": lab.kube.service, "arm": lab.azure.arm, "entra": lab.azure.entra})
    log = logging.getLogger("migrator.lab")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.addHandler(counter)
    try:
        start = time.perf_counter()
        write_tree(Path(tree), lab.subscription_id, namespaces, per_namespace, replicas)
        report = lab.seed_manifests(Path(tree))
        lab.settle(600)
    except Exception as exc:  # the parent waits for the lab: tell it why there is none
        conn.send(exc)
        lab.stop()
        raise
    conn.send((lab.info(), time.perf_counter() - start, report.summary()))
    counter.take()
    while True:
        command = conn.recv()
        if command == "settle":
            started = time.perf_counter()
            lab.settle(600)
            conn.send(time.perf_counter() - started)
        elif command == "take":  # requests and CPU seconds since the last take
            conn.send((counter.take(), time.process_time()))
        else:
            break
    lab.stop()


@dataclass
class LabProcess:
    conn: Any
    process: Any
    info: Any
    cpu: float = 0.0

    def ask(self, command: str) -> Any:
        self.conn.send(command)
        return self.conn.recv()

    def take(self) -> tuple[Counter, float]:
        """Requests answered and CPU seconds the lab used since the last call."""
        counts, cpu = self.ask("take")
        used, self.cpu = cpu - self.cpu, cpu
        return counts, used

    def stop(self) -> None:
        self.conn.send("stop")
        self.process.join(60)


# -- one measurement ------------------------------------------------------------------------------


@dataclass
class Sample:
    wall: float
    connect: float
    """live_plan: the plan file, kubeconfig, ARM client, the managed cluster read for the issuer (Entra sign-in)."""
    client_cpu: float
    lab_cpu: float
    requests: Counter
    kube_client: int
    """KubeApi.requests in the command's process (cross-check of the lab's kube count)."""
    arm_client: int
    """ARM answers seen by AzureTarget.statuses."""
    outcome: str
    report: Any = None


@dataclass
class Series:
    label: str
    samples: list[Sample] = field(default_factory=list)

    def walls(self) -> list[float]:
        return [s.wall for s in self.samples]


def parsed(command: Any, args: list[str]) -> dict[str, Any]:
    """The values click hands the command for these arguments (defaults included)."""
    ctx = command.make_context(command.name, args)
    return dict(ctx.params)


def verify_once(state: str, plan: str, journals: str, exchange: bool) -> tuple[float, Any, Any]:
    """What ``wimigrate verify PLAN --lab-dir STATE -o json [--token-exchange]`` does, minus printing."""
    from migrator.cli.live_plan import live_plan
    from migrator.cli.verify_cmd import verify
    from migrator.cli.verify_flow import VerifyRequest, run_verify

    args = [plan, "--lab-dir", state, "--journal-dir", journals, "-o", "json"] + (["--token-exchange"] * exchange)
    values = parsed(verify, args)
    plan_file = values.pop("plan_file")
    request = VerifyRequest(
        values.pop("token_exchange"),
        values.pop("wait"),
        values.pop("interval"),
        values.pop("exchange_tenant_id"),
        values.pop("journal_dir"),
        values.pop("output"),
        {},
    )
    start = time.perf_counter()
    with live_plan(plan_file, values, request.output) as lp:
        connected = time.perf_counter() - start
        request.target = lp.target
        report = run_verify(lp.plan, lp.live, lp.issuer, request, lp.lab)
    return connected, lp.live, report


def cleanup_once(state: str, plan: str, journals: str, dry_run: bool) -> tuple[float, Any, Any]:
    """What ``wimigrate cleanup PLAN --lab-dir STATE --yes -o json [--dry-run]`` does, minus printing."""
    from migrator.cli.cleanup_cmd import cleanup, run_cleanup
    from migrator.cli.live_plan import live_plan
    from migrator.core.cleanup_facts import CleanupOptions

    args = [plan, "--lab-dir", state, "--journal-dir", journals, "-o", "json", "--yes"] + (["--dry-run"] * dry_run)
    values = parsed(cleanup, args)
    named = ("dry_run", "yes", "force", "disable_addon", "network_policy", "apply_network_policy", "verify_first")
    flags = {name: values.pop(name) for name in named}
    for name in ("token_exchange", "wait", "interval", "exchange_tenant_id"):
        values.pop(name)
    plan_file, journal_dir, output = values.pop("plan_file"), values.pop("journal_dir"), values.pop("output")
    options = CleanupOptions(disable_addon=flags["disable_addon"], force=flags["force"])
    start = time.perf_counter()
    with live_plan(plan_file, values, output) as lp:
        connected = time.perf_counter() - start
        report = run_cleanup(lp, options, flags["dry_run"], flags["yes"], journal_dir, output, None)
    return connected, lp.live, report


def measure(lab: LabProcess, run: Callable[[], tuple[float, Any, Any]], outcome: Callable[[Any], str]) -> Sample:
    lab.take()
    cpu = time.process_time()
    start = time.perf_counter()
    connect, live, report = run()
    wall = time.perf_counter() - start
    client_cpu = time.process_time() - cpu
    requests, lab_cpu = lab.take()
    arm = sum(live.azure.statuses.values()) if live.azure is not None else 0
    return Sample(wall, connect, client_cpu, lab_cpu, requests, live.kube.requests, arm, outcome(report), report)


def verdicts(report: Any) -> str:
    passed = sum(1 for v in report.verdicts if v.passed)
    return f"{passed}/{len(report.verdicts)} passed"


def cleanup_outcome(report: Any) -> str:
    counts = Counter(r.status for r in report.results)
    refused = len(report.plan.refusals)
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + (f", {refused} refused" if refused else "")


# -- setup commands through the CLI (not timed) ---------------------------------------------------


def wimigrate(*args: str) -> tuple[int, str]:
    """Run a wimigrate command in this process; its exit code and stdout."""
    from migrator.cli.main import cli

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(list(args), prog_name="wimigrate", standalone_mode=False)
    return int(code or 0), out.getvalue()


def undo_cleanup(lab: LabProcess, state: str, journals: str) -> float:
    """Roll the newest cleanup journal back and let the lab's rollouts finish; seconds taken."""
    from migrator.storage.journal import Journal, journal_paths

    start = time.perf_counter()
    for path in journal_paths(Path(journals), newest_first=True):
        if Journal.open(path).header.get("command") == "cleanup":
            code, out = wimigrate("rollback", str(path), "--lab-dir", state, "--yes", "-o", "json")
            if code != 0:
                sys.exit(f"rollback of {path} failed ({code}): {out[:2000]}")
            break
    lab.ask("settle")
    return time.perf_counter() - start


# -- reporting ------------------------------------------------------------------------------------


def show(series: Series, workloads: int) -> None:
    walls = series.walls()
    first = series.samples[0]
    print(
        f"\n{series.label}: median {statistics.median(walls):.2f} s, best {min(walls):.2f} s "
        f"({', '.join(f'{w:.2f}' for w in walls)}); {first.outcome}",
        flush=True,
    )
    connects = [s.connect for s in series.samples]
    print(
        f"  of which connect + issuer (live_plan) median {statistics.median(connects):.2f} s; "
        f"client CPU median {statistics.median(s.client_cpu for s in series.samples):.2f} s, "
        f"lab CPU median {statistics.median(s.lab_cpu for s in series.samples):.2f} s"
    )
    totals = {name: sum(n for (svc, _, _), n in first.requests.items() if svc == name) for name in SERVICES}
    print(
        "  requests (lab count, first run): "
        + ", ".join(f"{name} {totals[name]} ({totals[name] / workloads:.2f}/workload)" for name in SERVICES)
        + f"; client counters: KubeApi {first.kube_client}, ARM answers {first.arm_client}"
    )
    for (svc, verb, resource), n in sorted(first.requests.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"    {n:5d}  {svc:5s} {verb:7s} {resource}")


def stages(plan: str, journals: str, verify_report: Any, repeat: int = 5) -> None:
    """In-process costs that grow with the plan, outside any command: reading the plan file, journaling
    the verdicts (one fsynced append each), and cleanup reading the verdicts back from every journal."""
    from migrator.storage.journal import Journal, journal_paths
    from migrator.storage.planfile import read_plan
    from migrator.storage.verifications import record_verdicts, recorded_verdicts

    def timed(run: Callable[[], Any]) -> str:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        return f"median {statistics.median(times) * 1000:.0f} ms, best {min(times) * 1000:.0f} ms"

    verdicts = verify_report.verdicts
    size = Path(plan).stat().st_size
    print(f"\nstages (in process, {repeat} times each):")
    print(f"  read_plan of the {size / 1024:.0f} KiB plan (yaml.safe_load): {timed(lambda: read_plan(plan))}")
    with tempfile.TemporaryDirectory(dir=Path(journals).parent) as scratch:
        header = {"runId": "bench", "command": "verify"}
        record = timed(lambda: record_verdicts(Journal.create(Path(scratch), header), verdicts, token_exchange=False))
        print(f"  record_verdicts of {len(verdicts)} verdicts (a journal each, same disk): {record}")
    count = len(journal_paths(Path(journals)))
    read = timed(lambda: recorded_verdicts(Path(journals)))
    print(f"  recorded_verdicts over the {count} journals left by this run: {read}")


def profile(label: str, run: Callable[[], Any]) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(run)
    print(f"\n--- profile: {label} (client process; the lab's time shows as socket reads) ---")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--namespaces", type=int, default=20)
    parser.add_argument("--per-namespace", type=int, default=10, help="Deployments per namespace.")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="Also profile one more round (cProfile).")
    args = parser.parse_args()
    if min(args.runs, args.namespaces, args.per_namespace, args.replicas) < 1:
        parser.error("--runs, --namespaces, --per-namespace and --replicas must be at least 1")
    workloads = args.namespaces * args.per_namespace
    print(
        f"machine: {platform.machine()}, nproc {os.cpu_count()}, "
        f"{platform.python_implementation()} {platform.python_version()}; {time.strftime('%Y-%m-%d')}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="wimigrate-bench-verify-") as tmp:
        state, tree, journals = f"{tmp}/lab", f"{tmp}/tree", f"{tmp}/journals"
        plan = f"{tmp}/plan.yaml"
        context = multiprocessing.get_context("fork")
        parent, child = context.Pipe()
        process = context.Process(
            target=serve_lab, args=(child, state, tree, args.namespaces, args.per_namespace, args.replicas)
        )
        process.start()
        received = parent.recv()
        if isinstance(received, Exception):
            process.join(60)
            sys.exit(f"the lab could not be filled: {received!r}")
        info, fill, seeded = received
        lab = LabProcess(parent, process, info)
        try:
            print(f"lab seeded in {fill:.1f} s: {seeded} (not timed)", flush=True)
            run_rounds(lab, args, workloads, state, tree, plan, journals)
        finally:
            lab.stop()


def run_rounds(lab: LabProcess, args: Any, workloads: int, state: str, tree: str, plan: str, journals: str) -> None:
    start = time.perf_counter()
    code, out = wimigrate("plan", "--manifests", tree, "--issuer", lab.info.issuer_url, "--out", plan)
    if code not in (0, 1):
        sys.exit(f"plan failed ({code}): {out[:2000]}")
    code, out = wimigrate("apply", plan, "--lab-dir", state, "--journal-dir", journals, "--yes", "-o", "json")
    if code != 0:
        sys.exit(f"apply failed ({code}): {out[:2000]}")
    done = {status: n for status, n in json.loads(out)["summary"].items() if n}
    lab.ask("settle")
    print(f"plan + apply + rollouts in {time.perf_counter() - start:.1f} s: {done} (not timed)", flush=True)

    measures: list[tuple[Series, Callable[[], tuple[float, Any, Any]], Callable[[Any], str]]] = [
        (Series("verify"), lambda: verify_once(state, plan, journals, False), verdicts),
        (Series("verify --token-exchange"), lambda: verify_once(state, plan, journals, True), verdicts),
        (Series("cleanup --dry-run"), lambda: cleanup_once(state, plan, journals, True), cleanup_outcome),
        (Series("cleanup"), lambda: cleanup_once(state, plan, journals, False), cleanup_outcome),
    ]
    for n in range(args.runs):
        for series, run, outcome in measures:
            sample = measure(lab, run, outcome)
            series.samples.append(sample)
            print(f"run {n + 1}: {series.label} {sample.wall:.2f} s ({sample.outcome})", flush=True)
        print(f"run {n + 1}: rollback of the cleanup + rollouts {undo_cleanup(lab, state, journals):.1f} s", flush=True)
    for series, _, _ in measures:
        show(series, workloads)
    stages(plan, journals, measures[0][0].samples[-1].report)
    if args.profile:
        for series, run, _ in measures:
            profile(series.label, run)
        undo_cleanup(lab, state, journals)


if __name__ == "__main__":
    main()

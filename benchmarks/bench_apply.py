"""Apply benchmark (issue 5): the federate phase against Azure's federated-credential write limits.

    python benchmarks/bench_apply.py [--runs 2] [--identities 40] [--per-identity 3] [--speedup 10]

A lab with 40 user-assigned identities in one subscription and a plan of 3 federated credentials
per identity (120 writes). ``apply --only federate`` runs through the real ``IdentityGateway``
(azure-mgmt-msi) against the lab's ARM, which throttles FIC writes as Azure documents them
(2/s per subscription with a burst of 2, 0.25/s per identity, 10/s per tenant), at the lab's
speed-up. Reported per run: wall time of the write phase, the floor Azure's limits allow
(``floor_seconds`` nominal / speed-up), their ratio (target <= 1.15), and the 429s received
(target 0): ARM answers counted by ``AzureTarget.statuses`` and requests the lab's throttle refused.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from migrator.adapters.azure.connect import connect  # noqa: E402
from migrator.adapters.azure.identities import IdentityGateway  # noqa: E402
from migrator.core.plan import Plan, PlannedCredential  # noqa: E402
from migrator.core.ratelimit import floor_seconds  # noqa: E402
from migrator.lab.lab import Lab, LabConfig  # noqa: E402
from migrator.phases.apply import runner  # noqa: E402
from migrator.phases.apply.context import DONE, ApplyContext, ApplyOptions  # noqa: E402
from migrator.storage.journal import Journal  # noqa: E402

RESOURCE_GROUP = "rg-bench-identities"


@dataclass
class Result:
    wall: float
    observe: float
    floor: float
    writes: int
    done: int
    throttled_answers: int
    refused: int
    created: int

    @property
    def ratio(self) -> float:
        return self.wall / self.floor if self.floor else float("inf")


def identity_id(subscription: str, n: int) -> str:
    return (
        f"/subscriptions/{subscription}/resourceGroups/{RESOURCE_GROUP}/providers/"
        f"Microsoft.ManagedIdentity/userAssignedIdentities/id-bench-{n:03d}"
    )


def build(lab: Lab, identities: int, per_identity: int) -> Plan:
    """Identities registered in the lab's ARM (as seeding does), and the plan's credentials for them."""
    credentials = []
    for n in range(identities):
        rid = identity_id(lab.subscription_id, n)
        wire = lab.azure.add_identity(rid, location=lab.config.location)
        for j in range(per_identity):
            namespace, sa = f"team-{n:03d}", f"app-{j}"
            credentials.append(
                PlannedCredential(
                    identityResourceID=rid,
                    identityName=f"id-bench-{n:03d}",
                    identityClientID=wire["properties"]["clientId"],
                    identityType="managedIdentity",
                    name=f"{namespace}-{sa}",
                    issuer=lab.issuer.url,
                    subject=f"system:serviceaccount:{namespace}:{sa}",
                    namespace=namespace,
                    serviceAccountName=sa,
                )
            )
    return Plan(issuer=lab.issuer.url, issuerPlaceholder=False, federatedCredentials=credentials)


def run_once(identities: int, per_identity: int, speedup: float) -> Result:
    with Lab(LabConfig(speedup=speedup)) as lab, tempfile.TemporaryDirectory() as state:
        plan = build(lab, identities, per_identity)
        target = connect(lab.info())
        gateway = IdentityGateway(target)
        run_id = runner.new_run_id()
        journal = Journal.create(Path(state), {"runId": run_id, "plan": plan.to_dict()})
        ctx = ApplyContext(None, gateway, journal, run_id, ApplyOptions(phases=("federate",), time_scale=speedup))
        runner.validate(plan, ctx)
        start = time.perf_counter()
        observed = runner.observe(plan, ctx)  # one list per identity (paced reads); signs in to Entra first
        observe = time.perf_counter() - start
        start = time.perf_counter()
        report = runner.execute(plan, ctx, observed)
        wall = time.perf_counter() - start
        per_identity_writes: dict[str, int] = {}
        for c in plan.federatedCredentials:
            per_identity_writes[c.identityResourceID or ""] = per_identity_writes.get(c.identityResourceID or "", 0) + 1
        floor = floor_seconds(per_identity_writes, {lab.subscription_id: list(per_identity_writes)}) / speedup
        return Result(
            wall=wall,
            observe=observe,
            floor=floor,
            writes=len(plan.federatedCredentials),
            done=report.count(DONE),
            throttled_answers=target.statuses[429],
            refused=lab.azure.fic_write_limits.refused,
            created=sum(lab.azure.credential_creations().values()),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--identities", type=int, default=40)
    parser.add_argument("--per-identity", type=int, default=3)
    parser.add_argument("--speedup", type=float, default=10.0)
    args = parser.parse_args()

    results = []
    for i in range(args.runs):
        result = run_once(args.identities, args.per_identity, args.speedup)
        results.append(result)
        print(
            f"run {i + 1}: {result.done}/{result.writes} credentials created ({result.created} creations in ARM), "
            f"write phase {result.wall:.3f} s, floor {result.floor:.3f} s, ratio {result.ratio:.3f}, "
            f"429 answers {result.throttled_answers}, throttle refusals {result.refused}; "
            f"observe (list per identity) {result.observe:.3f} s",
            flush=True,
        )
    wall = statistics.median(r.wall for r in results)
    floor = results[0].floor
    print()
    print(
        f"writes: {results[0].writes} ({args.identities} identities x {args.per_identity}), speed-up {args.speedup:g}"
    )
    print(f"floor: {floor:.3f} s ({floor * args.speedup:.1f} s nominal / {args.speedup:g})")
    print(f"write phase, median of {len(results)}: {wall:.3f} s; ratio {wall / floor:.3f} (target <= 1.15)")
    print(
        f"429s: {sum(r.throttled_answers for r in results)} answers, "
        f"{sum(r.refused for r in results)} throttle refusals (target 0)"
    )
    print(f"machine: nproc {os.cpu_count()}, {platform.python_implementation()} {platform.python_version()}")


if __name__ == "__main__":
    main()

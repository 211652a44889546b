"""A lab seeded with samples/quickstart, reached through wimigrate's real adapters, and the helpers
the apply tests share: running apply (validate, observe, execute) with a fresh journal, resuming
and rolling back a run, and snapshots of the objects apply touches, for comparing before and after."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from azure.mgmt.msi import ManagedServiceIdentityClient

from migrator.adapters.azure.connect import AzureTarget
from migrator.adapters.azure.connect import connect as azure_connect
from migrator.adapters.azure.identities import IdentityGateway
from migrator.adapters.kube import resources as R
from migrator.adapters.kube.api import KubeApi
from migrator.adapters.kube.connect import connect as kube_connect
from migrator.core.changes import CREATED_BY_ANNOTATION
from migrator.core.plan import Plan
from migrator.core.planner import PlanOptions, build_plan
from migrator.core.resource_ids import identity_id
from migrator.lab.faults import Fault
from migrator.lab.lab import Lab, LabInfo
from migrator.phases.apply import runner
from migrator.phases.apply.context import ApplyContext, ApplyOptions, Checkpoint
from migrator.phases.apply.rollback import RollbackReport, rollback
from migrator.phases.apply.runner import ApplyReport
from migrator.sources.manifests.scan import scan
from migrator.storage.journal import Journal
from tests.lab.azure_clients import ARM_SCOPE, operator_credential

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "samples" / "quickstart"
SPEEDUP = 50.0
"""Lab time runs 50x faster; ApplyOptions.time_scale follows it, so pacing and the propagation wait shrink too."""

CONTROLLER_ANNOTATIONS = ("deployment.kubernetes.io/revision",)
SERVER_FIELDS = ("resourceVersion", "generation", "managedFields")
RECREATED_FIELDS = ("uid", "creationTimestamp")


@dataclass
class Run:
    report: ApplyReport
    journal: Journal | None
    ctx: ApplyContext

    @property
    def statuses(self) -> dict[str, str]:
        return {r.key: r.status for r in self.report.results}


@dataclass
class State:
    """Deep copies of the live objects apply may touch."""

    workloads: dict[str, dict] = field(default_factory=dict)
    """``namespace/Kind/name`` -> the object."""
    service_accounts: dict[str, dict] = field(default_factory=dict)
    """``namespace/name`` -> every ServiceAccount in the plan's namespaces."""
    credentials: dict[str, dict] = field(default_factory=dict)
    """``identity name/credential name`` -> the credential as azure-mgmt-msi reads it."""


class World:
    """One lab seeded with the quickstart, and wimigrate's own adapters pointed at it."""

    def __init__(self, lab: Lab, journals: Path) -> None:
        self.lab = lab
        self.info: LabInfo = lab.info()
        self.kube = KubeApi(kube_connect(lab=self.info).client)
        self.target: AzureTarget = azure_connect(self.info)
        self.identities = IdentityGateway(self.target)
        self.journals = journals
        self._msi: dict[str, ManagedServiceIdentityClient] = {}
        self.plan = self.make_plan()

    # -- planning and running -----------------------------------------------------------------
    def make_plan(self, **options: Any) -> Plan:
        """The quickstart's plan, for this lab's OIDC issuer (as `plan --issuer` would make it)."""
        return build_plan(scan([str(QUICKSTART)]), PlanOptions(**{"issuer": self.info.issuer_url, **options}))

    def options(self, **options: Any) -> ApplyOptions:
        return ApplyOptions(time_scale=SPEEDUP, **options)

    def apply(
        self,
        plan: Plan | None = None,
        *,
        checkpoint: Checkpoint | None = None,
        **options: Any,
    ) -> Run:
        """validate, observe, execute: a new run with a fresh journal (none for a dry run)."""
        plan = plan or self.plan
        opts = self.options(**options)
        run_id = runner.new_run_id()
        journal = None
        if not opts.dry_run:
            journal = Journal.create(self.journals, {"runId": run_id, "plan": plan.to_dict()})
        ctx = ApplyContext(self.kube, self.identities, journal, run_id, opts, checkpoint=checkpoint)
        runner.validate(plan, ctx)
        observed = runner.observe(plan, ctx)
        return Run(runner.execute(plan, ctx, observed), journal, ctx)

    def resume(self, path: Path, *, checkpoint: Checkpoint | None = None, **options: Any) -> Run:
        """Continue an interrupted run: its journal, its run id and the plan from its header."""
        journal = Journal.open(path)
        plan = Plan.from_dict(journal.header["plan"])
        ctx = ApplyContext(
            self.kube, self.identities, journal, journal.header["runId"], self.options(**options), checkpoint=checkpoint
        )
        runner.validate(plan, ctx)
        observed = runner.observe(plan, ctx)
        return Run(runner.execute(plan, ctx, observed), journal, ctx)

    def rollback(self, path: Path, **options: Any) -> RollbackReport:
        journal = Journal.open(path)
        ctx = ApplyContext(self.kube, self.identities, journal, journal.header["runId"], self.options(**options))
        return rollback(journal, ctx)

    # -- reading the world ----------------------------------------------------------------------
    def msi(self, subscription: str) -> ManagedServiceIdentityClient:
        if subscription not in self._msi:
            self._msi[subscription] = ManagedServiceIdentityClient(
                operator_credential(self.lab),
                subscription,
                base_url=self.lab.arm_url,
                credential_scopes=[ARM_SCOPE],
                connection_verify=str(self.lab.ca_file),
                retry_backoff_factor=0.01,
            )
        return self._msi[subscription]

    def identity_ids(self, plan: Plan | None = None) -> list[str]:
        plan = plan or self.plan
        return sorted({c.identityResourceID for c in plan.federatedCredentials if c.identityResourceID})

    def credentials(self, resource_id: str) -> dict[str, Any]:
        """An identity's federated credentials read with azure-mgmt-msi, by name."""
        rid = identity_id(resource_id)
        assert rid is not None
        ops = self.msi(rid.subscription).federated_identity_credentials
        return {c.name: c for c in ops.list(rid.resource_group, rid.name)}

    def workload(self, namespace: str, kind: str, name: str) -> dict:
        return self.kube.get(R.workload_resource(kind), namespace, name)

    def service_account(self, namespace: str, name: str) -> dict | None:
        return self.kube.find(R.SERVICE_ACCOUNTS, namespace, name)

    def snapshot(self, plan: Plan | None = None) -> State:
        plan = plan or self.plan
        state = State()
        for w in plan.workloads:
            state.workloads[f"{w.namespace}/{w.kind}/{w.name}"] = copy.deepcopy(
                self.workload(w.namespace, w.kind, w.name)
            )
        namespaces = sorted({w.namespace for w in plan.workloads} | {s.namespace for s in plan.serviceAccounts})
        for ns in namespaces:
            for sa in self.kube.list(R.SERVICE_ACCOUNTS, ns):
                state.service_accounts[f"{ns}/{sa['metadata']['name']}"] = copy.deepcopy(sa)
        for rid in self.identity_ids(plan):
            name = rid.rsplit("/", 1)[-1]
            for cname, credential in self.credentials(rid).items():
                state.credentials[f"{name}/{cname}"] = credential.as_dict()
        return state

    def store_version(self) -> str:
        """The lab cluster's resourceVersion: any stored write moves it on."""
        return self.lab.kube.store.resource_version

    def creations(self) -> dict[str, int]:
        return self.lab.azure.credential_creations()

    def spy(self, service: str, verb: str, resource: str = "*") -> Fault:
        """A fault that does nothing (0 s latency) but counts the requests it matches: ``lab.faults.fired``."""
        return self.lab.faults.add(Fault("latency", service=service, verb=verb, resource=resource, seconds=0.0))


# -- comparing objects --------------------------------------------------------------------------


def comparable(obj: dict, *, recreated: bool = False) -> dict:
    """The object without what the server and controllers own: resourceVersion, generation,
    managedFields, status, controller annotations (and uid/creationTimestamp of a re-created one)."""
    obj = copy.deepcopy(obj)
    meta = obj.get("metadata") or {}
    for key in SERVER_FIELDS + (RECREATED_FIELDS if recreated else ()):
        meta.pop(key, None)
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in CONTROLLER_ANNOTATIONS}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    obj.pop("status", None)
    return obj


def template_of(obj: dict) -> dict:
    spec = obj["spec"]
    return spec["jobTemplate"]["spec"]["template"] if obj["kind"] == "CronJob" else spec["template"]


def normalised(state: State, issuer: str) -> dict:
    """A state comparable across labs and runs: the lab's issuer URL and the run id are placeholders,
    and objects keep only what apply decides (workload templates, SA names and annotations, credentials)."""

    def sa(obj: dict) -> dict:
        annotations = dict(obj["metadata"].get("annotations") or {})
        if CREATED_BY_ANNOTATION in annotations:
            annotations[CREATED_BY_ANNOTATION] = "<run>"
        return {"labels": obj["metadata"].get("labels") or {}, "annotations": annotations}

    return {
        "workloads": {key: template_of(comparable(obj)) for key, obj in state.workloads.items()},
        "serviceAccounts": {key: sa(obj) for key, obj in state.service_accounts.items()},
        "credentials": {
            key: {k: (v.replace(issuer, "<issuer>") if isinstance(v, str) else v) for k, v in c.items() if k != "id"}
            for key, c in state.credentials.items()
        },
    }

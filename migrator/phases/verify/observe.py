"""Read what verification looks at, for each planned workload; one list per kind and namespace per round."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from migrator.adapters.kube import resources as kube
from migrator.core.fields import dig, mapping, text
from migrator.core.model import ExistingCredential
from migrator.core.ownership import controller_reference
from migrator.core.plan import AUDIENCE, TENANT_ID_ANNOTATION, Plan, PlannedWorkload
from migrator.core.verification import LogLine, TokenExchange, WorkloadObservation
from migrator.errors import NotFound, ServiceError
from migrator.phases.verify.context import TOKEN_SECONDS, VerifyContext
from migrator.sources.cluster.discover import WEBHOOK_CONFIGURATION
from migrator.sources.cluster.owners import Owners, key_of

LOG_READERS = 4
"""Container logs read at once per workload (the kubernetes client's connection pool holds more)."""
INTERMEDIATE = (kube.REPLICA_SETS, kube.JOBS)
"""Controllers between a pod and its top-level workload (Deployment -> ReplicaSet, CronJob -> Job)."""


@dataclass
class Namespace:
    pods: list[dict]
    controllers: list[dict]
    owners: Owners
    events: list[dict]
    pods_by_top: dict[tuple[str, str, str], list[dict]] = field(default_factory=dict)
    """Pods grouped by their top-level workload, once per namespace: each workload looks its own up."""
    controllers_by_top: dict[tuple[str, str, str], list[dict]] = field(default_factory=dict)
    events_by_object: dict[tuple[str, str], list[dict]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for pod in self.pods:
            self.pods_by_top.setdefault(_top(self.owners, pod), []).append(pod)
        for obj in self.controllers:
            self.controllers_by_top.setdefault(_top(self.owners, obj), []).append(obj)
        for event in self.events:
            involved = mapping(event.get("involvedObject"))
            where = (text(involved.get("kind")) or "", text(involved.get("name")) or "")
            self.events_by_object.setdefault(where, []).append(event)


@dataclass
class Observer:
    """Reads for one verification round; each namespace, identity and the webhook are read once."""

    ctx: VerifyContext
    plan: Plan
    _namespaces: dict[str, Namespace] = field(default_factory=dict)
    _credentials: dict[str, tuple[list[ExistingCredential] | None, str | None]] = field(default_factory=dict)
    _webhook: dict | None = None
    _webhook_read: bool = False
    _exchanges: dict[tuple[str, ...], TokenExchange] = field(default_factory=dict)
    _workloads: dict[tuple[str, str], dict[str, dict]] = field(default_factory=dict)
    _accounts: dict[tuple[str, str], dict | None] = field(default_factory=dict)

    def observe(self, planned: PlannedWorkload) -> WorkloadObservation:
        current = self._workload(planned)
        ns = self._namespace(planned.namespace)
        pods = self._pods_of(planned, ns, current) if current is not None else []
        rid = self._identity_of(planned)
        credentials, error = self._credentials_of(rid)
        obs = WorkloadObservation(
            planned=planned,
            current=current,
            pods=pods,
            service_account=self._account(planned.namespace, planned.serviceAccountName),
            webhook=self.webhook(),
            issuer=self.ctx.issuer,
            identity_resource_id=rid,
            credentials=credentials,
            credentials_error=error,
        )
        if current is not None:
            obs.lines = self._lines(planned, ns, pods)
        if self.ctx.options.token_exchange:
            obs.token = self._exchange(planned, current, pods, obs.service_account)
        return obs

    # -- the cluster ----------------------------------------------------------------------------
    def _workload(self, planned: PlannedWorkload) -> dict | None:
        """One list per kind and namespace (a round reads its workloads together), not one GET each."""
        key = (planned.namespace, planned.kind)
        if key not in self._workloads:
            resource = kube.workload_resource(planned.kind)
            listed = self.ctx.kube.list(resource, planned.namespace)
            self._workloads[key] = {text(dig(o, "metadata", "name")) or "": o for o in listed}
        return self._workloads[key].get(planned.name)

    def _account(self, namespace: str, name: str) -> dict | None:
        """ServiceAccounts are shared by workloads: each is read once per round."""
        if (namespace, name) not in self._accounts:
            self._accounts[(namespace, name)] = self.ctx.kube.find(kube.SERVICE_ACCOUNTS, namespace, name)
        return self._accounts[(namespace, name)]

    def webhook(self) -> dict | None:
        if not self._webhook_read:
            self._webhook = self.ctx.kube.find(kube.MUTATING_WEBHOOKS, None, WEBHOOK_CONFIGURATION)
            self._webhook_read = True
        return self._webhook

    def _namespace(self, name: str) -> Namespace:
        if name not in self._namespaces:
            api = self.ctx.kube
            pods = [p for p in api.list(kube.PODS, name) if not dig(p, "metadata", "deletionTimestamp")]
            controllers = [o for r in INTERMEDIATE for o in api.list(r, name)]
            events = [e for e in api.list(kube.EVENTS, name) if e.get("type") == "Warning"]
            owners = Owners([*controllers, *pods])
            self._namespaces[name] = Namespace(pods, controllers, owners, events)
        return self._namespaces[name]

    def _pods_of(self, planned: PlannedWorkload, ns: Namespace, current: dict) -> list[dict]:
        """Its running pods; a CronJob's: those of its newest Job made from the current template
        (Jobs made before the change ran the old one; the next Job shows whether the change works)."""
        pods = ns.pods_by_top.get((planned.namespace, planned.kind, planned.name), [])
        if planned.kind not in ("Job", "CronJob"):
            return [p for p in pods if dig(p, "status", "phase") not in ("Succeeded", "Failed")]
        if planned.kind == "CronJob":
            wanted = mapping(dig(current, "spec", "jobTemplate", "spec", "template"))
            jobs = {id(p): ns.owners.owner(p) for p in pods}
            current_jobs = [j for j in jobs.values() if j is not None and _same_template(j, wanted)]
            newest = max((_created(j) for j in current_jobs), default=None)
            pods = [p for p in pods if jobs[id(p)] in current_jobs and _created(jobs[id(p)]) == newest]
        return pods

    def _lines(self, planned: PlannedWorkload, ns: Namespace, pods: list[dict]) -> list[LogLine]:
        """Warning events of the workload, its ReplicaSets/Jobs and pods since its newest pod; recent logs."""
        target = (planned.namespace, planned.kind, planned.name)
        names = {(planned.kind, planned.name)}
        names |= {("Pod", text(dig(p, "metadata", "name")) or "") for p in pods}
        names |= {(o["kind"], text(dig(o, "metadata", "name")) or "") for o in ns.controllers_by_top.get(target, [])}
        newest = max((text(dig(p, "metadata", "creationTimestamp")) or "" for p in pods), default="")
        lines = []
        for where in sorted(names):
            for event in ns.events_by_object.get(where, []):
                stamp = text(event.get("lastTimestamp")) or text(event.get("eventTime")) or ""
                if where[0] == "Pod" or stamp >= newest:
                    message = f"{event.get('reason')}: {event.get('message')}"
                    lines.append(LogLine(f"event {where[0]}/{where[1]}", message))
        wanted = [
            (text(dig(pod, "metadata", "name")) or "", text(mapping(container).get("name")) or "")
            for pod in pods[: self.ctx.options.max_pods]
            for container in dig(pod, "spec", "containers") or []
        ]
        # a few at a time: each is a round trip to the API server (and the kubelet behind it)
        with ThreadPoolExecutor(max_workers=LOG_READERS) as pool:
            for found in pool.map(lambda pc: self._logs(planned.namespace, *pc), wanted):
                lines.extend(found)
        return lines

    def _logs(self, namespace: str, pod: str, container: str) -> list[LogLine]:
        try:
            text_ = self.ctx.kube.logs(namespace, pod, container, self.ctx.options.tail_lines)
        except ServiceError:  # not started yet, or logs not readable (RBAC): nothing to scan
            return []
        return [LogLine(f"pod/{pod}/{container}", line) for line in text_.splitlines() if line.strip()]

    # -- Azure ------------------------------------------------------------------------------------
    def _identity_of(self, planned: PlannedWorkload) -> str | None:
        subject = f"system:serviceaccount:{planned.namespace}:{planned.serviceAccountName}"
        for credential in self.plan.federatedCredentials:
            if (
                credential.subject == subject
                and credential.identityClientID == planned.clientID
                and credential.identityType == "managedIdentity"
            ):
                return credential.identityResourceID
        return None

    def _credentials_of(self, rid: str | None) -> tuple[list[ExistingCredential] | None, str | None]:
        if rid is None or self.ctx.identities is None:
            return None, None
        key = rid.lower()
        if key not in self._credentials:
            try:
                self._credentials[key] = (self.ctx.identities.credentials(rid), None)
            except ServiceError as exc:
                self._credentials[key] = (None, exc.message)
        return self._credentials[key]

    # -- Entra ------------------------------------------------------------------------------------
    def _exchange(
        self, planned: PlannedWorkload, current: dict | None, pods: list[dict], sa: dict | None
    ) -> TokenExchange:
        """A token for the ServiceAccount the pods really run as, redeemed for the planned identity; once per
        round for each ServiceAccount, identity, tenant and authority (workloads sharing them share it)."""
        account = _running_account(planned, current, pods)
        where = f"{planned.namespace}/{account}"
        if self.ctx.exchange is None:
            return TokenExchange(False, where, planned.clientID, None, "no connection to Entra")
        env = _injected_env(pods)
        tenant = (
            env.get("AZURE_TENANT_ID")
            or text(dig(sa or {}, "metadata", "annotations", TENANT_ID_ANNOTATION))
            or self.ctx.tenant_id
        )
        if not tenant:
            unknown = "the tenant is unknown: pass --exchange-tenant-id"
            return TokenExchange(False, where, planned.clientID, None, unknown)
        authority = env.get("AZURE_AUTHORITY_HOST") or self.ctx.authority
        key = (planned.namespace, account, planned.clientID, tenant, authority or "")
        if key not in self._exchanges:
            self._exchanges[key] = self._redeem(planned.namespace, account, planned.clientID, tenant, authority)
        return self._exchanges[key]

    def _redeem(
        self, namespace: str, account: str, client_id: str, tenant: str, authority: str | None
    ) -> TokenExchange:
        where = f"{namespace}/{account}"
        try:
            assertion = self.ctx.kube.create_token(namespace, account, AUDIENCE, TOKEN_SECONDS)
        except NotFound:
            return TokenExchange(False, where, client_id, None, f"ServiceAccount {where} does not exist")
        except ServiceError as exc:
            return TokenExchange(False, where, client_id, None, f"TokenRequest failed: {exc.message}")
        return self.ctx.exchange.exchange(tenant, client_id, assertion, authority, where)


def _top(owners: Owners, obj: dict) -> tuple[str, str, str]:
    """The top-level workload: up the listed ReplicaSets/Jobs, then their (unlisted) controller, if any."""
    last = owners.chain(obj)[-1]
    ref = controller_reference(last)
    if ref is None:
        return key_of(last)
    return (text(dig(last, "metadata", "namespace")) or "", text(ref.get("kind")) or "", text(ref.get("name")) or "")


def _same_template(job: dict, wanted: dict) -> bool:
    """Whether a Job was made from this pod template (labels, annotations and ServiceAccount as given)."""
    have = mapping(dig(job, "spec", "template"))
    for part in ("labels", "annotations"):
        mine, theirs = mapping(dig(have, "metadata", part)), mapping(dig(wanted, "metadata", part))
        if any(mine.get(k) != v for k, v in theirs.items()):
            return False
    return dig(have, "spec", "serviceAccountName") == dig(wanted, "spec", "serviceAccountName")


def _created(obj: dict) -> str:
    return text(dig(obj, "metadata", "creationTimestamp")) or ""


def _running_account(planned: PlannedWorkload, current: dict | None, pods: list[dict]) -> str:
    for pod in pods:
        account = text(dig(pod, "spec", "serviceAccountName"))
        if account:
            return account
    if current is not None:
        from migrator.core.recognise import TEMPLATE_PATHS

        path = TEMPLATE_PATHS.get(planned.kind, ())
        template = mapping(dig(current, *path)) if path else current
        return text(dig(template, "spec", "serviceAccountName")) or "default"
    return planned.serviceAccountName


def _injected_env(pods: list[dict]) -> dict[str, str]:
    """AZURE_* values the webhook injected into the first mutated container."""
    for pod in pods:
        for container in dig(pod, "spec", "containers") or []:
            env = {
                text(mapping(e).get("name")) or "": text(mapping(e).get("value")) or ""
                for e in mapping(container).get("env") or []
            }
            if env.get("AZURE_FEDERATED_TOKEN_FILE"):
                return env
    return {}

"""Does workload identity really work for a migrated workload? Checks over what was observed (pure).

``phases.verify`` reads the cluster, Azure and (optionally) Entra into a ``WorkloadObservation``;
``verify_workload`` turns it into one ``Check`` per question, each failure with a diagnosed cause
(a stable code, so tests, the journal and cleanup can name it) and the fix. Nothing here does I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from migrator.core.changes import workload_key
from migrator.core.fields import dig, mapping, text
from migrator.core.model import ExistingCredential
from migrator.core.naming import fic_name, unique
from migrator.core.plan import (
    AUDIENCE,
    CLIENT_ID_ANNOTATION,
    INJECT_SIDECAR_ANNOTATION,
    PROXY_PORT_ANNOTATION,
    USE_LABEL,
    PlannedWorkload,
)
from migrator.core.recognise import TEMPLATE_PATHS
from migrator.core.resource_ids import identity_id

PASS, FAIL, SKIP = "pass", "fail", "skip"

# check names, in the order they are reported
ROLLOUT = "rollout"
POD_LABEL = "pod-label"
SERVICE_ACCOUNT = "service-account"
CLIENT_ID = "client-id"
WEBHOOK = "webhook"
SIDECAR = "sidecar"
CREDENTIAL = "credential"
TOKEN_EXCHANGE = "token-exchange"
SIGNATURES = "logs-and-events"
CHECKS = (ROLLOUT, POD_LABEL, SERVICE_ACCOUNT, CLIENT_ID, WEBHOOK, SIDECAR, CREDENTIAL, TOKEN_EXCHANGE, SIGNATURES)


@dataclass
class Check:
    name: str
    status: str
    detail: str
    """What was seen (pass) or what is wrong (fail), naming the object."""
    cause: str = ""
    """On failure: a stable code for the diagnosed cause (``missing-label``, ``issuer-trailing-slash``...)."""
    fix: str = ""
    """On failure: what to do, with the exact command where there is one."""


@dataclass
class TokenExchange:
    """The outcome of redeeming a fresh service-account token at Entra (never the token itself)."""

    ok: bool
    service_account: str
    """``namespace/name`` the token was minted for."""
    client_id: str
    code: str | None = None
    """``AADSTS70021`` and so on, or None (success, or a failure before Entra answered)."""
    message: str = ""
    """Entra's description or the local error, free of tokens."""


@dataclass
class LogLine:
    where: str
    """``pod/<name>/<container>`` or ``event <Kind>/<name>``."""
    text: str


@dataclass
class WorkloadObservation:
    """Everything ``verify_workload`` looks at for one planned workload. None means "not read"."""

    planned: PlannedWorkload
    current: dict | None
    """The workload object as the API server returns it (None: not found)."""
    pods: list[dict] = field(default_factory=list)
    """Its pods now (not terminating), as the API server returns them."""
    service_account: dict | None = None
    """The planned ServiceAccount as it is in the cluster (None: not found)."""
    webhook: dict | None = None
    """The workload-identity MutatingWebhookConfiguration (None: not installed)."""
    issuer: str | None = None
    """The cluster's OIDC issuer exactly as AKS reports it; None when unknown."""
    identity_resource_id: str | None = None
    """The identity the plan federates for this workload (None: an app registration, or not planned)."""
    credentials: list[ExistingCredential] | None = None
    """The federated credentials on that identity; None when Azure was not read."""
    credentials_error: str | None = None
    """Why the credentials could not be read (403, identity not found...)."""
    token: TokenExchange | None = None
    """The token exchange's outcome; None unless ``--token-exchange``."""
    lines: list[LogLine] = field(default_factory=list)
    """Recent log lines of its pods' containers and messages of its events, for signature scanning."""


@dataclass
class SignatureHit:
    """A known failure signature found in a log line or event."""

    signature: str
    """Stable code: ``AADSTS70021``, ``imds-timeout``, ``proxy-error``, ``webhook-denied``..."""
    where: str
    excerpt: str
    """The matching text, shortened, with anything token-like redacted."""
    cause: str
    fix: str
    count: int = 1
    """How many lines of that stream showed it (the excerpt is the latest)."""


@dataclass
class WorkloadVerdict:
    ref: str
    """``namespace/Kind/name``."""
    key: str
    """``workload_key`` of the workload: the journal and cleanup find verdicts by it."""
    mode: str
    checks: list[Check] = field(default_factory=list)
    hits: list[SignatureHit] = field(default_factory=list)
    generation: int | None = None
    """The workload's metadata.generation when verified: a later change invalidates the verdict."""

    @property
    def passed(self) -> bool:
        return all(c.status != FAIL for c in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == FAIL]

    def to_dict(self) -> dict[str, Any]:
        return {
            "workload": self.ref,
            "mode": self.mode,
            "passed": self.passed,
            "generation": self.generation,
            "checks": [asdict(c) for c in self.checks],
            "signatures": [asdict(h) for h in self.hits],
        }


def verify_workload(obs: WorkloadObservation) -> WorkloadVerdict:
    """Every check for one workload, in ``CHECKS`` order."""
    from migrator.core.signatures import scan

    facts = _Facts(obs)
    hits = scan(obs.lines)
    checks = [
        _rejected(_rollout(facts), hits),
        _pod_label(facts),
        _service_account(facts),
        _client_id(facts),
        _webhook(facts),
        _sidecar(facts),
        _credential(obs),
        _token_exchange(obs),
        _signatures(facts, hits),
    ]
    planned = obs.planned
    return WorkloadVerdict(
        ref=planned.ref,
        key=workload_key(planned.namespace, planned.kind, planned.name),
        mode=planned.mode,
        checks=checks,
        hits=hits,
        generation=_int(dig(obs.current, "metadata", "generation")) if obs.current is not None else None,
    )


# -- what every check looks at ------------------------------------------------------------------------
class _Facts:
    """The observation, with the pod template found and the commands that fix things spelled out."""

    def __init__(self, obs: WorkloadObservation) -> None:
        self.obs = obs
        self.planned = p = obs.planned
        self.kind, self.ns, self.name = p.kind, p.namespace, p.name
        self.current = obs.current
        path = TEMPLATE_PATHS.get(p.kind, ("spec", "template"))
        self.template = (mapping(dig(obs.current, *path)) if path else mapping(obs.current)) if obs.current else {}
        self.pods = [pod for pod in obs.pods if isinstance(pod, dict)]
        sa_annotations = mapping(dig(obs.service_account, "metadata", "annotations"))
        self.sa_client_id = text(sa_annotations.get(CLIENT_ID_ANNOTATION)) or None
        self.strategy = text(dig(obs.current, "spec", "updateStrategy", "type")) or "RollingUpdate"

    @property
    def what(self) -> str:
        return f"{self.kind} {self.ns}/{self.name}"

    @property
    def resource(self) -> str:
        return f"{self.kind.lower()}/{self.name}"

    def restart(self, pods: list[dict] | None = None) -> str:
        """The command that recreates the pods (the webhook mutates pods only when they are created)."""
        ns, name = self.ns, self.name
        if self.kind == "Deployment" or (self.kind in ("StatefulSet", "DaemonSet") and self.strategy != "OnDelete"):
            return f"kubectl rollout restart {self.resource} -n {ns}"
        if self.kind in ("StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController"):
            return _delete_pods(ns, pods if pods is not None else self.pods, self.current) + (
                f" (the {self.kind} recreates them from its template)"
            )
        if self.kind == "Pod":
            return f"kubectl get pod {name} -n {ns} -o yaml | kubectl replace --force -f -"
        if self.kind == "CronJob":
            return (
                "its next Job uses the template; to try it now: "
                f"kubectl create job {name}-wi-check --from=cronjob/{name} -n {ns}"
            )
        if self.kind == "Job":
            return f"re-create the Job: kubectl delete job {name} -n {ns}, then apply its manifest again"
        return f"recreate the pods of {self.what}"

    def patch(self, part: dict) -> str:
        """A merge patch of the pod template (``part`` is relative to the template)."""
        if self.kind == "Pod":
            return "change the Pod's manifest and re-create the Pod (a running pod's spec cannot change)"
        body: dict = part
        for key in reversed(TEMPLATE_PATHS.get(self.kind, ("spec", "template"))):
            body = {key: body}
        payload = json.dumps(body, separators=(",", ":"))
        return f"kubectl patch {self.resource} -n {self.ns} --type merge -p '{payload}' (or re-run `wimigrate apply`)"


def _delete_pods(ns: str, pods: list[dict], current: dict | None) -> str:
    names = [_name(p) for p in pods]
    labels = mapping(dig(current, "spec", "selector", "matchLabels")) or mapping(dig(current, "spec", "selector"))
    if (not names or len(names) > 5) and labels and all(isinstance(v, str) for v in labels.values()):
        selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
        return f"kubectl delete pod -n {ns} -l {selector}"
    return f"kubectl delete pod {' '.join(names) or '<pods>'} -n {ns}"


def _skip_missing(name: str, facts: _Facts) -> Check | None:
    if facts.current is None:
        return Check(name, SKIP, f"{facts.what} does not exist (see rollout)")
    return None


# -- 1. rollout ---------------------------------------------------------------------------------------
def _rollout(f: _Facts) -> Check:
    if f.current is None:
        return Check(
            ROLLOUT,
            FAIL,
            f"{f.what} does not exist",
            "workload-missing",
            f"apply its manifest again, or re-plan (`wimigrate plan`) if it was removed on purpose "
            f"(kubectl get {f.kind.lower()} {f.name} -n {f.ns})",
        )
    if f.kind == "Deployment":
        return _deployment(f)
    if f.kind == "StatefulSet":
        return _statefulset(f)
    if f.kind == "DaemonSet":
        return _daemonset(f)
    if f.kind in ("ReplicaSet", "ReplicationController"):
        return Check(
            ROLLOUT,
            PASS,
            f"a {f.kind} does not roll out: only pods it creates from now on use its template "
            "(the next checks compare its pods with it)",
        )
    if f.kind == "Pod":
        return Check(ROLLOUT, PASS, f"a bare Pod: nothing rolls out ({f.what} is checked as it runs)")
    if f.kind in ("CronJob", "Job"):
        return Check(ROLLOUT, SKIP, f"a {f.kind} does not roll out: its next Job runs with workload identity")
    return Check(ROLLOUT, SKIP, f"no rollout to check for kind {f.kind}")


ADMISSION_SIGNATURES = ("webhook-", "pod-security-")
"""Signatures of pods the API server refused to create: a rollout waiting on them will not finish by itself."""


def _rejected(check: Check, hits: list[SignatureHit]) -> Check:
    """A rollout stuck because its pods are refused: say so, with the refusal's fix, instead of "wait"."""
    refusal = next((h for h in hits if h.signature.startswith(ADMISSION_SIGNATURES)), None)
    if check.cause != "rollout-in-progress" or refusal is None:
        return check
    return Check(
        ROLLOUT,
        FAIL,
        f"{check.detail}; new pods are refused ({refusal.signature} in {refusal.where}: {refusal.excerpt})",
        "pods-rejected",
        refusal.fix,
    )


def _generation_lag(f: _Facts) -> str | None:
    generation = _int(dig(f.current, "metadata", "generation"))
    observed = _int(dig(f.current, "status", "observedGeneration")) or 0
    if generation is not None and observed < generation:
        return f"the controller has not observed generation {generation} yet (observedGeneration {observed})"
    return None


def _in_progress(f: _Facts, problems: list[str]) -> Check:
    return Check(
        ROLLOUT,
        FAIL,
        f"the rollout of {f.what} is not finished: " + "; ".join(problems),
        "rollout-in-progress",
        f"wait for it: kubectl rollout status {f.resource} -n {f.ns} (or `wimigrate verify --wait 5m`)",
    )


def _deployment(f: _Facts) -> Check:
    spec, status = mapping(dig(f.current, "spec")), mapping(dig(f.current, "status"))
    if spec.get("paused"):
        return Check(
            ROLLOUT,
            FAIL,
            f"{f.what} is paused: its template change does not roll out",
            "rollout-paused",
            f"kubectl rollout resume {f.resource} -n {f.ns}",
        )
    replicas = _int(spec.get("replicas"), 1)
    updated = _int(status.get("updatedReplicas"), 0)
    total = _int(status.get("replicas"), 0)
    available = _int(status.get("availableReplicas"), 0)
    problems = [p for p in [_generation_lag(f)] if p]
    if updated < replicas:
        problems.append(f"{updated} of {replicas} replica(s) updated")
    if total > updated:
        problems.append(f"{total - updated} old replica(s) still running")
    if available < replicas:
        problems.append(f"{available} of {replicas} available")
    for condition in status.get("conditions") or []:
        condition = mapping(condition)
        stuck = condition.get("type") == "Progressing" and condition.get("reason") == "ProgressDeadlineExceeded"
        failing = condition.get("type") == "ReplicaFailure" and condition.get("status") == "True"
        if stuck or failing:
            problems.append(f"{condition.get('type')}: {condition.get('reason')} ({condition.get('message')})")
    if problems:
        return _in_progress(f, problems)
    return Check(ROLLOUT, PASS, f"rolled out: {updated} of {replicas} replica(s) updated and available")


def _statefulset(f: _Facts) -> Check:
    spec, status = mapping(dig(f.current, "spec")), mapping(dig(f.current, "status"))
    replicas = _int(spec.get("replicas"), 1)
    updated = _int(status.get("updatedReplicas"), 0)
    ready = _int(status.get("readyReplicas"), 0)
    revision = text(status.get("updateRevision"))
    lag = _generation_lag(f)
    if lag:
        return _in_progress(f, [lag])
    stale = [p for p in f.pods if revision and _labels(p).get("controller-revision-hash") != revision]
    if f.strategy == "OnDelete":
        if stale:
            return _stale_pods(f, stale, f"revision {revision}")
        problems = [f"{ready} of {replicas} replica(s) ready"] if ready < replicas else []
        return _in_progress(f, problems) if problems else _rolled(f, replicas)
    partition = _int(dig(spec, "updateStrategy", "rollingUpdate", "partition"), 0)
    if partition > 0 and updated < replicas:
        return Check(
            ROLLOUT,
            FAIL,
            f"{f.what} has updateStrategy.rollingUpdate.partition {partition}: pods below ordinal {partition} keep "
            f"the old template ({updated} of {replicas} updated)",
            "rollout-partitioned",
            f"kubectl patch {f.resource} -n {f.ns} --type merge "
            '-p \'{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}\'',
        )
    problems = []
    if updated < replicas:
        problems.append(f"{updated} of {replicas} replica(s) updated")
    if ready < replicas:
        problems.append(f"{ready} of {replicas} ready")
    current = text(status.get("currentRevision"))
    if replicas and current and revision and current != revision:
        problems.append(f"currentRevision {current} is not updateRevision {revision}")
    if stale:
        problems.append(f"pods {_names(stale)} run an older revision")
    return _in_progress(f, problems) if problems else _rolled(f, replicas)


def _daemonset(f: _Facts) -> Check:
    status = mapping(dig(f.current, "status"))
    desired = _int(status.get("desiredNumberScheduled"), 0)
    updated = _int(status.get("updatedNumberScheduled"), 0)
    available = _int(status.get("numberAvailable"), 0)
    lag = _generation_lag(f)
    if lag:
        return _in_progress(f, [lag])
    generation = text(dig(f.current, "metadata", "generation"))
    stale = [p for p in f.pods if generation and _labels(p).get("pod-template-generation") not in (None, generation)]
    if f.strategy == "OnDelete" and (stale or updated < desired):
        return _stale_pods(f, stale or f.pods, f"generation {generation}")
    problems = []
    if updated < desired:
        problems.append(f"{updated} of {desired} scheduled pod(s) updated")
    if available < desired:
        problems.append(f"{available} of {desired} available")
    return _in_progress(f, problems) if problems else _rolled(f, desired)


def _stale_pods(f: _Facts, stale: list[dict], wanted: str) -> Check:
    return Check(
        ROLLOUT,
        FAIL,
        f"{f.what} updates OnDelete: pods {_names(stale)} still run the template from before {wanted}",
        "pods-not-restarted",
        _delete_pods(f.ns, stale, f.current) + f" (the {f.kind} recreates them from the new template)",
    )


def _rolled(f: _Facts, count: int) -> Check:
    return Check(ROLLOUT, PASS, f"rolled out: {count} pod(s) updated and ready")


# -- 2. pod-label -------------------------------------------------------------------------------------
def _pod_label(f: _Facts) -> Check:
    skipped = _skip_missing(POD_LABEL, f)
    if skipped:
        return skipped
    value = _labels(f.template).get(USE_LABEL)
    where = "the Pod" if f.kind == "Pod" else f"the pod template of {f.what}"
    fix = f.patch({"metadata": {"labels": {USE_LABEL: "true"}}})
    if value is None:
        return Check(
            POD_LABEL,
            FAIL,
            f'{where} has no label {USE_LABEL}: the webhook mutates only pods labelled {USE_LABEL}: "true"',
            "missing-label",
            fix,
        )
    if value != "true":
        return Check(
            POD_LABEL,
            FAIL,
            f'{where} has {USE_LABEL}: {value!r}; the webhook\'s objectSelector matches only the string "true"',
            "label-value",
            fix,
        )
    if not f.pods:
        return Check(POD_LABEL, PASS, "no pods now; the template carries the label")
    missing = [p for p in f.pods if _labels(p).get(USE_LABEL) != "true"]
    if missing:
        return Check(
            POD_LABEL,
            FAIL,
            f"pods {_names(missing)} lack the label: they were created before it was added to the template",
            "pods-not-restarted",
            f.restart(missing),
        )
    return Check(POD_LABEL, PASS, f"the template and {len(f.pods)} pod(s) carry {USE_LABEL}=true")


# -- 3. service-account -------------------------------------------------------------------------------
def _service_account(f: _Facts) -> Check:
    skipped = _skip_missing(SERVICE_ACCOUNT, f)
    if skipped:
        return skipped
    want = f.planned.serviceAccountName
    have = _account(f.template)
    if have != want:
        part: dict = {"serviceAccountName": want}
        if "serviceAccount" in mapping(f.template.get("spec")):
            part["serviceAccount"] = want
        return Check(
            SERVICE_ACCOUNT,
            FAIL,
            f"the pod template of {f.what} runs as ServiceAccount {have!r}, the plan wants {want!r} (its federated "
            f"credential trusts system:serviceaccount:{f.ns}:{want})",
            "wrong-service-account",
            f.patch({"spec": part}),
        )
    others = [p for p in f.pods if _account(p) != want]
    if others:
        seen = ", ".join(f"{_name(p)} as {_account(p)!r}" for p in others[:5])
        return Check(
            SERVICE_ACCOUNT,
            FAIL,
            f"pods still run as another ServiceAccount ({seen}): created before the template changed",
            "pods-not-restarted",
            f.restart(others),
        )
    count = f" and {len(f.pods)} pod(s)" if f.pods else ""
    return Check(SERVICE_ACCOUNT, PASS, f"the template{count} run as ServiceAccount {f.ns}/{want}")


def _account(obj: dict) -> str:
    spec = mapping(obj.get("spec"))
    return text(spec.get("serviceAccountName")) or text(spec.get("serviceAccount")) or "default"


# -- 4. client-id -------------------------------------------------------------------------------------
def _client_id(f: _Facts) -> Check:
    sa, ns, want = f.planned.serviceAccountName, f.ns, f.planned.clientID
    annotate = f"kubectl annotate serviceaccount {sa} -n {ns} {CLIENT_ID_ANNOTATION}={want or '<client-id>'}"
    restart = f", then {f.restart()}" if f.current is not None else ""
    if f.obs.service_account is None:
        return Check(
            CLIENT_ID,
            FAIL,
            f"ServiceAccount {ns}/{sa} does not exist",
            "service-account-missing",
            f"kubectl create serviceaccount {sa} -n {ns} && {annotate}{restart} "
            "(or `wimigrate apply --only serviceaccounts`)",
        )
    if not f.sa_client_id:
        return Check(
            CLIENT_ID,
            FAIL,
            f"ServiceAccount {ns}/{sa} has no {CLIENT_ID_ANNOTATION}: the webhook has no AZURE_CLIENT_ID to inject",
            "sa-without-client-id",
            annotate + restart,
        )
    if want and f.sa_client_id != want:
        return Check(
            CLIENT_ID,
            FAIL,
            f"ServiceAccount {ns}/{sa} has {CLIENT_ID_ANNOTATION} {f.sa_client_id!r}; the plan's identity is {want!r}",
            "client-id-mismatch",
            annotate.replace("kubectl annotate ", "kubectl annotate --overwrite ") + restart,
        )
    return Check(CLIENT_ID, PASS, f"ServiceAccount {ns}/{sa} has {CLIENT_ID_ANNOTATION} {f.sa_client_id}")


# -- 5. webhook ---------------------------------------------------------------------------------------
TOKEN_ENV = ("AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_AUTHORITY_HOST")
WEBHOOK_NAME = "mutation.azure-workload-identity.io"
SKIP_CONTAINERS_ANNOTATION = "azure.workload.identity/skip-containers"
PRIORITY = ("not-mutated", "token-volume-missing", "container-sets-client-id", "pods-not-restarted")
"""Which cause a webhook failure reports when pods show several: what restarting alone would not fix first."""


@dataclass
class _Problem:
    cause: str
    pod: str
    text: str


def _webhook(f: _Facts) -> Check:
    if f.obs.webhook is None:
        return Check(
            WEBHOOK,
            FAIL,
            "the workload identity webhook (MutatingWebhookConfiguration) is not installed: no pod gets "
            "AZURE_* variables or the projected token",
            "webhook-not-installed",
            "az aks update -g <resource-group> -n <cluster> --enable-workload-identity, then " + f.restart()
            if f.current is not None
            else "az aks update -g <resource-group> -n <cluster> --enable-workload-identity",
        )
    skipped = _skip_missing(WEBHOOK, f)
    if skipped:
        return skipped
    labelled = [p for p in f.pods if _labels(p).get(USE_LABEL) == "true"]
    if not f.pods:
        return Check(WEBHOOK, PASS, "the webhook is installed; no pods now to inspect")
    if not labelled:
        return Check(WEBHOOK, SKIP, "no pod carries the label, so none was mutated (see pod-label)")
    problems: list[_Problem] = []
    notes: set[str] = set()
    for pod in labelled:
        problems.extend(_inspect_pod(f, pod, notes))
    if not problems:
        files = sorted({_env(c).get("AZURE_FEDERATED_TOKEN_FILE") or "" for p in labelled for c in _containers(p)})
        detail = f"{len(labelled)} pod(s) mutated by the webhook (token file {', '.join(x for x in files if x)})"
        return Check(WEBHOOK, PASS, detail + "".join(f"; {n}" for n in sorted(notes)))
    cause = min((p.cause for p in problems), key=PRIORITY.index)
    chosen = [p for p in problems if p.cause == cause]
    shown = "; ".join(p.text for p in chosen[:3]) + (f"; and {len(chosen) - 3} more" if len(chosen) > 3 else "")
    pods = [p for p in labelled if _name(p) in {x.pod for x in chosen}]
    return Check(WEBHOOK, FAIL, shown, cause, _webhook_fix(f, cause, pods))


def _webhook_fix(f: _Facts, cause: str, pods: list[dict]) -> str:
    restart = f.restart(pods)
    if cause == "not-mutated":
        return (
            f"check the webhook's objectSelector and namespaceSelector (kubectl get mutatingwebhookconfiguration "
            f"{_name(f.obs.webhook or {})} -o yaml) and that its pods run in kube-system, then {restart}"
        )
    if cause == "container-sets-client-id":
        return (
            f"remove AZURE_CLIENT_ID from the container's env in the pod template (the webhook keeps a value the "
            f"container sets) or set it to {f.sa_client_id}, then {restart}"
        )
    if cause == "token-volume-missing":
        return f"{restart}; if it persists, find what changes the pods' volumes (another webhook, a policy engine)"
    return restart


def _inspect_pod(f: _Facts, pod: dict, notes: set[str]) -> list[_Problem]:
    name = _name(pod)
    skip = {s.strip() for s in (_annotations(pod).get(SKIP_CONTAINERS_ANNOTATION) or "").split(";") if s.strip()}
    containers = [c for c in _containers(pod) if text(c.get("name")) not in skip]
    if not containers:
        notes.add(f"pod {name} skips all its containers ({SKIP_CONTAINERS_ANNOTATION})")
        return []
    if not _mutated(pod):
        return [_unmutated(f, pod)]
    problems = []
    for container in containers:
        problems.extend(_inspect_container(f, pod, container, notes))
    return problems


def _unmutated(f: _Facts, pod: dict) -> _Problem:
    name = _name(pod)
    since = _created(f.obs.webhook or {})
    created, installed = _time(_created(pod)), _time(since)
    if created is not None and installed is not None and created <= installed:
        return _Problem(
            "pods-not-restarted",
            name,
            f"pod {name} was created ({_created(pod)}) before the webhook was installed ({since}): never mutated",
        )
    hook = next(
        (mapping(h) for h in (f.obs.webhook or {}).get("webhooks") or [] if mapping(h).get("name") == WEBHOOK_NAME),
        {},
    )
    selector = json.dumps(hook.get("objectSelector") or {}, separators=(",", ":"))
    policy = hook.get("failurePolicy") or "Fail"
    why = (
        "with failurePolicy Ignore the pod is created unmutated when the webhook cannot be reached"
        if policy == "Ignore"
        else f"with failurePolicy {policy} an unreachable webhook would have refused the pod, so its objectSelector "
        "or namespaceSelector did not match"
    )
    return _Problem(
        "not-mutated",
        name,
        f"pod {name} carries the label but was not mutated (no AZURE_FEDERATED_TOKEN_FILE, no projected token): "
        f"the webhook's objectSelector is {selector}; {why}",
    )


def _inspect_container(f: _Facts, pod: dict, container: dict, notes: set[str]) -> list[_Problem]:
    pod_name, name = _name(pod), text(container.get("name")) or "?"
    env = _env(container)
    where = f"pod {pod_name} container {name}"
    missing = [k for k in TOKEN_ENV if k != "AZURE_CLIENT_ID" and k not in env]
    if missing:
        return [_Problem("not-mutated", pod_name, f"{where} lacks {', '.join(missing)} although the pod was mutated")]
    problems = []
    trouble = _token_trouble(pod, container, env.get("AZURE_FEDERATED_TOKEN_FILE") or "")
    if trouble:
        problems.append(_Problem("token-volume-missing", pod_name, f"{where}: {trouble}"))
    client = env.get("AZURE_CLIENT_ID")
    if "AZURE_CLIENT_ID" not in env:
        if f.sa_client_id:
            problems.append(
                _Problem(
                    "pods-not-restarted",
                    pod_name,
                    f"{where} has no AZURE_CLIENT_ID: the ServiceAccount got its client-id after the pod was created",
                )
            )
        else:
            notes.add("AZURE_CLIENT_ID is absent because the ServiceAccount has no client-id (see client-id)")
    elif f.sa_client_id and client is not None and client != f.sa_client_id:
        if "AZURE_CLIENT_ID" in _env(_template_container(f, name)):
            problems.append(
                _Problem(
                    "container-sets-client-id",
                    pod_name,
                    f"{where} has AZURE_CLIENT_ID {client!r} from the pod template's own env, not the "
                    f"ServiceAccount's {f.sa_client_id!r} (the webhook keeps a value the container sets)",
                )
            )
        else:
            problems.append(
                _Problem(
                    "pods-not-restarted",
                    pod_name,
                    f"{where} has AZURE_CLIENT_ID {client!r} but the ServiceAccount now says {f.sa_client_id!r}: "
                    "the pod was created before the client-id changed",
                )
            )
    return problems


def _token_trouble(pod: dict, container: dict, path: str) -> str | None:
    """What is wrong with the projected token behind AZURE_FEDERATED_TOKEN_FILE, or None."""
    mounts = [
        mapping(m)
        for m in container.get("volumeMounts") or []
        if path.startswith((text(mapping(m).get("mountPath")) or "\0").rstrip("/") + "/")
    ]
    if not mounts:
        return f"no volume mount contains AZURE_FEDERATED_TOKEN_FILE {path!r}"
    mount = max(mounts, key=lambda m: len(text(m.get("mountPath")) or ""))
    relative = path[len((text(mount.get("mountPath")) or "").rstrip("/")) + 1 :]
    if mount.get("subPath"):
        relative = f"{text(mount.get('subPath')).strip('/')}/{relative}"  # type: ignore[union-attr]
    volume_name = text(mount.get("name"))
    volume = next(
        (mapping(v) for v in dig(pod, "spec", "volumes") or [] if mapping(v).get("name") == volume_name), None
    )
    if volume is None:
        return f"the mount at {mount.get('mountPath')} names volume {volume_name!r}, which the pod does not have"
    tokens = [
        mapping(mapping(s).get("serviceAccountToken"))
        for s in dig(volume, "projected", "sources") or []
        if mapping(s).get("serviceAccountToken")
    ]
    if not tokens:
        return f"volume {volume_name!r} mounted at {mount.get('mountPath')} is not a projected service-account token"
    token = next((t for t in tokens if t.get("path") == relative), None)
    if token is None:
        paths = ", ".join(repr(t.get("path")) for t in tokens)
        return f"volume {volume_name!r} projects the token at {paths}, not {relative!r} ({path})"
    if token.get("audience") != AUDIENCE:
        return f"volume {volume_name!r} projects a token for audience {token.get('audience')!r}, not {AUDIENCE!r}"
    return None


def _mutated(pod: dict) -> bool:
    """Whether the webhook touched the pod: a token file variable, or a projected token for Entra."""
    if any("AZURE_FEDERATED_TOKEN_FILE" in _env(c) for c in _containers(pod)):
        return True
    for volume in dig(pod, "spec", "volumes") or []:
        for source in dig(volume, "projected", "sources") or []:
            if dig(source, "serviceAccountToken", "audience") == AUDIENCE:
                return True
    return False


def _template_container(f: _Facts, name: str) -> dict:
    return next((c for c in _containers(f.template) if c.get("name") == name), {})


# -- 6. sidecar ---------------------------------------------------------------------------------------
PROXY_INIT, PROXY = "azwi-proxy-init", "azwi-proxy"


def _sidecar(f: _Facts) -> Check:
    skipped = _skip_missing(SIDECAR, f)
    if skipped:
        return skipped
    annotations = _annotations(f.template)
    proxied = [p for p in f.pods if any(c.get("name") == PROXY for c in _containers(p))]
    if f.planned.mode != "sidecar":
        if proxied:
            why = (
                f"the template still has {INJECT_SIDECAR_ANNOTATION}"
                if INJECT_SIDECAR_ANNOTATION in annotations
                else "they were created before the annotation was removed: restart them to drop it"
            )
            return Check(SIDECAR, PASS, f"label mode, but pods {_names(proxied)} still run the {PROXY} sidecar ({why})")
        return Check(SIDECAR, SKIP, "label mode: no proxy sidecar")
    if INJECT_SIDECAR_ANNOTATION not in annotations:
        part = {INJECT_SIDECAR_ANNOTATION: "true"}
        if f.planned.proxyPort:
            part[PROXY_PORT_ANNOTATION] = str(f.planned.proxyPort)
        return Check(
            SIDECAR,
            FAIL,
            f"sidecar mode, but the pod template has no {INJECT_SIDECAR_ANNOTATION} annotation: the webhook injects "
            f"no {PROXY} and the application's IMDS requests go unanswered",
            "missing-sidecar-annotation",
            f.patch({"metadata": {"annotations": part}}),
        )
    if mapping(f.template.get("spec")).get("hostNetwork"):
        return Check(
            SIDECAR,
            FAIL,
            f"the pod template sets hostNetwork: the webhook refuses to inject {PROXY} and rejects the pods",
            "proxy-host-network",
            "remove hostNetwork, or use label mode with an SDK that supports workload identity",
        )
    if f.obs.webhook is None:
        return Check(SIDECAR, SKIP, "the webhook injects the sidecar and it is not installed (see webhook)")
    mutated = [p for p in f.pods if _labels(p).get(USE_LABEL) == "true" and _mutated(p)]
    if not f.pods:
        return Check(SIDECAR, PASS, "no pods now; the template carries the sidecar annotation")
    if not mutated:
        return Check(SIDECAR, SKIP, "no pod was mutated by the webhook (see pod-label and webhook)")
    missing = [
        p
        for p in mutated
        if not any(c.get("name") == PROXY_INIT for c in _containers(p, init=True))
        or not any(c.get("name") == PROXY for c in _containers(p))
    ]
    if missing:
        return Check(
            SIDECAR,
            FAIL,
            f"pods {_names(missing)} run without {PROXY_INIT}/{PROXY}: created before the sidecar annotation was added",
            "pods-not-restarted",
            f.restart(missing),
        )
    ports = sorted({_proxy_port(p) for p in mutated})
    return Check(SIDECAR, PASS, f"{len(mutated)} pod(s) run {PROXY_INIT} and {PROXY} (port {', '.join(ports)})")


def _proxy_port(pod: dict) -> str:
    for container in _containers(pod):
        if container.get("name") == PROXY:
            for arg in container.get("args") or []:
                if isinstance(arg, str) and arg.startswith("--proxy-port="):
                    return arg.split("=", 1)[1]
    return "8000"


# -- 7. credential ------------------------------------------------------------------------------------
def _credential(obs: WorkloadObservation) -> Check:
    planned = obs.planned
    if obs.identity_resource_id is None:
        return Check(
            CREDENTIAL,
            SKIP,
            "the plan federates an app registration (or no managed identity) for this workload; check it with "
            f"`az ad app federated-credential list --id {planned.clientID or '<client-id>'}`",
        )
    if obs.credentials is None:
        if obs.credentials_error:
            return Check(
                CREDENTIAL,
                FAIL,
                f"could not read the federated credentials of {obs.identity_resource_id}: {obs.credentials_error}",
                "credentials-unreadable",
                "give the signed-in principal read access to the identity (Managed Identity Operator or Reader) "
                "and check that the identity still exists (`az identity show --ids <id>`)",
            )
        return Check(CREDENTIAL, SKIP, "Azure not consulted (give --cluster-id or -g/--name)")
    if obs.issuer is None:
        return Check(CREDENTIAL, SKIP, "the cluster's OIDC issuer is unknown, so credentials cannot be compared")
    return _diagnose(obs, obs.issuer, obs.credentials)


def _diagnose(obs: WorkloadObservation, issuer: str, credentials: list[ExistingCredential]) -> Check:
    planned = obs.planned
    ns, sa = planned.namespace, planned.serviceAccountName
    subject = f"system:serviceaccount:{ns}:{sa}"
    rid = identity_id(obs.identity_resource_id or "")
    identity = rid.name if rid else "<identity>"
    group = rid.resource_group if rid else "<resource-group>"
    target = f"--identity-name {identity} --resource-group {group}"
    wanted = f"--issuer {issuer} --subject {subject} --audiences {AUDIENCE}"
    for c in credentials:
        if c.issuer == issuer and c.subject == subject and list(c.audiences) == [AUDIENCE]:
            return Check(CREDENTIAL, PASS, f"credential {c.name!r} on {identity} trusts {subject} from issuer {issuer}")
    name = unique(
        fic_name("{namespace}-{serviceAccount}", namespace=ns, serviceAccount=sa),
        {c.name for c in credentials},
        subject,
    )
    create = (
        f"`wimigrate apply --only federate`, or az identity federated-credential create --name {name} {target} {wanted}"
    )

    def first(test: Callable[[ExistingCredential], bool]) -> ExistingCredential | None:
        return next((c for c in credentials if test(c)), None)

    near = first(lambda c: c.subject == subject and c.issuer != issuer and c.issuer.rstrip("/") == issuer.rstrip("/"))
    if near:
        return Check(
            CREDENTIAL,
            FAIL,
            f"credential {near.name!r} has issuer {near.issuer!r}, the cluster's is {issuer!r}: they differ only by a "
            "trailing slash, and Entra compares issuers byte for byte",
            "issuer-trailing-slash",
            f"az identity federated-credential update --name {near.name} {target} {wanted}",
        )
    near = first(lambda c: c.subject == subject and c.issuer != issuer)
    if near:
        return Check(
            CREDENTIAL,
            FAIL,
            f"credential {near.name!r} trusts {subject} for issuer {near.issuer!r}, not this cluster's {issuer!r} "
            "(another cluster's issuer?)",
            "issuer-mismatch",
            create,
        )
    near = first(lambda c: c.issuer == issuer and _subject_parts(c.subject)[1:] == (sa,) and c.subject != subject)
    if near:
        return Check(
            CREDENTIAL,
            FAIL,
            f"credential {near.name!r} trusts {near.subject!r} (namespace {_subject_parts(near.subject)[0]!r}); "
            f"this workload's token says {subject!r}",
            "subject-namespace",
            create,
        )
    near = first(lambda c: c.issuer == issuer and _subject_parts(c.subject)[0] == ns and c.subject != subject)
    if near:
        return Check(
            CREDENTIAL,
            FAIL,
            f"credential {near.name!r} trusts {near.subject!r} (ServiceAccount {_subject_parts(near.subject)[1]!r}); "
            f"this workload runs as {sa!r}",
            "subject-service-account",
            create,
        )
    near = first(lambda c: c.issuer == issuer and c.subject == subject)
    if near:
        return Check(
            CREDENTIAL,
            FAIL,
            f"credential {near.name!r} has audiences {list(near.audiences)!r}; the token's audience is {AUDIENCE!r}",
            "audience",
            f"az identity federated-credential update --name {near.name} {target} {wanted}",
        )
    names = ", ".join(repr(c.name) for c in credentials[:5]) or "none"
    return Check(
        CREDENTIAL,
        FAIL,
        f"no federated credential on {identity} trusts {subject} from issuer {issuer!r} (it has: {names})",
        "credential-missing",
        create,
    )


def _subject_parts(subject: str) -> tuple[str, str]:
    """(namespace, ServiceAccount) of ``system:serviceaccount:<ns>:<sa>``; empty strings otherwise."""
    parts = subject.split(":")
    if len(parts) == 4 and parts[:2] == ["system", "serviceaccount"]:
        return parts[2], parts[3]
    return "", ""


# -- 8. token-exchange --------------------------------------------------------------------------------
def _token_exchange(obs: WorkloadObservation) -> Check:
    from migrator.core.signatures import explain, redact

    token = obs.token
    if token is None:
        return Check(TOKEN_EXCHANGE, SKIP, "pass --token-exchange to redeem a real token")
    if token.ok:
        return Check(TOKEN_EXCHANGE, PASS, f"Entra issued a token for {token.client_id} to {token.service_account}")
    cause = token.code or "token-exchange-error"
    explanation, fix = explain(token.code or "")
    message = redact(token.message) or "no message"
    return Check(
        TOKEN_EXCHANGE,
        FAIL,
        f"a token for {token.service_account} was refused for client id {token.client_id}: {message} — {explanation}",
        cause,
        fix,
    )


# -- 9. logs-and-events -------------------------------------------------------------------------------
def _signatures(f: _Facts, hits: list[SignatureHit]) -> Check:
    if f.current is None and not f.obs.lines:
        return Check(SIGNATURES, SKIP, f"{f.what} does not exist: no logs or events to read")
    if not hits:
        return Check(SIGNATURES, PASS, f"no known failure signature in {len(f.obs.lines)} log and event line(s)")
    first = hits[0]
    listed = "; ".join(f"{h.signature} in {h.where}: {h.excerpt}" for h in hits[:3])
    more = f"; and {len(hits) - 3} more" if len(hits) > 3 else ""
    return Check(
        SIGNATURES, FAIL, f"{len(hits)} known failure signature(s): {listed}{more}", first.signature, first.fix
    )


# -- small readers ------------------------------------------------------------------------------------
def _int(value: Any, default: int | None = None) -> Any:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return default


def _name(obj: dict) -> str:
    return text(dig(obj, "metadata", "name")) or "?"


def _created(obj: dict) -> str:
    return text(dig(obj, "metadata", "creationTimestamp")) or ""


def _labels(obj: dict) -> dict:
    return mapping(dig(obj, "metadata", "labels"))


def _annotations(obj: dict) -> dict:
    return mapping(dig(obj, "metadata", "annotations"))


def _containers(obj: dict, init: bool = False) -> list[dict]:
    return [mapping(c) for c in dig(obj, "spec", "initContainers" if init else "containers") or []]


def _env(container: dict) -> dict[str, str | None]:
    """Name -> value; None for a value from a reference (valueFrom), which cannot be compared."""
    env: dict[str, str | None] = {}
    for item in container.get("env") or []:
        item = mapping(item)
        if text(item.get("name")):
            env[str(item["name"])] = text(item.get("value")) if "valueFrom" not in item else None
    return env


def _names(pods: list[dict], limit: int = 5) -> str:
    names = [_name(p) for p in pods]
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


_RFC3339 = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$", re.IGNORECASE)


def _time(stamp: str) -> datetime | None:
    match = _RFC3339.match(stamp.strip())
    if match is None:
        return None
    moment = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    zone = match.group(3)
    if zone and zone.upper() != "Z":
        sign = 1 if zone[0] == "+" else -1
        moment -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    return moment

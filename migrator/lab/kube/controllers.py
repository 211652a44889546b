"""The controllers a real cluster runs, reduced to what a migration observes: Deployments roll
their ReplicaSets, ReplicaSets/StatefulSets/DaemonSets/Jobs keep their pods, CronJobs start
Jobs, the kubelet starts pods, the garbage collector follows ownerReferences, and namespaces
get their default ServiceAccount and are emptied on deletion.

Each reconcile is a separate write, so a watcher sees the same intermediate states as on a
cluster (``observedGeneration`` first, then updated, ready and available counts).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from migrator.lab.kube.admission import owner_reference, pod_from_template
from migrator.lab.kube.errors import ApiError
from migrator.lab.kube.resources import ResourceType
from migrator.lab.kube.store import Event, now_rfc3339

if TYPE_CHECKING:
    from migrator.lab.kube.cluster import KubeCluster

LOG = logging.getLogger("migrator.lab.controllers")
HASH_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
PROXY = "azwi-proxy"
OWNED_KINDS = (("", "pods"), ("apps", "replicasets"), ("batch", "jobs"))
Key = tuple[str, str, str]  # (kind, namespace, name)


def template_hash(template: object) -> str:
    """Stable, like pod-template-hash: the same template always gives the same name suffix."""
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).digest()
    return "".join(HASH_ALPHABET[b % len(HASH_ALPHABET)] for b in digest[:10])


def controller_of(obj: dict) -> dict | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def _ready(pod: dict) -> bool:
    status = pod.get("status") or {}
    return status.get("phase") == "Running" and all(c.get("ready") for c in status.get("containerStatuses") or [{}])


def _with_claims(spec: dict, set_name: str, ordinal: int) -> dict:
    """The pod template with a PVC volume per volumeClaimTemplate, as the StatefulSet controller's
    ``updateStorage`` adds them (claim ``<template>-<set>-<ordinal>``; template volumes of the same name lose)."""
    template = spec.get("template") or {}
    claims = sorted(
        {
            str((c.get("metadata") or {}).get("name"))
            for c in spec.get("volumeClaimTemplates") or []
            if isinstance(c, dict)
        }
        - {"None", ""}
    )
    if not claims:
        return template
    tpl = json.loads(json.dumps(template))
    pod_spec = tpl.setdefault("spec", {})
    volumes = [{"name": c, "persistentVolumeClaim": {"claimName": f"{c}-{set_name}-{ordinal}"}} for c in claims]
    pod_spec["volumes"] = volumes + [v for v in pod_spec.get("volumes") or [] if v.get("name") not in claims]
    return tpl


class Controllers:
    def __init__(self, cluster: KubeCluster) -> None:
        self.cluster = cluster
        self.store = cluster.store
        self.reg = cluster.registry
        self._queue: deque[Key] = deque()
        self._queued: set[Key] = set()
        self._cond = threading.Condition()
        self._busy = False
        self._stop = False
        self._thread: threading.Thread | None = None
        self._failed: set[Key] = set()
        self._cron_fired: dict[str, str] = {}
        self.extra: list[Callable[[Event], list[Key]]] = []  # more controllers (the AKS add-on, MIC)
        self.handlers: dict[str, Callable[[str, str], None]] = {
            "Deployment": self.deployment,
            "ReplicaSet": self.replicaset,
            "StatefulSet": self.statefulset,
            "DaemonSet": self.daemonset,
            "Job": self.job,
            "CronJob": self.cronjob,
            "Pod": self.kubelet,
            "Namespace": self.namespace,
            "GC": self.collect,
        }

    # -- the work queue -------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="lab-controllers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def enqueue(self, key: Key) -> None:
        with self._cond:
            if key not in self._queued:
                self._queued.add(key)
                self._queue.append(key)
                self._cond.notify_all()

    def settle(self, timeout: float) -> bool:
        """Wait until nothing is queued or running; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._busy, timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._stop)
                if self._stop:
                    return
                key = self._queue.popleft()
                self._queued.discard(key)
                self._busy = True
            try:
                self.handlers[key[0]](key[1], key[2])
            except Exception:  # a controller bug must not stop the others
                LOG.exception("reconciling %s failed", key)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def on_event(self, event: Event) -> None:
        """Store listener (called under the store lock): only decides what to reconcile."""
        obj, kind = event.obj, event.rt.kind
        meta = obj.get("metadata") or {}
        ns, name = meta.get("namespace", ""), meta.get("name", "")
        if kind in self.handlers and kind != "Pod":
            self.enqueue((kind, ns if event.rt.namespaced else "", name))
        if kind == "Pod" and event.type == "ADDED":
            self.enqueue(("Pod", ns, name))
        owner = controller_of(obj)
        if owner and owner.get("kind") in self.handlers:
            self.enqueue((owner["kind"], ns, owner["name"]))
        if event.type == "DELETED" and meta.get("uid"):
            self.enqueue(("GC", ns, meta["uid"]))
            if ns and event.rt.namespaced:
                namespace = self.store.find(self.rt("namespaces"), None, ns)
                if namespace is not None and namespace["metadata"].get("deletionTimestamp"):
                    self.enqueue(("Namespace", "", ns))
        if kind in ("ServiceAccount", "MutatingWebhookConfiguration") or (kind == "Deployment" and ns == "kube-system"):
            for key in list(self._failed):
                self.enqueue(key)
        for extra in self.extra:
            for key in extra(event):
                self.enqueue(key)

    # -- helpers --------------------------------------------------------------------------------
    def rt(self, plural: str, group: str = "") -> ResourceType:
        return self.reg.get(plural, group)

    def owned(self, rt: ResourceType, namespace: str, uid: str) -> list[dict]:
        return [
            o
            for o in self.store.objects(rt, namespace)
            if (controller_of(o) or {}).get("uid") == uid and not o["metadata"].get("deletionTimestamp")
        ]

    def set_status(self, rt: ResourceType, obj: dict, status: dict) -> None:
        if (obj.get("status") or {}) == status:
            return
        meta = obj["metadata"]

        def apply(cur: dict) -> dict:
            cur["status"] = status
            return cur

        try:
            self.store.patch(rt, meta.get("namespace"), meta["name"], apply, subresource="status")
        except ApiError as exc:
            if exc.code != 404:
                raise

    def patch(self, rt: ResourceType, obj: dict, change: Callable[[dict], None]) -> None:
        meta = obj["metadata"]

        def apply(cur: dict) -> dict:
            change(cur)
            return cur

        self.store.patch(rt, meta.get("namespace"), meta["name"], apply)

    def delete(self, rt: ResourceType, obj: dict) -> None:
        meta = obj["metadata"]
        try:
            self.store.delete(rt, meta.get("namespace"), meta["name"])
        except ApiError as exc:
            if exc.code != 404:
                raise

    def create_pod(
        self,
        key: Key,
        owner: dict,
        template: dict,
        name: str | None = None,
        labels: dict | None = None,
        node: str | None = None,
    ) -> bool:
        """Create one pod through admission; a rejection becomes a FailedCreate event, as on a cluster.
        Without ``name`` the pod gets ``generateName: <owner>-``, so a repeated rejection reads the same
        (``pods "web-5d8f-" is forbidden``) and the event's count goes up instead of new events piling up."""
        ns = owner["metadata"]["namespace"]
        pod = pod_from_template(template, namespace=ns, name=name or "", owner=owner, extra_labels=labels)
        if not name:
            del pod["metadata"]["name"]
            pod["metadata"]["generateName"] = f"{owner['metadata']['name']}-"
        if node:
            pod["spec"]["nodeName"] = node
        try:
            name = self.store.create(self.rt("pods"), ns, pod)["metadata"]["name"]
        except ApiError as exc:
            self._failed.add(key)
            self.cluster.record_event(
                owner,
                "Warning",
                "FailedCreate",
                f"Error creating: {exc.message}",
                component=f"{owner['kind'].lower()}-controller",
            )
            return False
        self._failed.discard(key)
        self.cluster.record_event(
            owner, "Normal", "SuccessfulCreate", f"Created pod: {name}", component=f"{owner['kind'].lower()}-controller"
        )
        return True

    # -- Deployment -------------------------------------------------------------------------------
    def deployment(self, ns: str, name: str) -> None:
        rt, rs_rt = self.rt("deployments", "apps"), self.rt("replicasets", "apps")
        d = self.store.find(rt, ns, name)
        if d is None or d["metadata"].get("deletionTimestamp"):
            return
        spec = d.get("spec") or {}
        desired = spec.get("replicas", 1)
        template = spec.get("template") or {}
        pth = template_hash(template)
        rs_name = f"{name}-{pth}"
        owned = self.owned(rs_rt, ns, d["metadata"]["uid"])
        current = next((rs for rs in owned if rs["metadata"]["name"] == rs_name), None)
        revisions = [
            int((rs["metadata"].get("annotations") or {}).get("deployment.kubernetes.io/revision", "0")) for rs in owned
        ]
        if current is None and not spec.get("paused"):
            revision = str(max(revisions, default=0) + 1)
            tpl = json.loads(json.dumps(template))
            tpl.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = pth
            selector = json.loads(json.dumps(spec.get("selector") or {}))
            selector.setdefault("matchLabels", {})["pod-template-hash"] = pth
            rs = {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {
                    "name": rs_name,
                    "namespace": ns,
                    "labels": {**((template.get("metadata") or {}).get("labels") or {}), "pod-template-hash": pth},
                    "annotations": {
                        "deployment.kubernetes.io/revision": revision,
                        "deployment.kubernetes.io/desired-replicas": str(desired),
                        "deployment.kubernetes.io/max-replicas": str(desired + 1),
                    },
                    "ownerReferences": [owner_reference(d)],
                },
                "spec": {"replicas": desired, "selector": selector, "template": tpl},
            }
            try:
                current = self.store.create(rs_rt, ns, rs)
            except ApiError as exc:
                self.cluster.record_event(d, "Warning", "FailedCreate", exc.message, component="deployment-controller")
                return
            self.cluster.record_event(
                d,
                "Normal",
                "ScalingReplicaSet",
                f"Scaled up replica set {rs_name} to {desired}",
                component="deployment-controller",
            )
            self.patch(
                rt,
                d,
                lambda cur: (
                    cur["metadata"]
                    .setdefault("annotations", {})
                    .update({"deployment.kubernetes.io/revision": revision})
                ),
            )
            d = self.store.find(rt, ns, name) or d
        elif current is not None and (current.get("spec") or {}).get("replicas") != desired and not spec.get("paused"):
            self.patch(rs_rt, current, lambda cur: cur["spec"].update(replicas=desired))
        for rs in owned:
            if rs is not current and (rs.get("spec") or {}).get("replicas", 0) != 0 and not spec.get("paused"):
                self.patch(rs_rt, rs, lambda cur: cur["spec"].update(replicas=0))
                self.cluster.record_event(
                    d,
                    "Normal",
                    "ScalingReplicaSet",
                    f"Scaled down replica set {rs['metadata']['name']} to 0",
                    component="deployment-controller",
                )
        self._deployment_status(rt, rs_rt, d, rs_name)

    def _deployment_status(self, rt: ResourceType, rs_rt: ResourceType, d: dict, rs_name: str) -> None:
        ns = d["metadata"]["namespace"]
        owned = self.owned(rs_rt, ns, d["metadata"]["uid"])
        statuses = [rs.get("status") or {} for rs in owned]
        new = next((rs.get("status") or {} for rs in owned if rs["metadata"]["name"] == rs_name), {})
        desired = (d.get("spec") or {}).get("replicas", 1)
        available = sum(s.get("availableReplicas", 0) for s in statuses)
        updated = new.get("replicas", 0)
        complete = (
            updated == desired and available == desired and sum(s.get("replicas", 0) for s in statuses) == desired
        )
        old = d.get("status") or {}
        now = now_rfc3339()

        def condition(kind: str, status: str, reason: str, message: str) -> dict:
            previous = next((c for c in old.get("conditions") or [] if c.get("type") == kind), {})
            changed = previous.get("status") != status
            return {
                "type": kind,
                "status": status,
                "reason": reason,
                "message": message,
                "lastUpdateTime": now
                if changed or previous.get("reason") != reason
                else previous.get("lastUpdateTime"),
                "lastTransitionTime": now if changed else previous.get("lastTransitionTime", now),
            }

        status = {
            "observedGeneration": d["metadata"].get("generation", 1),
            "replicas": sum(s.get("replicas", 0) for s in statuses),
            "updatedReplicas": updated,
            "readyReplicas": sum(s.get("readyReplicas", 0) for s in statuses),
            "availableReplicas": available,
            "conditions": [
                condition(
                    "Available",
                    "True" if available >= desired else "False",
                    "MinimumReplicasAvailable" if available >= desired else "MinimumReplicasUnavailable",
                    "Deployment has minimum availability."
                    if available >= desired
                    else "Deployment does not have minimum availability.",
                ),
                condition(
                    "Progressing",
                    "True",
                    "NewReplicaSetAvailable" if complete else "ReplicaSetUpdated",
                    f'ReplicaSet "{rs_name}" has successfully progressed.'
                    if complete
                    else f'ReplicaSet "{rs_name}" is progressing.',
                ),
            ],
        }
        if desired - available > 0:
            status["unavailableReplicas"] = desired - available
        for key in ("readyReplicas", "availableReplicas", "updatedReplicas", "replicas"):
            if not status[key]:
                del status[key]
        self.set_status(rt, d, status)

    # -- ReplicaSet -------------------------------------------------------------------------------
    def replicaset(self, ns: str, name: str) -> None:
        rt = self.rt("replicasets", "apps")
        rs = self.store.find(rt, ns, name)
        if rs is None or rs["metadata"].get("deletionTimestamp"):
            return
        spec = rs.get("spec") or {}
        pods = self.owned(self.rt("pods"), ns, rs["metadata"]["uid"])
        want = spec.get("replicas", 1)
        for _ in range(want - len(pods)):
            if not self.create_pod(("ReplicaSet", ns, name), rs, spec.get("template") or {}):
                break
        for pod in sorted(pods, key=lambda p: p["metadata"].get("creationTimestamp", ""), reverse=True)[
            : max(0, len(pods) - want)
        ]:
            self.delete(self.rt("pods"), pod)
            self.cluster.record_event(
                rs,
                "Normal",
                "SuccessfulDelete",
                f"Deleted pod: {pod['metadata']['name']}",
                component="replicaset-controller",
            )
        pods = self.owned(self.rt("pods"), ns, rs["metadata"]["uid"])
        ready = sum(1 for p in pods if _ready(p))
        status: dict = {"replicas": len(pods), "observedGeneration": rs["metadata"].get("generation", 1)}
        if pods:
            status["fullyLabeledReplicas"] = len(pods)
        if ready:
            status.update(readyReplicas=ready, availableReplicas=ready)
        failure = next(
            (c for c in (rs.get("status") or {}).get("conditions") or [] if c.get("type") == "ReplicaFailure"), None
        )
        if ("ReplicaSet", ns, name) in self._failed:
            status["conditions"] = [
                failure
                or {
                    "type": "ReplicaFailure",
                    "status": "True",
                    "reason": "FailedCreate",
                    "message": "pod creation failed",
                    "lastTransitionTime": now_rfc3339(),
                }
            ]
        self.set_status(rt, rs, status)

    # -- StatefulSet ------------------------------------------------------------------------------
    def statefulset(self, ns: str, name: str) -> None:
        rt, pods_rt = self.rt("statefulsets", "apps"), self.rt("pods")
        sts = self.store.find(rt, ns, name)
        if sts is None or sts["metadata"].get("deletionTimestamp"):
            return
        spec = sts.get("spec") or {}
        revision = f"{name}-{template_hash(spec.get('template') or {})}"
        want = spec.get("replicas", 1)
        pods = {p["metadata"]["name"]: p for p in self.owned(pods_rt, ns, sts["metadata"]["uid"])}
        on_delete = (spec.get("updateStrategy") or {}).get("type") == "OnDelete"
        for i in range(want):
            pod_name = f"{name}-{i}"
            pod = pods.get(pod_name)
            if pod is None:
                labels = {
                    "controller-revision-hash": revision,
                    "statefulset.kubernetes.io/pod-name": pod_name,
                    "apps.kubernetes.io/pod-index": str(i),
                }
                template = _with_claims(spec, name, i)
                if not self.create_pod(("StatefulSet", ns, name), sts, template, pod_name, labels):
                    break
            elif pod["metadata"].get("labels", {}).get("controller-revision-hash") != revision and not on_delete:
                self.delete(pods_rt, pod)
        for pod_name, pod in pods.items():
            if int(pod_name.rsplit("-", 1)[-1]) >= want:
                self.delete(pods_rt, pod)
        pods_now = self.owned(pods_rt, ns, sts["metadata"]["uid"])
        updated = [p for p in pods_now if p["metadata"].get("labels", {}).get("controller-revision-hash") == revision]
        ready = sum(1 for p in pods_now if _ready(p))
        old = sts.get("status") or {}
        status = {
            "observedGeneration": sts["metadata"].get("generation", 1),
            "replicas": len(pods_now),
            "readyReplicas": ready,
            "currentReplicas": len(updated),
            "updatedReplicas": len(updated),
            "availableReplicas": ready,
            "updateRevision": revision,
            "currentRevision": revision if len(updated) == len(pods_now) else old.get("currentRevision", revision),
            "collisionCount": 0,
        }
        self.set_status(rt, sts, status)

    # -- DaemonSet --------------------------------------------------------------------------------
    def daemonset(self, ns: str, name: str) -> None:
        rt, pods_rt = self.rt("daemonsets", "apps"), self.rt("pods")
        ds = self.store.find(rt, ns, name)
        if ds is None or ds["metadata"].get("deletionTimestamp"):
            return
        spec = ds.get("spec") or {}
        revision = template_hash(spec.get("template") or {})
        nodes = [n["metadata"]["name"] for n in self.store.objects(self.rt("nodes"))]
        pods = self.owned(pods_rt, ns, ds["metadata"]["uid"])
        by_node = {p.get("spec", {}).get("nodeName"): p for p in pods}
        for pod in pods:
            if pod["metadata"].get("labels", {}).get("controller-revision-hash") != revision:
                self.delete(pods_rt, pod)
                by_node.pop(pod.get("spec", {}).get("nodeName"), None)
        for node in nodes:
            if node not in by_node and not self.create_pod(
                ("DaemonSet", ns, name),
                ds,
                spec.get("template") or {},
                None,
                {
                    "controller-revision-hash": revision,
                    "pod-template-generation": str(ds["metadata"].get("generation", 1)),
                },
                node=node,
            ):
                break
        pods_now = self.owned(pods_rt, ns, ds["metadata"]["uid"])
        updated = sum(
            1 for p in pods_now if p["metadata"].get("labels", {}).get("controller-revision-hash") == revision
        )
        ready = sum(1 for p in pods_now if _ready(p))
        status = {
            "observedGeneration": ds["metadata"].get("generation", 1),
            "desiredNumberScheduled": len(nodes),
            "currentNumberScheduled": len(pods_now),
            "numberMisscheduled": 0,
            "numberReady": ready,
            "updatedNumberScheduled": updated,
            "numberAvailable": ready,
        }
        if len(nodes) - ready:
            status["numberUnavailable"] = len(nodes) - ready
        self.set_status(rt, ds, status)

    # -- Job and CronJob --------------------------------------------------------------------------
    def job(self, ns: str, name: str) -> None:
        rt, pods_rt = self.rt("jobs", "batch"), self.rt("pods")
        job = self.store.find(rt, ns, name)
        if job is None or job["metadata"].get("deletionTimestamp"):
            return
        spec, old = job.get("spec") or {}, job.get("status") or {}
        if any(c.get("type") == "Complete" and c.get("status") == "True" for c in old.get("conditions") or []):
            return
        pods = self.owned(pods_rt, ns, job["metadata"]["uid"])
        succeeded = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Succeeded")
        active = [p for p in pods if (p.get("status") or {}).get("phase") in (None, "Pending", "Running")]
        completions = spec.get("completions", 1) or 1
        if not spec.get("suspend"):
            for _ in range(min(spec.get("parallelism", 1), completions - succeeded) - len(active)):
                if not self.create_pod(("Job", ns, name), job, spec.get("template") or {}):
                    break
        pods = self.owned(pods_rt, ns, job["metadata"]["uid"])
        active = [p for p in pods if (p.get("status") or {}).get("phase") in (None, "Pending", "Running")]
        now = now_rfc3339()
        status: dict = {
            "startTime": old.get("startTime", now),
            "ready": sum(1 for p in active if _ready(p)),
            "uncountedTerminatedPods": {},
        }
        if active:
            status["active"] = len(active)
        if succeeded:
            status["succeeded"] = succeeded
        if succeeded >= completions:
            status["completionTime"] = now
            status["conditions"] = [
                {
                    "type": "SuccessCriteriaMet",
                    "status": "True",
                    "reason": "CompletionsReached",
                    "message": "Reached expected number of succeeded pods",
                    "lastProbeTime": now,
                    "lastTransitionTime": now,
                },
                {
                    "type": "Complete",
                    "status": "True",
                    "reason": "CompletionsReached",
                    "message": "Reached expected number of succeeded pods",
                    "lastProbeTime": now,
                    "lastTransitionTime": now,
                },
            ]
            self.cluster.record_event(job, "Normal", "Completed", "Job completed", component="job-controller")
        self.set_status(rt, job, status)

    def cronjob(self, ns: str, name: str) -> None:
        """The lab fires a CronJob once when created and again after each jobTemplate change,
        standing in for "the next scheduled run" (it does not follow the schedule's clock)."""
        rt, jobs_rt = self.rt("cronjobs", "batch"), self.rt("jobs", "batch")
        cj = self.store.find(rt, ns, name)
        if cj is None or cj["metadata"].get("deletionTimestamp"):
            return
        spec = cj.get("spec") or {}
        job_template = spec.get("jobTemplate") or {}
        fingerprint = template_hash(job_template)
        uid = cj["metadata"]["uid"]
        if not spec.get("suspend") and self._cron_fired.get(uid) != fingerprint:
            self._cron_fired[uid] = fingerprint
            self.fire_cronjob(cj)
            cj = self.store.find(rt, ns, name) or cj  # firing stamped lastScheduleTime: keep it
        jobs = self.owned(jobs_rt, ns, uid)
        done = [j for j in jobs if (j.get("status") or {}).get("completionTime")]
        active = [j for j in jobs if j not in done]
        for stale in sorted(done, key=lambda j: j["metadata"]["creationTimestamp"])[
            : -spec.get("successfulJobsHistoryLimit", 3) or None
        ]:
            if len(done) > spec.get("successfulJobsHistoryLimit", 3):
                self.store.delete(jobs_rt, ns, stale["metadata"]["name"])
        old = cj.get("status") or {}
        status = dict(old)
        if active:
            status["active"] = [
                {
                    "apiVersion": "batch/v1",
                    "kind": "Job",
                    "name": j["metadata"]["name"],
                    "namespace": ns,
                    "uid": j["metadata"]["uid"],
                    "resourceVersion": j["metadata"]["resourceVersion"],
                }
                for j in active
            ]
        else:
            status.pop("active", None)
        if done:
            status["lastSuccessfulTime"] = max(j["status"]["completionTime"] for j in done)
        self.set_status(rt, cj, status)

    def fire_cronjob(self, cj: dict) -> dict | None:
        jobs_rt = self.rt("jobs", "batch")
        ns, name = cj["metadata"]["namespace"], cj["metadata"]["name"]
        job_template = json.loads(json.dumps((cj.get("spec") or {}).get("jobTemplate") or {}))
        minute = int(time.time() // 60)
        while self.store.find(jobs_rt, ns, f"{name}-{minute}") is not None:
            minute += 1
        meta = job_template.get("metadata") or {}
        job = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": f"{name}-{minute}",
                "namespace": ns,
                "labels": dict(meta.get("labels") or {}),
                "annotations": {
                    **(meta.get("annotations") or {}),
                    "batch.kubernetes.io/cronjob-scheduled-timestamp": now_rfc3339(),
                },
                "ownerReferences": [owner_reference(cj)],
            },
            "spec": job_template.get("spec") or {},
        }
        try:
            created = self.store.create(jobs_rt, ns, job)
        except ApiError as exc:
            self.cluster.record_event(
                cj, "Warning", "FailedCreate", f"Error creating job: {exc.message}", component="cronjob-controller"
            )
            return None
        self.cluster.record_event(
            cj, "Normal", "SuccessfulCreate", f"Created job {name}-{minute}", component="cronjob-controller"
        )

        def stamp(cur: dict) -> dict:
            cur.setdefault("status", {})["lastScheduleTime"] = now_rfc3339()
            return cur

        self.store.patch(self.rt("cronjobs", "batch"), ns, name, stamp, subresource="status")
        return created

    # -- kubelet ----------------------------------------------------------------------------------
    def kubelet(self, ns: str, name: str) -> None:
        """Starts a pod: Running and Ready, or Succeeded when its restartPolicy lets it finish
        (except that a non-native azwi-proxy sidecar keeps running, so such a Job never completes)."""
        rt = self.rt("pods")
        pod = self.store.find(rt, ns, name)
        if pod is None or (pod.get("status") or {}).get("phase") not in (None, "Pending"):
            return
        spec = pod.get("spec") or {}
        now = now_rfc3339()
        finishes = spec.get("restartPolicy") in ("Never", "OnFailure")
        containers = []
        for c in spec.get("containers") or []:
            running = not finishes or c.get("name") == PROXY
            state = (
                {"running": {"startedAt": now}}
                if running
                else {
                    "terminated": {
                        "exitCode": 0,
                        "reason": "Completed",
                        "startedAt": now,
                        "finishedAt": now,
                        "containerID": f"containerd://{self.cluster.ids.hexdigits(64)}",
                    }
                }
            )
            containers.append(
                {
                    "name": c.get("name"),
                    "image": c.get("image"),
                    "ready": running,
                    "started": running,
                    "restartCount": 0,
                    "imageID": f"{c.get('image')}@sha256:{self.cluster.ids.hexdigits(64)}",
                    "containerID": f"containerd://{self.cluster.ids.hexdigits(64)}",
                    "state": state,
                }
            )
            self.cluster.start_container_log(pod, c)
        inits = [
            {
                "name": c.get("name"),
                "image": c.get("image"),
                "ready": True,
                "started": False,
                "restartCount": 0,
                "imageID": f"{c.get('image')}@sha256:{self.cluster.ids.hexdigits(64)}",  # required by the client's
                "containerID": f"containerd://{self.cluster.ids.hexdigits(64)}",  # V1ContainerStatus model
                "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": now, "finishedAt": now}},
            }
            for c in spec.get("initContainers") or []
        ]
        done = finishes and all("terminated" in c["state"] for c in containers)
        ready = "False" if done else "True"
        node_index = self.cluster.node_index(spec.get("nodeName"))
        status = {
            "phase": "Succeeded" if done else "Running",
            "conditions": [
                {
                    "type": t,
                    "status": "True" if t in ("Initialized", "PodScheduled") else ready,
                    "lastProbeTime": None,
                    "lastTransitionTime": now,
                    **({"reason": "PodCompleted"} if done and t in ("Ready", "ContainersReady") else {}),
                }
                for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
            ],
            "hostIP": f"10.224.0.{4 + node_index}",
            "hostIPs": [{"ip": f"10.224.0.{4 + node_index}"}],
            "podIP": self.cluster.pod_ip(),
            "startTime": now,
            "qosClass": "BestEffort",
            "containerStatuses": containers,
        }
        status["podIPs"] = [{"ip": status["podIP"]}]
        if inits:
            status["initContainerStatuses"] = inits
        self.set_status(rt, pod, status)
        self.cluster.record_event(
            pod,
            "Normal",
            "Scheduled",
            f"Successfully assigned {ns}/{name} to {spec.get('nodeName')}",
            component="default-scheduler",
        )
        self.cluster.record_event(pod, "Normal", "Started", "Started container", component="kubelet")

    # -- namespaces and garbage collection --------------------------------------------------------
    def namespace(self, _: str, name: str) -> None:
        ns_rt = self.rt("namespaces")
        ns = self.store.find(ns_rt, None, name)
        if ns is None:
            return
        sa_rt = self.rt("serviceaccounts")
        if not ns["metadata"].get("deletionTimestamp"):
            if self.store.find(sa_rt, name, "default") is None:
                try:
                    self.store.create(sa_rt, name, {"metadata": {"name": "default"}})
                except ApiError as exc:
                    if exc.code != 409:
                        raise
            return
        remaining = 0
        for rt in self.reg.types:
            if not rt.namespaced:
                continue
            for obj in self.store.objects(rt, name):
                remaining += 1
                if not obj["metadata"].get("deletionTimestamp"):
                    self.delete(rt, obj)
        if remaining == 0 or not any(self.store.objects(rt, name) for rt in self.reg.types if rt.namespaced):
            self.store.remove(ns_rt, None, name)
        # otherwise finalizers hold something back: the deletion of the last object requeues us

    def collect(self, ns: str, uid: str) -> None:
        """Background cascading deletion: remove what the deleted object owned."""
        for group, plural in OWNED_KINDS:
            rt = self.rt(plural, group)
            for obj in self.store.objects(rt):
                refs = obj["metadata"].get("ownerReferences") or []
                if any(ref.get("uid") == uid for ref in refs) and not obj["metadata"].get("deletionTimestamp"):
                    self.delete(rt, obj)

"""``meta.k8s.io/v1`` Tables for ``kubectl get``, ported from the apiserver's printers.

kubectl asks for ``as=Table`` and prints whatever columns the server sends; a plain list only gets NAME/AGE
(wire.md E.6). Columns and cells follow kubernetes ``pkg/printers/internalversion/printers.go``, which the
apiserver always runs in wide mode: kubectl itself hides the priority-1 columns unless ``-o wide``. Custom
resources get the CRD default columns (apiextensions ``tableconvertor``), CRDs themselves the generic
``NAME CREATED AT`` of ``rest.NewDefaultTableConvertor``. Objects are read as stored JSON, with the few
apiserver defaults the printers rely on (replicas 1, Secret type Opaque, ...) applied when absent.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from migrator.lab.kube.resources import ResourceType

TABLE_API_VERSION = "meta.k8s.io/v1"
INCLUDE_OBJECT = ("Metadata", "Object", "None")

# ObjectMeta swagger docs, as the apiserver puts them in its column descriptions.
_NAME_DOC = (
    "Name must be unique within a namespace. Is required when creating resources, although some resources may "
    "allow a client to request the generation of an appropriate name automatically. Name is primarily intended "
    "for creation idempotence and configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
_AGE_DOC = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. "
    "It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More "
    "info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)
_CONTAINERS_DOC = "Names of each container in the template."
_IMAGES_DOC = "Images referenced by each container in the template."
_SELECTOR_DOC = "A label query over pods that should match the replica count."


# --- time --------------------------------------------------------------------------------------------------

_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 timestamp (``metav1.Time`` or ``MicroTime``) as an aware UTC datetime; None when absent/bad."""
    if not isinstance(value, str):
        return None
    m = _TIMESTAMP.match(value.strip())
    if not m:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    micros = int((m.group(7) or "0")[:6].ljust(6, "0"))
    offset = timedelta(0)
    if m.group(9):
        offset = timedelta(hours=int(m.group(10)), minutes=int(m.group(11)))
        if m.group(9) == "-":
            offset = -offset
    try:
        local = datetime(year, month, day, hour, minute, second, micros, tzinfo=timezone(offset))
    except ValueError:
        return None
    return local.astimezone(timezone.utc)


def human_duration(d: timedelta) -> str:
    """k8s.io/apimachinery ``duration.HumanDuration``: ~2-3 significant figures ("5s", "3m2s", "10m", "2d3h")."""
    seconds = int(d.total_seconds())  # truncates toward zero, as Go's int(d.Seconds())
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    micros = d // timedelta(microseconds=1)
    minutes = micros // 60_000_000
    if minutes < 10:
        s = (micros // 1_000_000) % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = micros // 3_600_000_000
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def _since(value: object, now: datetime) -> str:
    """``translateTimestampSince``: "<unknown>" for a missing (zero) timestamp."""
    ts = parse_time(value)
    return "<unknown>" if ts is None else human_duration(now - ts)


# --- helpers shared by printers ------------------------------------------------------------------------------


def _d(obj: dict | None, *keys: str) -> dict:
    """Nested dict lookup that treats missing and null alike (stored JSON may carry either)."""
    cur: object = obj
    for key in keys:
        cur = cur.get(key) if isinstance(cur, dict) else None
    return cur if isinstance(cur, dict) else {}


def _l(obj: dict, key: str) -> list:
    value = obj.get(key)
    return value if isinstance(value, list) else []


def _i(value: object, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def format_labels(labels: dict | None) -> str:
    """``labels.FormatLabels``: sorted ``k=v`` pairs, "<none>" when empty."""
    text = ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items()))
    return text or "<none>"


_OPERATORS = {"In": "in", "NotIn": "notin"}


def selector_string(selector: dict | None) -> str:
    """``metav1.LabelSelectorAsSelector(s).String()``: requirements sorted by key, "" when it selects nothing/all."""
    reqs: list[tuple[str, str]] = []
    for key, value in (_d(selector, "matchLabels") or {}).items():
        reqs.append((key, f"{key}={value}"))
    for expr in _l(selector or {}, "matchExpressions"):
        key, op = str(expr.get("key", "")), expr.get("operator")
        values = ",".join(sorted(str(v) for v in _l(expr, "values")))
        if op in _OPERATORS:
            reqs.append((key, f"{key} {_OPERATORS[op]} ({values})"))
        elif op == "Exists":
            reqs.append((key, key))
        elif op == "DoesNotExist":
            reqs.append((key, f"!{key}"))
    return ",".join(text for _, text in sorted(reqs, key=lambda r: r[0]))


def format_label_selector(selector: dict | None) -> str:
    """``metav1.FormatLabelSelector``: the selector string, "<none>" when empty."""
    return selector_string(selector) or "<none>"


def _containers(template_spec: dict) -> tuple[str, str]:
    """``layoutContainerCells``: container names and images, comma-joined."""
    containers = [c for c in _l(template_spec, "containers") if isinstance(c, dict)]
    return ",".join(str(c.get("name", "")) for c in containers), ",".join(str(c.get("image", "")) for c in containers)


def _first_condition(conditions: list, type_: str) -> dict | None:
    return next((c for c in conditions if isinstance(c, dict) and c.get("type") == type_), None)


def _condition_true(conditions: list, type_: str) -> bool:
    cond = _first_condition(conditions, type_)
    return cond is not None and cond.get("status") == "True"


def _col(name: str, description: str, type_: str = "string", *, priority: int = 0, fmt: str = "") -> dict:
    return {"name": name, "type": type_, "format": fmt, "description": description, "priority": priority}


_NAME = _col("Name", _NAME_DOC, fmt="name")
_AGE = _col("Age", _AGE_DOC)
_WIDE_CONTAINERS = _col("Containers", _CONTAINERS_DOC, priority=1)
_WIDE_IMAGES = _col("Images", _IMAGES_DOC, priority=1)

Printer = Callable[[dict, datetime], list]


# --- pods ----------------------------------------------------------------------------------------------------

_POD_COLUMNS = (
    _NAME,
    _col("Ready", "The aggregate readiness state of this pod for accepting traffic."),
    _col("Status", "The aggregate status of the containers in this pod."),
    _col(
        "Restarts",
        "The number of times the containers in this pod have been restarted and when the last "
        "container in this pod has restarted.",
    ),
    _AGE,
    _col(
        "IP",
        "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
        priority=1,
    ),
    _col("Node", "NodeName indicates in which node this pod is scheduled.", priority=1),
    _col("Nominated Node", "nominatedNodeName is set only when this pod preempts other pods on the node.", priority=1),
    _col("Readiness Gates", "If specified, all readiness gates will be evaluated for pod readiness.", priority=1),
)


def _restartable(container: dict | None) -> bool:
    """A sidecar: an init container with ``restartPolicy: Always``."""
    return isinstance(container, dict) and container.get("restartPolicy") == "Always"


def _finished_at(status: dict) -> datetime | None:
    return parse_time(_d(status, "lastState", "terminated").get("finishedAt"))


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a or b
    return max(a, b)


def _exit_reason(terminated: dict, prefix: str = "") -> str:
    if terminated.get("reason"):
        return prefix + str(terminated["reason"])
    if _i(terminated.get("signal")):
        return f"{prefix}Signal:{_i(terminated.get('signal'))}"
    return f"{prefix}ExitCode:{_i(terminated.get('exitCode'))}"


def _pod_cells(pod: dict, now: datetime) -> list:
    """``printPod``: READY counts ready running containers, STATUS the most telling container reason."""
    meta, spec, status = _d(pod, "metadata"), _d(pod, "spec"), _d(pod, "status")
    conditions = _l(status, "conditions")
    init_specs = [c for c in _l(spec, "initContainers") if isinstance(c, dict)]
    init_by_name = {c.get("name"): c for c in init_specs}
    total = len(_l(spec, "containers")) + sum(1 for c in init_specs if _restartable(c))
    ready = 0
    phase = str(status.get("phase") or "")
    reason = str(status.get("reason") or phase)
    if any(c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated" for c in conditions):
        reason = "SchedulingGated"

    restarts = sidecar_restarts = 0
    last_restart: datetime | None = None
    last_sidecar_restart: datetime | None = None
    initializing = False
    for i, cs in enumerate(c for c in _l(status, "initContainerStatuses") if isinstance(c, dict)):
        restarts += _i(cs.get("restartCount"))
        last_restart = _later(last_restart, _finished_at(cs))
        sidecar = _restartable(init_by_name.get(cs.get("name")))
        if sidecar:
            sidecar_restarts += _i(cs.get("restartCount"))
            last_sidecar_restart = _later(last_sidecar_restart, _finished_at(cs))
        state = _d(cs, "state")
        terminated = state.get("terminated") if isinstance(state.get("terminated"), dict) else None
        waiting = state.get("waiting") if isinstance(state.get("waiting"), dict) else None
        if terminated is not None and _i(terminated.get("exitCode")) == 0:
            continue
        if sidecar and cs.get("started"):
            ready += 1 if cs.get("ready") else 0
            continue
        if terminated is not None:
            reason = _exit_reason(terminated, "Init:")
        elif waiting is not None and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason = f"Init:{waiting['reason']}"
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or _condition_true(conditions, "Initialized"):
        restarts, last_restart = sidecar_restarts, last_sidecar_restart
        has_running = False
        for cs in reversed([c for c in _l(status, "containerStatuses") if isinstance(c, dict)]):
            restarts += _i(cs.get("restartCount"))
            last_restart = _later(last_restart, _finished_at(cs))
            state = _d(cs, "state")
            terminated = state.get("terminated") if isinstance(state.get("terminated"), dict) else None
            waiting = _d(state, "waiting")
            if waiting.get("reason"):
                reason = str(waiting["reason"])
            elif terminated is not None:
                reason = _exit_reason(terminated)
            elif cs.get("ready") and isinstance(state.get("running"), dict):
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(conditions, "Ready") else "NotReady"

    if meta.get("deletionTimestamp") and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif meta.get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"

    restarts_text = str(restarts)
    if restarts and last_restart is not None:
        restarts_text = f"{restarts} ({human_duration(now - last_restart)} ago)"

    pod_ips = [p for p in _l(status, "podIPs") if isinstance(p, dict)]
    pod_ip = (pod_ips[0].get("ip") if pod_ips else status.get("podIP")) or "<none>"
    gates = [g for g in _l(spec, "readinessGates") if isinstance(g, dict)]
    readiness = "<none>"
    if gates:
        true_gates = sum(1 for g in gates if _condition_true(conditions, str(g.get("conditionType"))))
        readiness = f"{true_gates}/{len(gates)}"
    return [
        meta.get("name", ""),
        f"{ready}/{total}",
        reason,
        restarts_text,
        _since(meta.get("creationTimestamp"), now),
        pod_ip,
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        readiness,
    ]


def _pod_conditions(pod: dict) -> list[dict]:
    """Row conditions the apiserver marks finished pods with."""
    phase = _d(pod, "status").get("phase")
    if phase == "Succeeded":
        return [
            {
                "type": "Completed",
                "status": "True",
                "reason": "Succeeded",
                "message": "The pod has completed successfully.",
            }
        ]
    if phase == "Failed":
        return [{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]
    return []


# --- workloads -----------------------------------------------------------------------------------------------

_DEPLOYMENT_COLUMNS = (
    _NAME,
    _col("Ready", "Number of the pod with ready state"),
    _col(
        "Up-to-date",
        "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
    ),
    _col(
        "Available", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."
    ),
    _AGE,
    _WIDE_CONTAINERS,
    _WIDE_IMAGES,
    _col(
        "Selector",
        "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the "
        "ones affected by this deployment.",
        priority=1,
    ),
)


def _deployment_cells(obj: dict, now: datetime) -> list:
    meta, spec, status = _d(obj, "metadata"), _d(obj, "spec"), _d(obj, "status")
    names, images = _containers(_d(spec, "template", "spec"))
    return [
        meta.get("name", ""),
        f"{_i(status.get('readyReplicas'))}/{_i(spec.get('replicas'), 1)}",
        _i(status.get("updatedReplicas")),
        _i(status.get("availableReplicas")),
        _since(meta.get("creationTimestamp"), now),
        names,
        images,
        selector_string(spec.get("selector")),
    ]


_REPLICASET_COLUMNS = (
    _NAME,
    _col("Desired", "Replicas is the number of desired replicas.", "integer"),
    _col("Current", "Replicas is the most recently observed number of replicas.", "integer"),
    _col("Ready", "The number of ready replicas for this replica set.", "integer"),
    _AGE,
    _WIDE_CONTAINERS,
    _WIDE_IMAGES,
    _col("Selector", _SELECTOR_DOC, priority=1),
)


def _replicaset_cells(obj: dict, now: datetime) -> list:
    meta, spec, status = _d(obj, "metadata"), _d(obj, "spec"), _d(obj, "status")
    names, images = _containers(_d(spec, "template", "spec"))
    return [
        meta.get("name", ""),
        _i(spec.get("replicas"), 1),
        _i(status.get("replicas")),
        _i(status.get("readyReplicas")),
        _since(meta.get("creationTimestamp"), now),
        names,
        images,
        format_label_selector(spec.get("selector")),
    ]


_STATEFULSET_COLUMNS = (
    _NAME,
    _col("Ready", "Number of the pod with ready state"),
    _AGE,
    _WIDE_CONTAINERS,
    _WIDE_IMAGES,
)


def _statefulset_cells(obj: dict, now: datetime) -> list:
    meta, spec, status = _d(obj, "metadata"), _d(obj, "spec"), _d(obj, "status")
    names, images = _containers(_d(spec, "template", "spec"))
    return [
        meta.get("name", ""),
        f"{_i(status.get('readyReplicas'))}/{_i(spec.get('replicas'), 1)}",
        _since(meta.get("creationTimestamp"), now),
        names,
        images,
    ]


_DAEMONSET_COLUMNS = (
    _NAME,
    _col("Desired", "The total number of nodes that should be running the daemon pod.", "integer"),
    _col(
        "Current",
        "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.",
        "integer",
    ),
    _col(
        "Ready",
        "The number of nodes that should be running the daemon pod and have one or more of the daemon "
        "pod running and ready.",
        "integer",
    ),
    _col("Up-to-date", "The total number of nodes that are running updated daemon pod", "integer"),
    _col(
        "Available",
        "The number of nodes that should be running the daemon pod and have one or more of the "
        "daemon pod running and available.",
        "integer",
    ),
    _col("Node Selector", "NodeSelector is a selector which must be true for the pod to fit on a node."),
    _AGE,
    _WIDE_CONTAINERS,
    _WIDE_IMAGES,
    _col("Selector", "A label query over pods that are managed by the daemon set.", priority=1),
)


def _daemonset_cells(obj: dict, now: datetime) -> list:
    meta, spec, status = _d(obj, "metadata"), _d(obj, "spec"), _d(obj, "status")
    template_spec = _d(spec, "template", "spec")
    names, images = _containers(template_spec)
    return [
        meta.get("name", ""),
        _i(status.get("desiredNumberScheduled")),
        _i(status.get("currentNumberScheduled")),
        _i(status.get("numberReady")),
        _i(status.get("updatedNumberScheduled")),
        _i(status.get("numberAvailable")),
        format_labels(template_spec.get("nodeSelector")),
        _since(meta.get("creationTimestamp"), now),
        names,
        images,
        format_label_selector(spec.get("selector")),
    ]


_JOB_COLUMNS = (
    _NAME,
    _col("Status", "Status of the job."),
    _col("Completions", "The number of pods which reached phase Succeeded."),
    _col("Duration", "Time required to complete the job."),
    _AGE,
    _WIDE_CONTAINERS,
    _WIDE_IMAGES,
    _col("Selector", _SELECTOR_DOC, priority=1),
)


def _job_cells(obj: dict, now: datetime) -> list:
    meta, spec, status = _d(obj, "metadata"), _d(obj, "spec"), _d(obj, "status")
    succeeded = _i(status.get("succeeded"))
    completions = spec.get("completions")
    if completions is None and spec.get("parallelism") is None:
        completions = 1  # the apiserver defaults both to 1 for a non-parallel job
    if isinstance(completions, int):
        completions_text = f"{succeeded}/{completions}"
    elif _i(spec.get("parallelism"), 1) > 1:
        completions_text = f"{succeeded}/1 of {_i(spec.get('parallelism'))}"
    else:
        completions_text = f"{succeeded}/1"
    start, end = parse_time(status.get("startTime")), parse_time(status.get("completionTime"))
    job_duration = "" if start is None else human_duration((end or now) - start)
    conditions = _l(status, "conditions")
    if _condition_true(conditions, "Complete"):
        state = "Complete"
    elif _condition_true(conditions, "Failed"):
        state = "Failed"
    elif meta.get("deletionTimestamp"):
        state = "Terminating"
    elif _condition_true(conditions, "Suspended"):
        state = "Suspended"
    elif _condition_true(conditions, "FailureTarget"):
        state = "FailureTarget"
    else:
        state = "Running"
    names, images = _containers(_d(spec, "template", "spec"))
    return [
        meta.get("name", ""),
        state,
        completions_text,
        job_duration,
        _since(meta.get("creationTimestamp"), now),
        names,
        images,
        format_label_selector(spec.get("selector")),
    ]


_CRONJOB_COLUMNS = (
    _NAME,
    _col("Schedule", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
    _col("Timezone", "The time zone name for the given schedule."),
    _col("Suspend", "This flag tells the controller to suspend subsequent executions.", "boolean"),
    _col("Active", "A list of pointers to currently running jobs.", "integer"),
    _col("Last Schedule", "Information when was the last time the job was successfully scheduled."),
    _AGE,
    _WIDE_CONTAINERS,
    _WIDE_IMAGES,
    _col("Selector", _SELECTOR_DOC, priority=1),
)


def _cronjob_cells(obj: dict, now: datetime) -> list:
    meta, spec, status = _d(obj, "metadata"), _d(obj, "spec"), _d(obj, "status")
    last = status.get("lastScheduleTime")
    suspend = spec.get("suspend")
    job_spec = _d(spec, "jobTemplate", "spec")
    names, images = _containers(_d(job_spec, "template", "spec"))
    return [
        meta.get("name", ""),
        spec.get("schedule", ""),
        spec.get("timeZone") or "<none>",
        "True" if suspend is True else "False",  # the apiserver defaults suspend to false
        len(_l(status, "active")),
        "<none>" if last is None else _since(last, now),
        _since(meta.get("creationTimestamp"), now),
        names,
        images,
        format_label_selector(job_spec.get("selector")),
    ]


# --- core objects --------------------------------------------------------------------------------------------

_SERVICE_COLUMNS = (
    _NAME,
    _col("Type", "type determines how the Service is exposed."),
    _col("Cluster-IP", "clusterIP is the IP address of the service and is usually assigned randomly."),
    _col(
        "External-IP",
        "externalIPs is a list of IP addresses for which nodes in the cluster will also accept "
        "traffic for this service.",
    ),
    _col("Port(s)", "The list of ports that are exposed by this service."),
    _AGE,
    _col("Selector", "Route service traffic to pods with label keys and values matching this selector.", priority=1),
)


def _service_external_ip(spec: dict, status: dict) -> str:
    svc_type = spec.get("type") or "ClusterIP"
    external = [str(ip) for ip in _l(spec, "externalIPs")]
    if svc_type in ("ClusterIP", "NodePort"):
        return ",".join(external) or "<none>"
    if svc_type == "LoadBalancer":
        ingress = [i for i in _l(_d(status, "loadBalancer"), "ingress") if isinstance(i, dict)]
        # sorted and de-duplicated; wide mode (what the apiserver uses) never clips them
        lb = sorted({str(i.get("ip") or i.get("hostname")) for i in ingress if i.get("ip") or i.get("hostname")})
        return ",".join(lb + external) or "<pending>"
    if svc_type == "ExternalName":
        return str(spec.get("externalName", ""))
    return "<unknown>"


def _service_cells(obj: dict, now: datetime) -> list:
    meta, spec, status = _d(obj, "metadata"), _d(obj, "spec"), _d(obj, "status")
    cluster_ips = _l(spec, "clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    ports = []
    for port in (p for p in _l(spec, "ports") if isinstance(p, dict)):
        protocol = port.get("protocol") or "TCP"
        node_port = _i(port.get("nodePort"))
        ports.append(
            f"{_i(port.get('port'))}:{node_port}/{protocol}" if node_port > 0 else f"{_i(port.get('port'))}/{protocol}"
        )
    return [
        meta.get("name", ""),
        spec.get("type") or "ClusterIP",
        cluster_ips[0] if cluster_ips else "<none>",
        _service_external_ip(spec, status),
        ",".join(ports) or "<none>",
        _since(meta.get("creationTimestamp"), now),
        format_labels(spec.get("selector")),
    ]


_NAMESPACE_COLUMNS = (_NAME, _col("Status", "The status of the namespace"), _AGE)


def _namespace_cells(obj: dict, now: datetime) -> list:
    meta = _d(obj, "metadata")
    phase = _d(obj, "status").get("phase") or ("Terminating" if meta.get("deletionTimestamp") else "Active")
    return [meta.get("name", ""), phase, _since(meta.get("creationTimestamp"), now)]


_NODE_COLUMNS = (
    _NAME,
    _col("Status", "The status of the node"),
    _col("Roles", "The roles of the node"),
    _AGE,
    _col("Version", "Kubelet Version reported by the node."),
    _col("Internal-IP", "List of addresses reachable to the node.", priority=1),
    _col("External-IP", "List of addresses reachable to the node.", priority=1),
    _col(
        "OS-Image", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", priority=1
    ),
    _col(
        "Kernel-Version", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", priority=1
    ),
    _col(
        "Container-Runtime",
        "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
        priority=1,
    ),
)


def _node_cells(obj: dict, now: datetime) -> list:
    meta, spec, status = _d(obj, "metadata"), _d(obj, "spec"), _d(obj, "status")
    ready = _first_condition(_l(status, "conditions")[::-1], "Ready")  # Go's map keeps the last one
    states = [] if ready is None else ["Ready" if ready.get("status") == "True" else "NotReady"]
    states = states or ["Unknown"]
    if spec.get("unschedulable"):
        states.append("SchedulingDisabled")
    roles = set()
    for key, value in (meta.get("labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/") and key[len("node-role.kubernetes.io/") :]:
            roles.add(key[len("node-role.kubernetes.io/") :])
        elif key == "kubernetes.io/role" and value:
            roles.add(str(value))
    addresses = [a for a in _l(status, "addresses") if isinstance(a, dict)]

    def address(kind: str) -> str:
        return next((str(a.get("address")) for a in addresses if a.get("type") == kind), "<none>")

    info = _d(status, "nodeInfo")
    return [
        meta.get("name", ""),
        ",".join(states),
        ",".join(sorted(roles)) or "<none>",
        _since(meta.get("creationTimestamp"), now),
        info.get("kubeletVersion", ""),
        address("InternalIP"),
        address("ExternalIP"),
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


_EVENT_COLUMNS = (
    _col("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
    _col("Type", "Type of this event (Normal, Warning), new types could be added in the future"),
    _col(
        "Reason",
        "This should be a short, machine understandable string that gives the reason for the "
        "transition into the object's current status.",
    ),
    _col("Object", "The object that this event is about."),
    _col(
        "Subobject",
        "If referring to a piece of an object instead of an entire object, this string should "
        "contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].",
        priority=1,
    ),
    _col("Source", "The component reporting this event. Should be a short machine understandable string.", priority=1),
    _col("Message", "A human-readable description of the status of this operation."),
    _col(
        "First Seen",
        "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)",
        priority=1,
    ),
    _col("Count", "The number of times this event has occurred.", priority=1),
    _col("Name", _NAME_DOC, priority=1, fmt="name"),
)


def _event_cells(obj: dict, now: datetime) -> list:
    meta, involved, source = _d(obj, "metadata"), _d(obj, "involvedObject"), _d(obj, "source")
    first = _since(obj.get("firstTimestamp"), now) if obj.get("firstTimestamp") else _since(obj.get("eventTime"), now)
    last = _since(obj.get("lastTimestamp"), now) if obj.get("lastTimestamp") else first
    count = _i(obj.get("count"))
    series = obj.get("series")
    if isinstance(series, dict):
        last = _since(series.get("lastObservedTime"), now)
        count = _i(series.get("count"))
    elif count == 0:
        count = 1  # singleton events carry no count in the new API
    kind = str(involved.get("kind", "")).lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    component = source.get("component") or obj.get("reportingComponent") or ""
    instance = source.get("host") or obj.get("reportingInstance") or ""
    return [
        last,
        obj.get("type", ""),
        obj.get("reason", ""),
        target,
        involved.get("fieldPath", ""),
        f"{component}, {instance}" if instance else component,
        str(obj.get("message", "")).strip(),
        first,
        count,
        meta.get("name", ""),
    ]


_CONFIGMAP_COLUMNS = (_NAME, _col("Data", "Data contains the configuration data."), _AGE)


def _configmap_cells(obj: dict, now: datetime) -> list:
    meta = _d(obj, "metadata")
    count = len(_d(obj, "data")) + len(_d(obj, "binaryData"))
    return [meta.get("name", ""), count, _since(meta.get("creationTimestamp"), now)]


_SECRET_COLUMNS = (
    _NAME,
    _col("Type", "Used to facilitate programmatic handling of secret data."),
    _col("Data", "Data contains the secret data."),
    _AGE,
)


def _secret_cells(obj: dict, now: datetime) -> list:
    meta = _d(obj, "metadata")
    keys = set(_d(obj, "data")) | set(_d(obj, "stringData"))  # the apiserver folds stringData into data
    return [meta.get("name", ""), obj.get("type") or "Opaque", len(keys), _since(meta.get("creationTimestamp"), now)]


_SERVICEACCOUNT_COLUMNS = (
    _NAME,
    _col(
        "Secrets",
        "Secrets is a list of the secrets in the same namespace that pods running using this "
        "ServiceAccount are allowed to use.",
    ),
    _AGE,
)


def _serviceaccount_cells(obj: dict, now: datetime) -> list:
    meta = _d(obj, "metadata")
    return [meta.get("name", ""), len(_l(obj, "secrets")), _since(meta.get("creationTimestamp"), now)]


# --- networking, admission, CRDs, custom resources -----------------------------------------------------------

_NETWORKPOLICY_COLUMNS = (
    _NAME,
    _col("Pod-Selector", "Selects the pods to which this NetworkPolicy object applies."),
    _AGE,
)


def _networkpolicy_cells(obj: dict, now: datetime) -> list:
    meta = _d(obj, "metadata")
    pod_selector = _d(obj, "spec", "podSelector")
    return [meta.get("name", ""), format_label_selector(pod_selector), _since(meta.get("creationTimestamp"), now)]


_WEBHOOK_COLUMNS = (
    _NAME,
    _col("Webhooks", "Webhooks indicates the number of webhooks registered in this configuration", "integer"),
    _AGE,
)


def _webhook_cells(obj: dict, now: datetime) -> list:
    meta = _d(obj, "metadata")
    return [meta.get("name", ""), len(_l(obj, "webhooks")), _since(meta.get("creationTimestamp"), now)]


_CREATED_AT_COLUMNS = (_NAME, _col("Created At", _AGE_DOC, "date"))


def _created_at_cells(obj: dict, now: datetime) -> list:
    """``rest.NewDefaultTableConvertor`` (used for CRDs): the creation time itself, RFC 3339 in UTC."""
    meta = _d(obj, "metadata")
    created = parse_time(meta.get("creationTimestamp"))
    return [meta.get("name", ""), created.strftime("%Y-%m-%dT%H:%M:%SZ") if created else "0001-01-01T00:00:00Z"]


_CUSTOM_COLUMNS = (_NAME, _col("Age", _AGE_DOC, "date"))


def _custom_cells(obj: dict, now: datetime) -> list:
    """The CRD default printer column (``.metadata.creationTimestamp``, type date); null when absent."""
    meta = _d(obj, "metadata")
    created = meta.get("creationTimestamp")
    if not isinstance(created, str):
        return [meta.get("name", ""), None]
    ts = parse_time(created)
    return [meta.get("name", ""), "<invalid>" if ts is None else human_duration(now - ts)]


_PRINTERS: dict[tuple[str, str], tuple[tuple[dict, ...], Printer]] = {
    ("", "pods"): (_POD_COLUMNS, _pod_cells),
    ("", "namespaces"): (_NAMESPACE_COLUMNS, _namespace_cells),
    ("", "nodes"): (_NODE_COLUMNS, _node_cells),
    ("", "serviceaccounts"): (_SERVICEACCOUNT_COLUMNS, _serviceaccount_cells),
    ("", "services"): (_SERVICE_COLUMNS, _service_cells),
    ("", "configmaps"): (_CONFIGMAP_COLUMNS, _configmap_cells),
    ("", "secrets"): (_SECRET_COLUMNS, _secret_cells),
    ("", "events"): (_EVENT_COLUMNS, _event_cells),
    ("apps", "deployments"): (_DEPLOYMENT_COLUMNS, _deployment_cells),
    ("apps", "replicasets"): (_REPLICASET_COLUMNS, _replicaset_cells),
    ("apps", "statefulsets"): (_STATEFULSET_COLUMNS, _statefulset_cells),
    ("apps", "daemonsets"): (_DAEMONSET_COLUMNS, _daemonset_cells),
    ("batch", "jobs"): (_JOB_COLUMNS, _job_cells),
    ("batch", "cronjobs"): (_CRONJOB_COLUMNS, _cronjob_cells),
    ("networking.k8s.io", "networkpolicies"): (_NETWORKPOLICY_COLUMNS, _networkpolicy_cells),
    ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"): (_WEBHOOK_COLUMNS, _webhook_cells),
    ("admissionregistration.k8s.io", "validatingwebhookconfigurations"): (_WEBHOOK_COLUMNS, _webhook_cells),
    ("apiextensions.k8s.io", "customresourcedefinitions"): (_CREATED_AT_COLUMNS, _created_at_cells),
}


def columns_for(rt: ResourceType) -> list[dict]:
    """The column definitions a Table of this resource carries (fresh copies)."""
    return [dict(c) for c in _PRINTERS.get((rt.group, rt.plural), (_CUSTOM_COLUMNS, _custom_cells))[0]]


# --- content negotiation and the Table itself ----------------------------------------------------------------


def _media_ranges(accept: str) -> list[tuple[str, dict[str, str]]]:
    ranges: list[tuple[float, int, str, dict[str, str]]] = []
    for index, part in enumerate(accept.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        params: dict[str, str] = {}
        for piece in pieces[1:]:
            key, _, value = piece.partition("=")
            params[key.strip().lower()] = value.strip().strip('"')
        try:
            q = float(params.pop("q", "1"))
        except ValueError:
            q = 1.0
        if q > 0:
            ranges.append((-q, index, pieces[0].lower(), params))
    ranges.sort(key=lambda r: (r[0], r[1]))
    return [(media, params) for _, _, media, params in ranges]


def wants_table(accept: str) -> bool:
    """True when the first acceptable entry of ``Accept`` asks for a ``meta.k8s.io`` v1 or v1beta1 Table.

    Like the apiserver, an ``as=`` form it cannot produce is skipped; a plain JSON/YAML/wildcard entry (or any
    other ``as=`` conversion) ahead of the Table entry means no Table.
    """
    for media, params in _media_ranges(accept or ""):
        if params.get("as") == "Table":
            if (
                media == "application/json"
                and params.get("g") == "meta.k8s.io"
                and params.get("v")
                in (
                    "v1",
                    "v1beta1",
                )
            ):
                return True
            continue
        return False
    return False


def _row_object(rt: ResourceType, obj: dict, include_object: str) -> dict:
    if include_object == "Object":
        full = copy.deepcopy(obj)
        full.setdefault("kind", rt.kind)
        full.setdefault("apiVersion", rt.api_version)
        return full
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": TABLE_API_VERSION,
        "metadata": copy.deepcopy(_d(obj, "metadata")),
    }


def table(
    rt: ResourceType,
    objects: list[dict],
    *,
    list_meta: dict | None,
    include_object: str = "Metadata",
    now: datetime | None = None,
) -> dict:
    """A ``meta.k8s.io/v1`` Table of ``objects`` (stored JSON of type ``rt``), cells as the apiserver prints them.

    ``list_meta`` is the list's metadata (resourceVersion, continue, remainingItemCount are carried over); pass
    None for a single-object GET, whose own resourceVersion is used. ``include_object`` is the request's
    ``includeObject`` ("Metadata" by default; "" means the same): each row carries a PartialObjectMetadata, the
    full object, or nothing. Anything else raises ValueError (the apiserver answers 400). ``now`` (default: the
    current time; naive means UTC) is what AGE is measured against.
    """
    if include_object == "":
        include_object = "Metadata"
    if include_object not in INCLUDE_OBJECT:
        raise ValueError(f"includeObject must be one of {', '.join(INCLUDE_OBJECT)}, not {include_object!r}")
    now = datetime.now(timezone.utc) if now is None else now
    now = now.replace(tzinfo=timezone.utc) if now.tzinfo is None else now.astimezone(timezone.utc)
    columns, printer = _PRINTERS.get((rt.group, rt.plural), (_CUSTOM_COLUMNS, _custom_cells))
    rows = []
    for obj in objects:
        row: dict = {"cells": printer(obj, now)}
        if (rt.group, rt.plural) == ("", "pods") and (conditions := _pod_conditions(obj)):
            row["conditions"] = conditions
        if include_object != "None":
            row["object"] = _row_object(rt, obj, include_object)
        rows.append(row)
    metadata: dict = {}
    if list_meta is not None:
        for key in ("resourceVersion", "continue"):
            if list_meta.get(key):
                metadata[key] = list_meta[key]
        if list_meta.get("remainingItemCount") is not None:
            metadata["remainingItemCount"] = list_meta["remainingItemCount"]
    elif len(objects) == 1 and _d(objects[0], "metadata").get("resourceVersion"):
        metadata["resourceVersion"] = _d(objects[0], "metadata")["resourceVersion"]
    return {
        "kind": "Table",
        "apiVersion": TABLE_API_VERSION,
        "metadata": metadata,
        "columnDefinitions": [dict(c) for c in columns],
        "rows": rows,
    }

"""Server-side Tables: the columns and cells `kubectl get` prints, as kube-apiserver's printers compute them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from migrator.lab.kube import tables
from migrator.lab.kube.resources import POD_IDENTITY_GROUP, registry

REG = registry()
NOW = datetime(2026, 11, 23, 11, 0, 0, tzinfo=timezone.utc)
CREATED = "2026-11-23T10:00:00Z"  # one hour before NOW -> "60m"
KUBECTL_ACCEPT = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
)


def _meta(name: str, namespace: str | None = "default", **extra: object) -> dict:
    meta = {"name": name, "uid": f"uid-{name}", "resourceVersion": "41", "creationTimestamp": CREATED, **extra}
    if namespace:
        meta["namespace"] = namespace
    return meta


def _table(plural: str, objects: list[dict], group: str = "", **kw: object) -> dict:
    return tables.table(REG.get(plural, group), objects, list_meta=kw.pop("list_meta", {}), now=NOW, **kw)


def _names(table: dict, priority: int | None = None) -> list[str]:
    return [c["name"] for c in table["columnDefinitions"] if priority is None or c["priority"] == priority]


def _row(plural: str, obj: dict, group: str = "") -> dict[str, object]:
    """The single row of a one-object table, keyed by column name."""
    t = _table(plural, [obj], group)
    assert len(t["rows"][0]["cells"]) == len(t["columnDefinitions"])
    return dict(zip(_names(t), t["rows"][0]["cells"], strict=True))


# --- durations and timestamps --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=-3), "<invalid>"),
        (timedelta(seconds=-2), "<invalid>"),
        (timedelta(seconds=-1.5), "0s"),
        (timedelta(seconds=-1), "0s"),
        (timedelta(0), "0s"),
        (timedelta(seconds=5), "5s"),
        (timedelta(seconds=119, milliseconds=999), "119s"),
        (timedelta(minutes=2), "2m"),
        (timedelta(minutes=3, seconds=2), "3m2s"),
        (timedelta(minutes=9, seconds=59), "9m59s"),
        (timedelta(minutes=10), "10m"),
        (timedelta(minutes=10, seconds=59), "10m"),
        (timedelta(hours=2, minutes=59, seconds=59), "179m"),
        (timedelta(hours=3), "3h"),
        (timedelta(hours=3, minutes=1), "3h1m"),
        (timedelta(hours=7, minutes=59), "7h59m"),
        (timedelta(hours=8), "8h"),
        (timedelta(hours=47, minutes=59), "47h"),
        (timedelta(hours=48), "2d"),
        (timedelta(days=2, hours=3), "2d3h"),
        (timedelta(days=7, hours=23), "7d23h"),
        (timedelta(days=8), "8d"),
        (timedelta(days=729), "729d"),
        (timedelta(days=730), "2y"),
        (timedelta(days=731), "2y1d"),
        (timedelta(days=365 * 8), "8y"),
        (timedelta(days=365 * 10 + 100), "10y"),
    ],
)
def test_human_duration_matches_apimachinery(delta: timedelta, text: str) -> None:
    assert tables.human_duration(delta) == text


def test_parse_time_accepts_rfc3339_forms() -> None:
    expected = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
    assert tables.parse_time("2026-11-23T10:00:00Z") == expected
    assert tables.parse_time("2026-11-23T10:00:00.000000Z") == expected
    assert tables.parse_time("2026-11-23T11:30:00+01:30") == expected
    assert tables.parse_time("2026-11-23T10:00:00.5Z") == expected + timedelta(milliseconds=500)
    assert tables.parse_time(None) is None
    assert tables.parse_time("yesterday") is None


# --- content negotiation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (KUBECTL_ACCEPT, True),
        ("application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json", True),
        ("application/json; as=Table; g=meta.k8s.io; v=v1", True),
        ("application/json", False),
        ("application/json, */*", False),
        ("", False),
        ("application/json, application/json;as=Table;v=v1;g=meta.k8s.io", False),
        ("application/json;as=Table;v=v2;g=meta.k8s.io,application/json", False),
        ("application/json;as=Table;v=v1;g=example.com", False),
        ("application/json;q=0.5, application/json;as=Table;v=v1;g=meta.k8s.io", True),
        ("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json", False),
    ],
)
def test_wants_table(accept: str, expected: bool) -> None:
    assert tables.wants_table(accept) is expected


# --- the envelope --------------------------------------------------------------------------------------------


def _deployment(name: str = "web") -> dict:
    return {
        "metadata": _meta(name, labels={"app": name}),
        "spec": {
            "replicas": 3,
            "selector": {
                "matchLabels": {"app": name},
                "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "api"]}],
            },
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "serviceAccountName": "app",
                    "containers": [{"name": "c", "image": "nginx:1.27"}, {"name": "proxy", "image": "envoy:1"}],
                },
            },
        },
        "status": {"replicas": 3, "readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2},
    }


def test_table_envelope_for_a_list() -> None:
    t = tables.table(
        REG.get("deployments", "apps"),
        [_deployment("a"), _deployment("b")],
        list_meta={"resourceVersion": "99", "continue": "tok", "remainingItemCount": 4},
        now=NOW,
    )
    assert (t["kind"], t["apiVersion"]) == ("Table", "meta.k8s.io/v1")
    assert t["metadata"] == {"resourceVersion": "99", "continue": "tok", "remainingItemCount": 4}
    assert [r["cells"][0] for r in t["rows"]] == ["a", "b"]
    row_obj = t["rows"][0]["object"]
    assert row_obj == {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": _deployment("a")["metadata"],
    }
    assert set(t["columnDefinitions"][0]) == {"name", "type", "format", "description", "priority"}


def test_table_envelope_for_a_single_object_and_last_page() -> None:
    t = tables.table(REG.get("deployments", "apps"), [_deployment()], list_meta=None, now=NOW)
    assert t["metadata"] == {"resourceVersion": "41"}
    t = tables.table(REG.get("deployments", "apps"), [], list_meta={"resourceVersion": "5", "continue": ""}, now=NOW)
    assert t["metadata"] == {"resourceVersion": "5"} and t["rows"] == []
    assert _names(t)[0] == "Name"  # headers even when empty


def test_include_object_variants() -> None:
    rt = REG.get("deployments", "apps")
    obj = _deployment()
    full = tables.table(rt, [obj], list_meta={}, include_object="Object", now=NOW)["rows"][0]["object"]
    assert full["kind"] == "Deployment" and full["apiVersion"] == "apps/v1" and full["spec"] == obj["spec"]
    assert "kind" not in obj  # the stored object is not touched
    full["metadata"]["name"] = "changed"
    assert obj["metadata"]["name"] == "web"
    assert "object" not in tables.table(rt, [obj], list_meta={}, include_object="None", now=NOW)["rows"][0]
    assert tables.table(rt, [obj], list_meta={}, include_object="", now=NOW)["rows"][0]["object"]["kind"] == (
        "PartialObjectMetadata"
    )
    with pytest.raises(ValueError, match="includeObject"):
        tables.table(rt, [obj], list_meta={}, include_object="Everything", now=NOW)


def test_naive_now_is_utc() -> None:
    naive = datetime(2026, 11, 23, 10, 0, 5)
    t = tables.table(REG.get("configmaps"), [{"metadata": _meta("c")}], list_meta={}, now=naive)
    assert t["rows"][0]["cells"][-1] == "5s"


@pytest.mark.parametrize("rt", REG.types, ids=lambda t: t.group_resource)
def test_every_type_prints_a_full_row_even_from_a_bare_object(rt) -> None:
    t = tables.table(rt, [{"metadata": {"name": "x"}}, {}], list_meta={}, now=NOW)
    for row in t["rows"]:
        assert len(row["cells"]) == len(t["columnDefinitions"])
    assert t["rows"][0]["cells"][_names(t).index("Name")] == "x"


# --- pods ----------------------------------------------------------------------------------------------------


def _pod(status: dict, spec: dict | None = None, **meta: object) -> dict:
    return {
        "metadata": _meta("web-7d9f-abcde", **meta),
        "spec": spec or {"nodeName": "aks-nodepool1-1", "containers": [{"name": "c"}, {"name": "proxy"}]},
        "status": status,
    }


def test_pod_columns() -> None:
    t = _table("pods", [])
    assert _names(t, 0) == ["Name", "Ready", "Status", "Restarts", "Age"]
    assert _names(t, 1) == ["IP", "Node", "Nominated Node", "Readiness Gates"]
    assert t["columnDefinitions"][0]["format"] == "name"


def test_running_pod() -> None:
    running = {"ready": True, "restartCount": 0, "state": {"running": {"startedAt": CREATED}}}
    pod = _pod(
        {
            "phase": "Running",
            "podIP": "10.244.1.7",
            "podIPs": [{"ip": "10.244.1.7"}],
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"name": "c", **running}, {"name": "proxy", **running}],
        }
    )
    assert _row("pods", pod) == {
        "Name": "web-7d9f-abcde",
        "Ready": "2/2",
        "Status": "Running",
        "Restarts": "0",
        "Age": "60m",
        "IP": "10.244.1.7",
        "Node": "aks-nodepool1-1",
        "Nominated Node": "<none>",
        "Readiness Gates": "<none>",
    }
    assert "conditions" not in _table("pods", [pod])["rows"][0]


def test_pod_with_a_crashing_container_shows_reason_and_last_restart() -> None:
    pod = _pod(
        {
            "phase": "Running",
            "containerStatuses": [
                {
                    "name": "c",
                    "ready": True,
                    "restartCount": 1,
                    "state": {"running": {}},
                    "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2026-11-23T10:40:00Z"}},
                },
                {
                    "name": "proxy",
                    "ready": False,
                    "restartCount": 4,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2026-11-23T10:57:00Z"}},
                },
            ],
        }
    )
    row = _row("pods", pod)
    assert (row["Ready"], row["Status"], row["Restarts"]) == ("1/2", "CrashLoopBackOff", "5 (3m ago)")


def test_pending_pod_and_terminating_pod() -> None:
    pending = _pod({"phase": "Pending"}, spec={"containers": [{"name": "c"}]})
    row = _row("pods", pending)
    assert (row["Ready"], row["Status"], row["Node"], row["IP"]) == ("0/1", "Pending", "<none>", "<none>")
    waiting = _pod(
        {
            "phase": "Pending",
            "containerStatuses": [{"name": "c", "ready": False, "state": {"waiting": {"reason": "ContainerCreating"}}}],
        },
        spec={"containers": [{"name": "c"}]},
    )
    assert _row("pods", waiting)["Status"] == "ContainerCreating"
    terminating = _pod({"phase": "Running"}, deletionTimestamp="2026-11-23T10:59:00Z")
    assert _row("pods", terminating)["Status"] == "Terminating"


def test_completed_pod_gets_row_condition() -> None:
    pod = _pod(
        {
            "phase": "Succeeded",
            "containerStatuses": [
                {"name": "c", "ready": False, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}
            ],
        },
        spec={"containers": [{"name": "c"}]},
    )
    t = _table("pods", [pod])
    assert t["rows"][0]["cells"][1:3] == ["0/1", "Completed"]
    assert t["rows"][0]["conditions"] == [
        {"type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."}
    ]
    assert _row("pods", _pod({"phase": "Succeeded"}, deletionTimestamp=CREATED))["Status"] == "Succeeded"


def test_init_containers() -> None:
    spec = {"initContainers": [{"name": "init"}], "containers": [{"name": "c"}]}
    running_init = _pod(
        {"phase": "Pending", "initContainerStatuses": [{"name": "init", "ready": False, "state": {"running": {}}}]},
        spec=spec,
    )
    assert _row("pods", running_init)["Status"] == "Init:0/1"
    crashing = _pod(
        {
            "phase": "Pending",
            "initContainerStatuses": [
                {"name": "init", "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
            ],
        },
        spec=spec,
    )
    assert _row("pods", crashing)["Status"] == "Init:CrashLoopBackOff"
    failed = _pod(
        {"phase": "Pending", "initContainerStatuses": [{"name": "init", "state": {"terminated": {"exitCode": 2}}}]},
        spec=spec,
    )
    assert _row("pods", failed)["Status"] == "Init:ExitCode:2"
    sidecar_spec = {"initContainers": [{"name": "sc", "restartPolicy": "Always"}], "containers": [{"name": "c"}]}
    sidecar = _pod(
        {
            "phase": "Running",
            "conditions": [{"type": "Initialized", "status": "True"}],
            "initContainerStatuses": [{"name": "sc", "ready": True, "started": True, "state": {"running": {}}}],
            "containerStatuses": [{"name": "c", "ready": True, "state": {"running": {}}}],
        },
        spec=sidecar_spec,
    )
    row = _row("pods", sidecar)
    assert (row["Ready"], row["Status"]) == ("2/2", "Running")


def test_pod_readiness_gates() -> None:
    pod = _pod(
        {"phase": "Running", "conditions": [{"type": "example.com/gate", "status": "True"}]},
        spec={
            "containers": [{"name": "c"}],
            "readinessGates": [{"conditionType": "example.com/gate"}, {"conditionType": "example.com/other"}],
        },
    )
    assert _row("pods", pod)["Readiness Gates"] == "1/2"


# --- workloads -----------------------------------------------------------------------------------------------


def test_deployment_row() -> None:
    t = _table("deployments", [], "apps")
    assert _names(t, 0) == ["Name", "Ready", "Up-to-date", "Available", "Age"]
    assert _names(t, 1) == ["Containers", "Images", "Selector"]
    assert _row("deployments", _deployment(), "apps") == {
        "Name": "web",
        "Ready": "2/3",
        "Up-to-date": 3,
        "Available": 2,
        "Age": "60m",
        "Containers": "c,proxy",
        "Images": "nginx:1.27,envoy:1",
        "Selector": "app=web,tier in (api,web)",
    }
    fresh = {"metadata": _meta("new"), "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}}
    row = _row("deployments", fresh, "apps")
    assert (row["Ready"], row["Up-to-date"], row["Available"]) == ("0/1", 0, 0)  # replicas defaults to 1


def test_replicaset_statefulset_daemonset_rows() -> None:
    rs = {
        "metadata": _meta("web-7d9f"),
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"spec": {"containers": [{"name": "c", "image": "i"}]}},
        },
        "status": {"replicas": 3, "readyReplicas": 1},
    }
    assert _names(_table("replicasets", [], "apps"), 0) == ["Name", "Desired", "Current", "Ready", "Age"]
    row = _row("replicasets", rs, "apps")
    assert [row[k] for k in ("Desired", "Current", "Ready", "Age", "Selector")] == [3, 3, 1, "60m", "app=web"]

    sts = {"metadata": _meta("db"), "spec": {"replicas": 2}, "status": {"readyReplicas": 2}}
    assert _names(_table("statefulsets", [], "apps"), 0) == ["Name", "Ready", "Age"]
    assert _row("statefulsets", sts, "apps")["Ready"] == "2/2"

    ds = {
        "metadata": _meta("agent"),
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {"spec": {"nodeSelector": {"kubernetes.io/os": "linux"}, "containers": []}},
        },
        "status": {
            "desiredNumberScheduled": 3,
            "currentNumberScheduled": 3,
            "numberReady": 2,
            "updatedNumberScheduled": 3,
            "numberAvailable": 2,
        },
    }
    assert _names(_table("daemonsets", [], "apps"), 0) == [
        "Name",
        "Desired",
        "Current",
        "Ready",
        "Up-to-date",
        "Available",
        "Node Selector",
        "Age",
    ]
    row = _row("daemonsets", ds, "apps")
    assert [row[k] for k in ("Desired", "Current", "Ready", "Up-to-date", "Available", "Node Selector")] == [
        3,
        3,
        2,
        3,
        2,
        "kubernetes.io/os=linux",
    ]


def test_job_rows() -> None:
    assert _names(_table("jobs", [], "batch"), 0) == ["Name", "Status", "Completions", "Duration", "Age"]
    complete = {
        "metadata": _meta("migrate"),
        "spec": {"completions": 1, "parallelism": 1},
        "status": {
            "succeeded": 1,
            "startTime": CREATED,
            "completionTime": "2026-11-23T10:03:02Z",
            "conditions": [{"type": "Complete", "status": "True"}],
        },
    }
    row = _row("jobs", complete, "batch")
    assert [row[k] for k in ("Status", "Completions", "Duration", "Age")] == ["Complete", "1/1", "3m2s", "60m"]
    running = {
        "metadata": _meta("batch"),
        "spec": {"parallelism": 4},
        "status": {"startTime": "2026-11-23T10:59:55Z", "active": 4},
    }
    row = _row("jobs", running, "batch")
    assert [row[k] for k in ("Status", "Completions", "Duration")] == ["Running", "0/1 of 4", "5s"]
    failed = {"metadata": _meta("bad"), "spec": {}, "status": {"conditions": [{"type": "Failed", "status": "True"}]}}
    row = _row("jobs", failed, "batch")
    assert [row[k] for k in ("Status", "Completions", "Duration")] == ["Failed", "0/1", ""]


def test_cronjob_row() -> None:
    assert _names(_table("cronjobs", [], "batch"), 0) == [
        "Name",
        "Schedule",
        "Timezone",
        "Suspend",
        "Active",
        "Last Schedule",
        "Age",
    ]
    cj = {
        "metadata": _meta("nightly"),
        "spec": {
            "schedule": "0 2 * * *",
            "timeZone": "Etc/UTC",
            "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}},
        },
        "status": {"active": [{"name": "nightly-1"}], "lastScheduleTime": "2026-11-23T10:58:00Z"},
    }
    row = _row("cronjobs", cj, "batch")
    assert [row[k] for k in ("Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Containers")] == [
        "0 2 * * *",
        "Etc/UTC",
        "False",
        1,
        "2m",
        "c",
    ]
    row = _row("cronjobs", {"metadata": _meta("x"), "spec": {"schedule": "@hourly", "suspend": True}}, "batch")
    assert [row[k] for k in ("Timezone", "Suspend", "Active", "Last Schedule")] == ["<none>", "True", 0, "<none>"]


# --- core objects --------------------------------------------------------------------------------------------


def test_service_rows() -> None:
    assert _names(_table("services", []), 0) == ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age"]
    ports = [{"port": 80, "targetPort": 8080}, {"port": 53, "protocol": "UDP"}]
    svc = {
        "metadata": _meta("web"),
        "spec": {"clusterIP": "10.0.12.7", "clusterIPs": ["10.0.12.7"], "ports": ports, "selector": {"app": "web"}},
    }
    row = _row("services", svc)
    assert [row[k] for k in ("Type", "Cluster-IP", "External-IP", "Port(s)", "Selector")] == [
        "ClusterIP",
        "10.0.12.7",
        "<none>",
        "80/TCP,53/UDP",
        "app=web",
    ]
    lb = {
        "metadata": _meta("public"),
        "spec": {
            "type": "LoadBalancer",
            "clusterIP": "10.0.0.9",
            "ports": [{"port": 443, "nodePort": 31443, "protocol": "TCP"}],
        },
    }
    row = _row("services", lb)
    assert [row[k] for k in ("External-IP", "Port(s)", "Selector")] == ["<pending>", "443:31443/TCP", "<none>"]
    lb["status"] = {"loadBalancer": {"ingress": [{"ip": "20.1.2.3"}]}}
    assert _row("services", lb)["External-IP"] == "20.1.2.3"
    ext = {"metadata": _meta("db"), "spec": {"type": "ExternalName", "externalName": "db.example.com"}}
    assert [_row("services", ext)[k] for k in ("Cluster-IP", "External-IP", "Port(s)")] == [
        "<none>",
        "db.example.com",
        "<none>",
    ]


def test_serviceaccount_namespace_configmap_secret_rows() -> None:
    sa = {"metadata": _meta("workload", annotations={"azure.workload.identity/client-id": "0000"})}
    assert _row("serviceaccounts", sa) == {"Name": "workload", "Secrets": 0, "Age": "60m"}
    sa["secrets"] = [{"name": "workload-token"}]
    assert _row("serviceaccounts", sa)["Secrets"] == 1

    assert _row("namespaces", {"metadata": _meta("apps", None), "status": {"phase": "Active"}}) == {
        "Name": "apps",
        "Status": "Active",
        "Age": "60m",
    }
    assert (
        _row(
            "namespaces",
            {"metadata": _meta("old", None, deletionTimestamp=CREATED), "status": {"phase": "Terminating"}},
        )["Status"]
        == "Terminating"
    )

    cm = {"metadata": _meta("settings"), "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}}
    assert _row("configmaps", cm) == {"Name": "settings", "Data": 3, "Age": "60m"}

    secret = {"metadata": _meta("creds"), "type": "kubernetes.io/tls", "data": {"tls.crt": "", "tls.key": ""}}
    assert _row("secrets", secret) == {"Name": "creds", "Type": "kubernetes.io/tls", "Data": 2, "Age": "60m"}
    assert _row("secrets", {"metadata": _meta("plain"), "stringData": {"x": "y"}})["Type"] == "Opaque"


def test_node_row() -> None:
    assert _names(_table("nodes", []), 0) == ["Name", "Status", "Roles", "Age", "Version"]
    node = {
        "metadata": _meta(
            "aks-nodepool1-1", None, labels={"kubernetes.io/role": "agent", "node-role.kubernetes.io/worker": ""}
        ),
        "spec": {"unschedulable": True},
        "status": {
            "conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": "True"}],
            "addresses": [{"type": "InternalIP", "address": "10.224.0.4"}],
            "nodeInfo": {"kubeletVersion": "v1.30.0", "osImage": "Ubuntu 22.04.4 LTS"},
        },
    }
    row = _row("nodes", node)
    assert [
        row[k] for k in ("Status", "Roles", "Version", "Internal-IP", "External-IP", "OS-Image", "Kernel-Version")
    ] == [
        "Ready,SchedulingDisabled",
        "agent,worker",
        "v1.30.0",
        "10.224.0.4",
        "<none>",
        "Ubuntu 22.04.4 LTS",
        "<unknown>",
    ]
    assert _row("nodes", {"metadata": _meta("n", None)})["Status"] == "Unknown"
    assert (
        _row(
            "nodes", {"metadata": _meta("n", None), "status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}}
        )["Roles"]
        == "<none>"
    )


def test_event_row() -> None:
    t = _table("events", [])
    assert _names(t, 0) == ["Last Seen", "Type", "Reason", "Object", "Message"]
    assert _names(t, 1) == ["Subobject", "Source", "First Seen", "Count", "Name"]
    event = {
        "metadata": _meta("web-7d9f-abcde.17a"),
        "involvedObject": {"kind": "Pod", "name": "web-7d9f-abcde", "fieldPath": "spec.containers{c}"},
        "reason": "Pulled",
        "message": 'Successfully pulled image "nginx"\n',
        "type": "Normal",
        "count": 3,
        "firstTimestamp": "2026-11-23T10:30:00Z",
        "lastTimestamp": "2026-11-23T10:59:30Z",
        "source": {"component": "kubelet", "host": "aks-nodepool1-1"},
    }
    assert _row("events", event) == {
        "Last Seen": "30s",
        "Type": "Normal",
        "Reason": "Pulled",
        "Object": "pod/web-7d9f-abcde",
        "Subobject": "spec.containers{c}",
        "Source": "kubelet, aks-nodepool1-1",
        "Message": 'Successfully pulled image "nginx"',
        "First Seen": "30m",
        "Count": 3,
        "Name": "web-7d9f-abcde.17a",
    }
    new_api = {
        "metadata": _meta("e2"),
        "involvedObject": {"kind": "Deployment", "name": "web"},
        "eventTime": "2026-11-23T10:50:00.000000Z",
        "reportingComponent": "deployment-controller",
        "series": {"count": 7, "lastObservedTime": "2026-11-23T10:58:00.000000Z"},
    }
    row = _row("events", new_api)
    assert [row[k] for k in ("Last Seen", "First Seen", "Count", "Source", "Object")] == [
        "2m",
        "10m",
        7,
        "deployment-controller",
        "deployment/web",
    ]


# --- networking, admission, CRDs, custom resources -----------------------------------------------------------


def test_networkpolicy_and_webhook_rows() -> None:
    np_ = {"metadata": _meta("deny"), "spec": {"podSelector": {}}}
    assert _row("networkpolicies", np_, "networking.k8s.io") == {"Name": "deny", "Pod-Selector": "<none>", "Age": "60m"}
    np_["spec"]["podSelector"] = {"matchExpressions": [{"key": "azure.workload.identity/use", "operator": "Exists"}]}
    assert _row("networkpolicies", np_, "networking.k8s.io")["Pod-Selector"] == "azure.workload.identity/use"
    hook = {
        "metadata": _meta("azure-wi-webhook-mutating-webhook-configuration", None),
        "webhooks": [{"name": "mutation.azure-workload-identity.io"}],
    }
    for plural in ("mutatingwebhookconfigurations", "validatingwebhookconfigurations"):
        row = _row(plural, hook, "admissionregistration.k8s.io")
        assert row == {"Name": hook["metadata"]["name"], "Webhooks": 1, "Age": "60m"}


def test_crd_and_custom_resource_rows() -> None:
    crd = {"metadata": _meta("azureidentities.aadpodidentity.k8s.io", None)}
    t = _table("customresourcedefinitions", [crd], "apiextensions.k8s.io")
    assert [(c["name"], c["type"]) for c in t["columnDefinitions"]] == [("Name", "string"), ("Created At", "date")]
    assert t["rows"][0]["cells"] == ["azureidentities.aadpodidentity.k8s.io", "2026-11-23T10:00:00Z"]

    ident = {
        "apiVersion": f"{POD_IDENTITY_GROUP}/v1",
        "kind": "AzureIdentity",
        "metadata": _meta("id"),
        "spec": {"type": 0, "resourceID": "/subscriptions/x", "clientID": "0000"},
    }
    t = _table("azureidentities", [ident], POD_IDENTITY_GROUP)
    assert [(c["name"], c["type"], c["priority"]) for c in t["columnDefinitions"]] == [
        ("Name", "string", 0),
        ("Age", "date", 0),
    ]
    assert t["rows"][0]["cells"] == ["id", "60m"]
    assert _row("secretproviderclasses", {"metadata": {"name": "spc"}}, "secrets-store.csi.x-k8s.io") == {
        "Name": "spc",
        "Age": None,
    }


def test_selector_helpers() -> None:
    assert tables.format_labels({}) == "<none>"
    assert tables.format_labels({"b": "2", "a": "1"}) == "a=1,b=2"
    sel = {
        "matchLabels": {"z": "1"},
        "matchExpressions": [
            {"key": "a", "operator": "NotIn", "values": ["y", "x"]},
            {"key": "m", "operator": "DoesNotExist"},
        ],
    }
    assert tables.selector_string(sel) == "a notin (x,y),!m,z=1"
    assert tables.selector_string(None) == ""
    assert tables.format_label_selector({}) == "<none>"

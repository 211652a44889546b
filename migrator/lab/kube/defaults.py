"""Defaulting, as the apiserver applies it before storing: reading an object back shows these
fields even though the manifest never set them (which is what users see with ``kubectl get -o yaml``)."""

from __future__ import annotations

TEMPLATE_PATHS = {
    "Deployment": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}


def pod_spec(spec: dict) -> None:
    service_account_alias(spec)
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("securityContext", {})
    for key in ("initContainers", "containers"):
        for container in spec.get(key) or []:
            if not isinstance(container, dict):
                continue
            image = str(container.get("image") or "")
            tag = image.rsplit("/", 1)[-1]
            latest = "@" not in tag and (":" not in tag or tag.endswith(":latest"))
            container.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
            container.setdefault("terminationMessagePath", "/dev/termination-log")
            container.setdefault("terminationMessagePolicy", "File")
            container.setdefault("resources", {})
            for port in container.get("ports") or []:
                if isinstance(port, dict):
                    port.setdefault("protocol", "TCP")


def service_account_alias(spec: dict) -> None:
    """v1 ``serviceAccount`` is a deprecated alias of ``serviceAccountName`` (core/v1 conversion.go): on the
    way in the new field wins and the alias fills it only when it is empty; on the way out the alias is
    always set to the name (both omitted when empty). So a template written with ``serviceAccountName: web``
    reads back with ``serviceAccount: web`` too, and a patch that removes only the name gets it back from the alias."""
    name = spec.get("serviceAccountName") or spec.get("serviceAccount") or ""
    spec.pop("serviceAccountName", None)
    spec.pop("serviceAccount", None)
    if name:
        spec["serviceAccountName"] = spec["serviceAccount"] = name


def namespace(obj: dict, *, creating: bool) -> None:
    """The namespace strategy: phase Active from the start, and the name label the apiserver keeps on every write."""
    meta = obj.setdefault("metadata", {})
    meta["labels"] = {**(meta.get("labels") or {}), "kubernetes.io/metadata.name": meta.get("name", "")}
    if creating:
        obj["status"] = {"phase": "Active"}


def template(obj: dict) -> dict | None:
    """The pod template of a workload object, or None."""
    path = TEMPLATE_PATHS.get(str(obj.get("kind")))
    node: object = obj
    for key in path or ():
        node = node.get(key) if isinstance(node, dict) else None
    return node if path and isinstance(node, dict) else None


def workload(obj: dict) -> None:
    kind = obj.get("kind")
    spec = obj.setdefault("spec", {})
    if kind in ("Deployment", "ReplicaSet", "StatefulSet"):
        spec.setdefault("replicas", 1)
        spec.setdefault("revisionHistoryLimit", 10)
    if kind == "Deployment":
        spec.setdefault("progressDeadlineSeconds", 600)
        spec.setdefault(
            "strategy", {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
        )
    if kind == "StatefulSet":
        spec.setdefault("podManagementPolicy", "OrderedReady")
        spec.setdefault("updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
    if kind == "DaemonSet":
        spec.setdefault(
            "updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
        )
    if kind == "Job":
        spec.setdefault("parallelism", 1)
        spec.setdefault("completions", 1)
        spec.setdefault("backoffLimit", 6)
        spec.setdefault("completionMode", "NonIndexed")
        spec.setdefault("suspend", False)
    if kind == "CronJob":
        spec.setdefault("concurrencyPolicy", "Allow")
        spec.setdefault("suspend", False)
        spec.setdefault("successfulJobsHistoryLimit", 3)
        spec.setdefault("failedJobsHistoryLimit", 1)
    tpl = template(obj)
    if tpl is not None and isinstance(tpl.get("spec"), dict):
        tpl.setdefault("metadata", {})
        pod_spec(tpl["spec"])

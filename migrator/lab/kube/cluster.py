"""One emulated cluster: registry, store, admission, controllers, pod logs and events, and the
HTTP service, plus what the managed cluster's settings install (the workload identity webhook)."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from migrator.lab.ids import Ids
from migrator.lab.kube import webhook
from migrator.lab.kube.admission import Admission
from migrator.lab.kube.controllers import Controllers
from migrator.lab.kube.errors import ApiError
from migrator.lab.kube.podidentity import PodIdentity
from migrator.lab.kube.resources import registry
from migrator.lab.kube.server import KubeService
from migrator.lab.kube.store import Store, now_rfc3339

if TYPE_CHECKING:
    from migrator.lab.lab import Lab

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
WEBHOOK_SA = "azure-wi-webhook-admin"
WEBHOOK_DEPLOYMENT = "azure-wi-webhook-controller-manager"


class KubeCluster:
    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.ids = Ids(lab.config.seed + 1)  # its own stream: controller threads must not shift Azure's ids
        self.token = lab.kube_token
        self.issuer_key = lab.keys.issuer
        self.default_audience = "https://kubernetes.default.svc.cluster.local"
        self.clock_offset = 0.0
        """Seconds the apiserver's clock is off when it mints tokens (< 0: behind; Entra then sees them expired)."""
        self.nodes = [f"aks-nodepool1-{10000000 + lab.config.seed:08d}-vmss{i:06d}" for i in range(lab.config.nodes)]
        self._ips = itertools.count(10)
        self._schedule = itertools.count()
        self.registry = registry(lab.config.pod_identity_crds)
        self.store = Store(self.registry, uid=self.ids.uuid)
        self.store.admit = Admission(
            self.registry,
            self.store.find,
            self.ids.suffix,
            layout=webhook.Layout(lab.config.webhook_version),
            tenant_id=lab.tenant_id,
            authority_host=lambda: f"{lab.login_url}/",
            next_node=self.next_node,
        )
        self.controllers = Controllers(self)
        self.store.listeners.append(self.controllers.on_event)
        self.pod_identity = PodIdentity(self)
        self.service = KubeService(self)
        self._logs: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
        self._logs_lock = threading.Lock()

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        self.controllers.start()
        for name in SYSTEM_NAMESPACES:
            self.ensure("namespaces", None, {"metadata": {"name": name}})
        nodes_rt = self.registry.get("nodes")
        for index, name in enumerate(self.nodes):
            node = self.ensure("nodes", None, _node(name, index))
            self.controllers.set_status(nodes_rt, node, _node_status(index))
        self.lab.azure.subscribe(self.on_managed_cluster)

    def stop(self) -> None:
        self.store.close()
        self.controllers.stop()

    def settle(self, timeout: float = 10.0) -> None:
        if not self.controllers.settle(timeout):
            raise TimeoutError(f"the lab's controllers did not settle within {timeout} s")

    def server_address(self) -> str:
        return self.lab.kube_url.split("://", 1)[1]

    def issuer_url(self) -> str:
        return self.lab.issuer.url

    # -- helpers the controllers and the lab use -------------------------------------------------------
    def ensure(self, plural: str, namespace: str | None, obj: dict, group: str = "") -> dict:
        """Create unless it exists (for bootstrap objects)."""
        rt = self.registry.get(plural, group)
        existing = self.store.find(rt, namespace, obj["metadata"]["name"])
        return existing if existing is not None else self.store.create(rt, namespace, obj)

    def orphan(self, owner: dict) -> None:
        uid = owner["metadata"].get("uid")
        for rt in self.registry.types:
            for obj in self.store.objects(rt):
                meta = obj["metadata"]
                if any(r.get("uid") == uid for r in meta.get("ownerReferences") or []):
                    self.store.patch(rt, meta.get("namespace"), meta["name"], _dropping_owner(uid))

    def record_event(self, obj: dict, type_: str, reason: str, message: str, *, component: str) -> None:
        """A core/v1 Event about ``obj``; a repeat of the same one bumps its count, as the recorder does."""
        meta = obj["metadata"]
        namespace = meta.get("namespace") or "default"
        rt = self.registry.get("events")
        now = now_rfc3339()
        for existing in self.store.objects(rt, namespace):
            involved = existing.get("involvedObject") or {}
            if (
                involved.get("uid") == meta.get("uid")
                and existing.get("reason") == reason
                and existing.get("message") == message
            ):

                def bump(cur: dict) -> dict:
                    cur["count"] = cur.get("count", 1) + 1
                    cur["lastTimestamp"] = now
                    return cur

                self.store.patch(rt, namespace, existing["metadata"]["name"], bump)
                return
        event = {
            "metadata": {"name": f"{meta['name']}.{self.ids.hexdigits(16).lower()}", "namespace": namespace},
            "involvedObject": {
                "kind": obj.get("kind"),
                "namespace": meta.get("namespace"),
                "name": meta["name"],
                "uid": meta.get("uid"),
                "apiVersion": obj.get("apiVersion"),
                "resourceVersion": meta.get("resourceVersion"),
            },
            "reason": reason,
            "message": message,
            "type": type_,
            "source": {"component": component},
            "reportingComponent": component,
            "reportingInstance": "",
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
        }
        with contextlib.suppress(ApiError):  # the namespace is going away; so is the event
            self.store.create(rt, namespace, event)

    # -- pods: addresses and logs ------------------------------------------------------------------
    def node_index(self, name: str | None) -> int:
        return self.nodes.index(name) if name in self.nodes else 0

    def next_node(self) -> str:
        return self.nodes[next(self._schedule) % len(self.nodes)]

    def pod_ip(self) -> str:
        n = next(self._ips)
        return f"10.244.{n // 250 % 250}.{n % 250 + 2}"

    def write_log(self, namespace: str, pod: str, container: str, text: str) -> None:
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        with self._logs_lock:
            self._logs.setdefault((namespace, pod, container), []).extend((stamp, line) for line in text.splitlines())

    def logs(self, namespace: str, pod: str, container: str) -> list[tuple[str, str]]:
        with self._logs_lock:
            return list(self._logs.get((namespace, pod, container), []))

    def start_container_log(self, pod: dict, container: dict) -> None:
        meta = pod["metadata"]
        if container.get("name") == webhook.PROXY:
            tag = (container.get("image") or ":unknown").rsplit(":", 1)[-1]
            port = next(
                (a.split("=", 1)[1] for a in container.get("args") or [] if a.startswith("--proxy-port=")), "8000"
            )
            self.write_log(
                meta["namespace"],
                meta["name"],
                webhook.PROXY,
                f"I{time.strftime('%m%d %H:%M:%S')}.000000       1 proxy.go:97] proxy "
                '"msg"="starting the proxy server" '
                f'"port"={port} "userAgent"="azure-workload-identity/proxy/{tag} (linux/amd64)"',
            )

    # -- what the managed cluster's settings install -----------------------------------------------
    def on_managed_cluster(self, resource_id: str, cluster: dict) -> None:
        if resource_id.lower() != self.lab.cluster_id.lower():
            return
        props = cluster.get("properties") or {}
        enabled = bool(((props.get("securityProfile") or {}).get("workloadIdentity") or {}).get("enabled"))
        if enabled:
            self.install_webhook()
        else:
            self.uninstall_webhook()
        self.pod_identity.on_profile(props.get("podIdentityProfile"))

    def install_webhook(self) -> None:
        tag = webhook.Layout(self.lab.config.webhook_version).image_tag
        self.ensure(
            "serviceaccounts",
            "kube-system",
            {
                "metadata": {
                    "name": WEBHOOK_SA,
                    "namespace": "kube-system",
                    "labels": {"azure-workload-identity.io/system": "true"},
                }
            },
        )
        labels = {"azure-workload-identity.io/system": "true", "app.kubernetes.io/managed-by": "Helm"}
        self.ensure(
            "deployments",
            "kube-system",
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {
                    "name": WEBHOOK_DEPLOYMENT,
                    "namespace": "kube-system",
                    "labels": labels,
                    "annotations": {
                        "meta.helm.sh/release-name": "aks-managed-workload-identity",
                        "meta.helm.sh/release-namespace": "kube-system",
                    },
                },
                "spec": {
                    "replicas": 2,
                    "selector": {"matchLabels": {"azure-workload-identity.io/system": "true"}},
                    "template": {
                        "metadata": {"labels": {"azure-workload-identity.io/system": "true"}},
                        "spec": {
                            "serviceAccountName": WEBHOOK_SA,
                            "containers": [
                                {
                                    "name": "manager",
                                    "image": f"mcr.microsoft.com/oss/azure/workload-identity/webhook:{tag}",
                                    "args": ["--log-level=info", "--disable-cert-rotation=true"],
                                    "env": [{"name": "AZURE_TENANT_ID", "value": self.lab.tenant_id}],
                                }
                            ],
                        },
                    },
                },
            },
            group="apps",
        )
        self.ensure(
            "mutatingwebhookconfigurations", None, webhook.configuration(), group="admissionregistration.k8s.io"
        )

    def uninstall_webhook(self) -> None:
        for plural, group, ns, name in (
            ("mutatingwebhookconfigurations", "admissionregistration.k8s.io", None, webhook.CONFIGURATION_NAME),
            ("deployments", "apps", "kube-system", WEBHOOK_DEPLOYMENT),
            ("serviceaccounts", "", "kube-system", WEBHOOK_SA),
        ):
            try:
                self.store.delete(self.registry.get(plural, group), ns, name)
            except ApiError as exc:
                if exc.code != 404:
                    raise


def _dropping_owner(uid: str) -> Callable[[dict], dict]:
    def drop(cur: dict) -> dict:
        refs = [r for r in cur["metadata"].get("ownerReferences") or [] if r.get("uid") != uid]
        if refs:
            cur["metadata"]["ownerReferences"] = refs
        else:
            cur["metadata"].pop("ownerReferences", None)
        return cur

    return drop


def _node(name: str, index: int) -> dict:
    return {
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "agentpool": "nodepool1",
                "kubernetes.azure.com/mode": "system",
                "kubernetes.azure.com/cluster": "lab",
            },
        },
        "spec": {
            "providerID": f"azure:///subscriptions/lab/virtualMachineScaleSets/aks-nodepool1/virtualMachines/{index}"
        },
    }


def _node_status(index: int) -> dict:
    now = now_rfc3339()
    return {
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "message": "kubelet is posting ready status",
                "lastHeartbeatTime": now,
                "lastTransitionTime": now,
            }
        ],
        "addresses": [{"type": "InternalIP", "address": f"10.224.0.{4 + index}"}],
        "nodeInfo": {
            "kubeletVersion": "v1.30.5",
            "osImage": "Ubuntu 22.04.5 LTS",
            "containerRuntimeVersion": "containerd://1.7.22",
            "kernelVersion": "5.15.0-1074-azure",
            "operatingSystem": "linux",
            "architecture": "amd64",
        },
        "capacity": {"cpu": "4", "memory": "16365060Ki", "pods": "110"},
        "allocatable": {"cpu": "3860m", "memory": "12880388Ki", "pods": "110"},
    }

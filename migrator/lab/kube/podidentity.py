"""aad-pod-identity as it runs in a cluster: the AKS add-on's reconciliation of the CRs it
manages, and MIC assigning identities to labelled pods (AzureAssignedIdentity, with the
finalizer that blocks deletion once MIC is gone). NMI itself (the IMDS interception) has no
API surface, so only its DaemonSet is represented."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from migrator.lab.kube.errors import ApiError
from migrator.lab.kube.resources import POD_IDENTITY_GROUP
from migrator.lab.kube.store import Event

if TYPE_CHECKING:
    from migrator.lab.kube.cluster import KubeCluster

MANAGED_BY = "kubernetes.azure.com/managedby"
BINDING_LABEL = "aadpodidbinding"
FINALIZER = "azureassignedidentity.finalizers.aadpodidentity.k8s.io"
CR_PLURALS = ("azureidentities", "azureidentitybindings", "azurepodidentityexceptions")
API_VERSION = f"{POD_IDENTITY_GROUP}/v1"
ADDON_KEY = ("AKSAddon", "", "")
MIC_KEY = ("MIC", "", "")


def _labels(obj: dict) -> dict:
    return (obj.get("metadata") or {}).get("labels") or {}


class PodIdentity:
    """Registered with the controllers; does nothing when the pod-identity CRDs are not installed."""

    def __init__(self, cluster: KubeCluster) -> None:
        self.cluster = cluster
        self.store = cluster.store
        self.enabled = any(t.group == POD_IDENTITY_GROUP for t in cluster.registry.types)
        self.profile: dict = {}
        cluster.controllers.handlers["AKSAddon"] = lambda _ns, _name: self.reconcile_addon()
        cluster.controllers.handlers["MIC"] = lambda _ns, _name: self.reconcile_mic()
        cluster.controllers.extra.append(self.on_event)

    def rt(self, plural: str):  # noqa: ANN201 - ResourceType
        return self.cluster.registry.get(plural, POD_IDENTITY_GROUP)

    # -- what to reconcile ------------------------------------------------------------------------
    def on_event(self, event: Event) -> list[tuple[str, str, str]]:
        if not self.enabled:
            return []
        keys = []
        labels = _labels(event.obj)
        if event.rt.group == POD_IDENTITY_GROUP:
            if labels.get(MANAGED_BY) == "aks" and event.type in ("DELETED", "MODIFIED"):
                keys.append(ADDON_KEY)
            if event.rt.plural in ("azureidentities", "azureidentitybindings"):
                keys.append(MIC_KEY)
        elif event.rt.kind == "Pod":
            if BINDING_LABEL in labels or BINDING_LABEL in _labels(event.old or {}):
                keys.append(MIC_KEY)
        elif event.rt.kind == "Deployment" and labels.get("app.kubernetes.io/component") == "mic":
            keys.append(MIC_KEY)
        return keys

    def on_profile(self, profile: dict | None) -> None:
        self.profile = copy.deepcopy(profile or {})
        self.cluster.controllers.enqueue(ADDON_KEY)

    # -- the AKS add-on ------------------------------------------------------------------------------
    def desired(self) -> dict[tuple[str, str, str], dict]:
        """(plural, namespace, name) -> the object the add-on keeps in the cluster."""
        if not self.enabled or not self.profile.get("enabled"):
            return {}
        label = {MANAGED_BY: "aks"}
        wanted: dict[tuple[str, str, str], dict] = {}
        for item in self.profile.get("userAssignedIdentities") or []:
            name, ns = item.get("name"), item.get("namespace")
            identity = item.get("identity") or {}
            wanted[("azureidentities", ns, name)] = {
                "apiVersion": API_VERSION,
                "kind": "AzureIdentity",
                "metadata": {"name": name, "namespace": ns, "labels": label},
                "spec": {"type": 0, "resourceID": identity.get("resourceId"), "clientID": identity.get("clientId")},
            }
            wanted[("azureidentitybindings", ns, f"{name}-binding")] = {
                "apiVersion": API_VERSION,
                "kind": "AzureIdentityBinding",
                "metadata": {"name": f"{name}-binding", "namespace": ns, "labels": label},
                "spec": {"azureIdentity": name, "selector": item.get("bindingSelector") or name},
            }
        exceptions = [{"name": "aks-addon-exception", "namespace": "kube-system", "podLabels": {MANAGED_BY: "aks"}}]
        for item in exceptions + list(self.profile.get("userAssignedIdentityExceptions") or []):
            wanted[("azurepodidentityexceptions", item.get("namespace"), item.get("name"))] = {
                "apiVersion": API_VERSION,
                "kind": "AzurePodIdentityException",
                "metadata": {"name": item.get("name"), "namespace": item.get("namespace"), "labels": label},
                "spec": {"podLabels": dict(item.get("podLabels") or {})},
            }
        return wanted

    def reconcile_addon(self) -> None:
        wanted = self.desired()
        for plural in CR_PLURALS:
            rt = self.rt(plural)
            for obj in self.store.objects(rt):
                meta = obj["metadata"]
                if (
                    _labels(obj).get(MANAGED_BY) == "aks"
                    and (plural, meta.get("namespace"), meta["name"]) not in wanted
                ):
                    self._delete(rt, meta.get("namespace"), meta["name"])
        for (plural, ns, name), obj in wanted.items():
            self.cluster.ensure("namespaces", None, {"metadata": {"name": ns}})
            rt = self.rt(plural)
            current = self.store.find(rt, ns, name)
            if current is None or current["metadata"].get("deletionTimestamp"):
                if current is None:
                    self.store.create(rt, ns, obj)
            elif current.get("spec") != obj["spec"] or _labels(current).get(MANAGED_BY) != "aks":

                def restore(cur: dict, obj: dict = obj) -> dict:
                    cur["spec"] = obj["spec"]
                    cur["metadata"].setdefault("labels", {})[MANAGED_BY] = "aks"
                    return cur

                self.store.patch(rt, ns, name, restore)
        self._components(bool(wanted), managed=True)

    def _components(self, running: bool, *, managed: bool) -> None:
        """MIC (a Deployment) and NMI (a DaemonSet) in kube-system, as the add-on or the Helm chart runs them."""
        prefix = "" if managed else "aad-pod-identity-"
        for kind, plural, component in (("Deployment", "deployments", "mic"), ("DaemonSet", "daemonsets", "nmi")):
            rt = self.cluster.registry.get(plural, "apps")
            name = f"{prefix}{component}"
            exists = self.store.find(rt, "kube-system", name) is not None
            if running and not exists:
                labels = {
                    "app.kubernetes.io/component": component,
                    "app.kubernetes.io/name": "aad-pod-identity",
                    "component": component,
                }
                labels.update({MANAGED_BY: "aks"} if managed else {"app.kubernetes.io/managed-by": "Helm"})
                spec: dict = {
                    "selector": {"matchLabels": {"component": component}},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {
                            "containers": [
                                {
                                    "name": component,
                                    "image": f"mcr.microsoft.com/oss/azure/aad-pod-identity/{component}:v1.8.17",
                                }
                            ]
                        },
                    },
                }
                if kind == "Deployment":
                    spec["replicas"] = 2
                metadata: dict = {"name": name, "labels": labels}
                if not managed:  # what Helm 3 writes on every object of a release
                    metadata["annotations"] = {
                        "meta.helm.sh/release-name": "aad-pod-identity",
                        "meta.helm.sh/release-namespace": "kube-system",
                    }
                self.store.create(
                    rt, "kube-system", {"apiVersion": "apps/v1", "kind": kind, "metadata": metadata, "spec": spec}
                )
            elif not running and exists:
                self._delete(rt, "kube-system", name)

    def install_self_managed(self) -> None:
        """What `helm install aad-pod-identity` leaves running: MIC and NMI."""
        self._components(True, managed=False)

    # -- MIC -------------------------------------------------------------------------------------------
    def mic_running(self) -> bool:
        deployments = self.cluster.registry.get("deployments", "apps")
        return any(
            _labels(d).get("app.kubernetes.io/component") == "mic" and (d.get("status") or {}).get("availableReplicas")
            for d in self.store.objects(deployments, "kube-system")
        )

    def reconcile_mic(self) -> None:
        if not self.enabled or not self.mic_running():
            return  # without MIC nothing assigns or releases identities; finalizers stay
        assigned_rt = self.rt("azureassignedidentities")
        identities = {
            (o["metadata"]["namespace"], o["metadata"]["name"]): o
            for o in self.store.objects(self.rt("azureidentities"))
        }
        bindings = self.store.objects(self.rt("azureidentitybindings"))
        managed_namespaced = bool(self.profile.get("enabled"))
        wanted: dict[tuple[str, str], dict] = {}
        for pod in self.store.objects(self.cluster.registry.get("pods")):
            selector = _labels(pod).get(BINDING_LABEL)
            meta = pod["metadata"]
            if not selector or meta.get("deletionTimestamp"):
                continue
            for binding in bindings:
                spec = binding.get("spec") or {}
                b_ns = binding["metadata"]["namespace"]
                if spec.get("selector") != selector or (managed_namespaced and b_ns != meta["namespace"]):
                    continue
                identity = identities.get((b_ns, spec.get("azureIdentity")))
                if identity is None:
                    continue
                name = f"{meta['name']}-{meta['namespace']}-{identity['metadata']['name']}"
                wanted[(meta["namespace"], name)] = {
                    "apiVersion": API_VERSION,
                    "kind": "AzureAssignedIdentity",
                    "metadata": {"name": name, "namespace": meta["namespace"], "finalizers": [FINALIZER]},
                    "spec": {
                        "azureIdentityRef": identity,
                        "azureBindingRef": binding,
                        "pod": meta["name"],
                        "podNamespace": meta["namespace"],
                        "nodename": (pod.get("spec") or {}).get("nodeName"),
                        "replicas": 1,
                    },
                }
        for obj in self.store.objects(assigned_rt):
            meta = obj["metadata"]
            if (meta["namespace"], meta["name"]) not in wanted:
                self._release(assigned_rt, obj)
        for (ns, name), obj in wanted.items():
            if self.store.find(assigned_rt, ns, name) is None:
                try:
                    created = self.store.create(assigned_rt, ns, obj)
                except ApiError:
                    continue
                self.cluster.controllers.set_status(
                    assigned_rt, created, {"status": "Assigned", "availableReplicas": 1}
                )

    def _release(self, rt, obj: dict) -> None:  # noqa: ANN001
        meta = obj["metadata"]

        def unfinalize(cur: dict) -> dict:
            cur["metadata"]["finalizers"] = [f for f in cur["metadata"].get("finalizers") or [] if f != FINALIZER]
            return cur

        try:
            if FINALIZER in (meta.get("finalizers") or []):
                self.store.patch(rt, meta["namespace"], meta["name"], unfinalize)
            self._delete(rt, meta["namespace"], meta["name"])
        except ApiError as exc:
            if exc.code != 404:
                raise

    def _delete(self, rt, ns: str | None, name: str) -> None:  # noqa: ANN001
        try:
            self.store.delete(rt, ns, name)
        except ApiError as exc:
            if exc.code != 404:
                raise

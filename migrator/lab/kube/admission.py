"""The admission chain the store runs on every create and update: type checks the JSON decoder
would make, defaulting, the ServiceAccount admission plugin, the workload identity webhook
(pods, CREATE only) and validation."""

from __future__ import annotations

import copy
from collections.abc import Callable

from migrator.lab.kube import defaults, errors, netpol_validation, validation, webhook
from migrator.lab.kube.errors import ApiError
from migrator.lab.kube.resources import Registry, ResourceType
from migrator.lab.kube.selectors import SelectorError, label_selector_from_object

API_ACCESS_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
WEBHOOK_DEPLOYMENT = ("kube-system", "azure-wi-webhook-controller-manager")


class Admission:
    """Callable as ``Store.admit``. ``find(rt, namespace, name)`` reads the store (under its lock)."""

    def __init__(
        self,
        registry: Registry,
        find: Callable[[ResourceType, str | None, str], dict | None],
        suffix: Callable[[], str],
        *,
        layout: webhook.Layout,
        tenant_id: str,
        authority_host: Callable[[], str],
        next_node: Callable[[], str],
    ) -> None:
        self.registry = registry
        self.find = find
        self.suffix = suffix
        self.layout = layout
        self.tenant_id = tenant_id
        self.authority_host = authority_host
        self.next_node = next_node

    def __call__(self, op: str, rt: ResourceType, obj: dict, old: dict | None) -> dict:
        _check_string_maps(obj)
        _omit_empty_maps(obj, defaults.template(obj) if rt.kind in defaults.TEMPLATE_PATHS else None)
        name = (obj.get("metadata") or {}).get("name") or (obj.get("metadata") or {}).get("generateName", "")
        if rt.kind in defaults.TEMPLATE_PATHS:
            defaults.workload(obj)
            if rt.kind == "Job" and op == "CREATE":
                _job_selector(obj)
        if rt.kind == "Namespace":
            defaults.namespace(obj, creating=op == "CREATE")
        if rt.kind == "NetworkPolicy":
            netpol_validation.admit(obj)
        if rt.kind == "Pod" and op == "CREATE":
            defaults.pod_spec(obj.setdefault("spec", {}))
            self._service_account(rt, obj)
            self._webhook(obj)
            obj["spec"].setdefault("nodeName", self.next_node())  # the scheduler, instantly
            obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}  # until the kubelet reports
        causes = validation.create(obj) if old is None else validation.update(obj, old)
        if causes:
            raise errors.invalid(rt, name, causes)
        return obj

    # -- the ServiceAccount admission plugin --------------------------------------------------
    def _service_account(self, rt: ResourceType, pod: dict) -> None:
        meta, spec = pod["metadata"], pod["spec"]
        sa_name = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
        spec["serviceAccountName"] = spec["serviceAccount"] = sa_name
        sa = self.find(self.registry.get("serviceaccounts"), meta.get("namespace"), sa_name)
        if sa is None:
            raise errors.forbidden(
                rt,
                meta.get("name") or meta.get("generateName", ""),  # a generated name does not exist yet
                f"error looking up service account {meta.get('namespace')}/{sa_name}: "
                f'serviceaccount "{sa_name}" not found',
            )
        automount = spec.get("automountServiceAccountToken", sa.get("automountServiceAccountToken", True))
        if automount is False:
            return
        volume = f"kube-api-access-{self.suffix()}"
        spec["volumes"] = list(spec.get("volumes") or []) + [
            {
                "name": volume,
                "projected": {
                    "defaultMode": 420,
                    "sources": [
                        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                        {
                            "downwardAPI": {
                                "items": [
                                    {
                                        "path": "namespace",
                                        "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                    }
                                ]
                            }
                        },
                    ],
                },
            }
        ]
        for key in ("initContainers", "containers"):
            for container in spec.get(key) or []:
                mounts = container.get("volumeMounts") or []
                if not any(m.get("mountPath") == API_ACCESS_MOUNT for m in mounts):
                    container["volumeMounts"] = [
                        *mounts,
                        {"name": volume, "readOnly": True, "mountPath": API_ACCESS_MOUNT},
                    ]

    # -- the workload identity webhook -----------------------------------------------------------
    def _webhook(self, pod: dict) -> None:
        configuration = self._configuration()
        if configuration is None:
            return
        hook = next((h for h in configuration.get("webhooks") or [] if h.get("name") == webhook.WEBHOOK_NAME), None)
        if hook is None:
            return
        labels = pod["metadata"].get("labels") or {}
        try:
            if not label_selector_from_object(hook.get("objectSelector")).matches(labels):
                return
        except SelectorError:
            return
        if not self._webhook_available():
            if hook.get("failurePolicy", "Fail") == "Ignore":
                return
            raise ApiError(500, "InternalError", webhook.unavailable_message())
        meta, spec = pod["metadata"], pod["spec"]
        sa = self.find(self.registry.get("serviceaccounts"), meta.get("namespace"), spec.get("serviceAccountName"))
        try:
            webhook.mutate(
                pod, sa or {}, layout=self.layout, tenant_id=self.tenant_id, authority_host=self.authority_host()
            )
        except webhook.WebhookDenied as exc:
            raise ApiError(
                400, "BadRequest", f'admission webhook "{webhook.WEBHOOK_NAME}" denied the request: {exc}'
            ) from None

    def _configuration(self) -> dict | None:
        return self.find(
            self.registry.get("mutatingwebhookconfigurations", "admissionregistration.k8s.io"),
            None,
            webhook.CONFIGURATION_NAME,
        )

    def _webhook_available(self) -> bool:
        deployment = self.find(self.registry.get("deployments", "apps"), *WEBHOOK_DEPLOYMENT)
        return bool(deployment and (deployment.get("status") or {}).get("availableReplicas"))


def _check_string_maps(obj: dict) -> None:
    """What the JSON decoder rejects: a label or annotation value that is not a string (e.g. unquoted true)."""
    meta = obj.get("metadata") or {}
    for key in ("labels", "annotations"):
        for name, value in (meta.get(key) or {}).items():
            if not isinstance(value, str):
                go_type = {bool: "bool", int: "number", float: "number", dict: "object", list: "array"}.get(
                    type(value), "null"
                )
                raise errors.bad_request(
                    f"json: cannot unmarshal {go_type} into Go struct field ObjectMeta.metadata.{key} of type string"
                    f' (the value of "{name}" must be quoted)'
                )
    tpl = defaults.template(obj)
    if tpl is not None:
        _check_string_maps(tpl)


def _job_selector(job: dict) -> None:
    """A Job without manualSelector gets a selector on its own uid, and the template the matching labels."""
    spec = job.setdefault("spec", {})
    if spec.get("manualSelector"):
        return
    uid = job["metadata"]["uid"]
    name = job["metadata"].get("name", "")
    labels = {
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": name,
        "controller-uid": uid,
        "job-name": name,
    }
    spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    tpl = spec.setdefault("template", {})
    tpl_meta = tpl.setdefault("metadata", {})
    tpl_meta["labels"] = {**(tpl_meta.get("labels") or {}), **labels}


def pod_from_template(
    template: dict, *, namespace: str, name: str, owner: dict, extra_labels: dict | None = None
) -> dict:
    """A pod as a controller creates it from a template (then admitted like any other pod)."""
    tpl = copy.deepcopy(template)
    meta = tpl.get("metadata") or {}
    labels = {**(meta.get("labels") or {}), **(extra_labels or {})}
    pod_meta: dict = {
        "name": name,
        "namespace": namespace,
        "labels": labels,
        "ownerReferences": [owner_reference(owner)],
    }
    if meta.get("annotations"):
        pod_meta["annotations"] = dict(meta["annotations"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": tpl.get("spec") or {}}


def owner_reference(owner: dict) -> dict:
    meta = owner["metadata"]
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _omit_empty_maps(obj: dict, template: dict | None) -> None:
    """ObjectMeta's labels and annotations are ``omitempty`` maps: an empty one is not stored or served
    (a patch that deletes the last annotation leaves no ``annotations: {}`` behind)."""
    for meta in (obj.get("metadata"), (template or {}).get("metadata")):
        if isinstance(meta, dict):
            for key in ("labels", "annotations"):
                if meta.get(key) == {}:
                    del meta[key]

"""The emulated kube-apiserver, driven only through the official ``kubernetes`` Python client: CRUD for
every resource a migration touches, resourceVersion and conflicts, the three PATCH flavours, selectors,
chunked lists, Status errors, finalizers, namespace deletion, garbage collection and watches."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from kubernetes import watch

from migrator.lab.crypto import verify
from migrator.lab.lab import Lab
from tests.lab.kube_clients import Clients, namespace, status_of

PI_GROUP, PI_VERSION = "aadpodidentity.k8s.io", "v1"
CSI_GROUP, CSI_VERSION = "secrets-store.csi.x-k8s.io", "v1"
MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"


def pod(name: str, labels: dict | None = None, **spec: Any) -> dict:
    return {
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}], **spec},
    }


def template(labels: dict, **spec: Any) -> dict:
    return {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}], **spec}}


def deployment(name: str, replicas: int = 1, **spec: Any) -> dict:
    labels = {"app": name}
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": template(labels), **spec},
    }


# --------------------------------------------------------------------------------------------------
# CRUD for each built-in resource type


@dataclass(frozen=True)
class Typed:
    """One resource type of a typed client: ``create_namespaced_<suffix>`` and friends."""

    api: str
    suffix: str
    group_resource: str
    kind: str
    body: Callable[[str], dict]
    namespaced: bool = True
    delete_returns_status: bool = True

    def call(self, k: Clients, verb: str, ns: str, *args: Any, **kw: Any) -> Any:
        scope = "namespaced_" if self.namespaced else ""
        method = getattr(getattr(k, self.api), f"{verb}_{scope}{self.suffix}")
        if not self.namespaced:
            return method(*args, **kw)
        if verb in ("create", "list"):
            return method(ns, *args, **kw)
        return method(args[0], ns, *args[1:], **kw)


def _event(name: str) -> dict:
    return {
        "metadata": {"name": name},
        "involvedObject": {"kind": "Pod", "name": "p", "namespace": "crud", "apiVersion": "v1"},
        "reason": "Testing",
        "message": "first",
        "type": "Normal",
    }


def _mwc(name: str) -> dict:
    return {
        "metadata": {"name": name},
        "webhooks": [
            {
                "name": "mutate.example.com",
                "clientConfig": {"url": "https://hooks.example.com/mutate"},
                "admissionReviewVersions": ["v1"],
                "sideEffects": "None",
                "objectSelector": {"matchLabels": {"hook": "yes"}},
            }
        ],
    }


def _workload(kind: str) -> Callable[[str], dict]:
    def body(name: str) -> dict:
        labels = {"app": name}
        if kind == "Job":
            return {"metadata": {"name": name}, "spec": {"template": template(labels, restartPolicy="Never")}}
        if kind == "CronJob":
            job = {"spec": {"template": template(labels, restartPolicy="OnFailure")}}
            return {"metadata": {"name": name}, "spec": {"schedule": "*/5 * * * *", "jobTemplate": job}}
        spec: dict = {"selector": {"matchLabels": labels}, "template": template(labels)}
        if kind == "StatefulSet":
            spec["serviceName"] = name
        return {"metadata": {"name": name}, "spec": spec}

    return body


TYPES = [
    Typed("core", "service_account", "serviceaccounts", "ServiceAccount", lambda n: {"metadata": {"name": n}},
          delete_returns_status=False),
    Typed("core", "config_map", "configmaps", "ConfigMap", lambda n: {"metadata": {"name": n}, "data": {"a": "1"}}),
    Typed("core", "event", "events", "Event", _event),
    Typed("apps", "deployment", "deployments.apps", "Deployment", _workload("Deployment")),
    Typed("apps", "replica_set", "replicasets.apps", "ReplicaSet", _workload("ReplicaSet")),
    Typed("apps", "stateful_set", "statefulsets.apps", "StatefulSet", _workload("StatefulSet")),
    Typed("apps", "daemon_set", "daemonsets.apps", "DaemonSet", _workload("DaemonSet")),
    Typed("batch", "job", "jobs.batch", "Job", _workload("Job")),
    Typed("batch", "cron_job", "cronjobs.batch", "CronJob", _workload("CronJob")),
    Typed("admission", "mutating_webhook_configuration", "mutatingwebhookconfigurations.admissionregistration.k8s.io",
          "MutatingWebhookConfiguration", _mwc, namespaced=False),
]  # fmt: skip


@pytest.mark.parametrize("rt", TYPES, ids=lambda t: t.suffix)
def test_crud_with_resource_versions_and_conflicts(lab: Lab, k: Clients, rt: Typed) -> None:
    ns = namespace(k, lab, "crud")
    name = "thing"
    created = rt.call(k, "create", ns, rt.body(name))
    assert created.kind == rt.kind and created.metadata.name == name and created.metadata.uid
    assert created.metadata.creation_timestamp is not None
    if rt.namespaced:
        assert created.metadata.namespace == ns

    lab.settle()  # controllers write status (a new resourceVersion) after a create; start from a still object
    first = rt.call(k, "read", ns, name)
    assert first.metadata.uid == created.metadata.uid
    listed = rt.call(k, "list", ns)
    assert name in [item.metadata.name for item in listed.items]
    assert int(listed.metadata.resource_version) >= int(first.metadata.resource_version)

    status, body = status_of(lambda: rt.call(k, "create", ns, rt.body(name)))
    assert (status, body["reason"]) == (409, "AlreadyExists")
    assert body["message"] == f'{rt.group_resource} "{name}" already exists'

    first.metadata.labels = {**(first.metadata.labels or {}), "step": "replaced"}
    replaced = rt.call(k, "replace", ns, name, first)
    assert replaced.metadata.labels["step"] == "replaced"
    assert replaced.metadata.resource_version != first.metadata.resource_version
    assert replaced.metadata.uid == first.metadata.uid

    first.metadata.labels["step"] = "stale"  # still carries the old resourceVersion
    status, body = status_of(lambda: rt.call(k, "replace", ns, name, first))
    assert (status, body["reason"], body["code"]) == (409, "Conflict", 409)
    assert body["message"] == (
        f'Operation cannot be fulfilled on {rt.group_resource} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    assert rt.call(k, "read", ns, name).metadata.labels["step"] == "replaced"

    patched = rt.call(k, "patch", ns, name, {"metadata": {"labels": {"step": "patched"}}})
    assert patched.metadata.labels["step"] == "patched"
    assert int(patched.metadata.resource_version) > int(replaced.metadata.resource_version)

    gone = k.api.sanitize_for_serialization(rt.call(k, "delete", ns, name))
    if rt.delete_returns_status:
        assert (gone["kind"], gone["status"], gone["details"]["name"]) == ("Status", "Success", name)
    else:  # like pods, a ServiceAccount delete answers with the deleted object
        assert (gone["kind"], gone["metadata"]["name"]) == (rt.kind, name)
    status, body = status_of(lambda: rt.call(k, "read", ns, name))
    assert (status, body["reason"], body["message"]) == (404, "NotFound", f'{rt.group_resource} "{name}" not found')
    plural, _, group = rt.group_resource.partition(".")
    assert body["details"]["name"] == name and body["details"]["kind"] == plural
    assert body["details"].get("group") == (group or None)


def test_namespace_lifecycle_and_contents_removed_on_delete(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "doomed")
    got = k.core.read_namespace(ns)
    assert got.status.phase == "Active"
    assert [sa.metadata.name for sa in k.core.list_namespaced_service_account(ns).items] == ["default"]
    k.core.patch_namespace(ns, {"metadata": {"labels": {"team": "blue"}}})
    assert ns in [n.metadata.name for n in k.core.list_namespace(label_selector="team=blue").items]

    k.core.create_namespaced_config_map(ns, {"metadata": {"name": "cm"}})
    k.core.create_namespaced_pod(ns, pod("p"))
    k.apps.create_namespaced_deployment(ns, deployment("web", replicas=2))
    lab.settle()
    assert len(k.core.list_namespaced_pod(ns).items) == 3

    terminating = k.api.sanitize_for_serialization(k.core.delete_namespace(ns))
    assert terminating["kind"] == "Namespace" and terminating["status"]["phase"] == "Terminating"
    assert terminating["metadata"]["deletionTimestamp"]
    lab.settle()
    status, body = status_of(lambda: k.core.read_namespace(ns))
    assert (status, body["message"]) == (404, f'namespaces "{ns}" not found')
    assert k.core.list_namespaced_pod(ns).items == []
    assert k.apps.list_namespaced_replica_set(ns).items == []
    assert k.core.list_namespaced_config_map(ns).items == []
    status, body = status_of(lambda: k.core.create_namespaced_config_map(ns, {"metadata": {"name": "late"}}))
    assert (status, body["reason"], body["message"]) == (404, "NotFound", f'namespaces "{ns}" not found')


def test_pod_crud_and_log(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "pods")
    created = k.core.create_namespaced_pod(ns, pod("solo", {"app": "solo"}))
    assert created.spec.service_account_name == "default"
    assert created.spec.node_name in lab.kube.nodes  # scheduled at admission
    assert created.spec.containers[0].image_pull_policy == "IfNotPresent"  # defaulted
    lab.settle()
    running = k.core.read_namespaced_pod("solo", ns)
    assert running.status.phase == "Running"
    assert running.status.container_statuses[0].ready is True and running.status.pod_ip

    lab.kube.write_log(ns, "solo", "app", "line one\nline two\nline three")
    assert k.core.read_namespaced_pod_log("solo", ns) == "line one\nline two\nline three\n"
    assert k.core.read_namespaced_pod_log("solo", ns, tail_lines=1) == "line three\n"
    stamped = k.core.read_namespaced_pod_log("solo", ns, container="app", timestamps=True).splitlines()
    assert stamped[0].endswith("Z line one") and stamped[0][:4].isdigit()

    two = pod("duo")
    two["spec"]["containers"].append({"name": "side", "image": "busybox:1.36"})
    k.core.create_namespaced_pod(ns, two)
    status, body = status_of(lambda: k.core.read_namespaced_pod_log("duo", ns))
    assert (status, body["reason"]) == (400, "BadRequest")
    assert body["message"] == "a container name must be specified for pod duo, choose one of: [app side]"
    status, body = status_of(lambda: k.core.read_namespaced_pod_log("duo", ns, container="nope"))
    assert (status, body["message"]) == (400, "container nope is not valid for pod duo")

    deleted = k.core.delete_namespaced_pod("solo", ns)
    assert deleted.metadata.name == "solo"  # a pod delete answers with the pod, not a Status
    status, body = status_of(lambda: k.core.read_namespaced_pod("solo", ns))
    assert (status, body["message"], body["details"]) == (
        404,
        'pods "solo" not found',
        {"name": "solo", "kind": "pods"},
    )


def test_service_account_token_request(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "tokens")
    k.core.create_namespaced_service_account(ns, {"metadata": {"name": "workload"}})
    before = int(time.time())
    answer = k.core.create_namespaced_service_account_token(
        "workload", ns, {"spec": {"audiences": ["api://AzureADTokenExchange"], "expirationSeconds": 3600}}
    )
    after = int(time.time())
    assert answer.kind == "TokenRequest" and answer.spec.audiences == ["api://AzureADTokenExchange"]
    claims = verify(answer.status.token, lab.issuer.jwks())
    assert claims["iss"] == lab.issuer.url and claims["iss"].endswith("/")
    assert claims["sub"] == f"system:serviceaccount:{ns}:workload"
    assert claims["aud"] == ["api://AzureADTokenExchange"]
    assert before <= claims["iat"] <= after and claims["exp"] - claims["iat"] == 3600
    assert abs(answer.status.expiration_timestamp.timestamp() - claims["exp"]) <= 1
    sa = k.core.read_namespaced_service_account("workload", ns)
    assert claims["kubernetes.io"]["serviceaccount"] == {"name": "workload", "uid": sa.metadata.uid}

    longer = k.core.create_namespaced_service_account_token(
        "workload", ns, {"spec": {"audiences": ["a", "b"], "expirationSeconds": 7200}}
    )
    claims = verify(longer.status.token, lab.issuer.jwks())
    assert claims["aud"] == ["a", "b"] and claims["exp"] - claims["iat"] == 7200

    status, body = status_of(
        lambda: k.core.create_namespaced_service_account_token("workload", ns, {"spec": {"expirationSeconds": 60}})
    )
    assert (status, body["reason"]) == (422, "Invalid")
    assert "may not specify a duration less than 10 minutes" in body["message"]
    status, body = status_of(lambda: k.core.create_namespaced_service_account_token("ghost", ns, {"spec": {}}))
    assert (status, body["message"]) == (404, 'serviceaccounts "ghost" not found')


# --------------------------------------------------------------------------------------------------
# Custom resources


def _custom_objects() -> list[tuple[str, str, str, str, dict]]:
    return [
        (PI_GROUP, PI_VERSION, "azureidentities", "AzureIdentity",
         {"spec": {"type": 0, "resourceID": "/subscriptions/s/resourceGroups/rg/providers/"
                   "Microsoft.ManagedIdentity/userAssignedIdentities/id", "clientID": "c1"}}),
        (PI_GROUP, PI_VERSION, "azureidentitybindings", "AzureIdentityBinding",
         {"spec": {"azureIdentity": "id", "selector": "web"}}),
        (PI_GROUP, PI_VERSION, "azurepodidentityexceptions", "AzurePodIdentityException",
         {"spec": {"podLabels": {"app": "legacy"}}}),
        (PI_GROUP, PI_VERSION, "azureassignedidentities", "AzureAssignedIdentity",
         {"spec": {"podName": "web-0", "podNamespace": "ci", "nodename": "n1"}}),
        (CSI_GROUP, CSI_VERSION, "secretproviderclasses", "SecretProviderClass",
         {"spec": {"provider": "azure",
                   "parameters": {"usePodIdentity": "true", "keyvaultName": "kv", "tenantId": "t"}}}),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("group", "version", "plural", "kind", "extra"), _custom_objects(), ids=[c[2] for c in _custom_objects()]
)
def test_custom_object_crud_and_patch_types(
    lab: Lab, k: Clients, group: str, version: str, plural: str, kind: str, extra: dict
) -> None:
    ns = namespace(k, lab, "ci")
    body = {"apiVersion": f"{group}/{version}", "kind": kind, "metadata": {"name": "one"}, **extra}
    created = k.custom.create_namespaced_custom_object(group, version, ns, plural, body)
    assert (created["kind"], created["apiVersion"]) == (kind, f"{group}/{version}")
    assert created["metadata"]["uid"] and created["spec"] == extra["spec"]
    got = k.custom.get_namespaced_custom_object(group, version, ns, plural, "one")
    assert got == created
    listed = k.custom.list_namespaced_custom_object(group, version, ns, plural)
    assert listed["kind"] == f"{kind}List" and [i["metadata"]["name"] for i in listed["items"]] == ["one"]
    assert listed["items"][0]["kind"] == kind  # custom resource list items keep kind/apiVersion
    everywhere = k.custom.list_cluster_custom_object(group, version, plural)
    assert [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in everywhere["items"]] == [(ns, "one")]

    got["metadata"]["labels"] = {"v": "1"}
    replaced = k.custom.replace_namespaced_custom_object(group, version, ns, plural, "one", got)
    assert replaced["metadata"]["resourceVersion"] != got["metadata"]["resourceVersion"]
    got["metadata"]["labels"] = {"v": "stale"}
    status, conflict = status_of(
        lambda: k.custom.replace_namespaced_custom_object(group, version, ns, plural, "one", got)
    )
    assert (status, conflict["reason"]) == (409, "Conflict")
    assert conflict["message"].startswith(f'Operation cannot be fulfilled on {plural}.{group} "one"')

    merged = k.custom.patch_namespaced_custom_object(
        group, version, ns, plural, "one", {"metadata": {"labels": {"v": None, "m": "yes"}}}
    )
    assert merged["metadata"]["labels"] == {"m": "yes"}
    assert int(merged["metadata"]["resourceVersion"]) > int(replaced["metadata"]["resourceVersion"])
    patched = k.custom.patch_namespaced_custom_object(
        group, version, ns, plural, "one",
        [{"op": "add", "path": "/metadata/annotations", "value": {"j": "p"}}],
        _content_type=JSON_PATCH,
    )  # fmt: skip
    assert patched["metadata"]["annotations"] == {"j": "p"}
    status, body = status_of(
        lambda: k.custom.patch_namespaced_custom_object(
            group, version, ns, plural, "one", {"metadata": {"labels": {"s": "x"}}}, _content_type=STRATEGIC
        )
    )
    assert (status, body["reason"]) == (415, "UnsupportedMediaType")
    assert body["message"].startswith("the body of the request was in an unknown format - accepted media types")

    k.custom.delete_namespaced_custom_object(group, version, ns, plural, "one")
    status, body = status_of(lambda: k.custom.get_namespaced_custom_object(group, version, ns, plural, "one"))
    assert (status, body["message"]) == (404, f'{plural}.{group} "one" not found')
    assert body["details"] == {"name": "one", "group": group, "kind": plural}


def test_custom_object_status_subresource(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "mic")
    body = {"apiVersion": f"{PI_GROUP}/v1", "kind": "AzureAssignedIdentity", "metadata": {"name": "aai"},
            "spec": {"podName": "p"}, "status": {"status": "Assigned"}}  # fmt: skip
    created = k.custom.create_namespaced_custom_object(PI_GROUP, "v1", ns, "azureassignedidentities", body)
    assert "status" not in created  # status is a subresource: ignored on create
    written = k.custom.patch_namespaced_custom_object_status(
        PI_GROUP, "v1", ns, "azureassignedidentities", "aai", {"status": {"status": "Assigned"}}
    )
    assert written["status"] == {"status": "Assigned"}
    spec_write = k.custom.patch_namespaced_custom_object(
        PI_GROUP, "v1", ns, "azureassignedidentities", "aai", {"spec": {"podName": "q"}, "status": {"status": "X"}}
    )
    assert spec_write["spec"]["podName"] == "q" and spec_write["status"] == {"status": "Assigned"}


# --------------------------------------------------------------------------------------------------
# PATCH flavours on built-in types


def _rich_deployment() -> dict:
    body = deployment("web")
    body["metadata"]["labels"].update(drop="me", keep="me")
    body["spec"]["template"]["spec"] = {
        "containers": [
            {
                "name": "app",
                "image": "nginx:1.27",
                "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                "volumeMounts": [{"name": "data", "mountPath": "/data"}],
            },
            {"name": "side", "image": "busybox:1.36", "args": ["--x"]},
        ],
        "volumes": [{"name": "data", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "cfg"}}],
    }
    return body


def test_strategic_merge_patch_merges_containers_env_and_volumes_by_name(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "smp")
    before = k.apps.create_namespaced_deployment(ns, _rich_deployment())
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "image": "nginx:1.28",
                            "env": [{"name": "B", "value": "20"}, {"name": "C", "value": "3"}],
                        }
                    ],
                    "volumes": [{"name": "token", "emptyDir": {"medium": "Memory"}}],
                }
            }
        }
    }
    after = k.apps.patch_namespaced_deployment("web", ns, patch)  # a dict body: strategic merge
    spec = after.spec.template.spec
    assert [c.name for c in spec.containers] == ["app", "side"]
    app = spec.containers[0]
    assert app.image == "nginx:1.28"
    assert [(e.name, e.value) for e in app.env] == [("A", "1"), ("B", "20"), ("C", "3")]
    assert [m.mount_path for m in app.volume_mounts] == ["/data"]
    assert spec.containers[1].args == ["--x"]
    assert [v.name for v in spec.volumes] == ["data", "cfg", "token"]
    assert after.metadata.generation == before.metadata.generation + 1

    removed = k.apps.patch_namespaced_deployment(
        "web", ns, {"spec": {"template": {"spec": {"containers": [{"name": "side", "$patch": "delete"}]}}}}
    )
    assert [c.name for c in removed.spec.template.spec.containers] == ["app"]
    labels = k.apps.patch_namespaced_deployment("web", ns, {"metadata": {"labels": {"drop": None, "new": "x"}}})
    assert labels.metadata.labels == {"app": "web", "keep": "me", "new": "x"}
    assert labels.metadata.generation == removed.metadata.generation  # metadata is not spec


def test_merge_patch_replaces_lists_and_json_patch_applies_operations(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "mp")
    k.apps.create_namespaced_deployment(ns, _rich_deployment())
    merged = k.apps.patch_namespaced_deployment(
        "web",
        ns,
        {
            "metadata": {"labels": {"drop": None}},
            "spec": {"template": {"spec": {"containers": [{"name": "only", "image": "nginx:1.28"}]}}},
        },
        _content_type=MERGE,
    )
    assert [c.name for c in merged.spec.template.spec.containers] == ["only"]  # RFC 7386: lists are replaced
    assert "drop" not in merged.metadata.labels and merged.metadata.labels["keep"] == "me"

    ops = [
        {"op": "test", "path": "/spec/replicas", "value": 1},
        {"op": "replace", "path": "/spec/replicas", "value": 3},
        {"op": "add", "path": "/metadata/labels/added", "value": "yes"},
        {"op": "add", "path": "/spec/template/spec/containers/-", "value": {"name": "two", "image": "busybox:1"}},
    ]
    patched = k.apps.patch_namespaced_deployment("web", ns, ops)  # a list body: JSON patch
    assert patched.spec.replicas == 3 and patched.metadata.labels["added"] == "yes"
    assert [c.name for c in patched.spec.template.spec.containers] == ["only", "two"]

    status, body = status_of(
        lambda: k.apps.patch_namespaced_deployment("web", ns, [{"op": "test", "path": "/spec/replicas", "value": 1}])
    )
    assert (status, body["reason"]) == (422, "Invalid")
    assert k.apps.read_namespaced_deployment("web", ns).spec.replicas == 3
    status, body = status_of(
        lambda: k.apps.patch_namespaced_deployment(
            "web", ns, {"spec": {"template": {"spec": {"containers": [{"name": "x"}]}}}}, _content_type=MERGE
        )
    )
    assert (status, body["reason"]) == (422, "Invalid")
    assert body["message"] == (
        'Deployment.apps "web" is invalid: spec.template.spec.containers[0].image: Required value'
    )


# --------------------------------------------------------------------------------------------------
# Selectors


def test_label_and_field_selectors(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "sel")
    mine = {
        "a": {"app": "web", "tier": "fe"},
        "b": {"app": "web", "tier": "be", "canary": "true"},
        "c": {"app": "db", "tier": "be"},
        "d": {},
    }
    for name, labels in mine.items():
        k.core.create_namespaced_config_map(ns, {"metadata": {"name": name, "labels": labels}})

    def names(**kw: str) -> set[str]:
        return {cm.metadata.name for cm in k.core.list_namespaced_config_map(ns, **kw).items} & set(mine)

    assert names(label_selector="app=web") == {"a", "b"}
    assert names(label_selector="app==web") == {"a", "b"}
    assert names(label_selector="app!=web") == {"c", "d"}
    assert names(label_selector="tier in (fe,be)") == {"a", "b", "c"}
    assert names(label_selector="tier notin (fe)") == {"b", "c", "d"}
    assert names(label_selector="canary") == {"b"}
    assert names(label_selector="!canary") == {"a", "c", "d"}
    assert names(label_selector="app=web,!canary") == {"a"}
    assert names(label_selector="app in (web,db),tier=be") == {"b", "c"}
    assert names(field_selector="metadata.name=a") == {"a"}
    assert names(field_selector="metadata.name!=a") == {"b", "c", "d"}
    assert names(label_selector="app=web", field_selector="metadata.name!=a") == {"b"}
    status, body = status_of(lambda: k.core.list_namespaced_config_map(ns, label_selector="app in web"))
    assert (status, body["reason"]) == (400, "BadRequest")
    status, body = status_of(lambda: k.core.list_namespaced_config_map(ns, field_selector="data.a=1"))
    assert (status, body["reason"], body["message"]) == (400, "BadRequest", "field label not supported: data.a")

    k.core.create_namespaced_pod(ns, pod("p1"))
    k.core.create_namespaced_pod(ns, pod("p2"))
    k.batch.create_namespaced_job(
        ns, {"metadata": {"name": "once"}, "spec": {"template": template({"run": "once"}, restartPolicy="Never")}}
    )
    lab.settle()
    pods = {p.metadata.name: p for p in k.core.list_namespaced_pod(ns).items}
    assert len(pods) == 3

    def pod_names(selector: str) -> set[str]:
        return {p.metadata.name for p in k.core.list_namespaced_pod(ns, field_selector=selector).items}

    job_pod = next(n for n in pods if n.startswith("once-"))
    assert pod_names("status.phase=Succeeded") == {job_pod}
    assert pod_names("status.phase=Running") == {"p1", "p2"}
    assert pod_names("status.phase!=Running,metadata.name!=p1") == {job_pod}
    node = pods["p1"].spec.node_name
    assert pod_names(f"spec.nodeName={node}") == {n for n, p in pods.items() if p.spec.node_name == node}
    assert pod_names("spec.serviceAccountName=default") == set(pods)
    everywhere = k.core.list_pod_for_all_namespaces(field_selector="metadata.namespace=sel")
    assert {p.metadata.name for p in everywhere.items} == set(pods)
    events = k.core.list_namespaced_event(ns, field_selector="involvedObject.name=p1,reason=Scheduled")
    assert [(e.involved_object.kind, e.involved_object.name, e.reason) for e in events.items] == [
        ("Pod", "p1", "Scheduled")
    ]
    status, body = status_of(lambda: k.core.list_namespaced_pod(ns, field_selector="spec.containers=x"))
    assert (status, body["message"]) == (400, "field label not supported: spec.containers")


# --------------------------------------------------------------------------------------------------
# Chunked lists


def test_limit_and_continue_pagination(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "pages")
    expected = [f"cm-{i:02d}" for i in range(8)]
    for name in reversed(expected):
        k.core.create_namespaced_config_map(ns, {"metadata": {"name": name, "labels": {"page": "yes"}}})

    pages, token, requests = [], None, 0
    while True:
        page = k.core.list_namespaced_config_map(ns, limit=3, _continue=token)
        requests += 1
        pages.append(page)
        token = page.metadata._continue
        if not token:
            break
    assert requests == 3
    names = [cm.metadata.name for page in pages for cm in page.items]
    assert names == expected  # complete, unique, in key order
    assert [len(p.items) for p in pages] == [3, 3, 2]
    assert [p.metadata.remaining_item_count for p in pages] == [5, 2, None]
    assert len({p.metadata.resource_version for p in pages}) == 1  # one consistent snapshot

    # items created after the first page do not leak into the snapshot
    first = k.core.list_namespaced_config_map(ns, limit=4)
    k.core.create_namespaced_config_map(ns, {"metadata": {"name": "cm-99"}})
    rest = k.core.list_namespaced_config_map(ns, limit=4, _continue=first.metadata._continue)
    assert [cm.metadata.name for cm in first.items + rest.items] == expected
    assert rest.metadata._continue is None

    # with a label selector the server cannot count what remains
    filtered = k.core.list_namespaced_config_map(ns, limit=2, label_selector="page=yes")
    assert len(filtered.items) == 2 and filtered.metadata._continue and filtered.metadata.remaining_item_count is None

    status, body = status_of(lambda: k.core.list_namespaced_config_map(ns, limit=2, _continue="%%%not-a-token"))
    assert (status, body["reason"]) == (400, "BadRequest")


def test_expired_continue_token_is_410(lab: Lab, k: Clients, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tokens live five minutes; the lab's window is shortened instead of waiting for it to pass."""
    from migrator.lab.kube import store

    ns = namespace(k, lab, "old")
    for i in range(3):
        k.core.create_namespaced_config_map(ns, {"metadata": {"name": f"cm-{i}"}})
    token = k.core.list_namespaced_config_map(ns, limit=1).metadata._continue
    monkeypatch.setattr(store, "CONTINUE_TTL", -1.0)
    status, body = status_of(lambda: k.core.list_namespaced_config_map(ns, limit=1, _continue=token))
    assert (status, body["reason"], body["code"]) == (410, "Expired", 410)
    assert body["message"].startswith("The provided continue parameter is too old to display a consistent list")


# --------------------------------------------------------------------------------------------------
# Status errors


def test_errors_are_status_objects_with_apiserver_messages(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "errs")
    status, body = status_of(lambda: k.apps.read_namespaced_deployment("web2", ns))
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'deployments.apps "web2" not found',
        "reason": "NotFound",
        "details": {"name": "web2", "group": "apps", "kind": "deployments"},
        "code": 404,
    }
    k.apps.create_namespaced_deployment(ns, deployment("web"))
    status, body = status_of(lambda: k.apps.create_namespaced_deployment(ns, deployment("web")))
    assert (status, body["reason"], body["details"]) == (
        409,
        "AlreadyExists",
        {"name": "web", "group": "apps", "kind": "deployments"},
    )

    bad = deployment("bad")
    del bad["spec"]["template"]["spec"]["containers"][0]["image"]
    status, body = status_of(lambda: k.apps.create_namespaced_deployment(ns, bad))
    assert status == 422 and body["reason"] == "Invalid" and body["status"] == "Failure"
    assert body["message"] == 'Deployment.apps "bad" is invalid: spec.template.spec.containers[0].image: Required value'
    assert body["details"]["kind"] == "Deployment" and body["details"]["group"] == "apps"
    assert body["details"]["causes"] == [
        {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.template.spec.containers[0].image"}
    ]
    status, body = status_of(lambda: k.core.create_namespaced_config_map(ns, {"metadata": {"name": "Not_Valid"}}))
    assert status == 422 and body["message"].startswith(
        'ConfigMap "Not_Valid" is invalid: metadata.name: Invalid value'
    )
    status, body = status_of(lambda: k.core.create_namespaced_pod("nowhere", pod("p")))
    assert (status, body["message"]) == (404, 'namespaces "nowhere" not found')


# --------------------------------------------------------------------------------------------------
# Finalizers, garbage collection


def test_finalizers_hold_an_object_until_removed(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "fin")
    k.core.create_namespaced_config_map(ns, {"metadata": {"name": "held", "finalizers": ["example.com/hold"]}})
    k.core.delete_namespaced_config_map("held", ns)
    held = k.core.read_namespaced_config_map("held", ns)
    assert held.metadata.deletion_timestamp is not None and held.metadata.finalizers == ["example.com/hold"]

    status, body = status_of(
        lambda: k.core.patch_namespaced_config_map(
            "held", ns, {"metadata": {"finalizers": ["example.com/hold", "example.com/more"]}}, _content_type=MERGE
        )
    )
    assert (status, body["reason"]) == (422, "Invalid")
    assert body["message"] == (
        'ConfigMap "held" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object '
        'is being deleted, found new finalizers []string{"example.com/more"}'
    )
    relabelled = k.core.patch_namespaced_config_map("held", ns, {"metadata": {"labels": {"still": "here"}}})
    assert relabelled.metadata.deletion_timestamp == held.metadata.deletion_timestamp

    # a namespace waits for its objects' finalizers, and refuses new content meanwhile
    k.core.delete_namespace(ns)
    lab.settle()
    assert k.core.read_namespace(ns).status.phase == "Terminating"
    status, body = status_of(lambda: k.core.create_namespaced_config_map(ns, {"metadata": {"name": "new"}}))
    assert (status, body["reason"]) == (403, "Forbidden")
    assert body["message"] == (
        f'configmaps "new" is forbidden: unable to create new content in namespace {ns} because it is being terminated'
    )

    k.core.patch_namespaced_config_map("held", ns, {"metadata": {"finalizers": None}}, _content_type=MERGE)
    assert status_of(lambda: k.core.read_namespaced_config_map("held", ns))[0] == 404
    lab.settle()
    assert status_of(lambda: k.core.read_namespace(ns))[0] == 404


def test_deleting_a_deployment_collects_its_replicasets_and_pods(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "gc")
    k.apps.create_namespaced_deployment(ns, deployment("web", replicas=2))
    k.apps.create_namespaced_deployment(ns, deployment("keep", replicas=1))
    lab.settle()
    assert len(k.apps.list_namespaced_replica_set(ns, label_selector="app=web").items) == 1
    assert len(k.core.list_namespaced_pod(ns, label_selector="app=web").items) == 2

    k.apps.delete_namespaced_deployment("web", ns)
    lab.settle()
    assert k.apps.list_namespaced_replica_set(ns, label_selector="app=web").items == []
    assert k.core.list_namespaced_pod(ns, label_selector="app=web").items == []
    assert len(k.core.list_namespaced_pod(ns, label_selector="app=keep").items) == 1

    rs = k.apps.list_namespaced_replica_set(ns, label_selector="app=keep").items[0]
    k.apps.delete_namespaced_deployment("keep", ns, propagation_policy="Orphan")
    lab.settle()
    orphan = k.apps.read_namespaced_replica_set(rs.metadata.name, ns)
    assert orphan.metadata.owner_references is None
    assert len(k.core.list_namespaced_pod(ns, label_selector="app=keep").items) == 1


# --------------------------------------------------------------------------------------------------
# Watch


def test_watch_streams_added_modified_deleted(lab: Lab, k: Clients) -> None:
    """Driven by the stream itself: each event triggers the next write, so nothing waits on time."""
    ns = namespace(k, lab, "watched")
    k.core.create_namespaced_pod(ns, pod("sentinel", {"w": "yes"}))
    k.core.create_namespaced_pod(ns, pod("outsider", {"w": "no"}))
    lab.settle()
    seen: list[tuple[str, str, str | None]] = []
    w = watch.Watch()
    for event in w.stream(k.core.list_namespaced_pod, ns, label_selector="w=yes", timeout_seconds=20):
        obj = event["object"]
        phase = obj.status.phase if obj.status else None
        seen.append((event["type"], obj.metadata.name, phase))
        if event["type"] == "ADDED" and obj.metadata.name == "sentinel":
            k.core.create_namespaced_pod(ns, pod("p1", {"w": "yes"}))
        elif event["type"] == "MODIFIED" and obj.metadata.name == "p1" and phase == "Running":
            k.core.patch_namespaced_pod("p1", ns, {"metadata": {"labels": {"w": "left"}}})
        elif event["type"] == "DELETED" and obj.metadata.name == "p1":
            k.core.delete_namespaced_pod("sentinel", ns)
        elif event["type"] == "DELETED" and obj.metadata.name == "sentinel":
            w.stop()
    assert seen[0] == ("ADDED", "sentinel", "Running")
    assert ("ADDED", "p1", "Pending") in seen  # created Pending, then the kubelet reports Running
    assert ("MODIFIED", "p1", "Running") in seen
    # leaving the selection reads as DELETED; the outsider is never reported
    assert [s[:2] for s in seen[-2:]] == [("DELETED", "p1"), ("DELETED", "sentinel")]
    assert all(name != "outsider" for _, name, _ in seen)
    assert k.core.read_namespaced_pod("p1", ns).metadata.labels == {"w": "left"}


def test_watch_from_a_resource_version_and_by_name(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "rv")
    k.apps.create_namespaced_deployment(ns, deployment("web"))
    lab.settle()
    listed = k.apps.list_namespaced_deployment(ns, field_selector="metadata.name=web")
    k.apps.patch_namespaced_deployment("web", ns, {"spec": {"replicas": 2}})
    k.apps.create_namespaced_deployment(ns, deployment("other"))
    w = watch.Watch()
    events, rvs = [], []
    for event in w.stream(
        k.apps.list_namespaced_deployment,
        ns,
        field_selector="metadata.name=web",
        resource_version=listed.metadata.resource_version,
        timeout_seconds=20,
    ):
        d = event["object"]
        events.append((event["type"], d.metadata.name, d.metadata.generation, d.status.observed_generation))
        rvs.append(int(d.metadata.resource_version))
        if d.status.observed_generation == 2 and d.status.available_replicas == 2:
            w.stop()
    assert events[0][:3] == ("MODIFIED", "web", 2)  # no initial ADDED: the watch resumes after the list
    assert {e[1] for e in events} == {"web"}
    assert events[-1][3] == 2
    assert rvs == sorted(set(rvs)) and rvs[0] > int(listed.metadata.resource_version)

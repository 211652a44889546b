"""The Azure Workload Identity mutating webhook as pods meet it through the API server (driven with the
official ``kubernetes`` client): what it injects, where, for which pods, and what happens when it is
absent or has no endpoints (failurePolicy Fail)."""

from __future__ import annotations

from typing import Any

import pytest

from migrator.lab.lab import Lab, LabConfig
from tests.lab.kube_clients import Clients, status_of

USE = "azure.workload.identity/use"
CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
AUDIENCE = "api://AzureADTokenExchange"
AZURE_ENV = ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST")
WEBHOOK = ("kube-system", "azure-wi-webhook-controller-manager")


def setup_namespace(k: Clients, lab: Lab, ns: str = "apps", **sa_annotations: str) -> str:
    """A namespace with ServiceAccount ``wi`` annotated with the identity's client id."""
    k.core.create_namespace({"metadata": {"name": ns}})
    annotations = {CLIENT_ID_ANNOTATION: CLIENT_ID, **sa_annotations}
    k.core.create_namespaced_service_account(ns, {"metadata": {"name": "wi", "annotations": annotations}})
    lab.settle()
    return ns


def pod(name: str, labels: dict | None = None, annotations: dict | None = None, **spec: Any) -> dict:
    spec.setdefault("containers", [{"name": "app", "image": "registry.example/app:1"}])
    return {
        "metadata": {"name": name, "labels": labels or {}, "annotations": annotations or {}},
        "spec": {"serviceAccountName": "wi", **spec},
    }


def labelled(name: str, annotations: dict | None = None, **spec: Any) -> dict:
    return pod(name, {USE: "true"}, annotations, **spec)


def env(container: Any) -> dict[str, str]:
    return {e.name: e.value for e in container.env or []}


def token_volume(p: Any) -> Any:
    """The projected volume carrying a token for the exchange audience (found by content, not by name)."""
    found = [
        v
        for v in p.spec.volumes or []
        if v.projected
        and any(s.service_account_token and s.service_account_token.audience == AUDIENCE for s in v.projected.sources)
    ]
    assert len(found) <= 1
    return found[0] if found else None


def assert_untouched(p: Any) -> None:
    for c in (p.spec.init_containers or []) + p.spec.containers:
        assert not set(env(c)) & set(AZURE_ENV), c.name
    assert token_volume(p) is None
    assert [c.name for c in p.spec.containers if c.name == "azwi-proxy"] == []


# --------------------------------------------------------------------------------------------------
# What the webhook injects (v1.5 layout, the lab's default)


def test_labelled_pod_gets_env_and_token_volume_v15(lab: Lab, k: Clients) -> None:
    ns = setup_namespace(k, lab)
    containers = [
        {"name": "app", "image": "registry.example/app:1", "env": [{"name": "LOG", "value": "debug"}]},
        {"name": "preset", "image": "registry.example/app:1", "env": [{"name": "AZURE_CLIENT_ID", "value": "mine"}]},
    ]
    init = [{"name": "migrate", "image": "registry.example/migrate:1"}]
    created = k.core.create_namespaced_pod(ns, labelled("web", containers=containers, initContainers=init))

    app, preset = created.spec.containers
    assert env(app) == {
        "LOG": "debug",
        "AZURE_CLIENT_ID": CLIENT_ID,
        "AZURE_TENANT_ID": lab.tenant_id,
        "AZURE_FEDERATED_TOKEN_FILE": "/var/run/secrets/azure/tokens/azure-identity-token",
        "AZURE_AUTHORITY_HOST": f"{lab.login_url}/",
    }
    assert [e.name for e in app.env] == ["LOG", *AZURE_ENV]  # appended after the container's own
    assert env(preset)["AZURE_CLIENT_ID"] == "mine"  # a container's own value wins
    assert set(env(preset)) == set(AZURE_ENV)
    assert env(created.spec.init_containers[0])["AZURE_CLIENT_ID"] == CLIENT_ID  # init containers too

    volume = token_volume(created)
    assert volume.name == "azure-identity-token"
    [source] = volume.projected.sources
    token = source.service_account_token
    assert (token.audience, token.expiration_seconds, token.path) == (AUDIENCE, 3600, "azure-identity-token")
    for c in created.spec.init_containers + created.spec.containers:
        [mount] = [m for m in c.volume_mounts if m.name == volume.name]
        assert (mount.mount_path, mount.read_only) == ("/var/run/secrets/azure/tokens", True)
        assert env(c)["AZURE_FEDERATED_TOKEN_FILE"] == f"{mount.mount_path}/{token.path}"
    # the ServiceAccount admission plugin's own API token volume is still there
    assert any(m.mount_path == "/var/run/secrets/kubernetes.io/serviceaccount" for m in app.volume_mounts)
    assert not created.spec.init_containers[0].name.startswith("azwi")  # no proxy unless asked for

    lab.settle()
    assert k.core.read_namespaced_pod("web", ns).status.phase == "Running"


def test_token_lifetime_and_tenant_come_from_annotations(lab: Lab, k: Clients) -> None:
    ns = setup_namespace(k, lab, **{"azure.workload.identity/tenant-id": "other-tenant"})
    k.core.patch_namespaced_service_account(
        "wi", ns, {"metadata": {"annotations": {"azure.workload.identity/service-account-token-expiration": "7200"}}}
    )
    p = k.core.create_namespaced_pod(ns, labelled("a"))
    assert env(p.spec.containers[0])["AZURE_TENANT_ID"] == "other-tenant"
    assert token_volume(p).projected.sources[0].service_account_token.expiration_seconds == 7200
    annotated = labelled("b", {"azure.workload.identity/service-account-token-expiration": "86400"})
    longest = token_volume(k.core.create_namespaced_pod(ns, annotated)).projected.sources[0].service_account_token
    assert longest.expiration_seconds == 86400  # the pod's annotation wins over the ServiceAccount's
    status, body = status_of(
        lambda: k.core.create_namespaced_pod(
            ns, labelled("c", {"azure.workload.identity/service-account-token-expiration": "600"})
        )
    )
    assert (status, body["reason"]) == (400, "BadRequest")
    assert body["message"] == (
        'admission webhook "mutation.azure-workload-identity.io" denied the request: '
        "token expiration 600 not valid. Expected value to be between 3600 and 86400"
    )


@pytest.mark.parametrize("lab_config", [LabConfig(speedup=50.0, webhook_version="1.6")])
def test_v16_layout(lab: Lab, k: Clients) -> None:
    ns = setup_namespace(k, lab)
    p = k.core.create_namespaced_pod(ns, labelled("web"))
    volume = token_volume(p)
    assert volume.name.startswith("azure-workload-identity-reserved-") and len(volume.name) <= 63
    token = volume.projected.sources[0].service_account_token
    assert token.path == "token/azure-identity-token"
    [mount] = [m for m in p.spec.containers[0].volume_mounts if m.name == volume.name]
    assert mount.mount_path == "/var/run/secrets/azure/wi" and mount.read_only
    token_file = env(p.spec.containers[0])["AZURE_FEDERATED_TOKEN_FILE"]
    assert token_file == "/var/run/secrets/azure/wi/token/azure-identity-token" == f"{mount.mount_path}/{token.path}"
    assert not [v for v in p.spec.volumes if v.name == "azure-identity-token"]
    manager = k.apps.read_namespaced_deployment(WEBHOOK[1], WEBHOOK[0])
    assert manager.spec.template.spec.containers[0].image.endswith(":v1.6.0")


# --------------------------------------------------------------------------------------------------
# Proxy sidecar


@pytest.mark.parametrize(("value", "port"), [("true", None), ("false", None), ("", "9123")])
def test_proxy_sidecar_injected_whenever_annotation_present(lab: Lab, k: Clients, value: str, port: str | None) -> None:
    ns = setup_namespace(k, lab)
    annotations = {"azure.workload.identity/inject-proxy-sidecar": value}
    if port:
        annotations["azure.workload.identity/proxy-sidecar-port"] = port
    p = k.core.create_namespaced_pod(ns, labelled("legacy", annotations))
    want = int(port or 8000)

    [init] = [c for c in p.spec.init_containers if c.name == "azwi-proxy-init"]
    assert init.security_context.privileged is True
    assert init.security_context.capabilities.add == ["NET_ADMIN"] and init.security_context.run_as_user == 0
    assert env(init)["PROXY_PORT"] == str(want)
    assert [c.name for c in p.spec.containers] == ["azwi-proxy", "app"]  # prepended, a regular container
    proxy = p.spec.containers[0]
    assert proxy.image.startswith("mcr.microsoft.com/oss/azure/workload-identity/proxy:")
    assert [(pt.container_port, pt.protocol) for pt in proxy.ports] == [(want, "TCP")]
    assert f"--proxy-port={want}" in proxy.args
    assert proxy.restart_policy is None  # a 1.30 API server: no native sidecar
    assert env(proxy)["AZURE_CLIENT_ID"] == CLIENT_ID  # every container is mutated, the proxy included

    lab.settle()
    log = k.core.read_namespaced_pod_log("legacy", ns, container="azwi-proxy")
    assert '"msg"="starting the proxy server"' in log and f'"port"={want} ' in log


def test_proxy_with_host_network_is_rejected(lab: Lab, k: Clients) -> None:
    ns = setup_namespace(k, lab)
    body = labelled("host", {"azure.workload.identity/inject-proxy-sidecar": "true"}, hostNetwork=True)
    status, reply = status_of(lambda: k.core.create_namespaced_pod(ns, body))
    assert (status, reply["reason"]) == (400, "BadRequest")
    assert reply["message"] == (
        'admission webhook "mutation.azure-workload-identity.io" denied the request: '
        "hostNetwork is set to true, cannot inject proxy sidecar"
    )
    assert k.core.list_namespaced_pod(ns).items == []
    # hostNetwork alone is fine: only the proxy needs the pod's own network namespace
    ok = k.core.create_namespaced_pod(ns, labelled("host", hostNetwork=True))
    assert env(ok.spec.containers[0])["AZURE_CLIENT_ID"] == CLIENT_ID
    status, reply = status_of(
        lambda: k.core.create_namespaced_pod(
            ns,
            labelled(
                "badport",
                {
                    "azure.workload.identity/inject-proxy-sidecar": "true",
                    "azure.workload.identity/proxy-sidecar-port": "x",
                },
            ),
        )
    )
    assert status == 400 and reply["message"].endswith(
        'failed to parse proxy sidecar port: strconv.ParseInt: parsing "x": invalid syntax'
    )


# --------------------------------------------------------------------------------------------------
# Which pods are mutated


def test_skip_containers_and_unlabelled_pods(lab: Lab, k: Clients) -> None:
    ns = setup_namespace(k, lab)
    containers = [
        {"name": "app", "image": "registry.example/app:1"},
        {"name": "istio-proxy", "image": "istio/proxyv2:1"},
        {"name": "logger", "image": "fluent/fluent-bit:3"},
    ]
    skipped = k.core.create_namespaced_pod(
        ns,
        labelled("skip", {"azure.workload.identity/skip-containers": "istio-proxy; logger"}, containers=containers),
    )
    by_name = {c.name: c for c in skipped.spec.containers}
    assert set(env(by_name["app"])) == set(AZURE_ENV)
    volume = token_volume(skipped)
    for name in ("istio-proxy", "logger"):
        assert not set(env(by_name[name])) & set(AZURE_ENV)
        assert volume.name not in [m.name for m in by_name[name].volume_mounts or []]
    assert volume.name in [m.name for m in by_name["app"].volume_mounts]

    assert_untouched(k.core.create_namespaced_pod(ns, pod("plain")))
    assert_untouched(k.core.create_namespaced_pod(ns, pod("off", {USE: "false"})))
    assert_untouched(k.core.create_namespaced_pod(ns, pod("sa-only", {"app": "x"})))  # the SA annotation alone
    # labelled, but the SA has no client-id: the pod is mutated without AZURE_CLIENT_ID
    k.core.create_namespaced_service_account(ns, {"metadata": {"name": "bare"}})
    no_id = k.core.create_namespaced_pod(ns, labelled("no-id", serviceAccountName="bare"))
    assert set(env(no_id.spec.containers[0])) == set(AZURE_ENV) - {"AZURE_CLIENT_ID"}


def test_existing_pods_are_not_mutated_until_recreated(lab: Lab, k: Clients) -> None:
    ns = setup_namespace(k, lab)
    labels = {"app": "web"}
    k.apps.create_namespaced_deployment(
        ns,
        {
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": pod("x")["spec"]},
            },
        },
    )
    lab.settle()
    before = k.core.list_namespaced_pod(ns).items
    assert len(before) == 2
    for p in before:
        assert_untouched(p)

    # labelling a running pod changes nothing: the webhook sees CREATE only
    relabelled = k.core.patch_namespaced_pod(before[0].metadata.name, ns, {"metadata": {"labels": {USE: "true"}}})
    assert relabelled.metadata.labels[USE] == "true"
    assert_untouched(relabelled)

    # labelling the template rolls the Deployment: the new pods are created, hence mutated
    k.apps.patch_namespaced_deployment("web", ns, {"spec": {"template": {"metadata": {"labels": {USE: "true"}}}}})
    lab.settle()
    after = k.core.list_namespaced_pod(ns, label_selector="app=web").items
    assert len(after) == 2
    assert not {p.metadata.uid for p in before} & {p.metadata.uid for p in after}
    for p in after:
        assert env(p.spec.containers[0])["AZURE_CLIENT_ID"] == CLIENT_ID and token_volume(p) is not None


# --------------------------------------------------------------------------------------------------
# Installed, uninstalled, unavailable


def test_webhook_configuration_and_uninstall(lab: Lab, k: Clients) -> None:
    ns = setup_namespace(k, lab)
    [hook] = k.admission.read_mutating_webhook_configuration("azure-wi-webhook-mutating-webhook-configuration").webhooks
    assert hook.name == "mutation.azure-workload-identity.io"
    assert hook.failure_policy == "Fail" and hook.object_selector.match_labels == {USE: "true"}
    assert [(r.operations, r.resources) for r in hook.rules] == [(["CREATE"], ["pods"])]

    lab.kube.uninstall_webhook()
    status, _ = status_of(
        lambda: k.admission.read_mutating_webhook_configuration("azure-wi-webhook-mutating-webhook-configuration")
    )
    assert status == 404
    assert_untouched(k.core.create_namespaced_pod(ns, labelled("while-gone")))

    lab.kube.install_webhook()
    lab.settle()
    back = k.core.create_namespaced_pod(ns, labelled("after"))
    assert env(back.spec.containers[0])["AZURE_CLIENT_ID"] == CLIENT_ID
    assert_untouched(k.core.read_namespaced_pod("while-gone", ns))  # nothing retroactive


def test_webhook_without_endpoints_fails_labelled_pods(lab: Lab, k: Clients) -> None:
    ns = setup_namespace(k, lab)
    k.apps.patch_namespaced_deployment_scale(WEBHOOK[1], WEBHOOK[0], {"spec": {"replicas": 0}})
    lab.settle()
    assert not k.apps.read_namespaced_deployment(WEBHOOK[1], WEBHOOK[0]).status.available_replicas

    status, body = status_of(lambda: k.core.create_namespaced_pod(ns, labelled("web")))
    assert (status, body["reason"], body["code"]) == (500, "InternalError", 500)
    assert body["message"].startswith(
        'Internal error occurred: failed calling webhook "mutation.azure-workload-identity.io": failed to call webhook'
    )
    assert "no endpoints available for service" in body["message"]
    assert_untouched(k.core.create_namespaced_pod(ns, pod("unlabelled")))  # the objectSelector spares these

    labels = {"app": "api", USE: "true"}
    k.apps.create_namespaced_deployment(
        ns,
        {
            "metadata": {"name": "api"},
            "spec": {
                "selector": {"matchLabels": {"app": "api"}},
                "template": {"metadata": {"labels": labels}, "spec": pod("x")["spec"]},
            },
        },
    )
    lab.settle()
    assert k.core.list_namespaced_pod(ns, label_selector="app=api").items == []
    [rs] = k.apps.list_namespaced_replica_set(ns, label_selector="app=api").items
    [event] = k.core.list_namespaced_event(
        ns, field_selector=f"involvedObject.name={rs.metadata.name},reason=FailedCreate"
    ).items
    assert event.type == "Warning" and event.message.startswith(
        'Error creating: Internal error occurred: failed calling webhook "mutation.azure-workload-identity.io"'
    )

    # endpoints back: the ReplicaSet's retry gets through, mutated
    k.apps.patch_namespaced_deployment_scale(WEBHOOK[1], WEBHOOK[0], {"spec": {"replicas": 2}})
    lab.settle()
    [p] = k.core.list_namespaced_pod(ns, label_selector="app=api").items
    assert env(p.spec.containers[0])["AZURE_CLIENT_ID"] == CLIENT_ID and p.status.phase == "Running"

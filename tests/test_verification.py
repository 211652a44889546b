"""verify_workload over observations shaped like the API server's answers: a correct workload passes in
label and sidecar mode (webhook v1.5 and v1.6 layouts), and each way of getting it wrong fails its own
check with its own cause, while checks an earlier failure already explains are skipped."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from migrator.core.model import ExistingCredential
from migrator.core.plan import (
    AUDIENCE,
    CLIENT_ID_ANNOTATION,
    INJECT_SIDECAR_ANNOTATION,
    PROXY_PORT_ANNOTATION,
    USE_LABEL,
    PlannedWorkload,
)
from migrator.core.verification import (
    CHECKS,
    CLIENT_ID,
    CREDENTIAL,
    FAIL,
    PASS,
    POD_LABEL,
    ROLLOUT,
    SERVICE_ACCOUNT,
    SIDECAR,
    SIGNATURES,
    SKIP,
    TOKEN_EXCHANGE,
    WEBHOOK,
    Check,
    LogLine,
    TokenExchange,
    WorkloadObservation,
    WorkloadVerdict,
    verify_workload,
)
from migrator.lab.kube import webhook as lab_webhook

NS, NAME, SA = "shop", "web", "web-sa"
CLIENT = "6f1c2e34-1b7a-4c1e-9a55-0d3f2a9b8c71"
OTHER_CLIENT = "0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
ISSUER = "https://eastus.oic.prod-aks.azure.com/72f988bf-86f1-41af-91ab-2d7cd011db47/1c2d3e4f-aaaa-bbbb-cccc-0123/"
RID = (
    "/subscriptions/0000-sub/resourceGroups/rg-identities/providers/Microsoft.ManagedIdentity/"
    "userAssignedIdentities/id-web"
)
SUBJECT = f"system:serviceaccount:{NS}:{SA}"
AUTHORITY = "https://login.microsoftonline.com/"
WEBHOOK_INSTALLED = "2024-04-01T08:00:00Z"
POD_CREATED = "2024-05-02T09:30:00Z"
LAYOUTS = {
    "1.5": ("azure-identity-token", "/var/run/secrets/azure/tokens", "azure-identity-token"),
    "1.6": (
        "azure-workload-identity-reserved-5c1e0a9f3b7d2e8a4c6b0f1d3e5a7c9b2d4f6a8c0e",
        "/var/run/secrets/azure/wi",
        "token/azure-identity-token",
    ),
}


# -- objects as the API server returns them ---------------------------------------------------------
def planned(kind: str = "Deployment", mode: str = "label", **kw: Any) -> PlannedWorkload:
    values: dict[str, Any] = dict(
        kind=kind,
        apiVersion="apps/v1",
        namespace=NS,
        name=NAME,
        serviceAccountName=SA,
        previousServiceAccountName="default",
        mode=mode,
        clientID=CLIENT,
        proxyPort=8000 if mode == "sidecar" else None,
    )
    values.update(kw)
    return PlannedWorkload(**values)


def template(sidecar: bool = False) -> dict:
    annotations = {INJECT_SIDECAR_ANNOTATION: "true", PROXY_PORT_ANNOTATION: "8000"} if sidecar else {}
    return {
        "metadata": {"labels": {"app": NAME, USE_LABEL: "true"}, "annotations": annotations},
        "spec": {
            "serviceAccountName": SA,
            "containers": [
                {"name": "app", "image": "contoso.azurecr.io/web:1.4.2", "ports": [{"containerPort": 8080}]}
            ],
        },
    }


def deployment(replicas: int = 2, generation: int = 3, sidecar: bool = False) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": NAME, "namespace": NS, "generation": generation, "uid": "d-1"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": NAME}},
            "strategy": {"type": "RollingUpdate"},
            "template": template(sidecar),
        },
        "status": {
            "observedGeneration": generation,
            "replicas": replicas,
            "updatedReplicas": replicas,
            "readyReplicas": replicas,
            "availableReplicas": replicas,
            "conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
            ],
        },
    }


def statefulset(on_delete: bool = False, revision: str = "web-7c9f6d8b5") -> dict:
    strategy = {"type": "OnDelete"} if on_delete else {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": NAME, "namespace": NS, "generation": 2},
        "spec": {
            "replicas": 2,
            "serviceName": NAME,
            "selector": {"matchLabels": {"app": NAME}},
            "updateStrategy": strategy,
            "template": template(),
        },
        "status": {
            "observedGeneration": 2,
            "replicas": 2,
            "readyReplicas": 2,
            "currentReplicas": 2,
            "updatedReplicas": 2,
            "availableReplicas": 2,
            "currentRevision": revision,
            "updateRevision": revision,
        },
    }


def daemonset(on_delete: bool = False, updated: int = 3) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": NAME, "namespace": NS, "generation": 4},
        "spec": {
            "selector": {"matchLabels": {"app": NAME}},
            "updateStrategy": {"type": "OnDelete"} if on_delete else {"type": "RollingUpdate"},
            "template": template(),
        },
        "status": {
            "observedGeneration": 4,
            "desiredNumberScheduled": 3,
            "currentNumberScheduled": 3,
            "numberReady": 3,
            "updatedNumberScheduled": updated,
            "numberAvailable": 3,
        },
    }


def cronjob() -> dict:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": NAME, "namespace": NS, "generation": 2},
        "spec": {"schedule": "0 2 * * *", "jobTemplate": {"spec": {"template": template()}}},
        "status": {"lastScheduleTime": "2024-05-02T02:00:00Z"},
    }


def pod(
    name: str = "web-5d8f7c9b4-x2k9p",
    layout: str | None = "1.5",
    created: str = POD_CREATED,
    sidecar: bool = False,
    labelled: bool = True,
    account: str = SA,
    client: str | None = CLIENT,
) -> dict:
    """A running pod; with ``layout`` as the webhook (that version) mutated it."""
    spec = copy.deepcopy(template(sidecar)["spec"])
    spec["serviceAccountName"] = account
    spec["serviceAccount"] = account
    spec["nodeName"] = "aks-nodepool1-12345678-vmss000000"
    app = spec["containers"][0]
    app["volumeMounts"] = [
        {
            "name": "kube-api-access-7xq2z",
            "readOnly": True,
            "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
        }
    ]
    spec["volumes"] = [{"name": "kube-api-access-7xq2z", "projected": {"sources": [{"serviceAccountToken": {}}]}}]
    labels = {"app": NAME, "pod-template-hash": "5d8f7c9b4"}
    if labelled:
        labels[USE_LABEL] = "true"
    if layout is not None:
        volume, mount, path = LAYOUTS[layout]
        if sidecar:
            spec["initContainers"] = [{"name": "azwi-proxy-init", "env": [{"name": "PROXY_PORT", "value": "8000"}]}]
            spec["containers"].insert(0, {"name": "azwi-proxy", "args": ["--proxy-port=8000", "--log-level=info"]})
        for container in spec["containers"]:
            env = [{"name": "AZURE_CLIENT_ID", "value": client}] if client else []
            env += [
                {"name": "AZURE_TENANT_ID", "value": TENANT},
                {"name": "AZURE_FEDERATED_TOKEN_FILE", "value": f"{mount}/{path}"},
                {"name": "AZURE_AUTHORITY_HOST", "value": AUTHORITY},
            ]
            container["env"] = list(container.get("env") or []) + env
            container["volumeMounts"] = list(container.get("volumeMounts") or []) + [
                {"name": volume, "readOnly": True, "mountPath": mount}
            ]
        spec["volumes"].append(
            {
                "name": volume,
                "projected": {
                    "sources": [
                        {"serviceAccountToken": {"audience": AUDIENCE, "expirationSeconds": 3600, "path": path}}
                    ],
                    "defaultMode": 420,
                },
            }
        )
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": NS,
            "labels": labels,
            "creationTimestamp": created,
            "ownerReferences": [{"kind": "ReplicaSet", "name": "web-5d8f7c9b4", "controller": True}],
        },
        "spec": spec,
        "status": {"phase": "Running"},
    }


def service_account(client: str | None = CLIENT) -> dict:
    annotations = {CLIENT_ID_ANNOTATION: client} if client is not None else {}
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": SA, "namespace": NS, "annotations": annotations},
    }


def webhook_configuration(created: str = WEBHOOK_INSTALLED) -> dict:
    configuration = lab_webhook.configuration()
    configuration["metadata"]["creationTimestamp"] = created
    return configuration


def credential(name: str = "shop-web-sa", issuer: str = ISSUER, subject: str = SUBJECT, audiences: Any = None) -> Any:
    return ExistingCredential(name, issuer, subject, [AUDIENCE] if audiences is None else audiences)


def observe(**kw: Any) -> WorkloadObservation:
    values: dict[str, Any] = dict(
        planned=planned(),
        current=deployment(),
        pods=[pod("web-5d8f7c9b4-x2k9p"), pod("web-5d8f7c9b4-q8w7e")],
        service_account=service_account(),
        webhook=webhook_configuration(),
        issuer=ISSUER,
        identity_resource_id=RID,
        credentials=[credential()],
        token=TokenExchange(True, f"{NS}/{SA}", CLIENT),
        lines=[LogLine("pod/web-5d8f7c9b4-x2k9p/app", "INFO listening on :8080")],
    )
    values.update(kw)
    return WorkloadObservation(**values)


def check(verdict: WorkloadVerdict, name: str) -> Check:
    return next(c for c in verdict.checks if c.name == name)


def failed(obs: WorkloadObservation, name: str, cause: str) -> Check:
    c = check(verify_workload(obs), name)
    assert (c.status, c.cause) == (FAIL, cause), c
    assert c.fix and c.detail
    return c


def statuses(verdict: WorkloadVerdict) -> dict[str, str]:
    return {c.name: c.status for c in verdict.checks}


# -- passing workloads ------------------------------------------------------------------------------
@pytest.mark.parametrize("layout", ["1.5", "1.6"])
def test_a_migrated_label_mode_workload_passes(layout: str) -> None:
    obs = observe(pods=[pod("web-a", layout), pod("web-b", layout)])
    verdict = verify_workload(obs)
    assert verdict.passed, verdict.failed
    assert [c.name for c in verdict.checks] == list(CHECKS)
    assert statuses(verdict) == {**dict.fromkeys(CHECKS, PASS), SIDECAR: SKIP}
    assert (verdict.ref, verdict.key, verdict.mode, verdict.generation) == (
        f"{NS}/Deployment/{NAME}",
        f"workload:{NS}/Deployment/{NAME}",
        "label",
        3,
    )
    assert LAYOUTS[layout][1] in check(verdict, WEBHOOK).detail
    assert "Entra issued a token" in check(verdict, TOKEN_EXCHANGE).detail
    assert verdict.to_dict()["passed"] is True


@pytest.mark.parametrize("layout", ["1.5", "1.6"])
def test_a_migrated_sidecar_mode_workload_passes(layout: str) -> None:
    obs = observe(
        planned=planned(mode="sidecar"),
        current=deployment(sidecar=True),
        pods=[pod("web-a", layout, sidecar=True)],
    )
    verdict = verify_workload(obs)
    assert verdict.passed, verdict.failed
    assert check(verdict, SIDECAR).status == PASS and "port 8000" in check(verdict, SIDECAR).detail


@pytest.mark.parametrize("version", ["1.5", "1.6"])
def test_pods_as_the_lab_webhook_mutates_them_pass(version: str) -> None:
    """The lab's emulation of the webhook and these checks agree on both token layouts."""
    pods = []
    for name in ("web-a", "web-b"):
        raw = {"metadata": {"name": name, "labels": {USE_LABEL: "true"}, "creationTimestamp": POD_CREATED}}
        raw["spec"] = copy.deepcopy(template()["spec"])
        pods.append(
            lab_webhook.mutate(
                raw,
                service_account(),
                layout=lab_webhook.Layout(version),
                tenant_id=TENANT,
                authority_host=AUTHORITY,
            )
        )
    verdict = verify_workload(observe(pods=pods))
    assert check(verdict, WEBHOOK).status == PASS, check(verdict, WEBHOOK)


def test_the_skip_paths() -> None:
    obs = observe(identity_resource_id=None, token=None, planned=planned(), pods=[])
    verdict = verify_workload(obs)
    assert verdict.passed
    assert "az ad app federated-credential list --id " + CLIENT in check(verdict, CREDENTIAL).detail
    assert check(verdict, CREDENTIAL).status == SKIP
    assert check(verdict, TOKEN_EXCHANGE).status == SKIP and "--token-exchange" in check(verdict, TOKEN_EXCHANGE).detail
    assert check(verdict, POD_LABEL).detail == "no pods now; the template carries the label"
    not_read = verify_workload(observe(credentials=None))
    assert check(not_read, CREDENTIAL).status == SKIP and "Azure not consulted" in check(not_read, CREDENTIAL).detail
    no_issuer = verify_workload(observe(issuer=None))
    assert check(no_issuer, CREDENTIAL).status == SKIP


# -- rollout ----------------------------------------------------------------------------------------
def test_a_missing_workload_fails_once_and_skips_what_depends_on_it() -> None:
    verdict = verify_workload(observe(current=None, pods=[]))
    assert check(verdict, ROLLOUT).cause == "workload-missing"
    assert {c.name for c in verdict.checks if c.status == SKIP} >= {POD_LABEL, SERVICE_ACCOUNT, WEBHOOK, SIDECAR}
    assert [c.name for c in verdict.failed] == [ROLLOUT]
    assert verdict.generation is None and verdict.key == f"workload:{NS}/Deployment/{NAME}"


def test_a_paused_deployment() -> None:
    current = deployment()
    current["spec"]["paused"] = True
    c = failed(observe(current=current), ROLLOUT, "rollout-paused")
    assert c.fix == f"kubectl rollout resume deployment/{NAME} -n {NS}"


@pytest.mark.parametrize(
    "status, seen",
    [
        ({"observedGeneration": 2}, "observedGeneration 2"),
        ({"updatedReplicas": 1}, "1 of 2 replica(s) updated"),
        ({"replicas": 3}, "1 old replica(s) still running"),
        ({"availableReplicas": 1}, "1 of 2 available"),
    ],
)
def test_a_deployment_still_rolling_out(status: dict, seen: str) -> None:
    current = deployment()
    current["status"].update(status)
    c = failed(observe(current=current), ROLLOUT, "rollout-in-progress")
    assert seen in c.detail and f"kubectl rollout status deployment/{NAME} -n {NS}" in c.fix


def test_a_deployment_scaled_to_zero_passes_without_pods() -> None:
    current = deployment(replicas=0)
    for key in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas"):
        del current["status"][key]  # the controller drops zero counts
    verdict = verify_workload(observe(current=current, pods=[]))
    assert verdict.passed, verdict.failed


def test_statefulset_rolling_update() -> None:
    current = statefulset()
    pods = [pod(f"web-{i}") for i in range(2)]
    for p in pods:
        p["metadata"]["labels"]["controller-revision-hash"] = "web-7c9f6d8b5"
    assert verify_workload(observe(planned=planned("StatefulSet"), current=current, pods=pods)).passed
    current["status"].update(updateRevision="web-8d0a7e9c6", updatedReplicas=1)
    c = failed(observe(planned=planned("StatefulSet"), current=current, pods=pods), ROLLOUT, "rollout-in-progress")
    assert "currentRevision web-7c9f6d8b5 is not updateRevision web-8d0a7e9c6" in c.detail
    current["spec"]["updateStrategy"]["rollingUpdate"]["partition"] = 1
    c = failed(observe(planned=planned("StatefulSet"), current=current, pods=pods), ROLLOUT, "rollout-partitioned")
    assert '"partition":0' in c.fix


def test_statefulset_on_delete_names_the_pods_to_delete() -> None:
    current = statefulset(on_delete=True, revision="web-8d0a7e9c6")
    current["status"]["currentRevision"] = "web-7c9f6d8b5"  # OnDelete never advances it
    pods = [pod("web-0"), pod("web-1")]
    pods[0]["metadata"]["labels"]["controller-revision-hash"] = "web-8d0a7e9c6"
    pods[1]["metadata"]["labels"]["controller-revision-hash"] = "web-7c9f6d8b5"
    c = failed(observe(planned=planned("StatefulSet"), current=current, pods=pods), ROLLOUT, "pods-not-restarted")
    assert c.fix.startswith(f"kubectl delete pod web-1 -n {NS}")
    pods[1]["metadata"]["labels"]["controller-revision-hash"] = "web-8d0a7e9c6"
    assert verify_workload(observe(planned=planned("StatefulSet"), current=current, pods=pods)).passed


def test_daemonset() -> None:
    pods = [pod(f"web-{n}") for n in "abc"]
    for p in pods:
        p["metadata"]["labels"]["pod-template-generation"] = "4"
    assert verify_workload(observe(planned=planned("DaemonSet"), current=daemonset(), pods=pods)).passed
    failed(
        observe(planned=planned("DaemonSet"), current=daemonset(updated=2), pods=pods), ROLLOUT, "rollout-in-progress"
    )
    pods[2]["metadata"]["labels"]["pod-template-generation"] = "3"
    c = failed(
        observe(planned=planned("DaemonSet"), current=daemonset(on_delete=True, updated=2), pods=pods),
        ROLLOUT,
        "pods-not-restarted",
    )
    assert c.fix.startswith(f"kubectl delete pod web-c -n {NS}")


def test_a_cronjob_skips_the_rollout_and_reads_its_job_template() -> None:
    verdict = verify_workload(observe(planned=planned("CronJob", apiVersion="batch/v1"), current=cronjob(), pods=[]))
    assert check(verdict, ROLLOUT).status == SKIP and "next Job" in check(verdict, ROLLOUT).detail
    assert verdict.passed, verdict.failed
    current = cronjob()
    del current["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"][USE_LABEL]
    c = failed(observe(planned=planned("CronJob"), current=current, pods=[]), POD_LABEL, "missing-label")
    assert '{"spec":{"jobTemplate":{"spec":{"template":{"metadata":{"labels"' in c.fix


def test_a_replicaset_does_not_roll_its_pods() -> None:
    current = deployment()
    current["kind"] = "ReplicaSet"
    old = pod("web-old", layout=None, labelled=False)
    verdict = verify_workload(observe(planned=planned("ReplicaSet"), current=current, pods=[pod("web-new"), old]))
    assert check(verdict, ROLLOUT).status == PASS
    c = check(verdict, POD_LABEL)
    assert c.cause == "pods-not-restarted" and c.fix.startswith(f"kubectl delete pod web-old -n {NS}")


# -- pod-label --------------------------------------------------------------------------------------
def test_missing_label() -> None:
    current = deployment()
    del current["spec"]["template"]["metadata"]["labels"][USE_LABEL]
    obs = observe(current=current, pods=[pod("web-a", None, labelled=False)])
    c = failed(obs, POD_LABEL, "missing-label")
    assert c.fix.startswith(
        f"kubectl patch deployment/{NAME} -n {NS} --type merge "
        f'-p \'{{"spec":{{"template":{{"metadata":{{"labels":{{"{USE_LABEL}":"true"}}}}}}}}}}\''
    )
    verdict = verify_workload(obs)
    assert check(verdict, WEBHOOK).status == SKIP  # unlabelled pods are pod-label's to explain
    assert check(verdict, SIDECAR).status == SKIP


def test_label_with_another_value() -> None:
    current = deployment()
    current["spec"]["template"]["metadata"]["labels"][USE_LABEL] = "True"
    c = failed(observe(current=current), POD_LABEL, "label-value")
    assert "'True'" in c.detail


def test_pods_from_before_the_label() -> None:
    obs = observe(pods=[pod("web-a"), pod("web-old", layout=None, labelled=False)])
    c = failed(obs, POD_LABEL, "pods-not-restarted")
    assert "web-old" in c.detail and "web-a" not in c.detail
    assert c.fix == f"kubectl rollout restart deployment/{NAME} -n {NS}"


# -- service-account --------------------------------------------------------------------------------
def test_wrong_service_account() -> None:
    current = deployment()
    del current["spec"]["template"]["spec"]["serviceAccountName"]  # absent means "default"
    c = failed(observe(current=current), SERVICE_ACCOUNT, "wrong-service-account")
    assert "'default'" in c.detail and SUBJECT in c.detail and f'"serviceAccountName":"{SA}"' in c.fix
    current["spec"]["template"]["spec"]["serviceAccount"] = "legacy"  # the deprecated field counts too
    c = failed(observe(current=current), SERVICE_ACCOUNT, "wrong-service-account")
    assert "'legacy'" in c.detail and f'"serviceAccount":"{SA}"' in c.fix


def test_pods_running_the_old_service_account() -> None:
    c = failed(observe(pods=[pod("web-a"), pod("web-b", account="default")]), SERVICE_ACCOUNT, "pods-not-restarted")
    assert "web-b as 'default'" in c.detail and "rollout restart" in c.fix


# -- client-id --------------------------------------------------------------------------------------
def test_service_account_missing() -> None:
    c = failed(observe(service_account=None), CLIENT_ID, "service-account-missing")
    assert f"kubectl create serviceaccount {SA} -n {NS}" in c.fix


def test_service_account_without_client_id() -> None:
    c = failed(observe(service_account=service_account(client=None)), CLIENT_ID, "sa-without-client-id")
    assert c.fix == (
        f"kubectl annotate serviceaccount {SA} -n {NS} {CLIENT_ID_ANNOTATION}={CLIENT}, "
        f"then kubectl rollout restart deployment/{NAME} -n {NS}"
    )
    failed(observe(service_account=service_account(client="")), CLIENT_ID, "sa-without-client-id")


def test_service_account_with_another_client_id() -> None:
    obs = observe(service_account=service_account(OTHER_CLIENT), pods=[pod("web-a", client=OTHER_CLIENT)])
    c = failed(obs, CLIENT_ID, "client-id-mismatch")
    assert OTHER_CLIENT in c.detail and CLIENT in c.detail and "--overwrite" in c.fix


# -- webhook ----------------------------------------------------------------------------------------
def test_webhook_not_installed() -> None:
    c = failed(observe(webhook=None, pods=[pod("web-a", layout=None)]), WEBHOOK, "webhook-not-installed")
    assert c.fix.startswith("az aks update -g <resource-group> -n <cluster> --enable-workload-identity")
    verdict = verify_workload(observe(webhook=None, pods=[pod("web-a", layout=None)]))
    assert check(verdict, SIDECAR).status == SKIP


def test_pods_created_before_the_webhook() -> None:
    obs = observe(pods=[pod("web-a", layout=None, created="2024-03-30T12:00:00Z")])
    c = failed(obs, WEBHOOK, "pods-not-restarted")
    assert "web-a" in c.detail and WEBHOOK_INSTALLED in c.detail
    assert c.fix == f"kubectl rollout restart deployment/{NAME} -n {NS}"


def test_labelled_pod_not_mutated_after_the_webhook() -> None:
    c = failed(observe(pods=[pod("web-a", layout=None)]), WEBHOOK, "not-mutated")
    assert "objectSelector" in c.detail and USE_LABEL in c.detail
    assert "mutatingwebhookconfiguration" in c.fix and "rollout restart" in c.fix


def _v16_env_with_v15_volume() -> dict:
    p = pod("web-a", "1.5")
    p["spec"]["containers"][0]["env"][2]["value"] = "/var/run/secrets/azure/wi/token/azure-identity-token"
    return p


def _no_mount() -> dict:
    p = pod("web-a", "1.6")
    p["spec"]["containers"][0]["volumeMounts"] = p["spec"]["containers"][0]["volumeMounts"][:1]
    return p


def _wrong_audience() -> dict:
    p = pod("web-a", "1.6")
    p["spec"]["volumes"][-1]["projected"]["sources"][0]["serviceAccountToken"]["audience"] = "api://other"
    return p


def _not_projected() -> dict:
    p = pod("web-a", "1.5")
    p["spec"]["volumes"][-1] = {"name": "azure-identity-token", "emptyDir": {}}
    return p


@pytest.mark.parametrize(
    "make, seen",
    [
        (_v16_env_with_v15_volume, "no volume mount contains"),
        (_no_mount, "no volume mount contains"),
        (_wrong_audience, "'api://other'"),
        (_not_projected, "not a projected service-account token"),
    ],
)
def test_token_volume_missing(make: Any, seen: str) -> None:
    c = failed(observe(pods=[make()]), WEBHOOK, "token-volume-missing")
    assert seen in c.detail and "web-a" in c.detail


def test_the_token_file_may_be_inside_a_sub_path_mount() -> None:
    p = pod("web-a", "1.6")
    mount = p["spec"]["containers"][0]["volumeMounts"][-1]
    mount.update(mountPath="/var/run/secrets/azure/wi/token", subPath="token")
    assert check(verify_workload(observe(pods=[p])), WEBHOOK).status == PASS


def test_client_id_added_to_the_service_account_after_the_pod() -> None:
    c = failed(observe(pods=[pod("web-a", client=None)]), WEBHOOK, "pods-not-restarted")
    assert "AZURE_CLIENT_ID" in c.detail and "after the pod was created" in c.detail


def test_no_client_id_anywhere_is_the_client_id_check_s_failure() -> None:
    verdict = verify_workload(observe(service_account=service_account(None), pods=[pod("web-a", client=None)]))
    assert check(verdict, CLIENT_ID).cause == "sa-without-client-id"
    assert check(verdict, WEBHOOK).status == PASS and "see client-id" in check(verdict, WEBHOOK).detail


def test_client_id_from_the_container_s_own_env() -> None:
    current = deployment()
    current["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "AZURE_CLIENT_ID", "value": OTHER_CLIENT}]
    p = pod("web-a")
    p["spec"]["containers"][0]["env"][0]["value"] = OTHER_CLIENT
    c = failed(observe(current=current, pods=[p]), WEBHOOK, "container-sets-client-id")
    assert OTHER_CLIENT in c.detail and "keeps" in c.detail


def test_client_id_changed_on_the_service_account_since_the_pod() -> None:
    c = failed(observe(pods=[pod("web-a", client=OTHER_CLIENT)]), WEBHOOK, "pods-not-restarted")
    assert OTHER_CLIENT in c.detail and CLIENT in c.detail


def test_skipped_containers_are_not_inspected() -> None:
    p = pod("web-a")
    p["metadata"]["annotations"] = {"azure.workload.identity/skip-containers": "istio-proxy;log-shipper"}
    p["spec"]["containers"].append({"name": "istio-proxy", "image": "istio/proxyv2:1.20"})
    assert check(verify_workload(observe(pods=[p])), WEBHOOK).status == PASS
    p["metadata"]["annotations"] = {}
    check_ = check(verify_workload(observe(pods=[p])), WEBHOOK)
    assert check_.status == FAIL and "istio-proxy" in check_.detail


def test_the_most_basic_webhook_cause_is_reported() -> None:
    """A pod the webhook did not touch hides nothing behind the restart another pod needs."""
    obs = observe(pods=[pod("web-a", client=OTHER_CLIENT), pod("web-b", layout=None)])
    c = failed(obs, WEBHOOK, "not-mutated")
    assert "web-b" in c.detail


# -- sidecar ----------------------------------------------------------------------------------------
def test_sidecar_annotation_missing() -> None:
    obs = observe(planned=planned(mode="sidecar", proxyPort=9000), current=deployment(), pods=[pod("web-a")])
    c = failed(obs, SIDECAR, "missing-sidecar-annotation")
    assert f'"{INJECT_SIDECAR_ANNOTATION}":"true"' in c.fix and f'"{PROXY_PORT_ANNOTATION}":"9000"' in c.fix


def test_sidecar_pods_from_before_the_annotation() -> None:
    obs = observe(planned=planned(mode="sidecar"), current=deployment(sidecar=True), pods=[pod("web-a")])
    c = failed(obs, SIDECAR, "pods-not-restarted")
    assert "azwi-proxy" in c.detail and "rollout restart" in c.fix


def test_sidecar_with_host_network() -> None:
    current = deployment(sidecar=True)
    current["spec"]["template"]["spec"]["hostNetwork"] = True
    failed(observe(planned=planned(mode="sidecar"), current=current, pods=[]), SIDECAR, "proxy-host-network")


def test_label_mode_notes_a_sidecar_still_running() -> None:
    verdict = verify_workload(observe(pods=[pod("web-a", sidecar=True)]))
    c = check(verdict, SIDECAR)
    assert c.status == PASS and "still run the azwi-proxy sidecar" in c.detail and "web-a" in c.detail


# -- credential -------------------------------------------------------------------------------------
def test_credentials_unreadable() -> None:
    error = "(AuthorizationFailed) The client does not have authorization to perform action ... read"
    c = failed(observe(credentials=None, credentials_error=error), CREDENTIAL, "credentials-unreadable")
    assert error in c.detail


@pytest.mark.parametrize(
    "existing, cause",
    [
        (credential(issuer=ISSUER.rstrip("/")), "issuer-trailing-slash"),
        (credential(issuer="https://westeurope.oic.prod-aks.azure.com/t/other/"), "issuer-mismatch"),
        (credential(subject=f"system:serviceaccount:default:{SA}"), "subject-namespace"),
        (credential(subject=f"system:serviceaccount:{NS}:default"), "subject-service-account"),
        (credential(audiences=["api://AzureADTokenExchange/"]), "audience"),
        (credential(subject="system:serviceaccount:other:thing"), "credential-missing"),
    ],
)
def test_credential_near_misses(existing: ExistingCredential, cause: str) -> None:
    c = failed(observe(credentials=[existing]), CREDENTIAL, cause)
    assert existing.name in c.detail or cause == "credential-missing"
    assert "--identity-name id-web --resource-group rg-identities" in c.fix


def test_trailing_slash_shows_both_issuers_and_updates_the_credential() -> None:
    c = failed(observe(credentials=[credential(issuer=ISSUER.rstrip("/"))]), CREDENTIAL, "issuer-trailing-slash")
    assert repr(ISSUER) in c.detail and repr(ISSUER.rstrip("/")) in c.detail
    assert c.fix.startswith("az identity federated-credential update --name shop-web-sa ")
    assert f"--issuer {ISSUER} " in c.fix


def test_missing_credential_fix_creates_one_under_a_free_name() -> None:
    taken = credential(name="shop-web-sa", subject="system:serviceaccount:other:thing")
    c = failed(observe(credentials=[taken]), CREDENTIAL, "credential-missing")
    assert "wimigrate apply --only federate" in c.fix
    assert "az identity federated-credential create --name shop-web-sa-" in c.fix  # not the taken name
    assert f"--issuer {ISSUER} --subject {SUBJECT} --audiences {AUDIENCE}" in c.fix
    c = failed(observe(credentials=[]), CREDENTIAL, "credential-missing")
    assert "--name shop-web-sa " in c.fix


def test_an_exact_credential_passes_among_others() -> None:
    others = [credential("old", issuer=ISSUER.rstrip("/")), credential("good")]
    c = check(verify_workload(observe(credentials=others)), CREDENTIAL)
    assert c.status == PASS and "'good'" in c.detail


# -- token exchange ---------------------------------------------------------------------------------
def test_token_exchange_refused() -> None:
    message = (
        "AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: "
        f"'{ISSUER}'. Assertion Subject: 'system:serviceaccount:{NS}:default'. Assertion Audience: '{AUDIENCE}'."
    )
    token = TokenExchange(False, f"{NS}/default", CLIENT, "AADSTS70021", message)
    c = failed(observe(token=token), TOKEN_EXCHANGE, "AADSTS70021")
    assert f"system:serviceaccount:{NS}:default" in c.detail and "trailing slash" in c.detail
    assert "wait and retry" in c.fix


def test_token_exchange_error_without_a_code() -> None:
    token = TokenExchange(False, f"{NS}/{SA}", CLIENT, None, "no connection to Entra")
    c = failed(observe(token=token), TOKEN_EXCHANGE, "token-exchange-error")
    assert "no connection to Entra" in c.detail


# -- logs and events --------------------------------------------------------------------------------
def test_a_failure_signature_fails_the_last_check() -> None:
    lines = [
        LogLine("pod/web-a/app", "INFO starting"),
        LogLine("pod/web-a/app", "ERROR WorkloadIdentityCredential.get_token failed: AADSTS700024: Client assertion "),
    ]
    verdict = verify_workload(observe(lines=lines))
    c = check(verdict, SIGNATURES)
    assert (c.status, c.cause) == (FAIL, "AADSTS700024") and "again for every token request" in c.fix
    assert [h.signature for h in verdict.hits] == ["AADSTS700024"]
    assert verdict.to_dict()["signatures"][0]["where"] == "pod/web-a/app"


def test_success_signatures_do_not_fail() -> None:
    lines = [LogLine("pod/web-a/azwi-proxy", 'I0502 09:31:00 1 proxy.go:150] "successfully acquired token"')]
    c = check(verify_workload(observe(lines=lines)), SIGNATURES)
    assert c.status == PASS and "1 log and event line(s)" in c.detail


def test_a_rollout_stuck_on_refused_pods_says_why() -> None:
    current = deployment()
    current["status"].update(updatedReplicas=0, availableReplicas=2)
    event = (
        'FailedCreate: Error creating: admission webhook "mutation.azure-workload-identity.io" denied the request: '
        "hostNetwork is set to true, cannot inject proxy sidecar"
    )
    c = failed(
        observe(current=current, lines=[LogLine("event ReplicaSet/web-6b7c8d9e", event)]), ROLLOUT, "pods-rejected"
    )
    assert "webhook-denied-host-network" in c.detail and "hostNetwork" in c.fix

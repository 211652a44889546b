"""Real kubectl against the lab: discovery, server-side tables, -o json|yaml, describe, apply (with and
without validation), the three patch types, rollout restart/status, delete, custom resources, and
``create token`` (protobuf from kubectl >= 1.32)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config

from migrator.lab.crypto import verify
from migrator.lab.lab import Lab

SDK_BIN = Path("/usr/lib/google-cloud-sdk/bin")


def _kubectl() -> str | None:
    pinned = SDK_BIN / "kubectl.1.30"
    return str(pinned) if pinned.exists() else shutil.which("kubectl")


KUBECTL = _kubectl()
KUBECTL_133 = SDK_BIN / "kubectl.1.33"
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="no kubectl binary")

Run = Callable[..., subprocess.CompletedProcess]
NS = "shop"


@pytest.fixture
def kubectl(lab: Lab, tmp_path: Path) -> Run:
    """``kubectl(*args, check=True, binary=KUBECTL)``: a fresh discovery cache per test, and a timeout."""

    def run(*args: str, check: bool = True, binary: str | None = None) -> subprocess.CompletedProcess:
        cmd = [binary or KUBECTL, "--kubeconfig", str(lab.kubeconfig), "--cache-dir", str(tmp_path / "cache"), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=90, check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done

    return run


@pytest.fixture
def seeded(lab: Lab) -> client.ApiClient:
    """Namespace ``shop`` with ServiceAccount ``web-sa``, an AzureIdentity and its binding, and Deployment ``x``."""
    api = config.new_client_from_config(str(lab.kubeconfig))
    core, apps, custom = client.CoreV1Api(api), client.AppsV1Api(api), client.CustomObjectsApi(api)
    core.create_namespace({"metadata": {"name": NS}})
    core.create_namespaced_service_account(NS, {"metadata": {"name": "web-sa"}})
    group = "aadpodidentity.k8s.io"
    custom.create_namespaced_custom_object(
        group,
        "v1",
        NS,
        "azureidentities",
        {
            "apiVersion": f"{group}/v1",
            "kind": "AzureIdentity",
            "metadata": {"name": "web-id"},
            "spec": {"type": 0, "resourceID": "/subscriptions/s/rg/id", "clientID": "c-1"},
        },
    )
    custom.create_namespaced_custom_object(
        group,
        "v1",
        NS,
        "azureidentitybindings",
        {
            "apiVersion": f"{group}/v1",
            "kind": "AzureIdentityBinding",
            "metadata": {"name": "web-binding"},
            "spec": {"azureIdentity": "web-id", "selector": "web"},
        },
    )
    labels = {"app": "x"}
    apps.create_namespaced_deployment(
        NS,
        {
            "metadata": {"name": "x", "labels": labels},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": {**labels, "aadpodidbinding": "web"}},
                    "spec": {
                        "serviceAccountName": "web-sa",
                        "containers": [
                            {"name": "app", "image": "nginx:1.27", "env": [{"name": "MODE", "value": "prod"}]}
                        ],
                    },
                },
            },
        },
    )
    lab.settle()
    return api


def test_get_and_describe(lab: Lab, kubectl: Run, seeded: client.ApiClient) -> None:
    pods = kubectl("get", "pods", "-A").stdout.splitlines()
    assert pods[0].split() == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    mine = [line.split() for line in pods[1:] if line.startswith(f"{NS} ")]
    assert len(mine) == 2 and all(row[1].startswith("x-") and row[2:5] == ["1/1", "Running", "0"] for row in mine)
    assert any(line.startswith("kube-system ") and "azure-wi-webhook" in line for line in pods)

    listed = json.loads(kubectl("get", "deploy", "-n", NS, "-l", "app=x", "-o", "json").stdout)
    assert listed["kind"] == "List" and [d["metadata"]["name"] for d in listed["items"]] == ["x"]
    d = listed["items"][0]
    assert (d["kind"], d["apiVersion"]) == ("Deployment", "apps/v1")
    assert d["status"]["availableReplicas"] == 2 and d["status"]["observedGeneration"] == 1
    assert json.loads(kubectl("get", "deploy", "-n", NS, "-l", "app=nothing", "-o", "json").stdout)["items"] == []

    as_yaml = yaml.safe_load(kubectl("get", "deploy", "x", "-n", NS, "-o", "yaml").stdout)
    assert as_yaml["metadata"]["name"] == "x" and as_yaml["spec"]["template"]["spec"]["serviceAccountName"] == "web-sa"
    table = kubectl("get", "deploy", "-n", NS).stdout.splitlines()
    assert table[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert table[1].split()[:4] == ["x", "2/2", "2", "2"]

    described = " ".join(kubectl("describe", "deployment", "x", "-n", NS).stdout.split())  # columns vary
    rs = client.AppsV1Api(seeded).list_namespaced_replica_set(NS).items[0].metadata.name
    for expected in (
        "Name: x",
        f"Namespace: {NS}",
        "Selector: app=x",
        "Replicas: 2 desired | 2 updated | 2 total | 2 available | 0 unavailable",
        "StrategyType: RollingUpdate",
        "Service Account: web-sa",
        "Environment: MODE: prod",
        "Available True MinimumReplicasAvailable",
        "Progressing True NewReplicaSetAvailable",
        f"NewReplicaSet: {rs} (2/2 replicas created)",
        "Normal ScalingReplicaSet",
        f"deployment-controller Scaled up replica set {rs} to 2",
    ):
        assert expected in described, expected

    crs = kubectl("get", "azureidentities,azureidentitybindings", "-A").stdout
    assert "azureidentity.aadpodidentity.k8s.io/web-id" in crs
    assert "azureidentitybinding.aadpodidentity.k8s.io/web-binding" in crs
    assert all(f"{NS} " in line for line in crs.splitlines() if "/web-" in line)
    missing = kubectl("get", "deploy", "nope", "-n", NS, check=False)
    assert missing.returncode == 1
    assert 'Error from server (NotFound): deployments.apps "nope" not found' in missing.stderr


def _manifest(path: Path, name: str, image: str) -> Path:
    doc = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS, "labels": {"app": name}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"serviceAccountName": "web-sa", "containers": [{"name": "app", "image": image}]},
            },
        },
    }
    path.write_text(yaml.safe_dump(doc))
    return path


def test_apply_and_delete(lab: Lab, kubectl: Run, seeded: client.ApiClient, tmp_path: Path) -> None:
    apps = client.AppsV1Api(seeded)
    manifest = _manifest(tmp_path / "api.yaml", "api", "nginx:1.27")
    assert kubectl("apply", "--validate=false", "-f", str(manifest)).stdout.strip() == "deployment.apps/api created"
    lab.settle()
    first = apps.read_namespaced_deployment("api", NS)
    assert "kubectl.kubernetes.io/last-applied-configuration" in first.metadata.annotations

    _manifest(manifest, "api", "nginx:1.28")
    assert kubectl("apply", "--validate=false", "-f", str(manifest)).stdout.strip() == "deployment.apps/api configured"
    assert kubectl("apply", "--validate=false", "-f", str(manifest)).stdout.strip() == "deployment.apps/api unchanged"
    changed = apps.read_namespaced_deployment("api", NS)
    assert changed.spec.template.spec.containers[0].image == "nginx:1.28"
    assert changed.metadata.generation == first.metadata.generation + 1

    # default (strict) validation needs the server's OpenAPI: it must not abort
    strict = _manifest(tmp_path / "worker.yaml", "worker", "nginx:1.27")
    done = kubectl("apply", "-f", str(strict))
    assert done.stdout.strip() == "deployment.apps/worker created", done.stderr
    assert apps.read_namespaced_deployment("worker", NS).spec.selector.match_labels == {"app": "worker"}

    deleted = kubectl("delete", "deployment", "api", "worker", "-n", NS)
    assert deleted.stdout.splitlines() == ['deployment.apps "api" deleted', 'deployment.apps "worker" deleted']
    lab.settle()
    names = [d.metadata.name for d in apps.list_namespaced_deployment(NS).items]
    assert names == ["x"]
    assert not [
        p
        for p in client.CoreV1Api(seeded).list_namespaced_pod(NS).items
        if p.metadata.name.startswith(("api-", "worker-"))
    ]


def test_patch_types(lab: Lab, kubectl: Run, seeded: client.ApiClient) -> None:
    apps = client.AppsV1Api(seeded)
    strategic = '{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"EXTRA","value":"1"}]}]}}}}'
    assert kubectl("patch", "deployment", "x", "-n", NS, "-p", strategic).stdout.strip() == "deployment.apps/x patched"
    d = apps.read_namespaced_deployment("x", NS)
    assert [(e.name, e.value) for e in d.spec.template.spec.containers[0].env] == [("MODE", "prod"), ("EXTRA", "1")]

    merge = '{"metadata":{"labels":{"team":"blue"}},"spec":{"replicas":3}}'
    kubectl("patch", "deployment", "x", "-n", NS, "--type", "merge", "-p", merge)
    ops = '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.28"}]'
    kubectl("patch", "deployment", "x", "-n", NS, "--type", "json", "-p", ops)
    d = apps.read_namespaced_deployment("x", NS)
    assert d.metadata.labels == {"app": "x", "team": "blue"} and d.spec.replicas == 3
    assert d.spec.template.spec.containers[0].image == "nginx:1.28"

    noop = kubectl("patch", "deployment", "x", "-n", NS, "--type", "merge", "-p", merge)
    assert noop.stdout.strip() == "deployment.apps/x patched (no change)"
    bad = kubectl(
        "patch", "deployment", "x", "-n", NS, "--type", "merge", "-p", '{"spec":{"selector":null}}', check=False
    )
    assert bad.returncode == 1 and bad.stderr.startswith('The Deployment "x" is invalid:')
    assert "spec.selector: Invalid value: null: field is immutable" in bad.stderr
    cr = kubectl("patch", "azureidentity", "web-id", "-n", NS, "-p", '{"spec":{"clientID":"c-2"}}', check=False)
    assert cr.returncode == 1  # strategic merge (the default) does not apply to custom resources
    kubectl("patch", "azureidentity", "web-id", "-n", NS, "--type", "merge", "-p", '{"spec":{"clientID":"c-2"}}')
    got = client.CustomObjectsApi(seeded).get_namespaced_custom_object(
        "aadpodidentity.k8s.io", "v1", NS, "azureidentities", "web-id"
    )
    assert got["spec"]["clientID"] == "c-2"


def test_rollout_restart_and_status(lab: Lab, kubectl: Run, seeded: client.ApiClient) -> None:
    core, apps = client.CoreV1Api(seeded), client.AppsV1Api(seeded)
    before = {p.metadata.name for p in core.list_namespaced_pod(NS).items}
    generation = apps.read_namespaced_deployment("x", NS).metadata.generation
    assert kubectl("rollout", "restart", "deployment/x", "-n", NS).stdout.strip() == "deployment.apps/x restarted"
    status = kubectl("rollout", "status", "deployment/x", "-n", NS, "--timeout=60s")
    assert status.returncode == 0
    assert status.stdout.strip().splitlines()[-1] == 'deployment "x" successfully rolled out'

    d = apps.read_namespaced_deployment("x", NS)
    assert d.metadata.generation == generation + 1 and d.status.observed_generation == d.metadata.generation
    assert "kubectl.kubernetes.io/restartedAt" in d.spec.template.metadata.annotations
    lab.settle()
    after = core.list_namespaced_pod(NS).items
    assert len(after) == 2 and not before & {p.metadata.name for p in after}
    history = kubectl("rollout", "history", "deployment/x", "-n", NS, check=False)
    assert history.returncode == 0 and "REVISION" in history.stdout


@pytest.mark.skipif(not KUBECTL_133.exists(), reason="no kubectl 1.33")
def test_create_token_with_protobuf_kubectl(lab: Lab, kubectl: Run, seeded: client.ApiClient) -> None:
    done = kubectl(
        "create", "token", "web-sa", "-n", NS, "--audience", "api://AzureADTokenExchange", "--duration", "2h",
        binary=str(KUBECTL_133),
    )  # fmt: skip
    claims = verify(done.stdout.strip(), lab.issuer.jwks())
    assert claims["iss"] == lab.issuer.url
    assert claims["sub"] == f"system:serviceaccount:{NS}:web-sa"
    assert claims["aud"] == ["api://AzureADTokenExchange"]
    assert claims["exp"] - claims["iat"] == 7200
    json_body = kubectl("create", "token", "web-sa", "-n", NS, "--audience", "api://AzureADTokenExchange")
    assert verify(json_body.stdout.strip(), lab.issuer.jwks())["exp"] - claims["iat"] >= 3600  # older kubectl: JSON
    missing = kubectl("create", "token", "ghost", "-n", NS, binary=str(KUBECTL_133), check=False)
    assert missing.returncode == 1 and 'serviceaccounts "ghost" not found' in missing.stderr

"""The Azure Workload Identity mutating webhook, emulated as its source and docs describe it.

It runs on pod CREATE only, for pods labelled ``azure.workload.identity/use: "true"`` (the
webhook configuration's objectSelector), and only while the webhook is installed and has ready
endpoints (failurePolicy Fail: otherwise labelled pods cannot be created at all).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

USE_LABEL = "azure.workload.identity/use"
CLIENT_ID = "azure.workload.identity/client-id"
TENANT_ID = "azure.workload.identity/tenant-id"
TOKEN_EXPIRATION = "azure.workload.identity/service-account-token-expiration"
SKIP_CONTAINERS = "azure.workload.identity/skip-containers"
INJECT_PROXY = "azure.workload.identity/inject-proxy-sidecar"
PROXY_PORT = "azure.workload.identity/proxy-sidecar-port"
WEBHOOK_NAME = "mutation.azure-workload-identity.io"
CONFIGURATION_NAME = "azure-wi-webhook-mutating-webhook-configuration"
SERVICE_NAME = "azure-wi-webhook-webhook-service"
AUDIENCE = "api://AzureADTokenExchange"
PROXY_INIT = "azwi-proxy-init"
PROXY = "azwi-proxy"
RESERVED_PREFIX = "azure-workload-identity-reserved-"


class WebhookDenied(Exception):
    """The webhook answered with an error: the apiserver rejects the pod (HTTP 400)."""


@dataclass(frozen=True)
class Layout:
    """Where a webhook version puts the projected token."""

    version: str

    def volume_name(self, pod_name: str) -> str:
        if self.version == "1.5":
            return "azure-identity-token"
        digest = hashlib.sha256(pod_name.encode()).hexdigest()
        return RESERVED_PREFIX + digest[: 63 - len(RESERVED_PREFIX)]

    @property
    def mount_path(self) -> str:
        return "/var/run/secrets/azure/tokens" if self.version == "1.5" else "/var/run/secrets/azure/wi"

    @property
    def token_path(self) -> str:
        """Relative to the mount."""
        return "azure-identity-token" if self.version == "1.5" else "token/azure-identity-token"

    @property
    def image_tag(self) -> str:
        return "v1.5.1" if self.version == "1.5" else "v1.6.0"


def mutate(pod: dict, service_account: Mapping, *, layout: Layout, tenant_id: str, authority_host: str) -> dict:
    """The pod as the webhook returns it. ``pod`` is changed in place and returned."""
    meta = pod.setdefault("metadata", {})
    spec = pod.setdefault("spec", {})
    annotations = meta.get("annotations") or {}
    sa_annotations = (service_account.get("metadata") or {}).get("annotations") or {}
    pod_name = meta.get("name") or f"{meta.get('generateName', '')} (prefix)"

    if INJECT_PROXY in annotations:  # present is enough, whatever the value
        if spec.get("hostNetwork"):
            raise WebhookDenied("hostNetwork is set to true, cannot inject proxy sidecar")
        port = _proxy_port(annotations)
        _inject_proxy(spec, port, layout.image_tag)

    expiration = _token_expiration(annotations, sa_annotations)
    client_id = sa_annotations.get(CLIENT_ID, "")
    tenant = sa_annotations.get(TENANT_ID, tenant_id)
    skip = {name.strip() for name in (annotations.get(SKIP_CONTAINERS) or "").split(";") if name.strip()}
    volume = layout.volume_name(pod_name)
    env = {
        "AZURE_CLIENT_ID": client_id,
        "AZURE_TENANT_ID": tenant,
        "AZURE_FEDERATED_TOKEN_FILE": f"{layout.mount_path}/{layout.token_path}",
        "AZURE_AUTHORITY_HOST": authority_host,
    }
    for key in ("initContainers", "containers"):
        for container in spec.get(key) or []:
            if container.get("name") in skip:
                continue
            present = {item.get("name") for item in container.get("env") or []}
            additions = [{"name": k, "value": v} for k, v in env.items() if k not in present and v]
            if additions:
                container["env"] = list(container.get("env") or []) + additions
            mounts = [m for m in container.get("volumeMounts") or [] if m.get("name") != volume]
            container["volumeMounts"] = mounts + [{"name": volume, "mountPath": layout.mount_path, "readOnly": True}]
    projected = {
        "name": volume,
        "projected": {
            "sources": [
                {
                    "serviceAccountToken": {
                        "path": layout.token_path,
                        "expirationSeconds": expiration,
                        "audience": AUDIENCE,
                    }
                }
            ],
            "defaultMode": 420,
        },
    }
    spec["volumes"] = [v for v in spec.get("volumes") or [] if v.get("name") != volume] + [projected]
    return pod


def _proxy_port(annotations: Mapping[str, str]) -> int:
    raw = annotations.get(PROXY_PORT)
    if raw is None:
        return 8000
    try:
        return int(raw)
    except ValueError:
        raise WebhookDenied(
            f'failed to parse proxy sidecar port: strconv.ParseInt: parsing "{raw}": invalid syntax'
        ) from None


def _token_expiration(annotations: Mapping[str, str], sa_annotations: Mapping[str, str]) -> int:
    raw = annotations.get(TOKEN_EXPIRATION) or sa_annotations.get(TOKEN_EXPIRATION) or "3600"
    try:
        value = int(raw)
    except ValueError:
        raise WebhookDenied(f'strconv.ParseInt: parsing "{raw}": invalid syntax') from None
    if not 3600 <= value <= 86400:
        raise WebhookDenied(f"token expiration {value} not valid. Expected value to be between 3600 and 86400")
    return value


def _inject_proxy(spec: dict, port: int, tag: str) -> None:
    registry = "mcr.microsoft.com/oss/azure/workload-identity"
    init = list(spec.get("initContainers") or [])
    if not any(c.get("name") == PROXY_INIT for c in init):
        init.append(
            {
                "name": PROXY_INIT,
                "image": f"{registry}/proxy-init:{tag}",
                "imagePullPolicy": "IfNotPresent",
                "securityContext": {
                    "capabilities": {"add": ["NET_ADMIN"], "drop": ["ALL"]},
                    "privileged": True,
                    "runAsNonRoot": False,
                    "runAsUser": 0,
                },
                "env": [{"name": "PROXY_PORT", "value": str(port)}],
            }
        )
    spec["initContainers"] = init
    containers = list(spec.get("containers") or [])
    if not any(c.get("name") == PROXY for c in containers):
        containers.insert(
            0,
            {
                "name": PROXY,
                "image": f"{registry}/proxy:{tag}",
                "imagePullPolicy": "IfNotPresent",
                "args": [f"--proxy-port={port}", "--log-level=info"],
                "ports": [{"containerPort": port, "protocol": "TCP"}],
                "lifecycle": {
                    "postStart": {
                        "exec": {"command": ["/proxy", f"--proxy-port={port}", "--probe", "--log-level=info"]}
                    }
                },
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"]},
                    "privileged": False,
                    "readOnlyRootFilesystem": True,
                    "runAsNonRoot": True,
                },
            },
        )
    spec["containers"] = containers


def configuration() -> dict:
    """The MutatingWebhookConfiguration the chart (and the AKS add-on) installs."""
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {
            "name": CONFIGURATION_NAME,
            "labels": {"azure-workload-identity.io/system": "true", "app.kubernetes.io/managed-by": "Helm"},
            "annotations": {
                "meta.helm.sh/release-name": "aks-managed-workload-identity",
                "meta.helm.sh/release-namespace": "kube-system",
            },
        },
        "webhooks": [
            {
                "name": WEBHOOK_NAME,
                "admissionReviewVersions": ["v1", "v1beta1"],
                "clientConfig": {
                    "service": {"name": SERVICE_NAME, "namespace": "kube-system", "path": "/mutate-v1-pod", "port": 443}
                },
                "failurePolicy": "Fail",
                "matchPolicy": "Equivalent",
                "objectSelector": {"matchLabels": {USE_LABEL: "true"}},
                "reinvocationPolicy": "IfNeeded",
                "rules": [
                    {
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "operations": ["CREATE"],
                        "resources": ["pods"],
                        "scope": "*",
                    }
                ],
                "sideEffects": "None",
                "timeoutSeconds": 10,
            }
        ],
    }


def unavailable_message() -> str:
    return (
        f'Internal error occurred: failed calling webhook "{WEBHOOK_NAME}": failed to call webhook: Post '
        f'"https://{SERVICE_NAME}.kube-system.svc:443/mutate-v1-pod?timeout=10s": no endpoints available for service '
        f'"{SERVICE_NAME}"'
    )

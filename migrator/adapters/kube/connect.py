"""A kubernetes ``ApiClient`` from a kubeconfig (file, context), the in-cluster config, or a lab."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from migrator.errors import InputError


@dataclass
class KubeTarget:
    client: Any
    """The kubernetes ``ApiClient``."""
    context: str
    """The context's name (``in-cluster`` inside a pod), shown in sources and journals."""
    namespace: str
    """The context's default namespace, as kubectl uses it when neither -n nor -A is given."""


def connect(kubeconfig: str | None = None, context: str | None = None, lab: Any = None) -> KubeTarget:
    """Load the configuration kubectl would use; urllib3's own retries are off (``KubeApi`` retries)."""
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    configuration = client.Configuration()
    if lab is not None:
        kubeconfig, context = lab.kubeconfig, None
    path = kubeconfig or os.environ.get("KUBECONFIG", "").split(os.pathsep)[0] or os.path.expanduser("~/.kube/config")
    try:
        if not os.path.exists(path) and not kubeconfig and os.environ.get("KUBERNETES_SERVICE_HOST"):
            config.load_incluster_config(client_configuration=configuration)
            name, namespace = "in-cluster", _incluster_namespace()
        else:
            if not os.path.exists(path):
                raise InputError(
                    f"No kubeconfig at {path}.",
                    hint="Pass --kubeconfig FILE, set KUBECONFIG, or run `az aks get-credentials -g RG -n NAME`.",
                )
            contexts, active = config.list_kube_config_contexts(config_file=path)
            chosen = next((c for c in contexts if c["name"] == context), None) if context else active
            if chosen is None:
                names = ", ".join(sorted(c["name"] for c in contexts)) or "none"
                raise InputError(
                    f"{path}: no context {context!r} (contexts: {names}).", hint="Pick one with --context."
                )
            config.load_kube_config(
                config_file=path, context=chosen["name"], client_configuration=configuration, persist_config=False
            )
            name, namespace = chosen["name"], (chosen.get("context") or {}).get("namespace") or "default"
    except ConfigException as exc:
        raise InputError(
            f"Cannot load the Kubernetes configuration: {exc}", hint="Check --kubeconfig and --context."
        ) from exc
    configuration.retries = False
    return KubeTarget(client.ApiClient(configuration), name, namespace)


def _incluster_namespace() -> str:
    try:
        with open("/var/run/secrets/kubernetes.io/serviceaccount/namespace", encoding="utf-8") as handle:
            return handle.read().strip() or "default"
    except OSError:
        return "default"

"""The official kubernetes client pointed at a lab, and helpers the Kubernetes tests share."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from migrator.lab.lab import Lab


@dataclass
class Clients:
    core: client.CoreV1Api
    apps: client.AppsV1Api
    batch: client.BatchV1Api
    custom: client.CustomObjectsApi
    admission: client.AdmissionregistrationV1Api
    api: client.ApiClient


def clients(lab: Lab) -> Clients:
    api = config.new_client_from_config(str(lab.kubeconfig))
    return Clients(
        client.CoreV1Api(api),
        client.AppsV1Api(api),
        client.BatchV1Api(api),
        client.CustomObjectsApi(api),
        client.AdmissionregistrationV1Api(api),
        api,
    )


def status_of(call: Callable[[], object]) -> tuple[int, dict]:
    """The HTTP status and the decoded Status body of a call that must fail."""
    with pytest.raises(ApiException) as info:
        call()
    return info.value.status, json.loads(info.value.body)


def namespace(k: Clients, lab: Lab, name: str) -> str:
    """A namespace with its default ServiceAccount (made by the lab's namespace controller)."""
    k.core.create_namespace({"metadata": {"name": name}})
    lab.settle()
    return name

"""KubeApi's own behaviour against the lab: pagination restarts and error classes."""

from __future__ import annotations

import pytest

from migrator.adapters.kube import resources as R
from migrator.adapters.kube.api import KubeApi
from migrator.adapters.kube.connect import connect
from migrator.errors import AlreadyExists, Conflict, NotFound, ServiceError
from migrator.lab.faults import Fault
from migrator.lab.lab import Lab, LabConfig


@pytest.fixture()
def lab():
    with Lab(LabConfig(speedup=50.0)) as running:
        yield running


def _namespaces(api: KubeApi, count: int) -> None:
    for i in range(count):
        api.create(R.NAMESPACES, None, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"ns-{i}"}})


def test_an_expired_continue_token_restarts_the_list_without_repeating_objects(lab):
    api = KubeApi(connect(lab=lab.info()).client, page_size=2)
    _namespaces(api, 7)
    expected = sorted(n["metadata"]["name"] for n in api.list(R.NAMESPACES))
    expire = lab.faults.add(
        Fault("status", service="kube", verb="list", resource="namespaces", status=410, after=1, times=1)
    )
    names = [n["metadata"]["name"] for n in api.list(R.NAMESPACES)]
    assert lab.faults.fired(expire) == 1
    assert sorted(names) == expected and len(names) == len(set(names))


def test_a_list_whose_token_keeps_expiring_fails_instead_of_looping(lab):
    api = KubeApi(connect(lab=lab.info()).client, page_size=2)
    _namespaces(api, 5)
    lab.faults.add(Fault("status", service="kube", verb="list", resource="namespaces", status=410, after=1))
    with pytest.raises(ServiceError) as caught:
        list(api.list(R.NAMESPACES))
    assert caught.value.status == 410


def test_errors_are_classified_once(lab):
    api = KubeApi(connect(lab=lab.info()).client)
    body = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "web", "namespace": "default"}}
    created = api.create(R.SERVICE_ACCOUNTS, "default", body)
    with pytest.raises(AlreadyExists):
        api.create(R.SERVICE_ACCOUNTS, "default", body)
    stale = {"metadata": {"resourceVersion": "1", "labels": {"a": "b"}}}
    assert created["metadata"]["resourceVersion"] != "1"
    with pytest.raises(Conflict):
        api.patch(R.SERVICE_ACCOUNTS, "default", "web", stale, "merge")
    assert api.find(R.SERVICE_ACCOUNTS, "default", "nope") is None
    with pytest.raises(NotFound):
        api.get(R.SERVICE_ACCOUNTS, "default", "nope")

"""User-assigned identities and federated identity credentials through the real azure-mgmt-msi client."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from azure.core.credentials import AccessToken
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.core.rest import HttpRequest
from azure.mgmt.msi.models import FederatedIdentityCredential, Identity, IdentityUpdate

from migrator.lab.azure.errors import retry_after_headers
from migrator.lab.azure.identities import CONCURRENT_WRITES
from migrator.lab.azure.throttle import RateLimit
from migrator.lab.faults import Fault
from migrator.lab.lab import Lab
from migrator.lab.pacing import Pacing
from tests.lab.azure_clients import (
    ARM_SCOPE,
    EXCHANGE_AUDIENCE,
    aks_client,
    identity_id,
    msi_client,
    operator_credential,
)

RG = "lab-rg"
SUBJECT = "system:serviceaccount:apps:web"


def fic(issuer: str, subject: str = SUBJECT, audiences: list[str] | None = None) -> FederatedIdentityCredential:
    return FederatedIdentityCredential(issuer=issuer, subject=subject, audiences=audiences or [EXCHANGE_AUDIENCE])


def with_status(pipeline_response: Any, deserialized: Any, headers: Any) -> tuple[int, Any]:
    """The SDK's documented ``cls=`` hook: keep the HTTP status next to the model."""
    return pipeline_response.http_response.status_code, deserialized


def in_thread(target: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = target()
        except Exception as exc:  # handed to the test thread
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


class StaticToken:
    """A TokenCredential that hands out a fixed (bad) token."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)


# -- identities --------------------------------------------------------------------------------
def test_identity_create_replace_update_delete(lab: Lab) -> None:
    client = msi_client(lab)
    ops = client.user_assigned_identities
    status, created = ops.create_or_update(RG, "web", Identity(location="eastus", tags={"team": "a"}), cls=with_status)
    assert status == 201
    assert created.id == identity_id(lab, "web")
    assert created.type == "Microsoft.ManagedIdentity/userAssignedIdentities"
    assert created.tenant_id == lab.tenant_id and created.client_id and created.principal_id

    status, replaced = ops.create_or_update(RG, "web", Identity(location="eastus", tags={"team": "b"}), cls=with_status)
    assert status == 200
    assert (replaced.client_id, replaced.principal_id) == (created.client_id, created.principal_id)
    assert replaced.tags == {"team": "b"}

    assert ops.update(RG, "web", IdentityUpdate(tags={"team": "c"})).tags == {"team": "c"}
    assert ops.get(RG, "WEB").client_id == created.client_id  # names compare case-insensitively
    assert lab.azure.identity(created.id)["tags"] == {"team": "c"}

    assert ops.delete(RG, "web", cls=with_status)[0] == 200
    assert ops.delete(RG, "web", cls=with_status)[0] == 204
    with pytest.raises(ResourceNotFoundError) as caught:
        ops.get(RG, "web")
    assert caught.value.error.code == "ResourceNotFound"
    assert caught.value.error.message == (
        "The Resource 'Microsoft.ManagedIdentity/userAssignedIdentities/web' under resource group 'lab-rg' was not "
        "found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
    )


def test_identity_location_is_required_and_immutable(lab: Lab) -> None:
    ops = msi_client(lab).user_assigned_identities
    ops.create_or_update(RG, "web", Identity(location="eastus"))
    with pytest.raises(HttpResponseError) as caught:
        ops.create_or_update(RG, "web", Identity(location="westeurope"))
    assert caught.value.status_code == 400 and caught.value.error.code == "InvalidResourceLocation"


def test_identity_lists_follow_next_links(lab: Lab) -> None:
    lab.azure.page_size = 2
    for name in ("a1", "a2", "a3", "a4", "a5"):
        lab.azure.add_identity(identity_id(lab, name))
    ops = msi_client(lab).user_assigned_identities
    pages = [[i.name for i in page] for page in ops.list_by_resource_group(RG).by_page()]
    assert pages == [["a1", "a2"], ["a3", "a4"], ["a5"]]
    # The subscription also holds the cluster's kubelet identity, in the node resource group.
    names = {i.name for i in ops.list_by_subscription()}
    assert names == {"a1", "a2", "a3", "a4", "a5", "lab-aks-agentpool"}


# -- federated identity credentials ------------------------------------------------------------
def test_fic_create_get_list_delete(lab: Lab) -> None:
    lab.azure.add_identity(identity_id(lab, "web"))
    ops = msi_client(lab).federated_identity_credentials
    status, created = ops.create_or_update(RG, "web", "web-fic", fic(lab.issuer.url), cls=with_status)
    assert status == 201
    assert created.id == f"{identity_id(lab, 'web')}/federatedIdentityCredentials/web-fic"
    assert created.type == "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"
    assert (created.issuer, created.subject, created.audiences) == (lab.issuer.url, SUBJECT, [EXCHANGE_AUDIENCE])

    status, again = ops.create_or_update(RG, "web", "web-fic", fic(lab.issuer.url), cls=with_status)
    assert status == 200 and again.id == created.id

    assert ops.get(RG, "web", "web-fic").subject == SUBJECT
    assert [c.name for c in ops.list(RG, "web")] == ["web-fic"]
    assert [c["name"] for c in lab.azure.credentials(identity_id(lab, "web"))] == ["web-fic"]

    assert ops.delete(RG, "web", "web-fic", cls=with_status)[0] == 200
    assert ops.delete(RG, "web", "web-fic", cls=with_status)[0] == 204
    with pytest.raises(ResourceNotFoundError):
        ops.get(RG, "web", "web-fic")
    with pytest.raises(ResourceNotFoundError):
        ops.create_or_update(RG, "nobody", "web-fic", fic(lab.issuer.url))


def test_fic_list_pages_with_top_and_skiptoken(lab: Lab) -> None:
    web = lab.azure.add_identity(identity_id(lab, "web"))["id"]
    for n in range(5):
        lab.azure.add_federated_credential(web, f"fic-{n}", issuer=lab.issuer.url, subject=f"{SUBJECT}{n}")
    ops = msi_client(lab).federated_identity_credentials
    pager = ops.list(RG, "web", top=2).by_page()
    first = [c.name for c in next(pager)]
    assert first == ["fic-0", "fic-1"]
    assert pager.continuation_token.startswith(f"{lab.arm_url}/subscriptions/")
    assert "$skiptoken=" in pager.continuation_token and "$top=2" in pager.continuation_token
    assert [[c.name for c in page] for page in pager] == [["fic-2", "fic-3"], ["fic-4"]]
    assert [c.name for c in ops.list(RG, "web", top=2, skiptoken="4")] == ["fic-4"]


def test_fic_limit_of_20_per_identity(lab: Lab) -> None:
    web = lab.azure.add_identity(identity_id(lab, "web"))["id"]
    for n in range(20):
        lab.azure.add_federated_credential(web, f"fic-{n:02}", issuer=lab.issuer.url, subject=f"{SUBJECT}-{n}")
    ops = msi_client(lab).federated_identity_credentials
    with pytest.raises(HttpResponseError) as caught:
        ops.create_or_update(RG, "web", "one-more", fic(lab.issuer.url, f"{SUBJECT}-new"))
    assert caught.value.status_code == 400
    assert "20" in caught.value.error.message
    # Updating one of the twenty is still allowed.
    moved = ops.create_or_update(RG, "web", "fic-00", fic(lab.issuer.url, f"{SUBJECT}-moved"))
    assert moved.subject == f"{SUBJECT}-moved"
    assert len(lab.azure.credentials(web)) == 20


@pytest.mark.parametrize("name", ["-starts-with-dash", "ab", "has.dot", "x" * 121])
def test_fic_name_is_validated(lab: Lab, name: str) -> None:
    lab.azure.add_identity(identity_id(lab, "web"))
    with pytest.raises(HttpResponseError) as caught:
        msi_client(lab).federated_identity_credentials.create_or_update(RG, "web", name, fic(lab.issuer.url))
    assert caught.value.status_code == 400
    assert caught.value.error.message == f"Federated Identity Credential name '{name}' is invalid."


def test_fic_needs_exactly_one_audience(lab: Lab) -> None:
    lab.azure.add_identity(identity_id(lab, "web"))
    ops = msi_client(lab).federated_identity_credentials
    for audiences in ([EXCHANGE_AUDIENCE, "api://other"], []):
        with pytest.raises(HttpResponseError) as caught:
            ops.create_or_update(
                RG,
                "web",
                "web-fic",
                FederatedIdentityCredential(issuer=lab.issuer.url, subject=SUBJECT, audiences=audiences),
            )
        assert caught.value.status_code == 400
        assert caught.value.error.message == "Federated identity credentials must have exactly one audience."


def test_fic_issuer_and_subject_rules(lab: Lab) -> None:
    lab.azure.add_identity(identity_id(lab, "web"))
    ops = msi_client(lab).federated_identity_credentials
    for issuer, subject in (
        ("http://insecure.example/", SUBJECT),
        (lab.issuer.url, "s" * 601),
        ("https://" + "i" * 600, SUBJECT),
    ):
        with pytest.raises(HttpResponseError) as caught:
            ops.create_or_update(RG, "web", "web-fic", fic(issuer, subject))
        assert caught.value.status_code == 400
    assert lab.azure.credentials(identity_id(lab, "web")) == []


def test_fic_issuer_subject_pair_is_unique(lab: Lab) -> None:
    web = lab.azure.add_identity(identity_id(lab, "web"))["id"]
    lab.azure.add_federated_credential(web, "first", issuer=lab.issuer.url, subject=SUBJECT)
    ops = msi_client(lab).federated_identity_credentials
    with pytest.raises(HttpResponseError) as caught:
        ops.create_or_update(RG, "web", "second", fic(lab.issuer.url))
    assert caught.value.status_code == 400
    assert caught.value.error.message == "Issuer and subject combination already exists for this Managed Identity."
    # The same pair under another identity is fine, and so is the pair differing only by the trailing slash.
    lab.azure.add_identity(identity_id(lab, "api"))
    assert ops.create_or_update(RG, "api", "second", fic(lab.issuer.url)).name == "second"
    assert ops.create_or_update(RG, "web", "third", fic(lab.issuer.url.rstrip("/"))).name == "third"


# -- concurrency and throttling ------------------------------------------------------------------
def test_concurrent_writes_to_one_identity_conflict(lab: Lab) -> None:
    lab.azure.add_identity(identity_id(lab, "web"))
    lab.azure.fic_write_limits.configure("identity", None)  # isolate the 409 from the per-identity 429
    ops = msi_client(lab).federated_identity_credentials
    with lab.azure.hold_fic_writes() as gate:
        thread, outcome = in_thread(lambda: ops.create_or_update(RG, "web", "first", fic(lab.issuer.url)))
        assert gate.wait_arrived(1)
        with pytest.raises(ResourceExistsError) as caught:
            ops.create_or_update(RG, "web", "second", fic(lab.issuer.url, f"{SUBJECT}-2"))
        assert caught.value.status_code == 409
        assert caught.value.error.code == CONCURRENT_WRITES
        assert "Retry-After" not in caught.value.response.headers
        with pytest.raises(ResourceExistsError):
            ops.delete(RG, "web", "first")
    thread.join()
    assert "error" not in outcome and outcome["value"].name == "first"
    assert [c["name"] for c in lab.azure.credentials(identity_id(lab, "web"))] == ["first"]


def test_writes_to_different_identities_run_in_parallel(lab: Lab) -> None:
    for name in ("web", "api"):
        lab.azure.add_identity(identity_id(lab, name))
    ops = msi_client(lab).federated_identity_credentials
    with lab.azure.hold_fic_writes() as gate:
        threads = [
            in_thread(lambda n=name: ops.create_or_update(RG, n, f"{n}-fic", fic(lab.issuer.url)))
            for name in ("web", "api")
        ]
        assert gate.wait_arrived(2)  # both writes are in flight at once
    for thread, outcome in threads:
        thread.join()
        assert "error" not in outcome
    assert {t[1]["value"].name for t in threads} == {"web-fic", "api-fic"}


def test_throttled_write_answers_429_with_retry_after(lab: Lab) -> None:
    lab.azure.add_identity(identity_id(lab, "web"))
    lab.azure.fic_write_limits.configure("identity", RateLimit(0.01, 1))  # one write per 100 nominal seconds
    ops = msi_client(lab, retry_total=0).federated_identity_credentials
    ops.create_or_update(RG, "web", "first", fic(lab.issuer.url))
    with pytest.raises(HttpResponseError) as caught:
        ops.create_or_update(RG, "web", "second", fic(lab.issuer.url, f"{SUBJECT}-2"))
    assert caught.value.status_code == 429
    assert caught.value.error.code == "TooManyRequests"
    headers = caught.value.response.headers
    real_wait = lab.pacing.seconds(100)
    # Sped up, Retry-After carries the fractional real wait: azure-core prefers it to retry-after-ms.
    assert 0 < float(headers["Retry-After"]) <= real_wait and "." in headers["Retry-After"]
    assert 0 < int(headers["retry-after-ms"]) <= real_wait * 1000
    assert lab.azure.fic_write_limits.refused == 1


def test_sdk_retries_through_throttling(lab: Lab) -> None:
    lab.azure.add_identity(identity_id(lab, "web"))
    lab.azure.fic_write_limits.configure("identity", RateLimit(0.05, 1))  # 20 nominal s = 0.4 real s apart
    ops = msi_client(lab).federated_identity_credentials
    ops.create_or_update(RG, "web", "first", fic(lab.issuer.url))
    assert ops.create_or_update(RG, "web", "second", fic(lab.issuer.url, f"{SUBJECT}-2")).name == "second"
    assert lab.azure.fic_write_limits.refused >= 1  # the second write was throttled, and the SDK retried it
    assert [c["name"] for c in lab.azure.credentials(identity_id(lab, "web"))] == ["first", "second"]


def test_injected_server_error_is_retried(lab: Lab) -> None:
    lab.azure.add_identity(identity_id(lab, "web"))
    fault = lab.faults.add(
        Fault(action="status", status=500, service="arm", verb="put", resource="federatedIdentityCredentials", times=1)
    )
    created = msi_client(lab).federated_identity_credentials.create_or_update(RG, "web", "web-fic", fic(lab.issuer.url))
    assert created.name == "web-fic"
    assert lab.faults.fired(fault) == 1


def test_injected_fault_classification(lab: Lab) -> None:
    """Lists and gets are told apart, so a fault can target one of them."""
    lab.azure.add_identity(identity_id(lab, "web"))
    fault = lab.faults.add(
        Fault(action="status", status=404, service="arm", verb="list", resource="userAssignedIdentities", times=1)
    )
    ops = msi_client(lab).user_assigned_identities
    assert ops.get(RG, "web").name == "web"
    with pytest.raises(HttpResponseError) as caught:
        list(ops.list_by_resource_group(RG))
    assert caught.value.status_code == 404 and lab.faults.fired(fault) == 1


# -- authentication and the front door ----------------------------------------------------------
def test_missing_token_is_401_without_a_cae_challenge(lab: Lab) -> None:
    url = f"{lab.arm_url}{identity_id(lab, 'web')}?api-version=2024-11-30"
    response = requests.get(url, verify=str(lab.ca_file), timeout=10)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AuthenticationFailed"
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer authorization_uri="') and 'error="invalid_token"' in challenge
    assert "claims=" not in challenge


@pytest.mark.parametrize("kind", ["garbage", "wrong-signer", "wrong-audience"])
def test_bad_token_is_401(lab: Lab, kind: str) -> None:
    now = int(time.time())
    tokens = {
        "garbage": "not-a-jwt",
        # Signed by the cluster's issuer, not by Entra.
        "wrong-signer": lab.keys.issuer.sign({"aud": "https://management.azure.com", "iss": "x", "exp": now + 60}),
        "wrong-audience": operator_credential(lab).get_token("https://vault.azure.net/.default").token,
    }
    client = msi_client(lab, credential=StaticToken(tokens[kind]))
    with pytest.raises(ClientAuthenticationError) as caught:
        client.user_assigned_identities.get(RG, "web")
    assert caught.value.status_code == 401
    expected = "InvalidAuthenticationTokenAudience" if kind == "wrong-audience" else "InvalidAuthenticationToken"
    assert caught.value.error.code == expected


def test_token_from_the_lab_entra_is_accepted(lab: Lab) -> None:
    token = operator_credential(lab).get_token(ARM_SCOPE).token
    lab.azure.add_identity(identity_id(lab, "web"))
    assert msi_client(lab, credential=StaticToken(token)).user_assigned_identities.get(RG, "web").name == "web"


def test_api_version_is_required(lab: Lab) -> None:
    client = aks_client(lab)  # any ARM client's pipeline (with its bearer token) will do
    lab.azure.add_identity(identity_id(lab, "web"))
    response = client.send_request(HttpRequest("GET", f"{lab.arm_url}{identity_id(lab, 'web')}"))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "MissingApiVersionParameter"
    response = client.send_request(HttpRequest("GET", f"{lab.arm_url}{identity_id(lab, 'web')}?api-version=2099-01-01"))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "NoRegisteredProviderFound"
    response = client.send_request(HttpRequest("GET", f"{lab.arm_url}{identity_id(lab, 'web')}?api-version=2024-11-30"))
    assert response.status_code == 200 and response.json()["properties"]["isolationScope"] == "None"


def test_retry_after_is_arms_integer_at_real_speed() -> None:
    assert retry_after_headers(0.3, Pacing(1.0)) == {"Retry-After": "1", "retry-after-ms": "300"}
    assert retry_after_headers(2.2, Pacing(1.0)) == {"Retry-After": "3", "retry-after-ms": "2200"}
    assert retry_after_headers(0.08, Pacing(50.0)) == {"Retry-After": "0.080", "retry-after-ms": "80"}

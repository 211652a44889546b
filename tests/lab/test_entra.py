"""The Entra token endpoint through the real azure-identity credentials (and MSAL for discovery)."""

from __future__ import annotations

import re
import time

import msal
import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientAssertionCredential

from migrator.lab.crypto import unverified_parts, verify
from migrator.lab.faults import Fault
from migrator.lab.lab import Lab, LabConfig
from tests.lab.azure_clients import (
    ARM_SCOPE,
    assertion_credential,
    identity_id,
    operator_credential,
    service_account_token,
)

SUBJECT = "system:serviceaccount:apps:web"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def web_identity(lab: Lab, issuer: str | None = None, subject: str = SUBJECT) -> dict:
    """An identity trusting one service account, the way the migration sets it up."""
    web = lab.azure.add_identity(identity_id(lab, "web"))
    lab.azure.add_federated_credential(web["id"], "web-fic", issuer=issuer or lab.issuer.url, subject=subject)
    return web


def token_error(lab: Lab, client_id: str, assertion: str) -> str:
    with pytest.raises(ClientAuthenticationError) as caught:
        assertion_credential(lab, client_id, assertion).get_token(ARM_SCOPE)
    return str(caught.value)


def entra_jwks(lab: Lab) -> dict:
    return {"keys": [lab.keys.entra.jwk()]}


def test_operator_workload_identity_gets_an_arm_token(lab: Lab) -> None:
    token = operator_credential(lab).get_token(ARM_SCOPE)
    claims = verify(token.token, entra_jwks(lab))
    assert claims["aud"] == "https://management.azure.com"
    assert claims["iss"] == f"https://sts.windows.net/{lab.tenant_id}/"
    assert claims["tid"] == lab.tenant_id
    assert claims["appid"] == claims["azp"] == lab.operator_client_id
    assert claims["nbf"] <= time.time() < claims["exp"]
    assert token.expires_on >= claims["exp"] - 5


def test_identity_with_matching_credential_gets_a_token(lab: Lab) -> None:
    web = web_identity(lab)
    client_id = web["properties"]["clientId"]
    token = assertion_credential(lab, client_id, service_account_token(lab, subject=SUBJECT)).get_token(ARM_SCOPE)
    claims = verify(token.token, entra_jwks(lab))
    assert claims["oid"] == web["properties"]["principalId"]
    assert claims["appid"] == client_id
    assert claims["xms_mirid"] == web["id"]


def test_wrong_subject_is_aadsts70021(lab: Lab) -> None:
    client_id = web_identity(lab)["properties"]["clientId"]
    message = token_error(lab, client_id, service_account_token(lab, subject="system:serviceaccount:apps:other"))
    assert "AADSTS70021" in message
    assert "Assertion Subject: 'system:serviceaccount:apps:other'" in message


@pytest.mark.parametrize("credential_has_slash", [False, True])
def test_issuer_differing_by_a_trailing_slash_is_aadsts70021(lab: Lab, credential_has_slash: bool) -> None:
    with_slash, without = lab.issuer.url, lab.issuer.url.rstrip("/")
    credential_issuer, token_issuer = (with_slash, without) if credential_has_slash else (without, with_slash)
    client_id = web_identity(lab, issuer=credential_issuer)["properties"]["clientId"]
    message = token_error(lab, client_id, service_account_token(lab, subject=SUBJECT, issuer=token_issuer))
    assert "AADSTS70021" in message and f"Assertion Issuer: '{token_issuer}'" in message


def test_wrong_audience_is_aadsts70021(lab: Lab) -> None:
    client_id = web_identity(lab)["properties"]["clientId"]
    message = token_error(lab, client_id, service_account_token(lab, subject=SUBJECT, audience="api://other"))
    assert "AADSTS70021" in message


def test_unknown_client_is_aadsts700016(lab: Lab) -> None:
    message = token_error(lab, "00000000-0000-0000-0000-000000000001", service_account_token(lab, subject=SUBJECT))
    assert "AADSTS700016" in message and "00000000-0000-0000-0000-000000000001" in message


def test_expired_assertion_is_aadsts700024(lab: Lab) -> None:
    client_id = web_identity(lab)["properties"]["clientId"]
    old = service_account_token(lab, subject=SUBJECT, issued=time.time() - 7200, lifetime=3600)
    assert "AADSTS700024" in token_error(lab, client_id, old)


def test_unreachable_issuer_is_aadsts90061(lab: Lab) -> None:
    elsewhere = "https://oidc.unreachable.example/issuer/"
    client_id = web_identity(lab, issuer=elsewhere)["properties"]["clientId"]
    message = token_error(lab, client_id, service_account_token(lab, subject=SUBJECT, issuer=elsewhere))
    assert "AADSTS90061" in message


def test_assertion_not_signed_by_the_issuer_is_rejected(lab: Lab) -> None:
    client_id = web_identity(lab)["properties"]["clientId"]
    now = int(time.time())
    forged = lab.keys.entra.sign(
        {"iss": lab.issuer.url, "sub": SUBJECT, "aud": ["api://AzureADTokenExchange"], "nbf": now, "exp": now + 600}
    )
    assert "AADSTS700027" in token_error(lab, client_id, forged)


def test_wrong_tenant_is_aadsts90002(lab: Lab) -> None:
    other_tenant = ClientAssertionCredential(
        "11111111-1111-1111-1111-111111111111",
        lab.operator_client_id,
        func=lab.operator_assertion,
        authority=lab.login_url,
        connection_verify=str(lab.ca_file),
    )
    with pytest.raises(ClientAuthenticationError) as caught:
        other_tenant.get_token(ARM_SCOPE)
    assert "AADSTS90002" in str(caught.value)


def test_scope_must_be_one_default_scope(lab: Lab) -> None:
    with pytest.raises(ClientAuthenticationError) as caught:
        operator_credential(lab).get_token("https://management.azure.com/user_impersonation")
    assert "AADSTS1002012" in str(caught.value)


def test_error_body_shape(lab: Lab) -> None:
    client_id = web_identity(lab)["properties"]["clientId"]
    response = requests.post(
        f"{lab.login_url}/{lab.tenant_id}/oauth2/v2.0/token",
        data={
            "client_assertion": service_account_token(lab, subject="system:serviceaccount:apps:other"),
            "client_assertion_type": JWT_BEARER,
            "client_id": client_id,
            "grant_type": "client_credentials",
            "scope": ARM_SCOPE,
        },
        verify=str(lab.ca_file),
        timeout=10,
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request" and body["error_codes"] == [70021]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", body["timestamp"])
    assert body["error_uri"] == "https://login.microsoftonline.com/error?code=70021"
    assert body["error_description"].startswith("AADSTS70021: No matching federated identity record found")
    tail = f"\r\nTrace ID: {body['trace_id']}\r\nCorrelation ID: {body['correlation_id']}"
    tail += f"\r\nTimestamp: {body['timestamp']}"
    assert body["error_description"].endswith(tail)
    assert "Assertion Audience: 'api://AzureADTokenExchange'" in body["error_description"]


def test_missing_field_is_aadsts900144(lab: Lab) -> None:
    response = requests.post(
        f"{lab.login_url}/{lab.tenant_id}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "scope": ARM_SCOPE},
        verify=str(lab.ca_file),
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["error_codes"] == [900144] and "'client_id'" in response.json()["error_description"]


def test_discovery_document_and_keys(lab: Lab) -> None:
    base = f"{lab.login_url}/{lab.tenant_id}"
    document = requests.get(f"{base}/v2.0/.well-known/openid-configuration", verify=str(lab.ca_file), timeout=10)
    assert document.status_code == 200
    config = document.json()
    assert config["issuer"] == f"{base}/v2.0"
    assert config["token_endpoint"] == f"{base}/oauth2/v2.0/token"
    assert config["authorization_endpoint"] == f"{base}/oauth2/v2.0/authorize"
    keys = requests.get(config["jwks_uri"], verify=str(lab.ca_file), timeout=10).json()
    token = operator_credential(lab).get_token(ARM_SCOPE).token
    assert unverified_parts(token)[0]["kid"] in {k["kid"] for k in keys["keys"]}
    assert verify(token, keys)["tid"] == lab.tenant_id


def test_msal_discovers_the_tenant_and_gets_a_token(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    # MSAL sets verify= on a requests.Session, and requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE
    # override a session's verify: point the environment at the lab CA too.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(lab.ca_file))
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    app = msal.ConfidentialClientApplication(
        lab.operator_client_id,
        client_credential={"client_assertion": lab.operator_assertion},
        authority=f"{lab.login_url}/{lab.tenant_id}",
        instance_discovery=False,
        verify=str(lab.ca_file),
    )
    result = app.acquire_token_for_client(scopes=[ARM_SCOPE])
    assert "access_token" in result, result.get("error_description")
    assert verify(result["access_token"], entra_jwks(lab))["appid"] == lab.operator_client_id


def test_injected_token_endpoint_error_is_retried(lab: Lab) -> None:
    fault = lab.faults.add(Fault(action="status", status=503, service="entra", verb="post", resource="token", times=1))
    assert operator_credential(lab).get_token(ARM_SCOPE).token
    assert lab.faults.fired(fault) == 1


class TestSpecificErrors:
    """With ``entra_errors="specific"`` Entra names the claim that did not match."""

    @pytest.fixture
    def lab_config(self) -> LabConfig:
        return LabConfig(speedup=50.0, entra_errors="specific")

    def test_unknown_issuer_is_aadsts700211(self, lab: Lab) -> None:
        client_id = web_identity(lab, issuer=lab.issuer.url.rstrip("/"))["properties"]["clientId"]
        message = token_error(lab, client_id, service_account_token(lab, subject=SUBJECT))
        assert "AADSTS700211" in message and f"issuer '{lab.issuer.url}'" in message

    def test_unknown_subject_is_aadsts700213(self, lab: Lab) -> None:
        client_id = web_identity(lab)["properties"]["clientId"]
        message = token_error(lab, client_id, service_account_token(lab, subject="system:serviceaccount:apps:other"))
        assert "AADSTS700213" in message and "subject 'system:serviceaccount:apps:other'" in message

    def test_audience_mismatch_stays_aadsts70021(self, lab: Lab) -> None:
        client_id = web_identity(lab)["properties"]["clientId"]
        message = token_error(lab, client_id, service_account_token(lab, subject=SUBJECT, audience="api://other"))
        assert "AADSTS70021" in message

    def test_matching_credential_still_works(self, lab: Lab) -> None:
        client_id = web_identity(lab)["properties"]["clientId"]
        assertion = service_account_token(lab, subject=SUBJECT)
        assert assertion_credential(lab, client_id, assertion).get_token(ARM_SCOPE).token

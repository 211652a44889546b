"""The catalog of failure signatures: realistic lines from azure-identity, azidentity, azwi-proxy,
the kube-apiserver and the kubelet are recognised, fixed problems are dropped, tokens never leak."""

from __future__ import annotations

import re

import pytest

from migrator.core.signatures import ENTRA, EXCERPT_CHARS, explain, redact, scan
from migrator.core.verification import LogLine

APP = "pod/web-7d9c-abcde/app"
PROXY = "pod/web-7d9c-abcde/azwi-proxy"
RS_EVENT = "event ReplicaSet/web-7d9c"
JWT = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9.eyJhdWQiOlsiYXBpOi8vQXp1cmVBRFRva2VuRXhjaGFuZ2UiXSwic3ViIjoic3lzdGVtOnNlcnZp"
    "Y2VhY2NvdW50OnNob3A6d2ViIn0.c2lnbmF0dXJlLWJ5dGVz"
)
WEBHOOK_DOWN = (
    "FailedCreate: Error creating: Internal error occurred: failed calling webhook "
    '"mutation.azure-workload-identity.io": failed to call webhook: Post "https://azure-wi-webhook-webhook-service.kube-system.svc:443/mutate-v1-pod?timeout'
    '=10s": no endpoints available for service "azure-wi-webhook-webhook-service"'
)


def codes(lines: list[LogLine]) -> list[str]:
    return [h.signature for h in scan(lines)]


def one(text: str, where: str = APP) -> str | None:
    hits = scan([LogLine(where, text)])
    assert len(hits) <= 1
    return hits[0].signature if hits else None


@pytest.mark.parametrize(
    "line, code",
    [
        (
            "azure.core.exceptions.ClientAuthenticationError: Authentication failed: AADSTS70021: No matching "
            "federated identity record found for presented assertion. Assertion Issuer: 'https://eastus.oic.prod-aks.azure.com/"
            "t/c'. Assertion Subject: 'system:serviceaccount:shop:default'.",
            "AADSTS70021",
        ),
        (
            "AADSTS700211: No matching federated identity record found for presented assertion issuer "
            "'https://eastus.oic.prod-aks.azure.com/t/c'.",
            "AADSTS700211",
        ),
        ("AADSTS700213: No matching federated identity record found for presented assertion subject", "AADSTS700213"),
        ("AADSTS700212: No matching federated identity record found for presented assertion audience", "AADSTS700212"),
        (
            "ERROR azure.identity: WorkloadIdentityCredential.get_token failed: AADSTS700024: Client assertion is not "
            "within its valid time range. Current time: 2024-05-01T10:00:00Z, "
            "assertion valid from 2024-05-01T08:00:00Z",
            "AADSTS700024",
        ),
        (
            "AADSTS90061: Request to External OIDC endpoint failed. Trace ID: 0c9b1c2d-aaaa-bbbb-cccc-0123456789ab",
            "AADSTS90061",
        ),
        (
            "AADSTS700016: Application with identifier '00000000-1111-2222-3333-444444444444' was not found in the "
            "directory 'Contoso'.",
            "AADSTS700016",
        ),
    ],
)
def test_entra_codes_in_application_logs(line: str, code: str) -> None:
    assert one(line) == code


def test_a_code_is_not_mistaken_for_a_longer_one() -> None:
    assert one("AADSTS700211: No matching federated identity record found") == "AADSTS700211"
    assert one("AADSTS7002110: something else") is None  # an unknown code, not 700211


def test_azwi_proxy_lines_in_its_real_formats() -> None:
    failed = (
        'E0501 10:00:00.123456       1 proxy.go:142] "failed to get token" err="failed to acquire token: FromAssertion'
        '(): http call(https://login.microsoftonline.com/t/oauth2/v2.0/token)(POST) error: reply status code was 401"'
    )
    assert one(failed, PROXY) == "proxy-token-error"
    with_code = failed.replace("reply status code was 401", "AADSTS70021: No matching federated identity record")
    assert one(with_code, PROXY) == "AADSTS70021"  # the Entra code says more than "the proxy failed"
    assert one('{"level":"error","msg":"failed executing request","url":"http://169.254.169.254/x"}', PROXY) == (
        "proxy-error"
    )
    assert one("AZURE_TENANT_ID not set", PROXY) == "proxy-error"
    # only azwi-proxy's own stream: an application saying "failed to get token" is not the proxy failing
    assert one('"failed to get token"', APP) is None


def test_a_later_success_in_the_same_stream_clears_a_failure() -> None:
    failure = LogLine(PROXY, 'E0501 10:00:00 1 proxy.go:142] "failed to get token" err="AADSTS70021: No matching"')
    success = LogLine(PROXY, 'I0501 10:01:00 1 proxy.go:150] "successfully acquired token" method="GET" uri="/x"')
    assert codes([failure, success]) == []
    assert codes([success, failure]) == ["AADSTS70021"]  # failing again after it worked
    other = LogLine(APP, success.text)
    assert codes([failure, other]) == ["AADSTS70021"]  # another stream's success proves nothing here


def test_sdk_successes_clear_earlier_sdk_failures() -> None:
    failure = LogLine(APP, "WorkloadIdentityCredential.get_token failed: AADSTS70021: No matching federated identity")
    for success in (
        "INFO azure.identity._internal.get_token_mixin: WorkloadIdentityCredential.get_token succeeded",
        "azidentity: WorkloadIdentityCredential.GetToken() acquired a token for scope "
        '"https://vault.azure.net/.default"',
        "Azure.Identity: WorkloadIdentityCredential.GetToken succeeded. Scopes: [ https://vault.azure.net/.default ]",
        "azure:identity:info WorkloadIdentityCredential => getToken() => SUCCESS. Scopes: https://vault.azure.net/.default.",
    ):
        assert codes([failure, LogLine(APP, success)]) == [], success


def test_success_lines_are_never_failures() -> None:
    lines = [
        LogLine(PROXY, '"successfully acquired token" method="GET"'),
        LogLine(RS_EVENT, "SuccessfulCreate: Created pod: web-7d9c-abcde"),
    ]
    assert scan(lines) == []


@pytest.mark.parametrize(
    "line",
    [
        "DefaultAzureCredential: failed to acquire a token.",  # the header of Go's chained error, then each credential
        "\tEnvironmentCredential: missing environment variable AZURE_TENANT_ID",
    ],
)
def test_neutral_lines(line: str) -> None:
    assert one(line) is None


@pytest.mark.parametrize(
    "line",
    [
        "\tManagedIdentityCredential: managed identity timed out. See https://aka.ms/azsdk/go/identity/troubleshoot#dac",
        "azure.identity._exceptions.CredentialUnavailableError: ManagedIdentityCredential authentication unavailable, "
        "no response from the IMDS endpoint.",
        "com.azure.identity.CredentialUnavailableException: ManagedIdentityCredential authentication unavailable. "
        "Connection to IMDS endpoint cannot be established, Connect timed out.",
        'Get "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2F'
        'vault.azure.net": dial tcp 169.254.169.254:80: i/o timeout',
        "requests.exceptions.ConnectTimeout: HTTPConnectionPool(host='169.254.169.254', port=80): Max retries exceeded "
        "with url: /metadata/identity/oauth2/token (Caused by ConnectTimeoutError(<urllib3.connection.HTTPConnection "
        "object at 0x7f>, 'Connection to 169.254.169.254 timed out. (connect timeout=2)'))",
        "connect ECONNREFUSED 169.254.169.254:80",
    ],
)
def test_imds_unreachable(line: str) -> None:
    assert one(line) == "imds-unreachable"


@pytest.mark.parametrize(
    "line",
    [
        "\tWorkloadIdentityCredential: no client ID specified. Check pod configuration or set ClientID in the options",
        "ValueError: 'client_id' is required. Please pass it in or set the AZURE_CLIENT_ID environment variable",
        "Azure.Identity.CredentialUnavailableException: WorkloadIdentityCredential authentication unavailable. The "
        "workload options are not fully configured. See the troubleshooting guide for more information.",
        "The client_id parameter or AZURE_CLIENT_ID environment variable must be set",
    ],
)
def test_missing_client_id(line: str) -> None:
    assert one(line) == "missing-client-id"


@pytest.mark.parametrize(
    "message, code",
    [
        ("hostNetwork is set to true, cannot inject proxy sidecar", "webhook-denied-host-network"),
        (
            "token expiration 600 not valid. Expected value to be between 3600 and 86400",
            "webhook-denied-token-expiration",
        ),
        ('strconv.ParseInt: parsing "1h": invalid syntax', "webhook-denied-token-expiration"),
        (
            'failed to parse proxy sidecar port: strconv.ParseInt: parsing "http": invalid syntax',
            "webhook-denied-proxy-port",
        ),
        ("something new", "webhook-denied"),
    ],
)
def test_webhook_denials_in_events(message: str, code: str) -> None:
    event = (
        'FailedCreate: Error creating: admission webhook "mutation.azure-workload-identity.io" denied the request: '
        + message
    )
    assert one(event, RS_EVENT) == code


def test_webhook_down_and_pod_security_in_events() -> None:
    assert one(WEBHOOK_DOWN, RS_EVENT) == "webhook-unavailable"
    denied = (
        'FailedCreate: Error creating: pods "web-7d9c-x2k9p" is forbidden: violates PodSecurity "baseline:latest": '
        'privileged (container "azwi-proxy-init" must not set securityContext.privileged=true), non-default '
        'capabilities (container "azwi-proxy-init" must not include "NET_ADMIN" in securityContext.capabilities.add)'
    )
    assert one(denied, RS_EVENT) == "pod-security-proxy-init"
    mount = (
        'FailedMount: MountVolume.SetUp failed for volume "azure-identity-token" : failed to fetch token: '
        'serviceaccounts "web-sa" not found'
    )
    assert one(mount, "event Pod/web-7d9c-abcde") == "token-projection-failed"


def test_token_file_missing() -> None:
    line = (
        "open /var/run/secrets/azure/tokens/azure-identity-token: no such file or directory"  # a v1.5 path under v1.6
    )
    assert one(line) == "token-file-missing"


def test_one_hit_per_signature_and_stream_with_the_latest_excerpt_and_a_count() -> None:
    lines = [LogLine(APP, f"attempt {i}: AADSTS70021: No matching federated identity record") for i in range(3)]
    lines.append(LogLine("pod/web-7d9c-fghij/app", "AADSTS70021: No matching"))
    hits = scan(lines)
    assert [(h.where, h.count) for h in hits] == [(APP, 3), ("pod/web-7d9c-fghij/app", 1)]
    assert hits[0].excerpt.startswith("attempt 2")
    assert "federated credential" in hits[0].cause and hits[0].fix


def test_a_jwt_in_a_line_is_redacted_from_the_excerpt() -> None:
    line = (
        f"DEBUG POST https://login.microsoftonline.com/t/oauth2/v2.0/token client_assertion={JWT}&client_assertion_"
        f"type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer -> AADSTS70021: No matching federated"
    )
    hit = scan([LogLine(APP, line)])[0]
    assert hit.signature == "AADSTS70021"
    assert "eyJ" not in hit.excerpt and "c2lnbmF0dXJl" not in hit.excerpt
    assert "AADSTS70021" in hit.excerpt


@pytest.mark.parametrize(
    "secret",
    [
        JWT,
        f'{{"access_token": "{JWT[:40]}xyz", "token_type": "Bearer"}}',
        "client_secret=s3cr3t-Value~1&grant_type=client_credentials",
        "Authorization: Bearer abc.def.ghi",
        f"assertion={JWT[:30]}",
    ],
)
def test_redact(secret: str) -> None:
    clean = redact(f"before {secret} after")
    assert clean.startswith("before") and clean.endswith("after")
    assert not re.search(r"eyJ[A-Za-z0-9_-]{4,}", clean)
    assert "s3cr3t" not in clean and "abc.def.ghi" not in clean and "[REDACTED]" in clean


def test_excerpts_are_short_and_keep_the_match() -> None:
    line = "x" * 500 + " AADSTS700016: Application with identifier 'abc' was not found " + "y" * 500
    hit = scan([LogLine(APP, line)])[0]
    assert len(hit.excerpt) <= EXCERPT_CHARS + 2 and "AADSTS700016" in hit.excerpt


def test_explain() -> None:
    for code in ENTRA:
        cause, fix = explain(f"AADSTS{code}")
        assert cause and fix
    assert explain("70021") == explain("AADSTS70021")
    assert "trailing slash" in explain("AADSTS70021")[0] and "wait" in explain("AADSTS70021")[1]
    assert "80%" in explain("AADSTS700024")[0]
    assert "az aks update" in explain("AADSTS90061")[1]
    assert "tenant-id" in explain("AADSTS700016")[1]
    assert "code=50000" in explain("AADSTS50000")[1]  # unknown codes point at Microsoft's error lookup
    assert "before Entra answered" in explain("")[0]

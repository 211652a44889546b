"""Known failure (and success) signatures in application logs, azwi-proxy logs and Kubernetes events.

Each signature has a stable code, the likely cause and the fix. ``scan`` finds them in the lines
``phases.verify`` collected; a failure followed later in the same stream by a success signature
(the proxy or the SDK got a token, the ReplicaSet created its pod) has since been fixed and is dropped.
Texts come from the projects themselves: azure-workload-identity's ``pkg/proxy`` and ``pkg/webhook``,
azure-identity (Python, .NET, Java, JavaScript), azidentity (Go), the kube-apiserver and kubelet.
Every excerpt is redacted (``redact``): no token ever leaves this module. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from migrator.core.verification import LogLine, SignatureHit

EXCERPT_CHARS = 200
WEBHOOK = "mutation.azure-workload-identity.io"
SDK_ADVICE = (
    "Azure Identity SDK at or above the minimum that supports workload identity (Python azure-identity 1.13.0, "
    ".NET Azure.Identity 1.9.0, Java azure-identity 1.9.0, JavaScript @azure/identity 3.2.0, Go azidentity 1.3.0, "
    "C++ azure-identity-cpp 1.6.0)"
)


@dataclass(frozen=True)
class Signature:
    code: str
    pattern: re.Pattern[str]
    cause: str
    fix: str
    success: bool = False
    streams: re.Pattern[str] | None = None
    """Only lines of these streams (``LogLine.where``); None: any."""


PROXY_STREAM = re.compile(r"/azwi-proxy$")


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# -- Entra's token-exchange errors (domain.md section 4) ----------------------------------------------
ENTRA: dict[str, tuple[str, str]] = {
    "70021": (
        "Entra found no federated credential matching the token's issuer, subject and audience: the issuer differs "
        "(a trailing slash, another cluster's issuer), the subject names another namespace or ServiceAccount, the "
        "audience is not api://AzureADTokenExchange, or the credential was created moments ago (propagation takes "
        "seconds, sometimes minutes).",
        "Compare `az identity federated-credential list --identity-name <identity> --resource-group <rg>` with the "
        "cluster's issuer (`az aks show -g <resource-group> -n <cluster> --query oidcIssuerProfile.issuerUrl -o tsv`, "
        "byte for byte) and system:serviceaccount:<namespace>:<service account>; if it was just created, wait and "
        "retry (`wimigrate verify --wait 5m`).",
    ),
    "700211": (
        "No federated credential has the token's issuer: it differs by a trailing slash or is another cluster's.",
        "Set the credential's issuer to exactly `az aks show -g <resource-group> -n <cluster> --query "
        "oidcIssuerProfile.issuerUrl -o tsv` (`az identity federated-credential update ... --issuer <issuer>`).",
    ),
    "700213": (
        "No federated credential has the token's subject: the credential names another namespace or ServiceAccount.",
        "The subject must be system:serviceaccount:<namespace>:<the ServiceAccount the pod runs as>; create one for "
        "it (`wimigrate apply --only federate`).",
    ),
    "700212": (
        "No federated credential has the token's audience.",
        "The credential's only audience must be api://AzureADTokenExchange, the audience the webhook's projected "
        "token carries.",
    ),
    "700024": (
        "The client assertion is not within its valid time range: the application reuses an old projected token "
        "(the kubelet rotates it at 80% of its lifetime; the file must be re-read) or a clock is off.",
        "Read AZURE_FEDERATED_TOKEN_FILE again for every token request (azure-identity does; MSAL users must do it "
        "themselves), or upgrade to an " + SDK_ADVICE + "; check the node's clock.",
    ),
    "90061": (
        "Entra could not reach the cluster's OIDC issuer (discovery document or JWKS) to validate the token.",
        "`az aks update -g <resource-group> -n <cluster> --enable-oidc-issuer` reconciles the issuer; check that "
        "<issuer>.well-known/openid-configuration answers.",
    ),
    "700016": (
        "Entra knows no application with this client id in the tenant: a wrong client id, or the identity lives "
        "in another tenant.",
        "Check the ServiceAccount's azure.workload.identity/client-id against `az identity show --query clientId`; "
        "for another tenant set azure.workload.identity/tenant-id on the ServiceAccount and restart the pods.",
    ),
    "700027": (
        "Entra could not verify the token's signature with the issuer's published keys (the cluster's signing keys "
        "were rotated, or the token comes from another cluster).",
        "Restart the pods so the kubelet projects a fresh token; after `az aks oidc-issuer rotate-signing-keys` wait "
        "for the new JWKS to be published.",
    ),
    "90002": (
        "The tenant in the token request does not exist (a wrong AZURE_TENANT_ID).",
        "Set azure.workload.identity/tenant-id on the ServiceAccount to the identity's tenant (or remove a wrong "
        "one) and restart the pods.",
    ),
}


def explain(code: str) -> tuple[str, str]:
    """(cause, fix) for an Entra error code (``AADSTS70021`` or ``70021``)."""
    number = code.upper().removeprefix("AADSTS").strip()
    if number in ENTRA:
        return ENTRA[number]
    if not number.isdigit():
        return (
            "The token exchange failed before Entra answered.",
            "Check the connection to Entra (login.microsoftonline.com or the cloud's authority host) and the tenant.",
        )
    return (
        f"Entra refused the token exchange (AADSTS{number}).",
        f"See https://login.microsoftonline.com/error?code={number}",
    )


def _entra(code: str) -> Signature:
    cause, fix = ENTRA[code]
    return Signature(f"AADSTS{code}", _re(rf"AADSTS{code}(?!\d)"), cause, fix)


_IMDS_CAUSE = (
    "The application still asks IMDS (169.254.169.254) for tokens: NMI no longer answers for it, so it does not "
    "use WorkloadIdentityCredential (an old SDK, or ManagedIdentityCredential chosen explicitly)."
)
_IMDS_FIX = (
    "Use DefaultAzureCredential or WorkloadIdentityCredential with an "
    + SDK_ADVICE
    + "; until then run the azwi-proxy sidecar (mode sidecar: annotation azure.workload.identity/inject-proxy-sidecar)."
)

CATALOG: tuple[Signature, ...] = (
    *(_entra(code) for code in ENTRA),
    # -- the application's SDK ----------------------------------------------------------------------
    Signature(
        "missing-client-id",
        _re(
            r"WorkloadIdentityCredential: no client ID specified"
            r"|'client_id' is required\. Please pass it in or set the AZURE_CLIENT_ID"
            r"|WorkloadIdentityCredential[^\n]{0,40}(authentication )?unavailable[^\n]{0,20}"
            r"(The workload options are not fully configured|tenantId, clientId)"
            r"|The client_id parameter (is required|or AZURE_CLIENT_ID environment variable must be set)"
        ),
        "The SDK (or azwi-proxy) found no client id: AZURE_CLIENT_ID was not injected because the pod lacks the "
        "azure.workload.identity/use label, was created before the webhook or before its ServiceAccount got "
        "azure.workload.identity/client-id, or the ServiceAccount has none.",
        "Annotate the ServiceAccount with azure.workload.identity/client-id, label the pod template "
        'azure.workload.identity/use: "true" and restart the workload (`wimigrate apply` does both).',
    ),
    Signature(
        "token-file-missing",
        _re(
            r"(/var/run/secrets/azure/[\w/.-]+|AZURE_FEDERATED_TOKEN_FILE)[^\n]{0,120}"
            r"(no such file|not found|cannot find|permission denied)"
            r"|failed to read service account token"
        ),
        "The projected token is not where the application reads it: the pod was not mutated, or the application "
        "hard-codes webhook v1.5's /var/run/secrets/azure/tokens/azure-identity-token while v1.6 mounts "
        "/var/run/secrets/azure/wi/token/azure-identity-token.",
        "Read the path from AZURE_FEDERATED_TOKEN_FILE (never a fixed path) and restart the pod so the webhook "
        "mounts the token.",
    ),
    Signature(
        "imds-unreachable",
        _re(
            r"169\.254\.169\.254[^\n]{0,200}?(timed? ?out|timeout|connection refused|no route to host"
            r"|network is unreachable|Failed to establish a new connection|connection reset"
            r"|ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH)"
            r"|(timed? ?out|timeout|connection refused|no route to host|ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH)"
            r"[^\n]{0,200}?169\.254\.169\.254"
            r"|ManagedIdentityCredential[^\n]{0,10}authentication unavailable"
            r"|ManagedIdentityCredential: managed identity timed out"
            r"|(no response|connection) (from|to) (the )?IMDS endpoint"
            r"|IMDS endpoint[^\n]{0,60}(unavailable|cannot be established|timed out|not available)"
        ),
        _IMDS_CAUSE,
        _IMDS_FIX,
    ),
    # -- azwi-proxy (azure-workload-identity pkg/proxy) -------------------------------------------------
    Signature(
        "proxy-token-error",
        _re(r"\"?failed to get token\"?|failed to acquire token"),
        "azwi-proxy could not get a token from Entra for the application (Entra's answer follows in the line).",
        "Look for the AADSTS code in the line; check the federated credential (`wimigrate verify --token-exchange`) "
        "and the client_id the application asks for (the proxy honours only client_id and resource).",
        streams=PROXY_STREAM,
    ),
    Signature(
        "proxy-error",
        _re(
            r"\"failed executing request\"|\"failed to read response body\"|\"failed to encode token\""
            r"|AZURE_(TENANT_ID|AUTHORITY_HOST) not set|failed to probe proxy"
        ),
        "azwi-proxy failed: it forwards non-token IMDS requests to 169.254.169.254, needs AZURE_TENANT_ID and "
        "AZURE_AUTHORITY_HOST from the webhook, and must answer its probe before the application starts.",
        "Check the azwi-proxy container's logs and that the pod was mutated (label, ServiceAccount client-id); "
        "restart the pod.",
        streams=PROXY_STREAM,
    ),
    # -- admission (kube-apiserver calling the webhook; events of the ReplicaSet/Job/StatefulSet) ---------
    Signature(
        "webhook-denied-host-network",
        _re(rf'admission webhook "{re.escape(WEBHOOK)}" denied the request: hostNetwork is set to true'),
        "The webhook refuses to inject the proxy sidecar into a hostNetwork pod: its pods cannot be created.",
        "Remove azure.workload.identity/inject-proxy-sidecar (use label mode with a supported SDK) or hostNetwork.",
    ),
    Signature(
        "webhook-denied-token-expiration",
        _re(
            rf'admission webhook "{re.escape(WEBHOOK)}" denied the request: (token expiration \d+ not valid'
            r'|strconv\.ParseInt: parsing "[^"]*": (invalid syntax|value out of range))'
        ),
        "azure.workload.identity/service-account-token-expiration (pod or ServiceAccount) is not a number of "
        "seconds between 3600 and 86400: the webhook rejects the pods.",
        "Set it between 3600 and 86400, or remove it (default 3600).",
    ),
    Signature(
        "webhook-denied-proxy-port",
        _re(rf'admission webhook "{re.escape(WEBHOOK)}" denied the request: failed to parse proxy sidecar port'),
        "azure.workload.identity/proxy-sidecar-port is not a number: the webhook rejects the pods.",
        "Set azure.workload.identity/proxy-sidecar-port to a port number (default 8000).",
    ),
    Signature(
        "webhook-denied",
        _re(rf'admission webhook "{re.escape(WEBHOOK)}" denied the request'),
        "The workload identity webhook rejected the pod: it cannot be created.",
        "Read the reason after 'denied the request:' and fix the pod template's annotations.",
    ),
    Signature(
        "webhook-unavailable",
        _re(rf'failed calling webhook "{re.escape(WEBHOOK)}"'),
        "The workload identity webhook is down and its failurePolicy is Fail: labelled pods cannot be created.",
        "Check `kubectl get pods -n kube-system -l azure-workload-identity.io/system=true`; "
        "`az aks update -g <resource-group> -n <cluster> --enable-workload-identity` reinstalls it.",
    ),
    Signature(
        "pod-security-proxy-init",
        _re(r'violates PodSecurity "[^"]*"[^\n]*azwi-proxy-init'),
        "The namespace's Pod Security level (baseline or restricted) forbids the privileged azwi-proxy-init "
        "container: pods with the proxy sidecar cannot be created.",
        "Upgrade the application's SDK and use label mode (no sidecar); relaxing the namespace's "
        "pod-security.kubernetes.io/enforce label is not advised.",
    ),
    Signature(
        "token-projection-failed",
        _re(r'MountVolume\.SetUp failed for volume "(azure-identity-token|azure-workload-identity-reserved-[^"]*)"'),
        "The kubelet could not project the service-account token for workload identity (the ServiceAccount was "
        "deleted after the pod was created, or TokenRequest failed).",
        "Make sure the pod's ServiceAccount exists and restart the pod.",
    ),
    # -- successes: a later one in the same stream means the problem is gone -----------------------------
    Signature(
        "proxy-token-acquired",
        _re(r"successfully acquired token"),
        "azwi-proxy got a token from Entra for the application.",
        "",
        success=True,
    ),
    Signature(
        "sdk-token-acquired",
        _re(
            r"(WorkloadIdentityCredential|ClientAssertionCredential|DefaultAzureCredential|ManagedIdentityCredential"
            r"|ChainedTokenCredential)\S*\s*(\.|=>\s*)?(get_?token\S*\s*(=>\s*)?(succeeded|success)"
            r"|GetToken\(?\)?\s+(succeeded|acquired a token)|acquired a token)"
            r"|getToken\(\) result for scopes [^\n]*: SUCCESS"
        ),
        "The application's SDK got a token.",
        "",
        success=True,
    ),
    Signature(
        "pod-created",
        _re(r"^SuccessfulCreate: Created pod"),
        "The controller created its pod.",
        "",
        success=True,
    ),
)

# -- redaction ----------------------------------------------------------------------------------------
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{2,}(\.[A-Za-z0-9_-]*){0,2}")
_SECRET_FIELDS = re.compile(
    r"(?P<key>\b(access_token|refresh_token|id_token|client_assertion|client_secret|clientSecret|accessToken"
    r"|refreshToken|assertion|password|sig)\b\"?\s*[:=]\s*\"?)(?P<value>[^\"&\s,;}]+)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"\b(Bearer)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
REDACTED = "[REDACTED]"


def redact(text: str) -> str:
    """``text`` without anything token-like: JWTs, secret-bearing fields and bearer tokens."""
    text = _JWT.sub(REDACTED, text)
    text = _SECRET_FIELDS.sub(lambda m: m.group("key") + REDACTED, text)
    return _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)


def excerpt(text: str, pattern: re.Pattern[str] | None = None) -> str:
    """The redacted line, shortened to about ``EXCERPT_CHARS`` around what matched."""
    clean = " ".join(redact(text).split())
    if len(clean) <= EXCERPT_CHARS:
        return clean
    match = pattern.search(clean) if pattern is not None else None
    start = max(0, match.start() - 40) if match else 0
    start = min(start, len(clean) - EXCERPT_CHARS)
    cut = clean[start : start + EXCERPT_CHARS]
    return ("…" if start else "") + cut + ("…" if start + EXCERPT_CHARS < len(clean) else "")


# -- scanning -----------------------------------------------------------------------------------------
def match(line: LogLine) -> Signature | None:
    """The first catalog signature the line shows (Entra codes before the generic proxy error)."""
    return next(
        (s for s in CATALOG if (s.streams is None or s.streams.search(line.where)) and s.pattern.search(line.text)),
        None,
    )


def scan(lines: list[LogLine]) -> list[SignatureHit]:
    """Failure signatures still current: one hit per signature and stream (its latest line, with a count),
    in the order first seen; a success later in the same stream clears the failures before it."""
    last_success: dict[str, int] = {}
    found: list[tuple[int, LogLine, Signature]] = []
    for index, line in enumerate(lines):
        signature = match(line)
        if signature is None:
            continue
        if signature.success:
            last_success[line.where] = index
        else:
            found.append((index, line, signature))
    hits: dict[tuple[str, str], SignatureHit] = {}
    for index, line, signature in found:
        if index < last_success.get(line.where, -1):
            continue
        key = (signature.code, line.where)
        text = excerpt(line.text, signature.pattern)
        if key in hits:
            hits[key].excerpt = text
            hits[key].count += 1
        else:
            hits[key] = SignatureHit(signature.code, line.where, text, signature.cause, signature.fix)
    return list(hits.values())


def successes(lines: list[LogLine]) -> list[SignatureHit]:
    """Success signatures (the latest per stream): evidence that tokens are being issued."""
    seen: dict[tuple[str, str], SignatureHit] = {}
    for line in lines:
        signature = match(line)
        if signature is not None and signature.success:
            key = (signature.code, line.where)
            seen[key] = SignatureHit(signature.code, line.where, excerpt(line.text, signature.pattern), "", "")
    return list(seen.values())

"""The Entra ID v2 token endpoint for the client-assertion grant (workload identity federation),
plus the tenant's discovery document and keys (wire.md C, domain.md section 4).

The order of checks follows what real Entra reveals: it matches the assertion against the
client's federated credentials *before* it fetches the issuer's keys, which is why a token from an
unreachable issuer that no credential names gets AADSTS70021, not AADSTS90061 (the body quoted in
azure-workload-identity#616 has issuer ``https://kubernetes.default.svc.cluster.local``).
Never logs assertions or tokens.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from migrator.lab.azure.wire import base_url, entra_time, iso_time
from migrator.lab.crypto import JWTError, SigningKey, b64url, unverified_parts, verify
from migrator.lab.httpd import Request, Response, json_response

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
WIF_DOC = "https://docs.microsoft.com/en-us/azure/active-directory/develop/workload-identity-federation"
TOKEN_SECONDS = 3599
CLOCK_SKEW = 300  # nbf tolerance for assertions minted by a clock slightly ahead
ERROR_STATUS = {"invalid_client": 401}  # everything else is 400


@dataclass(frozen=True)
class Principal:
    """Whatever a client id names: an app registration or a user-assigned identity."""

    client_id: str
    object_id: str
    credentials: tuple[dict, ...]  # federated credentials: {"issuer", "subject", "audiences"}
    resource_id: str | None = None  # a managed identity's ARM id (the token's xms_mirid)
    display_name: str = ""


class EntraError(Exception):
    def __init__(self, error: str, code: int, text: str, status: int | None = None) -> None:
        super().__init__(f"AADSTS{code}: {text}")
        self.error = error
        self.code = code
        self.text = text
        self.status = status or ERROR_STATUS.get(error, 400)


class EntraService:
    name = "entra"

    def __init__(
        self,
        *,
        tenant_id: str,
        key: SigningKey,
        principal: Callable[[str], Principal | None],
        issuer_jwks: Callable[[str], dict | None],
        error_style: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._tenant_id = tenant_id
        self._key = key
        self._jwks = {"keys": [key.jwk()]}
        self._principal = principal
        self._issuer_jwks = issuer_jwks
        self._error_style = error_style
        self._clock = clock

    # -- Service protocol ---------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        segments = [s for s in request.path.split("/") if s]
        tenant, rest = (segments[0], segments[1:]) if segments else ("", [])
        try:
            if rest == ["oauth2", "v2.0", "token"] and request.method == "POST":
                self._check_tenant(tenant, "invalid_request")
                return self._token(request)
            if rest == ["v2.0", ".well-known", "openid-configuration"] and request.method == "GET":
                self._check_tenant(tenant, "invalid_tenant")
                return json_response(200, self._discovery(request))
            if rest in (["discovery", "v2.0", "keys"], ["discovery", "keys"]) and request.method == "GET":
                self._check_tenant(tenant, "invalid_tenant")
                return json_response(200, self._jwks)
        except EntraError as exc:
            return self._error_response(exc)
        return self._error_response(EntraError("invalid_request", 90100, "Invalid request: unknown endpoint.", 404))

    def classify(self, request: Request) -> tuple[str, str]:
        last = request.path.rstrip("/").rsplit("/", 1)[-1]
        return request.method.lower(), last if last in ("token", "openid-configuration", "keys") else ""

    def error(self, status: int, message: str, retry_after: float | None = None) -> Response:
        error = "invalid_client" if status == 401 else "invalid_request" if status < 429 else "temporarily_unavailable"
        if status >= 500:
            error = "server_error"
        text = f"There was an error issuing a token or an issue with our sign-in service. {message}"
        response = self._error_response(EntraError(error, 50000, text, status))
        if retry_after:
            response.headers["Retry-After"] = str(max(1, round(retry_after)))
        return response

    # -- endpoints ----------------------------------------------------------------------------
    def _token(self, request: Request) -> Response:
        form = request.form()
        for field in ("grant_type", "client_id", "scope"):
            if not form.get(field):
                raise EntraError(
                    "invalid_request", 900144, f"The request body must contain the following parameter: '{field}'."
                )
        if form["grant_type"] != "client_credentials":
            raise EntraError(
                "unsupported_grant_type", 70003, f"The app requested an unsupported grant type '{form['grant_type']}'."
            )
        resource = _resource(form["scope"])
        if not form.get("client_assertion"):
            raise EntraError(
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            )
        if form.get("client_assertion_type") != JWT_BEARER:
            raise EntraError(
                "invalid_client",
                70002,
                f"Error validating credentials. The client_assertion_type must be '{JWT_BEARER}'.",
            )
        principal = self._principal(form["client_id"])
        if principal is None:
            raise EntraError(
                "unauthorized_client",
                700016,
                f"Application with identifier '{form['client_id']}' was not found in the directory "
                f"'{self._tenant_id}'. This can happen if the application has not been installed by the administrator "
                "of the tenant or consented to by any user in the tenant. You may have sent your authentication "
                "request to the wrong tenant.",
            )
        self._check_assertion(form["client_assertion"], principal)
        return json_response(
            200,
            {
                "token_type": "Bearer",
                "expires_in": TOKEN_SECONDS,
                "ext_expires_in": TOKEN_SECONDS,
                "access_token": self._access_token(principal, resource),
            },
            {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"},
        )

    def _check_assertion(self, assertion: str, principal: Principal) -> None:
        try:
            _, claims = unverified_parts(assertion)
        except JWTError:
            raise EntraError("invalid_request", 50027, "JWT token is invalid or malformed.") from None
        issuer, subject, audience = claims.get("iss"), claims.get("sub"), claims.get("aud")
        if not isinstance(issuer, str) or not isinstance(subject, str):
            raise EntraError("invalid_request", 50027, "JWT token is invalid or malformed.")
        audiences = [audience] if isinstance(audience, str) else [a for a in audience or [] if isinstance(a, str)]
        self._match(principal, issuer, subject, audiences)
        jwks = self._issuer_jwks(issuer)
        if jwks is None:
            raise EntraError("invalid_request", 90061, "Request to External OIDC endpoint failed.")
        try:
            verify(assertion, jwks)
        except JWTError as exc:
            raise EntraError(
                "invalid_client", 700027, f"Client assertion contains an invalid signature. [Reason - {exc}.]"
            ) from None
        now = self._clock()
        exp, nbf = claims.get("exp"), claims.get("nbf", claims.get("iat"))
        expired = not isinstance(exp, int | float) or exp <= now
        early = isinstance(nbf, int | float) and nbf > now + CLOCK_SKEW
        if expired or early:
            valid_from = iso_time(nbf) if isinstance(nbf, int | float) else "(none)"
            valid_to = iso_time(exp) if isinstance(exp, int | float) else "(none)"
            raise EntraError(
                "invalid_client",
                700024,
                f"Client assertion is not within its valid time range. Current time: {iso_time(now)}, assertion valid "
                f"from {valid_from}, expiry time of assertion {valid_to}. Review the documentation at "
                "https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
            )

    def _match(self, principal: Principal, issuer: str, subject: str, audiences: list[str]) -> None:
        """A federated credential must match exactly: issuer (trailing slash included), subject,
        and one of the assertion's audiences. Case-sensitive, as Entra has been since 2025."""
        for credential in principal.credentials:
            if (
                credential["issuer"] == issuer
                and credential["subject"] == subject
                and any(a in audiences for a in credential["audiences"])
            ):
                return
        same_issuer = [c for c in principal.credentials if c["issuer"] == issuer]
        check = (
            "Please check your federated identity credential Subject, Audience and Issuer against the presented "
            f"assertion. {WIF_DOC}"
        )
        if self._error_style == "specific" and not same_issuer:
            raise EntraError(
                "invalid_client",
                700211,
                f"No matching federated identity record found for presented assertion issuer '{issuer}'. {check}",
            )
        if self._error_style == "specific" and not any(c["subject"] == subject for c in same_issuer):
            raise EntraError(
                "invalid_client",
                700213,
                f"No matching federated identity record found for presented assertion subject '{subject}'. {check}",
            )
        raise EntraError(
            "invalid_request",
            70021,
            f"No matching federated identity record found for presented assertion. Assertion Issuer: '{issuer}'. "
            f"Assertion Subject: '{subject}'. Assertion Audience: '{','.join(audiences)}'. {WIF_DOC}",
        )

    def _access_token(self, principal: Principal, resource: str) -> str:
        now = int(self._clock())
        issuer = f"https://sts.windows.net/{self._tenant_id}/"
        claims: dict[str, object] = {
            "aud": resource,
            "iss": issuer,
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_SECONDS,
            "appid": principal.client_id,
            "azp": principal.client_id,
            "appidacr": "2",
            "idp": issuer,
            "idtyp": "app",
            "oid": principal.object_id,
            "sub": principal.object_id,
            "tid": self._tenant_id,
            "uti": b64url(secrets.token_bytes(16)),
            "ver": "1.0",
        }
        if principal.resource_id:
            claims["xms_mirid"] = principal.resource_id
        return self._key.sign(claims)

    def _discovery(self, request: Request) -> dict:
        base = f"{base_url(request)}/{self._tenant_id}"
        return {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/v2.0",
            "request_uri_parameter_supported": False,
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid"],
            "tenant_region_scope": "NA",
            "cloud_instance_name": "microsoftonline.com",
        }

    # -- helpers ------------------------------------------------------------------------------
    def _check_tenant(self, tenant: str, error: str) -> None:
        if tenant.lower() != self._tenant_id.lower():
            raise EntraError(
                error,
                90002,
                f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into "
                "the correct cloud. Check with your subscription administrator, this may happen if there are no "
                "active subscriptions for the tenant.",
            )

    def _error_response(self, exc: EntraError) -> Response:
        now = self._clock()
        stamp, trace, correlation = entra_time(now), str(uuid.uuid4()), str(uuid.uuid4())
        return json_response(
            exc.status,
            {
                "error": exc.error,
                "error_description": f"AADSTS{exc.code}: {exc.text}\r\nTrace ID: {trace}\r\n"
                f"Correlation ID: {correlation}\r\nTimestamp: {stamp}",
                "error_codes": [exc.code],
                "timestamp": stamp,
                "trace_id": trace,
                "correlation_id": correlation,
                "error_uri": f"https://login.microsoftonline.com/error?code={exc.code}",
            },
            {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"},
        )


def _resource(scope: str) -> str:
    """The token audience for a client-credentials scope: exactly one ``<resource>/.default``."""
    scopes = scope.split()
    if len(scopes) > 1 and all(s.endswith("/.default") for s in scopes):
        raise EntraError(
            "invalid_scope",
            28000,
            "Provided value for the input parameter scope is not valid because it contains more than one resource.",
        )
    if len(scopes) != 1 or not scopes[0].endswith("/.default") or scopes[0] == "/.default":
        raise EntraError(
            "invalid_scope",
            1002012,
            f"The provided value for scope {scope} is not valid. Client credential flows must have a scope value with "
            "/.default suffixed to the resource identifier (application ID URI).",
        )
    return scopes[0][: -len("/.default")].rstrip("/")

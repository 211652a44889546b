"""The ARM front door: routing, api-version, bearer-token checks, throttling and paging, in front
of the identity and cluster stores. Errors are ARM's ``{"error": {"code", "message"}}``."""

from __future__ import annotations

import math
import re
import time
import uuid
from collections.abc import Callable
from urllib.parse import quote, urlencode

from migrator.lab.azure.clusters import ClusterStore
from migrator.lab.azure.errors import STATUS_CODES, ArmError, bad_request, retry_after_headers
from migrator.lab.azure.identities import IdentityStore
from migrator.lab.azure.resource_ids import ResourcePath, parse_path, resource_key
from migrator.lab.azure.throttle import Throttle
from migrator.lab.azure.wire import base_url
from migrator.lab.crypto import JWTError, verify
from migrator.lab.httpd import Request, Response, json_response
from migrator.lab.pacing import Pacing

MSI_VERSIONS = (
    "2015-08-31-preview",
    "2018-11-30",
    "2021-09-30-preview",
    "2022-01-31-preview",
    "2023-01-31",
    "2023-07-31-preview",
    "2024-11-30",
    "2025-01-31-preview",
)
FIC_VERSIONS = ("2022-01-31-preview", "2023-01-31", "2023-07-31-preview", "2024-11-30", "2025-01-31-preview")
AKS_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")
ARM_AUDIENCES = (
    "https://management.core.windows.net/",
    "https://management.core.windows.net",
    "https://management.azure.com/",
    "https://management.azure.com",
)
CLOCK_SKEW = 300  # seconds of nbf tolerance, as Entra-issued tokens may be minted a little ahead

MSI = "microsoft.managedidentity"
AKS = "microsoft.containerservice"


class ArmService:
    name = "arm"

    def __init__(
        self,
        *,
        tenant_id: str,
        jwks: dict,
        pacing: Pacing,
        identities: IdentityStore,
        clusters: ClusterStore,
        fic_writes: Throttle,
        login_url: Callable[[], str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._tenant_id = tenant_id
        self._jwks = jwks
        self._pacing = pacing
        self._identities = identities
        self._clusters = clusters
        self._fic_writes = fic_writes
        self._login_url = login_url
        self._clock = clock
        self.page_size = 100  # items per page when the client sends no $top

    # -- Service protocol ---------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        try:
            response = self._handle(request)
        except ArmError as exc:
            response = exc.response()
        response.headers.setdefault("x-ms-request-id", str(uuid.uuid4()))
        response.headers.setdefault(
            "x-ms-correlation-request-id", request.header("x-ms-correlation-request-id") or str(uuid.uuid4())
        )
        return response

    def classify(self, request: Request) -> tuple[str, str]:
        path = parse_path(request.path)
        if path is None:
            return request.method.lower(), ""
        verb = "list" if request.method == "GET" and path.is_collection else request.method.lower()
        return verb, path.last_type

    def error(self, status: int, message: str, retry_after: float | None = None) -> Response:
        headers = retry_after_headers(retry_after, self._pacing) if retry_after else None
        return ArmError(status, STATUS_CODES.get(status, "InternalServerError"), message, headers).response()

    # -- routing ------------------------------------------------------------------------------
    def _handle(self, request: Request) -> Response:
        self._authenticate(request)
        version = request.arg("api-version")
        if not version:
            raise bad_request(
                "The api-version query parameter (?api-version=) is required for all requests.",
                "MissingApiVersionParameter",
            )
        path = parse_path(request.path)
        if path is None:
            raise ArmError(404, "NotFound", f"The requested URI '{request.path}' does not represent any resource.")
        signature = path.signature()
        if signature[0] == MSI:
            self._check_version(path, version, FIC_VERSIONS if len(path.types) > 1 else MSI_VERSIONS)
            if signature == (MSI, "userassignedidentities"):
                return self._identity(request, path)
            if signature == (MSI, "userassignedidentities", "federatedidentitycredentials"):
                return self._credential(request, path)
        if signature[0] == AKS:
            if not AKS_VERSION.match(version):
                raise bad_request(
                    f"The api-version '{version}' is invalid. The supported versions are dates such as '2026-08-01'.",
                    "InvalidApiVersionParameter",
                )
            if signature == (AKS, "managedclusters"):
                return self._cluster(request, path)
            if signature == (AKS, "locations", "operations") and path.resource_group is None and len(path.names) == 2:
                return self._operation(request, path)
        raise ArmError(
            404,
            "InvalidResourceType",
            f"The resource type '{'/'.join(path.types)}' could not be found in the namespace '{path.namespace}' "
            f"for api version '{version}'.",
        )

    def _identity(self, request: Request, path: ResourcePath) -> Response:
        if path.is_collection:
            _only(request, "GET")
            return self._page(request, self._identities.arm_list(path.subscription, path.resource_group))
        _need_group(path)
        method = _only(request, "GET", "PUT", "PATCH", "DELETE")
        if method == "GET":
            return json_response(200, self._identities.arm_get(path))
        if method == "PUT":
            status, wire = self._identities.arm_put(path, _body(request))
            return json_response(status, wire)
        if method == "PATCH":
            return json_response(200, self._identities.arm_patch(path, _body(request)))
        return Response(200 if self._identities.arm_delete(path) else 204)

    def _credential(self, request: Request, path: ResourcePath) -> Response:
        _need_group(path)
        if path.is_collection:
            _only(request, "GET")
            return self._page(request, self._identities.fic_list(path))
        method = _only(request, "GET", "PUT", "DELETE")
        if method == "GET":
            return json_response(200, self._identities.fic_get(path))
        if method == "DELETE":
            return Response(200 if self._identities.fic_delete(path) else 204)
        identity = ResourcePath(path.subscription, path.resource_group, path.namespace, path.types[:1], path.names[:1])
        wait = self._fic_writes.acquire(
            [
                ("tenant", self._tenant_id),
                ("subscription", path.subscription.lower()),
                ("identity", resource_key(identity)),
            ]
        )
        if wait > 0:
            raise ArmError(
                429,
                "TooManyRequests",
                "The request was throttled: federated identity credential writes are limited per tenant, "
                "subscription and managed identity. Retry after the time in the Retry-After header.",
                retry_after_headers(wait, self._pacing),
            )
        status, wire = self._identities.fic_put(path, _body(request))
        return json_response(status, wire)

    def _cluster(self, request: Request, path: ResourcePath) -> Response:
        if path.is_collection:
            _only(request, "GET")
            return self._page(request, self._clusters.arm_list(path.subscription, path.resource_group))
        _need_group(path)
        method = _only(request, "GET", "PUT")
        if method == "GET":
            return json_response(200, self._clusters.arm_get(path))
        body, operation = self._clusters.arm_put(
            path, _body(request), request.header("If-Match"), request.header("If-None-Match")
        )
        version = quote(request.arg("api-version") or "")
        status_url = (
            f"{base_url(request)}/subscriptions/{quote(path.subscription)}/providers/Microsoft.ContainerService/"
            f"locations/{quote(operation.location)}/operations/{operation.id}?api-version={version}"
        )
        # The SDK parses this Retry-After with int() (containerservice 41.8.0 _create_or_update_initial), and
        # the first poll happens at once anyway: an integer, unlike the status responses' paced value.
        retry = str(max(1, math.ceil(self._clusters.poll_seconds())))
        return json_response(201, body, {"Azure-AsyncOperation": status_url, "Retry-After": retry})

    def _operation(self, request: Request, path: ResourcePath) -> Response:
        _only(request, "GET")
        operation = self._clusters.operation(path.subscription, path.names[0], path.names[1])
        headers = self._poll_after() if operation.status == "InProgress" else {}
        return json_response(200, operation.status_body(), headers)

    def _poll_after(self) -> dict[str, str]:
        headers = retry_after_headers(self._clusters.poll_seconds(), self._pacing)
        return {"Retry-After": headers["Retry-After"]}

    # -- helpers ------------------------------------------------------------------------------
    def _check_version(self, path: ResourcePath, version: str, supported: tuple[str, ...]) -> None:
        if version not in supported:
            raise bad_request(
                f"No registered resource provider found for location 'eastus' and API version '{version}' for type "
                f"'{'/'.join(path.types)}'. The supported api-versions are '{', '.join(supported)}'.",
                "NoRegisteredProviderFound",
            )

    def _page(self, request: Request, items: list[dict]) -> Response:
        """One page of a list, with an absolute ``nextLink`` (wire.md A.5) while more remain."""
        top = request.arg("$top")
        skip = request.arg("$skiptoken") or request.arg("$skipToken")
        try:
            size = int(top) if top else self.page_size
            offset = int(skip) if skip else 0
        except ValueError:
            raise bad_request("The $top or $skiptoken query parameter is invalid.", "InvalidParameter") from None
        if size < 1 or offset < 0:
            raise bad_request("The $top or $skiptoken query parameter is invalid.", "InvalidParameter")
        body: dict = {"value": items[offset : offset + size]}
        if offset + size < len(items):
            query = {"api-version": request.arg("api-version") or ""}
            if top:
                query["$top"] = top
            query["$skiptoken"] = str(offset + size)
            body["nextLink"] = f"{base_url(request)}{quote(request.path)}?{urlencode(query, safe='$')}"
        return json_response(200, body)

    def _authenticate(self, request: Request) -> dict:
        """The claims of a valid token from the lab's Entra for ARM; 401 otherwise. The challenge
        carries no ``claims=``: that would make azure-core attempt a CAE refresh."""
        if not request.header("Authorization"):
            raise self._unauthorized(
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
                "The authentication failed because of missing 'Authorization' header.",
            )
        token = request.bearer()
        if not token:
            raise self._unauthorized(
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is provided in an invalid format.",
                "The authentication failed because of an invalid 'Authorization' header.",
            )
        try:
            claims = verify(token, self._jwks)
        except JWTError:
            raise self._unauthorized("InvalidAuthenticationToken", "The access token is invalid.") from None
        issuer = f"https://sts.windows.net/{self._tenant_id}/"
        if claims.get("iss") != issuer:
            raise self._unauthorized(
                "InvalidAuthenticationTokenTenant",
                f"The access token is from the wrong issuer '{claims.get('iss')}'. It must match the tenant "
                f"'{issuer}' associated with this subscription.",
            )
        if claims.get("aud") not in ARM_AUDIENCES:
            raise self._unauthorized(
                "InvalidAuthenticationTokenAudience",
                f"The access token has been obtained for wrong audience or resource '{claims.get('aud')}'. It should "
                f"exactly match with one of the allowed audiences {','.join(repr(a) for a in ARM_AUDIENCES)}.",
            )
        now = self._clock()
        exp, nbf = claims.get("exp"), claims.get("nbf", 0)
        if not isinstance(exp, int | float) or exp <= now:
            raise self._unauthorized(
                "ExpiredAuthenticationToken",
                f"The access token expiry UTC time '{exp}' is earlier than current UTC time '{int(now)}'.",
            )
        if isinstance(nbf, int | float) and nbf > now + CLOCK_SKEW:
            raise self._unauthorized("InvalidAuthenticationToken", "The access token is not yet valid.")
        return claims

    def _unauthorized(self, code: str, message: str, description: str | None = None) -> ArmError:
        challenge = (
            f'Bearer authorization_uri="{self._login_url().rstrip("/")}/{self._tenant_id}", error="invalid_token", '
            f'error_description="{description or message}"'
        )
        return ArmError(401, code, message, {"WWW-Authenticate": challenge})


def _only(request: Request, *methods: str) -> str:
    if request.method not in methods:
        raise ArmError(
            405, "MethodNotAllowed", f"The requested resource does not support http method '{request.method}'."
        )
    return request.method


def _need_group(path: ResourcePath) -> None:
    if path.resource_group is None:
        raise ArmError(404, "NotFound", "The requested resource requires a resource group in its path.")


def _body(request: Request) -> object:
    try:
        return request.json()
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(
            f"The request content was invalid and could not be deserialized: {exc}.", "InvalidRequestContent"
        ) from None

"""The cluster's OIDC issuer: the discovery document and JWKS that Entra reads to trust
service-account tokens (AKS serves them under ``https://<region>.oic.prod-aks.azure.com/<tenant>/<uuid>/``)."""

from __future__ import annotations

from migrator.lab.crypto import SigningKey
from migrator.lab.httpd import Request, Response, json_response


class OidcIssuer:
    name = "oidc"

    def __init__(self, key: SigningKey, path: str) -> None:
        """``path`` is the issuer's path with both slashes, e.g. ``/<tenant>/<uuid>/``."""
        self.key = key
        self.path = path
        self.url = ""  # set once the server is bound

    def jwks(self) -> dict:
        return {"keys": [self.key.jwk()]}

    def discovery(self) -> dict:
        return {
            "issuer": self.url,
            "jwks_uri": f"{self.url}openid/v1/jwks",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def handle(self, request: Request) -> Response:
        if request.method != "GET":
            return self.error(405, "method not allowed")
        if request.path == f"{self.path}.well-known/openid-configuration":
            return json_response(200, self.discovery())
        if request.path == f"{self.path}openid/v1/jwks":
            return json_response(200, self.jwks(), content_type="application/jwk-set+json")
        return self.error(404, "not found")

    def classify(self, request: Request) -> tuple[str, str]:
        return request.method.lower(), "jwks" if request.path.endswith("jwks") else "openid-configuration"

    def error(self, status: int, message: str, retry_after: float | None = None) -> Response:
        headers = {"Retry-After": str(max(1, round(retry_after)))} if retry_after else {}
        return json_response(status, {"error": message}, headers)

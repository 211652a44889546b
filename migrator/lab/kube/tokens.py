"""Service-account tokens as kube-apiserver mints them (TokenRequest and projected volumes)."""

from __future__ import annotations

import time

from migrator.lab.crypto import SigningKey

MIN_EXPIRATION = 600
MAX_EXPIRATION = 86400  # AKS caps service-account token lifetime at 24 h


def mint(
    key: SigningKey,
    *,
    issuer: str,
    namespace: str,
    service_account: dict,
    audiences: list[str],
    expiration: int,
    jti: str,
    pod: dict | None = None,
    node: str | None = None,
    clock_offset: float = 0.0,
) -> tuple[str, int]:
    """The signed JWT and its expiry (epoch seconds); ``clock_offset``: the apiserver's clock is off by that much."""
    now = int(time.time() + clock_offset)
    expiry = now + min(max(expiration, MIN_EXPIRATION), MAX_EXPIRATION)
    sa_meta = service_account["metadata"]
    kube: dict = {"namespace": namespace, "serviceaccount": {"name": sa_meta["name"], "uid": sa_meta["uid"]}}
    if pod is not None:
        kube["pod"] = {"name": pod["metadata"]["name"], "uid": pod["metadata"]["uid"]}
    if node:
        kube["node"] = {"name": node, "uid": ""}
    claims = {
        "aud": list(audiences),
        "exp": expiry,
        "iat": now,
        "nbf": now,
        "iss": issuer,
        "jti": jti,
        "sub": f"system:serviceaccount:{namespace}:{sa_meta['name']}",
        "kubernetes.io": kube,
    }
    return key.sign(claims), expiry

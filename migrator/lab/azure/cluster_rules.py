"""What AKS checks and keeps on a managed-cluster PUT: preconditions, read-only parts of agent pools
and the kubelet identity, and the pod-identity profile's rules. Pure functions over wire JSON."""

from __future__ import annotations

import copy

from migrator.lab.azure.errors import ArmError, bad_request

POOL_READ_ONLY = frozenset(
    {"provisioningState", "powerState", "currentOrchestratorVersion", "nodeImageVersion", "eTag"}
)


def oidc_profile(enabled: bool, issuer_url: str) -> dict:
    return {"enabled": True, "issuerURL": issuer_url} if enabled else {"enabled": False}


def precondition(message: str) -> ArmError:
    return ArmError(412, "PreconditionFailed", message)


def bare_etag(value: str) -> str:
    value = value.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"')


def check_preconditions(wire: dict, if_match: str, if_none_match: str) -> None:
    etag = wire.get("eTag", "")
    if if_match and if_match.strip() != "*" and bare_etag(if_match) != etag:
        raise precondition(
            f"The specified precondition If-Match '{if_match}' does not match the managed cluster's eTag '{etag}'."
        )
    if if_none_match and (if_none_match.strip() == "*" or bare_etag(if_none_match) == etag):
        raise precondition(f"The managed cluster '{wire['name']}' already exists (If-None-Match '{if_none_match}').")


def merge_pools(stored: list[dict], given: list) -> list[dict]:
    by_name = {p.get("name"): p for p in stored}
    result = []
    for pool in given:
        if not isinstance(pool, dict):
            raise bad_request("agentPoolProfiles entries must be objects.", "InvalidParameter")
        merged = copy.deepcopy(by_name.get(pool.get("name"), {}))
        merged.update({k: copy.deepcopy(v) for k, v in pool.items() if k not in POOL_READ_ONLY})
        result.append(merged)
    return result


def merge_identity_profile(stored: dict, given: dict) -> dict:
    result = copy.deepcopy(given)
    old, new = stored.get("kubeletidentity"), result.get("kubeletidentity")
    if isinstance(old, dict) and isinstance(new, dict):
        if str(new.get("resourceId", "")).lower() == str(old.get("resourceId", "")).lower():
            new.setdefault("clientId", old.get("clientId"))
            new.setdefault("objectId", old.get("objectId"))
    elif isinstance(old, dict):
        result["kubeletidentity"] = copy.deepcopy(old)
    return result


def validate_pod_identities(profile: object, props: dict) -> None:
    if not isinstance(profile, dict):
        raise bad_request("podIdentityProfile must be an object.", "InvalidParameter")
    entries = profile.get("userAssignedIdentities") or []
    seen: set[tuple[str, str]] = set()
    for index, entry in enumerate(entries):
        identity = entry.get("identity") if isinstance(entry, dict) else None
        if not (
            isinstance(entry, dict)
            and entry.get("name")
            and entry.get("namespace")
            and isinstance(identity, dict)
            and identity.get("resourceId")
        ):
            raise bad_request(
                f"Pod identity at index {index} is invalid: name, namespace and identity.resourceId are required.",
                "InvalidParameter",
            )
        pair = (entry["namespace"], entry["name"])
        if pair in seen:
            raise bad_request(f"Pod identity '{pair[0]}/{pair[1]}' is specified more than once.", "InvalidParameter")
        seen.add(pair)
    for index, exception in enumerate(profile.get("userAssignedIdentityExceptions") or []):
        if not (
            isinstance(exception, dict)
            and exception.get("name")
            and exception.get("namespace")
            and isinstance(exception.get("podLabels"), dict)
        ):
            raise bad_request(
                f"Pod identity exception at index {index} is invalid: name, namespace and podLabels are required.",
                "InvalidParameter",
            )
    plugin = (props.get("networkProfile") or {}).get("networkPlugin")
    if profile.get("enabled") and plugin == "kubenet" and not profile.get("allowNetworkPluginKubenet"):
        raise bad_request(
            "Pod identity is not supported with the kubenet network plugin unless "
            "podIdentityProfile.allowNetworkPluginKubenet is true. See https://aka.ms/aks/pod-identity.",
            "BadRequest",
        )

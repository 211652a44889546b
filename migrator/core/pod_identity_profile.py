"""The managed cluster's ``podIdentityProfile``: entries removed by cleanup, merged back by rollback (pure).

Both return the whole managed cluster as read with only the profile changed (one PUT keeps
everything else as it is), or None when the cluster already is that way (nothing to PUT).
"""

from __future__ import annotations

import copy

from migrator.core.fields import dig, mapping


def profile_of(cluster: dict | None) -> dict:
    return mapping(dig(cluster, "properties", "podIdentityProfile"))


PROFILE_LISTS = ("userAssignedIdentities", "userAssignedIdentityExceptions")


def profile_removed(cluster: dict, desired: dict) -> dict | None:
    """The managed cluster to PUT: ``podIdentityProfile`` without the named entries (and ``enabled`` as
    ``desired`` says), everything else as read; None when the cluster already is that way."""
    body = copy.deepcopy(cluster)
    profile = mapping(dig(body, "properties", "podIdentityProfile"))
    changed = False
    for name in PROFILE_LISTS:
        drop = {(p.get("namespace"), p.get("name")) for p in mapping(desired.get("remove")).get(name) or []}
        entries = [e for e in profile.get(name) or [] if isinstance(e, dict)]
        kept = [e for e in entries if (e.get("namespace"), e.get("name")) not in drop]
        if len(kept) != len(entries):
            profile[name] = kept
            changed = True
    if "enabled" in desired and profile.get("enabled") != desired["enabled"]:
        profile["enabled"] = desired["enabled"]
        changed = True
    if not changed:
        return None
    body.setdefault("properties", {})["podIdentityProfile"] = profile
    return body


def profile_restored(cluster: dict, prior: dict) -> dict | None:
    """The managed cluster to PUT with the removed entries (and ``enabled``) merged back; None: nothing missing."""
    body = copy.deepcopy(cluster)
    properties = body.setdefault("properties", {})
    profile = mapping(properties.get("podIdentityProfile"))
    changed = False
    for name in PROFILE_LISTS:
        entries = [e for e in profile.get(name) or [] if isinstance(e, dict)]
        present = {(e.get("namespace"), e.get("name")) for e in entries}
        missing = [e for e in prior.get(name) or [] if (e.get("namespace"), e.get("name")) not in present]
        if missing:
            profile[name] = entries + copy.deepcopy(missing)
            changed = True
    if "enabled" in prior and profile.get("enabled") != prior["enabled"]:
        profile["enabled"] = prior["enabled"]
        changed = True
    if not changed:
        return None
    properties["podIdentityProfile"] = profile
    return body

"""ARM resource ids and request paths: parsed once, compared case-insensitively (as ARM does),
echoed in the case they were first stored in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

# ARM spells these types with capitals; the lab answers with this spelling whatever the request used.
CANONICAL_TYPES = {
    t.lower(): t
    for t in (
        "userAssignedIdentities",
        "federatedIdentityCredentials",
        "managedClusters",
        "locations",
        "operations",
    )
}


T = TypeVar("T")


@dataclass(frozen=True)
class ResourcePath:
    """``/subscriptions/{sub}[/resourceGroups/{rg}]/providers/{namespace}/{type}/{name}/{type}[/{name}]...``"""

    subscription: str
    resource_group: str | None
    namespace: str
    types: tuple[str, ...]
    names: tuple[str, ...]

    @property
    def is_collection(self) -> bool:
        """True for a list URL (the last type has no name after it)."""
        return len(self.names) < len(self.types)

    @property
    def last_type(self) -> str:
        return CANONICAL_TYPES.get(self.types[-1].lower(), self.types[-1]) if self.types else ""

    def signature(self) -> tuple[str, ...]:
        """Lower-case namespace and types: what the router dispatches on."""
        return (self.namespace.lower(), *(t.lower() for t in self.types))


def parse_path(path: str) -> ResourcePath | None:
    """The resource path of an ARM URL or resource id; None when it is not one."""
    segments = [s for s in path.split("/") if s]
    if len(segments) < 2 or segments[0].lower() != "subscriptions":
        return None
    subscription, rest = segments[1], segments[2:]
    group = None
    if len(rest) >= 2 and rest[0].lower() == "resourcegroups":
        group, rest = rest[1], rest[2:]
    if len(rest) < 3 or rest[0].lower() != "providers":
        return None
    namespace, pairs = rest[1], rest[2:]
    return ResourcePath(subscription, group, namespace, tuple(pairs[0::2]), tuple(pairs[1::2]))


def expect_path(resource_id: str, signature: tuple[str, str], what: str) -> ResourcePath:
    """The path of a seeding call's resource id, which must name one resource of the given type."""
    path = parse_path(resource_id)
    if path is None or path.resource_group is None or path.signature() != signature or len(path.names) != 1:
        raise ValueError(f"not a {what} resource id: {resource_id!r}")
    return path


def under(records: Mapping[str, T], subscription: str, resource_group: str | None) -> list[T]:
    """The records (keyed by lower-case resource id) in a subscription, or in one of its resource groups."""
    group = f"resourcegroups/{resource_group}/" if resource_group is not None else ""
    prefix = f"/subscriptions/{subscription}/{group}".lower()
    return [record for k, record in records.items() if k.startswith(prefix)]


def key(resource_id: str) -> str:
    """The comparison key of a resource id: lower case, ``resourcegroups`` however it was spelled."""
    parsed = parse_path(resource_id)
    if parsed is None:
        return resource_id.rstrip("/").lower()
    return resource_key(parsed)


def resource_key(path: ResourcePath) -> str:
    group = f"/resourcegroups/{path.resource_group}" if path.resource_group is not None else ""
    pairs = "".join(f"/{t}/{n}" for t, n in zip(path.types, path.names, strict=False))
    return f"/subscriptions/{path.subscription}{group}/providers/{path.namespace}{pairs}".lower()

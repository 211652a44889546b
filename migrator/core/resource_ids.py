"""Azure resource ids of the two kinds wimigrate works with, parsed once (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from migrator.errors import InputError

_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)/providers/"
    r"(?P<provider>microsoft\.managedidentity/userassignedidentities|microsoft\.containerservice/managedclusters)"
    r"/(?P<name>[^/]+)/?$",
    re.I,
)
IDENTITY = "microsoft.managedidentity/userassignedidentities"
CLUSTER = "microsoft.containerservice/managedclusters"


@dataclass(frozen=True)
class ResourceId:
    subscription: str
    resource_group: str
    name: str
    kind: str

    @property
    def key(self) -> str:
        """Case-insensitive identity of the resource, as ARM compares ids."""
        return (
            f"/subscriptions/{self.subscription}/resourcegroups/{self.resource_group}/{self.kind}/{self.name}".lower()
        )


def parse(resource_id: str, kind: str) -> ResourceId | None:
    match = _ID.match(resource_id.strip()) if isinstance(resource_id, str) else None
    if not match or match.group("provider").lower() != kind:
        return None
    return ResourceId(match.group("sub"), match.group("rg"), match.group("name"), kind)


def identity_id(resource_id: str) -> ResourceId | None:
    return parse(resource_id, IDENTITY)


def cluster_id(resource_id: str) -> ResourceId | None:
    return parse(resource_id, CLUSTER)


def require_identity_id(resource_id: str) -> ResourceId:
    """The parsed id, or an input error saying what a user-assigned identity id looks like."""
    rid = identity_id(resource_id)
    if rid is None:
        raise InputError(f"{resource_id!r} is not a user-assigned managed identity resource id")
    return rid


def require_cluster_id(resource_id: str) -> ResourceId:
    """The parsed id, or an input error saying what an AKS cluster id looks like and where to get one."""
    rid = cluster_id(resource_id)
    if rid is None:
        raise InputError(
            f"{resource_id!r} is not an AKS cluster resource id",
            hint="Expected /subscriptions/SUB/resourceGroups/RG/providers/Microsoft.ContainerService/"
            "managedClusters/NAME (`az aks show -g RG -n NAME --query id -o tsv`).",
        )
    return rid


def make_cluster_id(subscription: str, resource_group: str, name: str) -> str:
    provider = "Microsoft.ContainerService/managedClusters"
    return f"/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/{provider}/{name}"

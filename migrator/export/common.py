"""What every export format shares: identity ids, grouping, order, names.

All formats must agree on what one identity is (writes under it have to be
serialised) and on the order (identity, then credential name), so their outputs
are deterministic and can be compared side by side.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from dataclasses import dataclass, field

from migrator.core.plan import ISSUER_PLACEHOLDER, Plan, PlannedCredential

MANAGED_IDENTITY = "managedIdentity"
APPLICATION = "application"
IDENTITY_TYPES = (MANAGED_IDENTITY, APPLICATION)
ISSUER_ENV = "AKS_OIDC_ISSUER"
ISSUER_QUERY = "oidcIssuerProfile.issuerUrl"

# Segment names are matched case-insensitively: ids copied from aad-pod-identity
# manifests often say "resourcegroups" or "microsoft.managedidentity".
_IDENTITY_ID = re.compile(
    r"/subscriptions/(?P<subscription>[^/\s]+)"
    r"/resourceGroups/(?P<resource_group>[^/\s]+)"
    r"/providers/Microsoft\.ManagedIdentity"
    r"/userAssignedIdentities/(?P<name>[^/\s]+)",
    re.IGNORECASE,
)
_ID_SHAPE = (
    "/subscriptions/<subscription>/resourceGroups/<resource-group>"
    "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>"
)


@dataclass(frozen=True)
class IdentityRef:
    """A user-assigned managed identity, located by its resource id."""

    subscription: str
    resource_group: str
    name: str

    @property
    def resource_id(self) -> str:
        """The canonical spelling: Terraform's id parser wants exact segment case."""
        return (
            f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{self.name}"
        )


def parse_identity_id(resource_id: str) -> IdentityRef:
    """Split a user-assigned identity resource id into subscription, group and name.

    Raises ValueError naming the id and the expected shape when it is not one.
    """
    match = _IDENTITY_ID.fullmatch(resource_id) if isinstance(resource_id, str) else None
    if match is None:
        raise ValueError(f"{resource_id!r} is not a user-assigned managed identity resource id; expected {_ID_SHAPE}")
    return IdentityRef(**match.groupdict())


@dataclass
class IdentityGroup:
    """One Azure identity and the credentials to create on it, in order."""

    type: str
    client_id: str
    ref: IdentityRef | None = None
    names: set[str] = field(default_factory=set)
    """The AzureIdentity name(s) in the plan; they may differ from the Azure name."""
    credentials: list[PlannedCredential] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        return ", ".join(sorted(self.names)) or self.client_id

    @property
    def key(self) -> str:
        """What makes two credentials land on the same Azure object."""
        if self.ref is not None:
            return self.ref.resource_id.lower()
        return "app:" + self.client_id.lower()

    @property
    def azure_name(self) -> str:
        return self.ref.name if self.ref is not None else self.display_name


def group_credentials(plan: Plan) -> list[IdentityGroup]:
    """The plan's credentials grouped per Azure identity, in the export order.

    Managed identities come first, then app registrations; each sorted by name,
    and credentials within one by name. Grouping uses the resource id (or the
    app's client id), not the AzureIdentity name: two AzureIdentities may point
    at one Azure identity, and writes under it must still go one at a time.
    """
    groups: dict[str, IdentityGroup] = {}
    for index, cred in enumerate(plan.federatedCredentials):
        group = _group_for(cred, index)
        existing = groups.setdefault(group.key, group)
        if cred.identityName:
            existing.names.add(cred.identityName)
        existing.credentials.append(cred)
    for group in groups.values():
        group.credentials.sort(key=lambda c: (c.name, c.subject, c.issuer, c.audience))
    return sorted(
        groups.values(),
        key=lambda g: (g.type != MANAGED_IDENTITY, g.azure_name.lower(), g.azure_name, g.key),
    )


def _group_for(cred: PlannedCredential, index: int) -> IdentityGroup:
    where = f"federatedCredentials[{index}] ({cred.name!r})"
    if cred.identityType == MANAGED_IDENTITY:
        if not cred.identityResourceID:
            raise ValueError(f"{where} is a managedIdentity credential without identityResourceID")
        try:
            ref = parse_identity_id(cred.identityResourceID)
        except ValueError as err:
            raise ValueError(f"{where}: {err}") from None
        return IdentityGroup(MANAGED_IDENTITY, cred.identityClientID, ref)
    if cred.identityType == APPLICATION:
        if not cred.identityClientID:
            raise ValueError(f"{where} is an application credential without identityClientID")
        return IdentityGroup(APPLICATION, cred.identityClientID)
    raise ValueError(f"{where} has identityType {cred.identityType!r}; expected one of {', '.join(IDENTITY_TYPES)}")


def uses_plan_issuer(plan: Plan, cred: PlannedCredential) -> bool:
    """Whether the credential takes the plan-wide issuer (variable/param) or its own literal."""
    if plan.issuerPlaceholder:
        return cred.issuer in (plan.issuer, ISSUER_PLACEHOLDER)
    return cred.issuer == plan.issuer


def aks_show_command(plan: Plan) -> str:
    """The command that prints the cluster's issuer, with the names the plan knows."""
    cluster = str(plan.options.get("clusterName") or "")
    group = str(plan.options.get("clusterResourceGroup") or plan.options.get("resourceGroup") or "")
    return (
        f"az aks show -g {shlex.quote(group) if group else '<resource-group>'}"
        f" -n {shlex.quote(cluster) if cluster else '<cluster>'}"
        f" --query {ISSUER_QUERY} -o tsv"
    )


def comment_safe(text: str) -> str:
    """Text for a one-line comment: control characters shown escaped, not obeyed."""
    return "".join(ch if ch >= " " and ch != "\x7f" else ch.encode("unicode_escape").decode("ascii") for ch in text)


def short_hash(*parts: str, length: int = 6) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:length]


def identifiers(wanted: list[tuple[str, str]], prefix: str) -> list[str]:
    """Valid, unique identifiers for (readable text, unique key) pairs.

    A name that collides with another's gets a hash of its key appended, so a
    label does not change when unrelated credentials are added or removed
    (Terraform would otherwise plan a destroy and re-create).
    """
    bases = [_identifier(text, prefix) for text, _ in wanted]
    counts: dict[str, int] = {}
    for base in bases:
        counts[base.lower()] = counts.get(base.lower(), 0) + 1
    result = [
        base if counts[base.lower()] == 1 else f"{base}_{short_hash(key)}"
        for base, (_, key) in zip(bases, wanted, strict=True)
    ]
    seen: set[str] = set()
    for i, label in enumerate(result):
        while label.lower() in seen:  # a hash suffix that happens to equal another base
            label = f"{label}_{short_hash(label, wanted[i][1])}"
        seen.add(label.lower())
        result[i] = label
    return result


def _identifier(text: str, prefix: str) -> str:
    body = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return f"{prefix}_{body}" if body else prefix

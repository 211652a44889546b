"""User-assigned managed identities and their federated identity credentials (FICs): state and
the rules Microsoft.ManagedIdentity enforces (domain.md section 3, wire.md A.3/A.4)."""

from __future__ import annotations

import copy
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from migrator.lab.azure.errors import ArmError, bad_request, not_found
from migrator.lab.azure.resource_ids import ResourcePath, expect_path, parse_path, resource_key, under
from migrator.lab.ids import Ids

IDENTITY_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"
FIC_TYPE = f"{IDENTITY_TYPE}/federatedIdentityCredentials"
MAX_CREDENTIALS = 20
MAX_CLAIM_LENGTH = 600
FIC_NAME = re.compile(r"^[a-zA-Z0-9]{1}[a-zA-Z0-9-_]{2,119}$")
IDENTITY_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$")
CONCURRENT_WRITES = "ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity"


@dataclass
class _Identity:
    wire: dict
    credentials: dict[str, dict] = field(default_factory=dict)  # lower-case name -> wire JSON, creation order
    writing: bool = False


def identity_id(subscription: str, resource_group: str, name: str) -> str:
    """How MSI spells an identity's id (lower-case ``resourcegroups``, as in the spec examples)."""
    return f"/subscriptions/{subscription}/resourcegroups/{resource_group}/providers/{IDENTITY_TYPE}/{name}"


def _location_key(location: str) -> str:
    return location.replace(" ", "").lower()


def credential_properties(body: object) -> dict:
    """The validated ``properties`` of a FIC PUT body (wire.md A.4)."""
    props = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(props, dict):
        raise bad_request("The request content was invalid: 'properties' is required.", "InvalidRequestContent")
    issuer, subject, audiences = props.get("issuer"), props.get("subject"), props.get("audiences")
    for label, value in (("issuer", issuer), ("subject", subject)):
        if not isinstance(value, str) or not value:
            raise bad_request(f"The {label} of a Federated Identity Credential is required.")
        if len(value) > MAX_CLAIM_LENGTH:
            raise bad_request(
                f"The {label} of a Federated Identity Credential cannot be longer than {MAX_CLAIM_LENGTH} characters."
            )
    parts = urlsplit(str(issuer))
    if parts.scheme != "https" or not parts.netloc:
        raise bad_request(f"Issuer '{issuer}' is invalid. The issuer must be a valid URL that starts with 'https://'.")
    if not isinstance(audiences, list) or len(audiences) != 1 or not all(isinstance(a, str) and a for a in audiences):
        raise bad_request("Federated identity credentials must have exactly one audience.")
    return {"issuer": issuer, "subject": subject, "audiences": list(audiences)}


class IdentityStore:
    """All identities of the lab's tenant. Every method is atomic under the shared lock, except a
    FIC write, which holds its identity's write slot (not the lock) while it takes its time."""

    def __init__(self, *, tenant_id: str, ids: Ids, lock: threading.RLock, pause: Callable[[], None]) -> None:
        self._tenant_id = tenant_id
        self._ids = ids
        self._lock = lock
        self._pause = pause
        self._identities: dict[str, _Identity] = {}
        self._by_client_id: dict[str, str] = {}
        self.creations: Counter[str] = Counter()
        """ARM creations (201) per credential id, lower-case: tests assert each was created exactly once."""

    # -- seeding and reads (no ARM rules beyond the FIC ones) ------------------------------
    def add(
        self,
        resource_id: str,
        *,
        location: str,
        client_id: str | None,
        principal_id: str | None,
        tags: dict | None,
    ) -> dict:
        path = _identity_path(resource_id)
        with self._lock:
            current = self._identities.get(resource_key(path))
            props = current.wire["properties"] if current else {}
            wire = self._wire(
                resource_id,
                path.names[0],
                location,
                tags,
                client_id or props.get("clientId") or self._ids.uuid(),
                principal_id or props.get("principalId") or self._ids.uuid(),
            )
            self._store(path, wire, current)
            return copy.deepcopy(wire)

    def add_credential(self, identity_resource_id: str, name: str, properties: dict) -> dict:
        """Seed a FIC (no throttling, no write latency); ValueError when a rule forbids it."""
        path = _identity_path(identity_resource_id)
        fic_path = ResourcePath(
            path.subscription,
            path.resource_group,
            path.namespace,
            (*path.types, "federatedIdentityCredentials"),
            (*path.names, name),
        )
        try:
            props = credential_properties({"properties": properties})
            _check_name(name)
            with self._lock:
                identity = self._require(fic_path)
                existing = identity.credentials.get(name.lower())
                _check_rules(identity, name, props, existing)
                wire = _credential_wire(identity, existing["name"] if existing else name, props)
                identity.credentials[name.lower()] = wire
                return copy.deepcopy(wire)
        except ArmError as exc:
            raise ValueError(exc.message) from None

    def get(self, resource_id: str) -> dict | None:
        path = parse_path(resource_id)
        with self._lock:
            identity = self._identities.get(resource_key(path)) if path else None
            return copy.deepcopy(identity.wire) if identity else None

    def credentials(self, resource_id: str) -> list[dict]:
        path = parse_path(resource_id)
        with self._lock:
            identity = self._identities.get(resource_key(path)) if path else None
            return copy.deepcopy(list(identity.credentials.values())) if identity else []

    def by_client_id(self, client_id: str) -> tuple[dict, list[dict]] | None:
        """The identity with this client id and its credentials: what Entra matches assertions against."""
        with self._lock:
            identity = self._identities.get(self._by_client_id.get(client_id.lower(), ""))
            if identity is None:
                return None
            return copy.deepcopy(identity.wire), copy.deepcopy(list(identity.credentials.values()))

    # -- ARM: identities -----------------------------------------------------------------------
    def arm_get(self, path: ResourcePath) -> dict:
        with self._lock:
            return copy.deepcopy(self._require(path).wire)

    def arm_list(self, subscription: str, resource_group: str | None) -> list[dict]:
        with self._lock:
            return [copy.deepcopy(i.wire) for i in under(self._identities, subscription, resource_group)]

    def arm_put(self, path: ResourcePath, body: object) -> tuple[int, dict]:
        name = path.names[0]
        if not IDENTITY_NAME.match(name):
            raise bad_request(
                f"Resource name '{name}' is invalid. The name can be 3-128 characters long, must begin with a letter "
                "or number, and can contain only letters, numbers, underscores and hyphens.",
                "InvalidResourceName",
            )
        if not isinstance(body, dict):
            raise bad_request("The request content was invalid and could not be deserialized.", "InvalidRequestContent")
        location, tags = body.get("location"), body.get("tags")
        if not isinstance(location, str) or not location:
            raise bad_request("The location property is required for this definition.", "LocationRequired")
        if tags is not None and not isinstance(tags, dict):
            raise bad_request("The request content was invalid: 'tags' must be an object.", "InvalidRequestContent")
        props = body.get("properties")
        scope = props.get("isolationScope") if isinstance(props, dict) else None
        with self._lock:
            current = self._identities.get(resource_key(path))
            if current is None:
                wire = self._wire(
                    identity_id(path.subscription, path.resource_group or "", name),
                    name,
                    location,
                    tags,
                    self._ids.uuid(),
                    self._ids.uuid(),
                )
            else:
                old = current.wire["location"]
                if _location_key(old) != _location_key(location):
                    raise bad_request(
                        f"The resource '{current.wire['name']}' already exists in location '{old}' in resource group "
                        f"'{path.resource_group}'. A resource with the same name cannot be created in location "
                        f"'{location}'. Please select a new resource name.",
                        "InvalidResourceLocation",
                    )
                wire = copy.deepcopy(current.wire)
                wire["tags"] = dict(tags or {})
            if scope is not None:
                wire["properties"]["isolationScope"] = scope
            self._store(path, wire, current)
            return (201 if current is None else 200), copy.deepcopy(wire)

    def arm_patch(self, path: ResourcePath, body: object) -> dict:
        if not isinstance(body, dict):
            raise bad_request("The request content was invalid and could not be deserialized.", "InvalidRequestContent")
        with self._lock:
            identity = self._require(path)
            if isinstance(body.get("tags"), dict):
                identity.wire["tags"] = dict(body["tags"])
            props = body.get("properties")
            if isinstance(props, dict) and props.get("isolationScope") is not None:
                identity.wire["properties"]["isolationScope"] = props["isolationScope"]
            return copy.deepcopy(identity.wire)

    def arm_delete(self, path: ResourcePath) -> bool:
        """Deletes the identity and its credentials; False when there was nothing to delete."""
        with self._lock:
            identity = self._identities.pop(resource_key(path), None)
            if identity is None:
                return False
            self._by_client_id.pop(identity.wire["properties"]["clientId"].lower(), None)
            return True

    # -- ARM: federated identity credentials -------------------------------------------------
    def fic_get(self, path: ResourcePath) -> dict:
        with self._lock:
            identity = self._require(path)
            wire = identity.credentials.get(path.names[1].lower())
            if wire is None:
                raise not_found(
                    f"{IDENTITY_TYPE}/{path.names[0]}/federatedIdentityCredentials", path.names[1], path.resource_group
                )
            return copy.deepcopy(wire)

    def fic_list(self, path: ResourcePath) -> list[dict]:
        with self._lock:
            return copy.deepcopy(list(self._require(path).credentials.values()))

    def fic_put(self, path: ResourcePath, body: object) -> tuple[int, dict]:
        """Create (201) or update (200) a FIC. Takes the identity's write slot for the write's
        duration: a second write to the same identity meanwhile gets 409."""
        name = path.names[1]
        _check_name(name)
        props = credential_properties(body)
        with self._lock:
            identity = self._claim(path)
            try:
                existing = identity.credentials.get(name.lower())
                _check_rules(identity, name, props, existing)
            except ArmError:
                identity.writing = False
                raise
        try:
            self._pause()
            with self._lock:
                if self._identities.get(resource_key(_identity_only(path))) is not identity:
                    raise self._missing(path)
                existing = identity.credentials.get(name.lower())
                wire = _credential_wire(identity, existing["name"] if existing else name, props)
                identity.credentials[name.lower()] = wire
                if existing is None:
                    self.creations[wire["id"].lower()] += 1
                return (200 if existing else 201), copy.deepcopy(wire)
        finally:
            with self._lock:
                identity.writing = False

    def fic_delete(self, path: ResourcePath) -> bool:
        """False when the credential did not exist (ARM answers 204)."""
        with self._lock:
            identity = self._claim(path)
        try:
            self._pause()
            with self._lock:
                return identity.credentials.pop(path.names[1].lower(), None) is not None
        finally:
            with self._lock:
                identity.writing = False

    # -- internals ----------------------------------------------------------------------------
    def _wire(
        self, resource_id: str, name: str, location: str, tags: dict | None, client_id: str, principal_id: str
    ) -> dict:
        return {
            "id": resource_id,
            "name": name,
            "type": IDENTITY_TYPE,
            "location": location,
            "tags": dict(tags or {}),
            "properties": {
                "tenantId": self._tenant_id,
                "principalId": principal_id,
                "clientId": client_id,
                "isolationScope": "None",
            },
        }

    def _store(self, path: ResourcePath, wire: dict, current: _Identity | None) -> None:
        if current is None:
            self._identities[resource_key(path)] = _Identity(wire)
        else:
            self._by_client_id.pop(current.wire["properties"]["clientId"].lower(), None)
            current.wire = wire
        self._by_client_id[wire["properties"]["clientId"].lower()] = resource_key(path)

    def _require(self, path: ResourcePath) -> _Identity:
        identity = self._identities.get(resource_key(_identity_only(path)))
        if identity is None:
            raise self._missing(path)
        return identity

    def _claim(self, path: ResourcePath) -> _Identity:
        identity = self._require(path)
        if identity.writing:
            raise ArmError(
                409,
                CONCURRENT_WRITES,
                "Concurrent writes of federated identity credentials under the same managed identity are not "
                "supported. Write them one at a time for each managed identity.",
            )
        identity.writing = True
        return identity

    @staticmethod
    def _missing(path: ResourcePath) -> ArmError:
        return not_found(IDENTITY_TYPE, path.names[0], path.resource_group)


def _identity_path(resource_id: str) -> ResourcePath:
    return expect_path(resource_id, ("microsoft.managedidentity", "userassignedidentities"), "user-assigned identity")


def _identity_only(path: ResourcePath) -> ResourcePath:
    return ResourcePath(path.subscription, path.resource_group, path.namespace, path.types[:1], path.names[:1])


def _check_name(name: str) -> None:
    if not FIC_NAME.match(name):
        raise bad_request(f"Federated Identity Credential name '{name}' is invalid.")


def _check_rules(identity: _Identity, name: str, props: dict, existing: dict | None) -> None:
    if existing is None and len(identity.credentials) >= MAX_CREDENTIALS:
        raise bad_request(
            f"The managed identity '{identity.wire['name']}' already has {MAX_CREDENTIALS} federated identity "
            f"credentials, the maximum allowed. Delete an unused one before adding another."
        )
    for other in identity.credentials.values():
        if other is existing:
            continue
        theirs = other["properties"]
        if theirs["issuer"] == props["issuer"] and theirs["subject"] == props["subject"]:
            raise bad_request("Issuer and subject combination already exists for this Managed Identity.")


def _credential_wire(identity: _Identity, name: str, props: dict) -> dict:
    return {
        "id": f"{identity.wire['id']}/federatedIdentityCredentials/{name}",
        "name": name,
        "type": FIC_TYPE,
        "properties": copy.deepcopy(props),
    }

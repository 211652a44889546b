"""Enrich an inventory with what Azure says: the managed cluster's prerequisites, the pod identities
the AKS add-on manages, and each user-assigned identity's ids and federated credentials.

Expected failures (404, 403, no answer, no sign-in) become facts or findings, never exceptions:
a plan is still worth making when Azure can be read only in part, and the findings say what to fix.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from migrator.core import findings as F
from migrator.core.fields import mapping
from migrator.core.model import (
    AzureIdentityFacts,
    Binding,
    ClusterFacts,
    Identity,
    Inventory,
    PodIdentityException,
    Source,
)
from migrator.core.resource_ids import ResourceId, identity_id, require_cluster_id
from migrator.errors import Forbidden, NotFound, ServiceError, Unauthorized, Unavailable
from migrator.ports import ClustersPort, IdentitiesPort

MAX_WORKERS = 4
"""Readers in parallel. Each identity costs two reads; ARM allows about 10 reads/s per subscription,
and azure-core already waits out a 429's Retry-After, so a few threads are plenty."""

MANAGED_IDENTITY_TYPES = ("systemassigned", "userassigned")


def discover_azure(
    clusters: ClustersPort | None, identities: IdentitiesPort, inventory: Inventory, cluster_id: str | None
) -> None:
    """Read the managed cluster (when ``cluster_id`` is given) and every user-assigned identity.

    Fills ``inventory.cluster`` (keeping what cluster discovery set: ``webhook_installed``,
    ``context``), adds or marks the add-on's pod identities, bindings and exceptions, and records
    ``inventory.azure_identities``. Raises InputError only for a malformed cluster id.
    """
    stop: ServiceError | None = None
    if cluster_id and clusters is not None:
        stop = _read_cluster(clusters, inventory, cluster_id)
    if stop is None:
        _read_identities(identities, inventory)


# -- the managed cluster -----------------------------------------------------------------------------


def _read_cluster(clusters: ClustersPort, inventory: Inventory, resource_id: str) -> ServiceError | None:
    """The error that makes further Azure reads pointless (no sign-in, no answer), else None."""
    rid = require_cluster_id(resource_id)
    try:
        wire = clusters.get(resource_id)
    except ServiceError as exc:
        inventory.cluster = _facts_from(inventory.cluster, resource_id, rid)
        inventory.findings.append(_cluster_failure(exc, rid, resource_id))
        return exc if isinstance(exc, Unauthorized | Unavailable) else None
    inventory.cluster = cluster_facts(wire, resource_id, inventory.cluster)
    add_pod_identities(wire, rid, inventory)
    return None


def _facts_from(previous: ClusterFacts | None, resource_id: str, rid: ResourceId) -> ClusterFacts:
    """Facts that only know which cluster this is, keeping what the cluster itself told us."""
    return ClusterFacts(
        resource_id=resource_id,
        name=rid.name,
        resource_group=rid.resource_group,
        webhook_installed=previous.webhook_installed if previous else None,
        context=previous.context if previous else None,
    )


def cluster_facts(wire: dict[str, Any], resource_id: str, previous: ClusterFacts | None = None) -> ClusterFacts:
    """The prerequisites as the managed cluster's wire JSON states them (wire.md B.3).

    The issuer is kept byte for byte: Entra compares it exactly with the tokens' ``iss``.
    """
    rid = require_cluster_id(resource_id)
    facts = _facts_from(previous, resource_id, rid)
    props = mapping(wire.get("properties"))
    oidc = mapping(props.get("oidcIssuerProfile"))
    issuer = oidc.get("issuerURL") or oidc.get("issuerUrl")
    facts.oidc_issuer_enabled = oidc.get("enabled") is True
    facts.issuer = issuer if isinstance(issuer, str) and issuer and facts.oidc_issuer_enabled else None
    workload_identity = mapping(mapping(props.get("securityProfile")).get("workloadIdentity"))
    facts.workload_identity_enabled = workload_identity.get("enabled") is True
    facts.pod_identity_enabled = mapping(props.get("podIdentityProfile")).get("enabled") is True
    facts.uses_managed_identity = _uses_managed_identity(wire)
    version = props.get("kubernetesVersion") or props.get("currentKubernetesVersion")
    facts.kubernetes_version = str(version) if version else None
    return facts


def _uses_managed_identity(wire: dict[str, Any]) -> bool | None:
    """AKS runs on a managed identity when ``identity.type`` names one; a service-principal cluster
    has no ``identity`` and its ``servicePrincipalProfile.clientId`` is the app's id, not "msi"."""
    kind = str(mapping(wire.get("identity")).get("type") or "").replace(" ", "").lower()
    if any(t in kind.split(",") for t in MANAGED_IDENTITY_TYPES):
        return True
    client = mapping(mapping(wire.get("properties")).get("servicePrincipalProfile")).get("clientId")
    if isinstance(client, str) and client:
        return client.lower() == "msi"
    return False if kind == "none" else None


def _cluster_failure(exc: ServiceError, rid: ResourceId, resource_id: str) -> Any:
    label = f"AKS cluster {rid.resource_group}/{rid.name}"
    if isinstance(exc, NotFound):
        return F.make(
            "aks-cluster-not-found",
            f"{label} does not exist in subscription {rid.subscription} ({exc.message})",
            obj=resource_id,
        )
    if isinstance(exc, Forbidden):
        return F.make(
            "aks-cluster-unreadable",
            f"{label} cannot be read ({exc.message})",
            obj=resource_id,
            fix="Ask for read access to the cluster: `az role assignment create --role Reader --assignee <you> "
            f"--scope {resource_id}`; until then its prerequisites are unknown.",
        )
    return F.make(
        "azure-unavailable",
        f"{label} could not be read"
        + (", so nothing else was read from Azure" if isinstance(exc, Unauthorized | Unavailable) else "")
        + f": {exc.message}",
        obj=resource_id,
        fix=exc.hint,
    )


# -- the add-on's pod identities ------------------------------------------------------------------------


def add_pod_identities(wire: dict[str, Any], rid: ResourceId, inventory: Inventory) -> None:
    """Join ``podIdentityProfile`` to the inventory, marked ``aks_managed``.

    The add-on creates an AzureIdentity and an AzureIdentityBinding (``<name>-binding``) per pod
    identity; when cluster discovery already read them they are marked, never added twice.
    """
    profile = mapping(mapping(wire.get("properties")).get("podIdentityProfile"))
    if profile.get("enabled") is not True:
        return
    where = f"aks:{rid.resource_group}/{rid.name}:podIdentityProfile"
    for i, entry in enumerate(_entries(profile, "userAssignedIdentities")):
        name, namespace = str(entry["name"]), str(entry["namespace"])
        arm = mapping(entry.get("identity"))
        resource_id = _text(arm.get("resourceId"))
        client_id = _text(arm.get("clientId"))
        selector = _text(entry.get("bindingSelector")) or name
        source = Source(f"{where}.userAssignedIdentities[{i}]")
        known = [x for x in inventory.identities if x.key == (namespace, name)]
        for ident in known:
            ident.aks_managed = True
            ident.resource_id = ident.resource_id or resource_id
            ident.client_id = ident.client_id or client_id
        if not known:
            inventory.identities.append(
                Identity(
                    name=name,
                    namespace=namespace,
                    type=0,
                    client_id=client_id,
                    resource_id=resource_id,
                    tenant_id=None,
                    source=source,
                    aks_managed=True,
                )
            )
        bound = [
            b
            for b in inventory.bindings
            if b.namespace == namespace
            and (b.name == f"{name}-binding" or (b.identity == name and b.selector == selector))
        ]
        for binding in bound:
            binding.aks_managed = True
        if not bound:
            inventory.bindings.append(
                Binding(
                    name=f"{name}-binding",
                    namespace=namespace,
                    identity=name,
                    selector=selector,
                    source=source,
                    aks_managed=True,
                )
            )
    for i, entry in enumerate(_entries(profile, "userAssignedIdentityExceptions")):
        name, namespace = str(entry["name"]), str(entry["namespace"])
        known_exceptions = [e for e in inventory.exceptions if (e.namespace, e.name) == (namespace, name)]
        for exception in known_exceptions:
            exception.aks_managed = True
        if not known_exceptions:
            labels = {str(k): str(v) for k, v in mapping(entry.get("podLabels")).items()}
            inventory.exceptions.append(
                PodIdentityException(
                    name=name,
                    namespace=namespace,
                    pod_labels=labels,
                    source=Source(f"{where}.userAssignedIdentityExceptions[{i}]"),
                    aks_managed=True,
                )
            )


def _entries(profile: dict, key: str) -> list[dict]:
    items = profile.get(key)
    return [
        e
        for e in (items if isinstance(items, list) else [])
        if isinstance(e, dict) and _text(e.get("name")) and _text(e.get("namespace"))
    ]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# -- user-assigned identities -------------------------------------------------------------------------


def _read_identities(port: IdentitiesPort, inventory: Inventory) -> None:
    wanted: dict[str, str] = {}  # lower-cased id -> the id as first written
    for ident in inventory.identities:
        if ident.type == 0 and ident.resource_id and identity_id(ident.resource_id):
            wanted.setdefault(ident.resource_id.lower(), ident.resource_id)
    if not wanted:
        return
    stop = threading.Event()
    failures: list[ServiceError] = []
    lock = threading.Lock()

    def read(resource_id: str) -> AzureIdentityFacts | None:
        if stop.is_set():
            return None
        try:
            return read_identity(port, resource_id)
        except ServiceError as exc:
            with lock:
                failures.append(exc)
            if isinstance(exc, Unauthorized | Unavailable):
                stop.set()  # every other read would fail the same way, slowly
            return None

    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(wanted)), thread_name_prefix="azure-read") as pool:
        results = list(pool.map(read, wanted.values()))
    for key, facts in zip(wanted, results, strict=True):
        if facts is not None:
            inventory.azure_identities[key] = facts
    for ident in inventory.identities:
        facts = inventory.azure_identities.get((ident.resource_id or "").lower()) if ident.type == 0 else None
        if facts is not None and facts.found and facts.client_id and not ident.client_id:
            ident.client_id = facts.client_id
    if failures:
        unread = len(wanted) - len(inventory.azure_identities)
        inventory.findings.append(
            F.make(
                "azure-unavailable",
                f"{unread} of {len(wanted)} user-assigned identities could not be read from Azure: "
                f"{failures[0].message}",
                fix=failures[0].hint,
            )
        )


def read_identity(port: IdentitiesPort, resource_id: str) -> AzureIdentityFacts:
    """One identity and its federated credentials. 404: ``found`` False. 403: ``error`` set (found
    unknown, or credentials unknown). Other failures raise ServiceError."""
    try:
        arm = port.identity(resource_id)
    except NotFound:
        return AzureIdentityFacts(resource_id, found=False)
    except Forbidden as exc:
        return AzureIdentityFacts(resource_id, found=False, error=exc.message)
    facts = AzureIdentityFacts(
        resource_id,
        found=True,
        client_id=getattr(arm, "client_id", None),
        principal_id=getattr(arm, "principal_id", None),
        tenant_id=getattr(arm, "tenant_id", None),
    )
    try:
        facts.credentials = list(port.credentials(resource_id))
    except NotFound:  # deleted between the two reads
        return AzureIdentityFacts(resource_id, found=False)
    except Forbidden as exc:
        facts.error = exc.message
    return facts

"""AKS managed clusters: the wire JSON (wire.md B.3), the validation AKS does on a PUT, and PUT as
a long-running operation (wire.md B.2 "Lab recipe").

A PUT changes nothing at once: it answers 201 ``Updating`` and starts an operation. When the
operation's (paced) time is up, the new state is stored, subscribers are told (the kube side
installs the workload identity webhook, reconciles pod-identity CRs...), and only then does the
operation report ``Succeeded``: whoever waits on the poller sees the cluster already reconciled.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from migrator.lab.azure.cluster_rules import (
    check_preconditions,
    merge_identity_profile,
    merge_pools,
    oidc_profile,
    precondition,
    validate_pod_identities,
)
from migrator.lab.azure.errors import ArmError, bad_request, not_found
from migrator.lab.azure.gates import Gate
from migrator.lab.azure.identities import IdentityStore, identity_id
from migrator.lab.azure.resource_ids import ResourcePath, expect_path, parse_path, resource_key, under
from migrator.lab.azure.wire import iso_time
from migrator.lab.ids import Ids
from migrator.lab.pacing import Pacing

LOG = logging.getLogger("migrator.lab.azure")

CLUSTER_TYPE = "Microsoft.ContainerService/managedClusters"
OPERATION_SECONDS = 5.0  # nominal duration of a managed-cluster update (real AKS: minutes)
POLL_SECONDS = 1.0  # nominal Retry-After of the operation status
READ_ONLY = frozenset(
    {
        "provisioningState",
        "powerState",
        "currentKubernetesVersion",
        "fqdn",
        "privateFQDN",
        "azurePortalFQDN",
        "maxAgentPools",
        "resourceUID",
    }
)

Notify = Callable[[str, dict], None]


@dataclass
class Operation:
    id: str
    subscription: str
    location: str
    cluster_key: str
    desired: dict
    started: float  # wall clock, for startTime/endTime
    deadline: float  # monotonic
    failure: tuple[str, str] | None = None
    status: str = "InProgress"
    ended: float | None = None

    def status_body(self) -> dict:
        body: dict = {
            "id": f"/subscriptions/{self.subscription}/providers/Microsoft.ContainerService/locations/"
            f"{self.location}/operations/{self.id}",
            "name": self.id,
            "status": self.status,
            "startTime": iso_time(self.started),
        }
        if self.ended is not None:
            body["endTime"] = iso_time(self.ended)
        if self.status == "Failed" and self.failure:
            body["error"] = {"code": self.failure[0], "message": self.failure[1]}
        return body


@dataclass
class _Cluster:
    wire: dict
    issuer_url: str
    operation: Operation | None = None
    failures: list[tuple[str, str]] = field(default_factory=list)


class ClusterStore:
    def __init__(
        self,
        *,
        tenant_id: str,
        ids: Ids,
        pacing: Pacing,
        lock: threading.RLock,
        identities: IdentityStore,
        notify: Notify,
        gate: Callable[[], Gate | None],
    ) -> None:
        self._tenant_id = tenant_id
        self._ids = ids
        self._pacing = pacing
        self._lock = lock
        self._identities = identities
        self._notify = notify
        self._gate = gate
        self._clusters: dict[str, _Cluster] = {}
        self._operations: dict[str, Operation] = {}
        self._timers: set[threading.Timer] = set()
        self.operation_seconds = OPERATION_SECONDS

    # -- seeding and reads --------------------------------------------------------------------
    def add(
        self,
        resource_id: str,
        *,
        location: str,
        issuer_url: str,
        oidc_issuer_enabled: bool,
        workload_identity_enabled: bool,
        pod_identity_profile: dict | None,
        kubelet_identity: dict | None,
        service_principal_client_id: str | None = None,
    ) -> dict:
        """A managed-identity cluster (``identity`` SystemAssigned, ``servicePrincipalProfile.clientId``
        "msi", as AKS shows it), or with ``service_principal_client_id`` a legacy service-principal one
        (no ``identity``)."""
        path = _cluster_path(resource_id)
        name, group = path.names[0], path.resource_group or ""
        node_group = f"MC_{group}_{name}_{location}"
        kubelet = (
            copy.deepcopy(kubelet_identity)
            if kubelet_identity
            else {
                "resourceId": identity_id(path.subscription, node_group, f"{name}-agentpool"),
            }
        )
        self._ensure_identity(kubelet, location)
        wire: dict = {
            "id": resource_id,
            "name": name,
            "type": CLUSTER_TYPE,
            "location": location,
            "tags": {},
            "eTag": self._ids.uuid(),
            "sku": {"name": "Base", "tier": "Free"},
            "identity": {"type": "SystemAssigned", "principalId": self._ids.uuid(), "tenantId": self._tenant_id},
            "properties": {
                "provisioningState": "Succeeded",
                "powerState": {"code": "Running"},
                "kubernetesVersion": "1.30",
                "currentKubernetesVersion": "1.30.5",
                "dnsPrefix": f"{name}-dns",
                "fqdn": f"{name}-dns-{self._ids.hexdigits(8).lower()}.hcp.{location}.azmk8s.io",
                "agentPoolProfiles": [
                    {
                        "name": "nodepool1",
                        "count": 2,
                        "vmSize": "Standard_DS2_v2",
                        "osType": "Linux",
                        "mode": "System",
                        "type": "VirtualMachineScaleSets",
                        "orchestratorVersion": "1.30",
                        "currentOrchestratorVersion": "1.30.5",
                        "provisioningState": "Succeeded",
                        "powerState": {"code": "Running"},
                    }
                ],
                "nodeResourceGroup": node_group,
                "enableRBAC": True,
                "networkProfile": {"networkPlugin": "azure", "loadBalancerSku": "standard"},
                "identityProfile": {"kubeletidentity": kubelet},
                "oidcIssuerProfile": oidc_profile(oidc_issuer_enabled, issuer_url),
                "securityProfile": {"workloadIdentity": {"enabled": workload_identity_enabled}},
                "servicePrincipalProfile": {"clientId": service_principal_client_id or "msi"},
            },
        }
        if service_principal_client_id:
            del wire["identity"]
        with self._lock:
            if pod_identity_profile is not None:
                wire["properties"]["podIdentityProfile"] = self._pod_identities(
                    pod_identity_profile, None, "Assigned", strict=False
                )
            self._clusters[resource_key(path)] = _Cluster(wire, issuer_url)
            result = copy.deepcopy(wire)
        self._notify(resource_id, copy.deepcopy(result))
        return result

    def get(self, resource_id: str) -> dict | None:
        path = parse_path(resource_id)
        with self._lock:
            cluster = self._clusters.get(resource_key(path)) if path else None
            return copy.deepcopy(cluster.wire) if cluster else None

    def fail_next_operation(self, resource_id: str, code: str, message: str) -> None:
        with self._lock:
            self._require_id(resource_id).failures.append((code, message))

    def set_pod_identity_provisioning(
        self, resource_id: str, *, name: str, namespace: str, state: str, error: dict | None = None
    ) -> dict:
        """Set a pod identity's read-only ``provisioningState`` (and ``provisioningInfo.error``), e.g.
        to emulate the add-on failing to assign an identity. Subscribers are not told: no PUT happened."""
        with self._lock:
            cluster = self._require_id(resource_id)
            profile = cluster.wire["properties"].get("podIdentityProfile") or {}
            for entry in profile.get("userAssignedIdentities") or []:
                if entry.get("name") == name and entry.get("namespace") == namespace:
                    entry["provisioningState"] = state
                    entry["provisioningInfo"] = {"error": {"error": copy.deepcopy(error)}} if error else None
                    return copy.deepcopy(cluster.wire)
        raise ValueError(f"no pod identity {namespace}/{name} on {resource_id}")

    def close(self) -> None:
        with self._lock:
            timers, self._timers = self._timers, set()
        for timer in timers:
            timer.cancel()

    # -- ARM ----------------------------------------------------------------------------------
    def arm_get(self, path: ResourcePath) -> dict:
        with self._lock:
            return copy.deepcopy(self._require(path).wire)

    def arm_list(self, subscription: str, resource_group: str | None) -> list[dict]:
        with self._lock:
            return [copy.deepcopy(c.wire) for c in under(self._clusters, subscription, resource_group)]

    def arm_put(self, path: ResourcePath, body: object, if_match: str, if_none_match: str) -> tuple[dict, Operation]:
        """Validate and start an update; the caller answers 201 with the returned body."""
        with self._lock:
            cluster = self._clusters.get(resource_key(path))
            if cluster is None:
                if if_match:
                    raise precondition(f"The managed cluster '{path.names[0]}' does not exist.")
                raise bad_request(
                    "Creating managed clusters is not supported by the wimigrate lab: seed the cluster instead "
                    "(AzureCloud.add_managed_cluster)."
                )
            check_preconditions(cluster.wire, if_match, if_none_match)
            current = cluster.operation
            if current is not None and current.status == "InProgress":
                raise ArmError(
                    409,
                    "OperationNotAllowed",
                    f"Operation is not allowed because there's an in progress update managed cluster operation "
                    f"with ID '{current.id}' started at {iso_time(current.started)}. Please wait for it to finish "
                    "before starting a new operation. See https://aka.ms/aks-pending-operation for more details.",
                )
            desired = self._desired(cluster, body)
            wire = cluster.wire
            operation = Operation(
                id=self._ids.uuid(),
                subscription=path.subscription,
                location=wire["location"],
                cluster_key=resource_key(path),
                desired=desired,
                started=time.time(),
                deadline=time.monotonic() + self._pacing.seconds(self.operation_seconds),
                failure=cluster.failures.pop(0) if cluster.failures else None,
            )
            cluster.operation = operation
            self._operations[operation.id.lower()] = operation
            wire["properties"]["provisioningState"] = "Updating"
            answer = copy.deepcopy(desired)
            answer["properties"]["provisioningState"] = "Updating"
            timer = threading.Timer(self._pacing.seconds(self.operation_seconds), self._finish, args=(operation,))
            timer.daemon = True
            self._timers.add(timer)
            timer.start()
        return answer, operation

    def operation(self, subscription: str, location: str, operation_id: str) -> Operation:
        with self._lock:
            operation = self._operations.get(operation_id.lower())
            if (
                operation is None
                or operation.subscription.lower() != subscription.lower()
                or operation.location.replace(" ", "").lower() != location.replace(" ", "").lower()
            ):
                raise ArmError(404, "NotFound", f"Operation '{operation_id}' was not found.")
            return copy.deepcopy(operation)

    def poll_seconds(self) -> float:
        return self._pacing.seconds(POLL_SECONDS)

    # -- the operation's end -------------------------------------------------------------------
    def _finish(self, operation: Operation) -> None:
        gate = self._gate()
        if gate is not None:
            gate.pass_through()
        with self._lock:
            self._timers = {t for t in self._timers if t.is_alive() and t is not threading.current_thread()}
            cluster = self._clusters.get(operation.cluster_key)
            if cluster is None:
                return
            if operation.failure is not None:
                cluster.wire["properties"]["provisioningState"] = "Failed"
                self._end(cluster, operation, "Failed")
                return
            stored = copy.deepcopy(operation.desired)
            stored["eTag"] = self._ids.uuid()
            stored["properties"]["provisioningState"] = "Updating"  # until subscribers are done
            cluster.wire = stored
            final = copy.deepcopy(stored)
            final["properties"]["provisioningState"] = "Succeeded"
            resource_id = stored["id"]
        try:
            self._notify(resource_id, final)
        finally:
            with self._lock:
                cluster.wire["properties"]["provisioningState"] = "Succeeded"
                self._end(cluster, operation, "Succeeded")

    @staticmethod
    def _end(cluster: _Cluster, operation: Operation, status: str) -> None:
        operation.status = status
        operation.ended = time.time()
        if cluster.operation is operation:
            cluster.operation = None

    # -- what a PUT asks for ------------------------------------------------------------------
    def _desired(self, cluster: _Cluster, body: object) -> dict:
        """The cluster as it will be once the PUT succeeds: writable fields from the body, read-only
        ones kept (the SDK never sends them), validated the way AKS does."""
        if not isinstance(body, dict) or not isinstance(body.get("properties", {}), dict):
            raise bad_request("The request content was invalid and could not be deserialized.", "InvalidRequestContent")
        stored = cluster.wire
        location = body.get("location")
        if isinstance(location, str) and location.replace(" ", "").lower() != stored["location"].lower():
            raise bad_request(
                f"The location of managed cluster '{stored['name']}' cannot be changed from '{stored['location']}' "
                f"to '{location}'.",
                "InvalidParameter",
            )
        desired = copy.deepcopy(stored)
        for name in ("tags", "sku", "kind", "extendedLocation"):
            if name in body:
                desired[name] = copy.deepcopy(body[name])
        if isinstance(body.get("identity"), dict):
            desired["identity"] = self._cluster_identity(stored.get("identity") or {}, body["identity"])
        props, old = desired["properties"], stored["properties"]
        given: dict = body.get("properties") or {}
        for name, value in given.items():
            if name in READ_ONLY:
                continue
            if name == "agentPoolProfiles" and isinstance(value, list):
                props[name] = merge_pools(old.get(name) or [], value)
            elif name == "identityProfile" and isinstance(value, dict):
                props[name] = merge_identity_profile(old.get(name) or {}, value)
            elif name not in ("oidcIssuerProfile", "podIdentityProfile", "securityProfile"):
                props[name] = copy.deepcopy(value)
        self._apply_oidc_and_workload_identity(cluster, props, given)
        if any(t in str((desired.get("identity") or {}).get("type")) for t in ("SystemAssigned", "UserAssigned")):
            props["servicePrincipalProfile"] = {"clientId": "msi"}  # `az aks update --enable-managed-identity`
        if "podIdentityProfile" in given:
            profile = given["podIdentityProfile"]
            if profile is None:
                props.pop("podIdentityProfile", None)
            else:
                validate_pod_identities(profile, props)
                props["podIdentityProfile"] = self._pod_identities(profile, old.get("podIdentityProfile"), "Assigned")
        return desired

    def _apply_oidc_and_workload_identity(self, cluster: _Cluster, props: dict, given: dict) -> None:
        was = bool((cluster.wire["properties"].get("oidcIssuerProfile") or {}).get("enabled"))
        oidc = given.get("oidcIssuerProfile")
        wants = bool(oidc.get("enabled")) if isinstance(oidc, dict) and "enabled" in oidc else was
        if was and not wants:
            raise bad_request(
                "The OIDC issuer cannot be disabled once it is enabled on a managed cluster. "
                "See https://aka.ms/aks/oidc-issuer.",
                "BadRequest",
            )
        props["oidcIssuerProfile"] = oidc_profile(wants, cluster.issuer_url)
        security = given.get("securityProfile")
        if isinstance(security, dict):
            merged = copy.deepcopy(security)
            if not isinstance(merged.get("workloadIdentity"), dict):
                merged["workloadIdentity"] = copy.deepcopy((props.get("securityProfile") or {}).get("workloadIdentity"))
                if merged["workloadIdentity"] is None:
                    merged.pop("workloadIdentity")
            props["securityProfile"] = merged
        workload_identity = bool(((props.get("securityProfile") or {}).get("workloadIdentity") or {}).get("enabled"))
        if workload_identity and not wants:
            raise bad_request(
                "Enabling workload identity requires the OIDC issuer: set properties.oidcIssuerProfile.enabled "
                "to true (az aks update --enable-oidc-issuer --enable-workload-identity).",
                "BadRequest",
            )

    def _cluster_identity(self, stored: dict, given: dict) -> dict:
        result = copy.deepcopy(given)
        if "SystemAssigned" in str(result.get("type")):
            result["principalId"] = stored.get("principalId") or self._ids.uuid()
            result["tenantId"] = self._tenant_id
        assigned = result.get("userAssignedIdentities")
        if isinstance(assigned, dict):
            for rid in list(assigned):
                known = self._identities.get(rid)
                props = known["properties"] if known else {}
                assigned[rid] = {"principalId": props.get("principalId"), "clientId": props.get("clientId")}
        return result

    def _pod_identities(self, profile: dict, previous: dict | None, state: str, strict: bool = True) -> dict:
        """Fill the read-only parts of pod identities: client/object ids from the identity, and the
        provisioning state (kept for entries that did not change). ``strict``: an identity that
        does not exist is a 400 (seeding is lenient)."""
        result = copy.deepcopy(profile)
        before = {(e.get("namespace"), e.get("name")): e for e in (previous or {}).get("userAssignedIdentities") or []}
        for entry in result.get("userAssignedIdentities") or []:
            identity = entry.setdefault("identity", {})
            known = self._identities.get(identity.get("resourceId", ""))
            if known is not None:
                identity["clientId"] = known["properties"]["clientId"]
                identity["objectId"] = known["properties"]["principalId"]
            old = before.get((entry.get("namespace"), entry.get("name")))
            same = (
                old is not None
                and (old.get("identity") or {}).get("resourceId", "").lower()
                == str(identity.get("resourceId", "")).lower()
            )
            entry["provisioningState"] = old.get("provisioningState", state) if same and old else state
            entry["provisioningInfo"] = copy.deepcopy(old.get("provisioningInfo")) if same and old else None
            entry.setdefault("bindingSelector", None)
            if strict and known is None and not (identity.get("clientId") and identity.get("objectId")):
                raise bad_request(
                    f"The user assigned identity '{identity.get('resourceId')}' of pod identity "
                    f"'{entry.get('namespace')}/{entry.get('name')}' was not found.",
                    "InvalidParameter",
                )
        return result

    def _ensure_identity(self, reference: dict, location: str) -> None:
        """AKS creates the kubelet identity in the node resource group: make it a real identity."""
        rid = reference.get("resourceId")
        if not rid:
            return
        known = self._identities.get(rid)
        if known is None:
            try:
                known = self._identities.add(
                    rid,
                    location=location,
                    client_id=reference.get("clientId"),
                    principal_id=reference.get("objectId"),
                    tags=None,
                )
            except ValueError:
                return
        reference.setdefault("clientId", known["properties"]["clientId"])
        reference.setdefault("objectId", known["properties"]["principalId"])

    def _require(self, path: ResourcePath) -> _Cluster:
        cluster = self._clusters.get(resource_key(path))
        if cluster is None:
            raise not_found(CLUSTER_TYPE, path.names[0], path.resource_group)
        return cluster

    def _require_id(self, resource_id: str) -> _Cluster:
        cluster = self._clusters.get(resource_key(_cluster_path(resource_id)))
        if cluster is None:
            raise ValueError(f"no managed cluster {resource_id}")
        return cluster


def _cluster_path(resource_id: str) -> ResourcePath:
    return expect_path(resource_id, ("microsoft.containerservice", "managedclusters"), "managed cluster")

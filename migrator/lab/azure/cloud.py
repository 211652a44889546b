"""One emulated Azure tenant: the ARM and Entra services over shared state, plus the seeding,
inspection and test hooks the lab and its tests use directly (never over HTTP)."""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable, Iterable

from migrator.lab.azure.arm import ArmService
from migrator.lab.azure.clusters import ClusterStore
from migrator.lab.azure.entra import EntraService, Principal
from migrator.lab.azure.gates import Gate
from migrator.lab.azure.identities import IdentityStore
from migrator.lab.azure.throttle import FIC_WRITE_LIMITS, Throttle
from migrator.lab.crypto import SigningKey
from migrator.lab.ids import Ids
from migrator.lab.pacing import Pacing

LOG = logging.getLogger("migrator.lab.azure")

FIC_WRITE_SECONDS = 1.0  # nominal time a FIC PUT/DELETE keeps its identity busy
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"

Subscriber = Callable[[str, dict], None]


class AzureCloud:
    """ARM (``self.arm``) and Entra (``self.entra``) for one tenant.

    Tunables for tests: ``fic_write_seconds`` (nominal), ``fic_write_limits`` (a :class:`Throttle`;
    ``configure(scope, RateLimit)``), ``page_size``, ``cluster_operation_seconds`` (nominal).
    """

    def __init__(
        self,
        *,
        tenant_id: str,
        ids: Ids,
        pacing: Pacing,
        entra_key: SigningKey,
        issuer_jwks: Callable[[str], dict | None],
        error_style: str,
    ) -> None:
        if error_style not in ("generic", "specific"):
            raise ValueError("error_style must be 'generic' or 'specific'")
        self.tenant_id = tenant_id
        self.pacing = pacing
        self.login_url = "https://login.microsoftonline.com"  # for ARM's 401 challenge; the lab may set its own
        self.fic_write_seconds = FIC_WRITE_SECONDS
        self._ids = ids
        self._lock = threading.RLock()
        self._subscribers: list[Subscriber] = []
        self._applications: dict[str, Principal] = {}
        self._fic_gate: Gate | None = None
        self._cluster_gate: Gate | None = None
        self.fic_write_limits = Throttle(pacing, FIC_WRITE_LIMITS)
        self._identities = IdentityStore(tenant_id=tenant_id, ids=ids, lock=self._lock, pause=self._pause_fic_write)
        self._clusters = ClusterStore(
            tenant_id=tenant_id,
            ids=ids,
            pacing=pacing,
            lock=self._lock,
            identities=self._identities,
            notify=self._notify,
            gate=lambda: _closed_gate(self._cluster_gate),
        )
        self.arm = ArmService(
            tenant_id=tenant_id,
            jwks={"keys": [entra_key.jwk()]},
            pacing=pacing,
            identities=self._identities,
            clusters=self._clusters,
            fic_writes=self.fic_write_limits,
            login_url=lambda: self.login_url,
        )
        self.entra = EntraService(
            tenant_id=tenant_id,
            key=entra_key,
            principal=self._principal,
            issuer_jwks=issuer_jwks,
            error_style=error_style,
        )

    # -- seeding ------------------------------------------------------------------------------
    def register_application(self, client_id: str, *, display_name: str, federated: list[dict]) -> None:
        """An Entra app registration (not an ARM resource) trusting the given federated credentials."""
        credentials = tuple(
            {"issuer": c["issuer"], "subject": c["subject"], "audiences": list(c.get("audiences") or [])}
            for c in federated
        )
        with self._lock:
            known = self._applications.get(client_id.lower())
            object_id = known.object_id if known else self._ids.uuid()
            self._applications[client_id.lower()] = Principal(
                client_id, object_id, credentials, display_name=display_name
            )

    def add_identity(
        self,
        resource_id: str,
        *,
        location: str = "eastus",
        client_id: str | None = None,
        principal_id: str | None = None,
        tags: dict | None = None,
    ) -> dict:
        """Create (or replace, keeping its ids) a user-assigned identity; no throttling."""
        return self._identities.add(
            resource_id, location=location, client_id=client_id, principal_id=principal_id, tags=tags
        )

    def add_federated_credential(
        self,
        identity_id: str,
        name: str,
        *,
        issuer: str,
        subject: str,
        audiences: Iterable[str] = (TOKEN_EXCHANGE_AUDIENCE,),
    ) -> dict:
        """Seed a FIC under an identity (no throttling, no write latency); ValueError if a rule forbids it."""
        return self._identities.add_credential(
            identity_id, name, {"issuer": issuer, "subject": subject, "audiences": list(audiences)}
        )

    def add_managed_cluster(
        self,
        resource_id: str,
        *,
        location: str,
        issuer_url: str,
        oidc_issuer_enabled: bool,
        workload_identity_enabled: bool,
        pod_identity_profile: dict | None = None,
        kubelet_identity: dict | None = None,
        service_principal_client_id: str | None = None,
    ) -> dict:
        """Seed an AKS cluster (its kubelet identity becomes an identity too); subscribers are told.
        ``service_principal_client_id`` makes a legacy cluster that runs as a service principal."""
        return self._clusters.add(
            resource_id,
            location=location,
            issuer_url=issuer_url,
            oidc_issuer_enabled=oidc_issuer_enabled,
            workload_identity_enabled=workload_identity_enabled,
            pod_identity_profile=pod_identity_profile,
            kubelet_identity=kubelet_identity,
            service_principal_client_id=service_principal_client_id,
        )

    # -- inspection ---------------------------------------------------------------------------
    def identity(self, resource_id: str) -> dict | None:
        return self._identities.get(resource_id)

    def credentials(self, resource_id: str) -> list[dict]:
        return self._identities.credentials(resource_id)

    def credential_creations(self) -> dict[str, int]:
        """How often ARM created (201) each federated credential, by its id in lower case; seeding not counted."""
        with self._lock:
            return dict(self._identities.creations)

    def managed_cluster(self, resource_id: str) -> dict | None:
        return self._clusters.get(resource_id)

    def subscribe(self, callback: Subscriber) -> None:
        """``callback(cluster_id, cluster_json)`` after seeding and after each successful PUT (before
        the operation reports Succeeded). Never called with the lock held."""
        with self._lock:
            self._subscribers.append(callback)

    # -- test and scenario hooks --------------------------------------------------------------
    def set_pod_identity_provisioning(
        self, cluster_id: str, *, name: str, namespace: str, state: str, error: dict | None = None
    ) -> dict:
        """Set a pod identity's provisioningState (and provisioningInfo error) as the add-on would report it."""
        return self._clusters.set_pod_identity_provisioning(
            cluster_id, name=name, namespace=namespace, state=state, error=error
        )

    def fail_next_cluster_operation(
        self,
        cluster_id: str,
        *,
        code: str = "InternalOperationError",
        message: str = "The managed cluster operation failed. Retry the operation.",
    ) -> None:
        """The next PUT of this cluster is accepted but its operation ends Failed; nothing changes."""
        self._clusters.fail_next_operation(cluster_id, code, message)

    def hold_fic_writes(self) -> Gate:
        """Park every FIC write (PUT/DELETE) mid-write, its identity busy, until the gate is released."""
        gate = Gate()
        with self._lock:
            self._fic_gate = gate
        return gate

    def hold_cluster_operations(self) -> Gate:
        """Keep managed-cluster operations in progress past their time until the gate is released."""
        gate = Gate()
        with self._lock:
            self._cluster_gate = gate
        return gate

    @property
    def page_size(self) -> int:
        return self.arm.page_size

    @page_size.setter
    def page_size(self, value: int) -> None:
        self.arm.page_size = value

    @property
    def cluster_operation_seconds(self) -> float:
        return self._clusters.operation_seconds

    @cluster_operation_seconds.setter
    def cluster_operation_seconds(self, value: float) -> None:
        self._clusters.operation_seconds = value

    def close(self) -> None:
        """Cancel pending operation timers and open any gates (for a lab that stops)."""
        self._clusters.close()
        for gate in (self._fic_gate, self._cluster_gate):
            if gate is not None:
                gate.release()

    # -- internals ----------------------------------------------------------------------------
    def _pause_fic_write(self) -> None:
        gate = _closed_gate(self._fic_gate)
        if gate is not None:
            gate.pass_through()
        else:
            time.sleep(self.pacing.seconds(self.fic_write_seconds))

    def _notify(self, cluster_id: str, wire: dict) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(cluster_id, copy.deepcopy(wire))
            except Exception:  # a subscriber's bug must not wedge the operation
                LOG.exception("managed cluster subscriber failed for %s", cluster_id)

    def _principal(self, client_id: str) -> Principal | None:
        with self._lock:
            application = self._applications.get(client_id.lower())
        if application is not None:
            return application
        found = self._identities.by_client_id(client_id)
        if found is None:
            return None
        wire, credentials = found
        return Principal(
            client_id=wire["properties"]["clientId"],
            object_id=wire["properties"]["principalId"],
            credentials=tuple(c["properties"] for c in credentials),
            resource_id=wire["id"],
            display_name=wire["name"],
        )


def _closed_gate(gate: Gate | None) -> Gate | None:
    return gate if gate is not None and not gate.is_open else None

"""The Kubernetes resources wimigrate reads or writes, and their REST paths."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None, name: str | None = None, subresource: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        if name:
            base += f"/{name}"
            if subresource:
                base += f"/{subresource}"
        return base


PODS = Resource("", "v1", "pods", "Pod")
SERVICE_ACCOUNTS = Resource("", "v1", "serviceaccounts", "ServiceAccount")
NAMESPACES = Resource("", "v1", "namespaces", "Namespace", namespaced=False)
EVENTS = Resource("", "v1", "events", "Event")
REPLICATION_CONTROLLERS = Resource("", "v1", "replicationcontrollers", "ReplicationController")
DEPLOYMENTS = Resource("apps", "v1", "deployments", "Deployment")
REPLICA_SETS = Resource("apps", "v1", "replicasets", "ReplicaSet")
STATEFUL_SETS = Resource("apps", "v1", "statefulsets", "StatefulSet")
DAEMON_SETS = Resource("apps", "v1", "daemonsets", "DaemonSet")
JOBS = Resource("batch", "v1", "jobs", "Job")
CRON_JOBS = Resource("batch", "v1", "cronjobs", "CronJob")
NETWORK_POLICIES = Resource("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy")
MUTATING_WEBHOOKS = Resource(
    "admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", False
)
AZURE_IDENTITIES = Resource("aadpodidentity.k8s.io", "v1", "azureidentities", "AzureIdentity")
AZURE_IDENTITY_BINDINGS = Resource("aadpodidentity.k8s.io", "v1", "azureidentitybindings", "AzureIdentityBinding")
AZURE_POD_IDENTITY_EXCEPTIONS = Resource(
    "aadpodidentity.k8s.io", "v1", "azurepodidentityexceptions", "AzurePodIdentityException"
)
AZURE_ASSIGNED_IDENTITIES = Resource("aadpodidentity.k8s.io", "v1", "azureassignedidentities", "AzureAssignedIdentity")
SECRET_PROVIDER_CLASSES = Resource("secrets-store.csi.x-k8s.io", "v1", "secretproviderclasses", "SecretProviderClass")

WORKLOADS: dict[str, Resource] = {
    r.kind: r
    for r in (DEPLOYMENTS, STATEFUL_SETS, DAEMON_SETS, REPLICA_SETS, REPLICATION_CONTROLLERS, JOBS, CRON_JOBS, PODS)
}
"""Pod-bearing kinds by kind name, as the plan names them."""


def workload_resource(kind: str) -> Resource:
    try:
        return WORKLOADS[kind]
    except KeyError:
        raise ValueError(f"{kind} is not a workload kind wimigrate can change") from None

"""Workload identity's prerequisites, checked against what discovery learned (pure: no I/O).

Each unmet prerequisite is a finding whose message carries the exact command that fixes it.
A fact that is None was not read, so it is unknown: only what is known to be wrong is reported.
"""

from __future__ import annotations

import shlex
from collections import defaultdict

from migrator.core import findings as F
from migrator.core.model import AzureIdentityFacts, ClusterFacts, Finding, Identity, Inventory
from migrator.core.planner import FIC_LIMIT
from migrator.core.resource_ids import ResourceId, cluster_id, identity_id

HELM_REPO = "https://azure.github.io/azure-workload-identity/charts"


def prerequisite_findings(inventory: Inventory) -> list[Finding]:
    findings: list[Finding] = []
    if inventory.cluster is not None:
        findings.extend(_cluster_findings(inventory.cluster, _tenant(inventory)))
    users: dict[str, list[Identity]] = defaultdict(list)
    for ident in inventory.identities:
        if ident.type == 0 and ident.resource_id:
            users[ident.resource_id.lower()].append(ident)
    for key, facts in sorted(inventory.azure_identities.items()):
        findings.extend(_identity_findings(facts, users.get(key, [])))
    findings.sort(key=F.sort_key)
    return findings


# -- the cluster --------------------------------------------------------------------------------------


def aks_update(cluster: ClusterFacts, *flags: str) -> str | None:
    """``az aks update -g RG -n NAME FLAGS [--subscription SUB]``; None when the cluster is not known as AKS."""
    if not (cluster.name and cluster.resource_group):
        return None
    rid = cluster_id(cluster.resource_id or "")
    command = ["az", "aks", "update", "-g", cluster.resource_group, "-n", cluster.name, *flags]
    if rid is not None:
        command += ["--subscription", rid.subscription]
    return shlex.join(command)


def helm_install_webhook(tenant_id: str | None) -> str:
    """The open-source webhook chart, for a cluster that is not AKS (AKS has it as a feature)."""
    tenant = shlex.quote(tenant_id) if tenant_id else '"$AZURE_TENANT_ID"'
    return (
        f"helm repo add azure-workload-identity {HELM_REPO} && helm repo update && "
        "helm install workload-identity-webhook azure-workload-identity/workload-identity-webhook "
        f"--namespace azure-workload-identity-system --create-namespace --set azureTenantID={tenant}"
    )


def _cluster_findings(cluster: ClusterFacts, tenant_id: str | None) -> list[Finding]:
    findings: list[Finding] = []
    aks = cluster.name is not None and cluster.resource_group is not None
    label = f"AKS cluster {cluster.resource_group}/{cluster.name}" if aks else _kube_label(cluster)
    obj = cluster.resource_id or cluster.context
    if cluster.oidc_issuer_enabled is False and aks:
        findings.append(
            F.make(
                "oidc-issuer-disabled",
                f"The OIDC issuer of {label} is disabled",
                obj=obj,
                fix=f"Run `{aks_update(cluster, '--enable-oidc-issuer')}` (it cannot be disabled again), then plan "
                "again to get its issuer.",
            )
        )
    # A webhook that runs while AKS's feature is off was installed with the Helm chart: enabling
    # the feature as well would run two webhooks.
    if cluster.workload_identity_enabled is False and aks and cluster.webhook_installed is not True:
        flags = ("--enable-oidc-issuer",) if cluster.oidc_issuer_enabled is False else ()
        unknown = (
            " (unless the open-source webhook chart runs in it: never both)"
            if cluster.webhook_installed is None
            else ""
        )
        findings.append(
            F.make(
                "workload-identity-disabled",
                f"Workload identity is disabled on {label}{unknown}",
                obj=obj,
                fix=f"Run `{aks_update(cluster, *flags, '--enable-workload-identity')}`; it installs the "
                "mutating webhook (Helm release aks-managed-workload-identity in kube-system).",
            )
        )
    if cluster.webhook_installed is False:
        if aks and cluster.workload_identity_enabled is not False:
            findings.append(
                F.make(
                    "webhook-not-installed",
                    f"The workload identity webhook is not running in {label}"
                    + (", although AKS reports the feature enabled" if cluster.workload_identity_enabled else ""),
                    obj=obj,
                    fix=f"Run `{aks_update(cluster, '--enable-workload-identity')}` (AKS reconciles its webhook); "
                    "do not also install the open-source chart.",
                )
            )
        elif not aks:
            findings.append(
                F.make(
                    "webhook-not-installed",
                    f"The workload identity webhook is not running in {label}",
                    obj=obj,
                    fix=f"On AKS run `az aks update -g RG -n NAME --enable-workload-identity`; elsewhere install "
                    f"the open-source chart: `{helm_install_webhook(tenant_id)}`. Never both.",
                )
            )
    if cluster.uses_managed_identity is False and aks:
        findings.append(
            F.make(
                "cluster-not-managed-identity",
                f"{label} runs with a service principal, not a managed identity",
                obj=obj,
                fix=f"Run `{aks_update(cluster, '--enable-managed-identity')}`, then "
                f"`az aks nodepool upgrade --node-image-only` for each node pool to move the kubelet over.",
            )
        )
    return findings


def _kube_label(cluster: ClusterFacts) -> str:
    return f"the cluster of context {cluster.context}" if cluster.context else "the cluster"


def _tenant(inventory: Inventory) -> str | None:
    for facts in inventory.azure_identities.values():
        if facts.tenant_id:
            return facts.tenant_id
    return next((i.tenant_id for i in inventory.identities if i.tenant_id), None)


# -- identities ---------------------------------------------------------------------------------------


def _identity_findings(facts: AzureIdentityFacts, users: list[Identity]) -> list[Finding]:
    findings: list[Finding] = []
    rid = identity_id(facts.resource_id)
    name = rid.name if rid else facts.resource_id
    used_by = ", ".join(sorted(f"{i.namespace}/{i.name}" for i in users)) or "no AzureIdentity"
    source = users[0].source if users else None
    quoted = shlex.quote(facts.resource_id)
    if facts.error:
        what = "its federated credentials cannot be listed" if facts.found else "it cannot be read"
        findings.append(
            F.make(
                "azure-identity-unreadable",
                f"Identity {name} (used by {used_by}): {what} ({facts.error})",
                source,
                facts.resource_id,
                fix="Ask for a role on it that reads it and writes its federated credentials: "
                f'`az role assignment create --role "Managed Identity Contributor" --assignee <you> --scope {quoted}`.',
            )
        )
    elif not facts.found:
        create = _az("identity create", *_group(rid), "-n", rid.name) if rid else "az identity create -g RG -n NAME"
        findings.append(
            F.make(
                "azure-identity-not-found",
                f"Identity {name} (used by {used_by}) does not exist in Azure",
                source,
                facts.resource_id,
                fix=f"Check the id with `az identity show --ids {quoted}`; if it was deleted, re-create it with "
                f"`{create}`, grant its roles again and set the AzureIdentity's clientID to its new client id.",
            )
        )
    if not facts.found:
        return findings
    for ident in users:
        if ident.client_id and facts.client_id and ident.client_id.lower() != facts.client_id.lower():
            findings.append(
                F.make(
                    "azure-client-id-mismatch",
                    f"AzureIdentity {ident.namespace}/{ident.name} has clientID {ident.client_id}, but Azure says "
                    f"identity {name} has client id {facts.client_id}",
                    ident.source,
                    f"{ident.namespace}/AzureIdentity/{ident.name}",
                    fix=f"Set spec.clientID to {facts.client_id} (`az identity show --ids {quoted} --query clientId "
                    "-o tsv`), or correct spec.resourceID if it names the wrong identity; the plan annotates "
                    "ServiceAccounts with the clientID.",
                )
            )
    if len(facts.credentials) >= FIC_LIMIT:
        list_command = (
            _az("identity federated-credential list", "--identity-name", rid.name, *_group(rid), "-o", "table")
            if rid
            else "az identity federated-credential list --identity-name NAME -g RG"
        )
        findings.append(
            F.make(
                "fic-limit-reached",
                f"Identity {name} (used by {used_by}) already has {len(facts.credentials)} federated credentials "
                f"(limit {FIC_LIMIT}): no new one can be added",
                source,
                facts.resource_id,
                fix=f"Review them with `{list_command}` and delete unused ones (`az identity federated-credential "
                "delete`), or move some workloads to another identity.",
            )
        )
    return findings


def _group(rid: ResourceId) -> tuple[str, ...]:
    return ("-g", rid.resource_group, "--subscription", rid.subscription)


def _az(command: str, *args: str) -> str:
    """An ``az`` command line, its values quoted for a POSIX shell."""
    return shlex.join(["az", *command.split(), *args])

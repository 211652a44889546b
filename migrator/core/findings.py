"""The catalogue of findings: one stable code each, its severity and what to do.

Codes are part of the public interface (JSON output, playbooks, the README
table), so they are defined once here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from migrator.core.model import Finding, Source

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}


@dataclass(frozen=True)
class Spec:
    severity: str
    title: str
    fix: str


CATALOG: dict[str, Spec] = {
    # reading sources
    "invalid-yaml": Spec(
        ERROR,
        "The file is not valid YAML",
        "Fix the syntax at the line shown (`yamllint FILE` helps); the rest of the tree was still read.",
    ),
    "not-utf8": Spec(ERROR, "The file is not UTF-8 text", "Re-encode the file as UTF-8 (`iconv -f LATIN1 -t UTF-8`)."),
    "empty-file": Spec(INFO, "The file holds no YAML document", "Nothing to do; remove the file if it is left over."),
    "file-too-large": Spec(
        WARNING,
        "The file is larger than the size limit and was not read",
        "Split the file, or raise the limit with --max-file-size.",
    ),
    "unreadable-file": Spec(
        ERROR,
        "The file could not be read",
        "Check that it exists (a dangling link?) and that its permissions let you read it.",
    ),
    "symlink-outside-root": Spec(
        INFO,
        "A symbolic link points outside the scanned tree and was not followed",
        "Scan the link's target directly with another --manifests if it belongs to the migration.",
    ),
    "template-not-yaml": Spec(
        WARNING,
        "A Helm/Go or Terraform template mentions pod identity; templates are not YAML and are not changed",
        'Change the template by hand: replace the `aadpodidbinding` label with `azure.workload.identity/use: "true"` and set `serviceAccountName` (or the values that feed them), or render it first (`helm template`, `kustomize build`) and scan the output.',
    ),
    "duplicate-object": Spec(
        WARNING,
        "The same object is declared more than once",
        "Only one declaration can be applied; the last one read is used. Remove the others, or scan one overlay at a time.",
    ),
    "unresolved-variable": Spec(
        ERROR,
        "A selector, label or id is still a placeholder and cannot be matched",
        "Render the manifests first (`kustomize build`, `envsubst`, `terraform` templatefile) and scan the output, or give the literal value.",
    ),
    # plan options
    "invalid-issuer": Spec(
        ERROR,
        "The OIDC issuer is not an https URL",
        "Pass the cluster's issuer exactly as `az aks show -g RG -n NAME --query oidcIssuerProfile.issuerUrl -o tsv` prints it.",
    ),
    "issuer-without-trailing-slash": Spec(
        WARNING,
        "The OIDC issuer has no trailing '/', but AKS issuers end with one and Entra compares byte for byte",
        "Copy the issuer exactly from `az aks show -g RG -n NAME --query oidcIssuerProfile.issuerUrl -o tsv`.",
    ),
    # identities
    "service-principal-identity": Spec(
        WARNING,
        "The AzureIdentity is a service principal (type 1 or 2), not a managed identity",
        "Create the federated credential on the app registration (`az ad app federated-credential create`, see `wimigrate export`), then delete the client secret or certificate once verified.",
    ),
    "invalid-identity-type": Spec(
        ERROR,
        "The AzureIdentity type is not 0, 1 or 2",
        "Set spec.type to 0 (user-assigned managed identity), 1 (service principal) or 2 (service principal certificate).",
    ),
    "identity-not-found": Spec(
        ERROR,
        "A binding names an AzureIdentity that is not in the scanned sources",
        "Add the manifest that declares the AzureIdentity (another --manifests), or scan the live cluster.",
    ),
    "identity-missing-ids": Spec(
        ERROR,
        "The AzureIdentity lacks its client id or resource id",
        "Set spec.clientID and spec.resourceID (type 0) so the plan can annotate the ServiceAccount and federate the identity.",
    ),
    "multiple-identities-for-selector": Spec(
        ERROR,
        "Several identities are bound to one selector, but a ServiceAccount carries one client-id",
        "Pick the identity the ServiceAccount gets with --identity-for NAMESPACE/SELECTOR=IDENTITY; the others get federated credentials too and must be named by client id in the application.",
    ),
    "fic-limit-exceeded": Spec(
        ERROR,
        "More than 20 federated credentials would be needed on one identity",
        "Share ServiceAccounts between workloads of the identity (--sa-name-pattern '{identity}'), or split the workloads across several identities.",
    ),
    # bindings and matching
    "cross-namespace-binding": Spec(
        WARNING,
        "A workload matches a binding in another namespace",
        "This works only while MIC runs without --forceNamespaced; the plan federates the workload's own namespace, which is what workload identity needs.",
    ),
    "unmatched-selector": Spec(
        WARNING,
        "The workload's aadpodidbinding label matches no AzureIdentityBinding",
        "Nothing to migrate for it; remove the label, or add the binding manifest to the scan.",
    ),
    "unused-binding": Spec(
        INFO,
        "No workload in the scanned sources uses this binding",
        "If nothing in the cluster uses it either, delete it during cleanup.",
    ),
    "invalid-label-value": Spec(
        ERROR,
        "A label value is not a valid Kubernetes label value",
        "Label values are at most 63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit, and must be strings (quote \"true\").",
    ),
    "label-not-on-pods": Spec(
        WARNING,
        "aadpodidbinding is on the workload's own metadata but not on its pod template, so it never reached the pods",
        'Nothing to migrate unless the workload really needs the identity; then label the pod template with `azure.workload.identity/use: "true"`.',
    ),
    "label-in-custom-resource": Spec(
        WARNING,
        "aadpodidbinding is set inside another resource's fields (an operator's custom resource or Helm values)",
        'Change it where it is set: replace the label with `azure.workload.identity/use: "true"` in the same field and set the pod\'s ServiceAccount there; the operator or chart then creates migrated pods.',
    ),
    "selector-label-retained": Spec(
        WARNING,
        "aadpodidbinding is part of spec.selector.matchLabels, which is immutable",
        "Keep the label on the pod template forever, or recreate the workload with a new selector in a separate change.",
    ),
    "already-migrated": Spec(
        INFO,
        "The workload already carries azure.workload.identity/use",
        "Nothing to add; the plan still checks its ServiceAccount and federated credential.",
    ),
    "partial-workload": Spec(
        INFO,
        "The workload is a kustomize patch, not a whole object",
        "It is planned with what the patch holds; the base it patches must be scanned too for a complete picture.",
    ),
    # service accounts
    "default-service-account": Spec(
        INFO,
        "The workload runs as the `default` ServiceAccount",
        "The plan creates a dedicated ServiceAccount so that the default one does not carry an identity.",
    ),
    "shared-service-account": Spec(
        WARNING,
        "One ServiceAccount is used by workloads bound to different identities",
        "The plan gives those workloads dedicated ServiceAccounts; review their RBAC bindings.",
    ),
    "service-account-client-id-conflict": Spec(
        WARNING,
        "The ServiceAccount already carries another client-id",
        "The plan uses a dedicated ServiceAccount; remove the stale annotation if it is unused.",
    ),
    "client-id-env-override": Spec(
        WARNING,
        "A container already sets AZURE_CLIENT_ID, which the webhook will not overwrite",
        "Remove the env var, or make sure its value is the identity's client id.",
    ),
    # proxy sidecar
    "sidecar-unsupported-windows": Spec(
        ERROR,
        "The proxy sidecar runs on Linux only",
        "Use label mode after upgrading the Azure Identity SDK (see README: SDK minimum versions).",
    ),
    "sidecar-unsupported-hostnetwork": Spec(
        ERROR,
        "The webhook rejects a proxy-sidecar pod that uses hostNetwork",
        "Use label mode after upgrading the SDK, or drop hostNetwork.",
    ),
    "sidecar-blocked-by-pod-security": Spec(
        ERROR,
        "The namespace enforces Pod Security baseline/restricted, which forbids the privileged azwi-proxy-init container",
        "Use label mode after upgrading the SDK, or relax the namespace's pod-security.kubernetes.io/enforce label during the migration.",
    ),
    "sidecar-job-never-completes": Spec(
        WARNING,
        "Before Kubernetes 1.32 the proxy is not a native sidecar, so a Job with it never completes",
        "Use label mode for Jobs and CronJobs, or upgrade the cluster to 1.32+ (pass --kubernetes-version).",
    ),
    # key vault
    "flexvolume-keyvault": Spec(
        WARNING,
        "The retired Key Vault FlexVolume authenticates with pod identity",
        "Move to the Secrets Store CSI driver with a SecretProviderClass (clientID: <client id>); FlexVolume has no workload identity mode.",
    ),
    "secret-provider-class-unowned": Spec(
        WARNING,
        "No planned workload mounts this SecretProviderClass, so its identity is unknown",
        "Scan the workloads that mount it, or set clientID by hand.",
    ),
    # live cluster
    "crd-not-installed": Spec(
        INFO,
        "The cluster does not serve this resource: its CRD is not installed",
        "Nothing of that kind to migrate there. If it should exist, check the context (--context) and "
        "`kubectl get crd azureidentities.aadpodidentity.k8s.io secretproviderclasses.secrets-store.csi.x-k8s.io`.",
    ),
    "cluster-read-denied": Spec(
        WARNING,
        "Reading a resource was denied (403), so the inventory is incomplete",
        "Check with `kubectl auth can-i list RESOURCE -A`; wimigrate needs get and list on pods, serviceaccounts, "
        "namespaces, replicationcontrollers, deployments, replicasets, statefulsets, daemonsets, jobs, cronjobs, "
        "azureidentities, azureidentitybindings, azurepodidentityexceptions, secretproviderclasses and "
        "mutatingwebhookconfigurations (a ClusterRole bound with a ClusterRoleBinding), or scan fewer namespaces "
        "with -n.",
    ),
    "label-only-on-pods": Spec(
        WARNING,
        "Pods carry aadpodidbinding but the pod template of the object that owns them does not "
        "(labelled by hand with `kubectl label pod`?), so the next rollout drops the label",
        "If the workload needs the identity, put the label in its pod template (in Git) and migrate that; "
        "otherwise remove the label from the pods (`kubectl label pod NAME aadpodidbinding-`).",
    ),
    # prerequisites: the managed cluster and the identities in Azure
    "oidc-issuer-disabled": Spec(
        ERROR,
        "The cluster's OIDC issuer is disabled, so there is no issuer to federate with",
        "Run `az aks update -g RG -n NAME --enable-oidc-issuer` (it cannot be disabled again), then plan again to get its issuer.",
    ),
    "workload-identity-disabled": Spec(
        ERROR,
        "Workload identity is disabled on the AKS cluster, so nothing injects the token into pods",
        "Run `az aks update -g RG -n NAME --enable-workload-identity`; it installs the mutating webhook (Helm release aks-managed-workload-identity in kube-system).",
    ),
    "webhook-not-installed": Spec(
        ERROR,
        "The workload identity webhook is not running in the cluster",
        "On AKS run `az aks update -g RG -n NAME --enable-workload-identity`; elsewhere install the open-source chart (`helm install workload-identity-webhook azure-workload-identity/workload-identity-webhook`). Never both.",
    ),
    "cluster-not-managed-identity": Spec(
        WARNING,
        "The AKS cluster runs with a service principal, not a managed identity",
        "Run `az aks update -g RG -n NAME --enable-managed-identity`, then `az aks nodepool upgrade --node-image-only` for each node pool to move the kubelet over.",
    ),
    "aks-cluster-not-found": Spec(
        ERROR,
        "The AKS cluster given does not exist",
        "Check the id: `az aks show -g RG -n NAME --query id -o tsv` prints it (mind the subscription).",
    ),
    "aks-cluster-unreadable": Spec(
        WARNING,
        "The AKS cluster cannot be read (403), so its prerequisites are unknown",
        "Ask for read access to the cluster: `az role assignment create --role Reader --assignee <you> --scope CLUSTER_ID`.",
    ),
    "azure-unavailable": Spec(
        WARNING,
        "Azure could not be read (no sign-in, no answer, or an error), so some prerequisites are unknown",
        "Check that you are signed in (`az login`) and that Azure Resource Manager is reachable from here, then run again.",
    ),
    "azure-identity-not-found": Spec(
        ERROR,
        "The user-assigned identity an AzureIdentity names does not exist in Azure",
        "Check the id with `az identity show --ids ID`; if it was deleted, re-create it (`az identity create -g RG -n NAME`), grant its roles again and set the AzureIdentity's clientID to its new client id.",
    ),
    "azure-identity-unreadable": Spec(
        WARNING,
        "The user-assigned identity or its federated credentials cannot be read (403)",
        'Ask for a role on it that reads it and writes its federated credentials: `az role assignment create --role "Managed Identity Contributor" --assignee <you> --scope ID`.',
    ),
    "azure-client-id-mismatch": Spec(
        ERROR,
        "The AzureIdentity's clientID is not the client id Azure has for its resourceID",
        "Set spec.clientID to the id `az identity show --ids ID --query clientId -o tsv` prints, or correct spec.resourceID if it names the wrong identity.",
    ),
    "fic-limit-reached": Spec(
        WARNING,
        "The identity already has 20 federated credentials in Azure, so no new one can be added",
        "Review them with `az identity federated-credential list --identity-name NAME -g RG` and delete unused ones, or move some workloads to another identity.",
    ),
    "issuer-differs-from-cluster": Spec(
        WARNING,
        "--issuer is not the issuer the AKS cluster reports, and Entra compares issuers byte for byte",
        "Leave --issuer out to use the cluster's issuer, or pass it exactly as `az aks show -g RG -n NAME --query oidcIssuerProfile.issuerUrl -o tsv` prints it.",
    ),
    # rewriting manifests
    "service-account-not-in-tree": Spec(
        WARNING,
        "The workload's ServiceAccount is not declared in these manifests, so the rewrite cannot annotate it",
        "Add the annotations shown where that ServiceAccount is defined (its Helm chart or another repository).",
    ),
    "recreate-needed": Spec(
        WARNING,
        "A Pod's or Job's pod template cannot change in place, so applying the migrated manifest fails with 'field is immutable'",
        "Delete and re-create the object when you deploy (Argo CD: sync option `Replace=true`; Flux: annotation `kustomize.toolkit.fluxcd.io/force: enabled`).",
    ),
    "not-migrated": Spec(
        ERROR,
        "Cleanup refused: the workload has not been through the migrate phase",
        "Run `wimigrate rewrite --phase migrate`, deploy and verify first; its aadpodidbinding label and binding were kept.",
    ),
    "label-used-by-selector": Spec(
        WARNING,
        "Another object selects these pods by aadpodidbinding, so the label stays",
        "Change that selector to another label first (add the label to the pods if needed), then run cleanup again.",
    ),
    "workload-filter-unmatched": Spec(
        WARNING,
        "A --workload pattern matches no workload",
        "Check the pattern: NAMESPACE/KIND/NAME or NAMESPACE/NAME, globs allowed (`payments/*`).",
    ),
    # drift: the manifests in Git against the live cluster
    "drift-undeclared-workload": Spec(
        WARNING,
        "A workload in the cluster uses pod identity, but no scanned manifest declares it",
        "Adopt the live state in Git (add its manifest, or scan the chart or repository that deploys it) so the plan migrates it, or delete it if it was deployed by hand and is not needed; if Git declares it without pod identity, re-sync GitOps.",
    ),
    "drift-missing-workload": Spec(
        WARNING,
        "A workload the manifests declare is not in the cluster",
        "Re-sync GitOps (`argocd app sync`, `flux reconcile`) or apply the manifest; if it was removed on purpose, delete the manifest too.",
    ),
    "drift-workload-changed": Spec(
        WARNING,
        "A live workload differs from its manifest in a label, ServiceAccount or proxy-sidecar annotation the migration changes",
        "Re-sync GitOps so the cluster matches Git before migrating, or, if the live change is wanted, adopt it in Git first: the plan and the rewrite read Git.",
    ),
    "drift-undeclared-identity": Spec(
        WARNING,
        "An AzureIdentity in the cluster is declared by no scanned manifest",
        "Adopt it in Git (add its manifest) so the plan federates it, or delete it if nothing uses it; the cleanup phase removes only what Git declares.",
    ),
    "drift-missing-identity": Spec(
        WARNING,
        "An AzureIdentity the manifests declare is not in the cluster",
        "Re-sync GitOps or apply the manifest (pods with its selector get no token meanwhile); if it was deleted on purpose, delete the manifest too.",
    ),
    "drift-identity-changed": Spec(
        WARNING,
        "A live AzureIdentity has another type, clientID or resourceID than its manifest",
        "Find out which identity the workloads really use; re-sync GitOps to the manifest, or adopt the live values in Git before planning: the plan federates the identity Git names.",
    ),
    "drift-undeclared-binding": Spec(
        WARNING,
        "An AzureIdentityBinding in the cluster is declared by no scanned manifest",
        "Adopt it in Git (add its manifest) so the plan sees which pods it serves, or delete it if nothing uses it; the cleanup phase removes only what Git declares.",
    ),
    "drift-missing-binding": Spec(
        WARNING,
        "An AzureIdentityBinding the manifests declare is not in the cluster",
        "Re-sync GitOps or apply the manifest (pods with its selector get no token meanwhile); if it was deleted on purpose, delete the manifest too.",
    ),
    "drift-binding-changed": Spec(
        WARNING,
        "A live AzureIdentityBinding names another identity or selector than its manifest",
        "Re-sync GitOps to the manifest, or adopt the live values in Git before planning: the plan matches workloads to identities as Git declares them.",
    ),
    "drift-namespace-not-in-manifests": Spec(
        INFO,
        "The cluster uses pod identity in a namespace the scanned manifests declare nothing in",
        "Scan the repository or chart that deploys that namespace too (another --manifests), or migrate it separately; do not remove identities or the add-on while it still uses them.",
    ),
}


def make(
    code: str,
    message: str,
    source: Source | str | None = None,
    obj: str | None = None,
    *,
    severity: str | None = None,
    fix: str | None = None,
) -> Finding:
    """Build a finding whose message ends with what to do about it."""
    spec = CATALOG[code]
    text = message.rstrip(". ") + ". " + (fix or spec.fix)
    return Finding(
        code=code,
        severity=severity or spec.severity,
        message=text,
        source=str(source) if source is not None else None,
        object=obj,
    )


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)


def sort_key(finding: Finding) -> tuple:
    return (SEVERITY_ORDER.get(finding.severity, 9), finding.code, finding.source or "", finding.object or "")

"""Compute the migration plan from an inventory (pure: no I/O).

Decisions, in order: which identities each workload gets (``matching``), which
ServiceAccount it runs as, the annotations that SA carries, one federated
credential per (identity, issuer, SA subject), and the mode per workload.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from dataclasses import dataclass, field

from migrator.core import findings as F
from migrator.core.matching import Match, discovery_findings, match
from migrator.core.model import ExistingCredential, Finding, Identity, Inventory, ServiceAccount, Workload
from migrator.core.naming import fic_name, service_account_name, unique
from migrator.core.plan import (
    AUDIENCE,
    CLIENT_ID_ANNOTATION,
    DEFAULT_PROXY_PORT,
    ISSUER_PLACEHOLDER,
    MODES,
    TENANT_ID_ANNOTATION,
    TOKEN_EXPIRATION_ANNOTATION,
    Plan,
    PlannedCredential,
    PlannedSecretProviderClass,
    PlannedServiceAccount,
    PlannedWorkload,
)

FIC_LIMIT = 20
MODE_ANNOTATION = "wimigrate.io/mode"
NATIVE_SIDECAR_VERSION = (1, 32)
TOKEN_EXPIRATION_RANGE = (3600, 86400)
BLOCKING_POD_SECURITY = ("baseline", "restricted")


@dataclass
class PlanOptions:
    issuer: str | None = None
    mode: str = "label"
    workload_modes: dict[str, str] = field(default_factory=dict)
    """``namespace/kind/name`` glob -> mode; the first matching glob wins."""
    force_namespaced: bool = False
    tenant_id: str | None = None
    token_expiration: int | None = None
    proxy_port: int = DEFAULT_PROXY_PORT
    sa_name_pattern: str = "{identity}"
    fic_name_pattern: str | None = None
    """None: ``{namespace}-{serviceAccount}``, prefixed with ``{cluster}-`` when a cluster name is set."""
    cluster_name: str = ""
    kubernetes_version: tuple[int, int] | None = None
    identity_for: dict[str, str] = field(default_factory=dict)
    """``namespace/selector`` -> identity name chosen when a selector has several."""

    @property
    def credential_name_pattern(self) -> str:
        if self.fic_name_pattern:
            return self.fic_name_pattern
        return "{cluster}-{namespace}-{serviceAccount}" if self.cluster_name else "{namespace}-{serviceAccount}"

    def to_dict(self) -> dict:
        return {
            "mode": self.mode,
            "workloadModes": dict(self.workload_modes),
            "forceNamespaced": self.force_namespaced,
            "tenantID": self.tenant_id,
            "tokenExpiration": self.token_expiration,
            "proxyPort": self.proxy_port,
            "saNamePattern": self.sa_name_pattern,
            "ficNamePattern": self.credential_name_pattern,
            "clusterName": self.cluster_name,
            "kubernetesVersion": ".".join(map(str, self.kubernetes_version)) if self.kubernetes_version else None,
            "identityFor": dict(self.identity_for),
        }


@dataclass
class _Assignment:
    match: Match
    primary: Identity
    service_account: str = ""
    create: bool = False


def build_plan(inventory: Inventory, options: PlanOptions) -> Plan:
    findings = discovery_findings(
        inventory, force_namespaced=options.force_namespaced, identity_for=options.identity_for
    )
    issuer, placeholder = _issuer(options, inventory, findings)
    result = match(inventory, force_namespaced=options.force_namespaced, identity_for=options.identity_for)
    assignments = [_Assignment(m, m.primary) for m in result.matches if m.primary]
    declared = {sa.key: sa for sa in inventory.service_accounts}
    _assign_service_accounts(assignments, declared, options, findings)
    service_accounts = _service_accounts(assignments, declared, options)
    existing = {key: facts.credentials for key, facts in inventory.azure_identities.items() if facts.found}
    credentials = _credentials(assignments, issuer, options, findings, existing)
    workloads = [_planned_workload(a, inventory, options, findings) for a in assignments]
    spcs = _secret_provider_classes(inventory, workloads, findings)
    findings.sort(key=F.sort_key)
    return Plan(
        issuer=issuer,
        issuerPlaceholder=placeholder,
        options=options.to_dict(),
        serviceAccounts=service_accounts,
        federatedCredentials=credentials,
        workloads=workloads,
        secretProviderClasses=spcs,
        findings=findings,
    )


def _issuer(options: PlanOptions, inventory: Inventory, findings: list[Finding]) -> tuple[str, bool]:
    """--issuer, else the cluster's issuer exactly as AKS reports it (its trailing slash, or lack of
    one, is what the tokens carry), else the placeholder."""
    reported = inventory.cluster.issuer if inventory.cluster else None
    if not options.issuer:
        return (reported, False) if reported else (ISSUER_PLACEHOLDER, True)
    if reported and options.issuer != reported:
        findings.append(
            F.make(
                "issuer-differs-from-cluster",
                f"--issuer {options.issuer!r} is not {reported!r}, the issuer of AKS cluster "
                f"{inventory.cluster.resource_group}/{inventory.cluster.name}",
                "--issuer",
                inventory.cluster.resource_id,
            )
        )
    if not options.issuer.startswith("https://"):
        findings.append(F.make("invalid-issuer", f"The issuer {options.issuer!r} is not an https URL", "--issuer"))
    elif not options.issuer.endswith("/") and options.issuer != reported:
        findings.append(
            F.make("issuer-without-trailing-slash", f"The issuer {options.issuer!r} has no trailing '/'", "--issuer")
        )
    return options.issuer, False


def _assign_service_accounts(
    assignments: list[_Assignment],
    declared: dict[tuple[str, str], ServiceAccount],
    options: PlanOptions,
    findings: list[Finding],
) -> None:
    """Reuse a workload's own SA when that is safe; otherwise give it a dedicated one.

    A new SA never joins an existing one, even for the same identity: that
    would hand the existing SA's Kubernetes RBAC to workloads that had none.
    """
    by_sa: dict[tuple[str, str], list[_Assignment]] = defaultdict(list)
    for a in assignments:
        w = a.match.workload
        by_sa[(w.namespace, w.service_account or "default")].append(a)

    needs_new: list[_Assignment] = []
    for (namespace, sa_name), group in sorted(by_sa.items()):
        primaries = {a.primary.key for a in group}
        existing = declared.get((namespace, sa_name))
        current = str((existing.annotations if existing else {}).get(CLIENT_ID_ANNOTATION) or "") or None
        if sa_name == "default":
            for a in group:
                findings.append(
                    F.make(
                        "default-service-account",
                        f"{a.match.workload.ref} runs as `default`",
                        a.match.workload.source,
                        a.match.workload.ref,
                    )
                )
            needs_new.extend(group)
        elif len(primaries) > 1:
            refs = ", ".join(a.match.workload.ref for a in group)
            findings.append(
                F.make(
                    "shared-service-account",
                    f"ServiceAccount {namespace}/{sa_name} is shared by {refs}",
                    existing.source if existing else group[0].match.workload.source,
                    f"{namespace}/ServiceAccount/{sa_name}",
                )
            )
            needs_new.extend(group)
        elif current and current != group[0].primary.client_id:
            findings.append(
                F.make(
                    "service-account-client-id-conflict",
                    f"ServiceAccount {namespace}/{sa_name} has client-id {current}, but its "
                    f"workloads use {group[0].primary.client_id}",
                    existing.source if existing else None,
                    f"{namespace}/ServiceAccount/{sa_name}",
                )
            )
            needs_new.extend(group)
        else:
            for a in group:
                a.service_account, a.create = sa_name, False

    planned: dict[tuple[str, str], str] = {}  # (namespace, new SA) -> the client id it carries
    for a in needs_new:
        w = a.match.workload
        client_id = a.primary.client_id or ""
        base = service_account_name(
            options.sa_name_pattern,
            identity=a.primary.name,
            workload=w.name,
            namespace=w.namespace,
            selector=a.match.selector,
        )
        name = base
        for n in range(2, 1000):
            if _free_for(name, w.namespace, client_id, planned, declared, by_sa):
                break
            name = f"{base}-wi" if n == 2 else f"{base}-wi-{n - 1}"
        a.service_account = name
        a.create = (w.namespace, name) not in declared
        planned[(w.namespace, name)] = client_id


def _free_for(name: str, namespace: str, client_id: str, planned: dict, declared: dict, in_use: dict) -> bool:
    """Whether a new SA called ``name`` may carry ``client_id`` without clashing."""
    key = (namespace, name)
    if key in planned:
        return planned[key] == client_id
    existing = declared.get(key)
    if existing is not None:
        return str(existing.annotations.get(CLIENT_ID_ANNOTATION) or "") == client_id
    return key not in in_use


def _service_accounts(
    assignments: list[_Assignment], declared: dict[tuple[str, str], ServiceAccount], options: PlanOptions
) -> list[PlannedServiceAccount]:
    result: dict[tuple[str, str], PlannedServiceAccount] = {}
    for a in assignments:
        w = a.match.workload
        key = (w.namespace, a.service_account)
        sa = result.get(key)
        if sa is None:
            annotations = {CLIENT_ID_ANNOTATION: a.primary.client_id or ""}
            tenant = options.tenant_id or a.primary.tenant_id
            if tenant:
                annotations[TENANT_ID_ANNOTATION] = tenant
            if options.token_expiration:
                annotations[TOKEN_EXPIRATION_ANNOTATION] = str(options.token_expiration)
            existing = declared.get(key)
            sa = PlannedServiceAccount(
                namespace=w.namespace,
                name=a.service_account,
                clientID=a.primary.client_id or "",
                create=a.create,
                annotations=annotations,
                source=str(existing.source) if existing else None,
            )
            result[key] = sa
        for ident in a.match.identities:
            ref = f"{ident.namespace}/{ident.name}"
            if ref not in sa.identities:
                sa.identities.append(ref)
    return sorted(result.values(), key=lambda s: (s.namespace, s.name))


def _credentials(
    assignments: list[_Assignment],
    issuer: str,
    options: PlanOptions,
    findings: list[Finding],
    existing: dict[str, list[ExistingCredential]],
) -> list[PlannedCredential]:
    """One credential per (identity, subject). ``existing``: the credentials already on each identity
    in Azure (by lower-cased resource id). One with the same issuer and subject is reused under its
    own name (Azure refuses a second: "Issuer and subject combination already exists"); a new one
    never takes the name of an existing one (a PUT would overwrite it)."""
    seen: dict[tuple[str, str], PlannedCredential] = {}
    names: dict[str, set[str]] = defaultdict(set)
    for a in sorted(assignments, key=lambda a: (a.match.workload.namespace, a.service_account)):
        namespace = a.match.workload.namespace
        subject = f"system:serviceaccount:{namespace}:{a.service_account}"
        for ident in a.match.identities:
            target = ident.resource_id if ident.type == 0 else ident.client_id
            key = (str(target).lower(), subject)
            if key in seen:
                continue
            there = existing.get(key[0], []) if ident.type == 0 else []
            reused = next((c.name for c in there if c.issuer == issuer and c.subject == subject), None)
            name = reused or unique(
                fic_name(
                    options.credential_name_pattern,
                    cluster=options.cluster_name,
                    namespace=namespace,
                    serviceAccount=a.service_account,
                    identity=ident.name,
                ),
                names[key[0]] | {c.name for c in there},
                subject,
            )
            names[key[0]].add(name)
            seen[key] = PlannedCredential(
                identityResourceID=ident.resource_id if ident.type == 0 else None,
                identityName=ident.name,
                identityClientID=ident.client_id or "",
                identityType="managedIdentity" if ident.type == 0 else "application",
                name=name,
                issuer=issuer,
                subject=subject,
                audience=AUDIENCE,
                namespace=namespace,
                serviceAccountName=a.service_account,
            )
    credentials = sorted(seen.values(), key=lambda c: (c.identityName, c.name))
    per_identity: dict[str, list[PlannedCredential]] = defaultdict(list)
    for cred in credentials:
        per_identity[(cred.identityResourceID or cred.identityClientID).lower()].append(cred)
    for key, creds in per_identity.items():
        already = {c.name for c in existing.get(key, [])}
        total = len(already | {c.name for c in creds})
        if total > FIC_LIMIT:
            findings.append(
                F.make(
                    "fic-limit-exceeded",
                    f"Identity {creds[0].identityName} would need {total} federated "
                    f"credentials (limit {FIC_LIMIT})"
                    + (f", {len(already)} of them already in Azure" if already else "")
                    + ", for namespaces "
                    + ", ".join(sorted({c.namespace for c in creds})),
                    obj=creds[0].identityResourceID or creds[0].identityClientID,
                )
            )
    return credentials


def workload_matches(pattern: str, namespace: str, kind: str, name: str) -> bool:
    """Whether a ``namespace/kind/name`` or ``namespace/name`` glob names this workload."""
    return fnmatch.fnmatchcase(f"{namespace}/{kind}/{name}", pattern) or fnmatch.fnmatchcase(
        f"{namespace}/{name}", pattern
    )


def workload_mode(workload: Workload, options: PlanOptions) -> str:
    for pattern, mode in options.workload_modes.items():
        if workload_matches(pattern, workload.namespace, workload.kind, workload.name):
            return mode
    hinted = str(workload.object_annotations.get(MODE_ANNOTATION) or "")
    return hinted if hinted in MODES else options.mode


def _planned_workload(
    a: _Assignment, inventory: Inventory, options: PlanOptions, findings: list[Finding]
) -> PlannedWorkload:
    w = a.match.workload
    mode = workload_mode(w, options)
    if mode == "sidecar":
        _sidecar_findings(w, inventory, options, findings)
    for container in w.containers:
        if "AZURE_CLIENT_ID" in container.env and container.env["AZURE_CLIENT_ID"] != a.primary.client_id:
            shown = container.env["AZURE_CLIENT_ID"]
            findings.append(
                F.make(
                    "client-id-env-override",
                    f"{w.ref} container {container.name!r} sets AZURE_CLIENT_ID="
                    f"{shown if shown is not None else '(from a reference)'}",
                    w.source,
                    w.ref,
                )
            )
    return PlannedWorkload(
        kind=w.kind,
        apiVersion=w.api_version,
        namespace=w.namespace,
        name=w.name,
        serviceAccountName=a.service_account,
        previousServiceAccountName=w.service_account,
        mode=mode,
        clientID=a.primary.client_id or "",
        identities=[f"{i.namespace}/{i.name}" for i in a.match.identities],
        bindingSelector=a.match.selector,
        proxyPort=options.proxy_port if mode == "sidecar" else None,
        source=str(w.source),
    )


def _sidecar_findings(w: Workload, inventory: Inventory, options: PlanOptions, findings: list[Finding]) -> None:
    if w.windows:
        findings.append(F.make("sidecar-unsupported-windows", f"{w.ref} runs on Windows nodes", w.source, w.ref))
    if w.host_network:
        findings.append(F.make("sidecar-unsupported-hostnetwork", f"{w.ref} uses hostNetwork: true", w.source, w.ref))
    for ns in inventory.namespaces:
        if ns.name == w.namespace and ns.pod_security_enforce in BLOCKING_POD_SECURITY:
            findings.append(
                F.make(
                    "sidecar-blocked-by-pod-security",
                    f"{w.ref} is in namespace {ns.name}, which enforces Pod Security {ns.pod_security_enforce!r}",
                    ns.source,
                    w.ref,
                )
            )
    if w.kind in ("Job", "CronJob"):
        version = options.kubernetes_version
        if version is None or version < NATIVE_SIDECAR_VERSION:
            known = "an unknown Kubernetes version" if version is None else "Kubernetes " + ".".join(map(str, version))
            findings.append(
                F.make("sidecar-job-never-completes", f"{w.ref} would get the proxy on {known}", w.source, w.ref)
            )


def _secret_provider_classes(
    inventory: Inventory, workloads: list[PlannedWorkload], findings: list[Finding]
) -> list[PlannedSecretProviderClass]:
    mounts: dict[tuple[str, str], set[str]] = defaultdict(set)
    planned = {(p.namespace, p.kind, p.name): p for p in workloads}
    for w in inventory.workloads:
        p = planned.get(w.key)
        for spc in w.secret_provider_classes:
            if p:
                mounts[(w.namespace, spc)].add(p.clientID)
    result = []
    for spc in inventory.secret_provider_classes:
        if not spc.use_pod_identity:
            continue
        ref = f"{spc.namespace}/SecretProviderClass/{spc.name}"
        client_ids = sorted(mounts.get(spc.key, set()))
        if len(client_ids) == 1:
            result.append(PlannedSecretProviderClass(spc.namespace, spc.name, client_ids[0], str(spc.source)))
        elif not client_ids:
            findings.append(
                F.make(
                    "secret-provider-class-unowned",
                    f"SecretProviderClass {spc.namespace}/{spc.name} uses pod identity",
                    spc.source,
                    ref,
                )
            )
        else:
            findings.append(
                F.make(
                    "secret-provider-class-unowned",
                    f"SecretProviderClass {spc.namespace}/{spc.name} is mounted by workloads with "
                    f"different identities ({', '.join(client_ids)})",
                    spc.source,
                    ref,
                    fix="Give each identity its own SecretProviderClass with its own clientID.",
                )
            )
    return sorted(result, key=lambda s: (s.namespace, s.name))

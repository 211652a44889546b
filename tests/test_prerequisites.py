"""Prerequisite findings, the planner's use of Azure facts, and discover_azure's logic over fake ports
(pure: no lab, no network; tests/test_azure_discovery.py runs the real gateways against the lab)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from migrator.core.findings import CATALOG
from migrator.core.model import (
    AzureIdentityFacts,
    Binding,
    ClusterFacts,
    ExistingCredential,
    Finding,
    Identity,
    Inventory,
    PodIdentityException,
    Source,
    Workload,
)
from migrator.core.plan import AUDIENCE
from migrator.core.planner import PlanOptions, build_plan
from migrator.core.prerequisites import prerequisite_findings
from migrator.errors import Forbidden, InputError, NotFound, Unauthorized, Unavailable
from migrator.sources.azure.discover import cluster_facts, discover_azure

SUB = "11111111-2222-3333-4444-555555555555"
CLUSTER_ID = f"/subscriptions/{SUB}/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks1"
ISSUER = "https://eastus.oic.prod-aks.azure.com/tenant/cluster/"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def rid(name: str) -> str:
    return (
        f"/subscriptions/{SUB}/resourcegroups/rg-ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
    )


def client(n: int) -> str:
    return f"{n:08d}-aaaa-bbbb-cccc-dddddddddddd"


def ident(name: str = "id1", ns: str = "apps", n: int = 1, **kw: Any) -> Identity:
    values: dict[str, Any] = {"type": 0, "client_id": client(n), "resource_id": rid(name), "tenant_id": None}
    values.update(kw)
    return Identity(name=name, namespace=ns, source=Source("ids.yaml", n), **values)


def bind(name: str = "id1", ns: str = "apps", selector: str | None = None) -> Binding:
    return Binding(f"{name}-binding", ns, name, selector or name, Source("ids.yaml", 10))


def workload(name: str, ns: str = "apps", selector: str = "id1", sa: str | None = None) -> Workload:
    return Workload(
        kind="Deployment",
        api_version="apps/v1",
        name=name,
        namespace=ns,
        source=Source(f"{name}.yaml", 1),
        pod_labels={"aadpodidbinding": selector},
        service_account=sa,
    )


def aks(**facts: Any) -> ClusterFacts:
    return ClusterFacts(resource_id=CLUSTER_ID, name="aks1", resource_group="rg-aks", **facts)


def found(resource_id: str, n: int = 1, credentials: list[ExistingCredential] | None = None) -> AzureIdentityFacts:
    return AzureIdentityFacts(
        resource_id,
        True,
        client_id=client(n),
        principal_id=client(900 + n),
        tenant_id=TENANT,
        credentials=credentials or [],
    )


def credential(name: str, subject: str, issuer: str = ISSUER) -> ExistingCredential:
    return ExistingCredential(name, issuer, subject, [AUDIENCE])


def with_facts(*facts: AzureIdentityFacts, cluster: ClusterFacts | None = None, **kw: Any) -> Inventory:
    inventory = Inventory(identities=[ident()], bindings=[bind()], cluster=cluster, **kw)
    inventory.azure_identities = {f.resource_id.lower(): f for f in facts}
    return inventory


def many_workloads(count: int) -> Inventory:
    """``count`` workloads of identity id1, each on its own ServiceAccount: one credential each."""
    return Inventory(
        identities=[ident()], bindings=[bind()], workloads=[workload(f"w{i}", sa=f"sa{i}") for i in range(count)]
    )


def of(code: str, findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.code == code]


# -- fakes of the two ports (what the gateways return, without the SDKs) ---------------------------------


class FakeIdentity:
    def __init__(self, resource_id: str, client_id: str) -> None:
        self.resource_id, self.client_id, self.principal_id, self.tenant_id = (
            resource_id,
            client_id,
            client(999),
            TENANT,
        )


class FakeIdentities:
    def __init__(self, known: dict[str, Any] | None = None, credentials: dict[str, Any] | None = None) -> None:
        self.known = {k.lower(): v for k, v in (known or {}).items()}
        self.creds = {k.lower(): v for k, v in (credentials or {}).items()}
        self.calls: list[str] = []

    def identity(self, resource_id: str) -> FakeIdentity:
        self.calls.append(resource_id)
        value = self.known.get(resource_id.lower())
        if value is None:
            raise NotFound(f"read identity {resource_id}: not found", status=404)
        if isinstance(value, Exception):
            raise value
        return FakeIdentity(resource_id, value)

    def credentials(self, resource_id: str) -> list[ExistingCredential]:
        value = self.creds.get(resource_id.lower(), [])
        if isinstance(value, Exception):
            raise value
        return value

    def put_credential(self, *args: Any) -> Any:
        raise AssertionError("discovery never writes")

    def delete_credential(self, *args: Any) -> Any:
        raise AssertionError("discovery never writes")


class FakeClusters:
    def __init__(self, answer: dict | Exception) -> None:
        self.answer = answer

    def get(self, resource_id: str) -> dict:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    def update(self, resource_id: str, body: dict) -> dict:
        raise AssertionError("discovery never writes")


def wire(
    *,
    oidc: bool = True,
    issuer: str = ISSUER,
    workload_identity: bool = True,
    profile: dict | None = None,
    identity: dict | None = None,
    service_principal: str | None = "msi",
) -> dict:
    props: dict[str, Any] = {
        "kubernetesVersion": "1.31",
        "currentKubernetesVersion": "1.31.2",
        "oidcIssuerProfile": {"enabled": True, "issuerURL": issuer} if oidc else {"enabled": False},
        "securityProfile": {"workloadIdentity": {"enabled": workload_identity}},
    }
    if service_principal:
        props["servicePrincipalProfile"] = {"clientId": service_principal}
    if profile is not None:
        props["podIdentityProfile"] = profile
    body: dict[str, Any] = {"id": CLUSTER_ID, "name": "aks1", "properties": props}
    if identity is not None:
        body["identity"] = identity
    return body


def discovered(clusters: FakeClusters | None, identities: FakeIdentities, inventory: Inventory) -> Inventory:
    discover_azure(clusters, identities, inventory, CLUSTER_ID if clusters else None)
    return inventory


def plan_findings(inventory: Inventory, **options: Any) -> list[Finding]:
    return build_plan(inventory, PlanOptions(**options)).findings


# code -> the findings of the step that reports it, for an input that must produce it
PREREQUISITE_CASES: dict[str, Callable[[], list[Finding]]] = {
    "oidc-issuer-disabled": lambda: prerequisite_findings(Inventory(cluster=aks(oidc_issuer_enabled=False))),
    "workload-identity-disabled": lambda: prerequisite_findings(
        Inventory(cluster=aks(workload_identity_enabled=False))
    ),
    "webhook-not-installed": lambda: prerequisite_findings(
        Inventory(cluster=ClusterFacts(webhook_installed=False, context="kind-dev"))
    ),
    "cluster-not-managed-identity": lambda: prerequisite_findings(Inventory(cluster=aks(uses_managed_identity=False))),
    "azure-identity-not-found": lambda: prerequisite_findings(with_facts(AzureIdentityFacts(rid("id1"), False))),
    "azure-identity-unreadable": lambda: prerequisite_findings(
        with_facts(AzureIdentityFacts(rid("id1"), False, error="(AuthorizationFailed) denied"))
    ),
    "azure-client-id-mismatch": lambda: prerequisite_findings(with_facts(found(rid("id1"), n=7))),
    "fic-limit-reached": lambda: prerequisite_findings(
        with_facts(found(rid("id1"), credentials=[credential(f"c{i}", f"s{i}") for i in range(20)]))
    ),
    "issuer-differs-from-cluster": lambda: plan_findings(
        Inventory(cluster=aks(issuer=ISSUER)), issuer="https://other.example/"
    ),
    "aks-cluster-not-found": lambda: (
        discovered(
            FakeClusters(NotFound("read managed cluster aks1: gone", status=404)), FakeIdentities(), Inventory()
        ).findings
    ),
    "aks-cluster-unreadable": lambda: (
        discovered(
            FakeClusters(Forbidden("read managed cluster aks1: denied", status=403)), FakeIdentities(), Inventory()
        ).findings
    ),
    "azure-unavailable": lambda: (
        discovered(
            FakeClusters(Unavailable("read managed cluster aks1: no answer from Azure")), FakeIdentities(), Inventory()
        ).findings
    ),
}


@pytest.mark.parametrize("code", sorted(PREREQUISITE_CASES))
def test_code_is_reported_with_its_severity(code: str) -> None:
    found_ = of(code, PREREQUISITE_CASES[code]())
    assert found_, code
    assert found_[0].severity == CATALOG[code].severity
    assert found_[0].object or found_[0].source
    assert found_[0].message.rstrip().endswith(".")


# -- the cluster ------------------------------------------------------------------------------------------


def test_unknown_facts_give_no_finding() -> None:
    assert prerequisite_findings(Inventory(cluster=ClusterFacts())) == []
    assert prerequisite_findings(Inventory(cluster=aks())) == []
    assert prerequisite_findings(Inventory(identities=[ident()])) == []  # identities never read from Azure


def test_a_healthy_cluster_gives_no_finding() -> None:
    healthy = aks(
        oidc_issuer_enabled=True,
        issuer=ISSUER,
        workload_identity_enabled=True,
        uses_managed_identity=True,
        webhook_installed=True,
    )
    assert prerequisite_findings(Inventory(cluster=healthy)) == []


def test_each_cluster_finding_carries_the_exact_command() -> None:
    findings = prerequisite_findings(
        Inventory(cluster=aks(oidc_issuer_enabled=False, workload_identity_enabled=False, uses_managed_identity=False))
    )
    base = "az aks update -g rg-aks -n aks1"
    [oidc] = of("oidc-issuer-disabled", findings)
    assert f"`{base} --enable-oidc-issuer --subscription {SUB}`" in oidc.message
    [wi] = of("workload-identity-disabled", findings)
    # AKS refuses workload identity without the issuer: the command enables both.
    assert f"`{base} --enable-oidc-issuer --enable-workload-identity --subscription {SUB}`" in wi.message
    [mi] = of("cluster-not-managed-identity", findings)
    assert f"`{base} --enable-managed-identity --subscription {SUB}`" in mi.message
    assert all(f.object == CLUSTER_ID for f in findings)


def test_workload_identity_alone_has_its_own_flag() -> None:
    [wi] = prerequisite_findings(Inventory(cluster=aks(oidc_issuer_enabled=True, workload_identity_enabled=False)))
    assert f"`az aks update -g rg-aks -n aks1 --enable-workload-identity --subscription {SUB}`" in wi.message


def test_names_that_need_quoting_are_quoted() -> None:
    cluster = ClusterFacts(name="aks1", resource_group="rg (prod)", oidc_issuer_enabled=False)
    [f] = prerequisite_findings(Inventory(cluster=cluster))
    assert "`az aks update -g 'rg (prod)' -n aks1 --enable-oidc-issuer`" in f.message


def test_missing_webhook_on_aks_is_fixed_by_aks_never_by_helm() -> None:
    [f] = prerequisite_findings(Inventory(cluster=aks(workload_identity_enabled=True, webhook_installed=False)))
    assert f.code == "webhook-not-installed"
    assert f"`az aks update -g rg-aks -n aks1 --enable-workload-identity --subscription {SUB}`" in f.message
    assert "helm install" not in f.message


def test_disabled_feature_and_missing_webhook_are_one_finding() -> None:
    findings = prerequisite_findings(Inventory(cluster=aks(workload_identity_enabled=False, webhook_installed=False)))
    assert [f.code for f in findings] == ["workload-identity-disabled"]


def test_a_self_installed_webhook_is_not_doubled_by_the_aks_feature() -> None:
    """The webhook runs while AKS's feature is off: the open-source chart. Enabling AKS's as well
    would run two webhooks, so no finding asks for it."""
    assert prerequisite_findings(Inventory(cluster=aks(workload_identity_enabled=False, webhook_installed=True))) == []
    [unknown] = prerequisite_findings(Inventory(cluster=aks(workload_identity_enabled=False)))
    assert "never both" in unknown.message


def test_missing_webhook_elsewhere_is_the_helm_chart_with_the_tenant() -> None:
    inventory = with_facts(found(rid("id1")), cluster=ClusterFacts(webhook_installed=False, context="kind-dev"))
    [f] = of("webhook-not-installed", prerequisite_findings(inventory))
    assert (
        "helm install workload-identity-webhook azure-workload-identity/workload-identity-webhook "
        f"--namespace azure-workload-identity-system --create-namespace --set azureTenantID={TENANT}"
    ) in f.message
    assert "kind-dev" in f.message and "Never both" in f.message
    [unknown_tenant] = prerequisite_findings(Inventory(cluster=ClusterFacts(webhook_installed=False)))
    assert '--set azureTenantID="$AZURE_TENANT_ID"' in unknown_tenant.message


# -- identities ------------------------------------------------------------------------------------------


def test_identity_missing_in_azure_says_how_to_check_and_recreate() -> None:
    [f] = prerequisite_findings(with_facts(AzureIdentityFacts(rid("id1"), False)))
    assert f.code == "azure-identity-not-found" and f.object == rid("id1") and f.source == "ids.yaml:1"
    assert f"`az identity show --ids {rid('id1')}`" in f.message
    assert f"`az identity create -g rg-ids --subscription {SUB} -n id1`" in f.message
    assert "apps/id1" in f.message


def test_unreadable_identity_names_the_role_and_scope() -> None:
    [f] = prerequisite_findings(with_facts(AzureIdentityFacts(rid("id1"), False, error="(AuthorizationFailed) no")))
    assert f.code == "azure-identity-unreadable" and "(AuthorizationFailed) no" in f.message
    assert (
        f'`az role assignment create --role "Managed Identity Contributor" --assignee <you> --scope {rid("id1")}`'
        in f.message
    )


def test_unlistable_credentials_still_check_the_client_id() -> None:
    facts = found(rid("id1"), n=7)
    facts.error = "(AuthorizationFailed) cannot list"
    findings = prerequisite_findings(with_facts(facts))
    assert sorted(f.code for f in findings) == ["azure-client-id-mismatch", "azure-identity-unreadable"]
    assert "federated credentials cannot be listed" in of("azure-identity-unreadable", findings)[0].message


def test_client_id_mismatch_names_both_ids() -> None:
    [f] = prerequisite_findings(with_facts(found(rid("id1"), n=7)))
    assert f.code == "azure-client-id-mismatch" and f.object == "apps/AzureIdentity/id1"
    assert client(1) in f.message and f"Set spec.clientID to {client(7)}" in f.message


def test_client_ids_compare_case_insensitively() -> None:
    facts = found(rid("id1"))
    facts.client_id = client(1).upper()
    assert prerequisite_findings(with_facts(facts)) == []


@pytest.mark.parametrize(("existing", "reported"), [(19, False), (20, True)])
def test_credential_limit_already_reached(existing: int, reported: bool) -> None:
    creds = [credential(f"c{i}", f"system:serviceaccount:x:s{i}") for i in range(existing)]
    findings = prerequisite_findings(with_facts(found(rid("id1"), credentials=creds)))
    assert bool(of("fic-limit-reached", findings)) is reported
    if reported:
        assert (
            f"az identity federated-credential list --identity-name id1 -g rg-ids --subscription {SUB} -o table"
            in findings[0].message
        )


# -- the planner -----------------------------------------------------------------------------------------


def test_plan_takes_the_issuer_from_the_cluster_byte_for_byte() -> None:
    inventory = many_workloads(1)
    inventory.cluster = aks(issuer=ISSUER)
    plan = build_plan(inventory, PlanOptions())
    assert plan.issuer == ISSUER and plan.issuerPlaceholder is False
    assert [c.issuer for c in plan.federatedCredentials] == [ISSUER]


def test_an_aks_issuer_without_trailing_slash_is_used_as_is() -> None:
    bare = ISSUER.rstrip("/")
    inventory = many_workloads(1)
    inventory.cluster = aks(issuer=bare)
    plan = build_plan(inventory, PlanOptions())
    assert plan.issuer == bare and not of("issuer-without-trailing-slash", plan.findings)
    same = build_plan(inventory, PlanOptions(issuer=bare))
    assert not [f for f in same.findings if "issuer" in f.code]
    assert prerequisite_findings(inventory) == []


def test_issuer_option_wins_and_a_difference_is_reported() -> None:
    inventory = many_workloads(1)
    inventory.cluster = aks(issuer=ISSUER)
    plan = build_plan(inventory, PlanOptions(issuer="https://other.example/"))
    assert plan.issuer == "https://other.example/"
    [f] = of("issuer-differs-from-cluster", plan.findings)
    assert ISSUER in f.message and f.object == CLUSTER_ID
    assert not of("issuer-differs-from-cluster", build_plan(inventory, PlanOptions(issuer=ISSUER)).findings)


def test_no_cluster_issuer_keeps_the_placeholder() -> None:
    inventory = many_workloads(1)
    inventory.cluster = aks(oidc_issuer_enabled=False)
    assert build_plan(inventory, PlanOptions()).issuerPlaceholder is True


def test_an_existing_credential_for_the_same_subject_is_reused_by_name() -> None:
    inventory = many_workloads(2)
    subject = "system:serviceaccount:apps:sa0"
    inventory.azure_identities = {rid("id1").lower(): found(rid("id1"), credentials=[credential("legacy", subject)])}
    plan = build_plan(inventory, PlanOptions(issuer=ISSUER))
    names = {c.subject: c.name for c in plan.federatedCredentials}
    assert names == {subject: "legacy", "system:serviceaccount:apps:sa1": "apps-sa1"}


def test_reuse_needs_the_same_issuer() -> None:
    inventory = many_workloads(1)
    old = credential("legacy", "system:serviceaccount:apps:sa0", issuer="https://old.example/")
    inventory.azure_identities = {rid("id1").lower(): found(rid("id1"), credentials=[old])}
    [cred] = build_plan(inventory, PlanOptions(issuer=ISSUER)).federatedCredentials
    assert cred.name == "apps-sa0"
    [placeholder] = build_plan(inventory, PlanOptions()).federatedCredentials
    assert placeholder.name == "apps-sa0"


def test_a_new_credential_never_takes_an_existing_name() -> None:
    """A PUT under an existing name would overwrite that credential (another cluster's, say)."""
    inventory = many_workloads(1)
    other = credential("apps-sa0", "system:serviceaccount:apps:sa0", issuer="https://other-cluster.example/")
    inventory.azure_identities = {rid("id1").lower(): found(rid("id1"), credentials=[other])}
    [cred] = build_plan(inventory, PlanOptions(issuer=ISSUER)).federatedCredentials
    assert cred.name != "apps-sa0" and cred.name.startswith("apps-sa0-")
    again = build_plan(inventory, PlanOptions(issuer=ISSUER)).federatedCredentials[0]
    assert again.name == cred.name  # stable across runs


def _existing(count: int, *reused: str) -> list[ExistingCredential]:
    creds = [credential(f"other-{i}", f"system:serviceaccount:other:s{i}") for i in range(count - len(reused))]
    return creds + [credential(f"kept-{sa}", f"system:serviceaccount:apps:{sa}") for sa in reused]


@pytest.mark.parametrize(
    ("existing", "planned", "exceeded"),
    [
        (_existing(18), 2, False),  # 20 in all
        (_existing(19), 2, True),  # 21
        (_existing(20, "sa0"), 1, False),  # the one planned is one of the 20
        (_existing(20, "sa0"), 2, True),
    ],
)
def test_limit_counts_existing_credentials(existing: list[ExistingCredential], planned: int, exceeded: bool) -> None:
    inventory = many_workloads(planned)
    inventory.azure_identities = {rid("id1").lower(): found(rid("id1"), credentials=existing)}
    findings = of("fic-limit-exceeded", build_plan(inventory, PlanOptions(issuer=ISSUER)).findings)
    assert bool(findings) is exceeded
    if exceeded:
        assert f"{len(existing)} of them already in Azure" in findings[0].message


def test_an_identity_missing_in_azure_counts_no_existing_credential() -> None:
    inventory = many_workloads(20)
    inventory.azure_identities = {rid("id1").lower(): AzureIdentityFacts(rid("id1"), False)}
    assert not of("fic-limit-exceeded", build_plan(inventory, PlanOptions(issuer=ISSUER)).findings)


# -- discover_azure over fake ports ----------------------------------------------------------------------


def test_cluster_facts_from_the_wire() -> None:
    facts = cluster_facts(wire(), CLUSTER_ID, ClusterFacts(webhook_installed=True, context="prod"))
    assert facts == ClusterFacts(
        resource_id=CLUSTER_ID,
        name="aks1",
        resource_group="rg-aks",
        oidc_issuer_enabled=True,
        issuer=ISSUER,
        workload_identity_enabled=True,
        pod_identity_enabled=False,
        uses_managed_identity=True,
        kubernetes_version="1.31",
        webhook_installed=True,
        context="prod",
    )
    disabled = cluster_facts(wire(oidc=False, workload_identity=False), CLUSTER_ID)
    assert (disabled.oidc_issuer_enabled, disabled.issuer, disabled.workload_identity_enabled) == (False, None, False)


@pytest.mark.parametrize(
    ("identity", "principal", "managed"),
    [
        ({"type": "SystemAssigned"}, "msi", True),
        ({"type": "UserAssigned"}, "msi", True),
        (None, "msi", True),
        (None, client(5), False),
        ({"type": "None"}, None, False),
        (None, None, None),
    ],
)
def test_managed_identity_or_service_principal(identity: dict | None, principal: str | None, managed: Any) -> None:
    assert (
        cluster_facts(wire(identity=identity, service_principal=principal), CLUSTER_ID).uses_managed_identity is managed
    )


PROFILE = {
    "enabled": True,
    "userAssignedIdentities": [
        {
            "name": "id1",
            "namespace": "apps",
            "bindingSelector": None,
            "identity": {"resourceId": rid("id1"), "clientId": client(1), "objectId": client(901)},
        },
        {
            "name": "id2",
            "namespace": "jobs",
            "bindingSelector": "batch",
            "identity": {"resourceId": rid("id2"), "clientId": client(2), "objectId": client(902)},
        },
    ],
    "userAssignedIdentityExceptions": [
        {"name": "probe-exception", "namespace": "monitoring", "podLabels": {"app": "probe"}},
    ],
}


def test_pod_identity_profile_joins_the_inventory_marked_aks_managed() -> None:
    ports = FakeIdentities({rid("id1"): client(1), rid("id2"): client(2)})
    inventory = discovered(FakeClusters(wire(profile=PROFILE)), ports, Inventory())
    assert [(i.namespace, i.name, i.type, i.client_id, i.resource_id, i.aks_managed) for i in inventory.identities] == [
        ("apps", "id1", 0, client(1), rid("id1"), True),
        ("jobs", "id2", 0, client(2), rid("id2"), True),
    ]
    assert [(b.namespace, b.name, b.identity, b.selector, b.aks_managed) for b in inventory.bindings] == [
        ("apps", "id1-binding", "id1", "id1", True),
        ("jobs", "id2-binding", "id2", "batch", True),
    ]
    assert str(inventory.identities[1].source) == "aks:rg-aks/aks1:podIdentityProfile.userAssignedIdentities[1]"
    [exception] = inventory.exceptions
    assert (exception.namespace, exception.name, exception.pod_labels, exception.aks_managed) == (
        "monitoring",
        "probe-exception",
        {"app": "probe"},
        True,
    )
    assert "userAssignedIdentityExceptions[0]" in str(exception.source)
    assert inventory.cluster.pod_identity_enabled is True
    assert sorted(inventory.azure_identities) == [rid("id1").lower(), rid("id2").lower()]


def test_objects_cluster_discovery_read_are_marked_not_duplicated() -> None:
    inventory = Inventory(
        identities=[ident("id1"), ident("id2", ns="jobs", n=2)],
        bindings=[bind("id1"), Binding("custom", "jobs", "id2", "batch", Source("cluster"))],
        exceptions=[PodIdentityException("probe-exception", "monitoring", {"app": "probe"}, Source("cluster"))],
        cluster=ClusterFacts(webhook_installed=False, context="prod"),
    )
    ports = FakeIdentities({rid("id1"): client(1), rid("id2"): client(2)})
    discovered(FakeClusters(wire(profile=PROFILE)), ports, inventory)
    assert len(inventory.identities) == 2 and all(i.aks_managed for i in inventory.identities)
    assert [b.name for b in inventory.bindings] == ["id1-binding", "custom"]
    assert all(b.aks_managed for b in inventory.bindings)
    assert len(inventory.exceptions) == 1 and inventory.exceptions[0].aks_managed
    assert (inventory.cluster.webhook_installed, inventory.cluster.context) == (False, "prod")
    assert inventory.cluster.issuer == ISSUER


def test_a_disabled_add_on_adds_nothing() -> None:
    inventory = discovered(FakeClusters(wire(profile={"enabled": False})), FakeIdentities(), Inventory())
    assert inventory.identities == [] and inventory.cluster.pod_identity_enabled is False


def test_identities_are_read_once_each_and_client_ids_filled() -> None:
    upper = rid("id1").replace("/resourcegroups/", "/resourceGroups/").upper()
    inventory = Inventory(
        identities=[
            ident("id1", client_id=None),
            ident("id1", ns="other", client_id=None, resource_id=upper),
            ident("sp", client_id=client(3), resource_id=None, type=1),
            ident("gone", n=4),
            ident("denied", n=5),
            ident("placeholder", resource_id="${IDENTITY_ID}"),
        ]
    )
    creds = [credential("c1", "system:serviceaccount:apps:web")]
    ports = FakeIdentities(
        {rid("id1"): client(1), rid("denied"): Forbidden("read identity denied: no", status=403)},
        {rid("id1"): creds},
    )
    discover_azure(None, ports, inventory, None)
    assert sorted(ports.calls) == sorted([rid("id1"), rid("gone"), rid("denied")])
    facts = inventory.azure_identities
    assert facts[rid("id1").lower()].found and facts[rid("id1").lower()].credentials == creds
    assert facts[rid("id1").lower()].tenant_id == TENANT
    assert facts[rid("gone").lower()] == AzureIdentityFacts(rid("gone"), False)
    assert facts[rid("denied").lower()].error == "read identity denied: no"
    assert [i.client_id for i in inventory.identities[:2]] == [client(1), client(1)]
    assert inventory.findings == []
    codes = sorted(f.code for f in prerequisite_findings(inventory))
    assert codes == ["azure-identity-not-found", "azure-identity-unreadable"]


def test_a_credential_list_denied_keeps_the_identity() -> None:
    ports = FakeIdentities({rid("id1"): client(1)}, {rid("id1"): Forbidden("list denied", status=403)})
    inventory = discovered(None, ports, Inventory(identities=[ident()]))
    facts = inventory.azure_identities[rid("id1").lower()]
    assert facts.found and facts.client_id == client(1) and facts.error == "list denied"


def test_no_sign_in_stops_reading_and_is_one_finding() -> None:
    inventory = Inventory(identities=[ident(f"id{i}", n=i) for i in range(12)])
    denied = Unauthorized("read identity: cannot sign in to Azure", hint="Run `az login`.")
    ports = FakeIdentities({rid(f"id{i}"): denied for i in range(12)})
    discover_azure(None, ports, inventory, None)
    assert len(ports.calls) < 12  # the readers stopped once sign-in had failed
    [f] = inventory.findings
    assert f.code == "azure-unavailable" and "12 of 12" in f.message and f.message.endswith("Run `az login`.")
    assert inventory.azure_identities == {}
    assert prerequisite_findings(inventory) == []  # unknown, not missing


def test_an_unreachable_cluster_skips_the_identities() -> None:
    ports = FakeIdentities({rid("id1"): client(1)})
    inventory = Inventory(identities=[ident()], cluster=ClusterFacts(webhook_installed=True))
    discovered(FakeClusters(Unavailable("read managed cluster aks1: no answer from Azure")), ports, inventory)
    assert ports.calls == []
    [f] = inventory.findings
    assert f.code == "azure-unavailable" and "nothing else was read" in f.message
    assert inventory.cluster == ClusterFacts(
        resource_id=CLUSTER_ID, name="aks1", resource_group="rg-aks", webhook_installed=True
    )


def test_a_cluster_that_cannot_be_read_still_lets_identities_be_read() -> None:
    ports = FakeIdentities({rid("id1"): client(1)})
    inventory = discovered(FakeClusters(Forbidden("denied", status=403)), ports, Inventory(identities=[ident()]))
    [f] = inventory.findings
    assert f.code == "aks-cluster-unreadable"
    assert f"--role Reader --assignee <you> --scope {CLUSTER_ID}" in f.message
    assert ports.calls == [rid("id1")]


def test_a_malformed_cluster_id_is_an_input_error() -> None:
    with pytest.raises(InputError, match="not an AKS cluster resource id"):
        discover_azure(FakeClusters(wire()), FakeIdentities(), Inventory(), "aks1")

"""What ``discover`` finds in each of the 60 real public manifests under ../shared/realworld/.

Every file was reviewed by hand against its SOURCES.tsv ``pattern``; each entry of
``EXPECTED`` is the answer believed RIGHT for that file scanned on its own (so a
binding whose workload lives in another file is ``unused-binding``, a label whose
binding lives elsewhere is ``unmatched-selector``). Where the tool disagrees, the
entry carries ``xfail=...`` (strict) with the reason, instead of pinning the wrong
answer. Findings are written ``code@line``, the line being the finding's ``source``.

The folder is not part of this repository (never copy it in): the tests are
skipped when it is absent.
"""

# ruff: noqa: E501  (the table is keyed by the real, long file names)

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from migrator.cli.main import cli
from migrator.core.matching import discovery_findings
from migrator.core.model import Finding, Inventory
from migrator.sources.manifests.scan import scan

REALWORLD = Path(__file__).resolve().parents[2] / "shared" / "realworld"
NOT_MANIFESTS = {"README.md", "SOURCES.tsv"}

pytestmark = pytest.mark.skipif(not REALWORLD.is_dir(), reason=f"real-world manifests not found at {REALWORLD}")


@dataclass
class E:
    """What discovery should report for one file (empty lists: nothing of that sort)."""

    identities: list[str] = field(default_factory=list)  # ns/name:type
    bindings: list[str] = field(default_factory=list)  # ns/name->identity@selector
    workloads: list[str] = field(default_factory=list)  # ns/Kind/name@label
    spcs: list[str] = field(default_factory=list)  # ns/name:usePodIdentity=true|false
    exceptions: list[str] = field(default_factory=list)  # ns/name
    findings: list[str] = field(default_factory=list)  # code@line, one per finding
    xfail: str | None = None  # the tool is believed wrong here: why


EXPECTED: dict[str, E] = {
    # --- Azure/aad-pod-identity -------------------------------------------------------------
    # Helm List template (range over values): a template, first mention = `kind: AzureIdentity`.
    "Azure__aad-pod-identity__charts__aad-pod-identity__templates__identities.yaml": E(
        findings=["template-not-yaml@1"],  # first mention: `.Values.azureIdentities`
    ),
    # Type 2 SP identity; CLIENT_ID is no GUID. The Secret (doc 1) is never read; line 10 = apiVersion.
    "Azure__aad-pod-identity__deploy__demo__aadpodidentity-sp-cert.yaml": E(
        identities=["default/demo-aad1:2"],
        findings=["identity-missing-ids@10", "service-principal-identity@10"],
    ),
    "Azure__aad-pod-identity__deploy__demo__aadpodidentity-sp.yaml": E(
        identities=["default/demo-aad1:1"],
        findings=["identity-missing-ids@9", "service-principal-identity@9"],
    ),
    # Selector "demo" != identity "demo-aad1"; alone, no workload uses it.
    "Azure__aad-pod-identity__deploy__demo__aadpodidentitybinding.yaml": E(
        bindings=["default/demo-azure-id-binding->demo-aad1@demo"],
        findings=["unused-binding@1"],
    ),
    # Label on object and pod template (not in matchLabels): the pod-template line is reported.
    "Azure__aad-pod-identity__deploy__demo__deployment.yaml": E(
        workloads=["default/Deployment/demo@demo"],
        findings=["unmatched-selector@17"],
    ),
    "Azure__aad-pod-identity__deploy__infra__mic-exception.yaml": E(
        exceptions=["default/mic-exception", "kube-system/aks-addon-exception"],
    ),
    # CRLF, double space after `selector:`: value still exact.
    "Azure__aad-pod-identity__examples__rest-api__binding.yaml": E(
        bindings=["default/client-principal-binding->client-principal@client-principal-pod-binding"],
        findings=["unused-binding@1"],
    ),
    # CRLF, no final newline, double space after the colon.
    "Azure__aad-pod-identity__examples__rest-api__client-pod.yaml": E(
        workloads=["default/Pod/aad-id-client-pod@client-principal-pod-binding"],
        findings=["unmatched-selector@8"],
    ),
    "Azure__aad-pod-identity__test__e2e__template__aadpodidentityexception.yaml": E(
        findings=["template-not-yaml@2"],
    ),
    "Azure__aad-pod-identity__test__e2e__template__deployment.yaml": E(
        findings=["template-not-yaml@6"],
    ),
    # --- Azure/application-gateway-kubernetes-ingress ----------------------------------------
    # Chart values selecting pod identity by `armAuth.type: aadPodIdentity` (no label, no CRD):
    # nothing the catalogue can name; reported as a gap, not pinned as a bug.
    "Azure__application-gateway-kubernetes-ingress__docs__examples__sample-helm-config.yaml": E(),
    "Azure__application-gateway-kubernetes-ingress__helm__ingress-azure__templates__aadpodidentity.yaml": E(
        findings=["template-not-yaml@6"],
    ),
    "Azure__application-gateway-kubernetes-ingress__helm__ingress-azure__templates__deployment.yaml": E(
        findings=["template-not-yaml@23"],
    ),
    # Rendered snapshot: label on pod template only, leading `---` + comment.
    "Azure__application-gateway-kubernetes-ingress__helm__ingress-azure__tests__snapshots__sample-config__ingress-azure__templates__deployment.yaml": E(
        workloads=["default/Deployment/release-name-ingress-azure@release-name-ingress-azure"],
        findings=["unmatched-selector@23"],
    ),
    # `namespace: {{ .Release.Namespace }}` makes it a Helm template; the label is at line 17.
    "Azure__azure-service-operator__charts__azure-service-operator__templates__generated__apps_v1_deployment_azureoperator-controller-manager.yaml": E(
        findings=["template-not-yaml@17"],
    ),
    # --- Azure/kubernetes-keyvault-flexvol ----------------------------------------------------
    # Placeholder label with spaces is no valid label value; FlexVolume usepodidentity "true".
    "Azure__kubernetes-keyvault-flexvol__deployment__nginx-flex-kv-podidentity.yaml": E(
        workloads=["default/Pod/nginx-flex-kv-podid@NAME OF the AzureIdentityBinding SELECTOR"],
        findings=["flexvolume-keyvault@1", "invalid-label-value@6"],
    ),
    # One-space indent, legacy ResourceID/ClientID/AzureIdentity/Selector; ClientID `<Client-Id>`.
    "Azure__kubernetes-keyvault-flexvol__docs__traefik-tls-certificate__identity.yaml": E(
        identities=["default/sslking-podidentity:0"],
        bindings=["default/sslking-azure-identity-binding->sslking-podidentity@sslking-selector"],
        findings=["identity-missing-ids@1", "unused-binding@10"],
    ),
    # --- Azure/secrets-store-csi-driver-provider-azure ----------------------------------------
    # Negative control: usePodIdentity "false" is inventoried but needs nothing.
    "Azure__secrets-store-csi-driver-provider-azure__examples__keyvault-certs__v1alpha1_secretproviderclass_certs.yaml": E(
        spcs=["default/azure-certs:usePodIdentity=false"],
    ),
    # kind before apiVersion, quoted value + trailing comment.
    "Azure__secrets-store-csi-driver-provider-azure__examples__pod-identity__pod-inline-volume-pod-identity.yaml": E(
        workloads=["default/Pod/busybox-secrets-store-inline-podid@demo"],
        findings=["unmatched-selector@7"],
    ),
    "Azure__secrets-store-csi-driver-provider-azure__examples__pod-identity__v1alpha1_secretproviderclass_pod_identity.yaml": E(
        spcs=["default/azure-kvname-podid:usePodIdentity=true"],
    ),
    # --- XenitAB/terraform-modules ------------------------------------------------------------
    # Terraform templatefile (`%{ for }`) of aad-pod-identity chart values declaring identities
    # and bindings (`azureIdentities:` at line 15).
    "XenitAB__terraform-modules__modules__kubernetes__aad-pod-identity__templates__values.yaml.tpl": E(
        findings=["template-not-yaml@15"],
    ),
    "XenitAB__terraform-modules__modules__kubernetes__cert-manager__charts__cert-manager-extras__templates__cluster-issuer.yaml": E(
        findings=["template-not-yaml@3"],
    ),
    # Valid YAML with `${}` placeholders: read, matched (binding used), ids unresolved.
    "XenitAB__terraform-modules__modules__kubernetes__datadog__templates__azure-config.yaml.tpl": E(
        identities=["datadog/datadog:0"],
        bindings=["datadog/datadog->datadog@datadog"],
        workloads=["datadog/Deployment/datadog-secret-mount@datadog"],
        spcs=["datadog/datadog-secrets:usePodIdentity=true"],
        findings=["unresolved-variable@1"],
    ),
    "XenitAB__terraform-modules__modules__kubernetes__prometheus__charts__prometheus-extras__templates__prometheus.yaml": E(
        findings=["template-not-yaml@13"],
    ),
    "XenitAB__terraform-modules__modules__kubernetes__promtail__templates__promtail.yaml.tpl": E(
        findings=["template-not-yaml@83"],
    ),
    "XenitAB__terraform-modules__modules__kubernetes__trivy__templates__trivy-operator-values.yaml.tpl": E(
        findings=["template-not-yaml@37"],
    ),
    "XenitAB__terraform-modules__modules__kubernetes__velero__templates__values.yaml.tpl": E(
        findings=["template-not-yaml@32"],
    ),
    # --- single files from other repositories -------------------------------------------------
    # Legacy capitalised fields with `${}`; identity in namespace aad-pod-identity (pods elsewhere).
    "adamrushuk__devops-lab__terraform__files__azureIdentity-external-dns.yaml.tpl": E(
        identities=["aad-pod-identity/external-dns:0"],
        bindings=["aad-pod-identity/external-dns->external-dns@external-dns"],
        findings=["unresolved-variable@2", "unused-binding@14"],
    ),
    "broadinstitute__cromwhelm__coa-helm__templates___labels.tpl": E(
        findings=["template-not-yaml@7"],
    ),
    # The label comes from an include of _labels.tpl: this file never mentions pod identity.
    "broadinstitute__cromwhelm__coa-helm__templates__cromwell.yaml": E(),
    # envsubst $VARS in ids; selector differs from identity name; trailing empty document.
    "dod-ccpo__atst__deploy__azure__aadpodidentity.yml": E(
        identities=["default/atat-kv-identity:0"],
        bindings=["default/atat-key-vault-identity-binding->atat-kv-identity@atat-kv-id-binding"],
        findings=["unresolved-variable@2", "unused-binding@11"],
    ),
    # Stale labels on 3 Deployments; no binding anywhere in the file.
    "dod-ccpo__atst__deploy__azure__azure.yml": E(
        workloads=[
            "atat/Deployment/atat-app@atat-kv-id-binding",
            "atat/Deployment/atat-beat@atat-kv-id-binding",
            "atat/Deployment/atat-worker@atat-kv-id-binding",
        ],
        findings=["unmatched-selector@25", "unmatched-selector@149", "unmatched-selector@219"],
    ),
    "dod-ccpo__atst__deploy__azure__crls-sync.yaml": E(
        workloads=["atat/CronJob/crls@atat-kv-id-binding"],
        findings=["flexvolume-keyvault@1", "unmatched-selector@17"],
    ),
    # Overlay patch turning usepodidentity OFF and no label: nothing to migrate.
    "dod-ccpo__atst__deploy__overlays__cloudzero-pwdev-staging__flex_vol.yml": E(),
    # Namespace `$K8S_NAMESPACE` is a placeholder; FlexVolume says usepodidentity "false".
    "dod-ccpo__atst__deploy__shared__migration.yaml": E(
        workloads=["$K8S_NAMESPACE/Job/migration@atat-kv-id-binding"],
        findings=["unresolved-variable@15"],
    ),
    # --- fluxcd/flux2 (file names flattened, so no kustomization.yaml is recognised as one) ----
    "fluxcd__flux2__manifests__integrations__registry-credentials-sync___cronjobs__azure__config-patches.yaml": E(
        identities=["flux-system/credentials-sync:0"],
        workloads=["flux-system/CronJob/credentials-sync@$(AZ_IDENTITY_NAME)"],
        findings=["partial-workload@29", "unresolved-variable@41"],
    ),
    # Stub identity without spec (filled by the patch): alone it has no ids.
    "fluxcd__flux2__manifests__integrations__registry-credentials-sync__azure__az-identity.yaml": E(
        identities=["flux-system/credentials-sync:0"],
        bindings=["flux-system/credentials-sync->$(AZ_IDENTITY_NAME)@$(AZ_IDENTITY_NAME)"],
        findings=["identity-missing-ids@3", "unresolved-variable@9"],
    ),
    "fluxcd__flux2__manifests__integrations__registry-credentials-sync__azure__config-patches.yaml": E(
        identities=["flux-system/credentials-sync:0"],
        workloads=["flux-system/Deployment/credentials-sync@$(AZ_IDENTITY_NAME)"],
        findings=["partial-workload@30", "unresolved-variable@39"],
    ),
    "fluxcd__flux2__manifests__integrations__registry-credentials-sync__azure__kustomization.yaml": E(),
    "fluxcd__flux2__manifests__integrations__registry-credentials-sync__azure__kustomizeconfig.yaml": E(),
    # --- hmcts --------------------------------------------------------------------------------
    "hmcts__chart-job__job__templates___jobspec.tpl": E(
        findings=["template-not-yaml@21"],
    ),
    "hmcts__chart-library__library__templates__v2___deployment_test_helpers.tpl": E(
        findings=["template-not-yaml@16"],
    ),
    "hmcts__chart-library__library__templates__v2___labels.tpl": E(
        findings=["template-not-yaml@19"],
    ),
    "hmcts__chart-library__library__templates__v2___secretproviderclass.tpl": E(
        findings=["template-not-yaml@26"],
    ),
    # --- intershop ----------------------------------------------------------------------------
    # Label injected by an include helper (icm-as.podBinding): no pod-identity text in the file.
    "intershop__helm-charts__charts__icm-as__templates__jobserver-deployment.yaml": E(),
    "intershop__helm-charts__charts__icm-as__templates__ssl-certificate-spc.yaml": E(
        findings=["template-not-yaml@23"],
    ),
    # Chart-specific `podBinding: {enabled: false}` values: disabled, no label, nothing to report.
    "intershop__helm-charts__charts__icm-web__values.yaml": E(),
    "kedacore__charts__keda__templates__manager__deployment.yaml": E(
        findings=["template-not-yaml@33"],
    ),
    # Dual-stack: aadpodidbinding + azure.workload.identity/use on the pod template.
    "kubernetes-sigs__cluster-api-provider-azure__config__manager__manager.yaml": E(
        workloads=["system/Deployment/controller-manager@capz-controller-aadpodidentity-selector"],
        findings=["already-migrated@1", "unmatched-selector@20"],
    ),
    # --- mspnp --------------------------------------------------------------------------------
    "mspnp__aks-baseline-regulated__cluster-manifests__ingress-nginx__akv-tls-provider.yaml": E(
        spcs=["default/aks-ingress-contoso-com-tls-secret-csi-akv:usePodIdentity=true"],
    ),
    # CRLF; identity from the AKS add-on (bicep), so unmatched in manifests.
    "mspnp__aks-baseline-regulated__cluster-manifests__ingress-nginx__deployment.yaml": E(
        workloads=["ingress-nginx/Deployment/ingress-nginx-controller@podmi-ingress-controller"],
        findings=["unmatched-selector@288"],
    ),
    "mspnp__aks-baseline__cluster-manifests__cluster-baseline-settings__aad-pod-identity.yaml": E(
        exceptions=[
            "cluster-baseline-settings/mic-exception",
            "flux-system/flux-extension-exception",
            "kube-system/aks-addon-exception",
        ],
    ),
    "mspnp__aks-baseline__workload__traefik.yaml": E(
        workloads=["a0008/Deployment/traefik-ingress-controller@podmi-ingress-controller"],
        findings=["unmatched-selector@211"],
    ),
    "mspnp__aks-fabrikam-dronedelivery__charts__delivery__templates__delivery-identity.yaml": E(
        findings=["template-not-yaml@11"],
    ),
    "mspnp__aks-fabrikam-dronedelivery__charts__workflow__templates__workflow-deploy.yaml": E(
        findings=["template-not-yaml@22"],
    ),
    # --- smartpcr / thepaulmacca --------------------------------------------------------------
    "smartpcr__aks-bootstrap__env__templates__AadPodIdentity.tpl": E(
        findings=["template-not-yaml@2"],
    ),
    # Every `{{ }}` is inside quotes, so the file is valid YAML: read, and the binding reported
    # as unresolved (not a template finding as for its two siblings).
    "smartpcr__aks-bootstrap__env__templates__AadPodIdentityBinding.tpl": E(
        bindings=["default/{{.Values.service.name}}-id-binding->{{.Values.service.name}}@{{.Values.service.label}}"],
        findings=["unresolved-variable@1"],
    ),
    # Misplaced (object-only) label, but unquoted `{{ }}`: a template.
    "smartpcr__aks-bootstrap__env__templates__Deployment.tpl": E(
        findings=["template-not-yaml@6"],
    ),
    "thepaulmacca__helm-library-chart__charts__tpm-library__templates___azure-identity-binding.tpl": E(
        findings=["template-not-yaml@6"],
    ),
    # First mention is `{{- if .Values.azureIdentity }}` (line 8), the label itself is line 9.
    "thepaulmacca__helm-library-chart__charts__tpm-library__templates___podtemplate.tpl": E(
        findings=["template-not-yaml@8"],
    ),
}


def manifest_files() -> set[str]:
    return {p.name for p in REALWORLD.iterdir() if p.is_file() and p.name not in NOT_MANIFESTS}


@functools.cache
def discover(name: str) -> tuple[Inventory, list[Finding]]:
    """What ``discover`` computes for one file alone (the CLI's own two calls)."""
    inventory = scan([str(REALWORLD / name)])
    return inventory, discovery_findings(inventory)


def line_of(finding: Finding) -> int:
    assert finding.source, finding
    path, _, line = finding.source.rpartition(":")
    assert Path(path).name in manifest_files(), finding.source
    return int(line)


def by_code_and_line(items: list[str]) -> list[str]:
    return sorted(items, key=lambda s: (s.rpartition("@")[0], int(s.rpartition("@")[2])))


def summary(name: str) -> dict[str, list[str]]:
    inventory, findings = discover(name)
    return {
        "identities": sorted(f"{i.namespace}/{i.name}:{i.type}" for i in inventory.identities),
        "bindings": sorted(f"{b.namespace}/{b.name}->{b.identity}@{b.selector}" for b in inventory.bindings),
        "workloads": sorted(f"{w.namespace}/{w.kind}/{w.name}@{w.binding_label}" for w in inventory.workloads),
        "spcs": sorted(
            f"{s.namespace}/{s.name}:usePodIdentity={str(s.use_pod_identity).lower()}"
            for s in inventory.secret_provider_classes
        ),
        "exceptions": sorted(f"{e.namespace}/{e.name}" for e in inventory.exceptions),
        "findings": by_code_and_line([f"{f.code}@{line_of(f)}" for f in findings]),
    }


def expected_summary(entry: E) -> dict[str, list[str]]:
    return {
        "identities": sorted(entry.identities),
        "bindings": sorted(entry.bindings),
        "workloads": sorted(entry.workloads),
        "spcs": sorted(entry.spcs),
        "exceptions": sorted(entry.exceptions),
        "findings": by_code_and_line(entry.findings),
    }


def params(names) -> list:
    return [
        pytest.param(name, marks=pytest.mark.xfail(reason=EXPECTED[name].xfail, strict=True))
        if EXPECTED[name].xfail
        else name
        for name in sorted(names)
    ]


def test_table_covers_every_file_exactly() -> None:
    assert sorted(EXPECTED) == sorted(manifest_files())
    listed = (REALWORLD / "SOURCES.tsv").read_text(encoding="utf-8").splitlines()[1:]
    assert sorted(line.split("\t")[0] for line in listed if line.strip()) == sorted(EXPECTED)
    assert len(EXPECTED) == 60


@pytest.mark.parametrize("name", params(EXPECTED))
def test_discover_file(name: str) -> None:
    assert summary(name) == expected_summary(EXPECTED[name])


def test_finding_lines_point_at_what_they_report() -> None:
    """Spot checks: the text at a finding's line is what the finding is about."""
    checks = {
        # label findings point at the pod template's label, not the object's own labels
        ("Azure__aad-pod-identity__deploy__demo__deployment.yaml", "unmatched-selector"): "aadpodidbinding: demo",
        ("Azure__aad-pod-identity__examples__rest-api__client-pod.yaml", "unmatched-selector"): "aadpodidbinding:",
        (
            "Azure__kubernetes-keyvault-flexvol__deployment__nginx-flex-kv-podidentity.yaml",
            "invalid-label-value",
        ): "aadpodidbinding:",
        ("dod-ccpo__atst__deploy__azure__crls-sync.yaml", "unmatched-selector"): "aadpodidbinding: atat-kv-id-binding",
        (
            "dod-ccpo__atst__deploy__shared__migration.yaml",
            "unresolved-variable",
        ): "aadpodidbinding: atat-kv-id-binding",
        (
            "fluxcd__flux2__manifests__integrations__registry-credentials-sync__azure__config-patches.yaml",
            "unresolved-variable",
        ): "aadpodidbinding: $(AZ_IDENTITY_NAME)",
        (
            "mspnp__aks-baseline__workload__traefik.yaml",
            "unmatched-selector",
        ): "aadpodidbinding: podmi-ingress-controller",
        (
            "mspnp__aks-baseline-regulated__cluster-manifests__ingress-nginx__deployment.yaml",
            "unmatched-selector",
        ): "aadpodidbinding: podmi-ingress-controller",
        # object findings point at the object's first line (after `---` and comments)
        (
            "Azure__aad-pod-identity__deploy__demo__aadpodidentity-sp-cert.yaml",
            "service-principal-identity",
        ): 'apiVersion: "aadpodidentity.k8s.io/v1"',
        (
            "adamrushuk__devops-lab__terraform__files__azureIdentity-external-dns.yaml.tpl",
            "unused-binding",
        ): 'apiVersion: "aadpodidentity.k8s.io/v1"',
        (
            "fluxcd__flux2__manifests__integrations__registry-credentials-sync__azure__config-patches.yaml",
            "partial-workload",
        ): "apiVersion: apps/v1",
        # template findings point at the first mention
        (
            "Azure__aad-pod-identity__charts__aad-pod-identity__templates__identities.yaml",
            "template-not-yaml",
        ): "{{- if not (empty .Values.azureIdentities) -}}",
        ("kedacore__charts__keda__templates__manager__deployment.yaml", "template-not-yaml"): "aadpodidbinding: {{",
        (
            "XenitAB__terraform-modules__modules__kubernetes__trivy__templates__trivy-operator-values.yaml.tpl",
            "template-not-yaml",
        ): 'scanJobPodTemplateLabels: "aadpodidbinding=trivy"',
        (
            "hmcts__chart-library__library__templates__v2___secretproviderclass.tpl",
            "template-not-yaml",
        ): 'usePodIdentity: "true"',
        (
            "mspnp__aks-fabrikam-dronedelivery__charts__delivery__templates__delivery-identity.yaml",
            "template-not-yaml",
        ): "kind: AzureIdentity",
    }
    for (name, code), text in checks.items():
        lines = (REALWORLD / name).read_text(encoding="utf-8").splitlines()
        found = [f for f in discover(name)[1] if f.code == code]
        assert found, (name, code)
        for finding in found:
            assert lines[line_of(finding) - 1].strip().startswith(text), (name, finding.source)


def test_workload_and_object_source_lines() -> None:
    """Where the JSON's `source` of inventory objects points, on a few files."""
    inventory, _ = discover("dod-ccpo__atst__deploy__azure__azure.yml")
    assert sorted(w.label_source.line for w in inventory.workloads) == [25, 149, 219]
    inventory, _ = discover("mspnp__aks-baseline__cluster-manifests__cluster-baseline-settings__aad-pod-identity.yaml")
    assert sorted(e.source.line for e in inventory.exceptions) == [631, 641, 650]
    assert {e.name: e.pod_labels for e in inventory.exceptions}["flux-extension-exception"] == {
        "app.kubernetes.io/component": "fluxconfig-agent"
    }
    inventory, _ = discover("Azure__kubernetes-keyvault-flexvol__docs__traefik-tls-certificate__identity.yaml")
    assert [(i.source.line, i.legacy_fields) for i in inventory.identities] == [(1, True)]
    assert [b.source.line for b in inventory.bindings] == [10]


@pytest.mark.parametrize(
    ("name", "legacy"),
    [
        ("Azure__kubernetes-keyvault-flexvol__docs__traefik-tls-certificate__identity.yaml", True),
        ("adamrushuk__devops-lab__terraform__files__azureIdentity-external-dns.yaml.tpl", True),
        ("dod-ccpo__atst__deploy__azure__aadpodidentity.yml", True),
        ("Azure__aad-pod-identity__deploy__demo__aadpodidentity-sp.yaml", False),
        ("XenitAB__terraform-modules__modules__kubernetes__datadog__templates__azure-config.yaml.tpl", False),
    ],
)
def test_legacy_capitalised_fields(name: str, legacy: bool) -> None:
    inventory, _ = discover(name)
    assert [i.legacy_fields for i in inventory.identities] == [legacy]


_TEMPLATE_MARK = re.compile(r"\{\{|^[ \t]*%\{", re.M)
_MENTION = re.compile(r"aadpodidbinding|azureidentit|podidentityexception|usepodidentity", re.I)


def template_files() -> list[str]:
    return [
        p.name
        for p in sorted(REALWORLD.iterdir())
        if p.name in EXPECTED and _TEMPLATE_MARK.search(text := p.read_text(encoding="utf-8")) and _MENTION.search(text)
    ]


def test_template_files_are_known() -> None:
    assert len(template_files()) >= 25


@pytest.mark.parametrize("name", params(template_files() if REALWORLD.is_dir() else []))
def test_templates_are_reported_not_invalid(name: str) -> None:
    """A Helm/Go or Terraform template that mentions pod identity is never `invalid-yaml`,
    and never silently dropped: it is reported as a template, or read as YAML."""
    inventory, findings = discover(name)
    codes = [f.code for f in findings]
    assert "invalid-yaml" not in codes
    read = inventory.identities or inventory.bindings or inventory.workloads or inventory.secret_provider_classes
    assert "template-not-yaml" in codes or read, codes


def secret_values() -> list[str]:
    values = []
    for path in sorted(REALWORLD.glob("*aadpodidentity-sp*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and doc.get("kind") == "Secret":
                for key in ("data", "stringData"):
                    values.extend(str(v) for v in (doc.get(key) or {}).values())
    return values


def runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click 8.1 mixes stderr into stdout by default
    except TypeError:
        return CliRunner()  # click >= 8.2 keeps them apart


def run_discover(path: Path):
    result = runner().invoke(cli, ["discover", "--manifests", str(path), "-o", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exit_code in (0, 1), result.stderr
    return result, json.loads(result.stdout)


@pytest.fixture(scope="module")
def folder_run():
    return run_discover(REALWORLD)


def test_cli_on_the_whole_folder(folder_run) -> None:
    result, data = folder_run
    assert result.exit_code == 1  # error findings exist (unresolved variables, missing ids)
    assert data["stats"]["files"] == 60
    codes = {f["code"] for f in data["findings"]}
    assert "invalid-yaml" not in codes and "template-not-yaml" in codes
    for finding in data["findings"]:
        path, _, line = finding["source"].rpartition(":")
        assert Path(path).name in EXPECTED
        assert 1 <= int(line) <= len(Path(path).read_text(encoding="utf-8").splitlines())
    # across files, the demo Deployment matches the demo binding of another file
    demo = [f for f in data["findings"] if f["object"] == "default/Deployment/demo"]
    assert not [f for f in demo if f["code"] == "unmatched-selector"]
    # every per-file finding code is still reported somewhere in the folder run
    # (cross-file matching only turns unmatched/unused into matches)
    per_file = {f.code for name in EXPECTED for f in discover(name)[1]} - {"unmatched-selector", "unused-binding"}
    assert per_file <= codes


def test_no_secret_value_in_output(folder_run) -> None:
    values = secret_values()
    assert sorted(values) == ["CERTIFICATE", "CLIENT_SECRET", "PASSWORD"]
    outputs = [folder_run[0].stdout]
    for path in sorted(REALWORLD.glob("*aadpodidentity-sp*.yaml")):
        result, data = run_discover(path)
        assert data["identities"] and data["findings"]
        outputs.append(result.stdout)
    for output in outputs:
        for value in values:
            assert value not in output

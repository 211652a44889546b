"""Tests for ``migrator.export``: golden files per format, and the properties that
matter when the output is run: the issuer byte for byte, quoting, one write at a
time per identity, and a stable order.

Rewrite the golden files with ``UPDATE_GOLDEN=1 python -m pytest tests/test_export.py``.
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from migrator.core.plan import ISSUER_PLACEHOLDER, Plan, PlannedCredential
from migrator.export import FORMATS, IdentityRef, parse_identity_id, render
from migrator.export import bicep as bicep_format
from migrator.export import terraform as terraform_format

GOLDEN = Path(__file__).parent / "golden" / "export"
UPDATE_GOLDEN = os.environ.get("UPDATE_GOLDEN") == "1"
EXTENSIONS = {"az": "sh", "terraform": "tf", "bicep": "bicep", "json": "json"}

ISSUER = (
    "https://eastus.oic.prod-aks.azure.com/00000000-0000-0000-0000-00000000000a/11111111-2222-3333-4444-555555555555/"
)
SUB_A = "11111111-1111-1111-1111-111111111111"
SUB_B = "22222222-2222-2222-2222-222222222222"
ID_PAYMENTS = (
    f"/subscriptions/{SUB_A}/resourceGroups/rg-apps"
    "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-payments"
)
# Mixed case, as ids copied from aad-pod-identity manifests often are.
ID_REPORTS = (
    f"/SUBSCRIPTIONS/{SUB_B}/resourcegroups/RG-Data"
    "/providers/microsoft.managedidentity/userassignedidentities/id-reports"
)
APP_ID = "33333333-3333-3333-3333-333333333333"
TRICKY_SUBJECT = 'system:serviceaccount:o\'brien:sa "q" $(touch pwned) ${x} %{y} `z` \\n; rm -rf ~'


def mi(
    resource_id: str,
    identity: str,
    name: str,
    namespace: str,
    sa: str,
    issuer: str = ISSUER,
    subject: str | None = None,
) -> PlannedCredential:
    return PlannedCredential(
        identityResourceID=resource_id,
        identityName=identity,
        identityClientID=f"client-{identity}",
        identityType="managedIdentity",
        name=name,
        issuer=issuer,
        subject=subject or f"system:serviceaccount:{namespace}:{sa}",
        namespace=namespace,
        serviceAccountName=sa,
    )


def app(
    client_id: str, identity: str, name: str, namespace: str, sa: str, issuer: str = ISSUER, subject: str | None = None
) -> PlannedCredential:
    return PlannedCredential(
        identityResourceID=None,
        identityName=identity,
        identityClientID=client_id,
        identityType="application",
        name=name,
        issuer=issuer,
        subject=subject or f"system:serviceaccount:{namespace}:{sa}",
        namespace=namespace,
        serviceAccountName=sa,
    )


def multi_plan() -> Plan:
    """Literal issuer (trailing slash); two identities in two subscriptions and groups,
    two credentials on one of them; one app registration; listed out of order."""
    return Plan(
        issuer=ISSUER,
        issuerPlaceholder=False,
        options={"clusterName": "aks-prod"},
        federatedCredentials=[
            mi(ID_REPORTS, "reports", "reporting-reporter", "reporting", "reporter"),
            mi(ID_PAYMENTS, "payments", "payments-worker", "payments", "worker"),
            app(APP_ID, "legacy-sp", "legacy-batch", "legacy", "batch"),
            mi(ID_PAYMENTS, "payments", "payments-api", "payments", "api"),
        ],
    )


def placeholder_plan() -> Plan:
    """Unknown issuer; names and subjects that need quoting in every language."""
    return Plan(
        issuer=ISSUER_PLACEHOLDER,
        issuerPlaceholder=True,
        options={"clusterName": "aks dev"},
        federatedCredentials=[
            mi(ID_PAYMENTS, "payments", "plain", "a", "b", issuer=ISSUER_PLACEHOLDER),
            mi(
                ID_PAYMENTS,
                "payments",
                'it\'s-a "name"',
                "o'brien",
                "sa",
                issuer=ISSUER_PLACEHOLDER,
                subject=TRICKY_SUBJECT,
            ),
            app(
                APP_ID,
                "legacy-sp",
                "app-cred",
                "x",
                "y",
                issuer=ISSUER_PLACEHOLDER,
                subject="system:serviceaccount:x:'y' $HOME",
            ),
        ],
    )


PLANS = {"multi": multi_plan, "placeholder": placeholder_plan}


# --------------------------------------------------------------------------- golden


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("plan_name", sorted(PLANS))
def test_golden(plan_name: str, fmt: str) -> None:
    text = render(PLANS[plan_name](), fmt)
    path = GOLDEN / f"{plan_name}.{EXTENSIONS[fmt]}"
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1"
    assert text == path.read_bytes().decode("utf-8"), (
        f"{fmt} output differs from {path}; if the change is intended, rerun with UPDATE_GOLDEN=1"
    )


def test_formats_and_unknown_format() -> None:
    assert FORMATS == ("az", "terraform", "bicep", "json")
    with pytest.raises(ValueError, match="unknown export format 'yaml'; choose one of az, terraform"):
        render(multi_plan(), "yaml")


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_is_deterministic_whatever_the_plan_order(fmt: str) -> None:
    plan = multi_plan()
    expected = render(plan, fmt)
    for seed in range(5):
        shuffled = list(plan.federatedCredentials)
        random.Random(seed).shuffle(shuffled)
        assert render(replace(plan, federatedCredentials=shuffled), fmt) == expected


# --------------------------------------------------------------------------- resource ids


def test_parse_identity_id_is_case_insensitive_and_keeps_values() -> None:
    ref = parse_identity_id(ID_REPORTS)
    assert ref == IdentityRef(subscription=SUB_B, resource_group="RG-Data", name="id-reports")
    assert ref.resource_id == (
        f"/subscriptions/{SUB_B}/resourceGroups/RG-Data/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-reports"
    )
    assert parse_identity_id(ID_PAYMENTS).resource_id == ID_PAYMENTS


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "id-payments",
        ID_PAYMENTS + "/",
        ID_PAYMENTS + "/federatedIdentityCredentials/x",
        ID_PAYMENTS.replace("/resourceGroups/rg-apps", ""),
        ID_PAYMENTS.replace("Microsoft.ManagedIdentity", "Microsoft.Compute"),
        ID_PAYMENTS.replace("rg-apps", "rg apps"),
        ID_PAYMENTS + "\n",
        f"/subscriptions/{SUB_A}/resourceGroups//providers/Microsoft.ManagedIdentity/userAssignedIdentities/x",
    ],
)
def test_parse_identity_id_rejects_malformed_ids(bad: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_identity_id(bad)
    message = str(err.value)
    assert repr(bad) in message
    assert "expected /subscriptions/<subscription>/resourceGroups/<resource-group>/providers/" in message


def test_credentials_that_cannot_be_exported_are_refused_clearly() -> None:
    plan = multi_plan()
    broken = replace(plan.federatedCredentials[0], identityResourceID="/subscriptions/x/oops")
    with pytest.raises(ValueError, match=r"federatedCredentials\[0\] \('reporting-reporter'\).*not a user-assigned"):
        render(replace(plan, federatedCredentials=[broken]), "az")
    missing = replace(plan.federatedCredentials[0], identityResourceID=None)
    with pytest.raises(ValueError, match="managedIdentity credential without identityResourceID"):
        render(replace(plan, federatedCredentials=[missing]), "terraform")
    no_client = replace(plan.federatedCredentials[2], identityClientID="")
    with pytest.raises(ValueError, match="application credential without identityClientID"):
        render(replace(plan, federatedCredentials=[no_client]), "bicep")
    odd = replace(plan.federatedCredentials[0], identityType="servicePrincipal")
    with pytest.raises(ValueError, match="identityType 'servicePrincipal'"):
        render(replace(plan, federatedCredentials=[odd]), "json")


# --------------------------------------------------------------------------- issuer


@pytest.mark.parametrize("fmt", FORMATS)
def test_literal_issuer_is_kept_byte_for_byte(fmt: str) -> None:
    assert ISSUER in render(multi_plan(), fmt)
    bare = ISSUER.rstrip("/")  # never given a slash it did not have
    plan = multi_plan()
    plan = replace(plan, issuer=bare, federatedCredentials=[replace(c, issuer=bare) for c in plan.federatedCredentials])
    text = render(plan, fmt)
    assert bare in text
    assert ISSUER not in text


def test_placeholder_issuer_is_asked_for_in_each_format() -> None:
    plan = placeholder_plan()
    script = render(plan, "az")
    assert 'if [[ -z "${AKS_OIDC_ISSUER:-}" ]]; then' in script
    assert "az aks show -g <resource-group> -n " in script and "--query oidcIssuerProfile.issuerUrl -o tsv" in script
    tf = render(plan, "terraform")
    variable = tf[tf.index('variable "oidc_issuer_url" {') :]
    variable = variable[: variable.index("\n}\n")]
    assert "default" not in variable and "type        = string" in variable
    assert "issuer                    = var.oidc_issuer_url" in tf
    bicep = render(plan, "bicep")
    assert "\nparam oidcIssuerUrl string\n" in bicep
    assert "issuer: oidcIssuerUrl" in bicep
    assert '--parameters oidcIssuerUrl="$AKS_OIDC_ISSUER"' in bicep
    assert json.loads(render(plan, "json"))["issuer"] == ISSUER_PLACEHOLDER


def test_known_issuer_is_the_default_of_the_variable_and_param() -> None:
    plan = multi_plan()
    assert f'default     = "{ISSUER}"' in render(plan, "terraform")
    assert f"param oidcIssuerUrl string = '{ISSUER}'" in render(plan, "bicep")


def test_a_credential_with_its_own_issuer_gets_it_literally() -> None:
    plan = multi_plan()
    other = "https://westeurope.oic.prod-aks.azure.com/t/other/"
    creds = [replace(c, issuer=other) if c.name == "payments-api" else c for c in plan.federatedCredentials]
    plan = replace(plan, federatedCredentials=creds)
    assert f'issuer                    = "{other}"' in render(plan, "terraform")
    assert f"issuer: '{other}'" in render(plan, "bicep")
    assert f"--issuer {other}" in render(plan, "az")


# --------------------------------------------------------------------------- az


def _fake_az(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A PATH whose ``az`` records its argv as JSON lines instead of calling Azure."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "az.log"
    fake = bin_dir / "az"
    fake.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        "with open(os.environ['AZ_LOG'], 'a') as f:\n    f.write(json.dumps(sys.argv[1:]) + '\\n')\n"
    )
    fake.chmod(0o755)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "AZ_LOG": str(log)}
    return env, log


def _run_script(tmp_path: Path, script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "export.sh"
    path.write_text(script)
    return subprocess.run(["bash", str(path)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)


def _calls(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.mark.parametrize("plan_name", sorted(PLANS))
def test_az_script_is_valid_bash(plan_name: str, tmp_path: Path) -> None:
    script = render(PLANS[plan_name](), "az")
    assert script.startswith("#!/usr/bin/env bash\n# Generated by")
    assert "\nset -euo pipefail\n" in script
    path = tmp_path / "export.sh"
    path.write_text(script)
    subprocess.run(["bash", "-n", str(path)], check=True)


def test_az_script_passes_every_value_through_exactly(tmp_path: Path) -> None:
    """Run the script against a fake ``az``: the arguments it sees are the plan's, unmangled."""
    env, log = _fake_az(tmp_path)
    issuer = "https://eastus.oic.prod-aks.azure.com/tenant/cluster/"
    result = _run_script(tmp_path, render(placeholder_plan(), "az"), {**env, "AKS_OIDC_ISSUER": issuer})
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "pwned").exists()
    calls = _calls(log)
    assert [c[:3] for c in calls] == [
        ["identity", "federated-credential", "create"],
        ["identity", "federated-credential", "create"],
        ["ad", "app", "federated-credential"],
    ]
    first = dict(zip(calls[0][3::2], calls[0][4::2], strict=True))
    assert first == {
        "--name": 'it\'s-a "name"',
        "--identity-name": "id-payments",
        "--resource-group": "rg-apps",
        "--subscription": SUB_A,
        "--issuer": issuer,
        "--subject": TRICKY_SUBJECT,
        "--audiences": "api://AzureADTokenExchange",
    }
    assert calls[1][calls[1].index("--name") + 1] == "plain"
    app_call = calls[2]
    assert app_call[:4] == ["ad", "app", "federated-credential", "create"]
    assert app_call[app_call.index("--id") + 1] == APP_ID
    assert json.loads(app_call[app_call.index("--parameters") + 1]) == {
        "name": "app-cred",
        "issuer": issuer,
        "subject": "system:serviceaccount:x:'y' $HOME",
        "audiences": ["api://AzureADTokenExchange"],
    }


def test_az_script_with_known_issuer_runs_in_plan_order(tmp_path: Path) -> None:
    env, log = _fake_az(tmp_path)
    result = _run_script(tmp_path, render(multi_plan(), "az"), env)
    assert result.returncode == 0, result.stderr
    calls = _calls(log)
    names = [c[c.index("--name") + 1] if "--name" in c else json.loads(c[-1])["name"] for c in calls]
    assert names == ["payments-api", "payments-worker", "reporting-reporter", "legacy-batch"]
    reports = dict(zip(calls[2][3::2], calls[2][4::2], strict=True))
    assert reports["--resource-group"] == "RG-Data" and reports["--subscription"] == SUB_B
    assert all(c[c.index("--issuer") + 1] == ISSUER for c in calls[:3])
    assert json.loads(calls[3][-1])["issuer"] == ISSUER


def test_az_script_stops_without_the_issuer_and_says_how_to_get_it(tmp_path: Path) -> None:
    env, log = _fake_az(tmp_path)
    result = _run_script(tmp_path, render(placeholder_plan(), "az"), env)
    assert result.returncode == 1
    assert "AKS_OIDC_ISSUER is not set" in result.stderr
    assert (
        "export AKS_OIDC_ISSUER=\"$(az aks show -g <resource-group> -n 'aks dev' "
        '--query oidcIssuerProfile.issuerUrl -o tsv)"' in result.stderr
    )
    assert _calls(log) == []


@pytest.mark.parametrize("issuer", ["http://insecure/", 'https://x/"y"/', "https://x/ y/"])
def test_az_script_refuses_an_unusable_issuer(issuer: str, tmp_path: Path) -> None:
    env, log = _fake_az(tmp_path)
    result = _run_script(tmp_path, render(placeholder_plan(), "az"), {**env, "AKS_OIDC_ISSUER": issuer})
    assert result.returncode == 1 and "error: AKS_OIDC_ISSUER must" in result.stderr
    assert _calls(log) == []


def test_az_script_says_why_it_is_sequential() -> None:
    script = render(multi_plan(), "az")
    assert "Credentials are created one at a time" in script
    assert "ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity" in script
    assert "&" not in script.replace("'&'", "")  # nothing is sent to the background


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_az_script_is_shellcheck_clean(tmp_path: Path) -> None:
    path = tmp_path / "export.sh"
    path.write_text(render(multi_plan(), "az"))
    subprocess.run(["shellcheck", str(path)], check=True)
    plain_placeholder = replace(placeholder_plan(), federatedCredentials=placeholder_plan().federatedCredentials[:1])
    path.write_text(render(plain_placeholder, "az"))
    subprocess.run(["shellcheck", str(path)], check=True)


# --------------------------------------------------------------------------- terraform

_TF_RESOURCE = re.compile(r'^(resource|data) "([a-z_]+)" "([^"]+)" \{$', re.MULTILINE)
_TF_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def test_terraform_resources_labels_and_chain() -> None:
    tf = render(multi_plan(), "terraform")
    blocks = _TF_RESOURCE.findall(tf)
    assert [(kind, t) for kind, t, _ in blocks] == [
        ("resource", "azurerm_federated_identity_credential"),
        ("resource", "azurerm_federated_identity_credential"),
        ("resource", "azurerm_federated_identity_credential"),
        ("data", "azuread_application"),
        ("resource", "azuread_application_federated_identity_credential"),
    ]
    labels = [label for _, _, label in blocks]
    assert all(_TF_IDENTIFIER.match(label) for label in labels)
    assert len(set(labels)) == len(labels)
    # Only the second credential of id-payments waits, for the first.
    assert tf.count("depends_on = [") == 1
    assert "depends_on = [azurerm_federated_identity_credential.fic_id_payments_payments_api]" in tf
    # The identity id is canonical (the provider parses segment names case-sensitively).
    assert (
        f'user_assigned_identity_id = "/subscriptions/{SUB_B}/resourceGroups/RG-Data/providers/'
        'Microsoft.ManagedIdentity/userAssignedIdentities/id-reports"' in tf
    )
    assert "parent_id " not in tf and "resource_group_name " not in tf
    # One aliased provider per subscription, used by that subscription's credentials.
    assert tf.count('provider "azurerm" {') == 2
    assert f'subscription_id = "{SUB_B}"' in tf
    assert tf.count("provider                  = azurerm.sub_22222222_2222_2222_2222_222222222222") == 1
    # App registrations are found by client id; the credential takes the app's resource id.
    assert f'client_id = "{APP_ID}"' in tf
    assert "application_id = data.azuread_application.app_legacy_sp.id" in tf


def test_terraform_labels_stay_unique_when_sanitised_names_collide() -> None:
    plan = Plan(
        issuer=ISSUER,
        issuerPlaceholder=False,
        federatedCredentials=[
            mi(ID_PAYMENTS, "payments", "a-b", "n", "s1"),
            mi(ID_PAYMENTS, "payments", "a_b", "n", "s2"),
            mi(ID_PAYMENTS, "payments", "c", "n", "s3"),
        ],
    )
    labels = [label for _, _, label in _TF_RESOURCE.findall(render(plan, "terraform"))]
    assert len(set(labels)) == 3 and all(_TF_IDENTIFIER.match(label) for label in labels)
    assert "fic_id_payments_c" in labels  # names that do not collide keep their plain label
    text = render(plan, "terraform")
    assert text.count("depends_on = [") == 2  # a chain of three


def test_one_identity_spelt_two_ways_is_one_chain() -> None:
    lower = ID_PAYMENTS.lower()
    plan = Plan(
        issuer=ISSUER,
        issuerPlaceholder=False,
        federatedCredentials=[
            mi(ID_PAYMENTS, "payments", "one", "n", "s1"),
            mi(lower, "payments-again", "two", "n", "s2"),
        ],
    )
    assert render(plan, "terraform").count("depends_on = [") == 1
    assert render(plan, "bicep").count("dependsOn: [") == 1
    assert "AzureIdentity payments, payments-again" in render(plan, "az")


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
@pytest.mark.parametrize("plan_name", sorted(PLANS))
def test_terraform_output_is_canonically_formatted(plan_name: str) -> None:
    text = render(PLANS[plan_name](), "terraform")
    formatted = subprocess.run(["terraform", "fmt", "-"], input=text, capture_output=True, text=True, timeout=60)
    assert formatted.returncode == 0, formatted.stderr
    assert formatted.stdout == text


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_terraform_strings_mean_exactly_the_plan_values(tmp_path: Path) -> None:
    values = [TRICKY_SUBJECT, "a$${b}%%{c}", "tab\tnew\nline\r", "ctrl\x01\x7f", "ünïcode", "$", "%", "${"]
    (tmp_path / "main.tf").write_text(
        "locals {\n  values = [\n" + "".join(f"    {terraform_format._str(v)},\n" for v in values) + "  ]\n}\n"
    )
    result = subprocess.run(
        ["terraform", "console"],
        input="base64encode(jsonencode(local.values))\n",
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(base64.b64decode(json.loads(result.stdout.strip()))) == values


# --------------------------------------------------------------------------- bicep


def _bicep_code(text: str) -> str:
    """The Bicep text without comments and string contents, to check its structure."""
    return re.sub(r"'(?:[^'\\\n]|\\.)*'", "''", re.sub(r"//[^\n]*", "", text))


def test_bicep_sections_identities_and_chain() -> None:
    text = render(multi_plan(), "bicep")
    code = _bicep_code(text)
    for opening, closing in ("{}", "[]", "()"):
        assert code.count(opening) == code.count(closing)
    assert "targetScope = 'resourceGroup'" in text
    assert text.count("existing = if (inSection1) {") == 1
    assert text.count("existing = if (inSection2) {") == 1
    assert text.count("federatedIdentityCredentials@2023-01-31' = if (inSection1) {") == 2
    assert text.count("federatedIdentityCredentials@2023-01-31' = if (inSection2) {") == 1
    assert f"var inSection2 = subscription().subscriptionId =~ '{SUB_B}' && resourceGroup().name =~ 'RG-Data'" in text
    assert f"az deployment group create \\\n//     --subscription {SUB_B} \\\n//     --resource-group RG-Data" in text
    assert text.count("dependsOn: [") == 1
    assert "dependsOn: [\n    fic_id_payments_payments_api\n  ]" in text
    assert "output deployedCredentialCount int = (inSection1 ? 2 : 0) + (inSection2 ? 1 : 0)" in text
    # Symbols are valid identifiers and unique.
    symbols = re.findall(r"^(?:resource|var|param|output) ([A-Za-z_][A-Za-z0-9_]*) ", text, re.MULTILINE)
    assert len(symbols) == len(set(symbols)) == 2 + 3 + 2 + 1 + 1


def test_bicep_symbols_match_their_credentials_when_sections_reorder_identities() -> None:
    # id-a sorts first by name but lives in the later subscription.
    id_a = ID_REPORTS.replace("id-reports", "id-a")
    plan = Plan(
        issuer=ISSUER,
        issuerPlaceholder=False,
        federatedCredentials=[mi(id_a, "a", "cred-a", "n", "a"), mi(ID_PAYMENTS, "payments", "cred-p", "n", "p")],
    )
    text = render(plan, "bicep")
    children = re.findall(
        r"^resource (\w+) '[^']+' = if \(\w+\) \{\n  parent: (\w+)\n  name: '([^']+)'", text, re.MULTILINE
    )
    assert [(symbol, parent) for symbol, parent, _ in children] == [
        ("fic_id_payments_cred_p", "mi_id_payments"),
        ("fic_id_a_cred_a", "mi_id_a"),
    ]
    assert text.index("cred-p") < text.index("cred-a")  # section of SUB_A first


def test_bicep_leaves_app_registrations_to_the_cli() -> None:
    text = render(multi_plan(), "bicep")
    code = _bicep_code(text)
    assert APP_ID not in code and "legacy-batch" not in code
    comments = [line for line in text.splitlines() if line.startswith("//")]
    assert any("az ad app federated-credential create" in line for line in comments)
    assert any(f"--id {APP_ID}" in line for line in comments)


def test_bicep_strings_escape_what_bicep_would_interpret() -> None:
    assert bicep_format._str("it's ${x} a\\b\nc") == "'it\\'s \\${x} a\\\\b\\nc'"
    assert bicep_format._str("\x01") == "'\\u{1}'"
    text = render(placeholder_plan(), "bicep")
    subject = "'system:serviceaccount:o\\'brien:sa \"q\" \\$(touch pwned) \\${x} %{y} `z` \\\\n; rm -rf ~'"
    assert f"subject: {subject}" in text


# --------------------------------------------------------------------------- json


def test_json_has_the_issuer_and_every_credential_field_in_order() -> None:
    text = render(multi_plan(), "json")
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text.startswith('{\n  "issuer": ')
    document = json.loads(text)
    assert list(document) == ["issuer", "federatedCredentials"]
    assert document["issuer"] == ISSUER
    creds = document["federatedCredentials"]
    assert [c["name"] for c in creds] == ["payments-api", "payments-worker", "reporting-reporter", "legacy-batch"]
    assert set(creds[0]) == set(PlannedCredential.__dataclass_fields__)
    assert creds[2]["identityResourceID"] == ID_REPORTS  # the plan's value, unchanged
    assert creds[3]["identityResourceID"] is None and creds[3]["identityType"] == "application"

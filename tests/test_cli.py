"""The commands as users run them: output formats, exit codes, plan files, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from click.testing import CliRunner

from migrator.cli.main import cli
from tests.conftest import binding, deployment, identity

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_discover_json_shape_on_quickstart():
    result = run("discover", "--manifests", str(SAMPLES / "quickstart"), "-o", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= {"identities", "bindings", "exceptions", "workloads", "secretProviderClasses", "findings"}
    assert {"name", "namespace", "type", "clientID", "resourceID", "source"} <= set(data["identities"][0])
    assert {"name", "namespace", "identity", "selector", "source"} <= set(data["bindings"][0])
    assert {"kind", "name", "namespace", "selector", "serviceAccountName", "source"} <= set(data["workloads"][0])
    assert not [f for f in data["findings"] if f["severity"] == "error"]


def test_plan_yaml_and_out_file(tmp_path):
    out = tmp_path / "plan.yaml"
    result = run(
        "plan",
        "--manifests",
        str(SAMPLES / "quickstart"),
        "-o",
        "yaml",
        "--out",
        str(out),
        "--issuer",
        "https://eastus.oic.prod-aks.azure.com/t/c/",
    )
    assert result.exit_code == 0, result.output
    printed = yaml.safe_load(result.output)
    written = yaml.safe_load(out.read_text())
    assert printed == written
    assert {"serviceAccounts", "federatedCredentials", "workloads", "findings"} <= set(written)
    assert {"namespace", "name", "clientID", "create"} <= set(written["serviceAccounts"][0])
    assert {"identityResourceID", "name", "issuer", "subject", "audience"} <= set(written["federatedCredentials"][0])
    assert {"kind", "namespace", "name", "serviceAccountName", "mode"} <= set(written["workloads"][0])


def test_error_findings_exit_one_and_table_lists_them(tree):
    root = tree({"a.yaml": binding() + "---\n" + deployment()})
    result = run("discover", "--manifests", str(root))
    assert result.exit_code == 1
    assert "identity-not-found" in result.output


def test_usage_errors_exit_two(tmp_path):
    assert run("discover", "--manifests", str(tmp_path / "missing")).exit_code == 2
    assert run("plan", "--manifests", str(tmp_path), "--sa-name-pattern", "{bogus}").exit_code == 2
    assert run("plan", "--manifests", str(tmp_path), "--token-expiration", "60").exit_code == 2
    assert run("plan", "--manifests", str(tmp_path), "--workload-mode", "a/b/c=fast").exit_code == 2


def test_export_reads_plan_and_rejects_bad_plan(tree, tmp_path):
    root = tree({"a.yaml": identity() + "---\n" + binding() + "---\n" + deployment()})
    plan_file = tmp_path / "p.json"
    assert run("plan", "--manifests", str(root), "--out", str(plan_file), "-o", "json").exit_code == 0
    result = run("export", str(plan_file), "--format", "az")
    assert result.exit_code == 0 and "az identity federated-credential create" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: Something\n")
    result = CliRunner().invoke(cli, ["export", str(bad)])
    assert result.exit_code == 2
    assert "not a wimigrate plan" in result.output and "Traceback" not in result.output


def test_help_is_fast_and_imports_no_heavy_sdk():
    code = (
        "import sys, runpy; sys.argv=['wimigrate','--help']\n"
        "try:\n runpy.run_module('migrator', run_name='__main__')\nexcept SystemExit: pass\n"
        "heavy=[m for m in sys.modules if m.split('.')[0] in ('kubernetes','azure','rich','yaml','ruamel')]\n"
        "print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={**os.environ, "NO_COLOR": "1"}
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_every_command_has_help():
    for command in ("discover", "plan", "export"):
        result = run(command, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output


def test_readme_lists_every_finding_code():
    from migrator.core.findings import CATALOG

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert [code for code in CATALOG if f"`{code}`" not in readme] == []

"""``wimigrate rewrite`` as users run it: diff by default, --in-place, --out, exit codes, safety."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.cli.main import cli
from tests.conftest import binding, deployment, identity, outcome

OK = identity() + "---\n" + binding()
SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def invoke(*args: str):
    return CliRunner().invoke(cli, ["rewrite", *args])


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture
def shop(tree) -> Path:
    return tree(
        {
            "identity.yaml": OK,
            "web.yaml": "# the web tier\n" + deployment(),
            "config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n",
            "README.md": "not a manifest\n",
        }
    )


def test_diff_is_the_default_changes_nothing_and_exits_1_when_changes_are_pending(shop):
    before = snapshot(shop)
    result = invoke("--manifests", str(shop))
    assert result.exit_code == 1, result.output
    assert f"+++ b/{str(shop).lstrip('/')}/web.yaml" in result.output
    assert '+        azure.workload.identity/use: "true"' in result.output
    assert "+      serviceAccountName: id1" in result.output
    assert "new file mode" in result.output and "serviceaccount-id1.yaml" in result.output
    assert "\x1b[" not in result.output  # not a terminal: no colour codes
    assert snapshot(shop) == before


def test_in_place_writes_only_changed_files_and_keeps_their_mode(shop):
    os.chmod(shop / "web.yaml", 0o600)
    before = snapshot(shop)
    result = invoke("--manifests", str(shop), "--in-place")
    assert result.exit_code == 0, result.output
    after = snapshot(shop)
    assert after["config.yaml"] == before["config.yaml"] and after["identity.yaml"] == before["identity.yaml"]
    assert after["web.yaml"][0] != before["web.yaml"][0]
    assert stat.S_IMODE(os.stat(shop / "web.yaml").st_mode) == 0o600
    assert "azure.workload.identity/client-id" in (shop / "serviceaccount-id1.yaml").read_text()
    assert not [p for p in shop.iterdir() if p.name.startswith(".wimigrate-")]  # no temp files left
    again = invoke("--manifests", str(shop))
    assert again.exit_code == 0, again.output  # nothing pending any more
    assert "diff --git" not in again.output


def test_out_writes_a_full_copy_and_leaves_the_tree_alone(shop, tmp_path):
    before = snapshot(shop)
    out = tmp_path.parent / f"{tmp_path.name}-out"
    result = invoke("--manifests", str(shop), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert snapshot(shop) == before
    assert (out / "README.md").read_bytes() == (shop / "README.md").read_bytes()
    assert (out / "config.yaml").read_bytes() == (shop / "config.yaml").read_bytes()
    assert (out / "serviceaccount-id1.yaml").exists()
    assert "azure.workload.identity/use" in (out / "web.yaml").read_text()


def test_the_diff_applies_with_git_and_gives_the_same_tree_as_out(shop, tmp_path):
    if not shutil.which("git"):
        pytest.skip("git not installed")
    out = tmp_path.parent / f"{tmp_path.name}-out"
    assert invoke("--manifests", str(shop), "--out", str(out)).exit_code == 0
    cwd = os.getcwd()
    try:
        os.chdir(shop)
        diff = invoke("--manifests", ".").output
        subprocess.run(["git", "init", "-q"], check=True)
        subprocess.run(["git", "apply", "-"], input=diff.encode(), check=True)
    finally:
        os.chdir(cwd)
    assert {k: v[0] for k, v in snapshot(out).items()} == {
        k: v[0] for k, v in snapshot(shop).items() if not k.startswith(".git/")
    }


def test_conflicting_targets_and_a_bad_out_dir_are_usage_errors(shop):
    result = invoke("--manifests", str(shop), "--diff", "--in-place")
    assert result.exit_code == 2 and "cannot be combined" in result.output
    inside = invoke("--manifests", str(shop), "--out", str(shop / "sub"))
    assert inside.exit_code == 2 and "inside the tree" in inside.output
    (shop.parent / "full").mkdir(exist_ok=True)
    (shop.parent / "full" / "x").write_text("x")
    full = invoke("--manifests", str(shop), "--out", str(shop.parent / "full"))
    assert full.exit_code == 2 and "not an empty directory" in full.output
    assert "Traceback" not in full.output


def test_json_output_lists_every_file_with_its_status(shop):
    result = invoke("--manifests", str(shop), "-o", "json")
    data = json.loads(result.output)
    assert data["phase"] == "migrate" and data["target"] == "diff"
    statuses = {Path(f["path"]).name: f["status"] for f in data["files"]}
    assert statuses == {"web.yaml": "changed", "serviceaccount-id1.yaml": "created"}
    assert data["summary"]["changed"] == 1 and data["summary"]["created"] == 1 and data["summary"]["failed"] == 0
    assert all("diff" in f for f in data["files"])


def test_a_file_that_cannot_be_edited_fails_alone(tree):
    anchored = (
        deployment(name="api")
        .replace(
            "    matchLabels:\n      app: api\n", "    matchLabels: &pod\n      app: api\n      aadpodidbinding: id1\n"
        )
        .replace("      labels:\n        app: api\n        aadpodidbinding: id1\n", "      labels: *pod\n")
    )
    root = tree({"identity.yaml": OK, "web.yaml": deployment(), "api.yaml": anchored})
    result = invoke("--manifests", str(root), "--in-place", "-o", "json")
    assert result.exit_code == 1
    files = {Path(f["path"]).name: f for f in json.loads(result.output)["files"]}
    assert files["api.yaml"]["status"] == "failed" and "anchor" in files["api.yaml"]["error"]
    assert files["web.yaml"]["status"] == "changed"
    assert (root / "api.yaml").read_text() == anchored


def test_templates_are_listed_and_never_touched(tree):
    helm = "spec:\n  template:\n    metadata:\n      labels:\n        aadpodidbinding: {{ .Values.selector }}\n"
    root = tree({"identity.yaml": OK, "web.yaml": deployment(), "chart/deployment.yaml": helm})
    result = invoke("--manifests", str(root), "--in-place", "-o", "json")
    data = json.loads(result.output)
    files = {Path(f["path"]).name: f["status"] for f in data["files"]}
    assert files["deployment.yaml"] == "skipped"
    assert any(f["code"] == "template-not-yaml" for f in data["findings"])
    assert (root / "chart/deployment.yaml").read_text() == helm


def test_cleanup_refuses_a_workload_that_was_not_migrated(tree):
    root = tree({"identity.yaml": OK, "web.yaml": deployment()})
    result = invoke("--manifests", str(root), "--phase", "cleanup", "--in-place", "-o", "json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert [f["code"] for f in data["findings"] if f["severity"] == "error"] == ["not-migrated"]
    assert data["files"] == []  # the label and its binding both stay
    assert "aadpodidbinding" in (root / "web.yaml").read_text()


def test_migrate_then_cleanup_then_remove_sidecar_in_place(tree):
    root = tree({"identity.yaml": OK, "web.yaml": deployment()})
    assert invoke("--manifests", str(root), "--mode", "sidecar", "--in-place").exit_code == 0
    assert "inject-proxy-sidecar" in (root / "web.yaml").read_text()
    cleaned = invoke("--manifests", str(root), "--phase", "cleanup", "--in-place")
    assert cleaned.exit_code == 0, cleaned.output
    assert not (root / "identity.yaml").exists()
    assert "aadpodidbinding" not in (root / "web.yaml").read_text()
    other = invoke("--manifests", str(root), "--phase", "remove-sidecar", "--workload", "apps/Deployment/other")
    assert other.exit_code == 0 and "workload-filter-unmatched" in other.output
    done = invoke("--manifests", str(root), "--phase", "remove-sidecar", "--workload", "apps/web", "--in-place")
    assert done.exit_code == 0, done.output
    assert "proxy-sidecar" not in (root / "web.yaml").read_text()


def test_in_place_writes_through_a_link_inside_the_tree_and_keeps_the_link(tree):
    root = tree({"identity.yaml": OK, "real/web.yaml": deployment()})
    (root / "web-link.yaml").symlink_to(root / "real/web.yaml")
    assert invoke("--manifests", str(root), "--in-place").exit_code == 0
    assert (root / "web-link.yaml").is_symlink()
    assert "azure.workload.identity/use" in (root / "real/web.yaml").read_text()


def test_kustomization_lists_the_new_service_account(rewrite_of):
    kustomization = "resources:\n  - identity.yaml\n  - web.yaml\n"
    result = rewrite_of({"kustomization.yaml": kustomization, "identity.yaml": OK, "web.yaml": deployment()})
    after = outcome(result, "kustomization.yaml").after
    assert after == (kustomization + "  - serviceaccount-id1.yaml\n").encode()


def test_the_quickstart_sample_migrates_cleanly(tmp_path):
    out = tmp_path / "out"
    result = invoke("--manifests", str(SAMPLES / "quickstart"), "--out", str(out), "-o", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["summary"]["failed"] == 0


def test_a_service_account_in_an_indented_list_is_found_and_annotated(rewrite_of):
    accounts = (
        "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ServiceAccount\n"
        "    metadata:\n      name: web\n      namespace: apps\n"
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: rb\n"
        "subjects:\n- kind: ServiceAccount\n  name: web\n"
    )
    web = deployment(extra="serviceAccountName: web\n")
    result = rewrite_of({"identity.yaml": OK, "web.yaml": web, "accounts.yaml": accounts})
    assert "service-account-not-in-tree" not in {f.code for f in result.findings}
    after = outcome(result, "accounts.yaml").after.decode()
    assert "      annotations:\n        azure.workload.identity/client-id: " in after
    assert after.endswith("subjects:\n- kind: ServiceAccount\n  name: web\n")  # the RoleBinding is untouched


def test_dry_run_is_the_diff(shop):
    before = snapshot(shop)
    assert invoke("--manifests", str(shop), "--dry-run").output == invoke("--manifests", str(shop)).output
    assert snapshot(shop) == before


def test_long_tables_print_every_row_as_a_plain_line():
    from rich.text import Text

    from migrator.cli import render

    rows = [[Text("changed", style="green"), f"f{i}.yaml", "x"] for i in range(render.PLAIN_ROWS + 1)]
    text = render._table("Files", ["status", "file", "what"], rows)
    lines = text.plain.splitlines()
    assert lines[0] == "Files" and len(lines) == render.PLAIN_ROWS + 2
    assert lines[1] == "changed  f0.yaml  x"
    assert any(span.style == "green" for span in text.spans)  # styled cells keep their style
    short = render._table("Files", ["status", "file", "what"], rows[:2])
    assert short.row_count == 2

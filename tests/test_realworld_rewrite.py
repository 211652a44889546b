"""Every real public manifest under ../shared/realworld/ goes through ``rewrite --out`` intact.

Run per file (as a user pointing at one file would) and over the whole folder
(so bindings in one file match workloads in another), through all three phases.
Each rewritten YAML file must parse again and hold the same objects as before
once the planned changes are taken out. Skipped when the folder is absent.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from migrator.cli.main import cli
from migrator.core.plan import (
    CLIENT_ID_ANNOTATION,
    INJECT_SIDECAR_ANNOTATION,
    PROXY_PORT_ANNOTATION,
    TENANT_ID_ANNOTATION,
    USE_LABEL,
)
from migrator.core.recognise import TEMPLATE_PATHS

REALWORLD = Path(__file__).resolve().parents[2] / "shared" / "realworld"
NOT_MANIFESTS = {"README.md", "SOURCES.tsv"}
FILES = sorted(p.name for p in REALWORLD.iterdir() if p.name not in NOT_MANIFESTS) if REALWORLD.is_dir() else []
POD_IDENTITY_KINDS = {"AzureIdentity", "AzureIdentityBinding", "AzurePodIdentityException"}

pytestmark = pytest.mark.skipif(not REALWORLD.is_dir(), reason=f"real-world manifests not found at {REALWORLD}")


def rewrite(source: Path, out: Path, phase: str, *extra: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        cli, ["rewrite", "--manifests", str(source), "--phase", phase, "--out", str(out), "-o", "json", *extra]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


def _strip(obj: Any) -> Any:
    """``obj`` without what the phases may add, change or remove."""
    if not isinstance(obj, dict):
        return obj
    obj = copy.deepcopy(obj)
    kind = obj.get("kind")
    labels = (obj.get("metadata") or {}).get("labels")
    if kind in TEMPLATE_PATHS and isinstance(labels, dict):
        labels.pop("aadpodidbinding", None)  # cleanup takes it off the workload object too
        if not labels:
            obj["metadata"].pop("labels")
    if kind in TEMPLATE_PATHS:
        template = obj
        for step in TEMPLATE_PATHS[kind]:
            template = template.get(step) if isinstance(template, dict) else None
        if isinstance(template, dict):
            meta = template.get("metadata") or {}
            for key in ("labels", "annotations"):
                if isinstance(meta.get(key), dict):
                    for name in (USE_LABEL, "aadpodidbinding", INJECT_SIDECAR_ANNOTATION, PROXY_PORT_ANNOTATION):
                        meta[key].pop(name, None)
                    if not meta[key]:
                        meta.pop(key)
            if not meta:
                template.pop("metadata", None)
            if isinstance(template.get("spec"), dict):
                template["spec"].pop("serviceAccountName", None)
                template["spec"].pop("serviceAccount", None)
    if kind == "ServiceAccount":
        annotations = (obj.get("metadata") or {}).get("annotations")
        if isinstance(annotations, dict):
            for name in (CLIENT_ID_ANNOTATION, TENANT_ID_ANNOTATION):
                annotations.pop(name, None)
            if not annotations:
                obj["metadata"].pop("annotations")
    if kind == "SecretProviderClass":
        params = (obj.get("spec") or {}).get("parameters")
        if isinstance(params, dict):
            for name in list(params):
                if name.lower() in ("usepodidentity", "clientid"):
                    params.pop(name)
    if kind == "List" and isinstance(obj.get("items"), list):
        obj["items"] = [_strip(i) for i in obj["items"] if not _is_pod_identity(i)]
    return obj


def _is_pod_identity(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("kind") in POD_IDENTITY_KINDS


def objects(path: Path, drop_pod_identity: bool) -> list[Any]:
    docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8-sig")) if d is not None]
    return [_strip(d) for d in docs if not (drop_pod_identity and _is_pod_identity(d))]


def check_tree(before: Path, after: Path, report: dict[str, Any], phase: str) -> None:
    failed = [f for f in report["files"] if f["status"] == "failed"]
    assert not failed, failed
    for item in report["files"]:
        rel = Path(item["path"]).relative_to(before)
        if item["status"] == "changed" and rel.suffix in (".yaml", ".yml", ".json"):
            assert objects(after / rel, phase == "cleanup") == objects(before / rel, phase == "cleanup"), rel
        if item["status"] == "deleted":
            assert all(_is_pod_identity(d) for d in yaml.safe_load_all((before / rel).read_text()) if d), rel
    for path in before.rglob("*"):
        rel = path.relative_to(before)
        if path.is_file() and str(before / rel) not in {f["path"] for f in report["files"]}:
            assert (after / rel).read_bytes() == path.read_bytes(), rel


@pytest.mark.parametrize("mode", ["label", "sidecar"])
def test_whole_folder_through_every_phase(mode: str, tmp_path: Path) -> None:
    source = tmp_path / "in"
    shutil.copytree(REALWORLD, source)
    previous = source
    touched = {}
    for phase in ("migrate", "cleanup", "remove-sidecar"):
        out = tmp_path / phase
        report = rewrite(previous, out, phase, "--mode", mode)
        check_tree(previous, out, report, phase)
        touched[phase] = {f["status"] for f in report["files"]}
        again = rewrite(out, tmp_path / f"{phase}-again", phase, "--mode", mode)
        assert [f for f in again["files"] if f["status"] != "skipped"] == [], f"{phase} is not idempotent"
        previous = out
    # Every real workload there carries a placeholder or lacks ids, so migrate plans none; cleanup
    # still removes the pod-identity objects that no unmigrated workload depends on.
    assert touched["migrate"] <= {"skipped"}
    assert "deleted" in touched["cleanup"] or "changed" in touched["cleanup"]


@pytest.mark.parametrize("name", FILES)
def test_each_file_alone(name: str, tmp_path: Path) -> None:
    source = tmp_path / "in"
    source.mkdir()
    shutil.copy2(REALWORLD / name, source / name)
    previous = source
    for phase in ("migrate", "cleanup"):
        out = tmp_path / phase
        report = rewrite(previous, out, phase)
        check_tree(previous, out, report, phase)
        previous = out

"""Dependency files found under --source DIR and tied to workloads (file system adapter)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from migrator.core.sdk_detect import proposed_mode
from migrator.errors import InputError
from migrator.sources.dependencies import image_basename, match_workloads, scan_sources

ROOT = Path(__file__).resolve().parents[1]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    """Several applications, build and vendor folders to skip, and links in and out of the tree."""
    src = tmp_path / "src"
    write(src / "services/orders-legacy-sync/requirements.txt", "requests==2.31.0\nazure-identity==1.10.0\n")
    write(
        src / "services/orders-legacy-sync/node_modules/x/package.json",
        '{"dependencies": {"@azure/identity": "1.0.0"}}',
    )
    write(src / "services/payments/package.json", '{\n  "dependencies": {\n    "@azure/identity": "^3.1.0"\n  }\n}\n')
    write(
        src / "services/payments/package-lock.json",
        '{"lockfileVersion": 3, "packages": {"node_modules/@azure/identity": {\n"version": "3.4.1"}}}',
    )
    write(
        src / "dotnet/Directory.Packages.props",
        '<Project><ItemGroup>\n<PackageVersion Include="Azure.Identity" Version="1.8.2"/></ItemGroup></Project>',
    )
    write(
        src / "dotnet/src/ReportsApi/ReportsApi.csproj",
        '<Project><ItemGroup>\n<PackageReference Include="Azure.Identity"/></ItemGroup></Project>',
    )
    write(
        src / "dotnet/src/ReportsApi/bin/Release/ReportsApi.csproj",
        '<Project><PackageReference Include="Azure.Identity" Version="1.0.0"/></Project>',
    )
    write(src / "tools/go.mod", "module tools\n\nrequire github.com/Azure/azure-sdk-for-go/sdk/azidentity v1.5.1\n")
    write(
        src / "tools/vendor/github.com/x/go.mod",
        "module x\nrequire github.com/Azure/azure-sdk-for-go/sdk/azidentity v1.0.0\n",
    )
    write(src / "docs/requirements.txt", "mkdocs==1.5.3\n")
    write(src / ".venv/lib/requirements.txt", "azure-identity==1.0.0\n")
    write(tmp_path / "outside/requirements.txt", "azure-identity==1.0.0\n")
    (src / "linked").mkdir()
    os.symlink(tmp_path / "outside/requirements.txt", src / "linked/requirements.txt")
    os.symlink(tmp_path / "outside", src / "outside-dir")
    os.symlink(src / "services", src / "services-again")
    return src


def test_scan_finds_each_application_and_skips_build_and_vendor_folders(tree: Path) -> None:
    apps = scan_sources(str(tree))
    assert list(apps) == [
        "docs",
        "dotnet/src/ReportsApi",
        "linked",
        "services/orders-legacy-sync",
        "services/payments",
        "tools",
    ]
    assert apps["docs"] == []  # a dependency file that declares no identity SDK
    (legacy,) = apps["services/orders-legacy-sync"]
    assert (legacy.file, legacy.line, legacy.supports) == ("services/orders-legacy-sync/requirements.txt", 2, False)
    (payments,) = apps["services/payments"]
    assert (payments.version, payments.supports, payments.line) == ("3.4.1", True, 3)  # the lock wins over ^3.1.0
    assert "services/payments/package-lock.json:2" in payments.reason
    (reports,) = apps["dotnet/src/ReportsApi"]
    assert (reports.version, reports.supports) == ("1.8.2", False)  # the central version two folders up
    assert "dotnet/Directory.Packages.props:2" in reports.reason
    assert [a.supports for a in apps["tools"]] == [True]


def test_a_symlink_out_of_the_tree_is_not_read(tree: Path) -> None:
    (linked,) = scan_sources(str(tree))["linked"]
    assert linked.supports is None and linked.line == 0 and linked.version is None
    assert "outside" in linked.reason and linked.package == "azure-identity"


def test_a_symlink_inside_the_tree_is_read(tree: Path) -> None:
    os.symlink(tree / "services/orders-legacy-sync/requirements.txt", tree / "linked/requirements-shared.txt")
    found = scan_sources(str(tree))["linked"]
    assert [(a.file, a.supports) for a in found] == [
        ("linked/requirements-shared.txt", False),
        ("linked/requirements.txt", None),
    ]


def test_too_large_and_undecodable_files_become_unknown_assessments(tree: Path) -> None:
    write(tree / "big/pom.xml", "<project>" + " " * 2000 + "</project>")
    write(tree / "broken/pom.xml", "<project><artifactId>azure-identity</artifactId>")
    apps = scan_sources(str(tree), max_file_size=1024)
    (big,) = apps["big"]
    assert big.supports is None and "over 1024 bytes" in big.reason and big.language == "Java"
    (broken,) = apps["broken"]
    assert broken.supports is None and "not well-formed XML" in broken.reason


def test_scan_a_single_file_and_bad_roots(tmp_path: Path) -> None:
    single = write(tmp_path / "requirements.txt", "azure-identity==1.15.0\n")
    assert [a.supports for a in scan_sources(str(single))["."]] == [True]
    with pytest.raises(InputError, match="no such file"):
        scan_sources(str(tmp_path / "missing"))
    with pytest.raises(InputError, match="not a dependency file"):
        scan_sources(str(write(tmp_path / "notes.md", "x")))


@pytest.mark.parametrize(
    "image, name",
    [
        ("contoso.azurecr.io/orders/legacy-sync:1.4", "legacy-sync"),
        ("localhost:5000/tools@sha256:" + "0" * 64, "tools"),
        ("payments", "payments"),
        ("ghcr.io/contoso/azure-cost-exporter", "azure-cost-exporter"),
    ],
)
def test_image_basename(image: str, name: str) -> None:
    assert image_basename(image) == name


def test_match_by_name_image_and_explicit_mapping(tree: Path) -> None:
    apps = scan_sources(str(tree))
    workloads = [
        ("orders", "Deployment", "orders-legacy-sync", ["contoso.azurecr.io/orders/legacy:2.0"]),  # by name
        ("payments", "Deployment", "payments-api", ["contoso.azurecr.io/payments:4.1"]),  # by image basename
        ("reports", "Deployment", "reports-api", ["contoso.azurecr.io/reports/api:1"]),  # ReportsApi, normalised
        ("platform", "CronJob", "nightly", ["contoso.azurecr.io/platform/nightly:1"]),  # by the mapping
        ("platform", "Deployment", "unrelated", ["nginx:1.25"]),
    ]
    matched = match_workloads(apps, workloads, ["platform/CronJob/nightly=./tools/"])
    assert set(matched) == {
        ("orders", "Deployment", "orders-legacy-sync"),
        ("payments", "Deployment", "payments-api"),
        ("reports", "Deployment", "reports-api"),
        ("platform", "CronJob", "nightly"),
    }
    assert proposed_mode(matched[("orders", "Deployment", "orders-legacy-sync")])[0] == "sidecar"
    assert proposed_mode(matched[("payments", "Deployment", "payments-api")])[0] == "label"
    assert proposed_mode(matched[("reports", "Deployment", "reports-api")])[0] == "sidecar"
    assert [a.file for a in matched[("platform", "CronJob", "nightly")]] == ["tools/go.mod"]


def test_an_explicit_mapping_replaces_the_automatic_match_and_takes_subdirectories(tree: Path) -> None:
    apps = scan_sources(str(tree))
    workloads = [("orders", "Deployment", "orders-legacy-sync", [])]
    matched = match_workloads(apps, workloads, ["orders/orders-legacy-sync=services"])  # NS/NAME, a parent folder
    files = [a.file for a in matched[("orders", "Deployment", "orders-legacy-sync")]]
    assert files == ["services/orders-legacy-sync/requirements.txt", "services/payments/package.json"]


def test_the_namespace_breaks_a_tie_between_directories_of_the_same_name(tmp_path: Path) -> None:
    write(tmp_path / "payments/api/requirements.txt", "azure-identity==1.15.0\n")
    write(tmp_path / "orders/api/requirements.txt", "azure-identity==1.0.0\n")
    apps = scan_sources(str(tmp_path))
    matched = match_workloads(apps, [("orders", "Deployment", "api", []), ("shop", "Deployment", "api", [])])
    assert [a.file for a in matched[("orders", "Deployment", "api")]] == ["orders/api/requirements.txt"]
    assert len(matched[("shop", "Deployment", "api")]) == 2  # no namespace folder: both


def test_the_top_directory_matches_by_the_root_name(tmp_path: Path) -> None:
    write(tmp_path / "go.mod", "module x\nrequire github.com/Azure/azure-sdk-for-go/sdk/azidentity v1.2.0\n")
    apps = scan_sources(str(tmp_path))
    workloads = [("platform", "Deployment", "cost-exporter", [])]
    assert match_workloads(apps, workloads) == {}
    assert (
        len(match_workloads(apps, workloads, root_name="cost-exporter")[("platform", "Deployment", "cost-exporter")])
        == 1
    )


@pytest.mark.parametrize("raw", ["orders/Deployment/x", "=dir", "x=dir", "a/b/c/d=dir"])
def test_malformed_mappings_are_input_errors(tree: Path, raw: str) -> None:
    with pytest.raises(InputError, match="expected NS/KIND/NAME=DIR"):
        match_workloads(scan_sources(str(tree)), [], [raw])


def test_a_mapping_to_a_directory_without_dependency_files_is_an_input_error(tree: Path) -> None:
    with pytest.raises(InputError, match="no dependency file") as caught:
        match_workloads(scan_sources(str(tree)), [], ["orders/Deployment/x=nowhere"])
    assert "services/payments" in (caught.value.hint or "")


def _quickstart_workloads() -> list[tuple[str, str, str, list[str]]]:
    workloads = []
    for path in sorted((ROOT / "samples/quickstart/apps").rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc["kind"] in ("Deployment", "StatefulSet", "CronJob"):
                spec = doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc["spec"]
                images = [c["image"] for c in spec["template"]["spec"]["containers"]]
                workloads.append((doc["metadata"]["namespace"], doc["kind"], doc["metadata"]["name"], images))
    return workloads


def test_the_quickstart_sources_propose_the_quickstart_modes() -> None:
    matched = match_workloads(scan_sources(str(ROOT / "samples/quickstart-src")), _quickstart_workloads())
    modes = {"/".join(key): proposed_mode(found)[0] for key, found in matched.items()}
    assert modes == {
        "orders/Deployment/orders-legacy-sync": "sidecar",
        "orders/StatefulSet/orders-processor": "label",
        "payments/Deployment/payments-api": "label",
        "payments/CronJob/payments-settlement": "label",
        "platform/Deployment/cost-exporter": "label",  # by its image, azure-cost-exporter
    }
    reason = proposed_mode(matched[("orders", "Deployment", "orders-legacy-sync")])[1]
    assert "com.azure:azure-identity" in reason and "1.2.5" in reason and "orders-legacy-sync/pom.xml:" in reason

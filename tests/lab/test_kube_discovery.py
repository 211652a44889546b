"""Discovery documents: what kubectl and the dynamic client resolve kinds, scopes and subresources from."""

from __future__ import annotations

import json
import re

import pytest

from migrator.lab.kube import discovery
from migrator.lab.kube.resources import POD_IDENTITY_GROUP, registry

REG = registry()


def _by_name(doc: dict) -> dict[str, dict]:
    return {r["name"]: r for r in doc["resources"]}


def test_version_info_is_a_1_30_server() -> None:
    info = discovery.version_info()
    assert (info["major"], info["minor"], info["gitVersion"]) == ("1", "30", "v1.30.0")
    assert info["gitTreeState"] == "clean" and info["compiler"] == "gc" and info["platform"] == "linux/amd64"
    assert {"gitCommit", "buildDate", "goVersion"} <= info.keys()
    assert discovery.version_info("v1.29.4")["minor"] == "29"


def test_api_versions_names_the_server_address() -> None:
    assert discovery.api_versions("127.0.0.1:6443") == {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}],
    }


def test_api_group_list_has_every_named_group_with_preferred_version() -> None:
    doc = discovery.api_group_list(REG)
    assert (doc["kind"], doc["apiVersion"]) == ("APIGroupList", "v1")
    groups = {g["name"]: g for g in doc["groups"]}
    assert set(groups) == {t.group for t in REG.types if t.group}
    assert "" not in groups
    assert groups["apps"] == {
        "name": "apps",
        "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
        "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"},
    }
    assert groups[POD_IDENTITY_GROUP]["preferredVersion"]["groupVersion"] == f"{POD_IDENTITY_GROUP}/v1"


def test_without_pod_identity_crds_the_group_disappears_everywhere() -> None:
    reg = registry(pod_identity_crds=False)
    names = [g["name"] for g in discovery.api_group_list(reg)["groups"]]
    assert POD_IDENTITY_GROUP not in names
    assert "secrets-store.csi.x-k8s.io" in names and "apps" in names
    assert discovery.api_group(reg, POD_IDENTITY_GROUP) is None
    assert discovery.resource_list(reg, POD_IDENTITY_GROUP, "v1") is None
    assert f"apis/{POD_IDENTITY_GROUP}/v1" not in discovery.openapi_v3_index(reg)["paths"]
    assert discovery.openapi_v3_document(reg, POD_IDENTITY_GROUP, "v1") is None


def test_api_group() -> None:
    doc = discovery.api_group(REG, "batch")
    assert doc == {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": "batch",
        "versions": [{"groupVersion": "batch/v1", "version": "v1"}],
        "preferredVersion": {"groupVersion": "batch/v1", "version": "v1"},
    }
    assert discovery.api_group(REG, "nope.example.com") is None
    assert discovery.api_group(REG, "") is None  # the core group lives at /api


@pytest.mark.parametrize("rt", REG.types, ids=lambda t: t.group_resource)
def test_every_registry_resource_is_listed_as_registered(rt) -> None:
    doc = discovery.resource_list(REG, rt.group, rt.version)
    assert doc is not None
    entry = _by_name(doc)[rt.plural]
    assert entry["singularName"] == rt.singular
    assert entry["namespaced"] is rt.namespaced
    assert entry["kind"] == rt.kind
    assert entry["verbs"] == list(rt.verbs)
    assert entry.get("shortNames", []) == list(rt.short_names)
    assert entry.get("categories", []) == list(rt.categories)
    assert "group" not in entry and "version" not in entry
    for sub in rt.subresources:
        sub_entry = _by_name(doc)[f"{rt.plural}/{sub}"]
        assert sub_entry["singularName"] == ""
        assert sub_entry["namespaced"] is rt.namespaced


def test_core_resource_list_shape_and_short_names() -> None:
    doc = discovery.resource_list(REG, "", "v1")
    assert doc is not None
    assert doc["kind"] == "APIResourceList" and doc["groupVersion"] == "v1"
    assert "apiVersion" not in doc  # as kube-apiserver's /api/v1
    res = _by_name(doc)
    assert res["serviceaccounts"]["shortNames"] == ["sa"]
    assert res["namespaces"]["namespaced"] is False and res["namespaces"]["shortNames"] == ["ns"]
    assert res["pods"]["categories"] == ["all"]
    assert "shortNames" not in res["secrets"] and "categories" not in res["secrets"]
    names = [r["name"] for r in doc["resources"]]
    assert names == sorted(names)


def test_subresources_carry_their_own_kinds() -> None:
    core = _by_name(discovery.resource_list(REG, "", "v1"))
    assert core["serviceaccounts/token"] == {
        "name": "serviceaccounts/token",
        "singularName": "",
        "namespaced": True,
        "group": "authentication.k8s.io",
        "version": "v1",
        "kind": "TokenRequest",
        "verbs": ["create"],
    }
    assert core["pods/log"] == {
        "name": "pods/log",
        "singularName": "",
        "namespaced": True,
        "kind": "Pod",
        "verbs": ["get"],
    }
    assert core["pods/eviction"]["group"] == "policy" and core["pods/eviction"]["kind"] == "Eviction"
    assert core["pods/eviction"]["verbs"] == ["create"]
    assert core["pods/status"]["verbs"] == ["get", "patch", "update"]
    assert core["namespaces/status"]["namespaced"] is False

    apps = discovery.resource_list(REG, "apps", "v1")
    assert apps["apiVersion"] == "v1" and apps["groupVersion"] == "apps/v1"
    res = _by_name(apps)
    assert res["deployments"]["shortNames"] == ["deploy"] and res["deployments"]["categories"] == ["all"]
    assert res["deployments/status"] == {
        "name": "deployments/status",
        "singularName": "",
        "namespaced": True,
        "kind": "Deployment",
        "verbs": ["get", "patch", "update"],
    }
    assert res["deployments/scale"] == {
        "name": "deployments/scale",
        "singularName": "",
        "namespaced": True,
        "group": "autoscaling",
        "version": "v1",
        "kind": "Scale",
        "verbs": ["get", "patch", "update"],
    }
    assert "daemonsets/scale" not in res and "daemonsets/status" in res

    crs = _by_name(discovery.resource_list(REG, POD_IDENTITY_GROUP, "v1"))
    assert crs["azureassignedidentities/status"]["kind"] == "AzureAssignedIdentity"
    assert crs["azureidentities"]["categories"] == ["all"]


def test_unknown_group_version_has_no_resource_list() -> None:
    assert discovery.resource_list(REG, "apps", "v1beta1") is None
    assert discovery.resource_list(REG, "", "v2") is None


def test_openapi_index_points_at_every_group_version_with_a_stable_hash() -> None:
    index = discovery.openapi_v3_index(REG)
    expected = {f"apis/{g}/{v}" if g else f"api/{v}" for g, v in REG.groups()}
    assert set(index["paths"]) == expected
    for rel, entry in index["paths"].items():
        assert re.fullmatch(rf"/openapi/v3/{re.escape(rel)}\?hash=[0-9A-F]{{128}}", entry["serverRelativeURL"])
    assert discovery.openapi_v3_index(REG) == index
    hashes = {e["serverRelativeURL"].split("hash=")[1] for e in index["paths"].values()}
    assert len(hashes) == len(expected)


def _patch_ops(doc: dict) -> dict[tuple[str, str, str], tuple[str, dict]]:
    ops = {}
    for path, item in doc["paths"].items():
        gvk = item["patch"]["x-kubernetes-group-version-kind"]
        key = (gvk["group"], gvk["version"], gvk["kind"])
        assert key not in ops, f"two PATCH paths for {key}"
        ops[key] = (path, item["patch"])
    return ops


def _supports_field_validation(doc: dict, group: str, version: str, kind: str) -> bool:
    """kubectl's query-param verifier (cli-runtime query_param_verifier_v3.go), in short."""
    for item in doc["paths"].values():
        op = item.get("patch")
        if op and op.get("x-kubernetes-group-version-kind") == {"group": group, "version": version, "kind": kind}:
            return any(p["name"] == "fieldValidation" and p["in"] == "query" for p in op.get("parameters", []))
    return False


@pytest.mark.parametrize(
    ("group", "kind", "path"),
    [
        ("apps", "Deployment", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}"),
        ("", "ServiceAccount", "/api/v1/namespaces/{namespace}/serviceaccounts/{name}"),
        (
            POD_IDENTITY_GROUP,
            "AzureIdentity",
            "/apis/aadpodidentity.k8s.io/v1/namespaces/{namespace}/azureidentities/{name}",
        ),
        ("", "Namespace", "/api/v1/namespaces/{name}"),
        (
            "admissionregistration.k8s.io",
            "MutatingWebhookConfiguration",
            "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/{name}",
        ),
    ],
)
def test_openapi_stub_has_a_validating_patch_per_kind(group: str, kind: str, path: str) -> None:
    doc = discovery.openapi_v3_document(REG, group, "v1")
    assert doc is not None
    json.dumps(doc)
    assert doc["openapi"].startswith("3.") and doc["info"]["version"] == discovery.KUBE_VERSION
    op_path, op = _patch_ops(doc)[(group, "v1", kind)]
    assert op_path == path
    assert _supports_field_validation(doc, group, "v1", kind)
    assert any(p["name"] == "dryRun" and p["in"] == "query" for p in op["parameters"])
    # no requestBody: kubectl then builds the apply patch from compiled-in types (merge patch for CRs)
    assert "requestBody" not in op
    path_params = {p["name"] for p in doc["paths"][path]["parameters"] if p["in"] == "path"}
    assert path_params == ({"name", "namespace"} if "{namespace}" in path else {"name"})


def test_openapi_stub_covers_exactly_the_kinds_of_the_group_version() -> None:
    for group, version in REG.groups():
        doc = discovery.openapi_v3_document(REG, group, version)
        kinds = {k for g, v, k in _patch_ops(doc) if (g, v) == (group, version)}
        assert kinds == {t.kind for t in REG.types if (t.group, t.version) == (group, version)}
    assert discovery.openapi_v3_document(REG, "apps", "v2") is None

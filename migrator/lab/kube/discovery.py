"""Discovery documents of the emulated API server: ``/version``, legacy ``/api`` + ``/apis``, and an OpenAPI v3 stub.

kubectl and the Python dynamic client learn kinds, short names, scope and subresources only from these
documents (wire.md E.6). ``kubectl apply|create -f`` with the default ``--validate=strict`` also needs
OpenAPI: it looks for a PATCH operation tagged with the object's GVK that declares the ``fieldValidation``
query parameter, and then leaves validation to the server (wire.md E.7). Everything here is derived from
the :class:`~migrator.lab.kube.resources.Registry`, so a lab without some CRDs also stops advertising them.
"""

from __future__ import annotations

import hashlib
import json
import re

from migrator.lab.kube.resources import Registry, ResourceType

KUBE_VERSION = "v1.30.0"
"""The Kubernetes release the lab claims to be (``/version`` and the OpenAPI ``info.version``)."""

# What kube-apiserver v1.30.0 reports; only major/minor/gitVersion matter to clients (the gcloud kubectl
# dispatcher picks a kubectl minor from ``minor``).
_BUILD = {
    "gitCommit": "7c48c2bd72b9bf5c44d21d7338cc7bea77d0ad2a",
    "gitTreeState": "clean",
    "buildDate": "2024-04-17T17:27:03Z",
    "goVersion": "go1.22.2",
    "compiler": "gc",
    "platform": "linux/amd64",
}

_STATUS_VERBS = ("get", "patch", "update")

# subresource -> (group, version, kind, verbs) as kube-apiserver lists them; an empty group/version and a
# None kind mean "the parent's" (those entries carry no group/version keys at all).
_SUBRESOURCES: dict[str, tuple[str, str, str | None, tuple[str, ...]]] = {
    "status": ("", "", None, _STATUS_VERBS),
    "scale": ("autoscaling", "v1", "Scale", _STATUS_VERBS),
    "token": ("authentication.k8s.io", "v1", "TokenRequest", ("create",)),
    "log": ("", "", None, ("get",)),
    "eviction": ("policy", "v1", "Eviction", ("create",)),
}


def version_info(git_version: str = KUBE_VERSION) -> dict:
    """``GET /version``: the version.Info document (``git_version`` like ``v1.30.0``)."""
    major, minor = git_version.lstrip("v").split(".")[:2]
    return {"major": major, "minor": minor, "gitVersion": git_version, **_BUILD}


def api_versions(server_address: str) -> dict:
    """``GET /api``: the core group's versions (``server_address`` is ``host:port`` as clients should dial it)."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group_versions(reg: Registry, group: str) -> list[str]:
    return [v for g, v in reg.groups() if g == group]


def _api_group(group: str, versions: list[str]) -> dict:
    entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": entries, "preferredVersion": dict(entries[0])}


def api_group_list(reg: Registry) -> dict:
    """``GET /apis``: every named group served, CRD groups included, in registry order."""
    groups: list[str] = []
    for g, _ in reg.groups():
        if g and g not in groups:
            groups.append(g)
    entries = [_api_group(g, _group_versions(reg, g)) for g in groups]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": entries}


def api_group(reg: Registry, group: str) -> dict | None:
    """``GET /apis/{group}``: one APIGroup, or None when the group is not served (the caller answers 404)."""
    versions = _group_versions(reg, group) if group else []
    if not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_api_group(group, versions)}


def _types_in(reg: Registry, group: str, version: str) -> list[ResourceType]:
    return [t for t in reg.types if t.group == group and t.version == version]


def _resource_entry(rt: ResourceType) -> dict:
    entry: dict = {
        "name": rt.plural,
        "singularName": rt.singular,
        "namespaced": rt.namespaced,
        "kind": rt.kind,
        "verbs": list(rt.verbs),
    }
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.categories:
        entry["categories"] = list(rt.categories)
    return entry


def _subresource_entry(rt: ResourceType, sub: str) -> dict:
    group, version, kind, verbs = _SUBRESOURCES.get(sub, ("", "", None, _STATUS_VERBS))
    entry: dict = {"name": f"{rt.plural}/{sub}", "singularName": "", "namespaced": rt.namespaced}
    if group:
        entry["group"] = group
        entry["version"] = version
    entry["kind"] = kind or rt.kind
    entry["verbs"] = list(verbs)
    return entry


def resource_list(reg: Registry, group: str, version: str) -> dict | None:
    """``GET /api/v1`` or ``/apis/{g}/{v}``: resources and their subresources, sorted by name as the apiserver does.

    None when the group/version is not served (the caller answers 404).
    """
    types = _types_in(reg, group, version)
    if not types:
        return None
    entries = []
    for rt in types:
        entries.append(_resource_entry(rt))
        entries.extend(_subresource_entry(rt, sub) for sub in rt.subresources)
    entries.sort(key=lambda e: e["name"])
    doc: dict = {"kind": "APIResourceList"}
    if group:  # the real /api/v1 document carries no apiVersion, the group documents do
        doc["apiVersion"] = "v1"
    doc["groupVersion"] = f"{group}/{version}" if group else version
    doc["resources"] = entries
    return doc


def _openapi_gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _operation_id(rt: ResourceType) -> str:
    """``patchAppsV1NamespacedDeployment``-style (cosmetic: only humans read it)."""
    parts = re.split(r"[.-]", rt.group) if rt.group else ["core"]
    group = "".join(p.capitalize() for p in (parts[:1] if rt.builtin else parts))
    scope = "Namespaced" if rt.namespaced else ""
    return f"patch{group}{rt.version.capitalize()}{scope}{rt.kind}"


def _string_param(name: str, where: str, description: str, *, required: bool = False) -> dict:
    param: dict = {"name": name, "in": where, "description": description}
    if required:
        param["required"] = True
    param["schema"] = {"type": "string", "uniqueItems": True}
    return param


def _patch_path_item(rt: ResourceType) -> tuple[str, dict]:
    """One PATCH path for the kind, enough for kubectl's query-parameter verifier (fieldValidation, dryRun).

    Deliberately no ``requestBody``: kubectl's apply then finds no strategic-merge support in OpenAPI v3 and
    falls back to its compiled-in types (strategic merge for built-ins, JSON merge patch for custom resources),
    which is exactly what the lab accepts.
    """
    path_params = [_string_param("name", "path", f"name of the {rt.kind}", required=True)]
    if rt.namespaced:
        path_params.append(
            _string_param(
                "namespace", "path", "object name and auth scope, such as for teams and projects", required=True
            )
        )
    path_params.append(_string_param("pretty", "query", "If 'true', then the output is pretty printed."))
    patch = {
        "tags": [f"{(rt.group or 'core').replace('.', '')}_{rt.version}"],
        "description": f"partially update the specified {rt.kind}",
        "operationId": _operation_id(rt),
        "parameters": [
            _string_param("dryRun", "query", "When present, indicates that modifications should not be persisted."),
            _string_param(
                "fieldManager",
                "query",
                "fieldManager is a name associated with the actor or entity that is making these changes.",
            ),
            _string_param(
                "fieldValidation",
                "query",
                "fieldValidation instructs the server on how to handle "
                "objects in the request containing unknown or duplicate "
                "fields. Valid values are: Ignore, Warn, Strict.",
            ),
            {
                "name": "force",
                "in": "query",
                "description": 'Force is going to "force" Apply requests.',
                "schema": {"type": "boolean", "uniqueItems": True},
            },
        ],
        "responses": {
            "200": {"description": "OK"},
            "201": {"description": "Created"},
            "401": {"description": "Unauthorized"},
        },
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
    }
    return rt.path("{namespace}" if rt.namespaced else None, "{name}"), {"parameters": path_params, "patch": patch}


def openapi_v3_document(reg: Registry, group: str, version: str) -> dict | None:
    """``GET /openapi/v3/api/v1`` or ``/openapi/v3/apis/{g}/{v}``: the minimal stub of wire.md E.7.

    One PATCH path per kind (namespaced kinds under ``namespaces/{namespace}``, cluster-scoped kinds at the
    top level); no schemas. None when the group/version is not served.
    """
    types = _types_in(reg, group, version)
    if not types:
        return None
    paths = dict(_patch_path_item(rt) for rt in types)
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": KUBE_VERSION},
        "paths": paths,
        "components": {"schemas": {}},
    }


def _document_hash(doc: dict) -> str:
    """Like the apiserver's (upper-case SHA-512 hex): changes whenever the document does, so client caches keyed
    on ``?hash=`` stay correct."""
    return hashlib.sha512(json.dumps(doc, sort_keys=True).encode()).hexdigest().upper()


def openapi_v3_index(reg: Registry) -> dict:
    """``GET /openapi/v3``: one entry per served group/version, pointing at its document with a ``?hash=``."""
    paths = {}
    for group, version in reg.groups():
        doc = openapi_v3_document(reg, group, version)
        if doc is None:  # cannot happen: groups() only lists served group/versions
            continue
        rel = _openapi_gv_path(group, version)
        paths[rel] = {"serverRelativeURL": f"/openapi/v3/{rel}?hash={_document_hash(doc)}"}
    return {"paths": paths}

"""Seeding a lab from manifest files, so a rehearsal starts from the user's own world.

Every object is created through the emulated API (admission included), pods start for the
workloads, each user-assigned identity an AzureIdentity names exists in ARM with the same
resource id and client id, and with ``aks_addon`` the identities are registered in the managed
cluster's ``podIdentityProfile`` for the add-on to create its CRs, instead of being applied.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from migrator.core.fields import ci_item, is_guid, is_managed_identity_id, mapping
from migrator.lab.kube.errors import ApiError
from migrator.lab.kube.resources import POD_IDENTITY_GROUP
from migrator.sources.manifests.parse import compose, construct, split_documents
from migrator.sources.manifests.reader import is_template, read_bytes
from migrator.sources.manifests.walk import FoundFile, walk

if TYPE_CHECKING:
    from migrator.lab.lab import Lab

ORDER = (
    "Namespace",
    "ServiceAccount",
    "ConfigMap",
    "Secret",
    "AzureIdentity",
    "AzureIdentityBinding",
    "AzurePodIdentityException",
    "SecretProviderClass",
)


@dataclass(frozen=True)
class SourceObject:
    path: str
    line: int
    obj: dict

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)
    identities: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.created)} objects, {len(self.identities)} identities"
            + (f", {len(self.skipped)} skipped" if self.skipped else "")
            + (f", {len(self.failed)} failed" if self.failed else "")
        )


def read_objects(root: Path, report: SeedReport) -> list[SourceObject]:
    """Every Kubernetes object in the tree (Lists unpacked), templates and kustomizations left out."""
    objects: list[SourceObject] = []
    for found in walk(str(root)):
        if not isinstance(found, FoundFile) or found.template_name:
            continue
        if Path(found.path).name in ("kustomization.yaml", "kustomization.yml", "Kustomization", "Chart.yaml"):
            continue
        data, finding = read_bytes(found.path, found.real)
        if data is None:
            report.skipped.append(f"{found.path}: {finding.message if finding else 'unreadable'}")
            continue
        text = data.decode("utf-8", errors="replace")
        if is_template(text):
            report.skipped.append(f"{found.path}: a template, not plain YAML")
            continue
        for line, chunk in split_documents(text):
            try:
                value = construct(compose(chunk))
            except yaml.YAMLError as exc:
                report.skipped.append(f"{found.path}:{line}: not valid YAML ({exc.__class__.__name__})")
                continue
            objects.extend(SourceObject(found.path, line, obj) for obj in _objects(value))
    return objects


def _objects(value: object) -> Iterator[dict]:
    if not isinstance(value, dict) or not value.get("kind") or not value.get("apiVersion"):
        return
    if str(value["kind"]).endswith("List") and isinstance(value.get("items"), list):
        for item in value["items"]:
            yield from _objects(item)
    elif isinstance(value.get("metadata"), dict) and value["metadata"].get("name"):
        yield value


def seed(lab: Lab, root: Path, *, aks_addon: bool = False) -> SeedReport:
    report = SeedReport()
    objects = _unique(read_objects(root, report), report)
    kube = lab.kube
    for source in objects:
        if source.obj["kind"] == "Namespace":
            _create(lab, source, report)
    objects = [o for o in objects if o.obj["kind"] != "Namespace"]
    objects = _namespaces(lab, objects, report)
    identities = [
        o for o in objects if o.obj["kind"] == "AzureIdentity" and o.obj["apiVersion"].startswith(POD_IDENTITY_GROUP)
    ]
    for source in identities:
        _register_identity(lab, source, report)
    if aks_addon:
        objects = _hand_to_addon(lab, objects, report)
    elif kube.pod_identity.enabled and (
        identities or any(o.obj["apiVersion"].startswith(POD_IDENTITY_GROUP) for o in objects)
    ):
        kube.pod_identity.install_self_managed()
    kube.settle()
    for source in sorted(objects, key=_rank):
        _create(lab, source, report)
    kube.settle()
    return report


def _namespaces(lab: Lab, objects: list[SourceObject], report: SeedReport) -> list[SourceObject]:
    """Create the namespaces the objects name; objects in one the API server refuses (a placeholder such as
    ``$NAMESPACE``) are reported and left out."""
    refused: dict[str, str] = {}
    for ns in sorted({o.obj["metadata"].get("namespace") or "default" for o in objects}):
        try:
            lab.kube.ensure("namespaces", None, {"metadata": {"name": ns}})
        except ApiError as exc:
            refused[ns] = exc.message
    kept = []
    for source in objects:
        ns = source.obj["metadata"].get("namespace") or "default"
        if ns in refused:
            report.failed.append(
                f"{source.where}: {source.obj['kind']} {source.obj['metadata']['name']}: {refused[ns]}"
            )
        else:
            kept.append(source)
    return kept


def _unique(objects: list[SourceObject], report: SeedReport) -> list[SourceObject]:
    seen: dict[tuple, SourceObject] = {}
    for source in objects:
        meta = source.obj["metadata"]
        key = (source.obj["apiVersion"], source.obj["kind"], meta.get("namespace") or "default", meta["name"])
        if key in seen:
            report.skipped.append(
                f"{source.where}: {source.obj['kind']} {meta['name']} already defined at {seen[key].where}"
            )
            continue
        seen[key] = source
    return list(seen.values())


def _rank(source: SourceObject) -> tuple[int, str]:
    kind = source.obj["kind"]
    return (ORDER.index(kind) if kind in ORDER else len(ORDER) + (kind == "Pod"), source.where)


def _field(obj: dict, name: str) -> object:
    """A spec field, in its current or legacy (capitalised, pre-1.6) spelling, as aad-pod-identity reads it."""
    return ci_item(mapping(obj.get("spec")), name)[1]


def _register_identity(lab: Lab, source: SourceObject, report: SeedReport) -> None:
    if str(_field(source.obj, "type") or 0) not in ("0", ""):
        return  # a service principal: nothing in ARM
    resource_id = str(_field(source.obj, "resourceID") or "")
    client_id = str(_field(source.obj, "clientID") or "")
    if not (is_managed_identity_id(resource_id) and is_guid(resource_id.split("/")[2])):
        report.skipped.append(
            f"{source.where}: resourceID {resource_id!r} is not a user-assigned identity id; no identity created in ARM"
        )
        return
    if lab.azure.identity(resource_id) is None:
        lab.azure.add_identity(
            resource_id, location=lab.config.location, client_id=client_id if is_guid(client_id) else None
        )
        report.identities.append(resource_id)


def _hand_to_addon(lab: Lab, objects: list[SourceObject], report: SeedReport) -> list[SourceObject]:
    """Type-0 identities and their bindings go into podIdentityProfile; the add-on creates the CRs."""
    identities = {
        (o.obj["metadata"].get("namespace") or "default", o.obj["metadata"]["name"]): o
        for o in objects
        if o.obj["kind"] == "AzureIdentity" and str(_field(o.obj, "type") or 0) in ("0", "")
    }
    bindings = [o for o in objects if o.obj["kind"] == "AzureIdentityBinding"]
    exceptions = [o for o in objects if o.obj["kind"] == "AzurePodIdentityException"]
    entries, handled = [], set()
    for (ns, name), source in identities.items():
        arm = lab.azure.identity(str(_field(source.obj, "resourceID") or ""))
        if arm is None:
            continue
        binding = next(
            (
                b
                for b in bindings
                if (b.obj["metadata"].get("namespace") or "default") == ns and _field(b.obj, "azureIdentity") == name
            ),
            None,
        )
        entries.append(
            {
                "name": name,
                "namespace": ns,
                "bindingSelector": str(_field(binding.obj, "selector")) if binding else name,
                "identity": {
                    "resourceId": arm["id"],
                    "clientId": arm["properties"]["clientId"],
                    "objectId": arm["properties"]["principalId"],
                },
            }
        )
        handled.add(id(source))
        if binding:
            handled.add(id(binding))
    profile = {
        "enabled": True,
        "allowNetworkPluginKubenet": False,
        "userAssignedIdentities": entries,
        "userAssignedIdentityExceptions": [
            {
                "name": e.obj["metadata"]["name"],
                "namespace": e.obj["metadata"].get("namespace") or "default",
                "podLabels": dict(_field(e.obj, "podLabels") or {}),
            }
            for e in exceptions
        ],
    }
    handled.update(id(e) for e in exceptions)
    current = lab.azure.managed_cluster(lab.cluster_id) or {}
    props = current.get("properties") or {}
    lab.azure.add_managed_cluster(
        lab.cluster_id,
        location=lab.config.location,
        issuer_url=lab.issuer.url,
        oidc_issuer_enabled=bool((props.get("oidcIssuerProfile") or {}).get("enabled")),
        workload_identity_enabled=bool(
            ((props.get("securityProfile") or {}).get("workloadIdentity") or {}).get("enabled")
        ),
        pod_identity_profile=profile,
        kubelet_identity=(props.get("identityProfile") or {}).get("kubeletidentity"),
        service_principal_client_id=_service_principal(props),
    )
    report.created.extend(f"AKS pod identity {e['namespace']}/{e['name']}" for e in entries)
    return [o for o in objects if id(o) not in handled]


def _service_principal(props: dict) -> str | None:
    client_id = (props.get("servicePrincipalProfile") or {}).get("clientId")
    return client_id if client_id and client_id != "msi" else None


def _create(lab: Lab, source: SourceObject, report: SeedReport) -> None:
    obj = source.obj
    api_version, kind = obj["apiVersion"], obj["kind"]
    rt = lab.kube.registry.by_kind(api_version, kind)
    name = obj["metadata"]["name"]
    if rt is None:
        report.skipped.append(f"{source.where}: {kind} ({api_version}) is not served by the lab")
        return
    ns = (obj["metadata"].get("namespace") or "default") if rt.namespaced else None
    if lab.kube.store.find(rt, ns, name) is not None:
        report.skipped.append(f"{source.where}: {kind} {name} already exists")
        return
    try:
        lab.kube.store.create(rt, ns, obj)
    except ApiError as exc:
        report.failed.append(f"{source.where}: {kind} {name}: {exc.message}")
        return
    report.created.append(f"{kind} {ns + '/' if ns else ''}{name}")

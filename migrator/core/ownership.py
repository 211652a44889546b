"""Who else owns a Kubernetes object and would revert or overwrite a live patch (pure).

A GitOps tool syncs the object back from Git, Helm overwrites it on the next upgrade, and an
operator's controller reconciles the objects it created: patching those live is lost (or fought
over), so ``apply`` refuses them without ``--force`` and the change belongs in their source.
The answer is read from the object alone (labels, annotations, its controller reference), so
the same function serves manifests and live objects.
"""

from __future__ import annotations

from typing import Any

from migrator.core.fields import mapping, text

ARGO_INSTANCE_LABEL = "argocd.argoproj.io/instance"
ARGO_TRACKING_ANNOTATION = "argocd.argoproj.io/tracking-id"
FLUX_KUSTOMIZATION_NAME = "kustomize.toolkit.fluxcd.io/name"
FLUX_KUSTOMIZATION_NAMESPACE = "kustomize.toolkit.fluxcd.io/namespace"
FLUX_RECONCILE_ANNOTATION = "kustomize.toolkit.fluxcd.io/reconcile"
FLUX_HELM_NAME = "helm.toolkit.fluxcd.io/name"
FLUX_HELM_NAMESPACE = "helm.toolkit.fluxcd.io/namespace"
HELM_MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
HELM_RELEASE_ANNOTATION = "meta.helm.sh/release-name"

MANAGED_KINDS = frozenset(
    {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob"}
)
"""The pod-bearing kinds wimigrate changes itself (``recognise.TEMPLATE_PATHS``)."""
MANAGED_GROUPS = frozenset({"", "apps", "extensions", "batch"})


def controller_reference(obj: Any) -> dict | None:
    """The ownerReference with ``controller: true`` (at most one exists), or None."""
    refs = mapping(mapping(obj).get("metadata")).get("ownerReferences")
    for ref in refs if isinstance(refs, list) else []:
        if isinstance(ref, dict) and ref.get("controller") is True:
            return ref
    return None


def is_managed_kind(api_version: Any, kind: Any) -> bool:
    """Whether wimigrate itself changes objects of this kind (a Deployment, not an operator's CR)."""
    version = text(api_version) or ""
    group = version.split("/")[0] if "/" in version else ""
    return text(kind) in MANAGED_KINDS and group in MANAGED_GROUPS


def manager_of(obj: Any) -> str | None:
    """A short description of who else manages ``obj`` ("Argo CD application shop"), or None.

    Checked in the order in which they would undo a patch: an operator's controller at once,
    GitOps on its next sync, Helm on the next upgrade. Argo CD is recognised by its tracking
    label or annotation (a custom ``application.instanceLabelKey`` such as the common
    ``app.kubernetes.io/instance`` cannot be told apart from chart labels); Helm only by the
    release annotation Helm itself writes (a rendered chart applied by other means has the
    ``managed-by: Helm`` label only, and nothing re-applies it).
    """
    meta = mapping(mapping(obj).get("metadata"))
    labels = mapping(meta.get("labels"))
    annotations = mapping(meta.get("annotations"))
    ref = controller_reference(obj)
    if ref is not None and not is_managed_kind(ref.get("apiVersion"), ref.get("kind")):
        return f"controller {text(ref.get('kind')) or '?'}/{text(ref.get('name')) or '?'}"
    argo = text(labels.get(ARGO_INSTANCE_LABEL)) or _argo_app(text(annotations.get(ARGO_TRACKING_ANNOTATION)))
    if argo:
        return f"Argo CD application {argo}"
    flux = text(labels.get(FLUX_KUSTOMIZATION_NAME))
    if flux and text(annotations.get(FLUX_RECONCILE_ANNOTATION)) != "disabled":
        return f"Flux Kustomization {_qualified(text(labels.get(FLUX_KUSTOMIZATION_NAMESPACE)), flux)}"
    flux_helm = text(labels.get(FLUX_HELM_NAME))
    if flux_helm:
        return f"Flux HelmRelease {_qualified(text(labels.get(FLUX_HELM_NAMESPACE)), flux_helm)}"
    release = text(annotations.get(HELM_RELEASE_ANNOTATION))
    if release:
        return f"Helm release {release}"
    return None


def _argo_app(tracking_id: str | None) -> str | None:
    """``<app>:<group>/<kind>:<namespace>/<name>`` -> ``<app>``."""
    if not tracking_id or ":" not in tracking_id:
        return None
    return tracking_id.split(":", 1)[0] or None


def _qualified(namespace: str | None, name: str) -> str:
    return f"{namespace}/{name}" if namespace else name

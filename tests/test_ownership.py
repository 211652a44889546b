"""Who else manages an object (GitOps, Helm, an operator), read from the object alone."""

from __future__ import annotations

import pytest

from migrator.core.document import Document
from migrator.core.ownership import MANAGED_KINDS, manager_of
from migrator.core.recognise import TEMPLATE_PATHS, recognise


def obj(labels=None, annotations=None, owners=None, kind="Deployment") -> dict:
    meta: dict = {"name": "web", "namespace": "shop"}
    if labels:
        meta["labels"] = labels
    if annotations:
        meta["annotations"] = annotations
    if owners:
        meta["ownerReferences"] = owners
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": meta}


def owner(kind: str, name: str, api_version: str = "argoproj.io/v1alpha1", controller: bool = True) -> dict:
    return {"apiVersion": api_version, "kind": kind, "name": name, "uid": "u1", "controller": controller}


@pytest.mark.parametrize(
    ("labels", "annotations", "owners", "expected"),
    [
        ({}, {}, None, None),
        ({"argocd.argoproj.io/instance": "shop"}, {}, None, "Argo CD application shop"),
        ({}, {"argocd.argoproj.io/tracking-id": "shop:apps/Deployment:shop/web"}, None, "Argo CD application shop"),
        ({}, {"argocd.argoproj.io/tracking-id": "garbage"}, None, None),
        ({"kustomize.toolkit.fluxcd.io/name": "apps"}, {}, None, "Flux Kustomization apps"),
        (
            {"kustomize.toolkit.fluxcd.io/name": "apps", "kustomize.toolkit.fluxcd.io/namespace": "flux-system"},
            {},
            None,
            "Flux Kustomization flux-system/apps",
        ),
        (
            {"kustomize.toolkit.fluxcd.io/name": "apps"},
            {"kustomize.toolkit.fluxcd.io/reconcile": "disabled"},
            None,
            None,
        ),
        (
            {"helm.toolkit.fluxcd.io/name": "payments", "app.kubernetes.io/managed-by": "Helm"},
            {"meta.helm.sh/release-name": "payments"},
            None,
            "Flux HelmRelease payments",
        ),
        (
            {"app.kubernetes.io/managed-by": "Helm"},
            {"meta.helm.sh/release-name": "payments", "meta.helm.sh/release-namespace": "pay"},
            None,
            "Helm release payments",
        ),
        # a chart rendered with `helm template` and applied by other means: nothing re-applies it
        ({"app.kubernetes.io/managed-by": "Helm"}, {}, None, None),
        # Argo CD deploying a Helm chart: Argo CD syncs it back
        (
            {"argocd.argoproj.io/instance": "shop", "app.kubernetes.io/managed-by": "Helm"},
            {"meta.helm.sh/release-name": "shop"},
            None,
            "Argo CD application shop",
        ),
        # an operator's controller wins: it reconciles at once
        ({"argocd.argoproj.io/instance": "shop"}, {}, [owner("Rollout", "payments")], "controller Rollout/payments"),
        # wimigrate's own kinds are no "other manager"
        ({}, {}, [owner("Deployment", "web", "apps/v1")], None),
        ({}, {}, [owner("CronJob", "nightly", "batch/v1")], None),
        # same kind name in another API group is an operator's
        ({}, {}, [owner("Deployment", "web", "apps.example.com/v1")], "controller Deployment/web"),
        # a non-controller owner reference manages nothing
        ({}, {}, [owner("Rollout", "payments", controller=False)], None),
    ],
)
def test_manager_of(labels, annotations, owners, expected):
    assert manager_of(obj(labels, annotations, owners)) == expected


def test_manager_of_tolerates_malformed_objects():
    assert manager_of(None) is None
    assert manager_of({"metadata": {"labels": "x", "ownerReferences": ["x", {"controller": "true"}]}}) is None


def test_managed_kinds_are_the_recognised_workload_kinds():
    assert set(TEMPLATE_PATHS) == MANAGED_KINDS


def test_recognise_fills_manager_from_manifest_labels():
    data = obj({"argocd.argoproj.io/instance": "shop"})
    data["spec"] = {
        "template": {
            "metadata": {"labels": {"aadpodidbinding": "web"}},
            "spec": {"containers": [{"name": "app", "image": "nginx"}]},
        }
    }
    inventory = recognise(Document("web.yaml", 1, data))
    assert [w.manager for w in inventory.workloads] == ["Argo CD application shop"]
    assert inventory.to_dict()["workloads"][0]["managedBy"] == "Argo CD application shop"

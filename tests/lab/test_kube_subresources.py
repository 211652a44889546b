"""Scale, eviction, collection deletes, dry runs and server-side apply, through the official client."""

from __future__ import annotations

from migrator.lab.lab import Lab
from tests.lab.kube_clients import Clients, namespace, status_of

LABELS = {"app": "web"}


def deployment(replicas: int = 1) -> dict:
    return {
        "metadata": {"name": "web"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": LABELS},
            "template": {"metadata": {"labels": LABELS}, "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}},
        },
    }


def test_scale_subresource_reads_and_sets_replicas(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "scale")
    k.apps.create_namespaced_deployment(ns, deployment())
    lab.settle()
    scale = k.apps.read_namespaced_deployment_scale("web", ns)
    assert (scale.spec.replicas, scale.status.replicas, scale.status.selector) == (1, 1, "app=web")
    k.apps.patch_namespaced_deployment_scale("web", ns, {"spec": {"replicas": 3}})
    lab.settle()
    assert k.apps.read_namespaced_deployment("web", ns).status.available_replicas == 3
    assert len(k.core.list_namespaced_pod(ns).items) == 3
    code, body = status_of(lambda: k.apps.patch_namespaced_deployment_scale("web", ns, {"spec": {"replicas": -1}}))
    assert code == 422 and "must be greater than or equal to 0" in body["message"]


def test_eviction_removes_the_pod_and_its_replicaset_replaces_it(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "evict")
    k.apps.create_namespaced_deployment(ns, deployment())
    lab.settle()
    victim = k.core.list_namespaced_pod(ns).items[0].metadata.name
    k.core.create_namespaced_pod_eviction(victim, ns, {"metadata": {"name": victim, "namespace": ns}})
    lab.settle()
    names = [p.metadata.name for p in k.core.list_namespaced_pod(ns).items]
    assert len(names) == 1 and victim not in names


def test_delete_collection_honours_the_label_selector(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "many")
    for name, tier in (("a", "x"), ("b", "x"), ("c", "y")):
        k.core.create_namespaced_config_map(ns, {"metadata": {"name": name, "labels": {"tier": tier}}})
    k.core.delete_collection_namespaced_config_map(ns, label_selector="tier=x")
    assert [c.metadata.name for c in k.core.list_namespaced_config_map(ns).items] == ["c"]


def test_dry_run_validates_without_persisting(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "dry")
    created = k.core.create_namespaced_config_map(ns, {"metadata": {"name": "cm"}}, dry_run="All")
    assert created.metadata.name == "cm"
    assert k.core.list_namespaced_config_map(ns).items == []
    code, _ = status_of(
        lambda: k.apps.create_namespaced_deployment(
            ns,
            {
                "metadata": {"name": "bad"},
                "spec": {
                    "selector": {"matchLabels": LABELS},
                    "template": {"metadata": {"labels": LABELS}, "spec": {"containers": [{"name": "c"}]}},
                },
            },
            dry_run="All",
        )
    )
    assert code == 422


def test_server_side_apply_creates_then_merges(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "ssa")
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "1"}}
    apply = "application/apply-patch+yaml"
    k.core.patch_namespaced_config_map("cm", ns, body, field_manager="test", _content_type=apply)
    body["data"] = {"b": "2"}
    merged = k.core.patch_namespaced_config_map("cm", ns, body, field_manager="test", _content_type=apply)
    assert merged.data == {"a": "1", "b": "2"}
    code, body_ = status_of(lambda: k.core.patch_namespaced_config_map("cm", ns, body, _content_type=apply))
    assert code == 422 and "fieldManager" in body_["message"]

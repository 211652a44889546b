"""Resolving labelled pods to the object to migrate, from listed objects only (no cluster needed)."""

from __future__ import annotations

import itertools

from migrator.sources.cluster.owners import Owners, key_of, pod_names, resolve

_uids = itertools.count(1)

TEMPLATE = {"Deployment": ("spec", "template"), "ReplicaSet": ("spec", "template"), "Job": ("spec", "template")}
API = {"Deployment": "apps/v1", "ReplicaSet": "apps/v1", "StatefulSet": "apps/v1", "Job": "batch/v1"}


def ref(owner: dict, controller: bool = True) -> dict:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": controller,
    }


def make(kind: str, name: str, owner: dict | None = None, label: str | None = "web", ns: str = "shop", **extra) -> dict:
    meta = {"name": name, "namespace": ns, "uid": f"uid-{next(_uids)}"}
    if owner is not None:
        meta["ownerReferences"] = [ref(owner)]
    labels = {"app": name} | ({"aadpodidbinding": label} if label else {})
    obj: dict = {"apiVersion": API.get(kind, "v1"), "kind": kind, "metadata": meta, **extra}
    if kind == "Pod":
        meta["labels"] = labels
    elif kind == "CronJob":
        obj["apiVersion"] = "batch/v1"
        obj["spec"] = {"jobTemplate": {"spec": {"template": {"metadata": {"labels": labels}}}}}
    else:
        obj["spec"] = {"template": {"metadata": {"labels": labels}}}
    return obj


def test_pods_resolve_to_the_deployment_through_its_replicasets():
    deploy = make("Deployment", "web")
    new_rs = make("ReplicaSet", "web-2", deploy)
    old_rs = make("ReplicaSet", "web-1", deploy)
    pods = [make("Pod", f"web-2-{i}", new_rs) for i in range(3)] + [make("Pod", "web-1-a", old_rs)]
    result = resolve(pods, [deploy, new_rs, old_rs])
    assert [key_of(w) for w in result.workloads] == [("shop", "Deployment", "web")]
    assert len(result.pods[("shop", "Deployment", "web")]) == 4
    assert result.label_only_on_pods == {} and result.missing_owner == {}


def test_cronjob_jobs_are_not_workloads_and_a_cronjob_without_runs_still_is():
    cron = make("CronJob", "nightly")
    job = make("Job", "nightly-1", cron)
    idle = make("CronJob", "weekly")  # never ran: no Job, no pod
    result = resolve([make("Pod", "nightly-1-x", job)], [cron, job, idle])
    assert sorted(key_of(w) for w in result.workloads) == [
        ("shop", "CronJob", "nightly"),
        ("shop", "CronJob", "weekly"),
    ]
    assert list(result.pods) == [("shop", "CronJob", "nightly")]


def test_a_deployment_scaled_to_zero_is_still_listed_as_a_workload():
    deploy = make("Deployment", "idle")
    result = resolve([], [deploy, make("ReplicaSet", "idle-1", deploy)])
    assert [key_of(w) for w in result.workloads] == [("shop", "Deployment", "idle")]


def test_bare_pods_are_their_own_workload():
    pod = make("Pod", "debug")
    result = resolve([pod], [])
    assert result.workloads == [pod]
    assert result.label_only_on_pods == {} and result.missing_owner == {}


def test_pods_labelled_by_hand_are_reported():
    deploy = make("Deployment", "web", label=None)
    rs = make("ReplicaSet", "web-1", deploy, label=None)
    pod = make("Pod", "web-1-a", rs)
    result = resolve([pod], [deploy, rs])
    assert result.label_only_on_pods == {("shop", "Deployment", "web"): [pod]}


def test_a_rollout_in_progress_is_not_a_hand_label():
    """Old pods keep the old template's label until they are replaced: the old ReplicaSet still says so."""
    deploy = make("Deployment", "web", label="new")
    old_rs = make("ReplicaSet", "web-1", deploy, label="old")
    result = resolve([make("Pod", "web-1-a", old_rs, label="old")], [deploy, old_rs])
    assert result.label_only_on_pods == {}


def test_an_operator_custom_resource_stops_the_walk_at_the_last_known_kind():
    rollout = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "payments", "namespace": "shop", "uid": "cr-1"},
    }
    rs = make("ReplicaSet", "payments-1", rollout)
    pod = make("Pod", "payments-1-a", rs)
    direct = make("Pod", "spark-driver", rollout)
    result = resolve([pod, direct], [rs])
    assert [key_of(w) for w in result.workloads] == [
        ("shop", "ReplicaSet", "payments-1"),
        ("shop", "Pod", "spark-driver"),
    ]
    assert result.missing_owner == {}


def test_a_pod_whose_controller_was_not_listed_is_not_taken_for_a_bare_pod():
    rs = make("ReplicaSet", "web-1")
    pod = make("Pod", "web-1-a", rs)
    result = resolve([pod], [])  # the ReplicaSet could not be read
    assert result.missing_owner[("shop", "Pod", "web-1-a")]["kind"] == "ReplicaSet"


def test_owners_match_by_uid_so_a_recreated_owner_is_not_the_owner():
    deploy = make("Deployment", "web")
    rs = make("ReplicaSet", "web-1", deploy)
    recreated = make("Deployment", "web")  # same name, new uid
    assert Owners([recreated, rs]).owner(rs) is None
    assert Owners([deploy, rs]).owner(rs) is deploy


def test_owners_without_uids_match_by_name():
    deploy = make("Deployment", "web")
    rs = make("ReplicaSet", "web-1", deploy)
    rs["metadata"]["ownerReferences"][0].pop("uid")
    assert Owners([deploy, rs]).owner(rs) is deploy


def test_a_cycle_of_controller_references_ends():
    a = make("ReplicaSet", "a")
    b = make("ReplicaSet", "b", a)
    a["metadata"]["ownerReferences"] = [ref(b)]
    assert len(Owners([a, b]).chain(a)) == 2


def test_pod_names_are_short():
    pods = [make("Pod", f"p{i}") for i in range(5)]
    assert pod_names(pods) == "p0, p1, p2 and 2 more"


def test_a_replicaset_whose_deployment_was_not_listed_is_the_last_known_owner():
    deploy = make("Deployment", "web")
    rs = make("ReplicaSet", "web-1", deploy)
    result = resolve([make("Pod", "web-1-a", rs)], [rs])  # Deployments could not be read
    assert [key_of(w) for w in result.workloads] == [("shop", "ReplicaSet", "web-1")]
    assert result.missing_owner[("shop", "ReplicaSet", "web-1")]["name"] == "web"

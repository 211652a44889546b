"""``plan_cleanup`` over hand-built facts: who is refused, what nothing uses any more, what is kept and why."""

from __future__ import annotations

from typing import Any

import pytest

from migrator.core.changes import (
    ASSIGNED_IDENTITIES,
    BLOCKED,
    DELETE,
    EXCEPTIONS,
    LABELS,
    NONE,
    PATCH,
    POD_IDENTITY_PROFILE,
    Change,
    workload_key,
)
from migrator.core.cleanup import plan_cleanup
from migrator.core.cleanup_facts import (
    FINALIZER,
    NOT_VERIFIED,
    CleanupFacts,
    CleanupOptions,
    CleanupPlan,
    Usage,
    prior_state,
)
from migrator.core.plan import Plan, PlannedWorkload
from migrator.core.pod_identity_profile import profile_removed, profile_restored

GROUP = "aadpodidentity.k8s.io/v1"
CLUSTER = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks"
RUNNING_MIC = [{"metadata": {"name": "mic"}, "status": {"availableReplicas": 2}}]
RUNNING_NMI = [{"metadata": {"name": "nmi"}, "status": {"numberAvailable": 2}}]


def planned(ns: str = "shop", name: str = "api", selector: str = "api") -> PlannedWorkload:
    return PlannedWorkload("Deployment", "apps/v1", ns, name, name, None, "label", "client", [], selector)


def deployment(
    ns: str = "shop", name: str = "api", selector: str | None = "api", *, generation: int = 3, in_selector: bool = False
) -> dict:
    labels = {"app": name} | ({"aadpodidbinding": selector} if selector else {})
    match = {"app": name} | ({"aadpodidbinding": selector} if in_selector else {})
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "generation": generation, "resourceVersion": "7", "uid": "u"},
        "spec": {"selector": {"matchLabels": match}, "template": {"metadata": {"labels": labels}}},
    }


def cr(kind: str, ns: str, name: str, spec: dict, labels: dict | None = None, **meta: Any) -> dict:
    return {
        "apiVersion": GROUP,
        "kind": kind,
        "metadata": {"name": name, "namespace": ns, "uid": f"uid-{name}", "resourceVersion": "5", **meta}
        | ({"labels": labels} if labels else {}),
        "spec": spec,
    }


def binding(ns: str, name: str, identity: str, selector: str, labels: dict | None = None) -> dict:
    return cr("AzureIdentityBinding", ns, name, {"azureIdentity": identity, "selector": selector}, labels)


def identity(ns: str, name: str, labels: dict | None = None, annotations: dict | None = None) -> dict:
    meta = {"annotations": annotations} if annotations else {}
    return cr("AzureIdentity", ns, name, {"type": 0, "resourceID": f"/id/{name}", "clientID": "c"}, labels, **meta)


def verdict(generation: int = 3, passed: bool = True, failed: list | None = None) -> dict:
    return {"type": "verified", "passed": passed, "generation": generation, "failed": failed or []}


def facts(*workloads: tuple[PlannedWorkload, dict | None], **values: Any) -> CleanupFacts:
    plan = Plan("https://issuer/", False, workloads=[w for w, _ in workloads])
    result = CleanupFacts(plan, **({"mic": list(RUNNING_MIC), "nmi": list(RUNNING_NMI)} | values))
    for w, current in workloads:
        result.workloads[workload_key(w.namespace, w.kind, w.name)] = current
    return result


def verified(*refs: PlannedWorkload, generation: int = 3) -> dict[str, dict]:
    return {workload_key(w.namespace, w.kind, w.name): verdict(generation) for w in refs}


def use(ns: str, name: str, selector: str, kind: str = "Deployment") -> Usage:
    return Usage(workload_key(ns, kind, name), f"{ns}/{kind}/{name}", ns, selector, 1)


def by_key(result: CleanupPlan) -> dict[str, Change]:
    return {c.key: c for c in result.changes}


def codes(result: CleanupPlan) -> set[str]:
    return {n.code for n in result.notes}


# -- refusals -----------------------------------------------------------------------------------


def test_every_workload_refused_changes_nothing_and_says_why() -> None:
    api, worker, gone = planned(), planned(name="worker", selector="w"), planned(name="gone")
    changed = planned(name="changed", selector="c")
    keys = {w.name: workload_key(w.namespace, w.kind, w.name) for w in (api, worker, gone, changed)}
    f = facts(
        (api, deployment()),
        (worker, deployment(name="worker", selector="w")),
        (gone, None),
        (changed, deployment(name="changed", selector="c", generation=5)),
        verdicts={
            keys["worker"]: verdict(passed=False, failed=[{"check": "credential", "cause": "issuer-trailing-slash"}]),
            keys["changed"]: verdict(generation=4),
            keys["gone"]: verdict(),
        },
        bindings=[binding("shop", "api-binding", "api", "api")],
        identities=[identity("shop", "api")],
    )

    result = plan_cleanup(f, CleanupOptions())

    assert result.changes == [] and result.verified == []
    reasons = {r.ref: r.reason for r in result.refusals}
    assert reasons["shop/Deployment/api"] == NOT_VERIFIED
    assert "credential: issuer-trailing-slash" in reasons["shop/Deployment/worker"]
    assert [r.failed for r in result.refusals if r.ref == "shop/Deployment/worker"] == [
        [{"check": "credential", "cause": "issuer-trailing-slash"}]
    ]
    assert "generation 4 then, 5 now" in reasons["shop/Deployment/changed"]
    assert "verify again" in reasons["shop/Deployment/changed"]
    assert reasons["shop/Deployment/gone"] == "not found in the cluster"


def test_cleanups_own_label_removal_does_not_invalidate_the_verdict() -> None:
    api = planned()
    key = workload_key("shop", "Deployment", "api")
    current = deployment(selector=None, generation=4)
    accepted = facts((api, current), verdicts={key: verdict(3)}, cleaned={key: {"generation": 4, "verified": 3}})
    other = facts((api, current), verdicts={key: verdict(3)}, cleaned={key: {"generation": 4, "verified": 2}})

    assert plan_cleanup(accepted, CleanupOptions()).refusals == []
    assert [r.ref for r in plan_cleanup(other, CleanupOptions()).refusals] == ["shop/Deployment/api"]


# -- labels -----------------------------------------------------------------------------------


def test_label_is_removed_with_its_prior_value_and_the_resource_version() -> None:
    api = planned()
    result = plan_cleanup(facts((api, deployment()), verdicts=verified(api)), CleanupOptions())

    change = by_key(result)["label:shop/Deployment/api"]
    assert (change.phase, change.action) == (LABELS, PATCH)
    assert change.prior == {"labels": {"aadpodidbinding": "api"}}
    assert change.desired == {
        "spec": {"template": {"metadata": {"labels": {"aadpodidbinding": None}}}},
        "metadata": {"resourceVersion": "7"},
    }


def test_label_in_the_selector_is_kept_and_reported() -> None:
    api = planned()
    f = facts(
        (api, deployment(in_selector=True)),
        verdicts=verified(api),
        bindings=[binding("shop", "api-binding", "api", "api")],
        usages=[use("shop", "api", "api")],  # its own pods keep the label: not a user, it is verified
    )

    result = plan_cleanup(f, CleanupOptions())

    change = by_key(result)["label:shop/Deployment/api"]
    assert change.action == NONE and "part of spec.selector, which is immutable" in change.message
    assert "selector-kept" in codes(result)
    assert by_key(result)["binding:shop/api-binding"].action == DELETE


# -- bindings and identities --------------------------------------------------------------------


def test_a_binding_used_by_an_unverified_workload_in_another_namespace_is_kept() -> None:
    api = planned()
    f = facts(
        (api, deployment()),
        verdicts=verified(api),
        bindings=[binding("shop", "api-binding", "api", "api")],
        identities=[identity("shop", "api")],
        usages=[use("shop", "api", "api"), use("reports", "builder", "api")],
    )

    result = plan_cleanup(f, CleanupOptions(disable_addon=True))

    changes = by_key(result)
    assert changes["binding:shop/api-binding"].action == NONE
    assert "used by reports/Deployment/builder" in changes["binding:shop/api-binding"].message
    assert (
        changes["identity:shop/api"].action == NONE
        and "bound by shop/api-binding" in changes["identity:shop/api"].message
    )
    blocked = [c for c in result.changes if c.action == BLOCKED]
    assert len(blocked) == 1 and "reports/Deployment/builder" in blocked[0].message
    assert [u.ref for u in result.users] == ["reports/Deployment/builder"]


def test_a_namespaced_identitys_binding_ignores_users_in_other_namespaces() -> None:
    api = planned()
    f = facts(
        (api, deployment()),
        verdicts=verified(api),
        bindings=[binding("shop", "api-binding", "api", "api")],
        identities=[identity("shop", "api", annotations={"aadpodidentity.k8s.io/Behavior": "namespaced"})],
        usages=[use("reports", "builder", "api")],
    )

    changes = by_key(plan_cleanup(f, CleanupOptions()))

    binding_change, identity_change = changes["binding:shop/api-binding"], changes["identity:shop/api"]
    assert binding_change.action == DELETE and identity_change.action == DELETE
    assert identity_change.depends == ["binding:shop/api-binding"]
    assert binding_change.target["uid"] == "uid-api-binding"
    assert binding_change.prior["spec"] == {"azureIdentity": "api", "selector": "api"}
    assert "uid" not in binding_change.prior["metadata"] and "resourceVersion" not in binding_change.prior["metadata"]


def test_a_refused_workload_keeps_its_binding_and_blocks_disabling() -> None:
    api, worker = planned(), planned(name="worker", selector="worker")
    f = facts(
        (api, deployment()),
        (worker, deployment(name="worker", selector="worker")),
        verdicts=verified(api),
        bindings=[binding("shop", "api-binding", "api", "api"), binding("shop", "worker-binding", "worker", "worker")],
        identities=[identity("shop", "api"), identity("shop", "worker")],
        usages=[use("shop", "api", "api"), use("shop", "worker", "worker")],
    )

    result = plan_cleanup(f, CleanupOptions(disable_addon=True))

    changes = by_key(result)
    assert changes["binding:shop/api-binding"].action == DELETE
    assert changes["binding:shop/worker-binding"].action == NONE
    assert "label:shop/Deployment/worker" not in changes
    assert [r.ref for r in result.refusals] == ["shop/Deployment/worker"]
    blocked = [c for c in result.changes if c.action == BLOCKED]
    assert len(blocked) == 1 and "shop/worker-binding" in blocked[0].message
    assert "offer-disable-addon" not in codes(result)


def test_objects_managed_by_gitops_are_blocked_unless_forced() -> None:
    api = planned()
    flux = {"kustomize.toolkit.fluxcd.io/name": "apps", "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}
    f = facts(
        (api, deployment()),
        verdicts=verified(api),
        bindings=[binding("shop", "api-binding", "api", "api", labels=flux)],
        identities=[identity("shop", "api")],
    )

    blocked = by_key(plan_cleanup(f, CleanupOptions()))
    forced = by_key(plan_cleanup(f, CleanupOptions(force=True)))

    assert blocked["binding:shop/api-binding"].action == BLOCKED
    assert "Flux Kustomization flux-system/apps" in blocked["binding:shop/api-binding"].message
    assert blocked["identity:shop/api"].action == NONE  # its binding stays
    assert forced["binding:shop/api-binding"].action == DELETE and forced["identity:shop/api"].action == DELETE


# -- the AKS add-on -----------------------------------------------------------------------------


def managed_cluster(enabled: bool = True) -> dict:
    return {
        "id": CLUSTER,
        "name": "aks",
        "properties": {
            "dnsPrefix": "aks",
            "podIdentityProfile": {
                "enabled": enabled,
                "userAssignedIdentities": [
                    {
                        "name": "api",
                        "namespace": "shop",
                        "bindingSelector": "api",
                        "identity": {"resourceId": "/id/api"},
                    },
                    {"name": "batch", "namespace": "jobs", "identity": {"resourceId": "/id/batch"}},
                ],
                "userAssignedIdentityExceptions": [
                    {"name": "probe", "namespace": "shop", "podLabels": {"app": "probe"}},
                    {"name": "gone", "namespace": "shop", "podLabels": {"app": "gone"}},
                ],
            },
        },
    }


def aks_facts(**values: Any) -> tuple[PlannedWorkload, CleanupFacts]:
    api = planned()
    aks = {"kubernetes.azure.com/managedby": "aks"}
    f = facts(
        (api, deployment()),
        verdicts=verified(api),
        bindings=[
            binding("shop", "api-binding", "api", "api", aks),
            binding("jobs", "batch-binding", "batch", "batch", aks),
        ],
        identities=[identity("shop", "api", aks), identity("jobs", "batch", aks)],
        exceptions=[
            cr("AzurePodIdentityException", "shop", "probe", {"podLabels": {"app": "probe"}}, aks),
            cr("AzurePodIdentityException", "kube-system", "aks-addon-exception", {"podLabels": aks}, aks),
        ],
        pod_labels={"shop": [{"app": "probe"}], "kube-system": []},
        usages=[use("shop", "api", "api"), use("jobs", "batch", "batch")],
        cluster_id=CLUSTER,
        **values,
    )
    return api, f


def test_aks_managed_identities_leave_through_one_profile_change() -> None:
    _, f = aks_facts(managed_cluster=managed_cluster())

    result = plan_cleanup(f, CleanupOptions())

    profile = [c for c in result.changes if c.phase == POD_IDENTITY_PROFILE]
    assert len(profile) == 1 and profile[0].action == PATCH
    change = profile[0]
    assert change.desired == {
        "remove": {
            "userAssignedIdentities": [{"namespace": "shop", "name": "api"}],
            "userAssignedIdentityExceptions": [{"namespace": "shop", "name": "gone"}],
        }
    }
    assert [e["name"] for e in change.prior["userAssignedIdentities"]] == ["api"]
    assert change.prior["userAssignedIdentities"][0]["identity"] == {"resourceId": "/id/api"}
    # nothing AKS-managed is deleted in the cluster (the add-on would re-create it); the add-on's exception is left
    assert not [c for c in result.changes if c.action == DELETE]
    assert "exception:kube-system/aks-addon-exception" not in by_key(result)
    assert "binding:jobs/batch-binding" not in by_key(result)  # another namespace's, in use: not this cleanup's


def test_aks_managed_identities_without_the_managed_cluster_are_blocked() -> None:
    _, f = aks_facts(managed_cluster=None)

    result = plan_cleanup(f, CleanupOptions())

    [blocked] = [c for c in result.changes if c.phase == POD_IDENTITY_PROFILE]
    assert blocked.action == BLOCKED and "--cluster-id" in blocked.message
    assert "AKS pod identity shop/api" in blocked.message


def test_disable_addon_goes_in_the_same_put_when_nothing_is_left() -> None:
    api = planned()
    aks = {"kubernetes.azure.com/managedby": "aks"}
    cluster = managed_cluster()
    cluster["properties"]["podIdentityProfile"]["userAssignedIdentities"].pop()  # only shop/api
    f = facts(
        (api, deployment()),
        verdicts=verified(api),
        bindings=[binding("shop", "api-binding", "api", "api", aks)],
        identities=[identity("shop", "api", aks)],
        pod_labels={"shop": [{"app": "probe"}]},
        cluster_id=CLUSTER,
        managed_cluster=cluster,
    )

    offered = plan_cleanup(f, CleanupOptions())
    disabled = plan_cleanup(f, CleanupOptions(disable_addon=True))

    assert "offer-disable-addon" in codes(offered)
    assert "enabled" not in [c for c in offered.changes if c.phase == POD_IDENTITY_PROFILE][0].desired
    [change] = [c for c in disabled.changes if c.phase == POD_IDENTITY_PROFILE]
    assert change.desired["enabled"] is False and change.prior["enabled"] is True
    # NMI goes with the add-on: every exception goes too, even one a pod still matches
    assert {e["name"] for e in change.prior["userAssignedIdentityExceptions"]} == {"probe", "gone"}


def test_profile_removed_and_restored_round_trip() -> None:
    cluster = managed_cluster()
    desired = {
        "remove": {
            "userAssignedIdentities": [{"namespace": "shop", "name": "api"}],
            "userAssignedIdentityExceptions": [{"namespace": "shop", "name": "gone"}],
        },
        "enabled": False,
    }
    body = profile_removed(cluster, desired)
    assert body is not None
    profile = body["properties"]["podIdentityProfile"]
    assert [e["name"] for e in profile["userAssignedIdentities"]] == ["batch"] and profile["enabled"] is False
    assert body["properties"]["dnsPrefix"] == "aks" and cluster["properties"]["podIdentityProfile"]["enabled"] is True
    assert profile_removed(body, desired) is None

    prior = {
        "userAssignedIdentities": [cluster["properties"]["podIdentityProfile"]["userAssignedIdentities"][0]],
        "userAssignedIdentityExceptions": [
            cluster["properties"]["podIdentityProfile"]["userAssignedIdentityExceptions"][1]
        ],
        "enabled": True,
    }
    restored = profile_restored(body, prior)
    assert restored is not None
    again = restored["properties"]["podIdentityProfile"]
    assert {e["name"] for e in again["userAssignedIdentities"]} == {"api", "batch"}
    assert {e["name"] for e in again["userAssignedIdentityExceptions"]} == {"probe", "gone"} and again["enabled"]
    assert profile_restored(restored, prior) is None


# -- exceptions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pods", "nmi", "deleted"),
    [
        ([{"app": "probe"}], RUNNING_NMI, False),
        ([{"tier": "Edge"}], RUNNING_NMI, False),
        ([{"app": "other"}], RUNNING_NMI, True),
        ([{"app": "probe"}], [], True),
    ],
    ids=["a-pod-matches", "one-label-is-enough-as-for-nmi", "no-pod-matches", "nmi-gone"],
)
def test_an_exception_goes_when_it_serves_nothing(pods: list[dict], nmi: list[dict], deleted: bool) -> None:
    api = planned()
    f = facts(
        (api, deployment()),
        verdicts=verified(api),
        exceptions=[cr("AzurePodIdentityException", "shop", "probe", {"podLabels": {"app": "probe", "tier": "edge"}})],
        pod_labels={"shop": pods},
    )
    f.nmi = nmi

    changes = [c for c in plan_cleanup(f, CleanupOptions()).changes if c.phase == EXCEPTIONS]

    assert [c.action for c in changes] == ([DELETE] if deleted else [])


# -- AzureAssignedIdentities ----------------------------------------------------------------------


def assigned_facts(mic: list[dict]) -> CleanupFacts:
    api = planned()
    assigned = cr(
        "AzureAssignedIdentity",
        "shop",
        "api-pod-shop-api",
        {
            "azureIdentityRef": {"metadata": {"namespace": "shop", "name": "api"}},
            "azureBindingRef": {"metadata": {"namespace": "shop", "name": "api-binding"}},
            "pod": "api-pod",
            "podNamespace": "shop",
        },
        finalizers=[FINALIZER],
    )
    return facts(
        (api, deployment()),
        verdicts=verified(api),
        bindings=[binding("shop", "api-binding", "api", "api")],
        identities=[identity("shop", "api")],
        assigned=[assigned],
        pods={("shop", "api-pod")},
        mic=mic,
    )


def test_while_mic_runs_assigned_identities_are_left_to_it() -> None:
    result = plan_cleanup(assigned_facts(RUNNING_MIC), CleanupOptions())

    assert not [c for c in result.changes if c.phase == ASSIGNED_IDENTITIES]
    assert "mic-releases" in codes(result)


def test_without_mic_the_finalizer_is_removed_and_the_assigned_identity_deleted() -> None:
    result = plan_cleanup(assigned_facts([]), CleanupOptions())

    [change] = [c for c in result.changes if c.phase == ASSIGNED_IDENTITIES]
    assert change.action == DELETE and change.desired == {"removeFinalizer": FINALIZER}
    assert change.depends == ["binding:shop/api-binding"]
    assert "its binding shop/api-binding is gone" in change.message and "MIC no longer runs" in change.message
    assert change.prior["metadata"]["finalizers"] == [FINALIZER]
    assert "finalizers-removed" in codes(result)


def test_prior_state_keeps_what_rollback_needs_and_drops_server_fields() -> None:
    obj = cr("AzureIdentity", "shop", "api", {"type": 1, "clientPassword": {"name": "s", "namespace": "shop"}})
    obj["metadata"].update(creationTimestamp="t", generation=1, managedFields=[{}], annotations={"a": "b"})
    obj["status"] = {"x": 1}

    state = prior_state(obj)

    assert state["metadata"] == {"name": "api", "namespace": "shop", "annotations": {"a": "b"}}
    assert state["spec"]["clientPassword"] == {"name": "s", "namespace": "shop"} and "status" not in state

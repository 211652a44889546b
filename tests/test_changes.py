"""The pure change computation that apply executes and rollback reverses."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from migrator.core.changes import (
    BLOCKED,
    CREATE,
    CREATED_BY_ANNOTATION,
    NONE,
    PATCH,
    credential_change,
    service_account_change,
    undo_service_account,
    undo_workload,
    workload_change,
)
from migrator.core.model import ExistingCredential
from migrator.core.plan import PlannedCredential, PlannedServiceAccount, PlannedWorkload
from migrator.lab.kube.patch import strategic_merge

ISSUER = "https://eastus.oic.prod-aks.azure.com/tenant/cluster/"
RID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-web"
SUBJECT = "system:serviceaccount:shop:web"


def planned_credential(name: str = "shop-web", **overrides) -> PlannedCredential:
    values = dict(
        identityResourceID=RID,
        identityName="web",
        identityClientID="c1",
        identityType="managedIdentity",
        name=name,
        issuer=ISSUER,
        subject=SUBJECT,
    )
    values.update(overrides)
    return PlannedCredential(**values)


def existing(name: str, issuer: str = ISSUER, subject: str = SUBJECT, audiences=None) -> ExistingCredential:
    return ExistingCredential(name, issuer, subject, audiences or ["api://AzureADTokenExchange"])


def test_credential_created_when_absent():
    change = credential_change(planned_credential(), [existing("other", subject="system:serviceaccount:a:b")])
    assert change.action == CREATE and change.desired["subject"] == SUBJECT and change.prior is None


def test_identical_credential_is_left_alone_and_one_under_another_name_is_reused():
    assert credential_change(planned_credential(), [existing("shop-web")]).action == NONE
    reused = credential_change(planned_credential(), [existing("legacy-name")])
    assert reused.action == NONE and reused.target["name"] == "legacy-name" and "reused" in reused.message


def test_issuer_differing_by_trailing_slash_is_another_credential():
    change = credential_change(planned_credential(), [existing("old", issuer=ISSUER.rstrip("/"))])
    assert change.action == CREATE


@pytest.mark.parametrize(
    "current, words",
    [
        ([existing("shop-web", subject="system:serviceaccount:other:web")], "name is taken"),
        ([existing("x", audiences=["api://other"])], "exactly"),
        ([existing(f"c{i}", subject=f"system:serviceaccount:n:{i}") for i in range(20)], "limit is 20"),
    ],
)
def test_blocked_credentials_say_why(current, words):
    change = credential_change(planned_credential(), current)
    assert change.action == BLOCKED and words in change.message


def test_app_registration_credentials_are_not_written_through_msi():
    change = credential_change(planned_credential(identityType="application", identityResourceID=None), [])
    assert change.action == BLOCKED and "Microsoft Graph" in change.message


def planned_sa(annotations=None) -> PlannedServiceAccount:
    return PlannedServiceAccount("shop", "web", "c1", True, annotations or {"azure.workload.identity/client-id": "c1"})


def test_service_account_created_with_the_run_marker():
    change = service_account_change(planned_sa(), None, "run-1")
    assert change.action == CREATE
    assert change.desired["metadata"]["annotations"] == {
        "azure.workload.identity/client-id": "c1",
        CREATED_BY_ANNOTATION: "run-1",
    }


def test_existing_service_account_annotated_with_its_prior_values_kept():
    current = {"metadata": {"name": "web", "resourceVersion": "7", "annotations": {"team": "a"}}}
    change = service_account_change(planned_sa(), current, "run-1")
    assert change.action == PATCH
    assert change.prior == {"annotations": {"azure.workload.identity/client-id": None}}
    assert change.desired["metadata"]["resourceVersion"] == "7"
    assert undo_service_account(change.prior) == {
        "metadata": {"annotations": {"azure.workload.identity/client-id": None}}
    }


def test_service_account_with_another_client_id_needs_force():
    current = {"metadata": {"annotations": {"azure.workload.identity/client-id": "other"}}}
    assert service_account_change(planned_sa(), current, "r").action == BLOCKED
    assert service_account_change(planned_sa(), current, "r", force=True).action == PATCH


def planned_workload(kind: str = "Deployment", mode: str = "label") -> PlannedWorkload:
    return PlannedWorkload(
        kind=kind,
        apiVersion="apps/v1",
        namespace="shop",
        name="web",
        serviceAccountName="web",
        previousServiceAccountName=None,
        mode=mode,
        clientID="c1",
        proxyPort=8000 if mode == "sidecar" else None,
    )


def deployment(**template_spec) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "resourceVersion": "3"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web", "aadpodidbinding": "web"}},
                "spec": {"containers": [{"name": "app", "image": "web"}], **template_spec},
            },
        },
    }


def test_workload_patch_sets_label_sa_and_sidecar_annotations():
    change = workload_change(planned_workload(mode="sidecar"), deployment(serviceAccountName="default"))
    assert change.action == PATCH
    template = change.desired["spec"]["template"]
    assert template["metadata"]["labels"] == {"azure.workload.identity/use": "true"}
    assert template["metadata"]["annotations"] == {
        "azure.workload.identity/inject-proxy-sidecar": "true",
        "azure.workload.identity/proxy-sidecar-port": "8000",
    }
    assert template["spec"] == {"serviceAccountName": "web"}
    assert change.desired["metadata"]["resourceVersion"] == "3"
    assert change.prior["spec"] == {"serviceAccountName": "default"}


def test_deprecated_service_account_field_is_kept_in_step():
    change = workload_change(planned_workload(), deployment(serviceAccountName="default", serviceAccount="default"))
    assert change.desired["spec"]["template"]["spec"] == {"serviceAccountName": "web", "serviceAccount": "web"}


def test_cronjob_patch_goes_under_the_job_template():
    cron = {
        "metadata": {"resourceVersion": "1"},
        "spec": {"jobTemplate": {"spec": {"template": {"metadata": {}, "spec": {}}}}},
    }
    change = workload_change(planned_workload("CronJob"), cron)
    assert set(change.desired["spec"]["jobTemplate"]["spec"]["template"]) == {"metadata", "spec"}


def test_migrated_workload_is_unchanged():
    current = deployment(serviceAccountName="web")
    current["spec"]["template"]["metadata"]["labels"]["azure.workload.identity/use"] = "true"
    assert workload_change(planned_workload(), current).action == NONE


@pytest.mark.parametrize("kind, words", [("Pod", "cannot change in place"), ("Job", "immutable")])
def test_immutable_templates_are_blocked(kind, words):
    current = {"metadata": {}, "spec": {"containers": []}} if kind == "Pod" else {"spec": {"template": {}}}
    change = workload_change(planned_workload(kind), current)
    assert change.action == BLOCKED and words in change.message


def test_managed_workload_needs_force():
    blocked = workload_change(planned_workload(), deployment(), manager="Argo CD application shop")
    assert blocked.action == BLOCKED and "Argo CD application shop" in blocked.message
    forced = workload_change(planned_workload(), deployment(), manager="Argo CD application shop", force=True)
    assert forced.action == PATCH and "--force" in forced.message


def test_missing_workload_is_blocked():
    assert workload_change(planned_workload(), None).action == BLOCKED


names = st.sampled_from([None, "default", "web", "legacy"])


@given(sa=names, deprecated=st.booleans(), labelled=st.booleans(), mode=st.sampled_from(["label", "sidecar"]))
def test_apply_then_undo_restores_the_template(sa, deprecated, labelled, mode):
    """Property: patch then undo (as the API server merges them) gives back the object."""
    spec = {}
    if sa is not None:
        spec["serviceAccountName"] = sa
        if deprecated:
            spec["serviceAccount"] = sa
    before = deployment(**spec)
    if labelled:
        before["spec"]["template"]["metadata"]["labels"]["azure.workload.identity/use"] = "false"
    change = workload_change(planned_workload(mode=mode), before)
    after = strategic_merge(copy.deepcopy(before), _without_rv(change.desired))
    assert workload_change(planned_workload(mode=mode), after).action == NONE
    restored = strategic_merge(after, undo_workload("Deployment", change.prior))
    assert _served(restored) == before


def _served(obj: dict) -> dict:
    """As the API server serves it: ObjectMeta's empty label and annotation maps are omitted."""
    meta = obj["spec"]["template"]["metadata"]
    for key in ("labels", "annotations"):
        if meta.get(key) == {}:
            del meta[key]
    return obj


def _without_rv(patch: dict) -> dict:
    patch = copy.deepcopy(patch)
    patch["metadata"].pop("resourceVersion")
    if not patch["metadata"]:
        del patch["metadata"]
    return patch


@pytest.mark.parametrize(
    "kind, strategy, words",
    [
        ("Deployment", None, "its pods roll"),
        ("CronJob", None, "next Jobs"),
        ("ReplicaSet", None, "delete them"),
        ("StatefulSet", "OnDelete", "OnDelete"),
        ("StatefulSet", "RollingUpdate", "its pods roll"),
    ],
)
def test_the_change_says_what_happens_to_running_pods(kind, strategy, words):
    current = deployment()
    if strategy:
        current["spec"]["updateStrategy"] = {"type": strategy}
    if kind == "CronJob":
        current = {"metadata": {}, "spec": {"jobTemplate": {"spec": {"template": {"metadata": {}, "spec": {}}}}}}
    change = workload_change(planned_workload(kind), current)
    assert words in change.target["rollout"]

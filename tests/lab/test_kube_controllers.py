"""The lab's controllers as a migration observes them through the official ``kubernetes`` client:
ownership chains, rollouts (template changes and ``kubectl rollout restart``'s patch), Jobs that
finish or never do, immutable fields, and pods that admission rejects."""

from __future__ import annotations

from typing import Any

from kubernetes import watch

from migrator.lab.lab import Lab
from tests.lab.kube_clients import Clients, namespace, status_of

CLIENT_ID = "00000000-0000-0000-0000-00000000c1d0"


def template(labels: dict, image: str = "nginx:1.27", **spec: Any) -> dict:
    return {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": image}], **spec}}


def deployment(name: str, replicas: int = 1, **spec: Any) -> dict:
    labels = {"app": name}
    return {
        "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": template(labels), **spec},
    }


def controller_ref(obj: Any) -> Any:
    refs = [r for r in obj.metadata.owner_references or [] if r.controller]
    assert len(refs) == 1, f"{obj.metadata.name} has {len(refs)} controller references"
    return refs[0]


def pods_of(k: Clients, ns: str, owner_uid: str) -> list:
    return [p for p in k.core.list_namespaced_pod(ns).items if controller_ref_or_none(p) == owner_uid]


def controller_ref_or_none(obj: Any) -> str | None:
    return next((r.uid for r in obj.metadata.owner_references or [] if r.controller), None)


def wait_rolled_out(k: Clients, ns: str, name: str) -> Any:
    """Watch the Deployment until its status describes the current generation fully rolled out,
    the test ``kubectl rollout status`` applies (wire.md E.8)."""
    w = watch.Watch()
    for event in w.stream(
        k.apps.list_namespaced_deployment, ns, field_selector=f"metadata.name={name}", timeout_seconds=20
    ):
        d = event["object"]
        s = d.status
        want = d.spec.replicas
        if (
            (s.observed_generation or 0) >= d.metadata.generation
            and (s.updated_replicas or 0) == want
            and (s.replicas or 0) == want
            and (s.available_replicas or 0) == want
        ):
            w.stop()
            return d
    raise AssertionError(f"deployment {name} did not roll out")


# --------------------------------------------------------------------------------------------------
# Ownership


def test_deployment_owns_replicaset_owns_pods(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "own")
    d = k.apps.create_namespaced_deployment(ns, deployment("web", replicas=3))
    assert d.metadata.generation == 1
    assert d.status is not None  # `status: {}`, as the API server writes a new Deployment (a watch sees it)
    done = wait_rolled_out(k, ns, "web")
    assert (done.status.ready_replicas, done.status.available_replicas, done.status.updated_replicas) == (3, 3, 3)
    conditions = {c.type: c for c in done.status.conditions}
    assert conditions["Available"].status == "True" and conditions["Available"].reason == "MinimumReplicasAvailable"
    assert conditions["Progressing"].reason == "NewReplicaSetAvailable"

    lab.settle()
    [rs] = k.apps.list_namespaced_replica_set(ns).items
    ref = controller_ref(rs)
    assert (ref.kind, ref.name, ref.uid, ref.api_version) == ("Deployment", "web", d.metadata.uid, "apps/v1")
    assert ref.block_owner_deletion is True
    pth = rs.metadata.labels["pod-template-hash"]
    assert rs.metadata.name == f"web-{pth}"
    assert rs.spec.selector.match_labels == {"app": "web", "pod-template-hash": pth}
    assert rs.metadata.annotations["deployment.kubernetes.io/revision"] == "1"
    assert rs.status.replicas == 3 and rs.status.ready_replicas == 3

    pods = k.core.list_namespaced_pod(ns).items
    assert len(pods) == 3
    for p in pods:
        pref = controller_ref(p)
        assert (pref.kind, pref.name, pref.uid) == ("ReplicaSet", rs.metadata.name, rs.metadata.uid)
        assert p.metadata.name.startswith(f"{rs.metadata.name}-")
        assert p.metadata.labels == {"app": "web", "pod-template-hash": pth}
        assert p.status.phase == "Running"
    events = k.core.list_namespaced_event(ns, field_selector=f"involvedObject.uid={rs.metadata.uid}").items
    assert sum(1 for e in events if e.reason == "SuccessfulCreate") == 3


def test_cronjob_starts_job_which_runs_pod_to_completion(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "cron")
    job_template = {"spec": {"template": template({"task": "nightly"}, image="busybox:1.36", restartPolicy="Never")}}
    cj = k.batch.create_namespaced_cron_job(
        ns, {"metadata": {"name": "nightly"}, "spec": {"schedule": "0 3 * * *", "jobTemplate": job_template}}
    )
    lab.settle()
    [job] = k.batch.list_namespaced_job(ns).items
    ref = controller_ref(job)
    assert (ref.kind, ref.name, ref.uid, ref.api_version) == ("CronJob", "nightly", cj.metadata.uid, "batch/v1")
    assert job.metadata.name.startswith("nightly-")
    [pod] = k.core.list_namespaced_pod(ns).items
    pref = controller_ref(pod)
    assert (pref.kind, pref.name, pref.uid) == ("Job", job.metadata.name, job.metadata.uid)
    assert pod.metadata.labels["batch.kubernetes.io/job-name"] == job.metadata.name
    assert pod.status.phase == "Succeeded"
    assert [c.type for c in job.status.conditions if c.status == "True"][-1] == "Complete"
    assert job.status.succeeded == 1 and job.status.completion_time is not None
    cj = k.batch.read_namespaced_cron_job("nightly", ns)
    assert cj.status.last_schedule_time is not None and cj.status.last_successful_time is not None
    assert not cj.status.active


# --------------------------------------------------------------------------------------------------
# Rollouts


def test_template_change_rolls_the_deployment(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "roll")
    k.apps.create_namespaced_deployment(ns, deployment("web", replicas=2))
    first = wait_rolled_out(k, ns, "web")
    lab.settle()
    [old_rs] = k.apps.list_namespaced_replica_set(ns).items
    old_pods = {p.metadata.name for p in k.core.list_namespaced_pod(ns).items}

    patched = k.apps.patch_namespaced_deployment(
        "web", ns, {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.28"}]}}}}
    )
    assert patched.metadata.generation == first.metadata.generation + 1
    done = wait_rolled_out(k, ns, "web")
    assert done.status.observed_generation == patched.metadata.generation
    assert (done.status.updated_replicas, done.status.ready_replicas, done.status.available_replicas) == (2, 2, 2)
    assert done.metadata.annotations["deployment.kubernetes.io/revision"] == "2"
    lab.settle()

    sets = {rs.metadata.name: rs for rs in k.apps.list_namespaced_replica_set(ns).items}
    assert len(sets) == 2 and sets[old_rs.metadata.name].spec.replicas == 0
    [new_rs] = [rs for name, rs in sets.items() if name != old_rs.metadata.name]
    assert new_rs.metadata.annotations["deployment.kubernetes.io/revision"] == "2"
    pods = k.core.list_namespaced_pod(ns).items
    assert len(pods) == 2 and not old_pods & {p.metadata.name for p in pods}
    assert all(controller_ref(p).uid == new_rs.metadata.uid for p in pods)
    assert {p.spec.containers[0].image for p in pods} == {"nginx:1.28"}

    # a patch that changes nothing in the template is no rollout
    k.apps.patch_namespaced_deployment("web", ns, {"metadata": {"labels": {"touched": "yes"}}})
    lab.settle()
    assert k.apps.read_namespaced_deployment("web", ns).metadata.generation == patched.metadata.generation
    assert len(k.apps.list_namespaced_replica_set(ns).items) == 2


def test_rollout_restart_annotation_patch_replaces_pods(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "restart")
    k.apps.create_namespaced_deployment(ns, deployment("web", replicas=2))
    before = wait_rolled_out(k, ns, "web")
    lab.settle()
    old_pods = {p.metadata.name for p in k.core.list_namespaced_pod(ns).items}

    stamp = "2026-11-22T12:10:48Z"
    body = {"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}}}}
    patched = k.apps.patch_namespaced_deployment(  # exactly what kubectl rollout restart sends (wire.md E.8)
        "web", ns, body, field_manager="kubectl-rollout", _content_type="application/strategic-merge-patch+json"
    )
    assert patched.metadata.generation == before.metadata.generation + 1
    assert patched.spec.template.metadata.annotations == {"kubectl.kubernetes.io/restartedAt": stamp}
    assert patched.spec.template.metadata.labels == {"app": "web"}  # merged, not replaced
    done = wait_rolled_out(k, ns, "web")
    assert done.status.observed_generation == patched.metadata.generation
    lab.settle()
    pods = k.core.list_namespaced_pod(ns).items
    assert len(pods) == 2 and not old_pods & {p.metadata.name for p in pods}
    assert all(p.metadata.annotations["kubectl.kubernetes.io/restartedAt"] == stamp for p in pods)
    assert all(p.status.phase == "Running" for p in pods)


def test_statefulset_and_daemonset_roll(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "sets")
    labels = {"app": "db"}
    k.apps.create_namespaced_stateful_set(
        ns,
        {
            "metadata": {"name": "db"},
            "spec": {
                "replicas": 2,
                "serviceName": "db",
                "selector": {"matchLabels": labels},
                "template": template(labels),
            },
        },
    )
    agent = {"app": "agent"}
    k.apps.create_namespaced_daemon_set(
        ns, {"metadata": {"name": "agent"}, "spec": {"selector": {"matchLabels": agent}, "template": template(agent)}}
    )
    lab.settle()
    sts = k.apps.read_namespaced_stateful_set("db", ns)
    sts_pods = {p.metadata.name: p for p in k.core.list_namespaced_pod(ns, label_selector="app=db").items}
    assert set(sts_pods) == {"db-0", "db-1"}
    first_revision = sts.status.update_revision
    assert {p.metadata.labels["controller-revision-hash"] for p in sts_pods.values()} == {first_revision}
    assert (sts.status.ready_replicas, sts.status.updated_replicas, sts.status.observed_generation) == (2, 2, 1)
    ds = k.apps.read_namespaced_daemon_set("agent", ns)
    ds_pods = k.core.list_namespaced_pod(ns, label_selector="app=agent").items
    assert sorted(p.spec.node_name for p in ds_pods) == sorted(lab.kube.nodes)
    assert (ds.status.desired_number_scheduled, ds.status.number_ready) == (len(lab.kube.nodes),) * 2

    new_image = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.28"}]}}}}
    k.apps.patch_namespaced_stateful_set("db", ns, new_image)
    k.apps.patch_namespaced_daemon_set("agent", ns, new_image)
    lab.settle()

    sts = k.apps.read_namespaced_stateful_set("db", ns)
    assert sts.status.observed_generation == sts.metadata.generation == 2
    assert sts.status.update_revision != first_revision
    assert sts.status.current_revision == sts.status.update_revision
    assert (sts.status.updated_replicas, sts.status.ready_replicas) == (2, 2)
    rolled = {p.metadata.name: p for p in k.core.list_namespaced_pod(ns, label_selector="app=db").items}
    assert set(rolled) == {"db-0", "db-1"}  # same ordinal names, new pods
    for name, p in rolled.items():
        assert p.metadata.uid != sts_pods[name].metadata.uid
        assert p.spec.containers[0].image == "nginx:1.28"
        assert p.metadata.labels["controller-revision-hash"] == sts.status.update_revision

    ds = k.apps.read_namespaced_daemon_set("agent", ns)
    assert ds.status.observed_generation == ds.metadata.generation == 2
    assert (ds.status.updated_number_scheduled, ds.status.number_available) == (len(lab.kube.nodes),) * 2
    new_ds_pods = k.core.list_namespaced_pod(ns, label_selector="app=agent").items
    assert not {p.metadata.uid for p in ds_pods} & {p.metadata.uid for p in new_ds_pods}
    assert {p.spec.containers[0].image for p in new_ds_pods} == {"nginx:1.28"}
    assert sorted(p.spec.node_name for p in new_ds_pods) == sorted(lab.kube.nodes)


# --------------------------------------------------------------------------------------------------
# Jobs


def test_job_completes(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "jobs")
    job = k.batch.create_namespaced_job(
        ns,
        {"metadata": {"name": "once"}, "spec": {"template": template({}, image="busybox:1.36", restartPolicy="Never")}},
    )
    uid = job.metadata.uid
    assert job.spec.selector.match_labels == {"batch.kubernetes.io/controller-uid": uid}
    assert job.spec.template.metadata.labels["batch.kubernetes.io/job-name"] == "once"
    lab.settle()
    job = k.batch.read_namespaced_job("once", ns)
    conditions = {c.type: c for c in job.status.conditions}
    assert conditions["Complete"].status == "True" and conditions["Complete"].reason == "CompletionsReached"
    assert job.status.succeeded == 1 and not job.status.active and job.status.completion_time
    [pod] = pods_of(k, ns, uid)
    assert pod.status.phase == "Succeeded"
    assert pod.status.container_statuses[0].state.terminated.reason == "Completed"
    reasons = [e.reason for e in k.core.list_namespaced_event(ns, field_selector="involvedObject.name=once").items]
    assert "Completed" in reasons and "SuccessfulCreate" in reasons


def test_job_with_proxy_sidecar_never_completes(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "proxyjob")
    k.core.create_namespaced_service_account(
        ns, {"metadata": {"name": "wi", "annotations": {"azure.workload.identity/client-id": CLIENT_ID}}}
    )
    tpl = template(
        {"azure.workload.identity/use": "true"}, image="busybox:1.36", restartPolicy="Never", serviceAccountName="wi"
    )
    tpl["metadata"]["annotations"] = {"azure.workload.identity/inject-proxy-sidecar": "true"}
    k.batch.create_namespaced_job(ns, {"metadata": {"name": "stuck"}, "spec": {"template": tpl}})
    lab.settle()
    job = k.batch.read_namespaced_job("stuck", ns)
    [pod] = pods_of(k, ns, job.metadata.uid)
    assert [c.name for c in pod.spec.containers] == ["azwi-proxy", "app"]  # a regular container, not native
    states = {c.name: c.state for c in pod.status.container_statuses}
    assert states["app"].terminated is not None and states["app"].terminated.exit_code == 0
    assert states["azwi-proxy"].running is not None
    assert pod.status.phase == "Running"
    assert job.status.active == 1 and not job.status.succeeded
    assert not any(c.type == "Complete" for c in job.status.conditions or [])
    assert job.status.completion_time is None


# --------------------------------------------------------------------------------------------------
# Immutable fields and admission rejections


def test_immutable_fields_are_422(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "immutable")
    k.batch.create_namespaced_job(
        ns, {"metadata": {"name": "once"}, "spec": {"template": template({}, restartPolicy="Never")}}
    )
    status, body = status_of(
        lambda: k.batch.patch_namespaced_job(
            "once", ns, {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.28"}]}}}}
        )
    )
    assert (status, body["reason"], body["details"]["kind"]) == (422, "Invalid", "Job")
    assert body["message"].startswith('Job.batch "once" is invalid: spec.template: Invalid value')
    assert "field is immutable" in body["message"]
    assert body["details"]["causes"][0]["field"] == "spec.template"
    assert k.batch.read_namespaced_job("once", ns).spec.template.spec.containers[0].image == "nginx:1.27"

    k.apps.create_namespaced_deployment(ns, deployment("web"))
    new_selector = {
        "spec": {
            "selector": {"matchLabels": {"app": "web", "v": "2"}},
            "template": {"metadata": {"labels": {"app": "web", "v": "2"}}},
        }
    }
    status, body = status_of(lambda: k.apps.patch_namespaced_deployment("web", ns, new_selector))
    assert (status, body["reason"]) == (422, "Invalid")
    assert body["message"].startswith('Deployment.apps "web" is invalid: spec.selector: Invalid value')
    assert body["message"].endswith("field is immutable")
    assert k.apps.read_namespaced_deployment("web", ns).spec.selector.match_labels == {"app": "web"}


def test_bare_pod_spec_changes_are_forbidden(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "barepod")
    k.core.create_namespaced_pod(ns, {"metadata": {"name": "p"}, "spec": template({})["spec"]})
    env = {"spec": {"containers": [{"name": "app", "env": [{"name": "AZURE_CLIENT_ID", "value": CLIENT_ID}]}]}}
    status, body = status_of(lambda: k.core.patch_namespaced_pod("p", ns, env))
    assert (status, body["reason"]) == (422, "Invalid")
    assert body["message"].startswith(
        'Pod "p" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`'
    )
    status, body = status_of(lambda: k.core.patch_namespaced_pod("p", ns, {"spec": {"serviceAccountName": "other"}}))
    assert status == 422 and "Forbidden: pod updates may not change fields" in body["message"]
    # the image, and metadata, may change
    image = k.core.patch_namespaced_pod("p", ns, {"spec": {"containers": [{"name": "app", "image": "nginx:1.28"}]}})
    assert image.spec.containers[0].image == "nginx:1.28"
    labelled = k.core.patch_namespaced_pod("p", ns, {"metadata": {"labels": {"azure.workload.identity/use": "true"}}})
    assert labelled.metadata.labels == {"azure.workload.identity/use": "true"}


def test_pod_with_missing_service_account_is_forbidden_and_recorded(lab: Lab, k: Clients) -> None:
    ns = namespace(k, lab, "nosa")
    bare = {"metadata": {"name": "p"}, "spec": template({}, serviceAccountName="ghost")["spec"]}
    status, body = status_of(lambda: k.core.create_namespaced_pod(ns, bare))
    assert (status, body["reason"]) == (403, "Forbidden")
    assert body["message"] == (
        f'pods "p" is forbidden: error looking up service account {ns}/ghost: serviceaccount "ghost" not found'
    )

    spec = deployment("web")
    spec["spec"]["template"]["spec"]["serviceAccountName"] = "ghost"
    k.apps.create_namespaced_deployment(ns, spec)
    lab.settle()
    [rs] = k.apps.list_namespaced_replica_set(ns).items
    assert k.core.list_namespaced_pod(ns).items == []
    events = k.core.list_namespaced_event(
        ns, field_selector=f"involvedObject.name={rs.metadata.name},reason=FailedCreate"
    ).items
    assert len(events) == 1 and events[0].type == "Warning" and events[0].involved_object.kind == "ReplicaSet"
    assert events[0].message.startswith('Error creating: pods "web-')
    assert events[0].message.endswith(
        f'is forbidden: error looking up service account {ns}/ghost: serviceaccount "ghost" not found'
    )
    rs = k.apps.read_namespaced_replica_set(rs.metadata.name, ns)
    assert any(c.type == "ReplicaFailure" and c.reason == "FailedCreate" for c in rs.status.conditions or [])
    d = k.apps.read_namespaced_deployment("web", ns)
    assert not d.status.available_replicas

    # once the ServiceAccount exists the ReplicaSet catches up
    k.core.create_namespaced_service_account(ns, {"metadata": {"name": "ghost"}})
    done = wait_rolled_out(k, ns, "web")
    assert done.status.available_replicas == 1
    lab.settle()
    [pod] = k.core.list_namespaced_pod(ns).items
    assert pod.spec.service_account_name == "ghost" and pod.status.phase == "Running"

"""Issue 5, "Done when" (apply): the quickstart plan applied to a live (lab) cluster and Azure through
wimigrate's real adapters, run again, rolled back and dry-run."""

from __future__ import annotations

from migrator.adapters.kube import resources as R
from migrator.core.changes import CREATED_BY_ANNOTATION, credential_key
from migrator.core.plan import AUDIENCE, CLIENT_ID_ANNOTATION, USE_LABEL
from migrator.errors import EXIT_FINDINGS
from migrator.phases.apply.context import DONE, PENDING, UNCHANGED
from migrator.phases.apply.rollback import DELETED, RESTORED
from tests.apply.world import World, comparable, template_of

TOKEN_EXCHANGE = "api://AzureADTokenExchange"
PROXY, PROXY_INIT = "azwi-proxy", "azwi-proxy-init"


def _pods(world: World, workload: dict) -> list[dict]:
    selector = ",".join(f"{k}={v}" for k, v in workload["spec"]["selector"]["matchLabels"].items())
    return list(world.kube.list(R.PODS, workload["metadata"]["namespace"], label_selector=selector))


def _env(container: dict) -> dict[str, str]:
    return {e["name"]: e.get("value") for e in container.get("env") or []}


def test_apply_migrates_the_quickstart(world: World) -> None:
    plan = world.plan
    old_pods = {p["metadata"]["uid"] for p in world.kube.list(R.PODS)}
    assert {w.mode for w in plan.workloads} == {"label", "sidecar"}

    run = world.apply()

    assert run.report.exit_code == 0
    assert {r.status for r in run.report.results} == {DONE}
    assert len(run.report.results) == len(plan.federatedCredentials) + len(plan.serviceAccounts) + len(plan.workloads)
    world.lab.settle()

    # ServiceAccounts: annotated with the identity's client id; the ones the run made say so.
    for planned in plan.serviceAccounts:
        sa = world.service_account(planned.namespace, planned.name)
        assert sa is not None
        annotations = sa["metadata"].get("annotations") or {}
        assert annotations[CLIENT_ID_ANNOTATION] == planned.clientID
        assert (annotations.get(CREATED_BY_ANNOTATION) == run.ctx.run_id) is planned.create

    # Credentials: in ARM (read with azure-mgmt-msi), with the cluster's issuer byte for byte.
    cluster = world.lab.azure.managed_cluster(world.lab.cluster_id)
    assert cluster is not None
    issuer = cluster["properties"]["oidcIssuerProfile"]["issuerURL"]
    assert issuer == world.info.issuer_url and issuer.endswith("/")
    for planned in plan.federatedCredentials:
        assert planned.identityResourceID is not None
        found = world.credentials(planned.identityResourceID)[planned.name]
        assert found.issuer.encode() == issuer.encode()
        assert found.subject == f"system:serviceaccount:{planned.namespace}:{planned.serviceAccountName}"
        assert found.audiences == [AUDIENCE] == [TOKEN_EXCHANGE]

    # Workloads: templates labelled and on the planned ServiceAccount; new pods mutated by the webhook.
    checked_pods = 0
    for planned in plan.workloads:
        obj = world.workload(planned.namespace, planned.kind, planned.name)
        template = template_of(obj)
        assert template["metadata"]["labels"][USE_LABEL] == "true"
        assert template["spec"]["serviceAccountName"] == planned.serviceAccountName
        if planned.kind == "CronJob":
            continue  # its next Job starts at 02:30; the template is what that Job's pods get
        pods = _pods(world, obj)
        assert len(pods) == obj["spec"]["replicas"] > 0, planned.ref
        for pod in pods:
            assert pod["metadata"]["uid"] not in old_pods, f"{planned.ref}: an old pod survived the roll"
            assert pod["status"]["phase"] == "Running"
            spec = pod["spec"]
            assert spec["serviceAccountName"] == planned.serviceAccountName
            volumes = {v["name"]: v for v in spec["volumes"]}
            containers = {c["name"]: c for c in spec["containers"]}
            init = {c["name"]: c for c in spec.get("initContainers") or []}
            if planned.mode == "sidecar":
                assert PROXY in containers and PROXY_INIT in init
                assert "--proxy-port=8000" in containers[PROXY]["args"]
            else:
                assert PROXY not in containers and PROXY_INIT not in init
            for container in containers.values():
                env = _env(container)
                assert env["AZURE_CLIENT_ID"] == planned.clientID
                token_file = env["AZURE_FEDERATED_TOKEN_FILE"]
                mount = next(
                    m for m in container["volumeMounts"] if token_file.startswith(m["mountPath"].rstrip("/") + "/")
                )
                source = volumes[mount["name"]]["projected"]["sources"][0]["serviceAccountToken"]
                assert source["audience"] == TOKEN_EXCHANGE
                assert token_file == f"{mount['mountPath']}/{source['path']}"
            checked_pods += 1
    assert checked_pods == 8  # orders-legacy-sync 1 + orders-processor 3 + payments-api 3 + cost-exporter 1


def test_a_second_apply_changes_nothing(world: World) -> None:
    first = world.apply()
    assert first.report.exit_code == 0
    world.lab.settle()
    version, statuses, creations = world.store_version(), dict(world.target.statuses), world.creations()
    spies = [world.spy("kube", verb) for verb in ("create", "patch", "update", "delete", "deletecollection")]
    spies += [world.spy("arm", verb) for verb in ("put", "patch", "delete")]

    second = world.apply()

    assert second.report.exit_code == 0
    assert {r.status for r in second.report.results} == {UNCHANGED}
    assert len(second.report.results) == len(first.report.results)
    assert [world.lab.faults.fired(spy) for spy in spies] == [0] * len(spies), "a write request was sent"
    world.lab.settle()
    assert world.store_version() == version
    answers = {status: n - statuses.get(status, 0) for status, n in world.target.statuses.items()}
    assert {s for s, n in answers.items() if n} == {200}, answers  # the per-identity lists only
    assert world.creations() == creations
    assert second.journal is not None and not second.journal.state().intents


def test_rollback_restores_every_touched_object(world: World) -> None:
    plan = world.plan
    by_name = {c.name: c for c in plan.federatedCredentials}
    orders, platform = by_name["orders-orders"], by_name["platform-platform-cost-reader"]
    assert orders.identityResourceID and platform.identityResourceID
    # Credentials that exist before the run: one another cluster uses, one the plan reuses under its own name.
    world.lab.azure.add_federated_credential(
        orders.identityResourceID,
        "other-cluster-orders",
        issuer="https://westeurope.oic.prod-aks.azure.com/tenant/other/",
        subject=orders.subject,
    )
    world.lab.azure.add_federated_credential(
        platform.identityResourceID, "legacy-cost-reader", issuer=platform.issuer, subject=platform.subject
    )
    before = world.snapshot()
    assert "payments/payments-api" in before.service_accounts  # the quickstart's own SA, to be annotated

    run = world.apply()
    assert run.report.exit_code == 0 and run.journal is not None
    assert run.statuses[credential_key(platform)] == UNCHANGED  # reused as legacy-cost-reader
    world.lab.settle()
    applied = world.snapshot()
    assert CLIENT_ID_ANNOTATION in applied.service_accounts["payments/payments-api"]["metadata"]["annotations"]
    created_sas = set(applied.service_accounts) - set(before.service_accounts)
    created_credentials = set(applied.credentials) - set(before.credentials)
    assert created_sas == {"orders/orders", "payments/payments-api-wi", "platform/platform-cost-reader"}
    assert created_credentials == {
        "id-orders/orders-orders",
        "id-payments-api/payments-payments-api",
        "id-payments-api/payments-payments-api-wi",
    }

    undo = world.rollback(run.journal.path)

    assert undo.exit_code == 0
    world.lab.settle()
    after = world.snapshot()
    assert set(after.service_accounts) == set(before.service_accounts)
    assert set(after.credentials) == set(before.credentials)
    for key, obj in before.workloads.items():
        assert comparable(after.workloads[key]) == comparable(obj), key
    for key, obj in before.service_accounts.items():
        # never deleted and re-created: the same object (uid), its annotations put back
        assert comparable(after.service_accounts[key]) == comparable(obj), key
    assert after.credentials == before.credentials
    statuses = {r.key: r.status for r in undo.results}
    assert statuses["serviceaccount:payments/payments-api"] == RESTORED
    assert {k for k, s in statuses.items() if s == DELETED} == {f"serviceaccount:{sa}" for sa in created_sas} | {
        k for k in run.statuses if k.startswith("credential:") and run.statuses[k] == DONE
    }
    assert world.rollback(run.journal.path).results == []  # every undo is journaled: nothing left to do


def test_dry_run_changes_nothing_and_sends_dry_run_writes(world: World) -> None:
    before = world.snapshot()
    version, creations = world.store_version(), world.creations()
    kube_writes = [world.spy("kube", "create", "serviceaccounts"), world.spy("kube", "patch")]
    arm_writes = world.spy("arm", "put")

    run = world.apply(dry_run=True)

    assert run.report.exit_code == EXIT_FINDINGS
    assert {r.status for r in run.report.results} == {PENDING}
    cluster_steps = [r for r in run.report.results if r.phase != "federate"]
    assert {r.detail for r in cluster_steps} == {"the API server accepts it (dry run)"}
    # every ServiceAccount and workload write reached the API server, and none was stored
    assert sum(world.lab.faults.fired(spy) for spy in kube_writes) == len(cluster_steps) == 9
    assert world.lab.faults.fired(arm_writes) == 0
    world.lab.settle()
    assert world.store_version() == version
    assert world.creations() == creations
    after = world.snapshot()
    assert after.service_accounts == before.service_accounts
    assert after.workloads == before.workloads
    assert after.credentials == before.credentials
    assert run.journal is None

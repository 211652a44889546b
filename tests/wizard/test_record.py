"""A session written as a playbook: what it read, what its answers make, what it went through."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from migrator.cli.wizard.record import playbook_name, session_playbook
from migrator.storage.playbooks import dump_playbook, load_playbook, save_playbook
from tests.wizard.conftest import manifest_target

CLUSTER = (
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/"
    "Microsoft.ContainerService/managedClusters/aks"
)
PLAN_VALUES: dict[str, Any] = {"mode": "label", "identity_for": ["shared/foo=id-a"], "proxy_port": 8000}
ANSWERS: dict[str, Any] = {
    "namespaces": ["orders", "payments"],
    "workloads": ["orders/Deployment/legacy", "orders/Deployment/api", "payments/CronJob/settle"],
    "modes": {
        "orders/Deployment/legacy": "sidecar",
        "orders/Deployment/api": "sidecar",
        "payments/CronJob/settle": "label",
    },
    "resolve": {
        "identityFor": {"payments/pay": "id-b"},
        "modes": {"orders/Deployment/api": "label"},
        "excluded": ["payments/CronJob/settle"],
        "done": True,
    },
    "verify": {"wait": "5m", "tokenExchange": True, "passed": True},
    "cleanup": {"run": True, "networkPolicy": "file", "networkPolicyFile": "imds.yaml", "finished": True},
}


def live_target(**values: Any) -> dict[str, Any]:
    return {**manifest_target(Path("/x")), "manifests": [], **values}


def test_a_lab_session_replays_against_a_lab_with_its_answers(tmp_path: Path) -> None:
    playbook = session_playbook(
        live_target(lab_dir="/tmp/lab", all_namespaces=True), PLAN_VALUES, ANSWERS, name="wizard-x", description="d"
    )
    assert playbook.target.lab and not playbook.target.cluster and playbook.target.namespaces == []
    assert playbook.target.cluster_id is None  # the lab's own cluster, whichever lab runs it
    options = playbook.options
    assert options.workloads.include == ["orders/Deployment/legacy", "orders/Deployment/api"]  # one was left out
    assert options.workload_modes == {"orders/Deployment/legacy": "sidecar", "orders/Deployment/api": "label"}
    assert options.identity_for == {"shared/foo": "id-a", "payments/pay": "id-b"}
    assert [s.name for s in playbook.phases] == ["discover", "plan", "apply", "verify", "cleanup"]
    assert playbook.step("verify").options["wait"] == 300 and playbook.step("verify").options["tokenExchange"]  # type: ignore[union-attr]
    assert playbook.step("cleanup").options["networkPolicyFile"] == "imds.yaml"  # type: ignore[union-attr]
    path = tmp_path / "p.yaml"
    save_playbook(path, playbook)
    assert load_playbook(path) == playbook
    assert "wimigrate.io/v1" in dump_playbook(playbook)


def test_a_cluster_session_names_its_context_namespaces_and_aks_cluster() -> None:
    target = live_target(
        cluster=True,
        context="prod",
        namespaces=["orders"],
        resource_group="rg",
        aks_name="aks",
        subscription="11111111-2222-3333-4444-555555555555",
    )
    answers = {**ANSWERS, "cleanup": {"run": False}, "verify": {}}
    playbook = session_playbook(target, PLAN_VALUES, answers, name="wizard-x", description="")
    t = playbook.target
    assert (t.cluster, t.lab, t.context, t.namespaces, t.cluster_id) == (True, False, "prod", ["orders"], CLUSTER)
    assert [s.name for s in playbook.phases] == ["discover", "plan", "apply"]  # not verified, no cleanup


def test_a_manifest_session_is_a_rewrite_in_place() -> None:
    playbook = session_playbook(manifest_target(Path("/repo/deploy")), PLAN_VALUES, ANSWERS, name="w", description="")
    assert playbook.target.manifests == ["/repo/deploy"] and not playbook.target.cluster
    assert [s.name for s in playbook.phases] == ["discover", "plan", "rewrite"]
    rewrite = playbook.step("rewrite")
    assert rewrite is not None and rewrite.options["write"] == "in-place"
    assert rewrite.options["workloads"] == ["orders/Deployment/legacy", "orders/Deployment/api"]


def test_playbook_names_are_valid_and_dated() -> None:
    assert playbook_name("2026-12-06T02:16:06Z") == "wizard-20261206-0216"
    assert playbook_name("") == "wizard"

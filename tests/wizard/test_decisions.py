"""What blocks the chosen workloads, and the modes proposed for them (pure, plus SDK detection over files)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from migrator.cli.wizard import decisions as D
from migrator.cli.wizard.sdk import proposals
from migrator.core.model import Finding, Inventory
from migrator.core.planner import PlanOptions
from migrator.sources.manifests.scan import scan
from tests.conftest import binding, deployment, identity

TWO_APPS = {
    "a.yaml": "---\n".join([identity("id-a", n=1), binding("id-a"), deployment("web", selector="id-a")]),
    "b.yaml": "---\n".join([identity("id-b", n=2), binding("id-b"), deployment("worker", selector="id-b")]),
}


def inventory_of(tree: Callable[..., Path]) -> Inventory:
    return scan([str(tree(TWO_APPS))])


def error(obj: str | None, code: str = "identity-missing-ids") -> Finding:
    return Finding(code, "error", "it is wrong. Fix it.", "file.yaml:1", obj)


def test_errors_are_tied_to_the_workloads_that_use_the_object(tree: Callable[..., Path]) -> None:
    inventory = inventory_of(tree)
    assert D.affected_workloads(error("apps/Deployment/web"), inventory) == {"apps/Deployment/web"}
    assert D.affected_workloads(error("apps/AzureIdentity/id-b"), inventory) == {"apps/Deployment/worker"}
    assert D.affected_workloads(error("apps/AzureIdentityBinding/id-a-binding"), inventory) == {"apps/Deployment/web"}
    rid = next(i.resource_id for i in inventory.identities if i.name == "id-a")
    assert D.affected_workloads(error(str(rid).upper()), inventory) == {"apps/Deployment/web"}
    assert D.affected_workloads(error(None, "invalid-yaml"), inventory) is None
    assert D.affected_workloads(error("prod"), inventory) is None  # a context: the whole cluster


def test_only_errors_about_chosen_workloads_or_everything_block(tree: Callable[..., Path]) -> None:
    inventory = inventory_of(tree)
    findings = [
        error("apps/AzureIdentity/id-b"),
        error("apps/Deployment/web", "sidecar-unsupported-windows"),
        Finding("default-service-account", "info", "x", None, "apps/Deployment/web"),
        error(None, "invalid-yaml"),
        error(None, "webhook-not-installed"),
    ]
    found = D.blockers(findings, inventory, ["apps/Deployment/web"])
    assert [(b.finding.code, b.workloads, b.resolutions) for b in found] == [
        ("invalid-yaml", [], ["quit", "continue"]),
        ("sidecar-unsupported-windows", ["apps/Deployment/web"], ["label", "exclude", "quit"]),
        ("webhook-not-installed", [], ["quit"]),
    ]  # id-b is used by the worker, which was not chosen


def test_modes_are_proposed_from_the_sdk_the_application_declares(tree: Callable[..., Path]) -> None:
    root = tree(
        {
            **TWO_APPS,
            "src/web/requirements.txt": "flask==3.0.0\nazure-identity==1.10.0\n",
            "src/worker/package.json": '{"dependencies": {"@azure/identity": "^4.0.0"}}\n',
        }
    )
    inventory = scan([str(root / "a.yaml"), str(root / "b.yaml")])
    found = proposals([str(root / "src")], [], inventory.workloads)
    web, worker = found["apps/Deployment/web"], found["apps/Deployment/worker"]
    assert web[0] == "sidecar" and "azure-identity 1.10.0" in web[1] and "requirements.txt:2" in web[1]
    assert worker[0] == "label" and "@azure/identity" in worker[1]
    base = PlanOptions()
    by_ref = {w.ref: w for w in inventory.workloads}
    proposal = D.default_mode(by_ref["apps/Deployment/web"], base, web)
    assert (proposal.mode, proposal.reason) == ("sidecar", web[1])
    unknown = D.default_mode(by_ref["apps/Deployment/web"], base, (None, "no Azure Identity SDK is declared"))
    assert (
        unknown.mode == "label"
        and unknown.reason == "default (--mode label); SDK detection: no Azure Identity SDK is declared"
    )
    explicit = proposals([], [f"apps/Deployment/worker={root / 'src' / 'web'}"], inventory.workloads)
    assert list(explicit) == ["apps/Deployment/worker"] and explicit["apps/Deployment/worker"][0] == "sidecar"


def test_the_session_options_put_each_chosen_mode_first() -> None:
    answers = {
        "workloads": ["a/Deployment/x", "a/Deployment/y"],
        "modes": {"a/Deployment/x": "sidecar", "a/Deployment/y": "sidecar"},
        "resolve": {"modes": {"a/Deployment/y": "label"}, "identityFor": {"a/s": "id"}, "excluded": []},
    }
    options = D.session_options(PlanOptions(workload_modes={"a/*": "label"}, identity_for={"b/t": "other"}), answers)
    assert list(options.workload_modes.items()) == [
        ("a/Deployment/x", "sidecar"),
        ("a/Deployment/y", "label"),
        ("a/*", "label"),
    ]
    assert options.identity_for == {"b/t": "other", "a/s": "id"}


def test_the_preview_keeps_the_findings_about_the_chosen_workloads(tree: Callable[..., Path]) -> None:
    inventory = inventory_of(tree)
    warning = Finding("client-id-env-override", "warning", "x", None, "apps/Deployment/web")
    findings = [
        error("apps/AzureIdentity/id-b"),  # only the worker uses id-b
        warning,
        Finding("default-service-account", "info", "x", None, "apps/Deployment/web"),
        error("prod", "webhook-not-installed"),
    ]
    kept = D.concerning(findings, inventory, ["apps/Deployment/web"])
    assert [f.code for f in kept] == ["client-id-env-override", "webhook-not-installed"]

"""The wizard's steps over manifest trees, answered by a script (no terminal, no questionary)."""

from __future__ import annotations

import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.cli.main import cli
from migrator.cli.wizard import steps
from migrator.cli.wizard.sdk import proposals
from migrator.core.model import ClusterFacts
from migrator.sources.manifests.scan import scan_tree
from migrator.storage.playbooks import load_playbook
from tests.conftest import binding, deployment, identity
from tests.wizard.conftest import SAMPLES, Session
from tests.wizard.scripted import ALL, INTERRUPT, ScriptedPrompts

QUICKSTART_REFS = [
    "orders/Deployment/orders-legacy-sync",
    "orders/StatefulSet/orders-processor",
    "payments/CronJob/payments-settlement",
    "payments/Deployment/payments-api",
    "platform/Deployment/cost-exporter",
]
USE = "azure.workload.identity/use"


def test_a_manifest_session_rewrites_the_chosen_workloads_and_records_a_playbook(
    session: Callable[..., Session], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s = session("quickstart")
    playbook = tmp_path / "session.yaml"
    prompts = ScriptedPrompts(
        ("checkbox", "Namespaces to migrate", ["orders", "payments"]),
        ("checkbox", "Workloads to migrate", ALL),
        ("confirm", "Use these modes?", True),
        ("confirm", "Rewrite the manifests in place for 4 workload(s)?", True),
        ("select", "Write the federated credentials as code?", "terraform"),
        ("text", "File", str(tmp_path / "federated.tf")),
        ("confirm", "Save this session as a playbook", True),
        ("text", "Playbook file", str(playbook)),
    )
    steps.run(s.wizard(prompts))
    assert prompts.done
    namespaces = prompts.asked[0].options
    assert [o.value for o in namespaces] == ["orders", "payments", "platform"] and all(o.checked for o in namespaces)
    assert [o.group for o in prompts.asked[1].options] == ["orders", "orders", "payments", "payments"]
    out = capsys.readouterr().out
    assert "Step 1: what uses pod identity" in out and "Workloads (5)" in out  # the discovery summary
    assert "+++ b/" in out and f'+        {USE}: "true"' in out  # the diff of the preview
    legacy = (s.root / "apps/orders/orders-legacy-sync.yaml").read_text()
    assert USE in legacy and "azure.workload.identity/inject-proxy-sidecar" in legacy  # sidecar, as annotated
    assert USE not in (s.root / "apps/platform/cost-exporter.yaml").read_text()  # not chosen: untouched
    state = s.saved()
    assert state.step == "done" and state.answers["workloads"] == QUICKSTART_REFS[:4]
    assert state.answers["modes"]["orders/Deployment/orders-legacy-sync"] == "sidecar"
    recorded = load_playbook(playbook)
    assert recorded.options.workloads.include == QUICKSTART_REFS[:4]
    assert 'resource "azurerm_federated_identity_credential"' in (tmp_path / "federated.tf").read_text()
    assert [step.name for step in recorded.phases] == ["discover", "plan", "export", "rewrite"]
    assert recorded.step("export").options == {"format": "terraform", "out": str(tmp_path / "federated.tf")}  # type: ignore[union-attr]
    assert recorded.step("rewrite").options["workloads"] == QUICKSTART_REFS[:4]  # type: ignore[union-attr]
    assert recorded.target.manifests == [str(s.root)] and not recorded.target.cluster


def test_the_identity_for_a_shared_selector_is_chosen_in_place(
    session: Callable[..., Session], capsys: pytest.CaptureFixture[str]
) -> None:
    s = session("shared-selector")
    prompts = ScriptedPrompts(
        ("checkbox", "Namespaces", ALL),
        ("checkbox", "Workloads", ALL),
        ("confirm", "Use these modes?", True),
        ("select", "How do you want to resolve it?", "identity:my-pod-identity-2"),
        ("confirm", "Rewrite the manifests", False),
    )
    with pytest.raises(steps.Stop) as stopped:
        steps.run(s.wizard(prompts))
    assert stopped.value.exit_code == 0 and stopped.value.resumable
    resolution = prompts.asked[3]
    assert [o.value for o in resolution.options] == [
        "identity:my-pod-identity-1",
        "identity:my-pod-identity-2",
        "exclude",
        "quit",
    ]
    out = capsys.readouterr().out
    assert "error multiple-identities-for-selector (my-app/Pod/demo)" in out
    assert "55322d44-ed02-4ee8-a48c-dc5a8b10f25e" in out  # the ServiceAccount of the preview: identity 2
    state = s.saved()
    assert state.answers["resolve"]["identityFor"] == {"my-app/foo": "my-pod-identity-2"}
    assert state.answers["resolve"]["done"] and state.step == "confirm"  # declined: asked again on resume


def test_leaving_out_the_only_workload_ends_the_session(session: Callable[..., Session]) -> None:
    s = session("shared-selector")
    prompts = ScriptedPrompts(
        ("checkbox", "Namespaces", ALL),
        ("checkbox", "Workloads", ALL),
        ("confirm", "Use these modes?", True),
        ("select", "How do you want to resolve it?", "exclude"),
    )
    with pytest.raises(steps.Stop, match="nothing to migrate") as stopped:
        steps.run(s.wizard(prompts))
    assert not stopped.value.resumable
    assert s.saved().answers["resolve"]["excluded"] == ["my-app/Pod/demo"]


def test_a_sidecar_the_webhook_would_refuse_can_switch_to_label(
    session: Callable[..., Session], tmp_path: Path
) -> None:
    root = tmp_path / "hostnet"
    root.mkdir()
    (root / "app.yaml").write_text(
        "---\n".join([identity(), binding(), deployment(extra="hostNetwork: true\n")]), encoding="utf-8"
    )
    s = session(root)
    prompts = ScriptedPrompts(
        ("checkbox", "Namespaces", ALL),
        ("checkbox", "Workloads", ALL),
        ("confirm", "Use these modes?", False),
        ("select", "Mode for apps/Deployment/web?", "sidecar"),
        ("select", "How do you want to resolve it?", "label"),
        ("confirm", "Rewrite the manifests", False),
    )
    with pytest.raises(steps.Stop):
        steps.run(s.wizard(prompts))
    assert [o.value for o in prompts.asked[4].options] == ["label", "exclude", "quit"]
    answers = s.saved().answers
    assert answers["modes"] == {"apps/Deployment/web": "sidecar"}  # what was answered stays as answered
    assert answers["resolve"]["modes"] == {"apps/Deployment/web": "label"}  # and what resolved the error
    assert "modesSoFar" not in answers


def test_an_error_about_the_whole_cluster_can_only_be_fixed_outside(session: Callable[..., Session]) -> None:
    s = session("quickstart")
    inventory = scan_tree([str(s.root)]).inventory
    inventory.cluster = ClusterFacts(webhook_installed=False, context="prod")
    prompts = ScriptedPrompts(
        ("checkbox", "Namespaces", ALL),
        ("checkbox", "Workloads", ALL),
        ("confirm", "Use these modes?", True),
        ("select", "How do you want to resolve it?", "quit"),
    )
    with pytest.raises(steps.Stop, match="webhook-not-installed") as stopped:
        steps.run(s.wizard(prompts, inventory=inventory))
    assert stopped.value.exit_code == 1 and stopped.value.resumable
    assert [o.value for o in prompts.asked[3].options] == ["quit"]
    assert s.saved().step == "resolve"


def test_a_file_that_is_not_yaml_may_be_accepted(session: Callable[..., Session]) -> None:
    s = session("quickstart")
    (s.root / "broken.yaml").write_text("kind: AzureIdentity\nspec: [unclosed\n", encoding="utf-8")
    prompts = ScriptedPrompts(
        ("checkbox", "Namespaces", ALL),
        ("checkbox", "Workloads", ALL),
        ("confirm", "Use these modes?", True),
        ("select", "How do you want to resolve it?", "continue"),
        ("confirm", "Rewrite the manifests", False),
    )
    with pytest.raises(steps.Stop):
        steps.run(s.wizard(prompts))
    assert [o.value for o in prompts.asked[3].options] == ["quit", "continue"]
    [accepted] = s.saved().answers["resolve"]["accepted"]
    assert accepted.startswith(f"invalid-yaml|{s.root / 'broken.yaml'}:")


def test_ctrl_c_keeps_every_answer_and_resume_asks_only_the_rest(
    session: Callable[..., Session], capsys: pytest.CaptureFixture[str]
) -> None:
    s = session("quickstart")
    first = ScriptedPrompts(
        ("checkbox", "Namespaces", ALL),
        ("checkbox", "Workloads", ["orders/StatefulSet/orders-processor", "platform/Deployment/cost-exporter"]),
        ("confirm", "Use these modes?", False),
        ("select", "Mode for orders/StatefulSet/orders-processor", "sidecar"),
        ("select", "Mode for platform/Deployment/cost-exporter", INTERRUPT),
    )
    with pytest.raises(KeyboardInterrupt):
        steps.run(s.wizard(first))
    saved = s.saved()
    assert saved.step == "modes" and stat.S_IMODE(s.state_path.stat().st_mode) == 0o600
    assert saved.answers["modesSoFar"] == {"orders/StatefulSet/orders-processor": "sidecar"}
    capsys.readouterr()
    second = ScriptedPrompts(  # neither the namespaces, the workloads, "Use these modes?" nor the first mode again
        ("select", "Mode for platform/Deployment/cost-exporter", "label"),
        ("confirm", "Rewrite the manifests in place for 2 workload(s)?", INTERRUPT),
    )
    with pytest.raises(KeyboardInterrupt):
        steps.run(s.wizard(second, state=saved))
    out = capsys.readouterr().out
    assert "✔ Namespaces: orders, payments, platform" in out and "✔ Mode for orders/StatefulSet" in out
    assert "Step 1" not in out  # discovery is summarised on resume, not shown again
    saved = s.saved()
    assert saved.step == "confirm"
    assert saved.answers["modes"] == {
        "orders/StatefulSet/orders-processor": "sidecar",
        "platform/Deployment/cost-exporter": "label",
    }
    third = ScriptedPrompts(
        ("confirm", "Rewrite the manifests", True),
        ("select", "Write the federated credentials as code?", "none"),
        ("confirm", "Save this session as a playbook", False),
    )
    steps.run(s.wizard(third, state=saved))
    assert third.done and s.saved().step == "done"
    assert "azure.workload.identity/inject-proxy-sidecar" in (s.root / "apps/orders/orders-processor.yaml").read_text()
    assert USE in (s.root / "apps/platform/cost-exporter.yaml").read_text()
    assert USE not in (s.root / "apps/payments/payments-api.yaml").read_text()


def test_nothing_to_migrate_says_so(session: Callable[..., Session], tmp_path: Path) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    (root / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n", encoding="utf-8")
    with pytest.raises(steps.Stop, match="Nothing to migrate") as stopped:
        steps.run(session(root).wizard(ScriptedPrompts()))
    assert not stopped.value.resumable


def test_modes_come_from_the_applications_sdk_and_the_playbook_is_written_as_asked(
    session: Callable[..., Session], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # the reason in one table cell, unfolded

    s = session("quickstart")
    src = tmp_path / "src"
    (src / "orders-processor").mkdir(parents=True)
    (src / "orders-processor" / "requirements.txt").write_text("azure-identity==1.10.0\n", encoding="utf-8")
    (src / "payments-api").mkdir()
    (src / "payments-api" / "package.json").write_text('{"dependencies": {"@azure/identity": "4.2.0"}}\n')
    playbook = tmp_path / "asked.yaml"
    w = s.wizard(
        ScriptedPrompts(
            ("checkbox", "Namespaces", ["orders", "payments"]),
            ("checkbox", "Workloads", ALL),
            ("confirm", "Use these modes?", True),
            ("confirm", "Rewrite the manifests", True),
            ("select", "Write the federated credentials as code?", "none"),
        )
    )
    w.state.options["savePlaybook"] = str(playbook)  # --save-playbook: written at the end without asking
    w.sdk = proposals([str(src)], [], w.sources.inventory.workloads)
    steps.run(w)
    out = capsys.readouterr().out
    assert "azure-identity 1.10.0 (orders-processor/requirements.txt:1) is older than 1.13.0" in out
    modes = s.saved().answers["modes"]
    assert modes["orders/StatefulSet/orders-processor"] == "sidecar"  # the SDK's proposal beats --mode label
    assert modes["payments/Deployment/payments-api"] == "label"
    assert "azure.workload.identity/inject-proxy-sidecar" in (s.root / "apps/orders/orders-processor.yaml").read_text()
    recorded = load_playbook(playbook)
    assert recorded.options.workload_modes["orders/StatefulSet/orders-processor"] == "sidecar"
    assert s.saved().answers["playbook"] == {"path": str(playbook)}


def test_the_recorded_playbook_replays_the_same_rewrite(session: Callable[..., Session], tmp_path: Path) -> None:
    s = session("shared-selector")
    playbook = tmp_path / "replay.yaml"
    prompts = ScriptedPrompts(
        ("checkbox", "Namespaces", ALL),
        ("checkbox", "Workloads", ALL),
        ("confirm", "Use these modes?", False),
        ("select", "Mode for my-app/Pod/demo?", "sidecar"),
        ("select", "How do you want to resolve it?", "identity:my-pod-identity-1"),
        ("confirm", "Rewrite the manifests", True),
        ("select", "Write the federated credentials as code?", "none"),
        ("confirm", "Save this session as a playbook", True),
        ("text", "Playbook file", str(playbook)),
    )
    steps.run(s.wizard(prompts))
    replayed = tmp_path / "replayed"
    shutil.copytree(SAMPLES / "shared-selector", replayed)
    result = CliRunner().invoke(
        cli,
        ["run", str(playbook), "--manifests", str(replayed), "--yes", "--journal-dir", str(tmp_path / "j")],
        env={"WIMIGRATE_LAB_DIR": None, "NO_COLOR": "1"},
    )
    assert result.exit_code == 0, result.output
    wizard_files = {p.relative_to(s.root): p.read_bytes() for p in s.root.rglob("*") if p.is_file()}
    replay_files = {p.relative_to(replayed): p.read_bytes() for p in replayed.rglob("*") if p.is_file()}
    assert wizard_files == replay_files
    assert wizard_files != {
        p.relative_to(SAMPLES / "shared-selector"): p.read_bytes()
        for p in (SAMPLES / "shared-selector").rglob("*")
        if p.is_file()
    }

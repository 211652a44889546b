"""Playbook files: the shipped ones load, and every problem in a bad one is reported at its file and line."""

from __future__ import annotations

import os
import stat
import textwrap
from pathlib import Path

import pytest

from migrator.core.playbook import parse_playbook
from migrator.errors import InputError
from migrator.storage.playbooks import (
    PlaybookError,
    dump_playbook,
    line_of,
    load_playbook,
    require_target,
    save_playbook,
)

ROOT = Path(__file__).resolve().parent.parent
PLAYBOOKS = ROOT / "playbooks"
SHIPPED = sorted(PLAYBOOKS.glob("*.yaml"))

HEAD = """\
apiVersion: wimigrate.io/v1
kind: Playbook
metadata:
  name: t
"""
ORDER = (
    "phases run in the order discover, plan, export, rewrite, federate, serviceaccounts, workloads (or apply), "
    "verify, cleanup, retire-sidecar"
)


def write(tmp_path: Path, text: str, name: str = "pb.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def problems_of(path: str) -> list[str]:
    """The lines of the error after its header; the header names the file and the count."""
    with pytest.raises(PlaybookError) as caught:
        load_playbook(path)
    header, *lines = caught.value.message.splitlines()
    count = len(caught.value.problems)
    assert header == f"{path}: not a valid playbook ({count} problem{'s' if count != 1 else ''}):"
    assert lines == [str(p) for p in caught.value.problems]
    assert caught.value.hint and "playbooks/README.md" in caught.value.hint
    return lines


# --- the shipped playbooks ----------------------------------------------------------------------------------------


def test_five_playbooks_are_shipped():
    assert [p.name for p in SHIPPED] == [
        "aks-addon-removal.yaml",
        "gitops-pr.yaml",
        "legacy-sdk-sidecar.yaml",
        "modern-sdk.yaml",
        "retire-sidecar.yaml",
    ]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_playbook_loads_and_explains_itself(path: Path):
    playbook = load_playbook(path)
    assert playbook.name == path.stem
    assert playbook.description
    require_target(playbook)  # its target suits its phases as written
    text = path.read_text()
    comment = text[: text.index("apiVersion:")]
    assert comment.startswith(f"# {path.stem}: ")
    assert "Use it " in comment and "What it does" in comment
    assert all(line.startswith("#") or not line for line in comment.splitlines())
    assert load_playbook(path) == parse_playbook(playbook.to_dict())


def test_shipped_playbooks_say_what_the_brief_asked():
    phases = {p.stem: [(s.name, s.options) for s in load_playbook(p).steps] for p in SHIPPED}
    modern = load_playbook(PLAYBOOKS / "modern-sdk.yaml")
    assert [n for n, _ in phases["modern-sdk"]] == ["discover", "plan", "apply", "verify", "cleanup"]
    assert modern.options.mode == "label" and modern.target.cluster and not modern.target.namespaces
    assert modern.step("verify").options["tokenExchange"] is True
    assert modern.step("verify").options["wait"] == 300.0
    assert modern.step("cleanup").options["networkPolicy"] == "apply"

    legacy = load_playbook(PLAYBOOKS / "legacy-sdk-sidecar.yaml")
    assert legacy.options.mode == "sidecar"
    assert [n for n, _ in phases["legacy-sdk-sidecar"]] == ["discover", "plan", "apply", "verify", "cleanup"]

    retire = load_playbook(PLAYBOOKS / "retire-sidecar.yaml")
    assert [s.name for s in retire.steps] == ["verify", "retire-sidecar"]
    assert retire.step("retire-sidecar").options["workloads"] == ["orders/deployment/orders-legacy-sync"]

    gitops = load_playbook(PLAYBOOKS / "gitops-pr.yaml")
    assert gitops.target.manifests == ["samples/quickstart"] and gitops.target.cluster is False
    assert [s.name for s in gitops.steps] == ["discover", "plan", "export", "rewrite"]
    assert gitops.step("export").options == {"format": "terraform", "out": "federated.tf"}
    assert gitops.step("rewrite").options["phase"] == "migrate" and gitops.step("rewrite").options["write"] == "diff"

    addon = load_playbook(PLAYBOOKS / "aks-addon-removal.yaml")
    assert addon.step("cleanup").options["disableAddon"] is True
    assert addon.step("cleanup").options["networkPolicy"] == "apply"


def test_the_sidecar_workload_named_by_retire_sidecar_exists_in_the_quickstart():
    text = (ROOT / "samples/quickstart/apps/orders/orders-legacy-sync.yaml").read_text()
    assert "kind: Deployment" in text and "name: orders-legacy-sync" in text and "namespace: orders" in text


def test_the_readme_documents_every_key_and_playbook():
    from migrator.core.playbook import _OPTIONS, _TARGET, PHASE_OPTIONS

    readme = (PLAYBOOKS / "README.md").read_text()
    for key in [*_TARGET, *_OPTIONS, *(k for options in PHASE_OPTIONS.values() for k in options)]:
        assert f"`{key}`" in readme, key
    for phase in PHASE_OPTIONS:
        assert f"`{phase}`" in readme, phase
    for path in SHIPPED:
        assert f"({path.name})" in readme, path.name


# --- writing ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_save_then_load_gives_the_same_playbook(tmp_path: Path, path: Path):
    playbook = load_playbook(path)
    target = tmp_path / "saved.yaml"
    save_playbook(target, playbook)
    assert load_playbook(target) == playbook
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644
    assert target.read_text() == dump_playbook(playbook)


def test_dump_quotes_what_yaml_would_misread():
    playbook = parse_playbook(
        {
            "apiVersion": "wimigrate.io/v1",
            "kind": "Playbook",
            "metadata": {"name": "q"},
            "options": {"kubernetesVersion": "1.30", "clusterName": "yes", "serviceAccountName": "{workload}"},
            "phases": [{"verify": {"wait": 90}}],
        }
    )
    text = dump_playbook(playbook)
    assert "kubernetesVersion: '1.30'" in text and "clusterName: 'yes'" in text
    assert "wait: 1m30s" in text


# --- problems, each at its line -------------------------------------------------------------------------------------


def test_unknown_top_level_key(tmp_path: Path):
    path = write(tmp_path, HEAD + "colour: blue\nphases: [discover]\n")
    assert problems_of(path) == [
        f"{path}:5: colour: unknown key 'colour'; allowed: apiVersion, kind, metadata, target, options, phases"
    ]


def test_unknown_phase(tmp_path: Path):
    path = write(tmp_path, HEAD + "phases:\n  - discover\n  - verfy\n")
    assert problems_of(path) == [
        f"{path}:7: phases[1]: unknown phase 'verfy'; allowed: discover, plan, export, rewrite, federate, "
        "serviceaccounts, workloads, apply, verify, cleanup, retire-sidecar"
    ]


def test_bad_enum_value(tmp_path: Path):
    path = write(
        tmp_path,
        HEAD
        + textwrap.dedent(
            """\
            phases:
              - discover
              - cleanup:
                  networkPolicy: block
            """
        ),
    )
    assert problems_of(path) == [
        f"{path}:8: phases[1].cleanup.networkPolicy: the string 'block' is not allowed; allowed: none, apply, file"
    ]


def test_wrong_type(tmp_path: Path):
    path = write(
        tmp_path, HEAD + "target:\n  manifests: samples/quickstart\n  cluster: sometimes\nphases: [discover]\n"
    )
    assert problems_of(path) == [
        f"{path}:6: target.manifests: expected a list of paths, got the string 'samples/quickstart'; "
        "write [samples/quickstart]",
        f"{path}:7: target.cluster: expected true or false, got the string 'sometimes'",
    ]


def test_phases_out_of_order(tmp_path: Path):
    path = write(tmp_path, HEAD + "phases:\n  - discover\n  - verify\n  - apply\n")
    # the fewest phases are blamed; on a tie the earlier phase stays
    assert problems_of(path) == [f"{path}:8: phases[2]: 'apply' must come before 'verify' (phases[1]); {ORDER}"]
    path = write(tmp_path, HEAD + "phases:\n  - verify\n  - discover\n  - plan\n", "early.yaml")
    assert problems_of(path) == [f"{path}:6: phases[0]: 'verify' must come after 'plan' (phases[2]); {ORDER}"]


def test_duplicate_phase(tmp_path: Path):
    path = write(tmp_path, HEAD + "phases:\n  - discover\n  - plan\n  - plan:\n      out: plan.yaml\n")
    assert problems_of(path) == [
        f"{path}:8: phases[2]: 'plan' is listed twice (also phases[1]); a phase may appear once"
    ]


def test_apply_with_workloads(tmp_path: Path):
    path = write(tmp_path, HEAD + "phases: [discover, workloads, apply]\n")
    assert problems_of(path) == [
        f"{path}:5: phases[2]: 'apply' and 'workloads' (phases[1]) overlap: apply runs federate, serviceaccounts and "
        "workloads; list apply, or only the ones you want (such as workloads)"
    ]


def test_rewrite_with_apply(tmp_path: Path):
    path = write(
        tmp_path,
        HEAD
        + textwrap.dedent(
            """\
            target:
              manifests: [repo]
            phases:
              - rewrite:
                  write: in-place
              - apply
            """
        ),
    )
    assert problems_of(path) == [
        f"{path}:10: phases[1]: 'apply' and 'rewrite' (phases[0]) exclude each other: rewrite changes manifests for "
        "GitOps to roll out, apply changes the live cluster; keep one (rewrite + federate is fine)"
    ]


def test_export_without_out_points_at_the_phase(tmp_path: Path):
    path = write(tmp_path, HEAD + "phases:\n  - plan\n  - export:\n      format: terraform\n")
    assert problems_of(path) == [f"{path}:7: phases[1].export.out: required: the file to write, e.g. out: federated.tf"]


def test_a_missing_key_points_at_its_nearest_parent(tmp_path: Path):
    path = write(tmp_path, "apiVersion: wimigrate.io/v1\nkind: Playbook\nmetadata:\n  description: d\nphases: [plan]\n")
    assert problems_of(path) == [
        f"{path}:3: metadata.name: required: a name: lowercase letters, digits and '-', at most 63 characters"
    ]
    path = write(tmp_path, "\n\nkind: Playbook\nmetadata: {name: x}\nphases: [plan]\n", "top.yaml")
    assert problems_of(path) == [f"{path}:3: apiVersion: required: apiVersion: wimigrate.io/v1"]


def test_yaml_syntax_error_gives_its_line(tmp_path: Path):
    path = write(tmp_path, HEAD + "phases:\n  - discover\n  - verify:\n      wait: 5m\n     interval: 10s\n")
    with pytest.raises(InputError) as caught:
        load_playbook(path)
    assert caught.value.message.startswith(f"{path}:9: not valid YAML: ")
    path = write(tmp_path, HEAD + "phases: [discover, plan\n", "flow.yaml")
    with pytest.raises(InputError) as caught:
        load_playbook(path)
    assert caught.value.message == (
        f"{path}:6: not valid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 5)"
    )


def test_several_problems_are_reported_together_in_line_order(tmp_path: Path):
    path = write(
        tmp_path,
        textwrap.dedent(
            """\
        apiVersion: wimigrate.io/v2
        kind: Playbook
        metadata:
          name: Several
        options:
          mode: proxy
          kubernetesVersion: 1.30
          workloads:
            include: ["orders/Deploymnt/*"]
        phases:
          - discover
          - verify:
              wait: soon
              extra: 1
          - plan
          - retire-sidecar:
              workloads: [orders/legacy]
        """
        ),
    )
    assert problems_of(path) == [
        f"{path}:1: apiVersion: expected wimigrate.io/v1, got the string 'wimigrate.io/v2'",
        f"{path}:4: metadata.name: expected lowercase letters, digits and '-' (at most 63), got the string 'Several'",
        f"{path}:6: options.mode: the string 'proxy' is not allowed; allowed: label, sidecar",
        f'{path}:7: options.kubernetesVersion: quote the version: unquoted 1.3 is a number in YAML (write "1.30")',
        f"{path}:9: options.workloads.include[0]: 'orders/Deploymnt/*': 'Deploymnt' is not a workload kind "
        "(Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, Pod)",
        f"{path}:13: phases[1].verify.wait: 'soon' is not a duration (examples: 90, 90s, 5m, 1h30m)",
        f"{path}:14: phases[1].verify.extra: unknown key 'extra'; allowed: tokenExchange, wait, interval",
        f"{path}:15: phases[2]: 'plan' must come before 'verify' (phases[1]); {ORDER}",
        f"{path}:17: phases[3].retire-sidecar.workloads[0]: 'orders/legacy': give the workload as "
        "NAMESPACE/KIND/NAME, e.g. orders/deploy/orders-legacy-sync",
    ]


def test_duplicate_keys_are_problems(tmp_path: Path):
    path = write(tmp_path, HEAD + "phases: [discover]\ntarget:\n  lab: true\n  lab: false\n")
    assert problems_of(path) == [f"{path}:8: target.lab: duplicate key (first at line 7); each key may appear once"]


# --- files that are not playbooks -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        ("", ":1: the file is empty; a playbook is a mapping with keys apiVersion, kind, metadata, target, options"),
        ("# only a comment\n", ":1: the file is empty"),
        (
            "\n- discover\n- plan\n",
            ":2: a playbook is a mapping with keys apiVersion, kind, metadata, target, options, phases, got a list",
        ),
        (
            "just text\n",
            ":1: a playbook is a mapping with keys apiVersion, kind, metadata, target, options, phases, "
            "got the value 'just text'",
        ),
        (HEAD + "phases: [plan]\n---\nkind: Other\n", ":6: not valid YAML: but found another document"),
    ],
)
def test_files_that_are_not_a_playbook(tmp_path: Path, text: str, message: str):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load_playbook(path)
    assert caught.value.message.startswith(path + message), caught.value.message


def test_missing_and_unreadable_files(tmp_path: Path):
    with pytest.raises(InputError, match="no such playbook file"):
        load_playbook(tmp_path / "absent.yaml")
    with pytest.raises(InputError, match="is a directory"):
        load_playbook(tmp_path)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(InputError, match="not UTF-8"):
        load_playbook(binary)


# --- target checks after overrides, placed in the file ------------------------------------------------------------


def test_require_target_points_at_the_phase_line(tmp_path: Path):
    path = write(tmp_path, HEAD + "target:\n  cluster: false\n  manifests: [repo]\nphases:\n  - discover\n  - verify\n")
    playbook = load_playbook(path)
    with pytest.raises(PlaybookError) as caught:
        require_target(playbook)
    assert caught.value.message.splitlines()[1:] == [
        f"{path}:10: phases[1]: 'verify' works on a live cluster: set target.cluster: true or target.lab: true "
        "(or pass --context / --lab)"
    ]
    playbook.target.lab = True  # as --lab would
    require_target(playbook)


def test_require_target_without_a_file_names_the_playbook():
    playbook = parse_playbook(
        {"apiVersion": "wimigrate.io/v1", "kind": "Playbook", "metadata": {"name": "p"}, "phases": ["rewrite"]}
    )
    with pytest.raises(PlaybookError) as caught:
        require_target(playbook)
    assert caught.value.message.splitlines()[1] == (
        "playbook p: phases[0]: 'rewrite' edits manifest files: list them in target.manifests"
    )


def test_line_of_falls_back_to_the_parent():
    lines = {(): 1, ("phases",): 5, ("phases", 1): 7}
    assert line_of(lines, ("phases", 1, "verify", "wait")) == 7
    assert line_of(lines, ("target", "lab")) == 1
    assert line_of({}, ("x",)) == 0

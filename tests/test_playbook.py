"""Playbooks as data: defaults, every rule parse_playbook checks, the round trip, and what they feed the planner."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.core.durations import format_duration, parse_duration
from migrator.core.planner import PlanOptions
from migrator.core.playbook import (
    PHASE_OPTIONS,
    PHASE_ORDER,
    Options,
    Playbook,
    PlaybookInvalid,
    Problem,
    Step,
    Target,
    Workloads,
    check_target,
    expand,
    glob_matches,
    parse_playbook,
    selected,
)
from migrator.core.playbook_fields import dotted_path

CLUSTER_ID = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks"


def doc(phases: list[Any] | None = None, **sections: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "apiVersion": "wimigrate.io/v1",
        "kind": "Playbook",
        "metadata": {"name": "pb"},
        "phases": phases if phases is not None else ["discover", "plan"],
    }
    data.update(sections)
    return data


def problems(data: Any) -> list[str]:
    with pytest.raises(PlaybookInvalid) as caught:
        parse_playbook(data)
    assert str(caught.value) == "\n".join(str(p) for p in caught.value.problems)
    return [str(p) for p in caught.value.problems]


def only_problem(data: Any) -> str:
    found = problems(data)
    assert len(found) == 1, found
    return found[0]


# --- defaults ----------------------------------------------------------------------------------------------


def test_a_minimal_playbook_gets_every_default():
    playbook = parse_playbook(doc())
    assert playbook.name == "pb" and playbook.description == ""
    assert playbook.target == Target()
    assert playbook.target.cluster is True and playbook.target.manifests == [] and playbook.target.lab is False
    assert playbook.options == Options()
    assert playbook.options.workloads == Workloads(include=["*"], exclude=[])
    assert playbook.steps == [Step("discover", {}), Step("plan", {"out": None})]
    assert playbook.phases is playbook.steps


def test_phase_options_get_typed_defaults():
    names = ["discover", "plan", "export", "federate", "serviceaccounts", "workloads", "verify", "cleanup"]
    phases: list[Any] = [n if n != "export" else {"export": {"format": "json", "out": "x.json"}} for n in names]
    phases.append({"retire-sidecar": {"workloads": ["orders/deploy/legacy"]}})
    steps = {s.name: s.options for s in parse_playbook(doc(phases)).steps}
    assert steps["federate"] == {"propagationWait": 10.0, "force": False}
    assert steps["serviceaccounts"] == steps["workloads"] == steps["federate"]
    assert steps["verify"] == {"tokenExchange": False, "wait": 0.0, "interval": 10.0}
    assert steps["cleanup"] == {
        "disableAddon": False,
        "networkPolicy": "none",
        "networkPolicyFile": None,
        "force": False,
    }
    assert steps["retire-sidecar"] == {"workloads": ["orders/deploy/legacy"], "wait": 300.0, "tokenExchange": False}
    rewrite = parse_playbook(doc(["rewrite"])).steps[0].options
    assert rewrite == {"phase": "migrate", "write": "diff", "outDir": None, "workloads": []}
    apply = parse_playbook(doc([{"apply": None}])).steps[0]
    assert apply.options == {"propagationWait": 10.0, "force": False}
    assert expand(apply) == ("federate", "serviceaccounts", "workloads")
    assert expand(Step("verify")) == ("verify",)


def test_null_sections_mean_defaults():
    playbook = parse_playbook(doc(target=None, options=None))
    assert playbook.target == Target() and playbook.options == Options()


def test_every_phase_has_an_order_and_options():
    assert set(PHASE_ORDER) == set(PHASE_OPTIONS)
    assert PHASE_ORDER.index("workloads") < PHASE_ORDER.index("apply") < PHASE_ORDER.index("verify")


# --- the rules ---------------------------------------------------------------------------------------------


def test_api_version_kind_and_name():
    found = problems({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "Bad_Name"}, "phases": ["plan"]})
    assert found == [
        "apiVersion: expected wimigrate.io/v1, got the string 'v1'",
        "kind: expected Playbook, got the string 'Pod'",
        "metadata.name: expected lowercase letters, digits and '-' (at most 63), got the string 'Bad_Name'",
    ]
    assert "at most 63" in only_problem(doc(metadata={"name": "a" * 64}))
    assert parse_playbook(doc(metadata={"name": "a" * 63, "description": "d"})).description == "d"


def test_required_top_level_keys():
    assert problems({}) == [
        "apiVersion: required: apiVersion: wimigrate.io/v1",
        "kind: required: kind: Playbook",
        "metadata: required: metadata: {name: NAME}",
        "phases: required: phases: a list such as [discover, plan, apply, verify]",
    ]
    assert only_problem(doc(metadata={})) == (
        "metadata.name: required: a name: lowercase letters, digits and '-', at most 63 characters"
    )
    assert only_problem(doc([])) == "phases: expected a list of phases such as [discover, plan], got an empty list"


def test_a_top_level_that_is_not_a_mapping():
    assert only_problem(["discover"]).startswith("(top level): expected a mapping with keys apiVersion, kind")


@pytest.mark.parametrize(
    "data, expected",
    [
        (doc(colour=1), "colour: unknown key 'colour'; allowed: apiVersion, kind, metadata, target, options, phases"),
        (
            doc(metadata={"name": "x", "labels": {}}),
            "metadata.labels: unknown key 'labels'; allowed: name, description",
        ),
        (doc(target={"cluser": True}), "target.cluser: unknown key 'cluser'; allowed: manifests, cluster, context,"),
        (doc(options={"modes": "label"}), "options.modes: unknown key 'modes'; allowed: mode, workloadModes,"),
        (doc(options={"workloads": {"only": []}}), "options.workloads.only: unknown key 'only'; allowed: include,"),
        (doc([{"verify": {"timeout": 1}}]), "phases[0].verify.timeout: unknown key 'timeout'; allowed: tokenExchange,"),
        (doc([{"discover": {"all": True}}]), "phases[0].discover.all: unknown key 'all'; discover takes no options"),
    ],
)
def test_unknown_keys_name_the_allowed_ones(data, expected):
    assert only_problem(data).startswith(expected)


@pytest.mark.parametrize(
    "section, key, value, expected",
    [
        ("target", "cluster", "yes", "expected true or false, got the string 'yes'"),
        ("target", "manifests", "repo", "expected a list of paths, got the string 'repo'; write [repo]"),
        ("target", "namespaces", ["Bad"], "'Bad' is not a namespace name (lowercase letters, digits and '-')"),
        ("target", "context", 3, "expected a kubeconfig context name, got the number 3"),
        ("target", "clusterId", "aks", "expected an AKS cluster resource id"),
        ("options", "mode", "proxy", "the string 'proxy' is not allowed; allowed: label, sidecar"),
        ("options", "proxyPort", 0, "expected a whole number 1..65535, got the number 0"),
        ("options", "proxyPort", 80.5, "expected a whole number 1..65535, got the number 80.5"),
        ("options", "tokenExpiration", 60, "expected a whole number 3600..86400, got the number 60"),
        ("options", "tokenExpiration", True, "expected a whole number 3600..86400, got true"),
        ("options", "tenantId", "tenant", "'tenant' is not a GUID"),
        ("options", "issuer", "http://x", "expected the OIDC issuer URL (https://...)"),
        ("options", "clusterName", None, "expected a string, got null"),
        ("options", "forceNamespaced", 1, "expected true or false, got the number 1"),
        ("options", "kubernetesVersion", 1.3, 'quote the version: unquoted 1.3 is a number in YAML (write "1.30")'),
        ("options", "kubernetesVersion", "latest", 'expected MAJOR.MINOR as a string, for example "1.31"'),
        ("options", "serviceAccountName", "{app}", "unknown token {app} in pattern '{app}'; allowed: {identity},"),
        ("options", "serviceAccountName", "{identity", "'{identity' is not a valid pattern"),
        ("options", "serviceAccountName", "", "expected a naming pattern such as '{identity}', got the string ''"),
        ("options", "credentialName", "{workload}", "unknown token {workload} in pattern '{workload}'; allowed: {clu"),
        ("options", "workloadModes", ["a"], "expected a mapping of workload glob -> mode, got a list"),
        ("options", "identityFor", {"a/b/c": "id"}, "expected [NS/]SELECTOR, got the string 'a/b/c'"),
        ("options", "identityFor", {"sel": ""}, "expected an identity name (or NS/NAME), got the string ''"),
    ],
)
def test_wrong_types_and_values(section, key, value, expected):
    message = only_problem(doc(**{section: {key: value}}))
    path, _, text = message.partition(": ")
    assert path.startswith(f"{section}.{key}"), path
    assert text.startswith(expected), text


def test_workload_modes_and_identity_for_are_checked_per_entry():
    found = problems(doc(options={"workloadModes": {"legacy/*": "sidecar", "a/deployment/b": "label", "c/*": "x"}}))
    assert found == [
        "options.workloadModes[\"a/deployment/b\"]: 'a/deployment/b': write the kind as 'Deployment' "
        "(compared exactly here)",
        "options.workloadModes[\"c/*\"]: the string 'x' is not allowed; allowed: label, sidecar",
    ]
    options = parse_playbook(
        doc(options={"workloadModes": {"legacy/*": "sidecar", "a/Deployment/b": "label"}, "identityFor": {"n/s": "i"}})
    ).options
    assert list(options.workload_modes) == ["legacy/*", "a/Deployment/b"]  # first match wins: order kept
    assert options.identity_for == {"n/s": "i"}


def test_workload_globs_are_checked():
    found = problems(doc(options={"workloads": {"include": [], "exclude": ["a/Foo/b", "a/b/c/d", 3]}}))
    assert found == [
        "options.workloads.include: must name at least one glob; ['*'] covers every workload",
        "options.workloads.exclude[0]: 'a/Foo/b': 'Foo' is not a workload kind (Deployment, StatefulSet, DaemonSet, "
        "ReplicaSet, ReplicationController, Job, CronJob, Pod)",
        "options.workloads.exclude[1]: 'a/b/c/d': a workload glob is NS/KIND/NAME, NS/NAME or * (at most 2 '/')",
        "options.workloads.exclude[2]: expected a workload glob NS/KIND/NAME (or NS/NAME, or *), got the number 3",
    ]


@pytest.mark.parametrize(
    "step, expected",
    [
        ({"verify": {"wait": "5x"}}, "phases[0].verify.wait: '5x' is not a duration (examples: 90, 90s, 5m, 1h30m)"),
        ({"verify": {"wait": -1}}, "phases[0].verify.wait: -1 is not a duration: seconds must be a finite number"),
        ({"verify": {"interval": "0s"}}, "phases[0].verify.interval: '0s': must be more than 0 (examples: 10s, 1m)"),
        ({"verify": {"tokenExchange": "on"}}, "phases[0].verify.tokenExchange: expected true or false, got the st"),
        (
            {"verify": ["wait"]},
            "phases[0].verify: expected a mapping (keys: tokenExchange, wait, interval), got a list",
        ),
        ({"apply": {"propagationWait": "10s"}}, "phases[0].apply.propagationWait: expected a number of seconds, 0 or"),
        ({"federate": {"propagationWait": -2}}, "phases[0].federate.propagationWait: expected a number of seconds,"),
        ({"cleanup": {"networkPolicy": "yes"}}, "phases[0].cleanup.networkPolicy: the string 'yes' is not allowed; "),
        ({"cleanup": {"networkPolicy": "file"}}, "phases[0].cleanup.networkPolicyFile: required with networkPolicy: f"),
        ({"cleanup": {"networkPolicyFile": "np.yaml"}}, "phases[0].cleanup.networkPolicyFile: used only with network"),
        ({"export": {"format": "arm", "out": "x"}}, "phases[0].export.format: the string 'arm' is not allowed; allow"),
        ({"export": {"format": "az"}}, "phases[0].export.out: required: the file to write, e.g. out: federated.tf"),
        ({"rewrite": {"write": "out-dir"}}, "phases[0].rewrite.outDir: required with write: out-dir"),
        ({"rewrite": {"outDir": "x"}}, "phases[0].rewrite.outDir: used only with write: out-dir (write is diff)"),
        ({"rewrite": {"phase": "remove"}}, "phases[0].rewrite.phase: the string 'remove' is not allowed; allowed: mi"),
        ({"retire-sidecar": {}}, "phases[0].retire-sidecar.workloads: required: the workloads whose sidecar to"),
        ({"retire-sidecar": {"workloads": []}}, "phases[0].retire-sidecar.workloads: must name at least one workload"),
        ({"retire-sidecar": {"workloads": ["orders/x"]}}, "phases[0].retire-sidecar.workloads[0]: 'orders/x': give"),
        ({"plan": {"out": ""}}, "phases[0].plan.out: expected a path, got the string ''"),
        ("verfy", "phases[0]: unknown phase 'verfy'; allowed: discover, plan, export, rewrite, federate,"),
        ({"a": {}, "b": {}}, "phases[0]: a phase is a name or a mapping with one key, the phase name; got keys a, b"),
        (7, "phases[0]: expected a phase name or {name: {options}}, got the number 7"),
    ],
)
def test_phase_options(step, expected):
    assert only_problem(doc([step])).startswith(expected)


def test_step_options_are_typed():
    steps = parse_playbook(
        doc(
            [
                {"apply": {"propagationWait": 3, "force": True}},
                {"verify": {"wait": "1h30m", "interval": 5, "tokenExchange": True}},
                {"cleanup": {"networkPolicy": "file", "networkPolicyFile": "-"}},
            ]
        )
    ).steps
    assert steps[0].options == {"propagationWait": 3.0, "force": True}
    assert steps[1].options == {"tokenExchange": True, "wait": 5400.0, "interval": 5.0}
    assert steps[2].options["networkPolicyFile"] == "-"


ORDER_HINT = (
    "phases run in the order discover, plan, export, rewrite, federate, serviceaccounts, workloads (or apply), "
    "verify, cleanup, retire-sidecar"
)


def test_phases_out_of_order_blame_the_fewest():
    assert problems(doc(["plan", "discover"])) == [
        f"phases[1]: 'discover' must come before 'plan' (phases[0]); {ORDER_HINT}"
    ]
    assert problems(doc(["verify", "discover", "plan", "apply"])) == [
        f"phases[0]: 'verify' must come after 'apply' (phases[3]); {ORDER_HINT}"
    ]
    assert problems(doc(["discover", "cleanup", "verify"])) == [
        f"phases[2]: 'verify' must come before 'cleanup' (phases[1]); {ORDER_HINT}"
    ]


def test_a_phase_appears_once():
    assert problems(doc(["discover", "verify", "verify"])) == [
        "phases[2]: 'verify' is listed twice (also phases[1]); a phase may appear once"
    ]


def test_apply_excludes_its_parts_but_the_parts_combine():
    assert problems(doc(["federate", "apply"])) == [
        "phases[1]: 'apply' and 'federate' (phases[0]) overlap: apply runs federate, serviceaccounts and workloads; "
        "list apply, or only the ones you want (such as federate)"
    ]
    assert problems(doc(["apply", "workloads"]))[0].startswith("phases[1]: 'workloads' and 'apply' (phases[0]) overlap")
    steps = parse_playbook(doc(["federate", "serviceaccounts", "workloads", "verify"])).steps
    assert [s.name for s in steps] == ["federate", "serviceaccounts", "workloads", "verify"]


def test_rewrite_excludes_live_changes_but_not_federate():
    assert problems(doc(["rewrite", "serviceaccounts"])) == [
        "phases[1]: 'serviceaccounts' and 'rewrite' (phases[0]) exclude each other: rewrite changes manifests for "
        "GitOps to roll out, serviceaccounts changes the live cluster; keep one (rewrite + federate is fine)"
    ]
    assert len(problems(doc(["rewrite", "apply"]))) == 1
    assert [s.name for s in parse_playbook(doc(["discover", "rewrite", "federate"])).steps] == [
        "discover",
        "rewrite",
        "federate",
    ]


def test_a_step_with_bad_options_still_counts_for_the_order():
    found = problems(doc(["plan", {"discover": {"x": 1}}]))
    assert found == [
        "phases[1].discover.x: unknown key 'x'; discover takes no options",
        f"phases[1]: 'discover' must come before 'plan' (phases[0]); {ORDER_HINT}",
    ]


def test_every_problem_is_reported_at_once():
    data = doc(
        ["discover", {"verify": {"wait": "soon"}}, "nope", "verify"],
        colour="blue",
        target={"lab": "maybe"},
        options={"mode": "both"},
    )
    found = problems(data)
    assert [f.split(":")[0] for f in found] == [
        "colour",
        "target.lab",
        "options.mode",
        "phases[1].verify.wait",
        "phases[2]",
        "phases[3]",
    ]


def test_dotted_paths():
    assert dotted_path(("phases", 2, "verify", "wait")) == "phases[2].verify.wait"
    assert dotted_path(("options", "workloadModes", 'a/"b"')) == 'options.workloadModes["a/\\"b\\""]'
    assert dotted_path(("phases", 0, "retire-sidecar", "workloads", 1)) == "phases[0].retire-sidecar.workloads[1]"
    assert dotted_path(()) == "(top level)"
    assert str(Problem(("target", "lab"), "bad")) == "target.lab: bad"


# --- target checks (after command-line overrides) -------------------------------------------------------------


def test_cluster_phases_need_a_cluster_and_rewrite_needs_manifests():
    playbook = parse_playbook(doc(["discover", "rewrite", "federate", "verify"], target={"cluster": False}))
    assert [str(p) for p in check_target(playbook)] == [
        "target: nothing to read: set target.manifests, target.cluster: true or target.lab: true",
        "phases[1]: 'rewrite' edits manifest files: list them in target.manifests",
        "phases[3]: 'verify' works on a live cluster: set target.cluster: true or target.lab: true "
        "(or pass --context / --lab)",
    ]
    playbook.target.lab = True
    playbook.target.manifests = ["repo"]
    assert check_target(playbook) == []


def test_lab_only_keys_do_not_stop_a_run_on_a_real_cluster():
    playbook = parse_playbook(doc(target={"labSeed": "samples/docs-demo", "labAksAddon": True}))
    assert playbook.target.lab_seed == "samples/docs-demo" and playbook.target.lab_aks_addon is True
    assert check_target(playbook) == []


# --- plan options ---------------------------------------------------------------------------------------------------


def test_plan_options_map_every_option():
    playbook = parse_playbook(
        doc(
            options={
                "mode": "sidecar",
                "workloadModes": {"legacy/*": "label"},
                "issuer": "https://issuer.example/t/c/",
                "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
                "tokenExpiration": 7200,
                "proxyPort": 8080,
                "serviceAccountName": "{workload}",
                "credentialName": "{cluster}-{serviceAccount}",
                "clusterName": "prod",
                "forceNamespaced": True,
                "identityFor": {"my-app/foo": "id-a"},
                "kubernetesVersion": "1.30",
            },
            target={"clusterId": CLUSTER_ID},
        )
    )
    assert playbook.plan_options() == PlanOptions(
        issuer="https://issuer.example/t/c/",
        mode="sidecar",
        workload_modes={"legacy/*": "label"},
        force_namespaced=True,
        tenant_id="72f988bf-86f1-41af-91ab-2d7cd011db47",
        token_expiration=7200,
        proxy_port=8080,
        sa_name_pattern="{workload}",
        fic_name_pattern="{cluster}-{serviceAccount}",
        cluster_name="prod",
        kubernetes_version=(1, 30),
        identity_for={"my-app/foo": "id-a"},
    )
    assert parse_playbook(doc()).plan_options() == PlanOptions()
    assert parse_playbook(doc(options={"kubernetesVersion": "v1.32.4"})).plan_options().kubernetes_version == (1, 32)


# --- selection ------------------------------------------------------------------------------------------------------


def test_selection_globs():
    playbook = parse_playbook(
        doc(options={"workloads": {"include": ["orders/*", "payments/deploy/payments-*"], "exclude": ["*/*/*-sync"]}})
    )
    assert selected(playbook, "orders", "StatefulSet", "orders-processor")
    assert not selected(playbook, "orders", "Deployment", "orders-legacy-sync")  # excluded
    assert selected(playbook, "payments", "Deployment", "payments-api")  # kubectl's short kind
    assert not selected(playbook, "payments", "CronJob", "payments-settlement")
    assert not selected(playbook, "platform", "Deployment", "cost-exporter")
    assert selected(parse_playbook(doc()), "any", "Pod", "thing")


@pytest.mark.parametrize(
    "pattern, matches",
    [
        ("orders/deployment/orders-legacy-sync", True),
        ("orders/DEPLOYMENT/orders-legacy-sync", True),
        ("orders/deployments/orders-legacy-sync", True),
        ("orders/Deploy*/orders-*", True),
        ("orders/deploy*/orders-*", True),
        ("orders/StatefulSet/orders-legacy-sync", False),
        ("Orders/Deployment/orders-legacy-sync", False),  # namespaces and names are case-sensitive
        ("orders/Deployment/Orders-legacy-sync", False),
        ("orders/orders-legacy-sync", True),
        ("*/orders-*", True),
        ("orders/*", True),
        ("*", True),
        ("payments/*", False),
    ],
)
def test_glob_matches(pattern, matches):
    assert glob_matches(pattern, "orders", "Deployment", "orders-legacy-sync") is matches


# --- durations --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, seconds",
    [
        ("90", 90.0),
        ("90s", 90.0),
        ("5m", 300.0),
        ("1h30m", 5400.0),
        (" 2M ", 120.0),
        ("1.5s", 1.5),
        (45, 45.0),
        (0, 0.0),
    ],
)
def test_parse_duration(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["", "5x", "m5", "5m30", "1h 2m", "-5s", -1, float("inf"), True, None, [5]])
def test_parse_duration_refuses(value):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(value)


def test_the_cli_reads_durations_with_the_same_function():
    from migrator.cli.durations import Duration
    from migrator.cli.durations import parse_duration as cli_parse

    assert cli_parse is parse_duration
    assert Duration().convert("5m", None, None) == 300.0


@given(st.integers(min_value=0, max_value=10**7) | st.floats(min_value=0, max_value=1e7, allow_nan=False))
def test_format_duration_reads_back(seconds):
    assert parse_duration(format_duration(seconds)) == seconds


def test_format_duration_is_short():
    assert [format_duration(s) for s in (0, 90, 300, 5400, 3600, 1.5)] == ["0s", "1m30s", "5m", "1h30m", "1h", 1.5]


# --- round trip -----------------------------------------------------------------------------------------------------


def test_to_dict_writes_phase_options_that_differ_and_durations_as_text():
    playbook = parse_playbook(
        doc(["discover", {"plan": {"out": None}}, {"verify": {"wait": 300, "tokenExchange": True}}])
    )
    data = playbook.to_dict()
    assert data["phases"] == ["discover", "plan", {"verify": {"tokenExchange": True, "wait": "5m"}}]
    assert data["target"]["cluster"] is True and "labSeed" in data["target"]
    assert data["options"]["workloads"] == {"include": ["*"], "exclude": []}
    compact = playbook.to_dict(compact=True)
    assert "target" not in compact and "options" not in compact
    assert parse_playbook(data) == parse_playbook(compact) == playbook


def test_required_phase_options_are_always_written():
    playbook = parse_playbook(doc([{"retire-sidecar": {"workloads": ["a/deploy/b"], "wait": "5m"}}]))
    assert playbook.to_dict()["phases"] == [{"retire-sidecar": {"workloads": ["a/deploy/b"]}}]


def test_parse_does_not_modify_its_input():
    data = doc([{"verify": {"wait": "5m"}}], options={"workloadModes": {"a/*": "sidecar"}})
    before = copy.deepcopy(data)
    playbook = parse_playbook(data)
    playbook.options.workload_modes["b/*"] = "label"
    assert data == before


names = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
paths = st.text("abcxyz/._-", min_size=1, max_size=12)
durations = st.one_of(st.integers(0, 10**6), st.sampled_from(["90s", "5m", "1h30m", "0s", "2h"]))
globs = st.sampled_from(["*", "orders/*", "*/Deployment/*", "a/deploy/b", "ns/name"])
exact_globs = st.sampled_from(["*", "orders/*", "*/Deployment/*", "a/CronJob/b", "ns/name"])


@st.composite
def phase_lists(draw: st.DrawFn) -> list[Any]:
    """Phases in order, without the combinations that exclude each other."""
    live = draw(st.sampled_from(["apply", "parts", "rewrite", "none"]))
    chosen: list[Any] = []
    if draw(st.booleans()):
        chosen.append("discover")
    if draw(st.booleans()):
        chosen.append({"plan": {"out": draw(st.none() | paths)}})
    if draw(st.booleans()):
        chosen.append({"export": {"format": draw(st.sampled_from(["az", "terraform", "bicep", "json"])), "out": "f"}})
    if live == "rewrite":
        write = draw(st.sampled_from(["diff", "in-place", "out-dir"]))
        options = {"phase": draw(st.sampled_from(["migrate", "cleanup", "remove-sidecar"])), "write": write}
        if write == "out-dir":
            options["outDir"] = draw(paths)
        chosen.append({"rewrite": {**options, "workloads": draw(st.lists(globs, max_size=2))}})
    apply_options = st.fixed_dictionaries({}, optional={"propagationWait": st.integers(0, 60), "force": st.booleans()})
    if live == "apply":
        chosen.append({"apply": draw(apply_options)})
    elif live == "parts":
        chosen.extend(
            {p: draw(apply_options)} for p in ("federate", "serviceaccounts", "workloads") if draw(st.booleans())
        )
    elif draw(st.booleans()):
        chosen.append({"federate": draw(apply_options)})
    if draw(st.booleans()):
        chosen.append({"verify": {"tokenExchange": draw(st.booleans()), "wait": draw(durations), "interval": "10s"}})
    if draw(st.booleans()):
        policy = draw(st.sampled_from(["none", "apply", "file"]))
        cleanup = {"disableAddon": draw(st.booleans()), "networkPolicy": policy, "force": draw(st.booleans())}
        if policy == "file":
            cleanup["networkPolicyFile"] = draw(paths)
        chosen.append({"cleanup": cleanup})
    if draw(st.booleans()):
        refs = st.lists(st.sampled_from(["orders/deploy/x", "a/Deployment/b", "c/sts/d"]), min_size=1, max_size=3)
        chosen.append({"retire-sidecar": {"workloads": draw(refs), "wait": draw(durations)}})
    return chosen or ["discover"]


playbooks = st.builds(
    doc,
    phase_lists(),
    metadata=st.fixed_dictionaries({"name": names}, optional={"description": st.text(max_size=20)}),
    target=st.fixed_dictionaries(
        {},
        optional={
            "manifests": st.lists(paths, max_size=2),
            "cluster": st.booleans(),
            "context": st.none() | names,
            "namespaces": st.lists(names, max_size=2),
            "clusterId": st.none() | st.just(CLUSTER_ID),
            "lab": st.booleans(),
            "labSeed": st.none() | paths,
        },
    ),
    options=st.fixed_dictionaries(
        {},
        optional={
            "mode": st.sampled_from(["label", "sidecar"]),
            "workloadModes": st.dictionaries(exact_globs, st.sampled_from(["label", "sidecar"]), max_size=2),
            "tokenExpiration": st.none() | st.integers(3600, 86400),
            "proxyPort": st.integers(1, 65535),
            "serviceAccountName": st.sampled_from(["{identity}", "{workload}-sa", "{namespace}-{selector}"]),
            "credentialName": st.none() | st.sampled_from(["{cluster}-{namespace}-{serviceAccount}", "{identity}"]),
            "clusterName": st.text("abc-", max_size=5),
            "forceNamespaced": st.booleans(),
            "identityFor": st.dictionaries(st.sampled_from(["sel", "ns/sel"]), names, max_size=2),
            "kubernetesVersion": st.none() | st.sampled_from(["1.30", "1.32", "v1.29"]),
            "workloads": st.fixed_dictionaries(
                {},
                optional={"include": st.lists(globs, min_size=1, max_size=2), "exclude": st.lists(globs, max_size=2)},
            ),
        },
    ),
)


@settings(max_examples=100, deadline=None)
@given(playbooks)
def test_round_trip(data):
    playbook = parse_playbook(data)
    assert isinstance(playbook, Playbook)
    assert parse_playbook(playbook.to_dict()) == playbook
    assert parse_playbook(playbook.to_dict(compact=True)) == playbook

"""Playbooks: one migration described as data, checked completely before anything runs (pure).

A playbook says where (``target``), what shapes the plan (``options``) and which phases run in which order
(``phases``). ``parse_playbook`` turns plain data (YAML already constructed) into dataclasses with every
default filled in, or raises ``PlaybookInvalid`` listing every problem at once, each with the key path it is
about so a loader can point at the file's line. The format is documented in ``playbooks/README.md``.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from migrator.core import playbook_fields as F
from migrator.core.durations import format_duration
from migrator.core.naming import FIC_TOKENS, SA_TOKENS
from migrator.core.plan import DEFAULT_PROXY_PORT, MODES
from migrator.core.planner import PlanOptions
from migrator.core.playbook_fields import Check, Path, PlaybookInvalid, Problem

API_VERSION = "wimigrate.io/v1"
KIND = "Playbook"

APPLY = "apply"
APPLY_PARTS = ("federate", "serviceaccounts", "workloads")
PHASE_ORDER = (
    "discover",
    "plan",
    "export",
    "rewrite",
    "federate",
    "serviceaccounts",
    "workloads",
    APPLY,
    "verify",
    "cleanup",
    "retire-sidecar",
)
"""Every phase name in the order phases run; ``apply`` stands for federate, serviceaccounts and workloads."""
CLUSTER_PHASES = ("serviceaccounts", "workloads", APPLY, "verify", "cleanup", "retire-sidecar")
"""Phases that read or change a live cluster (they need ``target.cluster`` or ``target.lab``)."""
LIVE_CHANGE_PHASES = ("serviceaccounts", "workloads", APPLY)
"""Phases that change Kubernetes objects in the cluster: they exclude ``rewrite``, which changes manifests."""

EXPORT_FORMATS = ("az", "terraform", "bicep", "json")
REWRITE_PHASES = ("migrate", "cleanup", "remove-sidecar")
REWRITE_WRITES = ("diff", "in-place", "out-dir")
NETWORK_POLICIES = ("none", "apply", "file")
DEFAULT_PROPAGATION_WAIT = 10.0
DEFAULT_INTERVAL = 10.0
DEFAULT_RETIRE_WAIT = 300.0

_ORDER_TEXT = (
    "discover, plan, export, rewrite, federate, serviceaccounts, workloads (or apply), verify, cleanup, retire-sidecar"
)

# --- the model ----------------------------------------------------------------------------------------------


@dataclass
class Target:
    """Where the migration happens; command-line options (``--lab``, ``--context`` ...) override these."""

    manifests: list[str] = field(default_factory=list)
    cluster: bool = True
    context: str | None = None
    kubeconfig: str | None = None
    namespaces: list[str] = field(default_factory=list)
    """Empty: every namespace."""
    cluster_id: str | None = None
    lab: bool = False
    lab_seed: str | None = None
    lab_aks_addon: bool = False
    """A throwaway lab seeded as the AKS pod identity add-on would be (podIdentityProfile, managed CRs).

    ``lab_seed`` and ``lab_aks_addon`` shape a lab only and are ignored otherwise, so one playbook serves a
    rehearsal (``--lab``) and the real cluster."""


@dataclass
class Workloads:
    """Which workloads the migration covers: ``NS/KIND/NAME`` (or ``NS/NAME``) globs, KIND case-insensitive."""

    include: list[str] = field(default_factory=lambda: ["*"])
    exclude: list[str] = field(default_factory=list)

    def selects(self, namespace: str, kind: str, name: str) -> bool:
        return any(glob_matches(p, namespace, kind, name) for p in self.include) and not any(
            glob_matches(p, namespace, kind, name) for p in self.exclude
        )


@dataclass
class Options:
    """What shapes the plan: the playbook form of ``wimigrate plan``'s options."""

    mode: str = "label"
    workload_modes: dict[str, str] = field(default_factory=dict)
    issuer: str | None = None
    tenant_id: str | None = None
    token_expiration: int | None = None
    proxy_port: int = DEFAULT_PROXY_PORT
    service_account_name: str = "{identity}"
    credential_name: str | None = None
    cluster_name: str = ""
    force_namespaced: bool = False
    identity_for: dict[str, str] = field(default_factory=dict)
    kubernetes_version: str | None = None
    """As written (``"1.30"``); ``Playbook.plan_options`` turns it into ``(1, 30)``."""
    workloads: Workloads = field(default_factory=Workloads)


@dataclass
class Step:
    """One phase and its options, keyed as in the file (camelCase), every default filled in.

    Durations (``wait``, ``interval``) are float seconds; ``propagationWait`` is float seconds.
    """

    name: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Playbook:
    name: str
    description: str = ""
    target: Target = field(default_factory=Target)
    options: Options = field(default_factory=Options)
    steps: list[Step] = field(default_factory=list)
    """The ``phases`` of the file, in order."""
    source: str | None = field(default=None, compare=False, repr=False)
    """The file it was read from (set by the loader)."""
    lines: dict[Path, int] = field(default_factory=dict, compare=False, repr=False)
    """Key path -> 1-based line in ``source`` (set by the loader), to place problems found later."""

    @property
    def phases(self) -> list[Step]:
        """The same list as ``steps`` (the file's key is ``phases``)."""
        return self.steps

    def step(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.name == name), None)

    def plan_options(self) -> PlanOptions:
        o = self.options
        return PlanOptions(
            issuer=o.issuer,
            mode=o.mode,
            workload_modes=dict(o.workload_modes),
            force_namespaced=o.force_namespaced,
            tenant_id=o.tenant_id,
            token_expiration=o.token_expiration,
            proxy_port=o.proxy_port,
            sa_name_pattern=o.service_account_name,
            fic_name_pattern=o.credential_name,
            cluster_name=o.cluster_name,
            kubernetes_version=kubernetes_version(o.kubernetes_version),
            identity_for=dict(o.identity_for),
        )

    def to_dict(self, compact: bool = False) -> dict[str, Any]:
        """Plain data ``parse_playbook`` reads back to an equal playbook.

        Target and options are written in full (a saved file shows every knob) unless ``compact``; phase
        options only where they differ from the defaults, and a phase without any as its bare name.
        """
        metadata: dict[str, Any] = {"name": self.name}
        if self.description:
            metadata["description"] = self.description
        data: dict[str, Any] = {"apiVersion": API_VERSION, "kind": KIND, "metadata": metadata}
        target = _section_to_dict(_TARGET, self.target, compact)
        options = _section_to_dict(_OPTIONS, self.options, compact)
        if target or not compact:
            data["target"] = target
        if options or not compact:
            data["options"] = options
        data["phases"] = [_step_to_dict(step) for step in self.steps]
        return data


# --- sections: key -> (check, default, required) -------------------------------------------------------------


@dataclass(frozen=True)
class _Key:
    check: Check
    default: Any = None
    required: str = ""
    """Non-empty: the key is required and this says what to write."""
    dump: Callable[[Any], Any] | None = None
    """Value -> plain data for ``to_dict`` (durations back to text)."""
    factory: Callable[[], Any] | None = None
    """Makes the default when it is an object (``Workloads()``)."""


def _snake(key: str) -> str:
    """The dataclass attribute of a file key (``clusterId`` -> ``cluster_id``)."""
    return re.sub(r"([A-Z])", r"_\1", key).lower()


_paths = F.list_of(F.text("a path"), "paths")

_TARGET: dict[str, _Key] = {
    "manifests": _Key(_paths, []),
    "cluster": _Key(F.boolean, True),
    "context": _Key(F.nullable(F.text("a kubeconfig context name")), None),
    "kubeconfig": _Key(F.nullable(F.text("a path")), None),
    "namespaces": _Key(
        F.list_of(F.text("a namespace name", F.NAMESPACE, " (lowercase letters, digits and '-')"), "namespaces"), []
    ),
    "clusterId": _Key(F.nullable(F.cluster_id_text), None),
    "lab": _Key(F.boolean, False),
    "labSeed": _Key(F.nullable(F.text("a path")), None),
    "labAksAddon": _Key(F.boolean, False),
}

_WORKLOADS: dict[str, _Key] = {
    "include": _Key(
        F.list_of(F.glob(), "workload globs", "must name at least one glob; ['*'] covers every workload"), ["*"]
    ),
    "exclude": _Key(F.list_of(F.glob(), "workload globs"), []),
}


def _workloads(value: Any, path: Path, problems: list[Problem]) -> Any:
    values = _section(value, path, _WORKLOADS, problems, "options.workloads")
    return F.INVALID if values is F.INVALID else Workloads(**_attrs(values))


_OPTIONS: dict[str, _Key] = {
    "mode": _Key(F.choice(MODES), "label"),
    "workloadModes": _Key(F.mapping_of(F.glob(exact_kind=True), F.choice(MODES), "workload glob -> mode"), {}),
    "issuer": _Key(F.nullable(F.issuer), None),
    "tenantId": _Key(F.nullable(F.text("a GUID", F.GUID, " (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")), None),
    "tokenExpiration": _Key(F.nullable(F.int_range(3600, 86400)), None),
    "proxyPort": _Key(F.int_range(1, 65535), DEFAULT_PROXY_PORT),
    "serviceAccountName": _Key(F.pattern(SA_TOKENS), "{identity}"),
    "credentialName": _Key(F.pattern(FIC_TOKENS, nullable=True), None),
    "clusterName": _Key(F.any_text, ""),
    "forceNamespaced": _Key(F.boolean, False),
    "identityFor": _Key(
        F.mapping_of(
            F.name_key("[NS/]SELECTOR", 1), F.name_key("an identity name (or NS/NAME)", 1), "[NS/]SELECTOR -> identity"
        ),
        {},
    ),
    "kubernetesVersion": _Key(F.nullable(F.version_text), None),
    "workloads": _Key(
        _workloads, dump=lambda w: {"include": list(w.include), "exclude": list(w.exclude)}, factory=Workloads
    ),
}

_METADATA: dict[str, _Key] = {
    "name": _Key(F.playbook_name, required="a name: lowercase letters, digits and '-', at most 63 characters"),
    "description": _Key(F.any_text, ""),
}

_APPLY_OPTIONS: dict[str, _Key] = {
    "propagationWait": _Key(F.seconds, DEFAULT_PROPAGATION_WAIT),
    "force": _Key(F.boolean, False),
}
PHASE_OPTIONS: dict[str, dict[str, _Key]] = {
    "discover": {},
    "plan": {"out": _Key(F.nullable(F.text("a path")), None)},
    "export": {
        "format": _Key(F.choice(EXPORT_FORMATS), required=f"the export format: one of {', '.join(EXPORT_FORMATS)}"),
        "out": _Key(F.text("a path"), required="the file to write, e.g. out: federated.tf"),
    },
    "rewrite": {
        "phase": _Key(F.choice(REWRITE_PHASES), "migrate"),
        "write": _Key(F.choice(REWRITE_WRITES), "diff"),
        "outDir": _Key(F.nullable(F.text("a path")), None),
        "workloads": _Key(F.list_of(F.glob(), "workload globs"), []),
    },
    "federate": _APPLY_OPTIONS,
    "serviceaccounts": _APPLY_OPTIONS,
    "workloads": _APPLY_OPTIONS,
    APPLY: _APPLY_OPTIONS,
    "verify": {
        "tokenExchange": _Key(F.boolean, False),
        "wait": _Key(F.duration(), 0.0, dump=format_duration),
        "interval": _Key(F.duration(positive=True), DEFAULT_INTERVAL, dump=format_duration),
    },
    "cleanup": {
        "disableAddon": _Key(F.boolean, False),
        "networkPolicy": _Key(F.choice(NETWORK_POLICIES), "none"),
        "networkPolicyFile": _Key(F.nullable(F.text("a path")), None),
        "force": _Key(F.boolean, False),
    },
    "retire-sidecar": {
        "workloads": _Key(
            F.list_of(F.workload_ref, "workloads NS/KIND/NAME", "must name at least one workload NS/KIND/NAME"),
            required="the workloads whose sidecar to retire, e.g. [orders/deployment/orders-legacy-sync]",
        ),
        "wait": _Key(F.duration(), DEFAULT_RETIRE_WAIT, dump=format_duration),
        "tokenExchange": _Key(F.boolean, False),
    },
}
"""Every phase and the options it takes (no others are allowed)."""

_TOP: dict[str, str] = {
    "apiVersion": f"apiVersion: {API_VERSION}",
    "kind": f"kind: {KIND}",
    "metadata": "metadata: {name: NAME}",
    "target": "",
    "options": "",
    "phases": "phases: a list such as [discover, plan, apply, verify]",
}


def _default(key: _Key) -> Any:
    if key.factory is not None:
        return key.factory()
    if isinstance(key.default, list | dict):
        return type(key.default)(key.default)
    return key.default


def _allowed(spec: dict[str, Any]) -> str:
    return ", ".join(spec)


def _section(value: Any, path: Path, spec: dict[str, _Key], problems: list[Problem], what: str) -> Any:
    """The keys of a mapping checked and typed, defaults filled in; F.INVALID after recording a problem."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        return F.bad(problems, path, f"expected a mapping (keys: {_allowed(spec) or 'none'}), got {F.show(value)}")
    before = len(problems)
    result: dict[str, Any] = {}
    for key in value:
        if key not in spec:
            allowed = f"allowed: {_allowed(spec)}" if spec else f"{what} takes no options"
            problems.append(Problem((*path, str(key)), f"unknown key {str(key)!r}; {allowed}"))
    for key, entry in spec.items():
        if key in value:
            result[key] = entry.check(value[key], (*path, key), problems)
        elif entry.required:
            problems.append(Problem((*path, key), f"required: {entry.required}"))
        else:
            result[key] = _default(entry)
    return F.INVALID if len(problems) > before else result


def _attrs(values: dict[str, Any]) -> dict[str, Any]:
    """File keys -> dataclass attribute names."""
    return {_snake(key): value for key, value in values.items()}


def _section_to_dict(spec: dict[str, _Key], obj: Any, compact: bool) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, entry in spec.items():
        value = getattr(obj, _snake(key))
        if compact and value == _default(entry):
            continue
        data[key] = _plain(entry, value)
    return data


def _plain(entry: _Key, value: Any) -> Any:
    if entry.dump is not None and value is not None:
        return entry.dump(value)
    if isinstance(value, list | dict):
        return type(value)(value)
    return value


def _step_to_dict(step: Step) -> str | dict[str, Any]:
    spec = PHASE_OPTIONS[step.name]
    options = {
        key: _plain(spec[key], value)
        for key, value in step.options.items()
        if key in spec and (spec[key].required or value != spec[key].default)
    }
    return {step.name: options} if options else step.name


# --- phases ---------------------------------------------------------------------------------------------------


def _step(item: Any, path: Path, problems: list[Problem]) -> Step | None:
    """The step, or None when not even its name is usable (its problems recorded)."""
    if isinstance(item, str):
        name, raw = item, None
    elif isinstance(item, dict) and len(item) == 1:
        name, raw = next(iter(item.items()))
    elif isinstance(item, dict):
        keys = ", ".join(str(k) for k in item) or "none"
        problems.append(
            Problem(
                path, f"a phase is a name or a mapping with one key, the phase name; got keys {keys} (one per item)"
            )
        )
        return None
    else:
        problems.append(Problem(path, f"expected a phase name or {{name: {{options}}}}, got {F.show(item)}"))
        return None
    if not isinstance(name, str) or name not in PHASE_OPTIONS:
        problems.append(Problem(path, f"unknown phase {str(name)!r}; allowed: {', '.join(PHASE_ORDER)}"))
        return None
    options = _section(raw, (*path, name), PHASE_OPTIONS[name], problems, name)
    if options is F.INVALID:
        return Step(name)  # still counts for the order and duplicate rules
    step = Step(name, options)
    _step_rules(step, (*path, name), problems)
    return step


def _step_rules(step: Step, path: Path, problems: list[Problem]) -> None:
    """Options that depend on each other."""
    o = step.options
    if step.name == "rewrite":
        if o["write"] == "out-dir" and not o["outDir"]:
            problems.append(Problem((*path, "outDir"), "required with write: out-dir (the directory for the copy)"))
        elif o["write"] != "out-dir" and o["outDir"]:
            problems.append(Problem((*path, "outDir"), f"used only with write: out-dir (write is {o['write']})"))
    elif step.name == "cleanup":
        if o["networkPolicy"] == "file" and not o["networkPolicyFile"]:
            problems.append(
                Problem(
                    (*path, "networkPolicyFile"), "required with networkPolicy: file (the file to write, - for stdout)"
                )
            )
        elif o["networkPolicy"] != "file" and o["networkPolicyFile"]:
            problems.append(
                Problem(
                    (*path, "networkPolicyFile"),
                    f"used only with networkPolicy: file (networkPolicy is {o['networkPolicy']})",
                )
            )


def _conflict(a: str, b: str) -> bool:
    """Pairs that exclude each other: apply with one of its parts, rewrite with a live change."""
    pair = {a, b}
    return (APPLY in pair and bool(pair & set(APPLY_PARTS))) or (
        "rewrite" in pair and bool(pair & set(LIVE_CHANGE_PHASES))
    )


def _phase_rules(steps: list[tuple[int, Step]], problems: list[Problem]) -> None:
    """Duplicates, the pairs that exclude each other, then the order of the steps left."""
    first: dict[str, int] = {}
    ordered: list[tuple[int, str]] = []
    for index, step in steps:
        path: Path = ("phases", index)
        if step.name in first:
            message = f"{step.name!r} is listed twice (also phases[{first[step.name]}]); a phase may appear once"
            problems.append(Problem(path, message))
            continue
        clashes = [(other, at) for other, at in first.items() if _conflict(other, step.name)]
        for other, at in clashes:
            problems.append(Problem(path, _conflict_message(step.name, other, at)))
        first[step.name] = index
        if not clashes:  # a step reported as clashing is not also reported as out of order
            ordered.append((index, step.name))
    problems.extend(_order_problems(ordered))


def _order_problems(steps: list[tuple[int, str]]) -> list[Problem]:
    """Blame the fewest steps: those outside the longest run already in order (earliest steps kept on ties)."""
    ranks = [_rank(name) for _, name in steps]
    best = [1] * len(steps)
    previous = [-1] * len(steps)
    for i in range(len(steps)):
        for j in range(i):
            if ranks[j] < ranks[i] and best[j] + 1 > best[i]:
                best[i], previous[i] = best[j] + 1, j
    kept: set[int] = set()
    at = max(range(len(steps)), key=lambda i: (best[i], -i), default=-1)
    while at >= 0:
        kept.add(at)
        at = previous[at]
    problems = []
    for i, (index, name) in enumerate(steps):
        if i in kept:
            continue
        later = [k for k in sorted(kept) if k > i and ranks[k] < ranks[i]]
        if later:
            where, relation = later[-1], "after"
        else:
            where, relation = min(k for k in kept if k < i and ranks[k] > ranks[i]), "before"
        other_index, other = steps[where]
        problems.append(
            Problem(
                ("phases", index),
                f"{name!r} must come {relation} {other!r} (phases[{other_index}]); phases run in the order "
                f"{_ORDER_TEXT}",
            )
        )
    return problems


def _conflict_message(name: str, other: str, at: int) -> str:
    pair = f"{name!r} and {other!r} (phases[{at}])"
    if {name, other} <= {APPLY, *APPLY_PARTS}:
        part = other if name == APPLY else name
        return (
            f"{pair} overlap: apply runs federate, serviceaccounts and workloads; list apply, or only the ones "
            f"you want (such as {part})"
        )
    live = other if name == "rewrite" else name
    return (
        f"{pair} exclude each other: rewrite changes manifests for GitOps to roll out, {live} changes the live "
        "cluster; keep one (rewrite + federate is fine)"
    )


def _rank(name: str) -> int:
    return PHASE_ORDER.index(name)


# --- parsing --------------------------------------------------------------------------------------------------


def parse_playbook(data: Any) -> Playbook:
    """A playbook from plain data (a constructed YAML document), every default filled in.

    Raises ``PlaybookInvalid`` with every problem found. Target checks that depend on command-line
    overrides are left to ``check_target``.
    """
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise PlaybookInvalid([Problem((), f"expected a mapping with keys {_allowed(_TOP)}, got {F.show(data)}")])
    for key in data:
        if key not in _TOP:
            problems.append(Problem((str(key),), f"unknown key {str(key)!r}; allowed: {_allowed(_TOP)}"))
    for key, required in _TOP.items():
        if required and key not in data:
            problems.append(Problem((key,), f"required: {required}"))
    if "apiVersion" in data and data["apiVersion"] != API_VERSION:
        problems.append(Problem(("apiVersion",), f"expected {API_VERSION}, got {F.show(data['apiVersion'])}"))
    if "kind" in data and data["kind"] != KIND:
        problems.append(Problem(("kind",), f"expected {KIND}, got {F.show(data['kind'])}"))
    metadata = (
        _section(data.get("metadata"), ("metadata",), _METADATA, problems, "metadata") if "metadata" in data else None
    )
    target = _section(data.get("target"), ("target",), _TARGET, problems, "target")
    options = _section(data.get("options"), ("options",), _OPTIONS, problems, "options")
    steps: list[tuple[int, Step]] = []
    raw_phases = data.get("phases")
    if "phases" in data:
        if not isinstance(raw_phases, list) or not raw_phases:
            got = "an empty list" if raw_phases == [] else F.show(raw_phases)
            problems.append(Problem(("phases",), f"expected a list of phases such as [discover, plan], got {got}"))
        else:
            for index, item in enumerate(raw_phases):
                step = _step(item, ("phases", index), problems)
                if step is not None:
                    steps.append((index, step))
            _phase_rules(steps, problems)
    if problems:
        raise PlaybookInvalid(problems)
    return Playbook(
        name=metadata["name"],
        description=metadata["description"],
        target=Target(**_attrs(target)),
        options=Options(**_attrs(options)),
        steps=[step for _, step in steps],
    )


def check_target(playbook: Playbook) -> list[Problem]:
    """What the phases need from the target, checked after command-line overrides were applied."""
    t = playbook.target
    problems: list[Problem] = []
    if not (t.manifests or t.cluster or t.lab):
        problems.append(
            Problem(("target",), "nothing to read: set target.manifests, target.cluster: true or target.lab: true")
        )
    for index, step in enumerate(playbook.steps):
        if step.name in CLUSTER_PHASES and not (t.cluster or t.lab):
            problems.append(
                Problem(
                    ("phases", index),
                    f"{step.name!r} works on a live cluster: set target.cluster: true or target.lab: true "
                    "(or pass --context / --lab)",
                )
            )
        if step.name == "rewrite" and not t.manifests:
            problems.append(Problem(("phases", index), "'rewrite' edits manifest files: list them in target.manifests"))
    return problems


# --- helpers for the runner -------------------------------------------------------------------------------------


def kubernetes_version(text: str | None) -> tuple[int, int] | None:
    """``"1.30"`` -> ``(1, 30)``; None stays None. The text was checked by ``parse_playbook``."""
    if not text:
        return None
    match = F.VERSION.match(text)
    if match is None:
        raise ValueError(f"{text!r}: expected MAJOR.MINOR, for example 1.31")
    return int(match.group(1)), int(match.group(2))


def glob_matches(pattern: str, namespace: str, kind: str, name: str) -> bool:
    """Whether a workload glob names this workload.

    ``NS/KIND/NAME`` compares part by part (``*`` stays within its part); KIND is case-insensitive and a
    literal KIND may be spelt as kubectl does (``deploy``). ``NS/NAME`` and a bare ``*`` work too.
    """
    parts = pattern.split("/")
    if len(parts) == 3:
        ns_glob, kind_glob, name_glob = parts
        if not F.GLOB_CHARS.search(kind_glob):
            kind_glob = F.kind_of(kind_glob) or kind_glob
        return (
            fnmatch.fnmatchcase(namespace, ns_glob)
            and fnmatch.fnmatchcase(kind.lower(), kind_glob.lower())
            and fnmatch.fnmatchcase(name, name_glob)
        )
    if len(parts) == 2:
        return fnmatch.fnmatchcase(namespace, parts[0]) and fnmatch.fnmatchcase(name, parts[1])
    return fnmatch.fnmatchcase(f"{namespace}/{kind}/{name}", pattern)


def selected(playbook: Playbook, namespace: str, kind: str, name: str) -> bool:
    """Whether ``options.workloads`` covers this workload: some include glob matches and no exclude glob does."""
    return playbook.options.workloads.selects(namespace, kind, name)


def expand(step: Step) -> tuple[str, ...]:
    """The apply phases a step runs (``apply`` -> federate, serviceaccounts, workloads), else the step's name."""
    return APPLY_PARTS if step.name == APPLY else (step.name,)

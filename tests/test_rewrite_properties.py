"""Properties of ``rewrite`` on generated manifest trees, in the formatting variety a textual editor meets.

Each example is a small tree of YAML files built from text templates, never ``yaml.dump``: 2 or 4 space
indents, ``- `` at the key's column or indented, block / flow / multi-line flow label mappings, plain,
single- and double-quoted values and keys, comments (on the label line, between labels, at column 0, after
the labels, on ``labels:``, around documents), trailing blanks, empty lines, CRLF, a byte order mark, a
missing final newline, several documents per file (ConfigMaps, Services, NetworkPolicies, PDBs,
ServiceAccounts, pod-identity objects, ``kind: List``), every workload kind, with or without a
ServiceAccount (either spelling) and template annotations (block, flow, ``{}``, null). An oracle written here
from the domain rules (sections 1-2 of the domain reference) says what each phase must do to each
document; the tool runs for real (scan, plan, rewrite, write in place on a copy) and is checked for:

1. documents the phase must not change stay byte-identical, and files with nothing to change keep their
   bytes and mtime;
2. every phase run again on its own output changes nothing;
3. after migrate then cleanup, ``aadpodidbinding`` is left only where a selector still uses it (or on a
   workload that could not be migrated);
4. every output parses, and its data is the input data plus exactly the planned changes.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.core.planner import PlanOptions
from migrator.phases.rewrite import run_rewrite
from migrator.rewrite.engine import RewriteResult
from migrator.rewrite.phases import PhaseOptions
from migrator.sources.manifests.parse import split_documents
from migrator.sources.manifests.reader import DEFAULT_MAX_FILE_SIZE
from migrator.sources.manifests.scan import scan_tree
from migrator.storage.tree import write_in_place

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MARKER_LINE = re.compile(r"\A---[^\n]*\n")

BINDING = "aadpodidbinding"
USE = "azure.workload.identity/use"
CLIENT_ID = "azure.workload.identity/client-id"
TENANT_ID = "azure.workload.identity/tenant-id"
INJECT = "azure.workload.identity/inject-proxy-sidecar"
PORT = "azure.workload.identity/proxy-sidecar-port"
BOM = b"\xef\xbb\xbf"
POD_IDENTITY_KINDS = ("AzureIdentity", "AzureIdentityBinding", "AzurePodIdentityException")

API = {
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "DaemonSet": "apps/v1",
    "Job": "batch/v1",
    "CronJob": "batch/v1",
    "Pod": "v1",
}
TEMPLATE = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "Pod": (),
}
SELECTOR_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
NAMESPACES = (None, "default", "apps")  # None: no namespace key (the default namespace)
SELECTORS = ("sel-a", "sel-b", "sel-c", "1234")
IDENTITY_NAMES = ("id-a", "id-b", "id-c")
SA_NAMES = (None, "default", "sa-1", "sa-2")
T0 = 1_000_000_000 * 10**9  # an mtime long past, in ns
# trailing: on the aadpodidbinding line; between: a full line between two labels (col0: at column 0);
# end-labels: after the last label; on-labels: on the `labels:` line; before-spec: above the pod spec;
# doc-start/doc-end: first/last line of the document; spaces: trailing blanks on the label lines;
# blank: an empty line after the pod template's metadata
COMMENTS = (
    *("trailing", "between", "col0", "end-labels", "on-labels", "before-spec", "doc-start", "doc-end", "spaces"),
    "blank",
)
# none: no key; empty: `{}`; null: the key alone; literal / folded: block, the last value a `|` / `>-` scalar
ANNOTATIONS = ("none", "block", "flow", "empty", "null", "literal", "folded")


def eff(ns: str | None) -> str:
    return ns or "default"


def client_id(n: int) -> str:
    return f"{n:08d}-1111-2222-3333-444444444444"


# -- the model ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fmt:
    ind: int
    seq_indent: bool
    labels: str  # block, flow ({a: b}), flow-spaced ({ a: b }), flow-multiline
    quote: str  # "", "'" or '"'
    comments: frozenset[str]
    binding_first: bool
    quoted_keys: bool  # "aadpodidbinding": x

    def q(self, value: str) -> str:
        quote = self.quote or ("" if load_one(value) == value else '"')  # "1234" must stay a string
        return f"{quote}{value}{quote}"

    def k(self, key: str) -> str:
        return f'"{key}"' if self.quoted_keys else key


@dataclass(frozen=True)
class Workload:
    kind: str
    name: str
    ns: str | None
    label: str | None
    app_label: bool
    object_label: bool  # aadpodidbinding on the workload's own metadata.labels too, as real manifests often have
    selects_binding: bool  # its own spec.selector uses aadpodidbinding
    sa: str | None
    sa_key: str  # serviceAccountName, serviceAccount (deprecated) or both
    annotations: str  # one of ANNOTATIONS
    annotations_first: bool
    sa_after_containers: bool
    metadata_last: bool  # the pod template's (or Pod's) metadata after its spec
    containers_flow: bool  # containers: [{...}]
    fmt: Fmt

    @property
    def key(self) -> tuple[str, str, str]:
        return (eff(self.ns), self.kind, self.name)


@dataclass(frozen=True)
class Identity:
    name: str
    ns: str | None
    client: str
    tenant: str | None
    namespaced: bool  # aadpodidentity.k8s.io/Behavior: namespaced (matches pods of its namespace only)
    fmt: Fmt


@dataclass(frozen=True)
class Binding:
    name: str
    ns: str | None
    identity: str
    selector: str
    fmt: Fmt


@dataclass(frozen=True)
class Selecting:
    """A Service, NetworkPolicy or PodDisruptionBudget selecting pods by one label."""

    kind: str
    name: str
    ns: str | None
    key: str
    value: str
    fmt: Fmt


@dataclass(frozen=True)
class Account:
    name: str
    ns: str | None
    annotations: str  # one of ANNOTATIONS
    tail: bool  # a key after metadata
    fmt: Fmt


@dataclass(frozen=True)
class Other:
    kind: str  # ConfigMap or AzurePodIdentityException
    name: str
    ns: str | None
    commented_label: bool
    fmt: Fmt


@dataclass(frozen=True)
class FileFmt:
    bom: bool
    crlf: bool
    final_newline: bool
    leading_separator: bool
    header: bool
    blank_lines: int
    separator_comment: bool


@dataclass
class Model:
    workloads: list[Workload]
    identities: list[Identity]
    bindings: list[Binding]
    selecting: list[Selecting]
    accounts: list[Account]
    others: list[Other]
    files: dict[str, tuple[FileFmt, list[str]]]  # path -> format, documents' text


# -- text templates ---------------------------------------------------------------------------------------


class Out:
    def __init__(self, fmt: Fmt) -> None:
        self.f = fmt
        self.lines: list[str] = []

    def at(self, level: int, text: str) -> None:
        self.lines.append(" " * (self.f.ind * level) + text)

    def col(self, column: int, text: str) -> None:
        self.lines.append(" " * column + text)

    def seq_col(self, key_column: int) -> int:
        """Column of ``- `` for a block sequence under a key at ``key_column``."""
        return key_column + (self.f.ind if self.f.seq_indent else 0)

    def text(self) -> str:
        if "doc-start" in self.f.comments:
            self.lines.insert(0, "# a comment at the start of the document")
        if "doc-end" in self.f.comments:
            self.lines.append("# end of document")
        return "\n".join(self.lines) + "\n"


def metadata_lines(out: Out, name: str, ns: str | None) -> None:
    out.at(0, "metadata:")
    out.at(1, f"name: {name}")
    if ns:
        out.at(1, f"namespace: {ns}")


def label_pairs(w: Workload) -> list[tuple[str, str]]:
    pairs = [("app", w.name)] if w.app_label else []
    if w.label:
        pairs.insert(0 if w.fmt.binding_first else len(pairs), (BINDING, w.label))
    return pairs


def labels_block(out: Out, level: int, pairs: list[tuple[str, str]]) -> None:
    f = out.f
    trailing = "  # pod identity" if "trailing" in f.comments else ""
    blanks = "  " if "spaces" in f.comments else ""
    if f.labels == "block":
        out.at(level, "labels:" + ("  # the pod's labels" if "on-labels" in f.comments else blanks))
        for i, (key, value) in enumerate(pairs):
            if "between" in f.comments and i == min(1, len(pairs) - 1):
                out.at(0 if "col0" in f.comments else level + 1, "# a comment between labels")
            out.at(level + 1, f"{f.k(key)}: {f.q(value)}" + (trailing if key == BINDING else blanks))
        if "end-labels" in f.comments:
            out.at(level + 1, "# end of labels")
    elif f.labels == "flow-multiline":
        out.at(level, "labels: {" + ",".join(f"{f.k(key)}: {f.q(value)}" for key, value in pairs[:1]) + ",")
        for key, value in pairs[1:]:
            out.at(level + 1, f"{f.k(key)}: {f.q(value)},")
        out.lines[-1] = out.lines[-1][:-1] + "}" + trailing
    else:
        space = " " if f.labels == "flow-spaced" else ""
        inner = ", ".join(f"{f.k(key)}: {f.q(value)}" for key, value in pairs)
        out.at(level, f"labels: {{{space}{inner}{space}}}" + (trailing or blanks))


def annotations_block(out: Out, level: int, style: str) -> None:
    team = out.f.q("payments")
    if style == "flow":
        out.at(level, f'annotations: {{prometheus.io/scrape: "true", team: {team}}}')
    elif style == "empty":
        out.at(level, "annotations: {}")
    elif style == "null":
        out.at(level, "annotations:")
    elif style in ("block", "literal", "folded"):
        out.at(level, "annotations:")
        out.at(level + 1, 'prometheus.io/scrape: "true"')
        out.at(level + 1, f"team: {team}")
        if style != "block":
            out.at(level + 1, "description: |" if style == "literal" else "description: >-")
            out.at(level + 2, "first line")
            out.at(level + 2, "second line")


def template_metadata(out: Out, w: Workload, level: int, first: list[str]) -> None:
    out.at(level, "metadata:")
    for line in first:
        out.at(level + 1, line)
    blocks = [lambda: labels_block(out, level + 1, label_pairs(w))]
    if w.annotations != "none":
        blocks.insert(0 if w.annotations_first else 1, lambda: annotations_block(out, level + 1, w.annotations))
    for block in blocks:
        block()
    if "blank" in w.fmt.comments:
        out.lines.append("")


def pod_template(out: Out, w: Workload, level: int, first: list[str]) -> None:
    if w.metadata_last:
        pod_spec(out, w, level)
        template_metadata(out, w, level, first)
    else:
        template_metadata(out, w, level, first)
        pod_spec(out, w, level)


def pod_spec(out: Out, w: Workload, level: int) -> None:
    if "before-spec" in w.fmt.comments:
        out.at(level, "# the pod spec")
    out.at(level, "spec:")
    keys = ("serviceAccountName", "serviceAccount") if w.sa_key == "both" else (w.sa_key,)
    sa_lines = [f"{key}: {w.fmt.q(w.sa)}" for key in keys] if w.sa else []
    if not w.sa_after_containers:
        for line in sa_lines:
            out.at(level + 1, line)
    if w.kind in ("Job", "CronJob"):
        out.at(level + 1, "restartPolicy: OnFailure")
    key_col = w.fmt.ind * (level + 1)
    if w.containers_flow:
        image = w.fmt.q("nginx:1.25")
        out.col(key_col, f"containers: [{{name: app, image: {image}, ports: [{{containerPort: 8080}}]}}]")
    else:
        out.col(key_col, "containers:")
        item = out.seq_col(key_col)
        out.col(item, "- name: app")
        out.col(item + 2, f"image: {w.fmt.q('nginx:1.25')}")
        out.col(item + 2, "ports:")
        out.col(out.seq_col(item + 2), "- containerPort: 8080")
    if w.sa_after_containers:
        for line in sa_lines:
            out.at(level + 1, line)


def render_workload(w: Workload) -> str:
    out = Out(w.fmt)
    out.at(0, f"apiVersion: {API[w.kind]}")
    out.at(0, f"kind: {w.kind}")
    first = [f"name: {w.name}"] + ([f"namespace: {w.ns}"] if w.ns else [])
    if w.kind == "Pod":
        pod_template(out, w, 0, first)
        return out.text()
    out.at(0, "metadata:")
    for line in first:
        out.at(1, line)
    if w.object_label:
        labels_block(out, 1, label_pairs(w))
    out.at(0, "spec:")
    if w.kind == "CronJob":
        out.at(1, 'schedule: "*/5 * * * *"')
        out.at(1, "jobTemplate:")
        out.at(2, "spec:")
        out.at(3, "template:")
        base = 4
    else:
        if w.kind in SELECTOR_KINDS:
            out.at(1, "selector:")
            out.at(2, "matchLabels:")
            if w.app_label:
                out.at(3, f"app: {w.fmt.q(w.name)}")
            if w.selects_binding:
                out.at(3, f"{BINDING}: {w.fmt.q(w.label or '')}")
        if w.kind == "StatefulSet":
            out.at(1, f"serviceName: {w.name}")
        if w.kind == "Job":
            out.at(1, "backoffLimit: 2")
        out.at(1, "template:")
        base = 2
    pod_template(out, w, base, [])
    return out.text()


def render_identity(i: Identity) -> str:
    out = Out(i.fmt)
    out.at(0, "apiVersion: aadpodidentity.k8s.io/v1")
    out.at(0, "kind: AzureIdentity")
    metadata_lines(out, i.name, i.ns)
    if i.namespaced:
        out.at(1, "annotations:")
        out.at(2, "aadpodidentity.k8s.io/Behavior: namespaced")
    out.at(0, "spec:")
    out.at(1, "type: 0")
    out.at(
        1,
        "resourceID: /subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/rg/providers/"
        f"Microsoft.ManagedIdentity/userAssignedIdentities/{i.name}",
    )
    out.at(1, f"clientID: {i.fmt.q(i.client)}")
    if i.tenant:
        out.at(1, f"tenantID: {i.tenant}")
    return out.text()


def render_binding(b: Binding) -> str:
    out = Out(b.fmt)
    out.at(0, "apiVersion: aadpodidentity.k8s.io/v1")
    out.at(0, "kind: AzureIdentityBinding")
    metadata_lines(out, b.name, b.ns)
    out.at(0, "spec:")
    out.at(1, f"azureIdentity: {b.identity}")
    out.at(1, f"selector: {b.fmt.q(b.selector)}")
    return out.text()


def render_selecting(s: Selecting) -> str:
    out = Out(s.fmt)
    label = f"{s.key}: {s.fmt.q(s.value)}"
    if s.kind == "Service":
        out.at(0, "apiVersion: v1")
        out.at(0, "kind: Service")
        metadata_lines(out, s.name, s.ns)
        out.at(0, "spec:")
        out.at(1, "selector:")
        out.at(2, label)
        out.at(1, "ports:")
        item = out.seq_col(s.fmt.ind)
        out.col(item, "- port: 80")
        out.col(item + 2, "targetPort: 8080")
    elif s.kind == "NetworkPolicy":
        out.at(0, "apiVersion: networking.k8s.io/v1")
        out.at(0, "kind: NetworkPolicy")
        metadata_lines(out, s.name, s.ns)
        out.at(0, "spec:")
        out.at(1, "podSelector:")
        out.at(2, "matchLabels:")
        out.at(3, label)
        out.at(1, "policyTypes:")
        out.col(out.seq_col(s.fmt.ind), "- Ingress")
    else:
        out.at(0, "apiVersion: policy/v1")
        out.at(0, "kind: PodDisruptionBudget")
        metadata_lines(out, s.name, s.ns)
        out.at(0, "spec:")
        out.at(1, "minAvailable: 1")
        out.at(1, "selector:")
        out.at(2, "matchLabels:")
        out.at(3, label)
    return out.text()


def render_account(a: Account) -> str:
    out = Out(a.fmt)
    out.at(0, "apiVersion: v1")
    out.at(0, "kind: ServiceAccount")
    metadata_lines(out, a.name, a.ns)
    annotations_block(out, 1, a.annotations)
    if a.tail:
        out.at(0, "automountServiceAccountToken: false")
    return out.text()


def render_other(o: Other) -> str:
    out = Out(o.fmt)
    if o.kind == "ConfigMap":
        out.at(0, "apiVersion: v1")
        out.at(0, "kind: ConfigMap")
        metadata_lines(out, o.name, o.ns)
        out.at(0, "data:")
        if o.commented_label:
            out.at(1, f"# {BINDING}: sel-a   (commented out: not a label)")
        out.at(1, f"key: {o.fmt.q('value')}")
        out.at(1, "script: |")
        out.at(2, "echo hello")
        out.at(2, "echo bye")
    else:
        out.at(0, "apiVersion: aadpodidentity.k8s.io/v1")
        out.at(0, "kind: AzurePodIdentityException")
        metadata_lines(out, o.name, o.ns)
        out.at(0, "spec:")
        out.at(1, "podLabels:")
        out.at(2, f"app: {o.fmt.q('probe')}")
    return out.text()


def render_list(items: list[str], column: int, comment_on_dash: bool, kind_first: bool) -> str:
    """Documents as the items of a ``kind: List`` (``- `` at ``column``).

    An item's leading comment goes on its ``- `` line (``- # comment``) or on its own line above it;
    ``kind_first``: ``- kind: X`` with ``apiVersion`` on the next line.
    """
    lines = ["apiVersion: v1", "kind: List", "items:"]
    for item in items:
        item_lines = item.rstrip("\n").split("\n")
        at = next(i for i, line in enumerate(item_lines) if line.startswith("apiVersion:"))
        if kind_first and item_lines[at + 1].startswith("kind:"):
            item_lines[at], item_lines[at + 1] = item_lines[at + 1], item_lines[at]
        if item_lines[0].startswith("#") and not comment_on_dash:
            lines.append(" " * column + item_lines.pop(0))
        for i, line in enumerate(item_lines):
            lines.append(" " * column + ("- " if i == 0 else "  ") + line)
    return "\n".join(lines) + "\n"


def render_file(fmt: FileFmt, docs: list[str]) -> bytes:
    parts = []
    if fmt.header:
        parts.append("# a file header comment\n")
    if fmt.leading_separator:
        parts.append("---\n")
    for i, doc in enumerate(docs):
        if i:
            parts.append("\n" * fmt.blank_lines + ("--- # next document\n" if fmt.separator_comment else "---\n"))
        parts.append(doc)
    text = "".join(parts)
    if not fmt.final_newline:
        text = text.rstrip("\n")
    if fmt.crlf:
        text = text.replace("\n", "\r\n")
    return (BOM if fmt.bom else b"") + text.encode("utf-8")


# -- strategies --------------------------------------------------------------------------------------------

fmts = st.builds(
    Fmt,
    ind=st.sampled_from((2, 4)),
    seq_indent=st.booleans(),
    labels=st.sampled_from(("block", "block", "block", "flow", "flow-spaced", "flow-multiline")),
    quote=st.sampled_from(("", "'", '"')),
    comments=st.frozensets(st.sampled_from(COMMENTS)),
    binding_first=st.booleans(),
    quoted_keys=st.integers(0, 4).map(lambda n: n == 0),
)
namespaces = st.sampled_from(NAMESPACES)
file_fmts = st.builds(
    FileFmt,
    bom=st.integers(0, 5).map(lambda n: n == 0),
    crlf=st.booleans(),
    final_newline=st.booleans(),
    leading_separator=st.booleans(),
    header=st.booleans(),
    blank_lines=st.integers(0, 2),
    separator_comment=st.booleans(),
)


@st.composite
def workloads(draw: st.DrawFn, name: str, bound: tuple[str, ...]) -> Workload:
    kind = draw(st.sampled_from(tuple(API)))
    # mostly a selector some binding uses; sometimes none, or one no binding uses
    label = draw(st.sampled_from((None, *bound, *bound, *SELECTORS)))
    app_label = True if label is None else draw(st.booleans())
    object_label = kind != "Pod" and label is not None and draw(st.integers(0, 3)) == 0
    selects_binding = False
    if kind in SELECTOR_KINDS and label:
        selects_binding = not app_label or draw(st.integers(0, 3)) == 0
    return Workload(
        kind=kind,
        name=name,
        ns=draw(namespaces),
        label=label,
        app_label=app_label,
        object_label=object_label,
        selects_binding=selects_binding,
        sa=draw(st.sampled_from(SA_NAMES)),
        sa_key=draw(st.sampled_from(("serviceAccountName", "serviceAccountName", "serviceAccount", "both"))),
        annotations=draw(st.sampled_from(ANNOTATIONS)),
        annotations_first=draw(st.booleans()),
        sa_after_containers=draw(st.booleans()),
        metadata_last=draw(st.integers(0, 3)) == 0,
        containers_flow=draw(st.integers(0, 3)) == 0,
        fmt=draw(fmts),
    )


@st.composite
def models(draw: st.DrawFn) -> Model:
    names = draw(st.lists(st.sampled_from(IDENTITY_NAMES), unique=True, min_size=1, max_size=3))
    idents = [
        Identity(
            name,
            draw(namespaces),
            client_id(IDENTITY_NAMES.index(name) + 1),
            draw(st.sampled_from((None, "72f988bf-86f1-41af-91ab-2d7cd011db47"))),
            draw(st.integers(0, 3)) == 0,
            draw(fmts),
        )
        for name in names
    ]
    binds = []
    for i in range(draw(st.integers(1, 4))):
        # mostly an identity that exists, in the binding's namespace; sometimes a missing one
        target = draw(st.sampled_from((*idents, *idents, None)))
        same_ns = target is not None and draw(st.integers(0, 3)) > 0
        binds.append(
            Binding(
                f"bind-{i}",
                target.ns if same_ns and target else draw(namespaces),
                target.name if target else "id-missing",
                SELECTORS[i] if draw(st.integers(0, 3)) else draw(st.sampled_from(SELECTORS)),
                draw(fmts),
            )
        )
    bound = tuple(sorted({b.selector for b in binds}))
    ws = [draw(workloads(f"wl-{i}", bound)) for i in range(draw(st.integers(1, 4)))]
    selecting = []
    for i in range(draw(st.integers(0, 3))):
        use_binding = draw(st.booleans())
        selecting.append(
            Selecting(
                draw(st.sampled_from(("Service", "Service", "NetworkPolicy", "PodDisruptionBudget"))),
                f"sel-obj-{i}",
                draw(namespaces),
                BINDING if use_binding else "app",
                draw(st.sampled_from((*bound, *SELECTORS) if use_binding else tuple(w.name for w in ws))),
                draw(fmts),
            )
        )
    used_sas = sorted({(eff(w.ns), w.sa) for w in ws if w.sa and w.sa != "default"})
    accounts = []
    for ns, name in used_sas:
        if draw(st.booleans()):
            declared_ns = draw(st.sampled_from((ns, None) if ns == "default" else (ns,)))
            style = draw(st.sampled_from(ANNOTATIONS))
            accounts.append(Account(name, declared_ns, style, draw(st.booleans()), draw(fmts)))
    others = [
        Other("ConfigMap", f"cm-{i}", draw(namespaces), draw(st.booleans()), draw(fmts))
        for i in range(draw(st.integers(0, 2)))
    ]
    if draw(st.integers(0, 3)) == 0:
        others.append(Other("AzurePodIdentityException", "exc-0", draw(namespaces), False, draw(fmts)))
    docs = (
        [render_workload(w) for w in ws]
        + [render_identity(i) for i in idents]
        + [render_binding(b) for b in binds]
        + [render_selecting(s) for s in selecting]
        + [render_account(a) for a in accounts]
        + [render_other(o) for o in others]
    )
    docs = draw(st.permutations(docs))
    if draw(st.integers(0, 3)) == 0:  # some of them as the items of a List
        start = draw(st.integers(0, len(docs) - 1))
        end = draw(st.integers(start + 1, min(len(docs), start + 3)))
        column = draw(st.sampled_from((0, 2)))
        docs[start:end] = [render_list(docs[start:end], column, draw(st.booleans()), draw(st.booleans()))]
    paths = ("a.yaml", "b.yml", "nested/c.yaml")
    placement = draw(st.lists(st.integers(0, len(paths) - 1), min_size=len(docs), max_size=len(docs)))
    files = {}
    for index, path in enumerate(paths):
        mine = [doc for doc, where in zip(docs, placement, strict=True) if where == index]
        if mine:
            files[path] = (draw(file_fmts), mine)
    return Model(ws, idents, binds, selecting, accounts, others, files)


# -- the oracle --------------------------------------------------------------------------------------------


class Oracle:
    """What each phase must do, from the domain rules applied to the model (independent of the planner)."""

    def __init__(self, m: Model, mode: str) -> None:
        self.mode = mode
        identities = {(eff(i.ns), i.name): i for i in m.identities}
        self.workloads = {w.key: w for w in m.workloads}
        # A pod gets every identity whose binding's selector equals its label (any namespace, unless the
        # identity is namespaced); a binding names an identity in its own namespace. Exactly one identity: it
        # can be migrated.
        self.identity: dict[tuple[str, str, str], Identity] = {}
        for w in m.workloads:
            found = {(eff(b.ns), b.identity) for b in m.bindings if w.label and b.selector == w.label}
            usable = [
                identities[k] for k in found if k in identities and (k[0] == eff(w.ns) or not identities[k].namespaced)
            ]
            if len(usable) == 1:
                self.identity[w.key] = usable[0]
        # ServiceAccounts: reuse the workload's own unless it is `default` or shared by several identities;
        # otherwise a new one named after the identity.
        groups: dict[tuple[str, str], list[Workload]] = {}
        for w in m.workloads:
            if w.key in self.identity:
                groups.setdefault((eff(w.ns), w.sa or "default"), []).append(w)
        self.sa_of: dict[tuple[str, str, str], str] = {}
        self.new_sas: dict[tuple[str, str], dict[str, str]] = {}
        self.reused: dict[tuple[str, str], dict[str, str]] = {}
        for (ns, sa), group in groups.items():
            primaries = {self.identity[w.key].name for w in group}
            for w in group:
                ident = self.identity[w.key]
                annotations = {CLIENT_ID: ident.client, **({TENANT_ID: ident.tenant} if ident.tenant else {})}
                if sa == "default" or len(primaries) > 1:
                    self.sa_of[w.key] = ident.name
                    self.new_sas[(ns, ident.name)] = annotations
                else:
                    self.sa_of[w.key] = sa
                    self.reused[(ns, sa)] = annotations
        # cleanup: the label stays where a selector uses it; bindings stay for workloads not migrated
        selected = {(eff(s.ns), s.value) for s in m.selecting if s.key == BINDING}
        self.retained = {
            k
            for k, w in self.workloads.items()
            if k in self.identity and (w.selects_binding or (eff(w.ns), w.label) in selected)
        }
        still_needed = {w.label for k, w in self.workloads.items() if w.label and k not in self.identity}
        kept = [b for b in m.bindings if b.selector in still_needed]
        self.kept_bindings = {(eff(b.ns), b.name) for b in kept}
        self.kept_identities = {(eff(b.ns), b.identity) for b in kept}

    def workload(self, doc: dict) -> tuple[Workload | None, dict]:
        kind, ns, name = ref(doc)
        w = self.workloads.get((ns, kind, name))
        return w, (template(doc) if w else {})

    def migrate(self, doc: dict) -> dict | None:
        doc = copy.deepcopy(doc)
        w, tpl = self.workload(doc)
        if w and w.key in self.identity:
            tpl["metadata"]["labels"][USE] = "true"
            if self.sa_of[w.key] != w.sa:
                tpl["spec"]["serviceAccountName"] = self.sa_of[w.key]
                if "serviceAccount" in tpl["spec"]:  # the deprecated spelling follows
                    tpl["spec"]["serviceAccount"] = self.sa_of[w.key]
            if self.mode == "sidecar":
                add_annotations(tpl, {INJECT: "true", PORT: "8000"})
        kind, ns, name = ref(doc)
        if kind == "ServiceAccount" and (ns, name) in self.reused:
            add_annotations(doc, self.reused[(ns, name)])
        return doc

    def cleanup(self, doc: dict) -> dict | None:
        doc = copy.deepcopy(doc)
        w, tpl = self.workload(doc)
        if w and w.key in self.identity:
            if w.object_label:  # on the workload object itself the label selects nothing: it always goes
                doc["metadata"]["labels"].pop(BINDING, None)
                if not doc["metadata"]["labels"]:
                    del doc["metadata"]["labels"]  # and an emptied `labels:` with it
            if w.key not in self.retained:
                tpl["metadata"]["labels"].pop(BINDING, None)
        kind, ns, name = ref(doc)
        if kind in POD_IDENTITY_KINDS:
            keep = self.kept_bindings if kind == "AzureIdentityBinding" else self.kept_identities
            if kind == "AzurePodIdentityException" or (ns, name) not in keep:
                return None
        return doc

    def remove_sidecar(self, doc: dict) -> dict | None:
        doc = copy.deepcopy(doc)
        w, tpl = self.workload(doc)
        annotations = tpl.get("metadata", {}).get("annotations") if w else None
        if annotations:
            annotations.pop(INJECT, None)
            annotations.pop(PORT, None)
            if not annotations:
                del tpl["metadata"]["annotations"]
        return doc

    def binding_label_allowed(self, doc: dict, path: tuple) -> bool:
        """Property 3: where ``aadpodidbinding`` may still be, after cleanup."""
        kind = doc.get("kind")
        selectors = {
            "Service": [("spec", "selector")],
            "NetworkPolicy": [("spec", "podSelector", "matchLabels")],
            "PodDisruptionBudget": [("spec", "selector", "matchLabels")],
        }
        if path in selectors.get(kind, []):
            return True
        w, _ = self.workload(doc)
        if w is None:
            return False
        if path == ("spec", "selector", "matchLabels") and w.selects_binding:
            return True  # the workload's own selector
        if w.key not in self.identity:
            return path in ((*TEMPLATE[w.kind], "metadata", "labels"), ("metadata", "labels"))  # not migrated
        # kept on the pods (never on the workload object) where a selector still selects them by it
        return path == (*TEMPLATE[w.kind], "metadata", "labels") and w.key in self.retained


def add_annotations(obj: dict, annotations: dict[str, str]) -> None:
    metadata = obj["metadata"]
    metadata["annotations"] = {**(metadata.get("annotations") or {}), **annotations}


def each_item(transform: Callable[[dict], dict | None]) -> Callable[[Any], Any]:
    """``transform`` on a document, or on each item of a List (a List left with no items goes whole)."""

    def run(doc: Any) -> Any:
        if not isinstance(doc, dict):
            return doc
        if doc.get("kind") == "List":
            items = [r for item in doc["items"] if (r := transform(item)) is not None]
            return {**doc, "items": items} if items or not doc["items"] else None
        return transform(doc)

    return run


def objects(doc: Any) -> list[dict]:
    return doc["items"] if isinstance(doc, dict) and doc.get("kind") == "List" else [doc]


def ref(doc: dict) -> tuple[str, str, str]:
    metadata = doc.get("metadata") or {}
    return doc.get("kind"), eff(metadata.get("namespace")), metadata.get("name")


def template(doc: dict) -> dict:
    node = doc
    for step in TEMPLATE[doc["kind"]]:
        node = node[step]
    return node


def key_paths(data: Any, key: str, path: tuple = ()) -> Iterator[tuple]:
    """Paths of the mappings that hold ``key``, anywhere in ``data``."""
    if isinstance(data, dict):
        if key in data:
            yield path
        for k, v in data.items():
            yield from key_paths(v, key, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from key_paths(v, key, (*path, i))


# -- running and checking ----------------------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()
    }


def run_phase(root: Path, phase: str, mode: str) -> RewriteResult:
    tree = scan_tree([str(root)])
    options = PhaseOptions(phase, (), "default")
    return run_rewrite(tree, options, PlanOptions(mode=mode), DEFAULT_MAX_FILE_SIZE)


def load_all(data: bytes) -> list[Any]:
    """Documents of a file, read with PyYAML's safe loader (the libyaml one: same data, much faster)."""
    return [d for d in yaml.load_all(data.decode("utf-8"), Loader=SafeLoader) if d is not None]


def load_one(chunk: str) -> Any:
    return yaml.load(chunk, Loader=SafeLoader)


def chunks(data: bytes) -> list[str]:
    return [chunk for _, chunk in split_documents(data.decode("utf-8-sig"))]


def failures(result: RewriteResult) -> str:
    return "; ".join(f"{f.path}: {f.error}" for f in result.files if f.status == "failed")


def step(
    source: Path, target: Path, phase: str, mode: str, expect: Callable[[dict], dict | None]
) -> dict[str, list[Any]]:
    """Run ``phase`` in place on a copy of ``source`` at ``target``; check properties 1, 2 and 4.

    Returns the expected new files' parsed documents (only ``migrate`` creates files).
    """
    shutil.copytree(source, target)
    for p in target.rglob("*"):
        if p.is_file():
            os.utime(p, ns=(T0, T0))
    before = snapshot(target)
    result = run_phase(target, phase, mode)
    assert not result.failed, f"{phase}: {failures(result)}"
    write_in_place(result.files)
    assert not result.failed, f"{phase}: {failures(result)}"
    after = snapshot(target)

    for rel, (data, mtime) in before.items():
        docs = load_all(data)
        expected = [e for d in docs if (e := expect(d)) is not None]
        untouched = expected == docs
        if not expected:
            assert rel not in after, f"{phase}: {rel} should be deleted: every document in it goes"
            continue
        assert rel in after, f"{phase}: {rel} was deleted, but it keeps {len(expected)} document(s)"
        assert after[rel][0].startswith(BOM) == data.startswith(BOM), f"{phase}: {rel}: byte order mark changed"
        # property 4: the output parses, and its data is the input data with exactly the planned changes
        assert load_all(after[rel][0]) == expected, f"{phase}: {rel}: data differs from the plan"
        # property 1: documents with nothing to change are byte-identical, whatever changed beside them
        out_chunks = chunks(after[rel][0])
        for chunk in chunks(data):
            doc = load_one(chunk)
            if isinstance(doc, dict) and expect(doc) == doc:
                # the same chunk; or, when the documents before it went, without its `---` line at the file's start
                found = chunk in out_chunks or out_chunks[0] == _MARKER_LINE.sub("", chunk, count=1)
                assert found, f"{phase}: {rel}: an unchanged document changed:\n{chunk}"
        if untouched:
            assert after[rel] == (data, mtime), f"{phase}: {rel} has nothing to change but was rewritten"

    created = {rel: load_all(after[rel][0]) for rel in set(after) - set(before)}
    # property 2: the same phase again on its own output changes nothing
    again = run_phase(target, phase, mode)
    assert not again.failed, f"{phase} again: {failures(again)}"
    assert not again.pending, f"{phase} is not idempotent: " + ", ".join(
        f"{f.path} {f.status}" for f in again.files if f.status != "skipped"
    )
    return created


def check_created(oracle: Oracle, created: dict[str, list[Any]]) -> None:
    found: dict[tuple[str, str], dict] = {}
    for rel, docs in created.items():
        assert Path(rel).name.startswith("serviceaccount-"), rel
        assert len(docs) == 1 and docs[0]["kind"] == "ServiceAccount" and docs[0]["apiVersion"] == "v1", docs
        _, ns, name = ref(docs[0])
        assert (ns, name) not in found, f"ServiceAccount {ns}/{name} created twice"
        found[(ns, name)] = docs[0]["metadata"].get("annotations")
    assert found == oracle.new_sas


def check_binding_label(oracle: Oracle, root: Path) -> None:
    """Property 3, read from the parsed output, never from the text."""
    for p in sorted(root.rglob("*")):
        if not p.is_file():
            continue
        for doc in (obj for d in load_all(p.read_bytes()) for obj in objects(d)):
            for path in key_paths(doc, BINDING):
                assert oracle.binding_label_allowed(doc, path), (
                    f"{p.name}: {doc.get('kind')} {ref(doc)[2]} still has {BINDING} at {'/'.join(map(str, path))}"
                )


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=models(), mode=st.sampled_from(("label", "sidecar")))
def test_rewrite_phases_on_generated_trees(model: Model, mode: str) -> None:
    oracle = Oracle(model, mode)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        source = base / "input"
        for rel, (fmt, docs) in model.files.items():
            path = source / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(render_file(fmt, docs))
        original = snapshot(source)

        created = step(source, base / "migrate", "migrate", mode, each_item(oracle.migrate))
        check_created(oracle, created)
        assert not step(base / "migrate", base / "cleanup", "cleanup", mode, each_item(oracle.cleanup))
        check_binding_label(oracle, base / "cleanup")
        remove = each_item(oracle.remove_sidecar)
        assert not step(base / "cleanup", base / "remove-sidecar", "remove-sidecar", mode, remove)
        assert snapshot(source) == original  # every run worked on a copy

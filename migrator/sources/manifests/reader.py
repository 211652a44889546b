"""Turn one manifest file's bytes into located documents, cheaply.

Most files in a real repository never mention pod identity, so a file is
first checked on its raw bytes; only then is it decoded, split into documents
on ``---`` lines, and only the documents that matter are parsed (libyaml's
composer, which keeps line marks).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import yaml

from migrator.core import findings as F
from migrator.core.document import Document
from migrator.core.model import Finding, Source
from migrator.sources.manifests.parse import Constructor, Loader, split_documents

DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024

# Bytes that mark a file as relevant to the migration.
POD_IDENTITY_NEEDLES = (
    b"aadpodid",
    b"AzureIdentity",
    b"AzurePodIdentityException",
    b"usePodIdentity",
    b"usepodidentity",
    b"azureIdentit",  # Helm values of the aad-pod-identity chart: azureIdentities
)
# Objects the plan needs besides pod-identity ones: existing ServiceAccounts and
# namespaces' Pod Security level.
CONTEXT_NEEDLES = (b"ServiceAccount", b"pod-security.kubernetes.io/enforce")

_POD_IDENTITY_TEXT = tuple(n.decode() for n in POD_IDENTITY_NEEDLES)
# A top-level `kind: ServiceAccount|Namespace`; an item of a `kind: List` may sit deeper or start with
# `- kind:`, which is also how an RBAC subject reads, so that looser form counts only inside a List.
_KIND_VALUE = r"""["']?kind["']?[ \t]*:[ \t]*["']?"""
_CONTEXT_KIND = re.compile(rf"(?m)^(?:  )?{_KIND_VALUE}(?:ServiceAccount|Namespace)\b")
_ITEM_CONTEXT_KIND = re.compile(rf"(?m)^[ \t]*(?:-[ \t]+)?{_KIND_VALUE}(?:ServiceAccount|Namespace)\b")
_LIST_KIND = re.compile(rf"(?m)^{_KIND_VALUE}\w*List\b")
# A Go/Helm action outside a quoted scalar, or a Terraform directive line.
_GO_TEMPLATE = re.compile(r"(?m)^[ \t]*\{\{|[:\-][ \t]+\{\{|\{\{-|-\}\}")
_TF_DIRECTIVE = re.compile(r"(?m)^[ \t]*%\{")
_MENTION = re.compile(
    r"aadpodidbinding|AzureIdentityBinding|AzureIdentities|AzureIdentity|AzurePodIdentityException|usePodIdentity",
    re.I,
)


@dataclass
class FileResult:
    documents: list[Document] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    relevant: bool = False
    template: bool = False
    deferred: list[tuple[int, str]] = field(default_factory=list)
    """ServiceAccount/Namespace chunks, parsed later only if the inventory needs them."""


# Two short needles that together cover the ones above: each `in` is one pass
# over the file, and this test runs on every file of the tree. b"podid" covers
# aadpodidbinding, aadpodidentity.k8s.io and usepodidentity; b"Identit" the kinds.
_COARSE_NEEDLES = (b"podid", b"Identit")


def mentions_pod_identity(data: bytes) -> bool:
    return any(n in data for n in POD_IDENTITY_NEEDLES)


_CONTEXT_KIND_BYTES = re.compile(_CONTEXT_KIND.pattern.encode())
_ITEM_CONTEXT_KIND_BYTES = re.compile(_ITEM_CONTEXT_KIND.pattern.encode())
_LIST_KIND_BYTES = re.compile(_LIST_KIND.pattern.encode())


def has_context_objects(data: bytes) -> bool:
    """Whether the file declares a ServiceAccount or Namespace (not just names one in RBAC)."""
    if _CONTEXT_KIND_BYTES.search(data):
        return True
    return bool(_LIST_KIND_BYTES.search(data) and _ITEM_CONTEXT_KIND_BYTES.search(data))


def declares_context(text: str) -> bool:
    """Whether a document declares a ServiceAccount or Namespace (not just names one in RBAC)."""
    if _CONTEXT_KIND.search(text):
        return True
    return bool(_LIST_KIND.search(text) and _ITEM_CONTEXT_KIND.search(text))


def may_mention_pod_identity(data: bytes) -> bool:
    """Cheap and conservative: False only for files that cannot mention pod identity."""
    return any(n in data for n in _COARSE_NEEDLES)


def may_declare_context(data: bytes) -> bool:
    """Whether the file may declare a ServiceAccount or Namespace the plan needs."""
    return any(n in data for n in CONTEXT_NEEDLES) and has_context_objects(data)


def read_bytes(path: str, real: str, max_size: int = DEFAULT_MAX_FILE_SIZE) -> tuple[bytes | None, Finding | None]:
    try:
        fd = os.open(real, os.O_RDONLY)
        try:
            size = os.fstat(fd).st_size
            data = os.read(fd, min(size, max_size) + 1)
            while len(data) < min(size, max_size) and (more := os.read(fd, max_size + 1 - len(data))):
                data += more  # a short read (a file still being written, some file systems)
        finally:
            os.close(fd)
    except OSError as exc:
        return None, F.make("unreadable-file", f"Cannot read the file: {exc.strerror}", Source(path))
    if len(data) > max_size:
        return None, F.make("file-too-large", f"The file is over {max_size} bytes", Source(path, 1))
    return data, None


def is_template(text: str) -> bool:
    """Whether ``text`` is a Helm/Go or Terraform template rather than YAML."""
    return ("{{" in text and bool(_GO_TEMPLATE.search(text))) or ("%{" in text and bool(_TF_DIRECTIVE.search(text)))


def parse_file(path: str, data: bytes, *, template_name: bool = False, force: bool = False) -> FileResult:
    """Documents of interest in ``data`` (already known to be relevant unless ``force``)."""
    result = FileResult()
    if not data or data.isspace():
        result.findings.append(F.make("empty-file", "The file is empty", Source(path, 1)))
        return result
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        result.findings.append(F.make("not-utf8", f"Byte 0x{data[exc.start]:02x} is not UTF-8", Source(path, line)))
        return result
    result.relevant = any(n in text for n in _POD_IDENTITY_TEXT)
    if is_template(text):
        result.template = True
        if result.relevant:
            result.findings.append(_template_finding(path, text))
        return result
    for start_line, chunk in split_documents(text):
        if force or any(n in chunk for n in _POD_IDENTITY_TEXT):
            parse_chunk(path, chunk, start_line, result, template_name)
        elif ("ServiceAccount" in chunk or "Namespace" in chunk) and declares_context(chunk):
            result.deferred.append((start_line, chunk))
    return result


def parse_chunk(path: str, chunk: str, start_line: int, result: FileResult, template_name: bool = False) -> None:
    try:
        nodes = list(yaml.compose_all(chunk, Loader=Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = start_line + (mark.line if mark else 0)
        if template_name:
            result.template = True
            if result.relevant:
                result.findings.append(_template_finding(path, chunk, start_line))
            return
        problem = f"{exc.problem or 'syntax error'} (column {mark.column + 1 if mark else 1})"
        if exc.context and exc.context_mark and exc.context_mark.line != (mark.line if mark else -1):
            problem += f", {exc.context} at line {start_line + exc.context_mark.line}"
        result.findings.append(F.make("invalid-yaml", problem, Source(path, line)))
        return
    except yaml.YAMLError as exc:
        result.findings.append(F.make("invalid-yaml", str(exc), Source(path, start_line)))
        return
    for node in nodes:
        if node is None:
            continue
        try:
            data = Constructor().construct_document(node)
        except (yaml.YAMLError, TypeError, RecursionError) as exc:
            line = start_line + node.start_mark.line
            result.findings.append(
                F.make("invalid-yaml", f"Cannot build the document: {exc}".split("\n")[0], Source(path, line))
            )
            continue
        lines: dict[tuple, int] = {}
        _collect_lines(node, (), lines, start_line)
        result.documents.append(
            Document(
                path=path,
                line=start_line + node.start_mark.line,
                data=data,
                lines=lines,
                index=len(result.documents),
                chunk_line=start_line,
            )
        )


def _collect_lines(node: yaml.Node, path: tuple, lines: dict[tuple, int], base: int, depth: int = 0) -> None:
    if depth > 64:
        return
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                child = path + (key_node.value,)
                lines[child] = base + key_node.start_mark.line
                _collect_lines(value_node, child, lines, base, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            child = path + (i,)
            lines[child] = base + item.start_mark.line
            _collect_lines(item, child, lines, base, depth + 1)


def _template_finding(path: str, text: str, base: int = 1) -> Finding:
    mentions: list[str] = []
    first = None
    for offset, line in enumerate(text.splitlines()):
        match = _MENTION.search(line)
        if match:
            number = base + offset
            first = first or number
            mentions.append(f"{number} ({match.group(0)})")
    shown = ", ".join(mentions[:8]) + (f" and {len(mentions) - 8} more" if len(mentions) > 8 else "")
    return F.make(
        "template-not-yaml",
        f"Template file, not YAML; pod identity is mentioned at line {shown}",
        Source(path, first or base),
    )

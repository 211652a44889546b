"""YAML text to nodes and plain data, the same way for reading and for rewriting.

Pure functions over text. Both the reader and the rewriter split files into
documents here and build data with one constructor, so a rewritten document
reads back exactly as discovery would read it.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

try:  # libyaml is bundled in PyYAML's wheels; fall back to pure Python without it
    from yaml import CSafeLoader as Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as Loader  # type: ignore[assignment]

_DOC_START = re.compile(r"(?m)^---(?=[ \t\r\n]|$)")


class Constructor(yaml.constructor.SafeConstructor):
    """Safe constructor that keeps timestamps as text and tolerates unknown tags."""


Constructor.add_constructor("tag:yaml.org,2002:timestamp", Constructor.construct_yaml_str)


def _construct_unknown(loader: Constructor, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)


Constructor.add_constructor(None, _construct_unknown)


def split_documents(text: str) -> list[tuple[int, str]]:
    """Chunks of ``text`` that each hold at most one document, with their 1-based first line.

    Joining the chunks gives ``text`` back exactly; a chunk after the first
    starts with its ``---`` line.
    """
    starts = [m.start() for m in _DOC_START.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    chunks = []
    line = 1
    for i, begin in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        chunk = text[begin:end]
        chunks.append((line, chunk))
        line += chunk.count("\n")
    return chunks


def compose(text: str) -> yaml.Node | None:
    """The single document in ``text`` as a node tree (None when there is none)."""
    return yaml.compose(text, Loader=Loader)


def construct(node: yaml.Node | None) -> Any:
    return None if node is None else Constructor().construct_document(node)

"""Change a YAML document's text only where the change is.

A round-trip through a YAML library re-emits the whole document: ruamel.yaml
0.19 re-indents 4-space files, re-flows multi-line flow sequences, respaces
``{ a: b }`` and realigns comments, so a one-label change becomes a diff of
every line. Here the parser only *locates* things (libyaml node marks); each
edit splices a few lines or characters into the original text, in the
surrounding indentation, quoting and line-ending style. Every result is read
back and must equal the intended data, or the document is left alone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml import MappingNode, Node, ScalarNode, SequenceNode

from migrator.rewrite.edits import (
    AppendItem,
    Edit,
    EditError,
    Path,
    SetKey,
    apply,
    deletion_target,
)
from migrator.sources.manifests.parse import Loader, compose, construct

_NULLS = ("", "~", "null", "Null", "NULL")
_INVALID = object()
# What may follow the last value of a flow collection on its line: a comma, a comment.
_REST_OF_LINE = re.compile(r"[ \t]*(,)?[ \t]*(#[^\r\n]*)?\r?\n")
_COMMA = re.compile(r"[ \t]*,")
# A block sequence item's dash, alone on its line or with a comment, up to the item's first character.
_DASH_BEFORE = re.compile(r"[ \t]*-(?:[ \t]+#[^\r\n]*)?(?:[ \t]*\r?\n)*[ \t]*(?=\S)")
_ALIGNED_COMMENT = re.compile(r"(  +)#")
_INDICATORS = set("!&*-?:,[]{}#|>@`\"'%")


def edit_document(text: str, edits: list[Edit], data: Any = None) -> str:
    """``text`` (one YAML document) with ``edits`` made; EditError when that cannot be done faithfully.

    ``data`` is the document as already read, if it was (None: not read; it is copied, never changed).
    """
    if not edits:
        return text
    root = _compose(text)
    # a fresh construct needs no copy; data read before is copied
    expected = apply(construct(root), edits, in_place=True) if data is None else apply(data, edits)
    splicer: _Splicer | None = _Splicer(text, root)
    pending: list[Splice] = []
    for group in _groups(edits):
        # SetKey/AppendItem runs on unrelated paths are all planned on one parse; a removal, or a
        # run that depends on what an earlier one adds, gets a fresh parse of the text so far
        alone = not isinstance(group, _Many)
        if splicer is None:
            splicer = _Splicer(text)  # nothing is pending here
        conflict = not alone and splicer.depends(group)
        if pending and (alone or conflict):
            text, pending = _splice_all(text, pending), []
            splicer = _Splicer(text)
            if not alone:
                splicer.depends(group)
        splices = splicer.plan(group)
        if pending and _overlap(pending + splices):
            text, pending = _splice_all(text, pending), []
            splicer = _Splicer(text)
            splices = splicer.plan(group)
        pending += splices
        if alone:
            text, pending, splicer = _splice_all(text, pending), [], None
    text = _splice_all(text, pending)
    try:
        result = construct(_compose(text))
    except EditError:
        result = _INVALID
    if result != expected:
        raise EditError(
            "the edited text does not read back as intended (YAML anchors, aliases or an unusual layout "
            "around the change); make this change by hand"
        )
    return text


Splice = tuple[int, int, str]
"""Replace ``text[start:end]`` with the string; positions refer to the text that was parsed."""


def _splice_all(text: str, splices: list[Splice]) -> str:
    """Make every splice, from the end backwards.

    Blocks inserted at one position end up deepest-indented first (a key closing an
    inner mapping before a key of its parent), then in the order they were planned.
    """

    def indent(new: str) -> int:
        line = new.lstrip("\r\n")
        return len(line) - len(line.lstrip(" "))

    order = sorted(range(len(splices)), key=lambda i: (splices[i][0], -indent(splices[i][2]), i), reverse=True)
    for i in order:
        start, end, new = splices[i]
        text = text[:start] + new + text[end:]
    return text


def _overlap(splices: list[Splice]) -> bool:
    ordered = sorted(splices, key=lambda s: (s[0], s[1]))
    return any(a[1] > b[0] and a[0] != a[1] for a, b in zip(ordered, ordered[1:], strict=False))


@dataclass(frozen=True)
class _Many:
    """Several SetKeys (``key: value`` items) or AppendItems (values) on one path, made in one splice."""

    path: Path
    items: tuple[tuple[str, str], ...] | tuple[str, ...]
    sequence: bool


def _groups(edits: list[Edit]) -> list[Edit | _Many]:
    """Runs of SetKey (or AppendItem) on the same path become one edit: one parse, one insertion."""
    groups: list[Edit | _Many] = []
    for edit in edits:
        last = groups[-1] if groups else None
        if isinstance(edit, SetKey):
            if isinstance(last, _Many) and not last.sequence and last.path == edit.path:
                groups[-1] = _Many(edit.path, (*last.items, (edit.key, edit.value)), False)
                continue
            groups.append(_Many(edit.path, ((edit.key, edit.value),), False))
        elif isinstance(edit, AppendItem):
            if isinstance(last, _Many) and last.sequence and last.path == edit.path:
                groups[-1] = _Many(edit.path, (*last.items, edit.value), True)
                continue
            groups.append(_Many(edit.path, (edit.value,), True))
        else:
            groups.append(edit)
    return groups


def _compose(text: str) -> Node:
    try:
        node = compose(text)
    except yaml.YAMLError as exc:
        raise EditError(f"cannot parse the document: {str(exc).splitlines()[0]}") from None
    if node is None:
        raise EditError("the document is empty")
    return node


def render(value: str, style: str | None = '"', flow: bool = False) -> str:
    """``value`` as a YAML string scalar in ``style`` (None: plain) when that reads back as the same string."""
    if style is None and _plain_ok(value, flow):
        return value
    if style == "'" and value.isprintable():
        return "'" + value.replace("'", "''") + "'"
    return json.dumps(value, ensure_ascii=False)


def _plain_ok(value: str, flow: bool) -> bool:
    if not value or value != value.strip() or not value.isprintable() or value[0] in _INDICATORS:
        return False
    if ": " in value or " #" in value or value.endswith(":") or (flow and any(c in value for c in ",[]{}")):
        return False
    try:
        return yaml.load(value, Loader=Loader) == value
    except yaml.YAMLError:
        return False


def _last_leaf(node: Node) -> Node:
    """The node written last inside a block collection (a scalar, a flow or an empty collection)."""
    while isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style and node.value:
        node = node.value[-1][1] if isinstance(node, MappingNode) else node.value[-1]
    return node


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null" and node.value in _NULLS


def _shared_nodes(root: Node) -> set[int]:
    """Ids of collection nodes reached more than once (anchors with aliases)."""
    seen: set[int] = set()
    shared: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if not isinstance(node, (MappingNode, SequenceNode)):
            continue
        if id(node) in seen:
            shared.add(id(node))
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            stack.extend(v for pair in node.value for v in pair)
        else:
            stack.extend(node.value)
    return shared


def _pair(node: MappingNode, key: str) -> tuple[Node, Node] | None:
    for k, v in node.value:
        if isinstance(k, ScalarNode) and k.value == key:
            return k, v
    return None


class _Splicer:
    """Plans splices for edits on one parse of a text; positions refer to that text."""

    def __init__(self, text: str, root: Node | None = None) -> None:
        self.text = text
        self.root = root if root is not None else _compose(text)
        self.shared = _shared_nodes(self.root) if "*" in text else set()  # no alias, nothing shared
        self.planned: list[tuple[Path, tuple[int, str | int] | None]] = []
        self.nl = "\r\n" if "\r\n" in text else "\n"
        keys = [k for k, _ in self.root.value] if isinstance(self.root, MappingNode) else []
        # JSON manifests (and YAML written like JSON) quote every key: new keys follow
        self.key_style = '"' if keys and all(getattr(k, "style", None) == '"' for k in keys) else None

    def depends(self, group: _Many) -> bool:
        """Whether ``group`` touches what a run planned earlier on this parse adds or changes."""
        chain, rest = self._walk(group.path)
        creates = (id(chain[-1][1]), rest[0]) if rest else None
        for path, created in self.planned:
            shorter = min(len(path), len(group.path))
            if path[:shorter] == group.path[:shorter] or (creates and creates == created):
                return True
        self.planned.append((group.path, creates))
        return False

    # -- locating --------------------------------------------------------
    def walk(self, path: Path) -> tuple[list[tuple[Node | None, Node]], Path]:
        """Nodes along ``path`` as (key node, value node), and the part of ``path`` not found.

        A node written once and used again through an alias (``&x`` ... ``*x``)
        cannot be edited in one place only, so reaching one is an EditError.
        """
        chain, rest = self._walk(path)
        for _, node in chain:
            if id(node) in self.shared:
                raise EditError(
                    f"line {node.start_mark.line + 1} is a YAML anchor used elsewhere through an alias; "
                    "editing it would change both places, so make this change by hand"
                )
        return chain, rest

    def _walk(self, path: Path) -> tuple[list[tuple[Node | None, Node]], Path]:
        chain: list[tuple[Node | None, Node]] = [(None, self.root)]
        node = self.root
        for i, step in enumerate(path):
            if isinstance(node, MappingNode) and isinstance(step, str) and (pair := _pair(node, step)):
                chain.append(pair)
                node = pair[1]
            elif isinstance(node, SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
                chain.append((None, node.value[step]))
                node = node.value[step]
            else:
                return chain, path[i:]
        return chain, ()

    def line_start(self, index: int) -> int:
        return self.text.rfind("\n", 0, index) + 1

    def after_line(self, index: int) -> int:
        end = self.text.find("\n", index)
        return len(self.text) if end < 0 else end + 1

    def end_of(self, node: Node) -> int:
        """Start of the line after ``node``'s last line (its trailing comment included)."""
        node = _last_leaf(node)
        if isinstance(node, ScalarNode) and node.style in ("|", ">"):
            return self._block_scalar_end(node)
        return self.after_line(node.end_mark.index)

    def insert_at(self, node: MappingNode | SequenceNode) -> int:
        """Where new entries of a block collection go: after its last entry, as a rule.

        A block scalar that ends a file without a final newline has no line break in its
        value; a line after it would add one, so new entries go before the entry holding it.
        """
        end = self.end_of(node)
        if end < len(self.text) or self.text.endswith("\n") or not self._ends_with_block_scalar(node):
            return end
        last = node.value[-1][0] if isinstance(node, MappingNode) else node.value[-1]
        return self.line_start(last.start_mark.index) if isinstance(node, MappingNode) else self._dash_line(last)

    def _block_scalar_end(self, node: ScalarNode) -> int:
        """Where a block scalar's text ends: before its trailing blank lines, unless it keeps them (``|+``)."""
        end = node.end_mark.index
        header = self.text[node.start_mark.index : self.after_line(node.start_mark.index)].split("#")[0]
        if "+" in header:
            return end
        while end > node.start_mark.index:
            previous = self.line_start(end - 1)
            if self.text[previous:end].strip():
                break
            end = previous
        return end

    def step(self, chain: list[tuple[Node | None, Node]]) -> int:
        """The document's indentation step, from the nearest nested block mapping."""
        candidates = [pair for pair in reversed(chain) if pair[0] is not None]
        candidates += list(self._pairs(self.root))
        for key, value in candidates:
            if isinstance(value, MappingNode) and not value.flow_style and value.value:
                width = value.value[0][0].start_mark.column - key.start_mark.column
                if width > 0:
                    return width
        return 2

    def sequence_offset(self) -> int:
        """How far this document indents ``- `` under its key (0 or the indentation step)."""
        for key, value in self._pairs(self.root):
            if isinstance(value, SequenceNode) and not value.flow_style and value.value:
                return max(0, value.start_mark.column - key.start_mark.column)
        return 0

    def _pairs(self, node: Node, depth: int = 0):
        if depth > 40:
            return
        if isinstance(node, MappingNode):
            for key, value in node.value:
                yield key, value
                yield from self._pairs(value, depth + 1)
        elif isinstance(node, SequenceNode):
            for item in node.value:
                yield from self._pairs(item, depth + 1)

    # -- splicing --------------------------------------------------------
    def splice(self, start: int, end: int, new: str) -> list[Splice]:
        return [(start, end, new)]

    def insert_lines(self, at: int, lines: list[str]) -> list[Splice]:
        block = self.nl.join(lines)
        if at == len(self.text) and not self.text.endswith("\n"):
            return self.splice(at, at, self.nl + block)  # keep the missing final newline missing
        return self.splice(at, at, block + self.nl)

    def plan(self, edit: Edit | _Many) -> list[Splice]:
        """The splices that make ``edit`` in this text."""
        if isinstance(edit, _Many):
            if edit.sequence:
                return self.append_items(edit.path, list(edit.items))  # type: ignore[arg-type]
            return self.set_keys(edit.path, list(edit.items))  # type: ignore[arg-type]
        target = deletion_target(construct(self.root), edit)  # type: ignore[arg-type]
        return self.remove(*target) if target is not None else []

    def set_keys(self, path: Path, items: list[tuple[str, str]]) -> list[Splice]:
        chain, rest = self.walk(path)
        node = chain[-1][1]
        splices: list[Splice] = []
        if not rest and isinstance(node, MappingNode):
            missing = []
            for key, value in items:
                pair = _pair(node, key)
                if pair is None:
                    missing.append((key, value))
                else:
                    splices += self.replace_scalar(pair[1], value)
            if not missing:
                return splices
            items = missing
            if node.value and not node.flow_style:
                indent = " " * node.value[0][0].start_mark.column
                style = self.value_style(node)
                lines = [f"{indent}{self.key(k)}: {render(v, style)}" for k, v in items]
                return splices + self.insert_lines(self.insert_at(node), lines)
        style = self.value_style(node if not rest else None)
        flow = not rest and getattr(node, "flow_style", False)
        entries = [f"{self.key(k, flow)}: {render(v, style, flow)}" for k, v in items]
        return splices + self.create(chain, rest, entries)

    def append_items(self, path: Path, values: list[str]) -> list[Splice]:
        chain, rest = self.walk(path)
        node = chain[-1][1]
        if not rest and isinstance(node, SequenceNode):
            style = self.value_style(node)
            if node.flow_style:
                return self.add_flow_item(node, [render(v, style, True) for v in values])
            dash = " " * node.start_mark.column + "- "
            return self.insert_lines(self.insert_at(node), [dash + render(v, style) for v in values])
        style = self.value_style(None)
        return self.create(chain, rest, ["- " + render(v, style) for v in values], sequence=True)

    def replace_scalar(self, node: Node, value: str) -> list[Splice]:
        if not isinstance(node, ScalarNode):
            raise EditError(f"expected a string at line {node.start_mark.line + 1}, found a {node.id}")
        if node.value == value and node.tag == "tag:yaml.org,2002:str":
            return []
        style = node.style if node.style in ("'", '"') else None
        new = render(value, style, self._in_flow(node))
        start, end = node.start_mark.index, node.end_mark.index
        if start == end and self.text[start - 1 : start] == ":":
            new = " " + new  # `key:` with no value at all
        aligned = _ALIGNED_COMMENT.match(self.text, end)
        if aligned and len(new) != end - start:
            # keep a trailing comment in its column when it was aligned with padding
            padding = len(aligned.group(1)) - (len(new) - (end - start))
            return self.splice(start, aligned.end(1), new + " " * max(padding, 1))
        return self.splice(start, end, new)

    def _in_flow(self, target: Node) -> bool:
        def search(node: Node, flow: bool) -> bool | None:
            if node is target:
                return flow
            children = (
                [v for pair in node.value for v in pair]
                if isinstance(node, MappingNode)
                else node.value
                if isinstance(node, SequenceNode)
                else []
            )
            for child in children:
                found = search(child, flow or bool(getattr(node, "flow_style", False)))
                if found is not None:
                    return found
            return None

        return bool(search(self.root, False))

    def add_flow_item(self, node: MappingNode | SequenceNode, items: list[str]) -> list[Splice]:
        if not node.value:
            at = node.start_mark.index + 1
            return self.splice(at, at, ", ".join(items))
        first = node.value[-1][0] if isinstance(node, MappingNode) else node.value[-1]
        last = node.value[-1][1] if isinstance(node, MappingNode) else node.value[-1]
        at = last.end_mark.index
        if first.start_mark.line == node.start_mark.line:
            return self.splice(at, at, "".join(", " + item for item in items))
        # one item per line (pretty-printed JSON, commented flow maps): each new item gets its own line,
        # after the last item's comma and comment
        indent = " " * first.start_mark.column
        rest = _REST_OF_LINE.match(self.text, at)
        if rest is None:  # the closing bracket follows on the same line
            return self.splice(at, at, "".join("," + self.nl + indent + item for item in items))
        if rest.group(1):  # a trailing comma after every item
            return self.splice(rest.end(), rest.end(), "".join(indent + item + "," + self.nl for item in items))
        lines = ("," + self.nl).join(indent + item for item in items) + self.nl
        return [(at, at, ","), (rest.end(), rest.end(), lines)]

    def create(self, chain, rest: Path, entries: list[str], sequence: bool = False) -> list[Splice]:
        """Add what is missing of ``rest`` below the last node found, then ``entries`` (``k: v`` or ``- v``)."""
        if any(not isinstance(step, str) for step in rest):
            raise EditError(f"cannot create {'/'.join(map(str, rest))}: a list index is missing")
        key_node, node = chain[-1]
        step = self.step(chain)
        if isinstance(node, MappingNode) and (rest or node.flow_style):
            if node.flow_style:
                items = [self.flow_nest(rest, entries, sequence)] if rest else entries
                return self.add_flow_item(node, items)
            indent = node.value[0][0].start_mark.column
            return self.insert_lines(self.insert_at(node), self._block(indent, step, rest, entries, sequence))
        if _is_null(node) and key_node is not None:
            if node.value == "":
                if rest:
                    lines = self._block(key_node.start_mark.column + step, step, rest, entries, sequence)
                else:
                    indent = key_node.start_mark.column + (self.sequence_offset() if sequence else step)
                    lines = [" " * indent + entry for entry in entries]
                return self.insert_lines(self.after_line(node.end_mark.index), lines)
            if rest:
                flow = "{" + self.flow_nest(rest, entries, sequence) + "}"
            else:
                flow = self._flow_collection(entries, sequence)
            return self.splice(node.start_mark.index, node.end_mark.index, flow)
        kind = "list" if sequence and not rest else "mapping"
        raise EditError(f"expected a {kind} at line {node.start_mark.line + 1}, found a {node.id}")

    @staticmethod
    def _flow_collection(entries: list[str], sequence: bool) -> str:
        if sequence:
            return "[" + ", ".join(entry[2:] for entry in entries) + "]"
        return "{" + ", ".join(entries) + "}"

    def value_style(self, neighbours: Node | None) -> str | None:
        return self.key_style or _sibling_style(neighbours)

    def key(self, name: str, flow: bool = False) -> str:
        return render(name, self.key_style, flow)

    def flow_nest(self, names: Path, entries: list[str], sequence: bool = False) -> str:
        """``a: {b: {entries}}`` for inserting below a flow mapping."""
        inner = self._flow_collection(entries, sequence)
        for name in reversed(names[1:]):
            inner = "{" + f"{self.key(str(name), True)}: {inner}" + "}"
        return f"{self.key(str(names[0]), True)}: {inner}"

    def _block(self, indent: int, step: int, names: Path, entries: list[str], sequence: bool) -> list[str]:
        lines = [" " * (indent + depth * step) + f"{self.key(str(name))}:" for depth, name in enumerate(names)]
        inner = indent + len(names) * step
        if sequence:
            inner = indent + (len(names) - 1) * step + self.sequence_offset()
        return lines + [" " * inner + entry for entry in entries]

    def remove(self, path: Path, step: str | int) -> list[Splice]:
        chain, rest = self.walk(path)
        container = chain[-1][1]
        if rest:
            return []
        if isinstance(container, MappingNode):
            pairs = container.value
            index = next(i for i, (k, _) in enumerate(pairs) if isinstance(k, ScalarNode) and k.value == step)
            entries = [(k, v) for k, v in pairs]
            first, last = entries[index][0], entries[index][1]
        else:
            index = int(step)
            entries = [(item, item) for item in container.value]
            first = last = container.value[index]
        if container.flow_style:
            return self.remove_flow(container, entries, index)
        if isinstance(container, MappingNode):
            start = self.line_start(first.start_mark.index)
            if self.text[start : first.start_mark.index].strip():
                raise EditError(f"line {first.start_mark.line + 1} holds more than the entry to remove")
        else:
            start = self._dash_line(first)
        end = self.end_of(last)
        at_end = end == len(self.text) and not self.text.endswith("\n") and start > 0
        if at_end and not (index and self._ends_with_block_scalar(entries[index - 1][1])):
            # no final newline after the removed last line: drop the one before it instead, unless
            # it ends a block scalar, whose value includes it
            start -= 2 if self.text[max(0, start - 2) : start] == "\r\n" else 1
        removal = self.splice(start, end, "")
        if len(entries) > 1:
            return removal
        holder = chain[-1][0]  # the container is left empty, where removal_target chose to keep it
        if holder is None:
            raise EditError(f"removing line {first.start_mark.line + 1} would leave an empty document part")
        colon = self.text.index(":", holder.end_mark.index)
        empty = " {}" if isinstance(container, MappingNode) else " []"
        return removal + [(colon + 1, colon + 1, empty)]

    @staticmethod
    def _ends_with_block_scalar(node: Node) -> bool:
        leaf = _last_leaf(node)
        return isinstance(leaf, ScalarNode) and leaf.style in ("|", ">")

    def _dash_line(self, item: Node) -> int:
        """Start of the line holding a block sequence item's ``-`` (maybe above it, after a comment)."""
        start = self.line_start(item.start_mark.index)
        for _ in range(100):  # the item's line, then the comment and blank lines above it
            match = _DASH_BEFORE.match(self.text, start)
            if match and match.end() == item.start_mark.index:
                return start
            if start == 0:
                break
            start = self.line_start(start - 1)
        raise EditError(f"line {item.start_mark.line + 1} holds more than the entry to remove")

    def remove_flow(self, container: Node, entries: list[tuple[Node, Node]], index: int) -> list[Splice]:
        first, last = entries[index]
        if len(entries) == 1:
            return self.splice(container.start_mark.index + 1, container.end_mark.index - 1, "")
        start = self.line_start(first.start_mark.index)
        rest = _REST_OF_LINE.match(self.text, last.end_mark.index)
        if not self.text[start : first.start_mark.index].strip() and rest:
            # the item has its own line (and maybe a comment): the line goes, and when it was the
            # last item without a trailing comma, so does the comma of the item before it
            removal = self.splice(start, rest.end(), "")
            previous = entries[index - 1][1].end_mark.index if index else -1
            comma = _COMMA.match(self.text, previous) if index == len(entries) - 1 and not rest.group(1) else None
            if comma and index:
                return removal + [(comma.end() - 1, comma.end(), "")]
            return removal
        if index < len(entries) - 1:
            return self.splice(first.start_mark.index, entries[index + 1][0].start_mark.index, "")
        return self.splice(entries[index - 1][1].end_mark.index, last.end_mark.index, "")


def _sibling_style(node: Node | None) -> str | None:
    """Quote new values as the neighbours are quoted: plain among plain, '…' among '…', else "…"."""
    if not isinstance(node, (MappingNode, SequenceNode)):
        return None
    values = node.value if isinstance(node, SequenceNode) else [v for _, v in node.value]
    styles = {v.style or None for v in values if isinstance(v, ScalarNode)}
    if '"' in styles:
        return '"'
    if "'" in styles:
        return "'"
    return None

"""Edits to one document, described on its data so they can be checked.

The phases decide *what* changes as a list of these; ``yamledit`` makes the
change in the text; ``apply`` makes the same change on plain data, and the
edited text must read back as exactly that data.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class SetKey:
    """Give the mapping at ``path`` the string ``key: value``; missing mappings are created."""

    path: Path
    key: str
    value: str


@dataclass(frozen=True)
class DeleteKey:
    """Remove ``key`` from the mapping at ``path``.

    A mapping left empty is removed from its parent too, up to ``keep``
    levels of ``path`` (an emptied ``annotations:`` goes, the pod template stays).
    """

    path: Path
    key: str
    keep: int = 0


@dataclass(frozen=True)
class AppendItem:
    """Append the string ``value`` to the sequence at ``path`` (created when missing)."""

    path: Path
    value: str


@dataclass(frozen=True)
class DeleteItem:
    """Remove item ``index`` of the sequence at ``path``; an emptied sequence goes as for DeleteKey."""

    path: Path
    index: int
    keep: int = 0


Edit = SetKey | DeleteKey | AppendItem | DeleteItem


class EditError(ValueError):
    """A document the text editor cannot change safely; the message says why."""


def lookup(data: Any, path: Path) -> Any:
    for step in path:
        if (isinstance(data, dict) and step in data) or (
            isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data)
        ):
            data = data[step]
        else:
            return None
    return data


def removal_target(data: Any, path: Path, step: str | int, keep: int) -> tuple[Path, str | int]:
    """Which entry to remove so that no mapping or sequence is left empty above ``keep``."""
    while len(path) > keep:
        container = lookup(data, path)
        if not isinstance(container, (dict, list)) or len(container) != 1:
            break
        path, step = path[:-1], path[-1]
    return path, step


def apply(data: Any, edits: list[Edit], *, in_place: bool = False) -> Any:
    """``data`` with ``edits`` made, as the edited text must read back (a copy unless ``in_place``)."""
    result = data if in_place else copy.deepcopy(data)
    for edit in edits:
        result = _apply_one(result, edit)
    return result


def _apply_one(data: Any, edit: Edit) -> Any:
    if isinstance(edit, (SetKey, AppendItem)):
        data = {} if data is None else data
        node = data
        for i, step in enumerate(edit.path):
            if isinstance(node, list):
                node = node[step]  # type: ignore[index]
                continue
            last = i == len(edit.path) - 1
            if node.get(step) is None:
                node[step] = [] if last and isinstance(edit, AppendItem) else {}
            node = node[step]
        if isinstance(edit, SetKey):
            node[edit.key] = edit.value
        else:
            node.append(edit.value)
        return data
    target = deletion_target(data, edit)
    if target is not None:
        del lookup(data, target[0])[target[1]]
    return data


def deletion_target(data: Any, edit: DeleteKey | DeleteItem) -> tuple[Path, str | int] | None:
    """The entry a removal really deletes (see ``removal_target``); None when there is nothing to delete."""
    found = lookup(data, edit.path)
    if isinstance(edit, DeleteKey):
        if not isinstance(found, dict) or edit.key not in found:
            return None
        return removal_target(data, edit.path, edit.key, edit.keep)
    if not isinstance(found, list) or not 0 <= edit.index < len(found):
        return None
    return removal_target(data, edit.path, edit.index, edit.keep)

"""Reading and writing playbook files, with every problem placed on its line.

The YAML is composed into nodes first (the same libyaml composer discovery uses), so each key path the pure
checks in ``migrator.core.playbook`` report maps to the line of its key, or of the nearest parent that exists
when the key is missing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import yaml

from migrator.core.playbook import Path, Playbook, PlaybookInvalid, Problem, check_target, parse_playbook
from migrator.errors import InputError
from migrator.sources.manifests.parse import compose, construct
from migrator.storage.atomic import write_text

HINT = "Every key, its type and allowed values: playbooks/README.md."
_TOP_KEYS = "apiVersion, kind, metadata, target, options, phases"


@dataclass(frozen=True)
class LocatedProblem:
    """A problem with the file and line it is about (``line`` 0: no file to point into)."""

    source: str
    line: int
    problem: Problem

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.problem}"


class PlaybookError(InputError):
    """A playbook with problems; ``problems`` holds each, located, in line order."""

    def __init__(self, message: str, problems: list[LocatedProblem]) -> None:
        super().__init__(message, hint=HINT)
        self.problems = problems


def load_playbook(path: str | os.PathLike[str]) -> Playbook:
    """The playbook in ``path``; raises ``InputError`` naming the file and line of every problem."""
    name = os.fspath(path)
    text = _read(name)
    try:
        node = compose(text)
        data = construct(node)
    except yaml.MarkedYAMLError as exc:
        raise InputError(f"{name}:{_yaml_problem(exc)}", hint=HINT) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"{name}: not valid YAML: {exc}", hint=HINT) from exc
    if node is None:
        raise InputError(f"{name}:1: the file is empty; a playbook is a mapping with keys {_TOP_KEYS}", hint=HINT)
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"the value {data!r}"
        raise InputError(
            f"{name}:{node.start_mark.line + 1}: a playbook is a mapping with keys {_TOP_KEYS}, got {kind}", hint=HINT
        )
    lines: dict[Path, int] = {(): node.start_mark.line + 1}
    duplicates: list[Problem] = []
    _index(node, (), lines, duplicates, set())
    try:
        playbook = parse_playbook(data)
    except PlaybookInvalid as exc:
        raise _error(name, duplicates + exc.problems, lines) from None
    if duplicates:
        raise _error(name, duplicates, lines)
    playbook.source = name
    playbook.lines = lines
    return playbook


def require_target(playbook: Playbook) -> None:
    """``check_target`` as an ``InputError`` placed in the playbook's file (call after command-line overrides)."""
    problems = check_target(playbook)
    if problems:
        raise _error(playbook.source or f"playbook {playbook.name}", problems, playbook.lines)


def dump_playbook(playbook: Playbook) -> str:
    """YAML text ``load_playbook`` reads back to an equal playbook (no comments)."""
    return yaml.safe_dump(playbook.to_dict(), sort_keys=False, default_flow_style=False, width=1000)


def save_playbook(path: str | os.PathLike[str], playbook: Playbook) -> None:
    """Write atomically; a new file gets mode 0644, an existing one keeps its mode."""
    write_text(os.fspath(path), dump_playbook(playbook))


def line_of(lines: dict[Path, int], path: Path) -> int:
    """The line of ``path``'s key, or of its nearest parent in the file (0 when nothing is known)."""
    for end in range(len(path), -1, -1):
        line = lines.get(path[:end])
        if line:
            return line
    return 0


def _read(name: str) -> str:
    try:
        with open(name, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        raise InputError(f"{name}: no such playbook file", hint="The shipped playbooks are in playbooks/.") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory; give a playbook file (.yaml)") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read the playbook ({exc.strerror or exc})") from None


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    """``LINE: not valid YAML: problem (context at line N)``, the line being where the parser gave up."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 1
    text = f"{line}: not valid YAML: {exc.problem or exc.context}"
    if exc.problem and exc.context:
        where = exc.context_mark.line + 1 if exc.context_mark else line
        text += f" ({exc.context}" + (f" at line {where})" if where != line else ")")
    return text


def _index(node: yaml.Node, path: Path, lines: dict[Path, int], duplicates: list[Problem], chain: set[int]) -> None:
    """Record the line of every key and list item under ``node``; note keys written twice."""
    if id(node) in chain:  # a recursive alias
        return
    chain = chain | {id(node)}
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            child = (*path, key_node.value)
            line = key_node.start_mark.line + 1
            if key_node.value in seen:
                duplicates.append(
                    Problem(child, f"duplicate key (first at line {seen[key_node.value]}); each key may appear once")
                )
            else:
                seen[key_node.value] = line
            lines[child] = line
            _index(value_node, child, lines, duplicates, chain)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            _index(item, (*path, i), lines, duplicates, chain)


def _error(source: str, problems: list[Problem], lines: dict[Path, int]) -> PlaybookError:
    located = sorted((LocatedProblem(source, line_of(lines, p.path), p) for p in problems), key=lambda item: item.line)
    count = f"{len(located)} problem{'s' if len(located) != 1 else ''}"
    body = "\n".join(str(item) for item in located)
    return PlaybookError(f"{source}: not a valid playbook ({count}):\n{body}", located)

"""The field checks of playbooks (pure): each checks one value, records a ``Problem`` at its key path and returns
the typed value, or ``INVALID``. ``core.playbook`` assembles them into sections and phases."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from migrator.core.durations import parse_duration
from migrator.core.naming import PatternError, check_pattern
from migrator.core.resource_ids import cluster_id as parse_cluster_id
from migrator.core.sidecar import parse_workload_ref

NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
NAMESPACE = NAME
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
VERSION = re.compile(r"^v?(\d+)\.(\d+)")
GLOB_CHARS = re.compile(r"[*?\[]")
PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
KINDS = "Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, Pod"

Path = tuple[str | int, ...]


# --- problems -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a playbook: the key path it is about (``("phases", 2, "verify", "wait")``) and why."""

    path: Path
    message: str

    def __str__(self) -> str:
        return f"{dotted_path(self.path)}: {self.message}"


def dotted_path(path: Path) -> str:
    """``phases[2].verify.wait``; keys that are not plain words are quoted (``workloadModes["legacy/*"]``)."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif PLAIN_KEY.match(part):
            text += f".{part}" if text else part
        else:
            text += '["' + part.replace("\\", "\\\\").replace('"', '\\"') + '"]'
    return text or "(top level)"


class PlaybookInvalid(ValueError):
    """Every problem found in a playbook (never just the first)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


# --- field checks: each returns the typed value, or INVALID after recording a problem ----------------------


class Invalid:
    def __repr__(self) -> str:
        return "<invalid>"


INVALID: Any = Invalid()
Check = Callable[[Any, Path, list[Problem]], Any]


def show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{type(value).__name__} {value!r}"


def bad(problems: list[Problem], path: Path, message: str) -> Any:
    problems.append(Problem(path, message))
    return INVALID


def boolean(value: Any, path: Path, problems: list[Problem]) -> Any:
    return value if isinstance(value, bool) else bad(problems, path, f"expected true or false, got {show(value)}")


def text(what: str = "a string", pattern: re.Pattern[str] | None = None, hint: str = "") -> Check:
    def check(value: Any, path: Path, problems: list[Problem]) -> Any:
        if not isinstance(value, str) or not value:
            return bad(problems, path, f"expected {what}, got {show(value)}")
        if pattern is not None and not pattern.match(value):
            return bad(problems, path, f"{value!r} is not {what}{hint}")
        return value

    return check


def any_text(value: Any, path: Path, problems: list[Problem]) -> Any:
    """A string, empty allowed."""
    return value if isinstance(value, str) else bad(problems, path, f"expected a string, got {show(value)}")


def nullable(check: Check) -> Check:
    def nullable(value: Any, path: Path, problems: list[Problem]) -> Any:
        return None if value is None else check(value, path, problems)

    return nullable


def choice(choices: tuple[str, ...]) -> Check:
    def check(value: Any, path: Path, problems: list[Problem]) -> Any:
        if isinstance(value, str) and value in choices:
            return value
        return bad(problems, path, f"{show(value)} is not allowed; allowed: {', '.join(choices)}")

    return check


def seconds(value: Any, path: Path, problems: list[Problem]) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0:
        return float(value)
    return bad(problems, path, f"expected a number of seconds, 0 or more, got {show(value)}")


def int_range(low: int, high: int) -> Check:
    def check(value: Any, path: Path, problems: list[Problem]) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            return value
        return bad(problems, path, f"expected a whole number {low}..{high}, got {show(value)}")

    return check


def duration(positive: bool = False) -> Check:
    def check(value: Any, path: Path, problems: list[Problem]) -> Any:
        try:
            seconds = parse_duration(value)
        except ValueError as exc:
            return bad(problems, path, str(exc))
        if positive and seconds <= 0:
            return bad(problems, path, f"{value!r}: must be more than 0 (examples: 10s, 1m)")
        return seconds

    return check


def list_of(item: Check, what: str, non_empty: str = "") -> Check:
    def check(value: Any, path: Path, problems: list[Problem]) -> Any:
        if not isinstance(value, list):
            hint = f"; write [{value}]" if isinstance(value, str) else ""
            return bad(problems, path, f"expected a list of {what}, got {show(value)}{hint}")
        if non_empty and not value:
            return bad(problems, path, non_empty)
        items = [item(v, (*path, i), problems) for i, v in enumerate(value)]
        return INVALID if any(v is INVALID for v in items) else items

    return check


def mapping_of(key: Check, value_check: Check, what: str) -> Check:
    def check(value: Any, path: Path, problems: list[Problem]) -> Any:
        if not isinstance(value, dict):
            return bad(problems, path, f"expected a mapping of {what}, got {show(value)}")
        result = {}
        for k, v in value.items():
            item_path = (*path, str(k))
            checked_key = key(k, item_path, problems)
            checked = value_check(v, item_path, problems)
            if checked_key is not INVALID and checked is not INVALID:
                result[checked_key] = checked
        return result if len(result) == len(value) else INVALID

    return check


def pattern(tokens: tuple[str, ...], nullable: bool = False) -> Check:
    def check(value: Any, path: Path, problems: list[Problem]) -> Any:
        if value is None and nullable:
            return None
        if not isinstance(value, str) or not value:
            return bad(
                problems, path, f"expected a naming pattern such as {'{' + tokens[0] + '}'!r}, got {show(value)}"
            )
        try:
            check_pattern(value, tokens)
        except PatternError as exc:
            return bad(problems, path, str(exc))
        except ValueError as exc:  # a malformed {...}
            return bad(problems, path, f"{value!r} is not a valid pattern: {exc}")
        return value

    return check


def kind_of(text: str) -> str | None:
    """The canonical workload kind for a kubectl spelling (``deploy``, ``deployments``), None if it is none."""
    try:
        return parse_workload_ref(f"x/{text}/x")[1]
    except ValueError:
        return None


def glob(exact_kind: bool = False) -> Check:
    """A workload glob ``NS/KIND/NAME`` or ``NS/NAME``; a literal KIND must be a workload kind."""

    def check(value: Any, path: Path, problems: list[Problem]) -> Any:
        if not isinstance(value, str) or not value:
            return bad(problems, path, f"expected a workload glob NS/KIND/NAME (or NS/NAME, or *), got {show(value)}")
        parts = value.split("/")
        if len(parts) > 3:
            return bad(problems, path, f"{value!r}: a workload glob is NS/KIND/NAME, NS/NAME or * (at most 2 '/')")
        if len(parts) == 3 and not GLOB_CHARS.search(parts[1]):
            kind = kind_of(parts[1])
            if kind is None:
                return bad(problems, path, f"{value!r}: {parts[1]!r} is not a workload kind ({KINDS})")
            if exact_kind and kind != parts[1]:
                return bad(problems, path, f"{value!r}: write the kind as {kind!r} (compared exactly here)")
        return value

    return check


def workload_ref(value: Any, path: Path, problems: list[Problem]) -> Any:
    if not isinstance(value, str):
        return bad(problems, path, f"expected a workload NS/KIND/NAME, got {show(value)}")
    try:
        parse_workload_ref(value)
    except ValueError as exc:
        return bad(problems, path, str(exc))
    return value


def name_key(what: str, max_slashes: int) -> Check:
    def check(value: Any, path: Path, problems: list[Problem]) -> Any:
        if not isinstance(value, str) or not value or value.count("/") > max_slashes or "" in value.split("/"):
            return bad(problems, path, f"expected {what}, got {show(value)}")
        return value

    return check


def playbook_name(value: Any, path: Path, problems: list[Problem]) -> Any:
    if isinstance(value, str) and NAME.match(value) and len(value) <= 63:
        return value
    return bad(problems, path, f"expected lowercase letters, digits and '-' (at most 63), got {show(value)}")


def version_text(value: Any, path: Path, problems: list[Problem]) -> Any:
    if isinstance(value, float):
        return bad(problems, path, f'quote the version: unquoted {value!r} is a number in YAML (write "1.30")')
    if isinstance(value, str) and VERSION.match(value):
        return value
    return bad(problems, path, f'expected MAJOR.MINOR as a string, for example "1.31", got {show(value)}')


def cluster_id_text(value: Any, path: Path, problems: list[Problem]) -> Any:
    if isinstance(value, str) and parse_cluster_id(value) is not None:
        return value
    return bad(
        problems,
        path,
        f"expected an AKS cluster resource id (/subscriptions/SUB/resourceGroups/RG/providers/"
        f"Microsoft.ContainerService/managedClusters/NAME), got {show(value)}",
    )


def issuer(value: Any, path: Path, problems: list[Problem]) -> Any:
    if isinstance(value, str) and value.startswith("https://") and len(value) > len("https://"):
        return value
    return bad(
        problems, path, f"expected the OIDC issuer URL (https://...), exactly as AKS reports it, got {show(value)}"
    )

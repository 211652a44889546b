"""Reading and writing plan files (YAML, or JSON by extension)."""

from __future__ import annotations

import json

import yaml

from migrator.core.plan import Plan, PlanFormatError
from migrator.errors import InputError
from migrator.storage.atomic import write_text

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML has it: a plan of a few hundred workloads reads 5x faster."""


def _is_json(path: str) -> bool:
    return path.lower().endswith(".json")


def write_plan(path: str, data: dict) -> None:
    if _is_json(path):
        text = json.dumps(data, indent=2) + "\n"
    else:
        text = "# wimigrate migration plan: review, then `wimigrate export` (and later rewrite/apply) read it.\n"
        text += yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=1000)
    write_text(path, text)


def read_plan(path: str) -> Plan:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the plan ({exc})") from exc
    try:
        data = json.loads(text) if _is_json(path) else yaml.load(text, Loader=_LOADER)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from exc
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise InputError(f"{path}:{line}: not valid YAML: {exc.problem}") from exc
    try:
        return Plan.from_dict(data)
    except (PlanFormatError, TypeError) as exc:
        raise InputError(
            f"{path}: not a wimigrate plan: {exc}",
            hint="Write one with `wimigrate plan --manifests DIR --out plan.yaml`.",
        ) from exc

"""Durations on the command line: ``90``, ``90s``, ``5m``, ``1h30m``."""

from __future__ import annotations

import re
from typing import Any

import click

_PART = re.compile(r"(\d+(?:\.\d+)?)([hms]?)")
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0, "": 1.0}


def parse_duration(text: str) -> float:
    """Seconds; raises ValueError naming the accepted forms."""
    value = text.strip().lower()
    position, total = 0, 0.0
    while position < len(value):
        match = _PART.match(value, position)
        bare = match is not None and match.group(2) == ""
        if match is None or (bare and (position or match.end() != len(value))):
            raise ValueError(f"{text!r} is not a duration (examples: 90, 90s, 5m, 1h30m)")
        total += float(match.group(1)) * _UNIT[match.group(2)]
        position = match.end()
    if not value:
        raise ValueError("an empty duration (examples: 90, 90s, 5m, 1h30m)")
    return total


class Duration(click.ParamType):
    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, int | float):
            return float(value)
        try:
            return parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)

"""Durations on the command line: ``90``, ``90s``, ``5m``, ``1h30m``."""

from __future__ import annotations

from typing import Any

import click

from migrator.core.durations import parse_duration

__all__ = ["Duration", "parse_duration"]


class Duration(click.ParamType):
    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, int | float):
            return float(value)
        try:
            return parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)

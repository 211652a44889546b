"""Durations as people write them (``90``, ``90s``, ``5m``, ``1h30m``), shared by the CLI and playbooks (pure)."""

from __future__ import annotations

import math
import re

_PART = re.compile(r"(\d+(?:\.\d+)?)([hms]?)")
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0, "": 1.0}
EXAMPLES = "examples: 90, 90s, 5m, 1h30m"


def parse_duration(value: str | int | float) -> float:
    """Seconds from text (``5m``) or a number of seconds; raises ValueError naming the accepted forms.

    Booleans are refused (YAML reads ``yes`` as one) and so are negative numbers.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{value!r} is not a duration ({EXAMPLES})")
    if not isinstance(value, str):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{value!r} is not a duration: seconds must be a finite number, 0 or more")
        return float(value)
    text = value.strip().lower()
    position, total = 0, 0.0
    while position < len(text):
        match = _PART.match(text, position)
        bare = match is not None and match.group(2) == ""
        if match is None or (bare and (position or match.end() != len(text))):
            raise ValueError(f"{value!r} is not a duration ({EXAMPLES})")
        total += float(match.group(1)) * _UNIT[match.group(2)]
        position = match.end()
    if not text:
        raise ValueError(f"an empty duration ({EXAMPLES})")
    return total


def format_duration(seconds: float) -> str | float:
    """The shortest text ``parse_duration`` reads back to exactly ``seconds`` (``300`` -> ``5m``).

    Fractional seconds stay a number: text like ``1.5s`` could round differently on the way back.
    """
    if seconds != int(seconds):
        return float(seconds)
    rest = int(seconds)
    if rest == 0:
        return "0s"
    parts = []
    for unit, size in (("h", 3600), ("m", 60), ("s", 1)):
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)

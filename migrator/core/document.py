"""A parsed manifest document that remembers the line of every mapping key.

Recognition is pure and source-agnostic; it needs the data and, for findings,
where each field was written. Live objects carry no lines (empty map).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migrator.core.model import Source

Path = tuple[Any, ...]


@dataclass
class Document:
    path: str
    line: int
    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    index: int = 0
    chunk_line: int = 0
    """First line of the ``---`` chunk the document was read from (0: not from a file)."""

    def line_of(self, *keys: Any) -> int:
        """Line of the deepest known prefix of ``keys``, else the document's start."""
        path = tuple(keys)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.line

    def source(self, *keys: Any) -> Source:
        return Source(self.path, self.line_of(*keys))

"""Unified diffs of rewrite outcomes, in the form ``git apply`` and ``patch -p1`` take."""

from __future__ import annotations

import difflib

from migrator.rewrite.engine import FileOutcome

NO_NEWLINE = "\\ No newline at end of file\n"


def _lines(data: bytes | None) -> list[str]:
    if not data:
        return []
    return data.decode("utf-8", errors="replace").splitlines(keepends=True)


def unified_diff(outcome: FileOutcome, context: int = 3, label: str | None = None) -> str:
    """The diff of one file ('' when nothing changed), with git's headers for new and deleted files.

    ``label`` is the path shown after ``a/`` and ``b/`` (default: the outcome's path).
    """
    if outcome.status not in ("changed", "created", "deleted"):
        return ""
    path = label or outcome.path
    path = path[2:] if path.startswith("./") else path.lstrip("/")
    before, after = _lines(outcome.before), _lines(outcome.after)
    header = [f"diff --git a/{path} b/{path}\n"]
    if outcome.status == "created":
        header.append("new file mode 100644\n")
    elif outcome.status == "deleted":
        header.append("deleted file mode 100644\n")
    fromfile = f"a/{path}" if outcome.before is not None else "/dev/null"
    tofile = f"b/{path}" if outcome.after is not None else "/dev/null"
    body = []
    for line in difflib.unified_diff(before, after, fromfile, tofile, n=context):
        if line.startswith(("---", "+++")):
            body.append(line if line.endswith("\n") else line + "\n")
            continue
        body.append(line)
        if not line.endswith("\n"):
            body.append("\n" + NO_NEWLINE)
    return "".join(header + body)

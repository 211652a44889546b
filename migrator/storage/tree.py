"""Write rewrite outcomes: over the tree itself, or into a full copy of it.

Every write is atomic and keeps the file's mode; files without changes are
never opened for writing, so their bytes and mtimes stay as they were.
"""

from __future__ import annotations

import os
import shutil

from migrator.errors import InputError
from migrator.rewrite.engine import FileOutcome
from migrator.storage.atomic import write_bytes

COPY_IGNORED = (".git", ".hg", ".svn")


def write_in_place(outcomes: list[FileOutcome]) -> None:
    """Make each outcome on disk at its real path; a failure marks that outcome failed."""
    for outcome in outcomes:
        _write(outcome, outcome.real)


def write_copy(root: str, out_dir: str, outcomes: list[FileOutcome]) -> None:
    """Copy ``root`` to ``out_dir`` (links as links), then make the outcomes in the copy."""
    check_out_dir(root, out_dir)
    if os.path.isdir(root):
        ignore = shutil.ignore_patterns(*COPY_IGNORED)
        shutil.copytree(root, out_dir, symlinks=True, ignore=ignore, dirs_exist_ok=True)
    else:
        os.makedirs(out_dir, exist_ok=True)
        shutil.copy2(root, os.path.join(out_dir, os.path.basename(root)), follow_symlinks=False)
    base = root if os.path.isdir(root) else os.path.dirname(root)
    for outcome in outcomes:
        _write(outcome, os.path.join(out_dir, os.path.relpath(outcome.path, base)))


def check_out_dir(root: str, out_dir: str) -> None:
    """``--out`` must be a new or empty directory outside the tree it copies."""
    root_real = os.path.realpath(root if os.path.isdir(root) else os.path.dirname(root) or ".")
    out_real = os.path.realpath(out_dir)
    if out_real == root_real or out_real.startswith(root_real.rstrip(os.sep) + os.sep):
        raise InputError(f"--out {out_dir}: it is inside the tree being rewritten", hint="Choose one outside it.")
    if os.path.exists(out_dir) and (not os.path.isdir(out_dir) or os.listdir(out_dir)):
        raise InputError(
            f"--out {out_dir}: exists and is not an empty directory",
            hint="Remove it or name a new directory; the copy never overwrites.",
        )


def _write(outcome: FileOutcome, target: str) -> None:
    try:
        if outcome.status == "changed" and outcome.after is not None:
            write_bytes(target, outcome.after)
        elif outcome.status == "created" and outcome.after is not None:
            if os.path.lexists(target):
                raise FileExistsError(f"{outcome.path} already exists")
            write_bytes(target, outcome.after)
        elif outcome.status == "deleted":
            os.unlink(target)
    except OSError as exc:
        outcome.status = "failed"
        outcome.error = f"{outcome.path}: cannot write: {exc.strerror or exc}"

"""Time ``wimigrate rewrite --diff`` and ``rewrite --out`` on the synthetic repository, next to ``discover``.

A rewrite scans the tree as discover does, then re-reads the files that mention
pod identity and edits only the documents that change. So what matters is the
whole command's wall time and the cost each changed document adds on top of
discovery. Two trees of the same size are used: the ``--pod-identity`` one
(5% by default) and a ``--high`` one (15%), whose difference gives a cleaner
per-document slope than subtracting discover. All commands are interleaved
round by round, so a noisy neighbour skews them alike.

    python benchmarks/bench_rewrite.py [--runs 5] [--keep DIR] [--high 0.15] [--phase migrate]

Prints a Markdown block to paste into docs/benchmarks.md; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import collections
import filecmp
import functools
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass

from bench_discover import (
    Command,
    CommandFailed,
    Timing,
    machine_table,
    make_tree,
    measure_rounds,
    prepare_tree,
    run_json,
    table_row,
)

TARGET_WALL = 2.5  # s, whole command on the 10,000-document tree
TARGET_PER_DOC = 5.0  # ms per changed document
# A document starts at a ``---`` line (the generator writes no ``...`` ends).
DOC_START = re.compile(r"(?m)^---[ \t]*(?:#.*)?\r?\n?")
CONTENT = re.compile(r"(?m)^[ \t]*[^#\s]")  # a line that is neither blank nor a comment
OBJECT_NOTE = re.compile(r"^[^/\s:]+/[^/\s:]+/[^/\s:]+: ")  # "namespace/Kind/name: what changed"


@dataclass
class Changes:
    """What one ``rewrite --out -o json`` run did, checked against the copy it wrote."""

    statuses: collections.Counter
    docs_changed: int  # documents whose text differs in the copy (edited or deleted)
    docs_created: int  # documents in new files
    docs_noted: int  # the same count from the notes: one per object, one per kustomization, one per new file
    identical: int  # files outside the outcomes whose bytes the copy kept
    untouched: int  # files outside the outcomes

    @property
    def docs(self) -> int:
        return self.docs_changed + self.docs_created

    @property
    def files(self) -> int:
        return sum(self.statuses[s] for s in ("changed", "created", "deleted"))


def documents(data: bytes) -> list[bytes]:
    """The documents of a file (their text from the ``---`` line on), without comment-only chunks."""
    text = data.decode("utf-8", errors="replace")
    chunks = DOC_START.split(text)
    return [c.encode() for c in chunks if CONTENT.search(c)]


def count_changes(tree: str, out: str, data: dict) -> Changes:
    """Count changed documents by comparing each changed file's documents before and after.

    A document that kept its bytes is found unchanged in the copy; the rest were
    edited, added or removed. Also checks that every file without an outcome was
    copied byte for byte.
    """
    statuses: collections.Counter = collections.Counter()
    changed = created = noted = 0
    outcome_paths = set()
    for item in data["files"]:
        status = item["status"]
        statuses[status] += 1
        rel = os.path.relpath(item["path"], tree)
        outcome_paths.add(rel)
        if status == "created":
            with open(os.path.join(out, rel), "rb") as fh:
                created += len(documents(fh.read()))
            noted += 1
        elif status in ("changed", "deleted"):
            with open(os.path.join(tree, rel), "rb") as fh:
                before = collections.Counter(documents(fh.read()))
            after: collections.Counter = collections.Counter()
            if status == "changed":
                with open(os.path.join(out, rel), "rb") as fh:
                    after = collections.Counter(documents(fh.read()))
            changed += max((after - before).total(), (before - after).total())
            objects = sum(bool(OBJECT_NOTE.match(n)) for n in item["changes"])
            noted += objects or 1  # a kustomization's notes ("resources: add ...") are one document
    identical = untouched = 0
    for folder, _, names in os.walk(tree):
        for name in names:
            rel = os.path.relpath(os.path.join(folder, name), tree)
            if rel not in outcome_paths:
                untouched += 1
                identical += filecmp.cmp(os.path.join(tree, rel), os.path.join(out, rel), shallow=False)
    return Changes(statuses, changed, created, noted, identical, untouched)


def check_rewrite(py: str, tree: str, out: str, phase: str) -> Changes:
    """One untimed ``rewrite --out -o json``: what changed, and that the rest kept its bytes."""
    shutil.rmtree(out, ignore_errors=True)
    try:
        code, data, size = run_json(
            [py, "-m", "migrator", "rewrite", "--manifests", tree, "--phase", phase, "--out", out, "-o", "json"]
        )
        if not isinstance(data, dict) or "files" not in data:
            raise CommandFailed(f"rewrite printed JSON without a files list ({size} bytes)")
        changes = count_changes(tree, out, data)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print(
        f"  rewrite exit {code}: files {dict(changes.statuses)}, documents changed {changes.docs_changed} "
        f"+ created {changes.docs_created} (notes say {changes.docs_noted}); untouched files byte-identical "
        f"{changes.identical}/{changes.untouched}",
        file=sys.stderr,
    )
    if changes.statuses["failed"]:
        print(f"  warning: {changes.statuses['failed']} file(s) failed to rewrite", file=sys.stderr)
    if changes.docs != changes.docs_noted:
        print("  warning: the document count from the files differs from the one in the notes", file=sys.stderr)
    return changes


@dataclass
class TreeRun:
    name: str  # "5% tree"
    stats: make_tree.Stats
    changes: Changes
    timings: dict[str, Timing]

    def per_doc(self, key: str = "diff") -> float:
        """(rewrite - discover) / changed documents, in seconds."""
        return (self.timings[key].median - self.timings["discover"].median) / self.changes.docs


def commands(py: str, name: str, tree: str, out: str, phase: str, label: str, with_cp: bool) -> list[Command]:
    """discover and the rewrites on one tree (and ``cp -r``), keyed ``name/what``; ``label`` ends each label."""
    rewrite = [py, "-m", "migrator", "rewrite", "--manifests", tree, "--phase", phase]
    remove_out = functools.partial(shutil.rmtree, out, ignore_errors=True)
    result = [
        Command(
            f"{name}/discover",
            "discover" + label,
            [py, "-m", "migrator", "discover", "--manifests", tree, "-o", "json"],
        ),
        Command(f"{name}/diff", "rewrite --diff" + label, rewrite + ["--diff"]),
        Command(f"{name}/diff_json", "rewrite --diff, JSON" + label, rewrite + ["--diff", "-o", "json"]),
        Command(f"{name}/out", "rewrite --out" + label, rewrite + ["--out", out], after=remove_out),
    ]
    if with_cp:
        result.append(Command(f"{name}/cp", "copy floor" + label, ["cp", "-r", tree, out], (0,), remove_out))
    return result


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def report(low: TreeRun, high: TreeRun | None, runs: int, aliases: dict[str, str], phase: str) -> str:
    s, c, t = low.stats, low.changes, low.timings
    lines = [
        f"Tree: {s.files} files, {s.docs} YAML documents, {s.bytes / 1e6:.1f} MB; {s.pi_docs} documents in "
        f"{s.pi_files} files use pod identity (the discover benchmark's TREE). `rewrite --phase {phase}` changes "
        f"{c.statuses['changed']} files and creates {c.statuses['created']} "
        f"({c.files} files; {c.docs_changed} documents edited + {c.docs_created} created = {c.docs} changed "
        f"documents, counted by comparing each file's documents before and after). The other "
        f"{c.untouched} files are copied byte for byte ({c.identical}/{c.untouched} identical). "
        f"Wall time of the whole command, median and min of {runs} runs after one warm-up; stdout to "
        f"`/dev/null`; `NEWDIR` does not exist before each run and is removed after it, outside the timing.",
    ]
    if high is not None:
        hs, hc = high.stats, high.changes
        lines[-1] += (
            f" Second tree (TREE_HIGH, {high.name}): same size, {hs.pi_docs} pod-identity documents in "
            f"{hs.pi_files} files; {hc.files} files and {hc.docs} documents change ({hc.docs_changed} edited + "
            f"{hc.docs_created} created); {hc.identical}/{hc.untouched} other files identical."
        )
    lines += [
        "",
        "| Measure | Command | Median (s) | Min (s) | (median - discover) / changed documents |",
        "|---|---|---:|---:|---:|",
    ]
    for run in (low, high):
        if run is None:
            continue
        for key, timing in run.timings.items():
            per = f"{run.per_doc(key) * 1e3:.2f} ms" if key in ("diff", "diff_json", "out") else ""
            lines.append(table_row(timing, aliases, per))
    per_doc = low.per_doc()
    copy = t["out"].median - t["diff"].median
    lines += [
        "",
        "| Derived | Value |",
        "|---|---:|",
        f"| rewrite --diff - discover (same tree) | {(t['diff'].median - t['discover'].median) * 1e3:.0f} ms |",
        f"| per changed document: (rewrite --diff - discover) / {c.docs} documents | {per_doc * 1e3:.2f} ms |",
        f"| the same with JSON output: (rewrite --diff -o json - discover) / {c.docs} | "
        f"{low.per_doc('diff_json') * 1e3:.2f} ms |",
        f"| --out copy overhead: rewrite --out - rewrite --diff (copy and writes, less the diff text) "
        f"| {copy * 1e3:+.0f} ms |",
    ]
    if "cp" in t:
        lines.append(f"| copy floor: `cp -r` of the tree | {t['cp'].median * 1e3:.0f} ms |")
    slope = slope_net = None
    if high is not None:
        h = high.timings
        extra_docs = high.changes.docs - c.docs
        slope = (h["diff"].median - t["diff"].median) / extra_docs
        slope_net = ((h["diff"].median - h["discover"].median) - (t["diff"].median - t["discover"].median)) / extra_docs
        lines += [
            f"| slope: (rewrite --diff on {high.name} - on {low.name}) / {extra_docs} more changed documents "
            f"| {slope * 1e3:.2f} ms |",
            f"| slope without discovery's share: ((rewrite - discover) on {high.name} - on {low.name}) / "
            f"{extra_docs} | {slope_net * 1e3:.2f} ms |",
        ]
    worst = max(t["diff"].median, t["out"].median)
    lines += [
        "",
        *machine_table(),
        "",
        "Against the targets:",
        f"- Whole command on the {s.docs:,}-document tree: `rewrite --diff` **{t['diff'].median:.2f} s median, "
        f"{t['diff'].best:.2f} s best**, `rewrite --out` **{t['out'].median:.2f} s median, {t['out'].best:.2f} s "
        f"best** (target < {TARGET_WALL} s): {_verdict(worst < TARGET_WALL)}.",
        f"- Per changed document, (rewrite --diff - discover) / {c.docs}: **{per_doc * 1e3:.2f} ms** "
        f"(target <= {TARGET_PER_DOC:g} ms): {_verdict(per_doc * 1e3 <= TARGET_PER_DOC)}.",
    ]
    if slope is not None and slope_net is not None:
        lines.append(
            f"- Per changed document, slope between the two trees: **{slope * 1e3:.2f} ms** "
            f"({slope_net * 1e3:.2f} ms without discovery's share): {_verdict(slope * 1e3 <= TARGET_PER_DOC)}."
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command")
    parser.add_argument(
        "--keep", metavar="DIR", help="generate the trees in DIR/pi and DIR/pi-high and keep them; reused if present"
    )
    parser.add_argument("--phase", default="migrate", choices=("migrate", "cleanup", "remove-sidecar"))
    parser.add_argument("--docs", type=int, default=10000)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--pod-identity", type=float, default=0.05)
    parser.add_argument(
        "--high",
        type=float,
        default=0.15,
        help="pod-identity fraction of the second tree, for the per-document slope (0: skip it)",
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.high and args.high <= args.pod_identity:
        parser.error("--high must be above --pod-identity (or 0)")

    with tempfile.TemporaryDirectory(prefix="wimigrate-bench-") as tmp:
        base = os.path.abspath(args.keep) if args.keep else tmp
        os.makedirs(base, exist_ok=True)
        names = [("pi", args.pod_identity)] + ([("pi-high", args.high)] if args.high else [])
        shown = {name: f"{fraction:.0%} tree" for name, fraction in names}
        try:
            stats = {name: prepare_tree(base, name, fraction, args) for name, fraction in names}
        except ValueError as exc:
            parser.error(str(exc))
        out = os.path.join(base, "newdir")  # outside both trees
        shutil.rmtree(out, ignore_errors=True)
        aliases = {os.path.join(base, "pi"): "TREE", os.path.join(base, "pi-high"): "TREE_HIGH", out: "NEWDIR"}
        try:
            changes = {}
            plan: list[Command] = []
            for name, _ in names:
                tree = os.path.join(base, name)
                print(f"{shown[name]}:", file=sys.stderr)
                changes[name] = check_rewrite(sys.executable, tree, out, args.phase)
                label = "" if name == "pi" else f", {shown[name]}"
                plan += commands(sys.executable, name, tree, out, args.phase, label, name == "pi")
            print(f"timing {len(plan)} commands, interleaved, {args.runs} rounds:", file=sys.stderr)
            timings = measure_rounds(plan, args.runs)
        except (CommandFailed, OSError) as exc:
            print(f"benchmark stopped: {exc}", file=sys.stderr)
            return 2
        finally:
            shutil.rmtree(out, ignore_errors=True)
        runs = []
        for name, _ in names:
            mine = {key.split("/", 1)[1]: t for key, t in timings.items() if key.startswith(name + "/")}
            runs.append(TreeRun(shown[name], stats[name], changes[name], mine))
        print(report(runs[0], runs[1] if len(runs) > 1 else None, args.runs, aliases, args.phase))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Time ``wimigrate discover`` on a synthetic repository, next to ``grep`` and bare startup.

Users run discovery as a whole command on big GitOps repositories, so what
matters is the wall time of the command (interpreter start included), and above
all the cost per file that never mentions pod identity: that is most of any real
tree. ``grep -rl aadpodidbinding`` is the floor a user compares us with.

    python benchmarks/bench_discover.py [--runs 5] [--keep DIR]
        [--command "{python} -m migrator rewrite --manifests {tree} ..."]

Prints a Markdown table to paste into docs/benchmarks.md, plus machine facts.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)  # cwd for ``python -m migrator`` when it isn't installed
sys.path.insert(0, HERE)

import make_tree  # noqa: E402  (a sibling script, not a package)

OK_CODES = (0, 1)  # discover: 1 means error findings exist, which is a normal outcome


@dataclass
class Timing:
    label: str
    command: str
    runs: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def best(self) -> float:
        return min(self.runs)


class CommandFailed(Exception):
    """A timed command exited with a code that means it did not do its job."""


# Users' Pythons cache bytecode; a PYTHONDONTWRITEBYTECODE inherited from a sandbox
# would make every run recompile every module and measure the compiler instead.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(argv: list[str], ok: tuple[int, ...]) -> float:
    """Wall time of one run; stdout is discarded, stderr kept to explain a failure."""
    started = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=PROJECT, env=CHILD_ENV)
    elapsed = time.perf_counter() - started
    if proc.returncode not in ok:
        raise CommandFailed(f"`{shlex.join(argv)}` exited {proc.returncode}:\n" + proc.stderr.decode(errors="replace"))
    return elapsed


@dataclass
class Command:
    """A command to time: its key in the results, label, argv, accepted exit codes, and cleanup."""

    key: str
    label: str
    argv: list[str]
    ok: tuple[int, ...] = OK_CODES
    after: Callable[[], None] | None = None
    """Runs after every run, outside the timing (e.g. to remove what the command wrote)."""

    def once(self) -> float:
        try:
            return run_once(self.argv, self.ok)
        finally:
            if self.after is not None:
                self.after()


def measure_rounds(commands: list[Command], runs: int) -> dict[str, Timing]:
    """One untimed warm-up of each command, then ``runs`` rounds that run every command once.

    Interleaving spreads a busy neighbour's burst over all the commands instead of
    letting it land on the runs of one, so differences between them stay fair.
    """
    for command in commands:
        command.once()
    times: dict[str, list[float]] = {c.key: [] for c in commands}
    for _ in range(runs):
        for command in commands:
            times[command.key].append(command.once())
    timings = {}
    for c in commands:
        timings[c.key] = Timing(c.label, shlex.join(c.argv), times[c.key])
        print(f"  {c.label}: median {timings[c.key].median:.3f}s, min {timings[c.key].best:.3f}s", file=sys.stderr)
    return timings


def measure(label: str, argv: list[str], runs: int, ok: tuple[int, ...] = OK_CODES) -> Timing:
    """One untimed warm-up (page cache, .pyc files), then ``runs`` timed runs."""
    return measure_rounds([Command(label, label, argv, ok)], runs)[label]


def prepare_tree(base: str, name: str, fraction: float, args: argparse.Namespace) -> make_tree.Stats:
    """Generate ``base/name`` with ``fraction`` pod identity, or reuse the one a ``--keep`` run left there.

    Reuse needs the same generator parameters and source, recorded per tree in
    ``base/trees.json`` (outside the trees, so neither grep nor wimigrate reads it).
    """
    with open(make_tree.__file__, "rb") as fh:  # a changed generator invalidates kept trees
        generator = hashlib.sha256(fh.read()).hexdigest()[:16]
    params = {
        "docs": args.docs,
        "files": args.files,
        "pod_identity": fraction,
        "seed": args.seed,
        "generator": generator,
    }
    tree = os.path.join(base, name)
    record = os.path.join(base, "trees.json")
    saved: dict = {}
    if args.keep and os.path.isfile(record):
        with open(record, encoding="utf-8") as fh:
            saved = json.load(fh)
        if not all(isinstance(v, dict) and "params" in v for v in saved.values()):
            saved = {}  # an older layout of the record: regenerate
        entry = saved.get(name)
        if entry and entry["params"] == params and os.path.isdir(tree):
            stats = make_tree.Stats(**entry["stats"])
            print(f"reusing {tree}: {stats.summary()}", file=sys.stderr)
            return stats
    stats = make_tree.generate(tree, args.docs, args.files, fraction, args.seed)
    print(f"generated {tree}: {stats.summary()}", file=sys.stderr)
    if args.keep:
        saved[name] = {"params": params, "stats": {k: v for k, v in vars(stats).items() if isinstance(v, int)}}
        with open(record, "w", encoding="utf-8") as fh:
            json.dump(saved, fh, indent=1)
    return stats


def prepare_trees(base: str, args: argparse.Namespace) -> tuple[make_tree.Stats, make_tree.Stats]:
    """``base/pi`` with the ``--pod-identity`` fraction and ``base/pi0`` without pod identity."""
    return prepare_tree(base, "pi", args.pod_identity, args), prepare_tree(base, "pi0", 0.0, args)


def run_json(argv: list[str], ok: tuple[int, ...] = OK_CODES) -> tuple[int, object, int]:
    """Run once with the output kept: (exit code, the JSON it printed, bytes printed).

    CommandFailed when the exit code is not in ``ok`` or stdout is not JSON.
    """
    proc = subprocess.run(argv, capture_output=True, cwd=PROJECT, env=CHILD_ENV)
    if proc.returncode not in ok:
        raise CommandFailed(f"`{shlex.join(argv)}` exited {proc.returncode}:\n" + proc.stderr.decode(errors="replace"))
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        # exit 1 is also what Python gives for "No module named ..." and for tracebacks
        raise CommandFailed(
            f"`{shlex.join(argv)}` exited {proc.returncode} without JSON on stdout:\n"
            + proc.stderr.decode(errors="replace")
        ) from None
    return proc.returncode, data, len(proc.stdout)


def check_discover(argv: list[str]) -> None:
    """One run with the output kept: fail early and show what discover found."""
    code, data, size = run_json(argv)
    if isinstance(data, dict):
        shape = ", ".join(f"{k}: {len(v)}" if isinstance(v, (list, dict)) else k for k, v in data.items())
    else:
        shape = type(data).__name__
    print(f"  discover exit {code}, {size} bytes out ({shape})", file=sys.stderr)


def files_containing(tree: str, needle: bytes) -> int:
    """Files of ``tree`` holding ``needle``: the share a byte prefilter can't skip."""
    count = 0
    for folder, _, names in os.walk(tree):
        for name in names:
            with open(os.path.join(folder, name), "rb") as fh:
                count += needle in fh.read()
    return count


def machine_facts() -> list[tuple[str, str]]:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return [
        ("Date", datetime.date.today().isoformat()),
        ("Platform", platform.platform()),
        ("CPU", cpu),
        ("CPUs (os.cpu_count)", str(os.cpu_count())),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
    ]


def table_row(t: Timing, aliases: dict[str, str], extra: str = "") -> str:
    """``| label | `command` | median | min | extra |``, with paths shortened to their aliases."""
    command = t.command.replace(sys.executable, "python")
    for path, alias in sorted(aliases.items(), key=lambda a: -len(a[0])):
        command = command.replace(path, alias)
    command = command.replace("|", "\\|")
    return f"| {t.label} | `{command}` | {t.median:.3f} | {t.best:.3f} | {extra} |"


def machine_table() -> list[str]:
    return ["| Machine | |", "|---|---|", *(f"| {k} | {v} |" for k, v in machine_facts())]


def report(
    timings: dict[str, Timing],
    stats: make_tree.Stats,
    stats0: make_tree.Stats,
    extra: list[Timing],
    runs: int,
    aliases: dict[str, str],
    sa_files0: int,
) -> str:
    """The Markdown block for docs/benchmarks.md."""
    files, files0 = stats.files, stats0.files
    disc, disc0 = timings["discover"], timings["discover0"]
    help_, grep0 = timings["help"], timings["grep0"]
    per_file = (disc0.median - help_.median) / files0
    marginal = (disc0.median - timings["discover_empty"].median) / files0
    grep_per_file = grep0.median / files0
    lines = [
        f"Tree: {files} files, {stats.docs} YAML documents, {stats.bytes / 1e6:.1f} MB; "
        f"{stats.pi_docs} documents in {stats.pi_files} files use pod identity. "
        f"Untouched tree (TREE0): same size, no pod identity; {sa_files0} of its files "
        f"mention `ServiceAccount` (RBAC subjects, ServiceAccount objects). "
        f"Wall time of the whole command, median and min of {runs} runs after one warm-up.",
        "",
        "| Measure | Command | Median (s) | Min (s) | Throughput |",
        "|---|---|---:|---:|---:|",
    ]

    def row(t: Timing, throughput: str = "") -> None:
        lines.append(table_row(t, aliases, throughput))

    row(timings["pass"])
    row(help_)
    row(timings["grep"], f"{files / timings['grep'].median:,.0f} files/s")
    row(grep0, f"{files0 / grep0.median:,.0f} files/s")
    row(disc, f"{files / disc.median:,.0f} files/s")
    row(disc0, f"{files0 / disc0.median:,.0f} files/s")
    row(timings["discover_empty"])
    for t in extra:
        row(t, f"{files / t.median:,.0f} files/s")
    ratio = per_file / grep_per_file if grep_per_file else float("inf")
    lines += [
        "",
        "| Per untouched file | ms/file |",
        "|---|---:|",
        f"| discover: (discover on untouched tree - `--help` startup) / files | {per_file * 1e3:.4f} |",
        f"| discover: (discover on untouched tree - discover on empty tree) / files | {marginal * 1e3:.4f} |",
        f"| grep: grep on untouched tree / files | {grep_per_file * 1e3:.4f} |",
        f"| ratio discover / grep (startup subtracted) | {ratio:.1f}x |",
        f"| ratio discover / grep (marginal, imports excluded) | "
        f"{marginal / grep_per_file if grep_per_file else float('inf'):.1f}x |",
        "",
        *machine_table(),
    ]
    return "\n".join(lines)


def _label(command: str, index: int) -> str:
    """A short name for an extra command: its wimigrate subcommand, else its program."""
    words = shlex.split(command)
    if "migrator" in words and words.index("migrator") + 1 < len(words):
        return words[words.index("migrator") + 1]
    return os.path.basename(words[0]) if words else f"extra {index}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command")
    parser.add_argument(
        "--keep",
        metavar="DIR",
        help="generate the trees in DIR/pi and DIR/pi0 and keep them; reused as they are if present",
    )
    parser.add_argument(
        "--command",
        action="append",
        default=[],
        metavar="CMD",
        help="extra command to time on the same tree (repeatable); "
        "{python}, {tree} and {tree0} are substituted; "
        "exit codes 0 and 1 count as success",
    )
    parser.add_argument("--docs", type=int, default=10000)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--pod-identity", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    with tempfile.TemporaryDirectory(prefix="wimigrate-bench-") as tmp:
        base = os.path.abspath(args.keep) if args.keep else tmp
        os.makedirs(base, exist_ok=True)
        try:
            stats, stats0 = prepare_trees(base, args)
        except ValueError as exc:
            parser.error(str(exc))
        tree, tree0 = os.path.join(base, "pi"), os.path.join(base, "pi0")
        empty = os.path.join(base, "empty")
        os.makedirs(empty, exist_ok=True)
        py = sys.executable
        discover = [py, "-m", "migrator", "discover", "--manifests"]
        plan = [
            ("pass", "python startup", [py, "-c", "pass"], (0,)),
            ("help", "wimigrate startup", [py, "-m", "migrator", "--help"], (0,)),
            ("grep", "grep", ["grep", "-rl", "aadpodidbinding", tree], (0, 1)),
            ("grep0", "grep, untouched tree", ["grep", "-rl", "aadpodidbinding", tree0], (0, 1)),
            ("discover", "discover", discover + [tree, "-o", "json"], OK_CODES),
            ("discover0", "discover, untouched tree", discover + [tree0, "-o", "json"], OK_CODES),
            ("discover_empty", "discover, empty tree", discover + [empty, "-o", "json"], OK_CODES),
        ]
        names = {"python": py, "tree": tree, "tree0": tree0}
        extra_plan = [
            (_label(cmd, i), [part.format(**names) for part in shlex.split(cmd)])
            for i, cmd in enumerate(args.command, 1)
        ]
        timings: dict[str, Timing] = {}
        try:
            check_discover(plan[4][2])
            for key, label, cmd, ok in plan:
                timings[key] = measure(label, cmd, args.runs, ok)
            # Extra commands last: one that rewrites files can't disturb the standard figures.
            extra = [measure(label, cmd, args.runs) for label, cmd in extra_plan]
        except (CommandFailed, OSError) as exc:
            print(f"benchmark stopped: {exc}", file=sys.stderr)
            return 2
        aliases = {tree: "TREE", tree0: "TREE0", empty: "EMPTY"}
        sa_files0 = files_containing(tree0, b"ServiceAccount")
        print(report(timings, stats, stats0, extra, args.runs, aliases, sa_files0))
    return 0


if __name__ == "__main__":
    sys.exit(main())

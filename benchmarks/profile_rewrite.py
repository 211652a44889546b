"""Run ``rewrite`` in-process on a tree and time its stages: scan, plan + rewrite, diff, and optionally the copy.

Meant to run under the profiler, to see where ``bench_rewrite.py``'s time goes:

    python benchmarks/make_tree.py bench-tree
    python -m cProfile -s cumtime benchmarks/profile_rewrite.py bench-tree | head -60
    python benchmarks/profile_rewrite.py bench-tree --out /tmp/copy   # stage times only, with the --out copy

Stage times go to stderr. The work is what ``wimigrate rewrite --diff`` does
(default options), minus start-up, click and rendering.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree")
    parser.add_argument("--phase", default="migrate", choices=("migrate", "cleanup", "remove-sidecar"))
    parser.add_argument("--out", metavar="NEWDIR", help="also write the copy (removed afterwards)")
    args = parser.parse_args(argv)
    if args.out and os.path.exists(args.out):
        parser.error(f"{args.out} exists")

    started = time.perf_counter()
    from migrator.core.planner import PlanOptions
    from migrator.phases.rewrite import run_rewrite
    from migrator.rewrite.diff import unified_diff
    from migrator.rewrite.phases import PhaseOptions
    from migrator.sources.manifests.scan import DEFAULT_MAX_FILE_SIZE, scan_tree
    from migrator.storage.tree import write_copy

    stages = [("imports", time.perf_counter())]
    tree = scan_tree([args.tree])
    stages.append(("scan", time.perf_counter()))
    result = run_rewrite(tree, PhaseOptions(args.phase), PlanOptions(), DEFAULT_MAX_FILE_SIZE)
    stages.append(("plan + rewrite", time.perf_counter()))
    diffs = [text for f in result.files if (text := unified_diff(f))]
    stages.append(("diff", time.perf_counter()))
    if args.out:
        try:
            write_copy(args.tree, args.out, result.files)
            stages.append(("copy (--out)", time.perf_counter()))
        finally:
            shutil.rmtree(args.out, ignore_errors=True)
    previous = started
    for name, at in stages:
        print(f"{name:>15}: {at - previous:.3f} s", file=sys.stderr)
        previous = at
    print(
        f"{'total':>15}: {previous - started:.3f} s; {len(result.files)} files changed or created, {len(diffs)} diffs",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

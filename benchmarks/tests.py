"""Time the project's test tiers: ``make test-fast`` (and ``make test`` with ``--full``), medians of runs.

    python -m benchmarks.tests [--repeats 3] [--full] [--baseline REV]

Each run is the make target as a developer types it, in this checkout with its
environment already built; the line printed for each run is pytest's own summary.
``--baseline REV`` takes turns with that commit's own target (checked out into a
temporary git worktree, run with this environment and that tree's packages first on
the path, never reinstalling anything), so a machine that slows down slows both.
A run that fails is reported as such, never timed as a success.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.worktrees import REPO, checked_out, python_path


def time_target(tree: Path, target: str) -> tuple[float, str, bool]:
    command = ["make", "--no-print-directory", "-C", str(tree), target]
    if tree != REPO:  # this environment, that tree's code; READY= keeps make from rebuilding (and repointing) it
        command += ["READY=", f"PY=env PYTHONPATH={python_path(tree)} {sys.executable}"]
    started = time.monotonic()
    run = subprocess.run(command, capture_output=True, text=True)
    seconds = time.monotonic() - started
    lines = [line.strip("= ") for line in run.stdout.splitlines() if " passed" in line or " failed" in line]
    return seconds, (lines[-1] if lines else run.stderr[-300:]), run.returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tests", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="also time `make test` (everything)")
    parser.add_argument("--baseline", metavar="REV", help="a commit whose targets take turns with today's")
    args = parser.parse_args(argv)
    failed = False
    with checked_out([args.baseline] if args.baseline else []) as baselines:
        trees = {"today": REPO, **baselines}
        for target in ("test-fast", "test") if args.full else ("test-fast",):
            times: dict[str, list[float]] = {name: [] for name in trees}
            for repeat in range(args.repeats):
                for name, tree in trees.items():
                    seconds, summary, passed = time_target(tree, target)
                    print(f"make {target:9} {name:8} run {repeat + 1}: {seconds:6.1f} s wall  {summary}", flush=True)
                    if passed:
                        times[name].append(seconds)
                    failed |= not passed
            for name, runs in times.items():
                if len(runs) == args.repeats:
                    print(f"median, make {target}, {name}: {statistics.median(runs):.1f} s wall")
            if args.baseline and all(len(runs) == args.repeats for runs in times.values()):
                ratio = statistics.median(times["today"]) / statistics.median(times[args.baseline])
                print(f"ratio today / {args.baseline}: {ratio:.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

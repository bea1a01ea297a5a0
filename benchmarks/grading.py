"""Time the grader on one full submission (the reference solutions), against an earlier commit in the same run.

    python -m benchmarks.grading [--baseline REV] [--repeats 3]

Each run is the command line an instructor uses (``python -m autograder grade
solutions``, fast mode, the data folder of ``AECOURSE_DATA_DIR``), in a fresh
process; today's grader and the baseline's (checked out into a temporary git
worktree, sharing this environment) take turns, so a machine that slows down
slows both. Prints the medians, the ratio and the score of every run; a run
that does not score 100 % is reported as such, never timed as a success.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def grade_once(tree: Path, out: Path) -> tuple[float, str]:
    """(wall seconds, the summary line) of one grading of ``tree``'s solutions by ``tree``'s grader."""
    env = dict(os.environ, COURSE_MODE="fast", PYTHONPATH=str(tree))
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", "solutions", "--out", str(out)],
                         cwd=tree, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    summary = next((line for line in run.stdout.splitlines() if "graded; mean" in line), run.stderr[-300:])
    return seconds, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.grading", description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="221855c", help="the commit to compare with (default: before the sandbox)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    baseline = work / "baseline"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "-q", "--detach", str(baseline), args.baseline], check=True)
    times: dict[str, list[float]] = {"today": [], "baseline": []}
    try:
        for repeat in range(args.repeats):
            for name, tree in (("today", REPO), ("baseline", baseline)):
                seconds, summary = grade_once(tree, work / f"{name}{repeat}")
                full = re.search(r"mean 100\.0 %", summary) is not None
                print(f"{name:8} run {repeat + 1}: {seconds:6.1f} s  {summary}", flush=True)
                if full:
                    times[name].append(seconds)
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(baseline)], check=False)
    if not all(len(v) == args.repeats for v in times.values()):
        print("some runs did not score 100 %: no medians", file=sys.stderr)
        return 1
    today, before = statistics.median(times["today"]), statistics.median(times["baseline"])
    print(f"median: today {today:.1f} s, baseline {args.baseline} {before:.1f} s, ratio {today / before:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

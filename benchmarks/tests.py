"""Time the project's test tiers: ``make test-fast`` (and ``make test`` with ``--full``), medians of runs.

    python -m benchmarks.tests [--repeats 3] [--full]

Each run is the make target as a developer types it, in this checkout with its
environment already built; the line printed for each run is pytest's own summary.
A run that fails is reported as such, never timed as a success.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def time_target(target: str) -> tuple[float, str, bool]:
    started = time.monotonic()
    run = subprocess.run(["make", "--no-print-directory", target], cwd=REPO, capture_output=True, text=True)
    seconds = time.monotonic() - started
    lines = [line.strip("= ") for line in run.stdout.splitlines() if " passed" in line or " failed" in line]
    return seconds, (lines[-1] if lines else run.stderr[-300:]), run.returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tests", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="also time `make test` (everything)")
    args = parser.parse_args(argv)
    failed = False
    for target in ("test-fast", "test") if args.full else ("test-fast",):
        times = []
        for repeat in range(args.repeats):
            seconds, summary, passed = time_target(target)
            print(f"make {target:9} run {repeat + 1}: {seconds:6.1f} s wall  {summary}", flush=True)
            if passed:
                times.append(seconds)
            failed |= not passed
        if times and len(times) == args.repeats:
            print(f"median, make {target}: {statistics.median(times):.1f} s wall")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

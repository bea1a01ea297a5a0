"""Time the grader on the reference solutions, against earlier commits in the same run.

    python -m benchmarks.grading [--baseline REV ...] [--repeats 3] [--students N] [--cores C] [--no-namespaces] [--every-copy]

Each run is the command line an instructor uses (``python -m autograder grade``, fast
mode, default jobs, the data folder of ``AECOURSE_DATA_DIR``) in a fresh process, on
one submission (the reference solutions) or, with ``--students N``, on a class of N
copies of them. Today's grader and each baseline's (checked out into a temporary git
worktree, sharing this environment) take turns, so a machine that slows down slows
them all. ``--cores C`` pins every run to the first C cores (the grader then runs C
judges at once). ``--no-namespaces`` runs every grader (baselines too) as in Gradescope's
Docker container, under ``tests/deny_namespaces.py``'s seccomp filter: bubblewrap cannot
start, and each grader falls back to what it does without it. Prints each run, the medians
and the ratios; a run that does not score 100 % for everyone is reported as such, never
timed as a success.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.worktrees import REPO, checked_out, python_path


def make_class(folder: Path, students: int) -> Path:
    """``students`` copies of the reference solutions, one subfolder each: a class to grade."""
    for index in range(students):
        student = folder / f"student{index + 1:03d}"
        student.mkdir(parents=True)
        for notebook in sorted((REPO / "solutions").glob("*.ipynb")):
            shutil.copy(notebook, student / notebook.name)
    return folder


DENY_NAMESPACES = REPO / "tests" / "deny_namespaces.py"


def grade_once(tree: Path, submissions: Path, out: Path, cores: int | None,
               no_namespaces: bool = False, extra: tuple[str, ...] = ()) -> tuple[float, str]:
    """(wall seconds, the summary line) of one grading of ``submissions`` by ``tree``'s grader."""
    env = dict(os.environ, COURSE_MODE="fast", PYTHONPATH=python_path(tree))
    pin = (lambda: os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:cores]))) if cores else None
    command = [sys.executable, "-m", "autograder", "grade", str(submissions), "--out", str(out), *extra]
    if no_namespaces:
        command = [sys.executable, str(DENY_NAMESPACES), *command]
    started = time.monotonic()
    run = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, preexec_fn=pin)
    seconds = time.monotonic() - started
    summary = next((line for line in run.stdout.splitlines() if "graded; mean" in line), run.stderr[-300:])
    return seconds, summary


@contextlib.contextmanager
def _removed(folder: Path):
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.grading", description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", nargs="*", default=["221855c"], metavar="REV",
                        help="commits to compare with (default: 221855c, before the sandbox; none: today's alone)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--students", type=int, default=0,
                        help="grade a class of this many copies of the reference (default: the solutions alone)")
    parser.add_argument("--cores", type=int, help="pin every run to this many cores")
    parser.add_argument("--no-namespaces", action="store_true",
                        help="grade as in Gradescope's container: namespaces denied, so no bubblewrap")
    parser.add_argument("--every-copy", action="store_true",
                        help="also time today's grader grading every copy on its own (--grade-every-copy): "
                             "identical cells otherwise share one grading, so a class of copies costs one student")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    students = max(1, args.students)
    submissions = make_class(work / "class", args.students) if args.students else Path("solutions")
    with checked_out(args.baseline) as baselines, _removed(work):
        trees = {"today": REPO, **({"every-copy": REPO} if args.every_copy else {}), **baselines}
        times: dict[str, list[float]] = {name: [] for name in trees}
        for repeat in range(args.repeats):
            for name, tree in trees.items():
                seconds, summary = grade_once(tree, submissions if args.students else tree / submissions,
                                              work / f"out-{name}-{repeat}", args.cores, args.no_namespaces,
                                              ("--grade-every-copy",) if name == "every-copy" else ())
                everyone_full = re.search(rf"{students} submission\(s\) graded; mean 100\.0 %", summary) is not None
                print(f"{name:10} run {repeat + 1}: {seconds:7.1f} s  {summary}", flush=True)
                if everyone_full:
                    times[name].append(seconds)
    if not all(len(v) == args.repeats for v in times.values()):
        print("some runs did not score 100 %: no medians", file=sys.stderr)
        return 1
    what = f"a class of {students}" if args.students else "one submission"
    if args.no_namespaces:
        what += ", namespaces denied"
    today = statistics.median(times["today"])
    print(f"median, {what}{f' on {args.cores} core(s)' if args.cores else ''}: today {today:.1f} s "
          f"({today / students:.1f} s per submission)")
    if args.every_copy:
        every = statistics.median(times["every-copy"])
        print(f"median, {what}, every copy graded: today {every:.1f} s ({every / students:.1f} s per submission)")
    for rev in args.baseline:
        before = statistics.median(times[rev])
        if args.every_copy:
            print(f"median, {what}: baseline {rev} {before:.1f} s, ratio every copy / baseline {every / before:.2f}")
        print(f"median, {what}: baseline {rev} {before:.1f} s, ratio today / baseline {today / before:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Every verdict of the real course's grader test, today's tree against an earlier commit's.

    python -m benchmarks.verdicts [--baseline 983751b]

Runs ``tests/test_grader.py`` (the reference, the generated lessons' stubs and every
planted bug, graded in one run of the grader) once on each tree, keeping its output
folders, then compares the per-test scores of every student's ``results.json``. A
speed-up that changed no verdict prints ``0 differences`` and exits 0. Checks on inputs
drawn at grading time draw anew in every run: a difference there is either a change or a
check that a wrong answer can pass by luck, and both deserve a look.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.worktrees import REPO, checked_out, python_path


def graded_scores(tree: Path, basetemp: Path) -> dict[tuple[str, str], tuple[float, float]]:
    """(student, test name) -> (score, max score), from one run of ``tree``'s tests/test_grader.py."""
    env = dict(os.environ, COURSE_MODE="fast", PYTHONPATH=python_path(tree))
    run = subprocess.run([sys.executable, "-m", "pytest", "tests/test_grader.py", "-q", "-p", "no:cacheprovider",
                          "--basetemp", str(basetemp)], cwd=tree, env=env, capture_output=True, text=True)
    print(f"{tree}: {run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-300:]}", flush=True)
    scores = {}
    for path in basetemp.glob("**/results/*/results.json"):
        for test in json.loads(path.read_text(encoding="utf-8"))["tests"]:
            scores[(path.parent.name, test["name"])] = (test["score"], test["max_score"])
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.verdicts", description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="983751b", metavar="REV")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-verdicts-"))
    with checked_out([args.baseline]) as baselines:
        today = graded_scores(REPO, work / "today")
        before = graded_scores(baselines[args.baseline], work / "baseline")
    differences = [(key, before.get(key), today.get(key)) for key in sorted(set(today) | set(before))
                   if today.get(key) != before.get(key)]
    for key, was, now in differences[:40]:
        print(f"{key[0]} / {key[1]}: {args.baseline} {was}, today {now}")
    students = {student for student, _ in today}
    print(f"{len(today)} verdicts of {len(students)} students today, {len(before)} in {args.baseline}: "
          f"{len(differences)} differences")
    if today and not differences:
        shutil.rmtree(work, ignore_errors=True)
        return 0
    print(f"the grader's reports and logs of both runs are in {work}")
    return 1


if __name__ == "__main__":
    sys.exit(main())

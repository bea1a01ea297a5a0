"""Running the grader's command line from the project's tests, and reading its reports."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Graded:
    returncode: int
    stdout: str
    stderr: str
    out: Path

    def csv_rows(self) -> dict[str, dict[str, str]]:
        with open(self.out / "grades.csv", newline="", encoding="utf-8") as handle:
            return {row["student"]: row for row in csv.DictReader(handle)}

    def results(self, student: str) -> dict:
        return json.loads((self.out / "results" / student / "results.json").read_text(encoding="utf-8"))

    def exercise_scores(self, student: str) -> dict[str, tuple[float, float]]:
        """exercise -> (score, max) from results.json (tests are named 'lesson / exercise: title')."""
        scores: dict[str, list[float]] = {}
        for test in self.results(student)["tests"]:
            exercise = test["name"].split(" / ", 1)[1].split(":", 1)[0]
            entry = scores.setdefault(exercise, [0.0, 0.0])
            entry[0] += test["score"]
            entry[1] += test["max_score"]
        return {k: (v[0], v[1]) for k, v in scores.items()}

    def block(self, student: str) -> str:
        """The student's part of the printed summary."""
        text = self.stdout
        start = text.index(f"== {student}:")
        end = text.find("\n== ", start + 1)
        return text[start:] if end == -1 else text[start:end]


def run_grader(*args: str, out: Path, env: dict | None = None, timeout: float = 2400,
               place: str = "bubblewrap") -> Graded:
    """``python -m autograder grade ARGS --out OUT`` in one of the places of ``places.PLACES``
    (the unprivileged one needs ``places.opened_for`` around this call)."""
    import places

    command, extra = places.command_in(place, [sys.executable, "-m", "autograder", "grade", *args, "--out", str(out)])
    env = dict(env if env is not None else os.environ, **extra)
    env["COURSE_MODE"] = "fast"
    run = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    return Graded(run.returncode, run.stdout, run.stderr, out)

"""Per-student results saved as each student completes, so that a stopped run can be finished later.

``save`` writes ``<out>/progress/<student>.json`` the moment a student's last
exercise is scored. ``load`` gives that result back only when nothing it
depends on has changed since: the student's notebooks, the hidden tests, the
pass marks, the seed and the exercises asked for (their hash is stored with
it), and only to the student it was saved for. ``python -m autograder grade ...
--resume`` grades only the students without such a file, and reports everyone.
Files are named by the student's id made safe (:mod:`autograder.student_ids`),
which discovery keeps unique, so two students never share one.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

from autograder.discover import Submission
from autograder.grading import ExerciseResult, GradedTest, PublicResult, StudentResult
from autograder.student_ids import safe_name
from autograder.paths import HIDDEN_TESTS, THRESHOLDS

FORMAT = 3   # 2: the instructor's notes are part of a result; 3: the public checks' verdicts too


def fingerprint(submission: Submission, seed: int, only: set[str] | None, public_checks: bool = False) -> str:
    """A hash of everything a student's result depends on (the public checks run or not included)."""
    digest = hashlib.sha256(f"{FORMAT}|{seed}|{sorted(only) if only else None}|{submission.lessons}|"
                            f"{'public checks|' if public_checks else ''}"
                            f"{sorted(submission.exercises) if submission.exercises else None}".encode())
    for lesson, path in sorted(submission.notebooks.items()):
        digest.update(lesson.encode())
        try:
            digest.update(Path(path).read_bytes())
        except (OSError, ValueError) as error:  # gone since discovery: a stamp no saved result has
            digest.update(f"unreadable: {error}".encode("utf-8", "backslashreplace"))
    for path in sorted(Path(HIDDEN_TESTS).glob("*.py")) + [Path(THRESHOLDS)]:
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _path(out: Path, name: str) -> Path:
    return Path(out) / "progress" / f"{safe_name(name)}.json"


def save(out: Path, result: StudentResult, stamp: str) -> None:
    """Write the result atomically (a kill mid-write leaves the old file or none)."""
    path = _path(out, result.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"fingerprint": stamp, "result": asdict(result)}
    data["result"]["source"] = str(result.source)
    for exercise in data["result"]["exercises"]:  # the instructor's decisions are applied anew at each run
        exercise.pop("override", None)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data), encoding="utf-8")
    os.replace(temporary, path)


def load(out: Path, submission: Submission, stamp: str) -> StudentResult | None:
    """The saved result of this submission, if it was made from exactly what is there now."""
    path = _path(out, submission.name)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("fingerprint") != stamp:
            return None
        raw = data["result"]
        if raw["name"] != submission.name:  # saved for another student
            return None
        exercises = [ExerciseResult(e["lesson"], e["exercise"], [GradedTest(**t) for t in e["tests"]], e["seconds"],
                                    e.get("pictures", []), [PublicResult(**p) for p in e.get("public", [])])
                     for e in raw["exercises"]]
        return StudentResult(raw["name"], Path(raw["source"]), exercises, list(raw["notes"]), raw["seconds"],
                             list(raw.get("instructor_notes", [])))
    except (OSError, ValueError, KeyError, TypeError):
        return None

"""The instructor's decisions: ``--overrides FILE`` sets an exercise's points for a student, whatever the tests gave.

The file is a CSV with the columns ``student, exercise, points, comment`` (a
header row naming them is optional; ``comment`` may be empty)::

    student,exercise,points,comment
    s1234567,vae,5,"trained on Colab, graded by hand"

``student`` is the id the reports use (``grades.csv``'s first column; a
results folder's name works too); ``exercise`` the name ``check()`` takes;
``points`` from 0 to the exercise's maximum. Every row is checked against the
students and the hidden tests before anything is graded: a bad row stops the
run with one line per problem (:class:`OverrideError`), never a traceback, so a
typo cannot leave a student's grade silently unchanged.

A decision replaces the exercise's score in every report (``summary.txt``,
``grades.csv``, ``results.json``, the feedback page and the class report), each
time marked as the instructor's decision with what the tests gave. It is applied
when the reports are written, never saved with a student's result, so ``--resume``
applies the file as it is then.
"""

from __future__ import annotations

import csv
from pathlib import Path

from autograder.grading import Override, Plan, StudentResult
from autograder.student_ids import safe_name, shown

COLUMNS = ("student", "exercise", "points", "comment")


class OverrideError(ValueError):
    """The overrides file has bad rows; ``lines`` says which and why, one line each."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = [(number, row) for number, row in enumerate(csv.reader(handle), start=1)
                    if any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise OverrideError([f"{path}: cannot read the overrides ({error})"]) from None
    if rows and [cell.strip().lower() for cell in rows[0][1][:3]] == list(COLUMNS[:3]):
        rows = rows[1:]
    return rows


def load(path: str | Path, plan: Plan, graded: dict[str, set[str]]) -> dict[tuple[str, str], Override]:
    """(student, exercise) -> decision, every row checked; ``graded``: student id -> the exercises graded.

    Raises :class:`OverrideError` listing every bad row.
    """
    path = Path(path)
    maxima = {exercise: sum(t.points for t in tests) for exercises in plan.values()
              for exercise, tests in exercises.items()}
    ids = {safe_name(student): student for student in graded} | {student: student for student in graded}
    decisions: dict[tuple[str, str], Override] = {}
    where: dict[tuple[str, str], int] = {}
    problems = []
    for number, row in _rows(path):
        line = f"{path.name} line {number}"
        if len(row) < 3 or len(row) > 4:
            problems.append(f"{line}: expected {', '.join(COLUMNS)} (got {len(row)} column(s))")
            continue
        student_text, exercise, points_text = (cell.strip() for cell in row[:3])
        comment = row[3].strip() if len(row) == 4 else ""
        student = ids.get(student_text)
        if student is None:
            problems.append(f"{line}: unknown student {shown(student_text)!r} (not one of the {len(graded)} "
                            "submission(s) of this run; use the id grades.csv shows)")
            continue
        if exercise not in maxima:
            problems.append(f"{line}: unknown exercise {shown(exercise)!r}")
            continue
        if exercise not in graded[student]:
            problems.append(f"{line}: {shown(student)} is not graded on {exercise} in this run")
            continue
        try:
            points = float(points_text)
        except ValueError:
            problems.append(f"{line}: points {shown(points_text)!r} is not a number")
            continue
        if not 0 <= points <= maxima[exercise]:
            problems.append(f"{line}: {points:g} points for {exercise} is out of range (0 to {maxima[exercise]:g})")
            continue
        key = (student, exercise)
        if key in decisions:
            problems.append(f"{line}: a second decision for {shown(student)} / {exercise} (the first is line {where[key]})")
            continue
        decisions[key], where[key] = Override(points, comment), number
    if problems:
        raise OverrideError(problems)
    return decisions


def apply(result: StudentResult, decisions: dict[tuple[str, str], Override]) -> StudentResult:
    """Mark the student's exercises that have a decision (in place); returns the result."""
    for exercise in result.exercises:
        exercise.override = decisions.get((result.name, exercise.exercise))
    return result


def describe(override: Override, tests_gave: float) -> str:
    """One line for every report: the decision, what the tests gave, and the instructor's comment."""
    comment = f": {override.comment}" if override.comment else ""
    return f"instructor's decision: {override.points:g} points (the tests gave {tests_gave:g}){comment}"

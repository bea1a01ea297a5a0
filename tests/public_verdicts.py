"""The public checks' verdicts on an exercise cell, judged as the grader takes the cell.

The namespace is the one the grader builds for the cell (the master's setup cells, that
cell, the reference for the other exercises: ``notebooks.contestant_sources``), built in
this process, so that check() and the grader are compared on the very same code.
"""

from __future__ import annotations

from autograder.notebooks import contestant_sources, lesson_named
from public_tests.framework import run_checks


def graded_namespace(lesson: str, exercise: str, source: str | None) -> dict:
    """The namespace the grader builds for ``exercise`` with ``source`` as its cell (``None``: the master's)."""
    namespace: dict = {"__name__": "__main__"}
    cells = None if source is None else {exercise: source}
    for filename, code in contestant_sources(lesson_named(lesson), cells, exercise):
        exec(compile(code, filename, "exec"), namespace)
    return namespace


def failed_public_checks(lesson: str, exercise: str, source: str | None) -> list[tuple[str, str]]:
    """(title, explanation) of each public check of ``exercise`` that fails on ``source``."""
    rows = run_checks(exercise, graded_namespace(lesson, exercise, source))
    return [(title, why) for title, passed, why in rows if not passed]

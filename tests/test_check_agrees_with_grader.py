"""check() and the grader agree on every planted bug: each fails a public check.

The grader's side is ``tests/test_grader.py`` (every planted bug loses points on its
exercise). Here the public checks run on the namespace the grader would build for the
same cell (the master's setup cells, the bug's cell, the reference for the other
exercises: ``notebooks.contestant_sources``), in this process. A bug that passed
every public check would be a student told "all passed" who then loses points.
"""

from __future__ import annotations

import pytest

from autograder.notebooks import contestant_sources, lesson_named
from planted import planted_bugs
from public_tests.framework import run_checks

BUGS = planted_bugs()


def _namespace(lesson: str, exercise: str, source: str | None) -> dict:
    namespace: dict = {"__name__": "__main__"}
    cells = None if source is None else {exercise: source}
    for filename, code in contestant_sources(lesson_named(lesson), cells, exercise):
        exec(compile(code, filename, "exec"), namespace)
    return namespace


@pytest.mark.parametrize("lesson, exercise, index, why, source", BUGS,
                         ids=[f"{b[1]}.{b[2]}" for b in BUGS])
def test_a_planted_bug_fails_a_public_check(lesson, exercise, index, why, source):
    rows = run_checks(exercise, _namespace(lesson, exercise, source))
    assert not all(passed for _, passed, _ in rows), f"check({exercise!r}) passes planted bug {index}: {why}"


@pytest.mark.parametrize("exercise", sorted({b[1] for b in BUGS}))
def test_the_reference_passes_every_public_check(exercise):
    lesson = next(b[0] for b in BUGS if b[1] == exercise)
    rows = run_checks(exercise, _namespace(lesson, exercise, None))
    failed = [(title, why) for title, passed, why in rows if not passed]
    assert not failed

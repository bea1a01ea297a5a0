"""check() and the grader agree on every planted bug: each fails a public check.

The grader's side is ``tests/test_grader.py``: every planted bug loses points on its
exercise, and the other direction, check() => grader (a bug that fails a public check
fails a hidden test), which needs that file's grading run. Here the public checks run
on the namespace the grader would build for the same cell (``public_verdicts``), in
this process. A bug that passed every public check would be a student told "all
passed" who then loses points.
"""

from __future__ import annotations

import pytest

from planted import planted_bugs
from public_verdicts import failed_public_checks

BUGS = planted_bugs()


@pytest.mark.parametrize("lesson, exercise, index, why, source", BUGS,
                         ids=[f"{b[1]}.{b[2]}" for b in BUGS])
def test_a_planted_bug_fails_a_public_check(lesson, exercise, index, why, source):
    assert failed_public_checks(lesson, exercise, source), f"check({exercise!r}) passes planted bug {index}: {why}"


@pytest.mark.parametrize("exercise", sorted({b[1] for b in BUGS}))
def test_the_reference_passes_every_public_check(exercise):
    lesson = next(b[0] for b in BUGS if b[1] == exercise)
    assert not failed_public_checks(lesson, exercise, None)

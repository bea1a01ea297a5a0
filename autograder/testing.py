"""What hidden tests use: ``@points(n)``, the ``student`` and ``reference`` fixtures, thresholds.

A hidden-test module ``hidden_tests/test_NN_name.py`` grades lesson ``NN_name``;
each class in it grades one exercise (class attribute ``exercise``)::

    class TestSampling:
        exercise = "sampling"

        @points(2)
        def test_zero_variance_returns_the_mean(self, student): ...

``student`` is the namespace in which that exercise is the student's own cell
and every other exercise is the reference (see ``notebooks.build_namespace``).
Which notebook is the student's comes from ``AUTOGRADER_SUBMISSION``; without it
the reference itself is graded, which is how calibration and the project's
tests run the hidden tests against the solutions.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from autograder.notebooks import Lesson, build_namespace, exercise_cells, lesson_named, read_notebook
from public_tests.framework import Namespace

# AUTOGRADER_HIDDEN_TESTS / AUTOGRADER_THRESHOLDS point the grader elsewhere
# (the project's tests grade small fake lessons this way).
HIDDEN_TESTS = Path(os.environ.get("AUTOGRADER_HIDDEN_TESTS") or Path(__file__).resolve().parent / "hidden_tests")
THRESHOLDS = Path(os.environ.get("AUTOGRADER_THRESHOLDS") or Path(__file__).resolve().parent / "thresholds.json")
SUBMISSION_ENV = "AUTOGRADER_SUBMISSION"
SEED_ENV = "AUTOGRADER_SEED"

_namespaces: dict[tuple[str, str | None, str | None], dict] = {}


def points(n: float):
    """How many points a test is worth (partial credit is per test)."""
    return pytest.mark.points(n)


def points_of(test_function) -> float:
    marks = getattr(test_function, "pytestmark", [])
    for mark in marks:
        if mark.name == "points":
            return float(mark.args[0])
    return 1.0


def lesson_of_module(module) -> Lesson:
    """``test_04_vae.py`` grades lesson ``04_vae``."""
    return lesson_named(Path(module.__file__).stem.removeprefix("test_"))


def namespace_for(lesson: Lesson, exercise: str | None, submission: str | None) -> dict:
    key = (lesson.name, exercise, submission)
    if key not in _namespaces:
        student_cells = exercise_cells(read_notebook(submission)) if submission else None
        _namespaces[key] = build_namespace(lesson, student_cells, exercise)
    return _namespaces[key]


@pytest.fixture
def student(request) -> Namespace:
    exercise = getattr(request.cls, "exercise", None)
    if exercise is None:
        raise RuntimeError(f"{request.node.nodeid}: hidden tests live in a class with an `exercise` attribute")
    lesson = lesson_of_module(request.module)
    return Namespace(namespace_for(lesson, exercise, os.environ.get(SUBMISSION_ENV) or None))


@pytest.fixture
def reference(request) -> Namespace:
    return Namespace(namespace_for(lesson_of_module(request.module), None, None))


def thresholds(lesson: str | None = None) -> dict:
    """Pass marks measured over several seeds of the reference (``python -m autograder.calibrate``)."""
    data = json.loads(THRESHOLDS.read_text()) if THRESHOLDS.exists() else {}
    return data.get(lesson, {}) if lesson else data


def threshold(lesson: str, exercise: str, metric: str) -> float:
    """The pass mark of one calibrated metric, e.g. ``threshold("04_vae", "vae", "test_loss")``.

    Whether a value must be above or below it is the metric's direction, stored
    beside it (``thresholds(lesson)[exercise][metric]["direction"]``: ``"max"``
    means higher is better, so pass when ``value >= threshold``; ``"min"`` the
    opposite). Missing entries fail loudly: a silently skipped check would
    hand out points.
    """
    entry = thresholds(lesson).get(exercise, {}).get(metric)
    if not isinstance(entry, dict) or "threshold" not in entry:
        raise LookupError(f"no calibrated threshold for {lesson}/{exercise}/{metric} in {THRESHOLDS}: "
                          "run `python -m autograder.calibrate`")
    return float(entry["threshold"])


def meets_threshold(lesson: str, exercise: str, metric: str, value: float) -> bool:
    """``value`` is on the passing side of the pass mark (per the metric's direction)."""
    mark = threshold(lesson, exercise, metric)  # raises a clear LookupError when missing
    direction = thresholds(lesson)[exercise][metric]["direction"]
    return value >= mark if direction == "max" else value <= mark


def expect_threshold(lesson: str, exercise: str, metric: str, value: float, what: str | None = None) -> None:
    """Fail with a message a student can act on when ``value`` misses the pass mark."""
    if meets_threshold(lesson, exercise, metric, value):
        return
    entry = thresholds(lesson)[exercise][metric]
    sign = ">=" if entry["direction"] == "max" else "<="
    reference = [float(v) for v in entry.get("values", {}).values()]
    seen = f" (the reference solution: {min(reference):.4g} to {max(reference):.4g})" if reference else ""
    raise AssertionError(f"{what or metric} = {value:.4g} after the grader's fixed training; "
                         f"the pass mark is {sign} {entry['threshold']:.4g}{seen}")


def grading_seed() -> int:
    """The grader's ``--seed`` (0 by default). A training-based check that seeds
    its training with it lets ``python -m autograder.calibrate --verify`` show
    that the reference passes under every calibrated seed."""
    return int(os.environ.get(SEED_ENV, "0"))

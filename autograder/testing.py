"""What hidden tests use: ``@points(n)``, the ``student`` and ``reference`` fixtures, thresholds.

A hidden-test module ``hidden_tests/test_NN_name.py`` grades lesson ``NN_name``;
each class in it grades one exercise (class attribute ``exercise``)::

    class TestSampling:
        exercise = "sampling"

        @points(2)
        def test_zero_variance_returns_the_mean(self, student): ...

``student`` is a :class:`~autograder.remote.RemoteNamespace`: a sandboxed
contestant (:mod:`autograder.contestants`) in which the master's setup cells, the
student's cell for that exercise and the reference cells of every other exercise
have run. Calls on it are requests; what comes back is plain data (or another
remote object), never the student's code. ``reference`` is the master's namespace
in the judge's own process: trusted code only. Which notebook is the student's
comes from the judge's settings; without one the reference cells themselves are
sent to the contestant, which is how calibration and the project's tests grade the
solutions.

This module is the hidden tests' whole API, and they import all of it from here:
its own helpers (points, fixtures, pass marks, ``once_per_run``, ``grading_seed``)
and, re-exported on purpose, the checks of the student's Keras models from
:mod:`autograder.rebuild` (``local_model``, ``expect_reference_function``,
``load_trained_weights``, ``UnusableModel``). Nothing else of the grader is
promised to them.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from autograder import paths
from autograder.contestants import contestant_for, current_settings
from autograder.notebooks import Lesson, build_namespace, lesson_named
from autograder.rebuild import UnusableModel, expect_reference_function, load_trained_weights, local_model
from public_tests.framework import Namespace

__all__ = ["points", "points_of", "lesson_of_module", "reference_namespace", "student", "reference", "thresholds",
           "threshold", "meets_threshold", "expect_threshold", "once_per_run", "grading_seed",
           "UnusableModel", "local_model", "load_trained_weights", "expect_reference_function"]

_namespaces: dict[tuple[str, str | None], dict] = {}


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


def reference_namespace(lesson: Lesson) -> dict:
    """The master's namespace, built here in the judge (trusted code only)."""
    key = (lesson.name, None)
    if key not in _namespaces:
        _namespaces[key] = build_namespace(lesson)
    return _namespaces[key]


@pytest.fixture
def student(request):
    exercise = getattr(request.cls, "exercise", None)
    if exercise is None:
        raise RuntimeError(f"{request.node.nodeid}: hidden tests live in a class with an `exercise` attribute")
    return contestant_for(lesson_of_module(request.module), exercise, request.module)


@pytest.fixture
def reference(request) -> Namespace:
    return Namespace(reference_namespace(lesson_of_module(request.module)))


def thresholds(lesson: str | None = None) -> dict:
    """Pass marks measured over several seeds of the reference (``python -m autograder.calibrate``)."""
    data = json.loads(paths.THRESHOLDS.read_text()) if paths.THRESHOLDS.exists() else {}
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
        raise LookupError(f"no calibrated threshold for {lesson}/{exercise}/{metric} in {paths.THRESHOLDS}: "
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


def once_per_run(name: str, compute):
    """``compute()``, computed by the first judge of a grading run that asks and read by the others.

    Only for values of trusted code alone (the reference, the judge's own data, the seed),
    never of a student's answer: every student of the run gets the value their own judge
    would compute. The folder is the grader's (0700, in none of the sandbox's mounts). JSON
    values only. Without a run folder (calibration, the project's tests) it is computed each time.
    """
    folder = current_settings().run_folder
    if not folder:
        return compute()
    path = Path(folder) / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass  # not computed yet, or unreadable: computed again (a killed writer leaves only its partial file)
    value = compute()
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(value), encoding="utf-8")
    os.replace(partial, path)  # whole or not at all, whichever judge finishes first
    return value


def grading_seed() -> int:
    """The grader's ``--seed`` (0 by default). A training-based check that seeds
    its training with it lets ``python -m autograder.calibrate --verify`` show
    that the reference passes under every calibrated seed."""
    return current_settings().seed

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
its own helpers (points, fixtures, pass marks, ``once_per_run``, ``grading_seed``,
the conversions of a student's answer ``as_scalar`` and ``as_array``, whose failures
name the student's value and its fault) and, re-exported on purpose, the checks of
the student's Keras models from :mod:`autograder.rebuild` (``local_model``, ``expect_reference_function``,
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
from autograder.messages import shape_text
from autograder.notebooks import Lesson, build_namespace, lesson_named
from autograder.rebuild import (UnusableModel, expect_reference_function, expect_same_in_training,
                                expect_the_books_network_in_both_modes, inference, load_trained_weights,
                                local_model)
from autograder.remote import Remote
from public_tests.framework import Namespace

__all__ = ["points", "points_of", "lesson_of_module", "reference_namespace", "student", "reference", "thresholds",
           "threshold", "meets_threshold", "inference", "expect_threshold", "once_per_run", "grading_seed", "as_scalar", "as_array",
           "finite", "expect_differs",
           "UnusableModel", "local_model", "load_trained_weights", "expect_reference_function",
           "expect_same_in_training", "expect_the_books_network_in_both_modes"]

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


def _not_numbers(value) -> str:
    """What a value that numpy cannot make numbers of is, for a student: 'got None', 'got a ragged list ...'."""
    import numpy as np

    if isinstance(value, Remote):
        return f"got {value!r} (return plain numbers: a NumPy array, a list or a float)"
    if isinstance(value, (list, tuple)):
        shapes = []
        for item in value:
            try:
                shapes.append(np.shape(item))
            except ValueError:
                return f"got a {type(value).__name__} with a ragged item (its own items have different lengths)"
        distinct = list(dict.fromkeys(shapes))
        if len(distinct) > 1:
            return (f"got a ragged {type(value).__name__}: its items have different shapes "
                    f"({', '.join(shape_text(s) for s in distinct[:3])})")
    if value is None or isinstance(value, (str, bytes)):
        return f"got {value!r}"
    return f"got a {type(value).__name__}"


def _numbers(value, what: str, wanted: str, dtype: str = "float64"):
    """``np.asarray(value, dtype)``, or a failed check saying the student's ``what`` must be ``wanted``."""
    import numpy as np

    if isinstance(value, (Remote, str, bytes)) or value is None:  # numpy would make NaN of None, 3.5 of "3.5"
        raise AssertionError(f"your {what} must be {wanted}, {_not_numbers(value)}")
    try:
        return np.asarray(value, dtype=dtype)
    except (TypeError, ValueError, OverflowError):
        raise AssertionError(f"your {what} must be {wanted}, {_not_numbers(value)}") from None


def as_array(value, what: str, shape: tuple | None = None, dtype: str = "float64"):
    """The student's ``value`` as a numpy array of numbers; else a failed check that names the value's fault.

    For the judge's own conversion of an answer: a ragged list, text, None, an object or
    the wrong ``shape`` (a tuple; ``None`` entries match any size) is the student's
    mistake ("your latent_grid(...) must have shape (any, 28, 28), got shape (784,)"), not
    a TypeError of the grader's. ``what`` names the value ("latent_grid(decoder, n=4)").
    NaN and infinity pass (see ``finite``).
    """
    array = _numbers(value, what, "an array of numbers", dtype)
    if shape is not None and (array.ndim != len(shape) or
                              any(want is not None and want != size for want, size in zip(shape, array.shape))):
        raise AssertionError(f"your {what} must have shape {shape_text(shape)}, got shape {shape_text(array.shape)}")
    return array


def as_scalar(value, what: str) -> float:
    """The student's ``value`` as one float; else a failed check that names the value's fault.

    A Python or numpy number, or an array holding exactly one number (Keras returns a
    loss as a 0-d array): "your compute_loss(x) must be one number, got an array of
    shape (32,)" rather than the grader's TypeError. NaN and infinity pass.
    """
    array = _numbers(value, what, "one number")
    if array.size != 1:
        raise AssertionError(f"your {what} must be one number, got an array of shape {shape_text(array.shape)}")
    return float(array.reshape(()))


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


def finite(value, what: str):
    """The student's ``value`` as a float64 numpy array whose every number is finite; else a failed check.

    Every array a student returns goes through this before it is compared: NaN makes
    ``np.allclose`` false, so "these two differ" would otherwise pass on NaN, and an
    infinity passes "is at least". ``what`` names the value for the message ("Sampling's z").
    """
    import numpy as np

    array = as_array(value, what)
    bad = ~np.isfinite(array)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise AssertionError(f"your {what} contains NaN or infinity at index {where} "
                             f"({int(bad.sum())} of {array.size} numbers)")
    return array


def expect_differs(first, second, what: str, why: str, atol: float = 1e-6) -> None:
    """Two of the student's values are finite arrays that differ somewhere; else a failed check saying ``why``.

    ``why`` says what should have made them differ ("two calls should draw new noise").
    """
    import numpy as np

    first, second = finite(first, what), finite(second, what)
    if first.shape == second.shape and np.allclose(first, second, rtol=0.0, atol=atol):
        raise AssertionError(f"your {what} gave the same numbers twice: {why}")

"""What hidden tests use: ``@points(n)``, the ``student`` and ``reference`` fixtures, thresholds.

A hidden-test module ``hidden_tests/test_NN_name.py`` grades lesson ``NN_name``;
each class in it grades one exercise (class attribute ``exercise``)::

    class TestSampling:
        exercise = "sampling"

        @points(2)
        def test_zero_variance_returns_the_mean(self, student): ...

``student`` is a :class:`~autograder.remote.RemoteNamespace`: a sandboxed
contestant in which the master's setup cells, the student's cell for that
exercise and the reference cells of every other exercise have run. Calls on it
are requests; what comes back is plain data (or another remote object), never
the student's code. ``reference`` is the master's namespace in the judge's own
process: trusted code only. Which notebook is the student's comes from the
judge's settings; without one the reference cells themselves are sent to the
contestant, which is how calibration and the project's tests grade the solutions.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import pytest

from dataclasses import dataclass, field

from autograder.notebooks import (Lesson, NotebookError, build_namespace, contestant_sources, exercise_cells,
                                  lesson_named, read_notebook, setup_cells, without_magics)
from public_tests.framework import Namespace

# AUTOGRADER_HIDDEN_TESTS / AUTOGRADER_THRESHOLDS point the grader elsewhere
# (the project's tests grade small fake lessons this way).
HIDDEN_TESTS = Path(os.environ.get("AUTOGRADER_HIDDEN_TESTS") or Path(__file__).resolve().parent / "hidden_tests")
THRESHOLDS = Path(os.environ.get("AUTOGRADER_THRESHOLDS") or Path(__file__).resolve().parent / "thresholds.json")
CONTESTANT_PRELOAD_ENV = "AUTOGRADER_CONTESTANT_PRELOAD"


@dataclass
class JudgeSettings:
    # lesson name -> the student's notebook; a lesson not listed grades the reference
    submissions: dict[str, str] = field(default_factory=dict)
    seed: int = 0
    threads: int = 1
    cpu_seconds: float = 120.0       # the contestant's budget for this exercise
    memory_mb: int = 4096
    idle_seconds: float | None = None  # how long the student's code may compute nothing (None: the default)
    log_file: str | None = None      # what the student's code prints ({lesson} and {exercise} filled in)
    run_folder: str | None = None    # the grading run's folder of values every judge computes alike


_settings = JudgeSettings()
_namespaces: dict[tuple[str, str | None], dict] = {}
_contestants: dict[tuple[str, str], object] = {}
_protections: list[str] | None = None
_zygote = None                       # the judge's warm sandbox (autograder.sandbox.Sandbox)
# An exercise whose check trains the student's model gets this many times the budget:
# a training run under load is the one legitimate long job.
TRAINING_BUDGET_FACTOR = 3


def configure(settings: JudgeSettings) -> None:
    global _settings
    _settings = settings


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


def contestant_for(lesson: Lesson, exercise: str, module=None):
    """The contestant of this exercise, started (and its cells run) on first use; then the same one.

    One judge grades one or more lessons of a student, exercise after exercise: each
    exercise gets a new contestant forked from the judge's one warm zygote, training
    exercises included (the zygote has imported TensorFlow but never started its
    runtime, so a fork is safe), and the previous exercise's processes end first.
    Returns a RemoteNamespace, or raises what running the cells raised, for every
    test that asks (so each test reports it).
    """
    from autograder.remote import Budget, Connection, RemoteNamespace
    from autograder.sandbox import Sandbox, SandboxSettings

    global _protections, _zygote
    key = (lesson.name, exercise)
    if key not in _contestants:
        for other in [k for k in _contestants if k != key]:  # one exercise at a time in the sandbox
            finished = _contestants.pop(other)
            if hasattr(finished, "close"):
                finished.close()
        settings = _settings
        try:
            notebook = settings.submissions.get(lesson.name)
            cells = exercise_cells(read_notebook(notebook)) if notebook else None
            sources = contestant_sources(lesson, cells, exercise)
        except NotebookError as error:
            _contestants[key] = error
            raise
        log = Path(settings.log_file) if settings.log_file else Path(tempfile.gettempdir()) / f"{lesson.name}.log"
        log = log.with_name(log.name.replace("{lesson}", lesson.name).replace("{exercise}", exercise))
        masked = dict(getattr(module, "DELEGATES", {}).get(exercise, {}))
        # The zygote serves every lesson of this judge, so it imports what all their setup cells
        # import; a sandbox of its own (masked) imports only what this lesson's do.
        judged = [lesson] if masked else [lesson, *(lesson_named(name) for name in settings.submissions
                                                    if name != lesson.name)]
        preload = os.environ.get(CONTESTANT_PRELOAD_ENV)
        if preload is None:
            preload = _setup_imports(judged)
        sandbox_settings = SandboxSettings(memory_mb=settings.memory_mb, threads=settings.threads,
                                           preload=preload, exercise=exercise, masked=masked)
        from autograder import registry

        declared = registry.by_id(HIDDEN_TESTS).get(exercise)
        trains = bool(declared and declared.trains)
        budget = Budget(settings.cpu_seconds * (TRAINING_BUDGET_FACTOR if trains else 1), settings.memory_mb,
                        settings.threads, settings.idle_seconds)
        if masked:  # the library's own answer is masked in this sandbox only: a sandbox of its own
            child = None
        else:
            if _zygote is None or not _zygote.alive():
                if _zygote is not None:
                    _zygote.close()
                _zygote = Sandbox(sandbox_settings, log.with_name(f"{lesson.name}.zygote.log"), zygote=True)
            child = _zygote.child(log)
        connection = Connection(sandbox_settings, budget, log, contestant=child)
        _protections = connection.protections
        _contestants[key] = connection
        try:
            connection.run_cells(sources, settings.seed, settings.threads)
        except Exception as error:
            connection.failure = error
    connection = _contestants[key]
    if isinstance(connection, Exception):
        raise connection
    if getattr(connection, "failure", None) is not None:
        raise connection.failure
    return RemoteNamespace(connection)


def _setup_imports(judged: list[Lesson]) -> str:
    """The modules these lessons' setup cells import: what a zygote imports before forking."""
    import ast

    names: list[str] = []
    for lesson in judged:
        for source in setup_cells(read_notebook(lesson.master)):
            for node in ast.walk(ast.parse(without_magics(source))):
                if isinstance(node, ast.Import):
                    names += [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.append(node.module)
    return ",".join(dict.fromkeys(names))


def close_contestants() -> None:
    global _zygote
    for connection in _contestants.values():
        if hasattr(connection, "close"):
            connection.close()
    _contestants.clear()
    if _zygote is not None:
        _zygote.close()
        _zygote = None


def protections_used() -> list[str] | None:
    """The sandbox layers the contestants of this judge had (None when none was started)."""
    return _protections


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


def once_per_run(name: str, compute):
    """``compute()``, computed by the first judge of a grading run that asks and read by the others.

    Only for values of trusted code alone (the reference, the judge's own data, the seed),
    never of a student's answer: every student of the run gets the value their own judge
    would compute. The folder is the grader's (0700, in none of the sandbox's mounts). JSON
    values only. Without a run folder (calibration, the project's tests) it is computed each time.
    """
    folder = _settings.run_folder
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
    return _settings.seed


# ----------------------------------------------------------------------------- the student's models, judged here

KERAS_MODULE = re.compile(r"^keras(\.[A-Za-z_]\w*)*$")
LOCAL_MODEL_TOLERANCE = 1e-4


class UnusableModel(AssertionError):
    """The student's model cannot be rebuilt from the layers it lists (a custom or forbidden layer)."""


def _check_config(node, custom: set[str], where: str = "model") -> None:
    """Refuse anything in a Keras config that would make Keras import or run code of the student's."""
    if isinstance(node, list):
        for item in node:
            _check_config(item, custom, where)
        return
    if not isinstance(node, dict):
        return
    module, name = node.get("module"), node.get("class_name")
    if "class_name" in node:
        if not isinstance(name, str) or name in ("Lambda", "__lambda__", "TorchModuleWrapper"):
            raise UnusableModel(f"your {where} uses a {name} layer, which the grader cannot rebuild; "
                                "use the layers the exercise names")
        if module is None and name not in custom and "config" in node and node.get("registered_name") is not None:
            raise UnusableModel(f"your {where} uses a custom class {name!r}, which the grader cannot rebuild")
        if module is not None and (not isinstance(module, str) or not KERAS_MODULE.match(module)):
            if name not in custom:
                raise UnusableModel(f"your {where} uses {name!r} from {module!r}, which the grader cannot rebuild; "
                                    "use Keras' own layers")
    for value in node.values():
        _check_config(value, custom, where)


def local_model(remote, reference: dict | None = None, *, check_inputs=None, what: str = "model"):
    """The student's Keras model rebuilt here, in the judge, from its layer list and weights.

    Only the model's config (JSON, checked to name Keras' own classes or the
    reference's classes in ``reference``) and its weights (arrays) come from the
    contestant; the judge's Keras builds and runs it. ``check_inputs``: arrays on
    which the student's own model must give the same outputs as the rebuilt one,
    so a model that lists one architecture and computes another is caught.
    """
    import keras
    import numpy as np

    custom = {k: v for k, v in (reference or {}).items() if isinstance(v, type) and issubclass(v, keras.layers.Layer)}
    text = remote.to_json()
    weights = remote.get_weights()
    if not isinstance(text, str) or not isinstance(weights, list) or \
            not all(isinstance(w, np.ndarray) for w in weights):
        raise UnusableModel(f"your {what} is not a Keras model the grader can read")
    try:
        config = json.loads(text)
    except json.JSONDecodeError:
        raise UnusableModel(f"your {what}'s configuration is not JSON") from None
    _check_config(config, set(custom), what)
    try:
        with keras.saving.custom_object_scope(custom):
            model = keras.models.model_from_json(text, custom_objects=custom)
        model.set_weights(weights)
    except Exception as error:  # noqa: BLE001 - whatever Keras says, in one line
        raise UnusableModel(f"your {what} could not be rebuilt from its layers ({type(error).__name__}: "
                            f"{str(error).splitlines()[0][:200] if str(error) else ''})") from None
    if check_inputs is not None:
        theirs = remote.predict(check_inputs, verbose=0)
        ours = model.predict(check_inputs, verbose=0)
        for a, b in zip(_as_list(theirs), _as_list(ours)):
            if not isinstance(a, np.ndarray) or a.shape != np.shape(b) or \
                    not np.allclose(a, b, atol=LOCAL_MODEL_TOLERANCE, rtol=LOCAL_MODEL_TOLERANCE):
                raise UnusableModel(f"your {what} does not compute what its layers say "
                                    "(a custom layer, or a model changed behind Keras' back?)")
    return model


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def load_trained_weights(model, weights, what: str, network: str) -> None:
    """Weights a contestant trained, set into the judge's own ``model``; anything else fails the check.

    ``what`` names the part ("encoder"), ``network`` the exercise's model ("VAE"), for the message.
    """
    _set_checked_weights(model, weights, f"the training of your {network} did not give the {what}'s weights as arrays",
                         f"your trained {what}'s weights")


def _set_checked_weights(model, weights, not_arrays: str, whose: str) -> None:
    """``weights`` into ``model`` if they are arrays of its shapes; else an AssertionError worded for the student."""
    import numpy as np

    if not isinstance(weights, list) or not all(isinstance(w, np.ndarray) for w in weights):
        raise AssertionError(not_arrays)
    expected = [tuple(w.shape) for w in model.get_weights()]
    got = [tuple(w.shape) for w in weights]
    if got != expected:
        def listed(shapes):
            return f"{len(shapes)} weight arrays {shapes[:6]}{'...' if len(shapes) > 6 else ''}"

        raise AssertionError(f"{whose} do not fit the architecture the exercise describes: "
                             f"{listed(got)}, expected {listed(expected)}")
    model.set_weights([w.astype("float32") for w in weights])


def expect_reference_function(remote, reference_model, inputs, *, outputs=None, what: str = "model",
                              tolerance: float = 1e-4) -> None:
    """The student's model computes what the exercise's architecture computes, with the student's weights.

    The student's weights are loaded into the reference architecture, built here;
    both run on ``inputs`` (drawn by the judge). A layer in the wrong order, a
    missing activation or an extra layer changes the outputs even where the
    weight shapes agree. ``outputs``: the indices of the outputs to compare (a
    sampling output is random, so encoders compare only their first two).
    """
    import numpy as np

    _set_checked_weights(reference_model, remote.get_weights(), f"your {what} is not a Keras model the grader can read",
                         f"your {what}'s weights")
    theirs = _as_list(remote.predict(inputs, verbose=0))
    ours = _as_list(reference_model.predict(inputs, verbose=0))
    if len(theirs) != len(ours):
        raise AssertionError(f"your {what} has {len(theirs)} outputs, the exercise asks for {len(ours)}")
    for index in (outputs if outputs is not None else range(len(ours))):
        a, b = theirs[index], ours[index]
        if not isinstance(a, np.ndarray) or a.shape != b.shape:
            raise AssertionError(f"output {index} of your {what} has shape "
                                 f"{getattr(a, 'shape', type(a).__name__)}, expected {b.shape}")
        if not np.allclose(a, b, atol=tolerance, rtol=tolerance):
            worst = float(np.max(np.abs(a.astype("float64") - b)))
            raise AssertionError(f"your {what} computes something else than the layers the exercise describes, "
                                 f"in this order and with these activations (output {index} differs by up to "
                                 f"{worst:.3g} with your own weights)")

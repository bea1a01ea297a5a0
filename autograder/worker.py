"""The child side of grading: run one exercise's hidden tests with pytest.

The grader (``autograder.runner``) starts one child process per exercise and per
submission. The child runs the exercise's hidden-test class(es) in-process with
pytest and writes one JSON line per finished test to a *result file*::

    {"kind": "test", "nodeid": "...", "outcome": "passed" | "failed", "message": "..."}
    {"kind": "end", "exit_code": 0}

The parent reads that file after the child has gone and computes the score from
its OWN list of tests and points (collected before any student code ran), so
nothing a student prints, raises or exits with can add points: a test with no
``passed`` line scores nothing.

Messages are for students: the assertion text of a failed check, or the type
and message of an exception with the line of their cell it came from. Never our
traceback. A ``NotImplementedError`` raised in the student's cell (the stub
``make lessons`` leaves) means "not implemented".

Normally the child is a fork of the grader (see ``runner``); the same code runs
as ``python -m autograder.worker TASK.json`` when the grader spawns fresh
interpreters instead (``--spawn``). The same child machinery also lists the
hidden tests (``collect``), so that our own test modules are imported in a
throw-away process too.
"""

from __future__ import annotations

import json
import os
import re
import sys
import traceback
from pathlib import Path

import pytest

MESSAGE_LIMIT = 400
NOT_IMPLEMENTED = "not implemented"
STUB_TEXT = "is yours to write"  # part of every stub's message (autograder.assign.stub_message)


class ResultSink:
    """Appends JSON lines to the result file, flushed at once so that a kill
    after test 3 of 5 still leaves the verdicts of tests 1-3."""

    def __init__(self, path: str | os.PathLike):
        # Opened in append mode: a result file is never rewritten by the child.
        self._file = open(path, "a", encoding="utf-8")

    def write(self, **record) -> None:
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


# --------------------------------------------------------------------------
# Student-readable messages


def _chain(error: BaseException):
    """The exception and its causes/contexts (a student's error often hides behind ours)."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def _student_location(error: BaseException, cells: dict[str, str]) -> str:
    """', in your cell 'x', line 4: y = 1' for the deepest frame of a student's cell."""
    where = ""
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename.startswith("<cell ") and frame.filename.endswith(">"):
            name = frame.filename[len("<cell "):-1]
            lines = cells.get(name, "").splitlines()
            code = lines[frame.lineno - 1].strip() if frame.lineno and 0 < frame.lineno <= len(lines) else ""
            where = f" (your cell '{name}', line {frame.lineno}" + (f": {code})" if code else ")")
    return where


def _is_stub(error: BaseException) -> bool:
    """A NotImplementedError raised by a student's cell: the stub ``make lessons`` leaves.

    One raised elsewhere (Keras, for a layer without ``call``) is reported as
    what it is, with its message.
    """
    if not isinstance(error, NotImplementedError):
        return False
    # Inside a tf.function the frames are autograph's copy of the cell, but the stub's text survives.
    return STUB_TEXT in str(error) or any(
        frame.filename.startswith("<cell ") for frame in traceback.extract_tb(error.__traceback__))


ANSI_CODES = re.compile(r"\x1b\[[0-9;]*m")  # Keras colours parts of its error messages


def _one_line(text: str) -> str:
    text = ANSI_CODES.sub("", str(text))
    text = " / ".join(part.strip() for part in text.strip().splitlines() if part.strip())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


def describe(error: BaseException, cells: dict[str, str] | None = None) -> str:
    """One line that tells a student what went wrong, without our internals."""
    from autograder.notebooks import NotebookError

    cells = cells or {}
    chain = list(_chain(error))
    if any(_is_stub(e) for e in chain):
        return NOT_IMPLEMENTED
    if isinstance(error, NotebookError):
        return _one_line(error)
    if isinstance(error, MemoryError):
        return "ran out of memory (MemoryError)" + _student_location(error, cells)
    if isinstance(error, SystemExit):
        return f"your code called sys.exit({error.code!r}); the grader cannot test past that" + _student_location(error, cells)
    if isinstance(error, KeyboardInterrupt):
        return "your code raised KeyboardInterrupt" + _student_location(error, cells)
    if isinstance(error, SyntaxError) and str(error.filename).startswith("<cell "):
        return f"syntax error in your cell, line {error.lineno}: {error.msg}"
    if isinstance(error, pytest.fail.Exception):
        return _one_line(error.msg or "failed")
    if isinstance(error, pytest.skip.Exception):
        return _one_line(f"skipped: {error.msg}")
    location = _student_location(error, cells)
    if isinstance(error, AssertionError) and not location:
        # A hidden test's own check. With pytest's assertion rewriting the text is
        # "author's message\nassert <expression>": the author's message is what
        # students need; without one, the rewritten expression is shown.
        text = str(error).strip()
        if not text:
            return "a check failed"
        authored = text.split("\nassert ", 1)[0].strip()
        return _one_line(authored if authored and not authored.startswith("assert ") else text.splitlines()[0])
    message = str(error).strip()
    return _one_line(f"{type(error).__name__}: {message}" if message else type(error).__name__) + location


# --------------------------------------------------------------------------
# pytest plugins


class Reporter:
    """Writes one verdict per test: passed only when setup, call and teardown all passed."""

    def __init__(self, sink: ResultSink, cells: dict[str, str]):
        self.sink = sink
        self.cells = cells
        self.failures: dict[str, str] = {}

    def pytest_configure(self, config):
        config.addinivalue_line("markers", "points(n): how many points a hidden test is worth")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if call.excinfo is not None and item.nodeid not in self.failures:
            if report.failed or report.skipped:
                self.failures[item.nodeid] = describe(call.excinfo.value, self.cells)
        if call.when == "teardown":
            message = self.failures.pop(item.nodeid, None)
            if message is None:
                self.sink.write(kind="test", nodeid=item.nodeid, outcome="passed", message="")
            else:
                self.sink.write(kind="test", nodeid=item.nodeid, outcome="failed", message=message)


def trains_a_model(module, cls, exercise: str) -> bool:
    """Whether an exercise's hidden tests train a model: they then run in a fresh interpreter.

    Listed in the module's MEASURES, a test class that calls ``.fit(``, or a
    class that says so with ``fresh_process = True``. (See runner's docstring:
    long training in a forked child hung now and then; in a fresh interpreter never.)
    """
    import inspect

    if getattr(cls, "fresh_process", False) or exercise in getattr(module, "MEASURES", {}):
        return True
    try:
        return ".fit(" in inspect.getsource(cls)
    except (OSError, TypeError):
        return False


class Collector:
    """Lists the hidden tests (collect-only): lesson, exercise, points, title."""

    def __init__(self, sink: ResultSink):
        self.sink = sink
        self.errors: list[str] = []

    def pytest_configure(self, config):
        config.addinivalue_line("markers", "points(n): how many points a hidden test is worth")

    def pytest_collectreport(self, report):
        if report.failed:
            self.errors.append(f"{report.nodeid}: {report.longreprtext}")

    def pytest_collection_modifyitems(self, items):
        from autograder.testing import points_of

        for item in items:
            exercise = getattr(item.cls, "exercise", None) if item.cls else None
            module = Path(item.module.__file__).stem
            if exercise is None or not module.startswith("test_"):
                self.errors.append(f"{item.nodeid}: a hidden test must sit in a class with an `exercise` attribute")
                continue
            mark = item.get_closest_marker("points")
            points = float(mark.args[0]) if mark else points_of(item.function)
            doc = (item.function.__doc__ or "").strip()
            title = doc.splitlines()[0].strip() if doc else item.name.removeprefix("test_").replace("_", " ")
            trains = trains_a_model(item.module, item.cls, exercise)
            self.sink.write(kind="test", nodeid=item.nodeid, lesson=module.removeprefix("test_"),
                            exercise=exercise, points=points, title=title, trains=trains)


# --------------------------------------------------------------------------
# Child set-up and entry points


def pytest_args(hidden_tests: Path, extra: list[str]) -> list[str]:
    # -s: student output goes straight to the child's log file instead of being
    # buffered by pytest's capture (a student printing in a loop must not eat memory).
    # The rootdir is fixed so node ids are the same in the collecting and the running child.
    return ["-q", "-s", "--no-header", "-p", "no:cacheprovider", "--rootdir", str(hidden_tests.parent),
            "-W", "ignore::DeprecationWarning", *extra]


def configure_process(threads: int, seed: int | None) -> None:
    """Thread counts and seed, before TensorFlow's runtime starts in this process."""
    os.environ["COURSE_MODE"] = "fast"           # notebooks' setup cells choose small budgets
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # nbval & co. are not needed here
    # Intra-op threads do the arithmetic: the child's share of the cores. Inter-op
    # threads schedule ops; with a single one, an op that blocks waiting for
    # another (tf.data's iterator inside Keras' fit) can deadlock the process
    # (tensorflow/tensorflow#38969, #10369): we saw a training hang that way. So at least 2.
    inter_op = max(2, threads)
    # TensorFlow reads these when its runtime starts (for a process that imports it later) ...
    os.environ["TF_NUM_INTRAOP_THREADS"] = str(threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = str(inter_op)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    tf = sys.modules.get("tensorflow")
    if tf is not None:  # ... and a forked child has it imported already, runtime not yet started
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(inter_op)
        except RuntimeError as error:  # the runtime was started already: grading still works, only slower
            print(f"autograder: could not set TensorFlow threads ({error})", file=sys.stderr)
    if seed is not None:
        if "keras" in sys.modules:  # the course's way: Python, NumPy and TensorFlow at once
            from aecourse.seeding import set_seed

            set_seed(seed)
        else:  # a course without Keras (see runner.PRELOAD_ENV): no need to import it for a seed
            import random

            import numpy as np

            random.seed(seed)
            np.random.seed(seed)


def run_exercise(task: dict) -> int:
    """Run the hidden tests listed in ``task["nodeids"]`` against ``task["notebook"]``."""
    from autograder.notebooks import NotebookError, exercise_cells, read_notebook
    from autograder.testing import SEED_ENV, SUBMISSION_ENV

    configure_process(task.get("threads", 1), task.get("seed"))
    os.environ[SUBMISSION_ENV] = task["notebook"]
    os.environ[SEED_ENV] = str(task.get("seed", 0))
    try:
        cells = exercise_cells(read_notebook(task["notebook"]))
    except NotebookError:
        cells = {}  # the `student` fixture reports the same problem, once per test
    sink = ResultSink(task["result_file"])
    hidden = Path(task["hidden_tests"])
    # Node ids are relative to the rootdir, the folder above the hidden tests.
    args = pytest_args(hidden, [str(hidden.parent / nodeid) for nodeid in task["nodeids"]])
    exit_code = pytest.main(args, plugins=[Reporter(sink, cells)])
    sink.write(kind="end", exit_code=int(exit_code))
    sink.close()
    return 0


def collect(task: dict) -> int:
    """Write the list of hidden tests in ``task["hidden_tests"]``, with their points."""
    configure_process(1, None)
    sink = ResultSink(task["result_file"])
    collector = Collector(sink)
    hidden = Path(task["hidden_tests"])
    exit_code = pytest.main(pytest_args(hidden, ["--collect-only", str(hidden)]), plugins=[collector])
    for error in collector.errors:
        sink.write(kind="error", message=error)
    sink.write(kind="end", exit_code=int(exit_code))
    sink.close()
    return 0


def execute(task: dict) -> int:
    return {"run": run_exercise, "collect": collect}[task["command"]](task)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m autograder.worker", description=__doc__.splitlines()[0])
    parser.add_argument("task", help="a JSON file written by autograder.runner")
    args = parser.parse_args(argv)
    import faulthandler
    import signal

    from autograder.runner import preload

    faulthandler.register(signal.SIGUSR1, all_threads=True)  # the runner asks for stacks before a time-out kill
    preload()  # the same modules a forked child would have, so both ways grade alike
    return execute(json.loads(Path(args.task).read_text(encoding="utf-8")))


if __name__ == "__main__":
    sys.exit(main())

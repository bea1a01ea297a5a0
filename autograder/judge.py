"""The judge: run the hidden tests of some lessons of one student with pytest, asking sandboxed contestants.

The grader (``autograder.grading``, ``autograder.runner``) starts a judge process per
student, or a few per student when the cores outnumber the students. The judge never executes a student's code: the ``student`` fixture
(``autograder.testing``) starts a contestant in a sandbox (``autograder.sandbox``)
and turns the test's calls into requests (``autograder.remote``). Assertions, pass
marks, the reference classifier, the data used for judging and the verdicts all
stay here. The judge writes one JSON line per finished test to its result file,
which no contestant can see::

    {"kind": "test", "nodeid": "...", "outcome": "passed" | "failed", "message": "..."}
    {"kind": "end", "exit_code": 0}

The grader computes the score from its own list of tests and points, so a test
with no ``passed`` line scores nothing. Messages are for students: the assertion
text of a failed check, the contestant's one-line account of the student's
exception, or why the contestant ended. Never our traceback.

The same process lists the hidden tests (``collect``), so that our own test
modules are imported in a throw-away process too. Run as
``python -m autograder.judge TASK.json`` when the grader spawns instead of forking.
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
# Messages for students


ANSI_CODES = re.compile(r"\x1b\[[0-9;]*m")  # Keras colours parts of its error messages


def _one_line(text: str) -> str:
    text = ANSI_CODES.sub("", str(text))
    text = " / ".join(part.strip() for part in text.strip().splitlines() if part.strip())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


NUMPY_COMPARISON = ("Not equal to tolerance", "Arrays are not equal", "Arrays are not almost equal")


def _numpy_comparison(text: str) -> str | None:
    """numpy.testing's report in a student's words: the author's message and the largest difference."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith(NUMPY_COMPARISON):
        return None
    authored = lines[1] if len(lines) > 1 and not lines[1].startswith(("Mismatched", "(", "x:", "ACTUAL")) else ""
    worst = next((line for line in lines if line.startswith("Max absolute difference")), "")
    return "; ".join(part for part in (authored or "the values are not the expected ones", worst.lower()) if part)


def describe(error: BaseException) -> str:
    """One line that tells a student what went wrong, without our internals."""
    from autograder.notebooks import NotebookError
    from autograder.remote import ContestantGone, RemoteError
    from autograder.sandbox import SandboxError

    if isinstance(error, RemoteError):
        return NOT_IMPLEMENTED if error.stub else _one_line(error)   # worded by the contestant
    if isinstance(error, ContestantGone):
        return _one_line(error)
    if isinstance(error, NotebookError):
        return _one_line(error)
    if isinstance(error, SandboxError):  # the machine's fault, never the answer's
        return _one_line(f"grader error, not your code: the grader could not start your code's sandbox ({error}); "
                         "tell your instructor")
    if isinstance(error, pytest.fail.Exception):
        return _one_line(error.msg or "failed")
    if isinstance(error, pytest.skip.Exception):
        return _one_line(f"skipped: {error.msg}")
    if isinstance(error, AssertionError):
        # A hidden test's own check. With pytest's assertion rewriting the text is
        # "author's message\nassert <expression>": the author's message is what
        # students need; without one, the rewritten expression is shown.
        text = str(error).strip()
        if not text:
            return "a check failed"
        numpy_words = _numpy_comparison(text)
        if numpy_words:
            return _one_line(numpy_words)
        authored = text.split("\nassert ", 1)[0].strip()
        return _one_line(authored if authored and not authored.startswith("assert ") else text.splitlines()[0])
    # The judge's own code met something it did not expect in the student's answers
    # (a Remote where a number should be, a wrong type): a failed check, in our words.
    message = str(error).strip()
    return _one_line(f"the grader could not use your answer ({type(error).__name__}"
                     + (f": {message})" if message else ")"))


# --------------------------------------------------------------------------
# pytest plugins


class Reporter:
    """Writes one verdict per test: passed only when setup, call and teardown all passed."""

    def __init__(self, sink: ResultSink):
        self.sink = sink
        self.seconds: dict[str, float] = {}
        self.failures: dict[str, str] = {}

    def pytest_configure(self, config):
        config.addinivalue_line("markers", "points(n): how many points a hidden test is worth")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if call.excinfo is not None and item.nodeid not in self.failures:
            if report.failed or report.skipped:
                self.failures[item.nodeid] = describe(call.excinfo.value)
        self.seconds[item.nodeid] = self.seconds.get(item.nodeid, 0.0) + float(report.duration or 0.0)
        if call.when == "teardown":
            message = self.failures.pop(item.nodeid, None)
            seconds = round(self.seconds.pop(item.nodeid, 0.0), 2)
            if message is None:
                self.sink.write(kind="test", nodeid=item.nodeid, outcome="passed", message="", seconds=seconds)
            else:
                self.sink.write(kind="test", nodeid=item.nodeid, outcome="failed", message=message, seconds=seconds)


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
        from autograder import registry
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
            declared = registry.by_id(Path(item.module.__file__).parent).get(exercise)
            trains = bool(declared and declared.trains)
            self.sink.write(kind="test", nodeid=item.nodeid, lesson=module.removeprefix("test_"),
                            exercise=exercise, points=points, title=title, trains=trains)


# --------------------------------------------------------------------------
# Child set-up and entry points


def pytest_args(hidden_tests: Path, extra: list[str]) -> list[str]:
    # -s: student output goes straight to the child's log file instead of being
    # buffered by pytest's capture (a student printing in a loop must not eat memory).
    # The rootdir is fixed so node ids are the same in the collecting and the running child.
    # --durations: the judge's log names its slowest tests, which is where grading time goes.
    return ["-q", "-s", "--no-header", "-p", "no:cacheprovider", "--rootdir", str(hidden_tests.parent),
            "-W", "ignore::DeprecationWarning", "--durations=8", "--durations-min=0.5", *extra]


# Modules the grader imports once so that every forked judge has them for free.
# AUTOGRADER_PRELOAD (comma-separated) replaces the list, e.g. for a course
# without TensorFlow (the project's tests grade such a fake course).
PRELOAD = ("numpy", "tensorflow", "keras", "matplotlib", "autograder.quick_nbformat", "pytest", "psutil",
           "aecourse", "aecourse.config", "aecourse.seeding", "autograder.notebooks", "autograder.testing",
           "autograder.remote")
PRELOAD_ENV = "AUTOGRADER_PRELOAD"


def preload() -> None:
    """Import the heavy modules once, before forking judges."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("MPLBACKEND", "Agg")
    import importlib

    names = os.environ.get(PRELOAD_ENV)
    for name in (names.split(",") if names is not None else PRELOAD):
        if name.strip():
            try:
                importlib.import_module(name.strip())
            except ImportError:
                pass


def configure_process(threads: int, seed: int | None) -> None:
    """Thread counts and seed of the judge's own TensorFlow, before its runtime starts."""
    os.environ["COURSE_MODE"] = "fast"           # notebooks' setup cells choose small budgets
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # nbval & co. are not needed here
    # With a single inter-op thread, an op that blocks waiting for another can
    # deadlock the process (tensorflow/tensorflow#38969, #10369): so at least 2.
    inter_op = max(2, threads)
    os.environ["TF_NUM_INTRAOP_THREADS"] = str(threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = str(inter_op)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    tf = sys.modules.get("tensorflow")
    if tf is not None:  # a forked judge has it imported already, runtime not yet started
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(inter_op)
        except RuntimeError as error:
            print(f"autograder: could not set TensorFlow threads ({error})", file=sys.stderr)
    if seed is not None:
        import random

        import numpy as np

        random.seed(seed)
        np.random.seed(seed)


def run_exercise(task: dict) -> int:
    """Run the hidden tests listed in ``task["nodeids"]`` against ``task["notebooks"]`` (lesson -> notebook)."""
    from autograder import testing

    configure_process(task.get("threads", 1), task.get("seed"))
    testing.configure(testing.JudgeSettings(
        submissions=dict(task.get("notebooks", {})), seed=int(task.get("seed", 0)), threads=int(task.get("threads", 1)),
        cpu_seconds=float(task.get("cpu_seconds", 120.0)), memory_mb=int(task.get("memory_mb", 4096)),
        idle_seconds=None if task.get("idle_seconds") is None else float(task["idle_seconds"]),
        run_folder=task.get("run_folder"),
        log_file=task.get("contestant_log")))
    sink = ResultSink(task["result_file"])
    hidden = Path(task["hidden_tests"])
    # Node ids are relative to the rootdir, the folder above the hidden tests.
    args = pytest_args(hidden, [str(hidden.parent / nodeid) for nodeid in task["nodeids"]])
    try:
        exit_code = pytest.main(args, plugins=[Reporter(sink)])
    finally:
        testing.close_contestants()
    from autograder import pictures

    for picture in pictures.recorded():  # what the student's model drew, computed here from their weights
        sink.write(kind="picture", **picture)
    protections = testing.protections_used()
    if protections is not None:
        sink.write(kind="protections", layers=protections)
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
    import signal

    signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # a contestant that has gone must not take the judge along
    return {"run": run_exercise, "collect": collect}[task["command"]](task)


def main(argv: list[str] | None = None) -> int:
    import argparse
    import faulthandler
    import signal

    parser = argparse.ArgumentParser(prog="python -m autograder.judge", description=__doc__.splitlines()[0])
    parser.add_argument("task", help="a JSON file written by autograder.runner")
    args = parser.parse_args(argv)
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # the runner asks for stacks before a kill
    preload()  # the same modules a forked judge would have, so both ways grade alike
    return execute(json.loads(Path(args.task).read_text(encoding="utf-8")))


if __name__ == "__main__":
    sys.exit(main())

"""The judge: run the hidden tests of some lessons of one student with pytest, asking sandboxed contestants.

The grader (``autograder.grading``, ``autograder.runner``) starts a judge process per
student, or a few per student when the cores outnumber the students. The judge never
executes a student's code: the ``student`` fixture (``autograder.testing``) starts a
contestant in a sandbox (``autograder.contestants``, ``autograder.sandbox``) and turns
the test's calls into requests (``autograder.remote``). Assertions, pass marks, the
reference classifier, the data used for judging and the verdicts all stay here. The
judge writes one JSON line per finished test to its result file, which no contestant
can see::

    {"kind": "test", "nodeid": "...", "outcome": "passed" | "failed", "message": "..."}
    {"kind": "end", "exit_code": 0}

The grader computes the score from its own list of tests and points, so a test
with no ``passed`` line scores nothing. Messages are for students: the assertion
text of a failed check, the contestant's one-line account of the student's
exception, or why the contestant ended (``autograder.messages``). Never our traceback.
The pytest plugins that write those lines are ``autograder.pytest_plugin``; this
module is the process around them: its imports, threads and seed, and its entry points.

The same process lists the hidden tests (``collect``), so that our own test
modules are imported in a throw-away process too. Run as
``python -m autograder.judge TASK.json`` when the grader spawns instead of forking.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from autograder import contestants
from autograder.public_results import PublicChecks
from autograder.pytest_plugin import Collector, Reporter, ResultSink, pytest_args

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
    configure_process(task.get("threads", 1), task.get("seed"))
    contestants.configure(contestants.JudgeSettings(
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
        plugins = [Reporter(sink)] + ([PublicChecks(sink)] if task.get("public_checks") else [])
        exit_code = pytest.main(args, plugins=plugins)
    finally:
        contestants.close_contestants()
    from autograder import pictures

    for picture in pictures.recorded():  # what the student's model drew, computed here from their weights
        sink.write(kind="picture", **picture)
    protections = contestants.protections_used()
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

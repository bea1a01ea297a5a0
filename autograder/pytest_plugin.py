"""The judge's pytest plugins, and the arguments it runs pytest with.

``Reporter`` writes one verdict per hidden test (passed only when its setup, call
and teardown all passed; else the one-line message of :mod:`autograder.messages`);
``Collector`` lists the hidden tests with their lesson, exercise, points and title.
Both write JSON lines to a ``ResultSink``, flushed one by one so that a judge
killed mid-run leaves the verdicts it reached. ``pytest_args`` is the command line
both the collecting and the running judge use, so their node ids agree.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from autograder import registry
from autograder.messages import describe
from autograder.testing import points_of


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


def pytest_args(hidden_tests: Path, extra: list[str]) -> list[str]:
    # -s: student output goes straight to the child's log file instead of being
    # buffered by pytest's capture (a student printing in a loop must not eat memory).
    # The rootdir is fixed so node ids are the same in the collecting and the running child.
    # --durations: the judge's log names its slowest tests, which is where grading time goes.
    return ["-q", "-s", "--no-header", "-p", "no:cacheprovider", "--rootdir", str(hidden_tests.parent),
            "-W", "ignore::DeprecationWarning", "--durations=8", "--durations-min=0.5", *extra]

"""The public checks in the grader: each exercise's ``check()`` verdicts, run where the student's code runs.

After the hidden tests of an exercise, the judge ends that exercise's contestant and
starts a fresh one (the same cells: the master's setup cells, the student's cell and
the reference cells of the other exercises, which is how ``check()`` takes the cell
in the notebook; the course library unmasked, as in the notebook, where some public
checks compare with it), and asks it to run the exercise's public checks (the probe
``public_checks``). It writes one record per exercise to its result file::

    {"kind": "public", "lesson": "...", "exercise": "...", "checks": [{"title", "passed", "message"}]}

The titles and their number are the judge's, from its own copy of ``public_tests``;
only each verdict and its message come from the contestant, which runs the student's
code and so could say anything: the grader gives these results no points
(:class:`autograder.grading.PublicResult`) and Gradescope shows them as the policy's
``public`` kind, at once by default. The fresh contestant keeps both ways apart:
what the hidden tests left cannot change what the public checks say, and the public
checks, run after the hidden tests with a budget of their own, cannot cost them anything.
"""

from __future__ import annotations

import time

import pytest

from autograder.messages import describe

MESSAGE_LIMIT = 1000


def titles(exercise: str) -> list[str]:
    """The titles of the exercise's public checks, in order (none when it has none)."""
    from public_tests import framework

    name = framework.resolve(exercise)
    return [framework._title(check) for check in framework._REGISTRY[name]] if name else []


def verdicts(wanted: list[str], rows) -> list[dict]:
    """The contestant's rows laid on the judge's titles; what is missing or malformed did not pass.

    ``check()`` stops at a check that finds the exercise not written (or a name missing):
    the checks after it get that check's message.
    """
    from public_tests import framework

    rows = rows if isinstance(rows, list) else []
    results, stopped = [], "not run"
    for index, title in enumerate(wanted):
        row = rows[index] if index < len(rows) else None
        if isinstance(row, list) and len(row) == 3 and type(row[1]) is bool and isinstance(row[2], str):
            passed, message = row[1], row[2][:MESSAGE_LIMIT]
            stopped = stopped if passed else message or stopped
        else:
            passed, message = False, stopped
        # A passed row keeps its message only when it says the check could not run here (framework.NotRunHere).
        shown = message if not passed or message.startswith(framework.NOT_RUN_HERE) else ""
        results.append({"title": title, "passed": passed, "message": shown})
    return results


def run(lesson, exercise: str) -> list[dict]:
    """The exercise's public checks in a fresh contestant; every check failed with the reason when that cannot run."""
    from autograder.contestants import contestant_for, end_contestant

    wanted = titles(exercise)
    if not wanted:
        return []
    try:
        end_contestant(lesson, exercise)
        student = contestant_for(lesson, exercise)  # no module: no DELEGATES masked, as in the notebook
        rows = student.probe("public_checks", exercise)
    except Exception as error:  # the student's cell raised, the contestant died, ...: said once per check
        return [{"title": title, "passed": False, "message": describe(error)} for title in wanted]
    finally:
        end_contestant(lesson, exercise)
    return verdicts(wanted, rows)


class PublicChecks:
    """A judge plugin: after the last hidden test of each exercise, its public checks (one ``public`` record)."""

    def __init__(self, sink):
        self.sink = sink
        self.done: set[tuple[str, str]] = set()

    @staticmethod
    def _exercise(item) -> str | None:
        return getattr(item.cls, "exercise", None) if getattr(item, "cls", None) else None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        yield
        exercise = self._exercise(item)
        if exercise is None or (nextitem is not None and nextitem.module is item.module
                                and self._exercise(nextitem) == exercise):
            return
        from autograder.testing import lesson_of_module

        lesson = lesson_of_module(item.module)
        if (lesson.name, exercise) in self.done:
            return
        self.done.add((lesson.name, exercise))
        started = time.monotonic()
        checks = run(lesson, exercise)
        seconds = time.monotonic() - started
        print(f"public checks of {exercise}: {sum(c['passed'] for c in checks)}/{len(checks)} passed "
              f"in {seconds:.1f} s", flush=True)  # the judge's log: what they add to grading time
        self.sink.write(kind="public", lesson=lesson.name, exercise=exercise, checks=checks, seconds=round(seconds, 2))

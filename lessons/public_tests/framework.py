"""Instant feedback inside a lesson notebook: ``check("exercise_name")`` and ``check_all()``.

Each lesson has a module ``checks_NN_name.py`` whose functions are registered with
``@public_check("exercise_name")``; the module's name says which lesson they
belong to. A check receives a namespace and raises :class:`CheckFailed` (through
:func:`expect`) with what was expected, what came, and a hint. ``check`` prints
one line per check and never a traceback from this framework: students should
see their own mistake, not our plumbing. Exercise names match in any case
(``check("Sampling")`` is ``check("sampling")``).

In a notebook, ``check`` judges the exercise the way the grader will: its
``# Exercise:`` cell alone, on top of the setup cells and the other exercises
(see :mod:`public_tests.graded_cell`). ``check`` and ``check_all`` return a
verdict that is truthy when everything passed and that Jupyter does not print.

These checks are public and quick. The grader runs a larger, hidden set.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import re
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from public_tests import graded_cell

_REGISTRY: dict[str, list[Callable[["Namespace"], None]]] = {}
_LESSON: dict[str, str] = {}                      # exercise -> lesson, from the checks module's name
RESULTS: dict[str, tuple[int, int]] = {}          # exercise -> (passed, total) of its latest check()
_CHECKS_MODULE = re.compile(r"(?:^|\.)checks_(\d\d_\w+)$")


def public_check(exercise: str):
    """Register the decorated function as a public check of ``exercise``."""

    def register(fn):
        _REGISTRY.setdefault(exercise, []).append(fn)
        match = _CHECKS_MODULE.search(getattr(fn, "__module__", "") or "")
        if match:
            _LESSON.setdefault(exercise, match.group(1))
        return fn

    return register


class CheckFailed(AssertionError):
    """A check's verdict, with what a student needs to fix it."""

    def __init__(self, message: str, *, expected: Any = None, got: Any = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.expected = expected
        self.got = got
        self.hint = hint


def expect(condition: bool, message: str, *, expected: Any = None, got: Any = None, hint: str | None = None) -> None:
    """Fail the current check with a friendly explanation unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message, expected=expected, got=got, hint=hint)


class MissingName(LookupError):
    pass


class NotRunHere(Exception):
    """A check that cannot run where it is asked to (the grader's sandbox holds no dataset): not a failure.

    The row says why, and passes: the hidden test that makes the same measurement decides the points.
    """


NOT_RUN_HERE = "not run here: "


@dataclass
class Namespace:
    """The notebook's globals, read by attribute: ``ns.Sampling``."""

    values: dict

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise MissingName(name) from None


def _load_all_checks() -> None:
    package = importlib.import_module("public_tests")
    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith("checks_"):
            importlib.import_module(f"public_tests.{module.name}")


def _title(fn: Callable) -> str:
    doc = inspect.getdoc(fn)
    return doc.splitlines()[0] if doc else fn.__name__.replace("_", " ")


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# A decimal with five or more digits after the point (and its exponent, if any), not part of a
# longer dotted token such as a version number ("3.11.7") or a name ("x1.123456").
_LONG_DECIMAL = re.compile(r"(?<![\w.])\d+\.\d{5,}(?:e[+-]?\d+)?(?![\w.])")


def _round_number(match: re.Match) -> str:
    value = float(match.group(0))
    return f"{value:.0f}" if abs(value) >= 1e4 else f"{value:.4g}"


def readable_numbers(text: str) -> str:
    """Long decimals in a check's message rounded to 4 significant digits.

    A float32 0.69 read back as a Python float prints as 0.6899999976158142; a student
    should read 0.69. Large numbers keep their integer part (123456.78 -> 123457), and
    the exponent of 1.2345678e-05 stays (1.235e-05).
    """
    return _LONG_DECIMAL.sub(_round_number, text)


def _where_in_student_code(error: BaseException) -> str:
    """The last line of the student's own cell in the traceback, if any."""
    frames = traceback.extract_tb(error.__traceback__)
    for frame in reversed(frames):
        name = frame.filename
        if "ipykernel" in name or name.startswith("<ipython-input") or name.startswith("<cell"):
            return f" (in your cell, line {frame.lineno}: {frame.line})" if frame.line else f" (in your cell, line {frame.lineno})"
    return ""


def resolve(exercise: str) -> str | None:
    """The registered spelling of an exercise name, matched in any case."""
    _load_all_checks()
    if exercise in _REGISTRY:
        return exercise
    return next((name for name in _REGISTRY if name.lower() == str(exercise).lower()), None)


def lesson_exercises(lesson: str) -> list[str]:
    """The exercises of a lesson, in the order their checks are registered."""
    _load_all_checks()
    return [name for name in _REGISTRY if _LESSON.get(name) == lesson]


def lessons() -> list[str]:
    _load_all_checks()
    return sorted(set(_LESSON.values()))


def _unknown(exercise: str) -> str:
    """Did you mean ...? for a misspelt exercise name, else the known names."""
    import difflib

    by_lower = {name.lower(): name for name in _REGISTRY}
    close = difflib.get_close_matches(str(exercise).lower(), list(by_lower), n=1, cutoff=0.75)
    if close:
        return f"did you mean {by_lower[close[0]]}?"
    return f"Known exercises: {', '.join(sorted(_REGISTRY))}."


def run_checks(exercise: str, namespace: dict) -> list[tuple[str, bool, str]]:
    """Run the public checks of ``exercise``; returns (title, passed, explanation) rows."""
    name = resolve(exercise)
    if name is None:
        return [(f"unknown exercise {exercise!r}", False, _unknown(exercise))]
    ns = Namespace(namespace)
    rows = []
    for fn in _REGISTRY[name]:
        title = _title(fn)
        try:
            fn(ns)
        except NotImplementedError:
            rows.append((title, False, "not implemented yet: replace the `raise NotImplementedError` with your code, run the cell, then check again."))
            break  # the remaining checks would say the same thing
        except MissingName as missing:
            rows.append((title, False, f"`{missing.args[0]}` is not defined: run the exercise cell above first."))
            break
        except NotRunHere as reason:
            rows.append((title, True, NOT_RUN_HERE + str(reason)))
        except CheckFailed as failed:
            parts = [failed.message]
            if failed.expected is not None:
                parts.append(f"expected: {_short(failed.expected)}")
            if failed.got is not None:
                parts.append(f"got: {_short(failed.got)}")
            if failed.hint:
                parts.append(f"hint: {failed.hint}")
            rows.append((title, False, readable_numbers("\n      ".join(parts))))
        except Exception as error:  # a student's bug, reported in one line
            rows.append((title, False, f"your code raised {type(error).__name__}: {error}{_where_in_student_code(error)}"))
        else:
            rows.append((title, True, ""))
    return rows


class Verdict:
    """What ``check`` returns: truthy when every check passed; Jupyter shows nothing for it."""

    def __init__(self, passed: int, total: int, what: str):
        self.passed, self.total, self.what = passed, total, what

    def __bool__(self) -> bool:
        return self.total > 0 and self.passed == self.total

    def __repr__(self) -> str:
        return f"<{self.what}: {self.passed}/{self.total} passed>"

    def _ipython_display_(self) -> None:
        pass  # the printed report is the answer; an extra Out[] line would only be noise


def _graded_rows(name: str, caller_globals: dict) -> list[tuple[str, bool, str]]:
    """In a notebook: the checks on the exercise cell as the grader takes it. Elsewhere: on ``caller_globals``."""
    shell = graded_cell.kernel()
    lesson = _LESSON.get(name)
    if shell is None or lesson is None or caller_globals is not shell.user_ns:
        return run_checks(name, caller_globals)
    try:
        namespace = graded_cell.graded_namespace(name, lesson, lesson_exercises(lesson), shell)
    except graded_cell.CellProblem as problem:
        return [("your exercise cell, as the grader takes it", False, str(problem))]
    return run_checks(name, namespace)


def _evaluate(exercise: str, namespace: dict | None, caller_globals: dict) -> tuple[str, list, int]:
    name = resolve(exercise)
    if name is None:
        return str(exercise), run_checks(exercise, {}), 1
    rows = run_checks(name, namespace) if namespace is not None else _graded_rows(name, caller_globals)
    total = len(_REGISTRY[name])
    RESULTS[name] = (sum(ok for _, ok, _ in rows), total)
    return name, rows, total


def check(exercise: str, namespace: dict | None = None) -> Verdict:
    """Run the public checks for ``exercise`` and print the verdict.

    Without ``namespace``, in a notebook, the exercise is its ``# Exercise:`` cell
    alone, as the grader takes it; outside a notebook, the caller's globals.
    """
    name, rows, total = _evaluate(exercise, namespace, inspect.currentframe().f_back.f_globals)
    for title, passed, explanation in rows:
        mark = "✓" if passed else "✗"
        print(f"{mark} {title}" + (f"\n      {explanation}" if explanation else ""))
    passed = sum(ok for _, ok, _ in rows)
    verdict = "all passed" if passed == total else f"{passed}/{total} passed"
    print(f"{name}: {verdict}.")
    return Verdict(passed, total, name)


def _current_lesson(caller_globals: dict) -> str | None:
    """The lesson whose exercise cells this kernel ran most of (else the notebook's file name)."""
    shell = graded_cell.kernel()
    if shell is None:
        return None
    ran = [graded_cell.exercise_of(s) for s in graded_cell.executed_sources(shell)]
    counts = {lesson: sum(e in lesson_exercises(lesson) for e in ran) for lesson in lessons()}
    best = max(counts, key=counts.get, default=None)
    if best is not None and counts[best]:
        return best
    session = str(shell.user_ns.get("__session__") or os.environ.get("JPY_SESSION_NAME") or "")
    return next((lesson for lesson in lessons() if Path(session).name.startswith(lesson[:3])), None)


def check_all(lesson: str | None = None, namespace: dict | None = None) -> Verdict:
    """Run every public check of the lesson and print one line per exercise.

    ``lesson`` (e.g. ``"04_vae"``) defaults to the lesson of the exercise cells run so far.
    """
    caller_globals = inspect.currentframe().f_back.f_globals
    lesson = lesson or _current_lesson(caller_globals)
    if lesson not in lessons():
        print(f"check_all: which lesson? Run the lesson's exercise cells first, or name it: "
              f"check_all({(lessons() or ['01_...'])[0]!r}). Lessons: {', '.join(lessons())}.")
        return Verdict(0, 0, "check_all")
    exercises = lesson_exercises(lesson)
    width = max(len(e) for e in exercises)
    complete = 0
    for exercise in exercises:
        name, rows, total = _evaluate(exercise, namespace, caller_globals)
        passed = sum(ok for _, ok, _ in rows)
        complete += passed == total
        first_failure = next((explanation or title for title, ok, explanation in rows if not ok), "")
        reason = f"  {first_failure.splitlines()[0]}" if first_failure else ""
        print(f"{'✓' if passed == total else '✗'} {name:<{width}}  {passed}/{total}{reason}")
    print(f"{lesson}: {complete} of {len(exercises)} exercises pass all their public checks.")
    return Verdict(complete, len(exercises), f"check_all {lesson}")

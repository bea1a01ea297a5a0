"""Instant feedback inside a lesson notebook: ``check("exercise_name")``.

Each lesson has a module ``checks_NN_name.py`` whose functions are registered with
``@public_check("exercise_name")``. A check receives the notebook's namespace and
raises :class:`CheckFailed` (through :func:`expect`) with what was expected, what
came, and a hint. ``check`` prints one line per check and never a traceback from
this framework: students should see their own mistake, not our plumbing.

These checks are public and quick. The grader runs a larger, hidden set.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import traceback
from dataclasses import dataclass
from typing import Any, Callable

_REGISTRY: dict[str, list[Callable[["Namespace"], None]]] = {}


def public_check(exercise: str):
    """Register the decorated function as a public check of ``exercise``."""

    def register(fn):
        _REGISTRY.setdefault(exercise, []).append(fn)
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


def _where_in_student_code(error: BaseException) -> str:
    """The last line of the student's own cell in the traceback, if any."""
    frames = traceback.extract_tb(error.__traceback__)
    for frame in reversed(frames):
        name = frame.filename
        if "ipykernel" in name or name.startswith("<ipython-input") or name.startswith("<cell"):
            return f" (in your cell, line {frame.lineno}: {frame.line})" if frame.line else f" (in your cell, line {frame.lineno})"
    return ""


def run_checks(exercise: str, namespace: dict) -> list[tuple[str, bool, str]]:
    """Run the public checks of ``exercise``; returns (title, passed, explanation) rows."""
    _load_all_checks()
    if exercise not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY))
        return [(f"unknown exercise {exercise!r}", False, f"Known exercises: {known}.")]
    ns = Namespace(namespace)
    rows = []
    for fn in _REGISTRY[exercise]:
        title = _title(fn)
        try:
            fn(ns)
        except NotImplementedError:
            rows.append((title, False, "not implemented yet: replace the `raise NotImplementedError` with your code, run the cell, then check again."))
            break  # the remaining checks would say the same thing
        except MissingName as missing:
            rows.append((title, False, f"`{missing.args[0]}` is not defined: run the exercise cell above first."))
            break
        except CheckFailed as failed:
            parts = [failed.message]
            if failed.expected is not None:
                parts.append(f"expected: {_short(failed.expected)}")
            if failed.got is not None:
                parts.append(f"got: {_short(failed.got)}")
            if failed.hint:
                parts.append(f"hint: {failed.hint}")
            rows.append((title, False, "\n      ".join(parts)))
        except Exception as error:  # a student's bug, reported in one line
            rows.append((title, False, f"your code raised {type(error).__name__}: {error}{_where_in_student_code(error)}"))
        else:
            rows.append((title, True, ""))
    return rows


def check(exercise: str, namespace: dict | None = None) -> bool:
    """Run the public checks for ``exercise`` against the calling notebook and print the verdict."""
    if namespace is None:
        namespace = inspect.currentframe().f_back.f_globals
    rows = run_checks(exercise, namespace)
    for title, passed, explanation in rows:
        mark = "✓" if passed else "✗"
        print(f"{mark} {title}" + (f"\n      {explanation}" if explanation else ""))
    passed = sum(ok for _, ok, _ in rows)
    total = len(_REGISTRY.get(exercise, rows))
    verdict = "all passed" if passed == total else f"{passed}/{total} passed"
    print(f"{exercise}: {verdict}.")
    return passed == total

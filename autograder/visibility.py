"""Who sees which result on Gradescope, and when: the ``visibility`` fields of ``results.json``.

The policy is a JSON file (default ``autograder/visibility.json``; another one
with ``AUTOGRADER_VISIBILITY=path`` or ``python -m autograder.gradescope
--visibility path``, which packs it into the zip)::

    {"overall": "visible",                      # the submission's score and summary
     "stdout": "hidden",                        # the grader's own log
     "tests": {"public": "visible", "hidden": "after_published"},
     "exercises": {"vae": {"hidden": "after_due_date"}, "sampling": "visible"}}

A test's visibility is its exercise's setting for the test's kind (``public``:
a test that mirrors a public check, which students can run anyway; ``hidden``:
the hidden tests), else its exercise's single setting, else ``tests[kind]``.
The default keeps hidden tests' names and failures from students until the
instructor publishes the grades, so they cannot resubmit until they pass;
the overall score is visible at once. Values are Gradescope's: ``visible``,
``hidden``, ``after_due_date``, ``after_published``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_FILE = Path(__file__).resolve().parent / "visibility.json"
ENV = "AUTOGRADER_VISIBILITY"
VALUES = ("visible", "hidden", "after_due_date", "after_published")
KINDS = ("public", "hidden")


class VisibilityError(ValueError):
    """The policy file is not valid; the message says where."""


def _value(value, where: str) -> str:
    if value not in VALUES:
        raise VisibilityError(f"{where}: {value!r} is not one of {', '.join(VALUES)}")
    return value


@dataclass(frozen=True)
class Policy:
    overall: str = "visible"
    stdout: str = "hidden"
    tests: dict = field(default_factory=lambda: {"public": "visible", "hidden": "after_published"})
    exercises: dict = field(default_factory=dict)

    def for_test(self, exercise: str, kind: str = "hidden") -> str:
        setting = self.exercises.get(exercise)
        if isinstance(setting, dict) and kind in setting:
            return setting[kind]
        if isinstance(setting, str):
            return setting
        return self.tests.get(kind, self.tests.get("hidden", "visible"))


def parse(data: dict, where: str = "visibility") -> Policy:
    if not isinstance(data, dict):
        raise VisibilityError(f"{where}: expected a JSON object")
    tests = {**Policy().tests, **data.get("tests", {})}
    for kind, value in tests.items():
        if kind not in KINDS:
            raise VisibilityError(f"{where}: tests.{kind}: unknown kind (kinds: {', '.join(KINDS)})")
        _value(value, f"{where}: tests.{kind}")
    exercises = data.get("exercises", {})
    for name, setting in exercises.items():
        if isinstance(setting, dict):
            for kind, value in setting.items():
                if kind not in KINDS:
                    raise VisibilityError(f"{where}: exercises.{name}.{kind}: unknown kind")
                _value(value, f"{where}: exercises.{name}.{kind}")
        else:
            _value(setting, f"{where}: exercises.{name}")
    return Policy(overall=_value(data.get("overall", "visible"), f"{where}: overall"),
                  stdout=_value(data.get("stdout", "hidden"), f"{where}: stdout"),
                  tests=tests, exercises=exercises)


def load(path: str | Path | None = None) -> Policy:
    """The policy from ``path``, else ``$AUTOGRADER_VISIBILITY``, else ``autograder/visibility.json``."""
    path = Path(path or os.environ.get(ENV) or DEFAULT_FILE)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise VisibilityError(f"{path}: cannot read the visibility policy ({error})") from None
    return parse(data, str(path))

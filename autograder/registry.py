"""The course's exercises, each declared once: by its master cell, ``# Exercise: <id>``.

Everything else about an exercise is derived from that cell and from its lesson's
hidden-test module, never written again by hand:

* ``lesson``: the master notebook the cell sits in;
* ``defines``: the names the cell defines at its top level (what the grader and
  ``check()`` look up);
* ``uses``: the other exercises whose names the cell reads (graded with their
  reference, see ``notebooks.contestant_sources``);
* ``trains``: the hidden-test module lists it in ``MEASURES`` (trained with the
  grader's recipe and compared with calibrated pass marks) or in ``TRAINS``
  (its tests train a model in the judge).

The project's tests check the rest against this list: the public checks, the
hidden-test classes, the planted bugs, the pass marks and the README's table.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

from autograder.notebooks import exercise_cells, lessons, read_notebook, without_magics
from autograder.paths import HIDDEN_TESTS


@dataclass(frozen=True)
class Exercise:
    id: str
    lesson: str
    defines: tuple[str, ...]
    uses: tuple[str, ...]
    trains: bool


def defined_names(source: str) -> tuple[str, ...]:
    """Top-level functions, classes and assignments of a cell, in order."""
    names: list[str] = []
    for node in ast.parse(without_magics(source)).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [t.id for t in targets if isinstance(t, ast.Name)]
    return tuple(dict.fromkeys(names))


def read_names(source: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(without_magics(source))) if isinstance(n, ast.Name)}


def _training_exercises(hidden_tests: Path, lesson: str) -> set[str]:
    """MEASURES and TRAINS of a hidden-test module, read without importing it."""
    path = hidden_tests / f"test_{lesson}.py"
    if not path.exists():
        return set()
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) in ("MEASURES", "TRAINS") for t in node.targets):
            container = node.value
            keys = container.keys if isinstance(container, ast.Dict) else getattr(container, "elts", [])
            names |= {k.value for k in keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    return names


def exercises(hidden_tests: Path | None = None) -> list[Exercise]:
    """Every exercise of every master, in course order."""
    return list(_exercises(Path(hidden_tests or HIDDEN_TESTS)))


@functools.lru_cache(maxsize=4)
def _exercises(hidden_tests: Path) -> tuple[Exercise, ...]:
    found = []
    for lesson in lessons():
        cells = exercise_cells(read_notebook(lesson.master))
        defines = {name: defined_names(source) for name, source in cells.items()}
        training = _training_exercises(hidden_tests, lesson.name)
        for name, source in cells.items():
            reads = read_names(source)
            uses = tuple(other for other, names in defines.items() if other != name and reads & set(names))
            found.append(Exercise(name, lesson.name, defines[name], uses, name in training))
    return tuple(found)


def by_id(hidden_tests: Path | None = None) -> dict[str, Exercise]:
    return {e.id: e for e in exercises(hidden_tests)}

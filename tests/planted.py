"""Planted bugs, applied: each bug of ``tests/planted_bugs/bugs_NN_name.py`` made into a cell.

A bug is a few ``(old, new)`` edits of the master's exercise cell (solution markers
left out, as in a student's notebook). An edit whose ``old`` text is not in the
cell exactly once fails loudly here: a bug can never drift from its master unnoticed.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from autograder.notebooks import BEGIN, END, exercise_cells, lessons, read_notebook

FOLDER = Path(__file__).resolve().parent / "planted_bugs"


class StaleBug(Exception):
    """A planted bug's edit no longer applies to its master cell."""


def without_markers(source: str) -> str:
    return "".join(line for line in source.splitlines(keepends=True) if line.strip() not in (BEGIN, END))


def apply(source: str, edits: list[tuple[str, str]], where: str) -> str:
    cell = without_markers(source)
    if not cell.endswith("\n"):
        cell += "\n"
    for old, new in edits:
        count = cell.count(old)
        if count != 1:
            raise StaleBug(f"{where}: an edit's old text occurs {count} times in the master cell "
                           f"(expected once); the master changed, update the bug:\n{old}")
        cell = cell.replace(old, new)
    return cell


def planted_bugs() -> list[tuple[str, str, int, str, str]]:
    """(lesson, exercise, index, why, cell source) for every planted bug, in file order."""
    found = []
    for lesson in lessons():
        path = FOLDER / f"bugs_{lesson.name}.py"
        if not path.exists():
            continue
        spec = importlib.util.spec_from_file_location(f"bugs_{lesson.name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        cells = exercise_cells(read_notebook(lesson.master))
        for exercise, bugs in module.BUGS.items():
            if exercise not in cells:
                raise StaleBug(f"{path.name}: no exercise {exercise!r} in {lesson.master.name}")
            for index, (why, edits) in enumerate(bugs):
                source = apply(cells[exercise], edits, f"{path.name} {exercise}[{index}] ({why})")
                found.append((lesson.name, exercise, index, why, source))
    return found

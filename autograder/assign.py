"""Make the student notebooks (``lessons/``) from the masters (``solutions/``).

``make lessons`` runs this. Every cell is copied as it is, except that in an
exercise cell each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block becomes
one ``raise NotImplementedError`` line at the same indentation, and outputs are
cleared. A ``# From lesson NN: name`` cell (an earlier exercise reused) gets a
stub that asks for the student's own answer to that exercise. ``python -m autograder.assign --check`` exits 1 when ``lessons/`` is out
of date (the project's tests run the same comparison).
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat

from autograder.notebooks import (BEGIN, END, REPO, NotebookError, carried_exercise, exercise_name, lessons,
                                  read_notebook)

LESSONS = REPO / "lessons"


def stub_message(exercise: str) -> str:
    return (f"Exercise '{exercise}' is yours to write: replace this line with your code, "
            f"run the cell, then run check('{exercise}').")


def carried_message(lesson_number: str, exercise: str) -> str:
    return (f"This lesson reuses '{exercise}' from lesson {int(lesson_number)}: replace this line with the "
            f"body of your own solution there, then run the cell.")


def strip_solutions(source: str, exercise: str, message: str | None = None) -> str:
    """Replace every solution block of one exercise cell with a NotImplementedError stub."""
    out, inside = [], False
    for number, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise NotebookError(f"exercise {exercise}: nested {BEGIN} at line {number}")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}raise NotImplementedError({(message or stub_message(exercise))!r})")
        elif marker == END:
            if not inside:
                raise NotebookError(f"exercise {exercise}: {END} without {BEGIN} at line {number}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise NotebookError(f"exercise {exercise}: {BEGIN} is never closed")
    return "\n".join(out)


def student_version(master: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = copy.deepcopy(master)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        cell.execution_count = None
        name, carried = exercise_name(cell.source), carried_exercise(cell.source)
        if carried:
            if BEGIN not in cell.source:
                raise NotebookError(f"the copy of lesson {carried[0]}'s {carried[1]} has no {BEGIN} block")
            cell.source = strip_solutions(cell.source, carried[1], carried_message(*carried))
        elif name:
            if BEGIN not in cell.source:
                raise NotebookError(f"exercise {name} has no {BEGIN} block: its solution would leak")
            cell.source = strip_solutions(cell.source, name)
        elif BEGIN in cell.source:
            raise NotebookError(f"a solution block outside an exercise cell: {cell.source[:60]!r}")
    nbformat.validate(nb)
    return nb


def rendered_lessons() -> dict[Path, str]:
    """Lesson path -> the exact text ``make lessons`` writes."""
    return {LESSONS / lesson.master.name: nbformat.writes(student_version(read_notebook(lesson.master))) + "\n"
            for lesson in lessons()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether lessons/ is up to date")
    args = parser.parse_args(argv)
    stale = []
    for path, text in rendered_lessons().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            stale.append(path)
            if not args.check:
                path.write_text(text, encoding="utf-8")
    orphans = [p for p in LESSONS.glob("[0-9][0-9]_*.ipynb") if p not in rendered_lessons()]
    if args.check:
        for path in stale + orphans:
            print(f"out of date: {path.relative_to(REPO)} (run `make lessons`)")
        return 1 if stale or orphans else 0
    for path in orphans:
        path.unlink()
    for path in stale:
        print(f"wrote {path.relative_to(REPO)}")
    print(f"lessons/ is up to date ({len(lessons())} notebooks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

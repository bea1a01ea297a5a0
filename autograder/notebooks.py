"""What the grader reads from a notebook, and the namespaces it grades in.

Conventions (set by the master notebooks in ``solutions/``):

* a code cell tagged ``setup`` holds imports and constants;
* a code cell whose first line is ``# Exercise: <name>`` is one exercise; the
  solution sits between ``### BEGIN SOLUTION`` and ``### END SOLUTION``;
* a code cell whose first line is ``# From lesson NN: <name>`` reuses an earlier
  lesson's exercise (lesson 3 trains lesson 2's autoencoder). Its solution block
  is that exercise's, so the student version asks for the student's own answer
  instead of giving the earlier answer away. It is not graded again.

The grader never runs a student's setup cells, nor their training and figure
cells: it runs the master's setup cells and then the exercise cells. When it
grades exercise X it takes the student's cell for X and the reference cells for
every other exercise, so a mistake in one exercise costs points only there.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.quick_nbformat import nbformat

REPO = Path(__file__).resolve().parent.parent
# AUTOGRADER_SOLUTIONS points the grader at another folder of masters (the
# project's tests grade small fake lessons this way).
SOLUTIONS = Path(os.environ.get("AUTOGRADER_SOLUTIONS") or REPO / "solutions")

EXERCISE_HEADER = re.compile(r"^\s*#\s*Exercise:\s*([A-Za-z_]\w*)\s*$")
CARRIED_HEADER = re.compile(r"^\s*#\s*From lesson (\d\d):\s*([A-Za-z_]\w*)\s*$")
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


class NotebookError(Exception):
    """A notebook that cannot be read or graded; the message is for the student."""


@dataclass(frozen=True)
class Lesson:
    name: str          # e.g. "04_vae"
    master: Path       # solutions/04_vae.ipynb

    @property
    def number(self) -> str:
        return self.name.split("_", 1)[0]


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """Read a notebook, turning any damage into a :class:`NotebookError`."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as handle:
            return nbformat.read(handle, as_version=4)
    except Exception as error:  # json errors, bad encodings, wrong schema...
        raise NotebookError(f"{path.name} is not a readable Jupyter notebook ({type(error).__name__}: {error})") from None


def exercise_name(source: str) -> str | None:
    """The exercise a cell holds, from its ``# Exercise: name`` first line."""
    for line in source.splitlines():
        if line.strip():
            match = EXERCISE_HEADER.match(line)
            return match.group(1) if match else None
    return None


def carried_exercise(source: str) -> tuple[str, str] | None:
    """(lesson number, exercise name) of a ``# From lesson NN: name`` cell."""
    for line in source.splitlines():
        if line.strip():
            match = CARRIED_HEADER.match(line)
            return (match.group(1), match.group(2)) if match else None
    return None


def carried_cells(nb: nbformat.NotebookNode) -> dict[tuple[str, str], str]:
    """(lesson number, exercise name) -> source of each cell that reuses an earlier exercise."""
    return {key: c.source for c in nb.cells if c.cell_type == "code" and (key := carried_exercise(c.source))}


def exercise_cells(nb: nbformat.NotebookNode) -> dict[str, str]:
    """Exercise name -> cell source, in notebook order (the last copy wins)."""
    cells: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            name = exercise_name(cell.source)
            if name:
                cells[name] = cell.source
    return cells


def duplicated_exercises(nb: nbformat.NotebookNode) -> list[str]:
    """Exercises claimed by more than one cell (the grader takes the last)."""
    names = [exercise_name(c.source) for c in nb.cells if c.cell_type == "code"]
    return sorted({n for n in names if n and names.count(n) > 1})


def setup_cells(nb: nbformat.NotebookNode) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code" and "setup" in c.metadata.get("tags", [])]


def without_magics(source: str) -> str:
    """Drop IPython-only lines (``%matplotlib``, ``!pip``) so plain Python can run a cell."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def lessons() -> list[Lesson]:
    return [Lesson(p.stem, p) for p in sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))]


def lesson_named(name: str) -> Lesson:
    for lesson in lessons():
        if lesson.name == name:
            return lesson
    raise KeyError(f"no lesson {name!r}; lessons: {[l.name for l in lessons()]}")


def master_exercises(lesson: Lesson) -> frozenset[str]:
    """The exercise names of a master (cached: a class's worth of submissions asks often)."""
    return _exercise_names(lesson.master, lesson.master.stat().st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _exercise_names(path: Path, mtime_ns: int) -> frozenset[str]:
    return frozenset(exercise_cells(read_notebook(path)))


def lesson_for(path: Path, nb: nbformat.NotebookNode | None = None) -> Lesson | None:
    """Which lesson a submitted notebook answers.

    By the exercises it contains (robust to renamed files such as
    ``04_vae (1).ipynb``), else by its two-digit prefix.
    """
    if nb is not None:
        found = set(exercise_cells(nb))
        best = max(lessons(), key=lambda l: len(found & master_exercises(l)), default=None)
        if best is not None and found & master_exercises(best):
            return best
    prefix = Path(path).name[:2]
    return next((l for l in lessons() if l.number == prefix), None)


def contestant_sources(lesson: Lesson, student: dict[str, str] | None, exercise: str) -> list[tuple[str, str]]:
    """(file name, source) of the cells a contestant runs for ``exercise``, in order.

    The master's setup cells, then the lesson's exercise cells: the student's own
    cell for ``exercise`` (the reference's when ``student`` is None), the reference
    for every other one, so that a mistake in one exercise costs points only there.
    """
    master = read_notebook(lesson.master)
    sources = [(f"<{lesson.name} setup {i}>", without_magics(s)) for i, s in enumerate(setup_cells(master))]
    for name, reference_source in exercise_cells(master).items():
        if name == exercise:
            if student is not None and name not in student:
                raise NotebookError(f"no cell starting with '# Exercise: {name}' was found in the notebook")
            sources.append((f"<cell {name}>", without_magics(student[name] if student is not None else reference_source)))
        else:
            sources.append((f"<reference {name}>", without_magics(reference_source)))
    return sources


def build_namespace(lesson: Lesson, student: dict[str, str] | None = None, exercise: str | None = None) -> dict:
    """Execute the master's setup cells and the lesson's exercise cells.

    ``student`` maps exercise names to the student's cell sources; only the cell
    of ``exercise`` is taken from it. With no student, all cells are the reference.
    Exceptions raised by the student's cell propagate (the caller reports them).
    """
    master = read_notebook(lesson.master)
    namespace: dict = {"__name__": "__main__"}
    for i, source in enumerate(setup_cells(master)):
        exec(compile(without_magics(source), f"<{lesson.name} setup {i}>", "exec"), namespace)
    for name, reference_source in exercise_cells(master).items():
        if student is not None and name == exercise:
            if name not in student:
                raise NotebookError(f"no cell starting with '# Exercise: {name}' was found in the notebook")
            exec(compile(without_magics(student[name]), f"<cell {name}>", "exec"), namespace)
        else:
            exec(compile(without_magics(reference_source), f"<reference {name}>", "exec"), namespace)
    return namespace

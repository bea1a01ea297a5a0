"""What the grader reads from a notebook, and the namespaces it grades in.

Conventions (set by the master notebooks in ``solutions/``):

* a code cell tagged ``setup`` holds imports and constants;
* a code cell whose first line is ``# Exercise: <name>`` is one exercise; the
  solution sits between ``### BEGIN SOLUTION`` and ``### END SOLUTION``;
* a code cell whose first line is ``# From lesson NN: <name>, <name>...`` reuses
  earlier lessons' exercises (lesson 5 trains lesson 4's VAE). In the student's
  notebook it runs the student's own answers from their earlier notebook
  (``aecourse.earlier.answers_from_lesson``); the grader runs the earlier master's
  reference cells of those exercises in its place (see :func:`setup_cells`), so a
  student's earlier notebook never reaches this lesson's grades. It is not graded again.

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
REUSE_HEADER = re.compile(r"^\s*#\s*From lesson (\d\d):\s*([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*$")
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


_frozen: dict[Path, str] = {}  # master notebooks as read by freeze_masters (inherited by forked judges)


def freeze_masters() -> None:
    """Read every lesson's master now: later reads of them, here and in processes forked from here, get this text.

    A grading run calls it before it forks judges, so every student of the run is graded against
    the same masters, even if someone saves one meanwhile (a half-written file read by a judge
    would otherwise cost a student points). Judges started with ``--spawn`` read the files.
    """
    for lesson in lessons():
        _frozen[lesson.master.resolve()] = lesson.master.read_text(encoding="utf-8")


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """Read a notebook, turning any damage into a :class:`NotebookError`."""
    path = Path(path)
    try:
        frozen = _frozen.get(path.resolve()) if _frozen else None
        if frozen is not None:
            return nbformat.reads(frozen, as_version=4)
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


def reused_exercises(source: str) -> tuple[str, tuple[str, ...]] | None:
    """(lesson number, exercise names) of a ``# From lesson NN: name, name`` cell."""
    match = REUSE_HEADER.match(next((line for line in source.splitlines() if line.strip()), ""))
    return (match.group(1), tuple(re.split(r"\s*,\s*", match.group(2)))) if match else None


def reuse_cells(nb: nbformat.NotebookNode) -> dict[tuple[str, tuple[str, ...]], str]:
    """(lesson number, exercise names) -> source of each cell that reuses earlier exercises."""
    return {key: c.source for c in nb.cells if c.cell_type == "code" and (key := reused_exercises(c.source))}


def reference_cells(number: str, names: tuple[str, ...]) -> list[str]:
    """The master cells of these exercises of lesson ``number``, in that lesson's order."""
    origin = next((lesson for lesson in lessons() if lesson.number == number), None)
    if origin is None:
        raise NotebookError(f"a cell reuses exercises of lesson {number}, which has no master")
    cells = exercise_cells(read_notebook(origin.master))
    unknown = sorted(set(names) - set(cells))
    if unknown:
        raise NotebookError(f"a cell reuses {unknown} of {origin.name}, which has no such exercise")
    return [source for name, source in cells.items() if name in names]


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
    """Sources of the cells tagged ``setup``, a cell that reuses earlier exercises replaced by their reference cells.

    The student's kernel runs such a cell as their own earlier answers; the grader
    runs the earlier master's cells instead, never anything of the student's but
    the one exercise cell it grades.
    """
    sources = []
    for cell in nb.cells:
        if cell.cell_type == "code" and "setup" in cell.metadata.get("tags", []):
            reused = reused_exercises(cell.source)
            sources += reference_cells(*reused) if reused else [cell.source]
    return sources


def without_magics(source: str) -> str:
    """Drop IPython-only lines (``%matplotlib``, ``!pip``) so plain Python can run a cell."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def lessons() -> list[Lesson]:
    return [Lesson(p.stem, p) for p in sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))]


APPENDIX = re.compile(r"^appendix_\d\d_\w+\.ipynb$")


def appendices() -> list[Path]:
    """The optional appendices' masters (``solutions/appendix_03_tone_curve.ipynb``).

    An appendix has no exercises and is never graded. Its name does not start with two
    digits, so it is no lesson: not for :func:`lessons`, the grader, calibration or the
    hand-in export. ``make lessons`` renders it into ``lessons/`` like a lesson (answers
    it reuses become stubs) and nbval runs it with the other masters.
    """
    return sorted(p for p in SOLUTIONS.glob("appendix_*.ipynb") if is_appendix(p))


def is_appendix(path: str | Path) -> bool:
    """The file is named like an appendix (``appendix_NN_name.ipynb``)."""
    return bool(APPENDIX.match(Path(path).name))


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

"""``answers_from_lesson(...)``: a later lesson runs the student's own answers to an earlier one.

Lessons 3, 5 and 6 build on exercises of lessons 2 and 4. Instead of asking the
student to paste those answers again, the lesson has one cell::

    # From lesson 04: sampling, kl_divergence, reconstruction_loss
    from aecourse.earlier import answers_from_lesson
    answers_from_lesson("04_vae", "sampling", "kl_divergence", "reconstruction_loss", into=globals())

It reads the earlier notebook as the student last saved it (``04_vae.ipynb`` in the
folder Jupyter runs this notebook in), runs the ``# Exercise: name`` cells of those
exercises in this notebook's namespace, in the order given, as if they had been pasted
here, and prints whose answer each name now holds. An exercise whose cell
is missing, is still the lesson's stub, fails when run, or does not define its function
or class gets the course's reference answer instead (the earlier lesson's master,
``solutions/NN_name.ipynb`` of the course), with a line saying why and what to fix;
so does every exercise when the earlier notebook is not there. Without the reference
either, it stops with :class:`ExerciseNotDone` saying what to do.

The grader never calls this: for such a cell it runs the reference cells of those
exercises (``autograder/notebooks.py``, ``setup_cells``), so nothing in a student's
earlier notebook reaches the grades of a later lesson.
"""

from __future__ import annotations

import ast
import json
import re
import time
import traceback
from pathlib import Path

from aecourse.exercises import ExerciseNotDone, is_stub

# The grader's conventions (autograder/notebooks.py), which students do not get.
EXERCISE_HEADER = re.compile(r"^\s*#\s*Exercise:\s*([A-Za-z_]\w*)\s*$")
# Where the course's reference answers are: the masters of a checkout of the course.
COURSE = Path(__file__).resolve().parent.parent
REFERENCE_FOLDERS = (COURSE / "solutions",)
STILL_A_STUB = "is still the lesson's stub (`raise NotImplementedError`)"


def _first_line(source: str) -> str:
    return next((line for line in source.splitlines() if line.strip()), "")


def _without_magics(source: str) -> str:
    """Blank IPython-only lines (``%time``, ``!ls``), as the grader does."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def exercise_sources(path: Path) -> dict[str, str]:
    """Exercise name -> source of its ``# Exercise: name`` cell, in notebook order (the last copy wins).

    Raises OSError or ValueError when the file cannot be read as a notebook.
    """
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    found: dict[str, str] = {}
    for cell in cells:
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        match = EXERCISE_HEADER.match(_first_line(source)) if cell.get("cell_type") == "code" else None
        if match:
            found.pop(match.group(1), None)  # a later copy moves to its own place in the order
            found[match.group(1)] = source
    return found


def _symbol(exercise: str, source: str) -> str | None:
    """The top-level function or class a cell defines for ``exercise`` (``sampling`` -> ``Sampling``)."""
    try:
        tree = ast.parse(_without_magics(source))
    except SyntaxError:
        return None
    names = [node.name for node in tree.body
             if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    return next((name for name in names if name.lower() == exercise.lower()), None)


def _failure(error: Exception, filename: str) -> str:
    """``NameError: name 'x' is not defined (line 4)``: the error, at its line in the cell."""
    if isinstance(error, SyntaxError) and error.filename == filename:
        return f"has a syntax error (line {error.lineno}): {error.msg}"
    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__) if frame.filename == filename]
    where = f" (line {lines[-1]})" if lines else ""
    return f"raised {type(error).__name__}: {error}{where}"


def run_answer(exercise: str, source: str, filename: str, namespace: dict) -> str | None:
    """Run one exercise cell in ``namespace``; None if it defined a finished answer, else what went wrong."""
    symbol = _symbol(exercise, source)
    before = namespace.get(symbol) if symbol else None
    try:
        exec(compile(_without_magics(source), filename, "exec"), namespace)
    except Exception as error:  # the student's own code: any failure means "use the reference"
        return _failure(error, filename)
    if symbol is None or namespace.get(symbol) is before:
        return f"defines no function or class named `{exercise}` (in any case)"
    if is_stub(namespace[symbol]):
        return STILL_A_STUB
    return None


def _names(exercises, sources: dict[str, str]) -> str:
    """`Sampling`, `kl_divergence`: the names the exercises define, as their cells spell them."""
    return ", ".join(f"`{_symbol(e, sources.get(e, '')) or e}`" for e in exercises)


def _reference_sources(lesson: str) -> dict[str, str]:
    for folder in REFERENCE_FOLDERS:
        try:
            return exercise_sources(folder / f"{lesson}.ipynb")
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
    return {}


def _earlier_notebook(path: Path) -> tuple[dict[str, str], str | None]:
    """(exercise -> source, None) of the student's earlier notebook, or ({}, why it cannot be used)."""
    try:
        return exercise_sources(path), None
    except FileNotFoundError:
        return {}, f"{path.name} was not found in {path.parent}"
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        return {}, f"{path.name} could not be read as a notebook ({type(error).__name__})"


def answers_from_lesson(lesson: str, *exercises: str, into: dict, folder: str | Path | None = None) -> None:
    """Run the student's answers to ``exercises`` of ``lesson`` (e.g. ``"04_vae"``) in ``into``, in that order.

    ``into``: the lesson's namespace, ``globals()`` in a notebook. ``folder``: where the
    earlier notebook is (default: the working folder, which Jupyter sets to this
    notebook's). Prints one line for the student's own answers and one for each reference
    answer used instead (the functions and classes also say whose they are: their code's
    file name is ``<04_vae.ipynb: sampling>`` or ``<reference 04_vae: sampling>``). Raises
    :class:`ExerciseNotDone` when a reference answer is needed and this copy of the
    course has none.
    """
    number = int(lesson[:2])
    path = Path(folder if folder is not None else Path.cwd()) / f"{lesson}.ipynb"
    theirs, unusable = _earlier_notebook(path)
    reference = _reference_sources(lesson)
    own: list[str] = []
    warnings: dict[str, list[str]] = {}  # what went wrong -> the exercises it went wrong for
    for exercise in exercises:
        if unusable:
            failure = unusable
        elif exercise not in theirs:
            failure = f"{path.name} has no cell starting with `# Exercise: {exercise}`"
        else:
            failure = run_answer(exercise, theirs[exercise], f"<{path.name}: {exercise}>", into)
            failure = failure and f"your cell in {path.name} {failure}"
        if not failure:
            own.append(exercise)
            continue
        if exercise not in reference:
            raise ExerciseNotDone(
                f"{failure}, and this copy of the course has no reference answer for `{exercise}` "
                f"(solutions/{lesson}.ipynb): fix your lesson-{number} notebook, save it beside this one as "
                f"{path.name}, then run this cell again.")
        broken = run_answer(exercise, reference[exercise], f"<reference {lesson}: {exercise}>", into)
        if broken:
            raise RuntimeError(f"the course's reference answer to {exercise} {broken}")
        if not unusable:
            warnings.setdefault(failure, []).append(exercise)
    if own:
        saved = time.strftime("%Y-%m-%d %H:%M", time.localtime(path.stat().st_mtime))
        print(f"lesson {number}: your own {_names(own, theirs)}, from {path.name} (saved {saved}).")
    if unusable:
        print(f"⚠ {unusable}: this lesson uses the course's reference answers for {_names(exercises, reference)} "
              f"(save your lesson-{number} notebook there under that name, then run this cell again).")
    for failure, failed in warnings.items():
        if failure.endswith(STILL_A_STUB) and len(failed) > 1:
            failure = f"your cells in {path.name} are still the lesson's stubs"
        print(f"⚠ {_names(failed, reference)}: {failure}; this lesson uses the course's reference "
              f"{'answer' if len(failed) == 1 else 'answers'} instead (fix {'it' if len(failed) == 1 else 'them'} "
              f"in lesson {number}, save, and run this cell again).")

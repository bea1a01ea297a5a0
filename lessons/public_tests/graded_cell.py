"""What the grader will take from this notebook, rebuilt inside the student's kernel.

The grader grades an exercise from its ``# Exercise: NAME`` cell alone: it runs
the lesson's setup cells (the cells tagged ``setup``), the other exercises'
cells, then that one cell, and tests the result. It never sees the rest of the
notebook. :func:`graded_namespace` rebuilds that situation from the kernel, so
that ``check()`` judges the same code the grader will:

* the cell is the last executed cell whose first line is ``# Exercise: NAME``
  (from IPython's input history);
* it is executed afresh in a namespace that holds only what the setup cells
  define and the other exercises' own function or class, with the kernel's
  current values (the setup cells are not run again: that would reseed the
  student's random generators and redefine their reused classes);
* a name the cell reads that exists in the kernel but not in that namespace
  was defined in another cell, which the grader will not have: that is
  reported before anything runs.

The setup cells are known by their ``setup`` tag, read from the notebook file
(Jupyter tells the kernel its path; else the lesson's file in the working
directory or beside ``public_tests``). Without the file, the cells that import
``public_tests`` and the ``# From lesson NN:`` cells count as setup. A ``# From
lesson NN: name, name`` cell (the student's earlier answers, run by
``aecourse.earlier``) gives the functions and classes of the exercises it names.

Outside IPython (a script, the project's tests) there is no history, and
``check`` falls back to the caller's namespace as it is.
"""

from __future__ import annotations

import ast
import builtins
import json
import os
import re
import symtable
from pathlib import Path

# The same conventions as the grader's (autograder/notebooks.py), which students do not get.
EXERCISE_HEADER = re.compile(r"^\s*#\s*Exercise:\s*([A-Za-z_]\w*)\s*$")
REUSE_HEADER = re.compile(r"^\s*#\s*From lesson (\d\d):\s*([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*$")
ONLY_THIS_CELL = "the grader takes only this cell: put helpers and imports inside it"


class CellProblem(Exception):
    """The exercise cannot be graded as it stands; the message is for the student."""


def first_line(source: str) -> str:
    return next((line for line in source.splitlines() if line.strip()), "")


def exercise_of(source: str) -> str | None:
    match = EXERCISE_HEADER.match(first_line(source))
    return match.group(1) if match else None


def without_magics(source: str) -> str:
    """Blank IPython-only lines (``%time``, ``!ls``), as the grader does."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def kernel():
    """The running IPython shell, or None outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def executed_sources(shell) -> list[str]:
    """The raw source of every cell run so far, oldest first."""
    history = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None) or []
    return [source for source in history if source]


def last_exercise_cell(exercise: str, sources: list[str]) -> str | None:
    return next((s for s in reversed(sources) if exercise_of(s) == exercise), None)


def bound_names(source: str) -> set[str]:
    """Names a cell binds at its top level (imports, defs, classes, assignments)."""
    try:
        table = symtable.symtable(without_magics(source), "<cell>", "exec")
    except SyntaxError:
        return set()
    return {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported() or s.is_namespace()}


def global_reads(source: str) -> set[str]:
    """Names a cell reads from the global namespace, at its top level or inside its functions."""
    table = symtable.symtable(without_magics(source), "<cell>", "exec")
    found: set[str] = set()

    def walk(scope) -> None:
        for symbol in scope.get_symbols():
            if not symbol.is_referenced():
                continue
            if scope.get_type() == "module" or symbol.is_global():
                found.add(symbol.get_name())
        for child in scope.get_children():
            walk(child)

    walk(table)
    return found


def _notebook_candidates(shell, lesson: str) -> list[Path]:
    here = []
    for value in (shell.user_ns.get("__session__"), os.environ.get("JPY_SESSION_NAME"),
                  shell.user_ns.get("__vsc_ipynb_file__")):
        if value:
            path = Path(str(value))
            here += [path, Path.cwd() / path.name]
    here.append(Path.cwd() / f"{lesson}.ipynb")
    here.append(Path(__file__).resolve().parent.parent / f"{lesson}.ipynb")
    return here


def setup_sources(shell, lesson: str, lesson_exercises: list[str]) -> list[str]:
    """Sources of the lesson's setup cells: from the notebook file, else from the history."""
    for path in _notebook_candidates(shell, lesson):
        try:
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        code = [(c.get("source", ""), c.get("metadata", {}).get("tags", [])) for c in cells
                if c.get("cell_type") == "code"]
        code = [("".join(s) if isinstance(s, list) else s, tags) for s, tags in code]
        if not any(exercise_of(s) in lesson_exercises for s, _ in code):
            continue  # some other notebook (a renamed copy, another lesson)
        return [s for s, tags in code if "setup" in tags]
    return [s for s in executed_sources(shell)
            if re.search(r"^\s*(from|import)\s+public_tests\b", s, re.M) or REUSE_HEADER.match(first_line(s))]


def reused_symbols(source: str, values: dict) -> set[str]:
    """The functions and classes a ``# From lesson NN: name, name`` cell gives, as named in ``values``."""
    match = REUSE_HEADER.match(first_line(source))
    names = re.split(r"\s*,\s*", match.group(2)) if match else []
    return {symbol for symbol in (symbol_of(name, values) for name in names) if symbol}


def symbol_of(exercise: str, values: dict) -> str | None:
    """The function or class an exercise defines: its name, in any case (``sampling`` -> ``Sampling``)."""
    if exercise in values:
        return exercise
    return next((name for name in values if name.lower() == exercise.lower()), None)


def graded_namespace(exercise: str, lesson: str, lesson_exercises: list[str], shell) -> dict:
    """The exercise cell executed as the grader will execute it; raises :class:`CellProblem`."""
    user_ns = shell.user_ns
    sources = executed_sources(shell)
    cell = last_exercise_cell(exercise, sources)
    if cell is None:
        if symbol_of(exercise, user_ns):
            raise CellProblem(f"no cell starting with `# Exercise: {exercise}` has been run; the grader looks for "
                              "that first line, so keep it at the top of your answer's cell and run that cell.")
        raise CellProblem(f"`{exercise}` is not defined: run the exercise cell above first.")
    namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
    for source in setup_sources(shell, lesson, lesson_exercises):
        for name in bound_names(source) | reused_symbols(source, user_ns):
            if name in user_ns:
                namespace[name] = user_ns[name]
    for other in lesson_exercises:
        symbol = symbol_of(other, user_ns) if other != exercise else None
        if symbol:
            namespace[symbol] = user_ns[symbol]
    try:
        reads = global_reads(cell)
    except SyntaxError as error:
        raise CellProblem(f"your cell has a syntax error (line {error.lineno}): {error.msg}") from None
    elsewhere = sorted(name for name in reads - bound_names(cell) - set(namespace)
                       if name in user_ns and not hasattr(builtins, name))
    if elsewhere:
        names = ", ".join(f"`{n}`" for n in elsewhere)
        raise CellProblem(f"{names} {'is' if len(elsewhere) == 1 else 'are'} defined in another cell, but "
                          f"{ONLY_THIS_CELL} (or into the setup cell, for an import the lesson already has).")
    try:
        exec(compile(without_magics(cell), f"<cell {exercise}>", "exec"), namespace)
    except Exception as error:  # the student's cell itself fails on its own
        raise CellProblem(f"your exercise cell raised {type(error).__name__} when run on its own, as the grader "
                          f"runs it: {error}") from None
    return namespace

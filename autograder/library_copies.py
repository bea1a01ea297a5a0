"""Notes for the instructor when an exercise cell looks pasted from the course's own answers.

The course library ``aecourse`` holds its own answers to some exercises: the
lesson's hidden tests list them in ``DELEGATES`` (``rasterize_strokes`` is
answered by ``aecourse.quickdraw.rasterize``). While such an exercise is graded
those functions are masked, so an answer that calls them scores 0; but every
student has the library's source, and pasting it into the cell cannot be masked.
So, for each exercise with ``DELEGATES``, the student's cell is compared
(:mod:`autograder.similarity`) with

* each delegated function, together with the library's helpers it calls that the
  cell holds too (a paste of ``rasterize`` brings ``_as_coords`` along), and
* the master solution's cell (unless the graded notebook is the master itself),

and a similarity of ``THRESHOLD`` or more puts a note in the student's report for
the instructor. The note is information, never a penalty: the grade is what the
hidden tests give.

Calibration (2026-12-06, ``similarity`` against the library / against the master's cell):
the reference solution's ``rasterize_strokes`` 0.80 / 1.00 (its author wrote both it
and ``aecourse.quickdraw.rasterize``), its ``unpack_drawing`` 0.43 / 1.00; three honest
answers written from the lesson's rule 0.51 to 0.73 / 0.51 to 0.84; pastes of
``rasterize`` 0.93 (its checks trimmed) to 0.98 (verbatim, renamed, or with its helper
``_as_coords`` pasted along) / 0.66 to 0.83; ``_read_one`` pasted under a two-line
``unpack_drawing`` 0.94; the nine planted bugs of lesson 1 (small edits of the master)
0.39 to 0.80 / 0.86 to 1.00. ``THRESHOLD`` sits between the honest answers (0.84 at
most) and the pastes (0.93 at least); edited copies of the master are noted as such.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import os
from pathlib import Path

from autograder.notebooks import exercise_cells, lesson_named, read_notebook
from autograder.paths import HIDDEN_TESTS
from autograder.similarity import Normalised, containment, normalise, similarity

THRESHOLD = 0.9
HELD = 0.5          # a helper counts as pasted along when this share of its tokens is in the cell
MAX_CELL_CHARS = 200_000   # a paste of a library function is a few kB; a longer cell is compared on its start


def notes(lesson: str, exercise: str, cell: str, notebook: Path, hidden_tests: Path | None = None) -> list[str]:
    """The instructor's notes for one graded cell (none for an exercise without ``DELEGATES``)."""
    try:
        return _notes(lesson, exercise, cell, notebook, Path(hidden_tests or HIDDEN_TESTS))
    except Exception as error:  # the grader's side (a library moved, ...): say so, grade on
        return [f"{lesson} / {exercise}: the comparison with the course's own answers could not run "
                f"({type(error).__name__}: {error}); nothing is known either way"]


def _notes(lesson: str, exercise: str, cell: str, notebook: Path, hidden_tests: Path) -> list[str]:
    delegated = delegates(hidden_tests, lesson).get(exercise)
    if not delegated:
        return []
    mine = normalise(cell[:MAX_CELL_CHARS])
    matches = []
    best = max(((_library_similarity(mine, module, name), f"{module}.{name}")
                for module, names in delegated.items() for name in names), default=(0.0, ""))
    if best[0] >= THRESHOLD:
        matches.append(f"the course library's own {best[1]} (similarity {best[0]:.2f})")
    master = lesson_named(lesson).master
    if not _same_file(notebook, master):
        reference = _master_cells(master, master.stat().st_mtime_ns).get(exercise)
        score = similarity(mine, reference) if reference is not None else 0.0
        if score >= THRESHOLD:
            matches.append(f"the reference solution's cell (similarity {score:.2f})")
    if not matches:
        return []
    return [f"{lesson} / {exercise}: the cell matches {' and '.join(matches)}: information for the instructor, "
            "not a penalty (the grade is what the tests give)"]


def delegates(hidden_tests: Path, lesson: str) -> dict[str, dict[str, list[str]]]:
    """``DELEGATES`` of a lesson's hidden-test module (exercise -> module -> functions), read without importing it."""
    path = hidden_tests / f"test_{lesson}.py"
    try:
        return _delegates(path, path.stat().st_mtime_ns)
    except OSError:
        return {}


@functools.lru_cache(maxsize=16)
def _delegates(path: Path, mtime_ns: int) -> dict[str, dict[str, list[str]]]:
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "DELEGATES" for t in node.targets):
            return ast.literal_eval(node.value)
    return {}


def _library_similarity(mine: Normalised, module: str, name: str) -> float:
    """``mine`` against function ``name`` of ``module`` and the helpers of it that ``mine`` holds."""
    path = _module_file(module)
    functions = _functions(path, path.stat().st_mtime_ns)
    if name not in functions:
        return 0.0
    alone = similarity(mine, functions[name])
    held = [helper for helper in _helpers(path, path.stat().st_mtime_ns, name)
            if containment(functions[helper], mine) >= HELD]
    if not held:
        return alone
    together = Normalised(sum((functions[n].tokens for n in [name, *held]), ()), parsed=True)
    return max(alone, similarity(mine, together))  # a small helper may look held by chance


def _module_file(module: str) -> Path:
    """The source file of a module of the course's library, found without importing the library."""
    package, *rest = module.split(".")
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"the package {package!r} is not installed (pip install -e . in the course folder)")
    folder = Path(list(spec.submodule_search_locations)[0]).joinpath(*rest)
    return folder.with_suffix(".py") if folder.with_suffix(".py").exists() else folder / "__init__.py"


def _top_level_functions(path: Path) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


@functools.lru_cache(maxsize=16)
def _functions(path: Path, mtime_ns: int) -> dict[str, Normalised]:
    source = path.read_text(encoding="utf-8")
    return {name: normalise(ast.get_source_segment(source, node) or "")
            for name, node in _top_level_functions(path).items()}


@functools.lru_cache(maxsize=64)
def _helpers(path: Path, mtime_ns: int, name: str) -> tuple[str, ...]:
    """The module's functions that ``name`` calls, directly or through one another."""
    functions = _top_level_functions(path)
    found, pending = [], [name]
    while pending:
        reads = {n.id for n in ast.walk(functions[pending.pop()]) if isinstance(n, ast.Name)}
        for helper in sorted(reads & set(functions) - {name, *found}):
            found.append(helper)
            pending.append(helper)
    return tuple(found)


@functools.lru_cache(maxsize=16)
def _master_cells(master: Path, mtime_ns: int) -> dict[str, Normalised]:
    return {name: normalise(source) for name, source in exercise_cells(read_notebook(master)).items()}


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False

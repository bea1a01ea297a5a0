"""Which students a path holds, and which notebook answers which lesson.

``grade PATH`` accepts:

* one notebook (``alice.ipynb``): one student, graded on the lesson it answers;
* a folder holding lesson notebooks (``solutions/``, ``lessons/``, a student's
  download): one student, graded on every lesson;
* a folder of students: each subfolder is a student (graded on every lesson),
  and each loose notebook is a student of its own (graded on its lesson).

A notebook is mapped to its lesson by the exercises it contains (so
``04_vae (1).ipynb`` still counts), else by its two-digit prefix. Nothing here
runs student code: notebooks are only read as JSON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from autograder.notebooks import NotebookError, exercise_cells, lesson_for, lessons, read_notebook

LESSON_FILE = re.compile(r"^\d\d_.*\.ipynb$")
SKIPPED_DIRS = {"__pycache__", ".ipynb_checkpoints", "__MACOSX"}


class DiscoveryError(Exception):
    """The path cannot be graded at all (missing, not a notebook or folder)."""


@dataclass
class Submission:
    name: str                                               # student id in the reports
    source: Path
    lessons: list[str]                                      # lessons this student is graded on
    notebooks: dict[str, Path] = field(default_factory=dict)  # lesson -> the notebook graded
    problems: dict[str, str] = field(default_factory=dict)    # lesson -> why it scores 0 without running
    cells: dict[str, dict[str, str]] = field(default_factory=dict)  # lesson -> exercise -> source
    notes: list[str] = field(default_factory=list)            # report lines (ignored files, duplicates)
    exercises: set[str] | None = None                         # only these exercises (None: all)


def _notebooks_in(folder: Path) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*.ipynb")):
        relative = path.relative_to(folder).parts
        if any(part in SKIPPED_DIRS or part.startswith(".") for part in relative):
            continue
        if path.is_file():
            found.append(path)
    return found


def _is_student_folder(path: Path) -> bool:
    return path.is_dir() and path.name not in SKIPPED_DIRS and not path.name.startswith(".")


def _read(path: Path):
    try:
        return read_notebook(path), None
    except NotebookError as error:
        return None, str(error)


def build_submission(name: str, source: Path, notebooks: list[Path], graded_lessons: list[str] | None) -> Submission:
    """Map notebooks to lessons. ``graded_lessons=None``: the lessons the notebooks answer."""
    by_lesson: dict[str, list[tuple[Path, object, str | None]]] = {}
    notes = []
    for path in notebooks:
        nb, error = _read(path)
        lesson = lesson_for(path, nb)
        if lesson is None:
            what = error if error else "it answers none of the course's lessons"
            notes.append(f"ignored {path.name}: {what}")
            continue
        by_lesson.setdefault(lesson.name, []).append((path, nb, error))
    known = [l.name for l in lessons()]
    wanted = graded_lessons if graded_lessons is not None else [l for l in known if l in by_lesson]
    submission = Submission(name, source, wanted, notes=notes)
    for lesson_name in wanted:
        candidates = by_lesson.get(lesson_name, [])
        if not candidates:
            submission.problems[lesson_name] = f"no notebook for lesson {lesson_name} was found in the submission"
            continue
        # Several notebooks answer one lesson (a re-download, a copy): grade the
        # readable one with the lesson's own file name, else the newest.
        candidates.sort(key=lambda c: (c[2] is None, c[0].name == f"{lesson_name}.ipynb", c[0].stat().st_mtime),
                        reverse=True)
        path, nb, error = candidates[0]
        if len(candidates) > 1:
            others = ", ".join(c[0].name for c in candidates[1:])
            submission.notes.append(f"{lesson_name}: graded {path.name}; also found {others} (ignored)")
        submission.notebooks[lesson_name] = path
        if error:
            submission.problems[lesson_name] = error
        else:
            submission.cells[lesson_name] = exercise_cells(nb)
    for lesson_name in by_lesson:
        if lesson_name not in wanted:
            submission.notes.append(f"ignored the notebook for {lesson_name}: not graded in this assignment")
    return submission


def discover(path: str | Path, only_lessons: list[str] | None = None, single: bool = False) -> list[Submission]:
    """The submissions under ``path``; ``single`` makes a folder one student (Gradescope)."""
    path = Path(path)
    every = [l.name for l in lessons()]
    if only_lessons:
        unknown = sorted(set(only_lessons) - set(every))
        if unknown:
            raise DiscoveryError(f"unknown lesson(s) {', '.join(unknown)}; lessons: {', '.join(every)}")
    all_lessons = [l for l in every if not only_lessons or l in only_lessons]
    if not path.exists():
        raise DiscoveryError(f"{path}: no such file or folder")
    if path.is_file():
        if path.suffix != ".ipynb":
            raise DiscoveryError(f"{path}: not a notebook (.ipynb) or a folder of notebooks")
        return [build_submission(path.stem, path, [path], only_lessons or None)]
    if single or any(LESSON_FILE.match(p.name) for p in path.glob("*.ipynb")):
        return [build_submission(path.resolve().name, path, _notebooks_in(path), all_lessons)]
    submissions = []
    for entry in sorted(path.iterdir()):
        if _is_student_folder(entry):
            submissions.append(build_submission(entry.name, entry, _notebooks_in(entry), all_lessons))
        elif entry.is_file() and entry.suffix == ".ipynb":
            submissions.append(build_submission(entry.stem, entry, [entry], only_lessons or None))
    names = [s.name for s in submissions]
    for submission in submissions:  # alice/ and alice.ipynb side by side: keep reports apart
        if names.count(submission.name) > 1 and submission.source.is_file():
            submission.name = submission.source.name
    return submissions



def from_manifest(path: str | Path) -> list[Submission]:
    """Submissions listed in a JSON file: exactly these notebooks, lessons and exercises.

    ``[{"name": "alice", "notebooks": ["a/04_vae.ipynb"], "lessons": ["04_vae"],
    "exercises": ["sampling"]}, ...]``; ``lessons`` and ``exercises`` are optional
    (default: the lessons the notebooks answer, every exercise). For re-grading
    a few exercises of a few students, and for the project's planted-bug tests.
    """
    import json

    path = Path(path)
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DiscoveryError(f"{path}: not a readable manifest ({error})") from None
    every = {l.name for l in lessons()}
    submissions = []
    for entry in entries:
        wanted = entry.get("lessons")
        if wanted and set(wanted) - every:
            raise DiscoveryError(f"{path}: unknown lesson(s) {sorted(set(wanted) - every)}")
        notebooks = [Path(p) for p in entry["notebooks"]]
        submission = build_submission(entry["name"], notebooks[0] if notebooks else path, notebooks, wanted)
        if entry.get("exercises") is not None:
            submission.exercises = set(entry["exercises"])
        submissions.append(submission)
    return submissions

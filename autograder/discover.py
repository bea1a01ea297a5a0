"""Which students a path holds, and which notebook answers which lesson.

``grade PATH`` accepts:

* one notebook (``alice.ipynb``): one student, graded on the lesson it answers;
* a folder holding lesson notebooks (``solutions/``, ``lessons/``, a student's
  download): one student, graded on every lesson;
* a folder of students: each subfolder is a student (graded on every lesson),
  each loose notebook is a student of its own (graded on its lesson), and each
  ``.zip`` is a student (graded on every lesson);
* a ``.zip`` (what ``python -m public_tests.export`` writes, or any zip of
  notebooks): one student, unpacked into a temporary folder and graded as a
  student's folder. Unpacking is defensive: no absolute paths or ``..``, no
  symlinks, at most ``MAX_MEMBERS`` files of at most ``MAX_FILE_BYTES`` each and
  ``MAX_TOTAL_BYTES`` in all, and only notebooks and the manifest are written.
  When the zip has a ``manifest.json``, each notebook's sha256 is compared with
  it and a mismatch or a missing file becomes a note in the student's report;
  the student id it states (``export(student=...)``) names the student, else
  the zip's name does (:func:`manifest_student`).

A notebook is mapped to its lesson by the exercises it contains (so
``04_vae (1).ipynb`` still counts), else by its two-digit prefix. Nothing here
runs student code: notebooks are only read as JSON.

Nothing a student hands in stops the run: whatever goes wrong with one
submission's files (a link, a name too long or not UTF-8, a file where a folder
should be, a damaged zip, a FIFO, an unreadable notebook) becomes a note in that
student's report, and what cannot be read scores 0. Symbolic links are never
followed, in folders as in zips: a link is refused with a note. Every submission
gets an id of its own (:func:`autograder.student_ids.make_unique`).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.notebooks import (NotebookError, duplicated_exercises, exercise_cells, is_appendix, lesson_for,
                                  lessons, read_notebook)
from autograder.student_ids import accepted_id, make_unique, safe_name

LESSON_FILE = re.compile(r"^\d\d_.*\.ipynb$")
SKIPPED_DIRS = {"__pycache__", ".ipynb_checkpoints", "__MACOSX"}
MANIFEST = "manifest.json"
MAX_MEMBERS = 200
MAX_FILE_BYTES = 64 * 2**20
MAX_TOTAL_BYTES = 256 * 2**20
MAX_LISTED = 10_000       # entries of a student's folder looked at (a folder of a million files is not a submission)
_UNPACKED: list[Path] = []   # temporary folders, removed when the grader exits


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
    instructor_notes: list[str] = field(default_factory=list)  # information for the instructor, not a penalty


def _files_in(folder: Path, suffix: str | tuple[str, ...], notes: list[str]) -> list[Path]:
    """Regular files named ``*suffix`` under ``folder``, never through a link; ``notes`` get what was refused."""
    found, pending, listed = [], [folder], 0
    while pending:
        current = pending.pop()
        try:
            with os.scandir(current) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            notes.append(f"could not read the folder {_relative(current, folder)}: {error.strerror or error}")
            continue
        for entry in entries:
            listed += 1
            if listed > MAX_LISTED:
                notes.append(f"more than {MAX_LISTED} files and folders: only the first were looked at")
                return sorted(found)
            if entry.name in SKIPPED_DIRS or entry.name.startswith("."):
                continue
            relative = _relative(Path(entry.path), folder)
            try:
                if entry.is_symlink():
                    notes.append(f"refused {relative}: a symbolic link (links are never followed)")
                elif entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
                elif entry.name.endswith(suffix):
                    info = entry.stat(follow_symlinks=False)
                    if not stat.S_ISREG(info.st_mode):
                        notes.append(f"refused {relative}: not a regular file")
                    elif info.st_size > MAX_FILE_BYTES:
                        notes.append(f"refused {relative}: too large ({info.st_size / 2**20:.1f} MB)")
                    else:
                        found.append(Path(entry.path))
            except OSError as error:
                notes.append(f"could not read {relative}: {error.strerror or error}")
    return sorted(found)


def _relative(path: Path, folder: Path) -> str:
    return str(path.relative_to(folder)) if path != folder else "."


def _notebooks_in(folder: Path, notes: list[str] | None = None) -> list[Path]:
    return _files_in(folder, ".ipynb", notes if notes is not None else [])


def _read(path: Path):
    """(notebook, its exercise cells, None), or (None, None, why it cannot be graded)."""
    try:
        nb = read_notebook(path)
        return nb, exercise_cells(nb), None
    except NotebookError as error:
        return None, None, str(error)
    except Exception as error:  # valid JSON of the wrong shape (cells that are numbers, ...)
        return None, None, f"{path.name} is not a readable Jupyter notebook ({type(error).__name__}: {error})"


def _cleanup() -> None:
    for folder in _UNPACKED:
        shutil.rmtree(folder, ignore_errors=True)


atexit.register(_cleanup)


def _safe_member_path(name: str) -> PurePosixPath | None:
    """The member's path inside the extraction folder, or None if it would leave it."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or not path.parts or any(part in ("", "..") for part in path.parts) \
            or re.match(r"^[A-Za-z]:", path.parts[0]):
        return None
    return path


def unpack_zip(archive_path: Path) -> tuple[Path, list[str]]:
    """Extract a submission zip's notebooks (and manifest) into a new temporary folder; returns it and notes.

    Never raises for what the zip holds: a damaged zip gives an empty folder and a note.
    """
    notes: list[str] = []
    target = Path(tempfile.mkdtemp(prefix=f"aecourse-{safe_name(archive_path.stem)[:40]}-"))
    _UNPACKED.append(target)
    try:
        archive = zipfile.ZipFile(archive_path)
    except Exception as error:  # BadZipFile, OSError, a name that is not UTF-8 though flagged so, ...
        return target, [f"{archive_path.name}: not a readable zip ({type(error).__name__}: {error})"]
    written = 0
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_MEMBERS:
            notes.append(f"{archive_path.name}: {len(members)} files, only the first {MAX_MEMBERS} were looked at")
            members = members[:MAX_MEMBERS]
        for member in members:
            relative = _safe_member_path(member.filename)
            if relative is None:
                notes.append(f"refused {member.filename!r} from {archive_path.name}: its path leaves the folder")
                continue
            if stat.S_ISLNK(member.external_attr >> 16):
                notes.append(f"refused {member.filename!r} from {archive_path.name}: a symbolic link")
                continue
            if any(part in SKIPPED_DIRS or part.startswith(".") for part in relative.parts):
                continue
            if relative.suffix != ".ipynb" and relative.name != MANIFEST:
                notes.append(f"ignored {member.filename} in {archive_path.name}: not a notebook")
                continue
            if member.file_size > MAX_FILE_BYTES or written + member.file_size > MAX_TOTAL_BYTES:
                notes.append(f"refused {member.filename} from {archive_path.name}: too large "
                             f"({member.file_size / 2**20:.1f} MB)")
                continue
            destination = target.joinpath(*relative.parts)
            # Count the bytes really inflated: a zip's declared sizes can lie.
            budget = min(MAX_FILE_BYTES, MAX_TOTAL_BYTES - written)
            size, too_big = 0, False
            try:
                destination.parent.mkdir(parents=True, exist_ok=True)  # fails under a member that is a file
                with archive.open(member) as source, open(destination, "wb") as sink:
                    while chunk := source.read(1 << 20):
                        size += len(chunk)
                        if size > budget:
                            too_big = True
                            break
                        sink.write(chunk)
            except Exception as error:  # a name too long, a file where a folder should be, damaged data, ...
                _remove_file(destination)
                notes.append(f"could not unpack {member.filename} from {archive_path.name}: "
                             f"{getattr(error, 'strerror', None) or error}")
                continue
            if too_big:
                _remove_file(destination)
                notes.append(f"refused {member.filename} from {archive_path.name}: too large once unpacked")
                continue
            written += size
    return target, notes + verify_manifest(target, archive_path.name)


def _remove_file(path: Path) -> None:
    """Remove what a failed extraction left, if it is a file (a folder there is another member's)."""
    try:
        if path.is_file():
            path.unlink()
    except (OSError, ValueError):
        pass


def verify_manifest(folder: Path, label: str) -> list[str]:
    """Notes for every notebook whose sha256 differs from the export manifest's, or that is missing."""
    manifests = sorted(folder.rglob(MANIFEST))
    if not manifests:
        return []
    try:
        manifest = json.loads(manifests[0].read_text(encoding="utf-8"))
        entries = [(str(e["file"]), str(e["sha256"])) for e in manifest["notebooks"]]
    except (OSError, ValueError, KeyError, TypeError) as error:
        return [f"{label}: its {MANIFEST} is unreadable ({type(error).__name__}); notebooks graded as found"]
    notes = []
    base = manifests[0].parent
    listed = set()
    for name, digest in entries:
        relative = _safe_member_path(name)
        path = base.joinpath(*relative.parts) if relative else None
        listed.add(path)
        try:
            found = hashlib.sha256(path.read_bytes()).hexdigest() if path is not None and path.is_file() else None
        except (OSError, ValueError):  # a name with a NUL byte, too long, ...
            found = None
        if found is None:
            notes.append(f"{label}: {name} is listed in {MANIFEST} but not in the zip")
        elif found != digest:
            notes.append(f"{label}: {name} differs from the exported one (sha256 does not match {MANIFEST}); "
                         "graded as found")
    for path in _notebooks_in(folder):
        if path not in listed:
            notes.append(f"{label}: {path.relative_to(folder)} is not listed in {MANIFEST}")
    return notes


def manifest_student(folder: Path, label: str) -> tuple[str | None, list[str]]:
    """The student id an unpacked zip's manifest states, when acceptable (:func:`accepted_id`); notes if refused."""
    manifests = sorted(folder.rglob(MANIFEST))
    if not manifests:
        return None, []
    try:
        value = json.loads(manifests[0].read_text(encoding="utf-8")).get("student")
    except (OSError, ValueError, AttributeError):
        return None, []  # verify_manifest says the manifest is unreadable
    student = accepted_id(value)
    if value is not None and student is None:
        return None, [f"{label}: the student id in its {MANIFEST} was refused ({repr(value)[:80]}); "
                      "the report is named after the file"]
    return student, []


def _zip_student(archive_path: Path, graded_lessons: list[str]) -> Submission:
    folder, notes = unpack_zip(archive_path)
    student, id_notes = manifest_student(folder, archive_path.name)
    submission = build_submission(student or archive_path.stem, archive_path, _notebooks_in(folder, notes),
                                  graded_lessons)
    submission.notes[:0] = notes + id_notes
    return submission


def _folder_student(name: str, folder: Path, graded_lessons: list[str], unpack_zips: bool) -> Submission:
    """One student's folder; with ``unpack_zips``, a zip beside the notebooks (a Gradescope upload) counts as its contents."""
    notes: list[str] = []
    files = _files_in(folder, (".ipynb", ".zip") if unpack_zips else ".ipynb", notes)
    notebooks = [p for p in files if p.suffix == ".ipynb"]
    student = None
    for archive_path in [p for p in files if p.suffix == ".zip" and p.parent == folder]:
        unpacked, zip_notes = unpack_zip(archive_path)
        notebooks += _notebooks_in(unpacked, zip_notes)
        stated, id_notes = manifest_student(unpacked, archive_path.name)
        student = student or stated  # a Gradescope upload: the id of the (first) exported zip
        notes += zip_notes + id_notes
    submission = build_submission(student or name, folder, notebooks, graded_lessons)
    submission.notes[:0] = notes
    return submission


def _refused(name: str, source: Path, graded_lessons: list[str], why: str) -> Submission:
    """A submission that scores 0 on every lesson asked for, saying why."""
    return Submission(name, source, list(graded_lessons), problems={lesson: why for lesson in graded_lessons},
                      notes=[why])


def _guarded(name: str, source: Path, graded_lessons: list[str], build) -> Submission:
    """``build()``, or a refused submission when reading this student's files fails in a way not foreseen."""
    try:
        return build()
    except Exception as error:  # one student's files must never stop the class's run
        return _refused(name, source, graded_lessons,
                        f"the grader could not read this submission ({type(error).__name__}: {error})")


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except (OSError, ValueError):
        return 0.0


def build_submission(name: str, source: Path, notebooks: list[Path], graded_lessons: list[str] | None) -> Submission:
    """Map notebooks to lessons. ``graded_lessons=None``: the lessons the notebooks answer."""
    by_lesson: dict[str, list[tuple[Path, object, dict | None, str | None]]] = {}
    notes = []
    for path in notebooks:
        nb, cells, error = _read(path)
        lesson = lesson_for(path, nb)
        if lesson is None and is_appendix(path) and not cells:
            continue  # an optional appendix that came with the lessons: nothing in it is graded
        if lesson is None:
            what = error if error else "it answers none of the course's lessons"
            notes.append(f"ignored {path.name}: {what}")
            continue
        by_lesson.setdefault(lesson.name, []).append((path, nb, cells, error))
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
        candidates.sort(key=lambda c: (c[3] is None, c[0].name == f"{lesson_name}.ipynb", _mtime(c[0])),
                        reverse=True)
        path, nb, cells, error = candidates[0]
        if len(candidates) > 1:
            others = ", ".join(c[0].name for c in candidates[1:])
            submission.notes.append(f"{lesson_name}: graded {path.name}; also found {others} (ignored)")
        submission.notebooks[lesson_name] = path
        if error:
            submission.problems[lesson_name] = error
            continue
        submission.cells[lesson_name] = cells
        for exercise in duplicated_exercises(nb):
            submission.notes.append(f"{lesson_name}: two cells claim exercise {exercise!r}; graded the last one")
    for lesson_name in by_lesson:
        if lesson_name not in wanted:
            submission.notes.append(f"ignored the notebook for {lesson_name}: not graded in this assignment")
    return submission


def _class_member(entry: os.DirEntry, all_lessons: list[str], only_lessons: list[str] | None) -> Submission | None:
    """The submission an entry of a class folder is (a folder, a notebook, a zip), or None for anything else."""
    path = Path(entry.path)
    if entry.name in SKIPPED_DIRS or entry.name.startswith("."):
        return None
    loose_lessons = list(only_lessons or [])  # a loose notebook is graded on the lesson it answers
    try:
        link, folder, regular = (entry.is_symlink(), entry.is_dir(follow_symlinks=False),
                                 entry.is_file(follow_symlinks=False))
        size = entry.stat(follow_symlinks=False).st_size
    except OSError as error:
        return _refused(entry.name, path, all_lessons, f"could not read {entry.name}: {error.strerror or error}")
    if link or not (folder or regular):
        # Refused without reading it: a link may point at anything of the grader's (the master solutions).
        if path.suffix not in (".ipynb", ".zip") and not os.path.isdir(path):
            return None
        what = "a symbolic link (links are never followed)" if link else "not a regular file"
        if path.suffix == ".ipynb":
            return _refused(path.stem, path, loose_lessons, f"refused {entry.name}: {what}")
        return _refused(path.stem if path.suffix == ".zip" else entry.name, path, all_lessons,
                        f"refused {entry.name}: {what}")
    if folder:
        return _guarded(entry.name, path, all_lessons, lambda: _folder_student(entry.name, path, all_lessons, False))
    if path.suffix == ".ipynb":
        if size > MAX_FILE_BYTES:
            return _refused(path.stem, path, loose_lessons, f"refused {entry.name}: too large ({size / 2**20:.1f} MB)")
        return _guarded(path.stem, path, loose_lessons,
                        lambda: build_submission(path.stem, path, [path], only_lessons or None))
    if path.suffix == ".zip":
        return _guarded(path.stem, path, all_lessons, lambda: _zip_student(path, all_lessons))
    return None


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
        if path.suffix == ".zip":
            return [_guarded(path.stem, path, all_lessons, lambda: _zip_student(path, all_lessons))]
        if path.suffix != ".ipynb":
            raise DiscoveryError(f"{path}: not a notebook (.ipynb), a zip of notebooks or a folder of notebooks")
        return [build_submission(path.stem, path, [path], only_lessons or None)]
    if single or any(LESSON_FILE.match(p.name) for p in path.glob("*.ipynb")):
        name = path.resolve().name
        return [_guarded(name, path, all_lessons, lambda: _folder_student(name, path, all_lessons, True))]
    try:
        with os.scandir(path) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as error:
        raise DiscoveryError(f"{path}: cannot list the folder ({error.strerror or error})") from None
    submissions = [s for entry in entries if (s := _class_member(entry, all_lessons, only_lessons)) is not None]
    names = [s.name for s in submissions]
    for submission in submissions:  # alice/ and alice.ipynb side by side: keep reports apart
        if names.count(submission.name) > 1 and submission.source.suffix in (".ipynb", ".zip") \
                and submission.name == submission.source.stem:  # not an id a manifest stated: make_unique's job
            submission.name = submission.source.name
    make_unique(submissions)
    return submissions


def from_manifest(path: str | Path) -> list[Submission]:
    """Submissions listed in a JSON file: exactly these notebooks, lessons and exercises.

    ``[{"name": "alice", "notebooks": ["a/04_vae.ipynb"], "lessons": ["04_vae"],
    "exercises": ["sampling"]}, ...]``; ``lessons`` and ``exercises`` are optional
    (default: the lessons the notebooks answer, every exercise). For re-grading
    a few exercises of a few students, and for the project's planted-bug tests.
    """
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
        submission = build_submission(str(entry["name"]), notebooks[0] if notebooks else path, notebooks, wanted)
        if entry.get("exercises") is not None:
            submission.exercises = set(entry["exercises"])
        submissions.append(submission)
    make_unique(submissions)
    return submissions

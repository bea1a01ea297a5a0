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
  it and a mismatch or a missing file becomes a note in the student's report.

A notebook is mapped to its lesson by the exercises it contains (so
``04_vae (1).ipynb`` still counts), else by its two-digit prefix. Nothing here
runs student code: notebooks are only read as JSON.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import re
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.notebooks import NotebookError, exercise_cells, lesson_for, lessons, read_notebook

LESSON_FILE = re.compile(r"^\d\d_.*\.ipynb$")
SKIPPED_DIRS = {"__pycache__", ".ipynb_checkpoints", "__MACOSX"}
MANIFEST = "manifest.json"
MAX_MEMBERS = 200
MAX_FILE_BYTES = 64 * 2**20
MAX_TOTAL_BYTES = 256 * 2**20
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
    """Extract a submission zip's notebooks (and manifest) into a new temporary folder; returns it and notes."""
    notes: list[str] = []
    try:
        archive = zipfile.ZipFile(archive_path)
    except (OSError, zipfile.BadZipFile) as error:
        raise DiscoveryError(f"{archive_path}: not a readable zip ({error})") from None
    target = Path(tempfile.mkdtemp(prefix=f"aecourse-{archive_path.stem[:40]}-"))
    _UNPACKED.append(target)
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
            destination.parent.mkdir(parents=True, exist_ok=True)
            # Count the bytes really inflated: a zip's declared sizes can lie.
            budget = min(MAX_FILE_BYTES, MAX_TOTAL_BYTES - written)
            size, too_big = 0, False
            try:
                with archive.open(member) as source, open(destination, "wb") as sink:
                    while chunk := source.read(1 << 20):
                        size += len(chunk)
                        if size > budget:
                            too_big = True
                            break
                        sink.write(chunk)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as error:
                destination.unlink(missing_ok=True)
                notes.append(f"could not unpack {member.filename} from {archive_path.name}: {error}")
                continue
            if too_big:
                destination.unlink(missing_ok=True)
                notes.append(f"refused {member.filename} from {archive_path.name}: too large once unpacked")
                continue
            written += size
    return target, notes + verify_manifest(target, archive_path.name)


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
        if path is None or not path.is_file():
            notes.append(f"{label}: {name} is listed in {MANIFEST} but not in the zip")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            notes.append(f"{label}: {name} differs from the exported one (sha256 does not match {MANIFEST}); "
                         "graded as found")
    for path in _notebooks_in(folder):
        if path not in listed:
            notes.append(f"{label}: {path.relative_to(folder)} is not listed in {MANIFEST}")
    return notes


def _zip_student(archive_path: Path, graded_lessons: list[str]) -> Submission:
    folder, notes = unpack_zip(archive_path)
    submission = build_submission(archive_path.stem, archive_path, _notebooks_in(folder), graded_lessons)
    submission.notes[:0] = notes
    return submission


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
        if path.suffix == ".zip":
            return [_zip_student(path, all_lessons)]
        if path.suffix != ".ipynb":
            raise DiscoveryError(f"{path}: not a notebook (.ipynb), a zip of notebooks or a folder of notebooks")
        return [build_submission(path.stem, path, [path], only_lessons or None)]
    if single or any(LESSON_FILE.match(p.name) for p in path.glob("*.ipynb")):
        # One student's folder; a zip in it (a Gradescope upload of the export) counts as its contents.
        notebooks, notes = _notebooks_in(path), []
        for archive_path in sorted(path.glob("*.zip")):
            folder, zip_notes = unpack_zip(archive_path)
            notebooks += _notebooks_in(folder)
            notes += zip_notes
        submission = build_submission(path.resolve().name, path, notebooks, all_lessons)
        submission.notes[:0] = notes
        return [submission]
    submissions = []
    for entry in sorted(path.iterdir()):
        if _is_student_folder(entry):
            submissions.append(build_submission(entry.name, entry, _notebooks_in(entry), all_lessons))
        elif entry.is_file() and entry.suffix == ".ipynb":
            submissions.append(build_submission(entry.stem, entry, [entry], only_lessons or None))
        elif entry.is_file() and entry.suffix == ".zip":
            submissions.append(_zip_student(entry, all_lessons))
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

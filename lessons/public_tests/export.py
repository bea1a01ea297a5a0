"""The file a student hands in: ``export()`` in a notebook, or ``python -m public_tests.export lessons/ --student ID``.

The zip holds the lesson notebooks of one folder (``01_quickdraw.ipynb`` ...,
as saved on disk) and a ``manifest.json``::

    {"format": "aecourse-submission", "version": 1, "created": "2026-11-26T10:00:00Z",
     "student": "s1234567",
     "notebooks": [{"file": "01_quickdraw.ipynb", "lesson": "01_quickdraw",
                    "exercises": ["unpack_drawing", "rasterize_strokes"],
                    "checks": {"unpack_drawing": {"passed": 3, "total": 3}},
                    "sha256": "..."}]}

``exercises`` are the ``# Exercise:`` cells found; ``checks`` the latest result
of each ``check(...)`` cell as saved in the notebook's outputs (absent when a
check was not run). The grader (``python -m autograder grade submission.zip``)
takes the zip as it is, names the student's reports after ``student``, and
reports a notebook whose hash does not match.

The student id is ``export(student="...")``, ``--student ID``, or the
``AECOURSE_STUDENT`` environment variable; without one, ``export`` asks once.
It must be printable, without ``/`` or ``\\``, at most ``MAX_ID_LENGTH``
characters. The zip's default name holds it and the time:
``submission-s1234567-20261126T100000Z.zip``, beside the notebooks
(``.gitignore`` keeps such files out of the course's repository).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import time
import zipfile
from pathlib import Path

from public_tests import framework
from public_tests.graded_cell import exercise_of

FORMAT, VERSION = "aecourse-submission", 1
LESSON_FILE = re.compile(r"^\d\d_.*\.ipynb$")
VERDICT = re.compile(r"^(\w+): (?:(all) passed|(\d+)/(\d+) passed)\.\s*$", re.M)
STUDENT_ENV = "AECOURSE_STUDENT"
MAX_ID_LENGTH = 64


def check_student_id(text) -> str:
    """The id, stripped; ValueError saying what is wrong with it otherwise."""
    student = str(text or "").strip()
    if not student:
        raise ValueError("a student id is needed (export(student=\"...\"), --student ID or AECOURSE_STUDENT)")
    if len(student) > MAX_ID_LENGTH:
        raise ValueError(f"the student id is {len(student)} characters long; at most {MAX_ID_LENGTH}")
    if "/" in student or "\\" in student or not student.isprintable() or student in (".", ".."):
        raise ValueError(f"the student id {student!r} holds a path separator or a control character")
    return student


def student_id(given: str | None = None, ask=input) -> str:
    """``given``, else ``$AECOURSE_STUDENT``, else asked once; checked by :func:`check_student_id`."""
    if given is None:
        given = os.environ.get(STUDENT_ENV) or ask("Your student id (as your course lists it): ")
    return check_student_id(given)


def zip_name(student: str, created: str) -> str:
    """``submission-<id>-<time>.zip``: the id with anything but letters, digits and ``.@+-`` as ``_``."""
    slug = re.sub(r"[^\w.@+-]+", "_", student).strip("._") or "student"
    return f"submission-{slug}-{created.replace('-', '').replace(':', '')}.zip"


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _outputs_text(cell) -> str:
    texts = []
    for output in cell.get("outputs", []):
        text = output.get("text", "")
        texts.append("".join(text) if isinstance(text, list) else text)
    return "".join(texts)


def describe(path: Path) -> dict:
    """The manifest entry of one notebook file."""
    data = path.read_bytes()
    entry = {"file": path.name, "lesson": None, "exercises": [], "checks": {},
             "sha256": hashlib.sha256(data).hexdigest()}
    try:
        cells = json.loads(data.decode("utf-8"))["cells"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        entry["problem"] = "not a readable notebook"
        return entry
    code = [c for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]
    entry["exercises"] = [name for name in (exercise_of(_source(c)) for c in code) if name]
    for cell in code:
        for name, all_passed, passed, total in VERDICT.findall(_outputs_text(cell)):
            known = framework.resolve(name)
            if known:
                count = len(framework._REGISTRY[known])
                entry["checks"][known] = ({"passed": count, "total": count} if all_passed
                                          else {"passed": int(passed), "total": int(total)})
    found = set(entry["exercises"])
    overlap = {lesson: len(found & set(framework.lesson_exercises(lesson))) for lesson in framework.lessons()}
    best = max(overlap, key=overlap.get, default=None)
    if best and overlap[best]:
        entry["lesson"] = best
    else:
        entry["lesson"] = next((l for l in framework.lessons() if path.name.startswith(l[:3])), None)
    return entry


def lesson_notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and LESSON_FILE.match(p.name))


def build(folder: str | Path = ".", out: str | Path | None = None,
          student: str | None = None) -> tuple[Path, dict]:
    """Write the zip (default: ``zip_name`` in ``folder``); returns its path and the manifest."""
    folder = Path(folder)
    notebooks = lesson_notebooks(folder)
    if not notebooks:
        raise FileNotFoundError(f"no lesson notebooks (NN_name.ipynb) in {folder.resolve()}")
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    manifest = {"format": FORMAT, "version": VERSION, "created": created}
    if student is not None:
        manifest["student"] = check_student_id(student)
    manifest["notebooks"] = [describe(p) for p in notebooks]
    out = Path(out) if out is not None else folder / zip_name(manifest.get("student", "anonymous"), created)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in notebooks:
            archive.write(path, path.name)
        archive.writestr("manifest.json", json.dumps(manifest, indent=2) + "\n")
    return out, manifest


def summary(manifest: dict) -> str:
    lines = []
    for entry in manifest["notebooks"]:
        checks = entry["checks"]
        done = sum(c["passed"] == c["total"] for c in checks.values())
        lines.append(f"  {entry['file']:<28} {entry['lesson'] or '?':<18} {len(entry['exercises'])} exercise cells, "
                     f"{done} of them with every check passed" + ("" if checks else " (no check output saved)"))
    return "\n".join(lines)


def export(folder: str | Path | None = None, out: str | Path | None = None, student: str | None = None) -> None:
    """From a lesson notebook: zip this folder's lesson notebooks, as saved, with your student id.

    ``student`` defaults to ``$AECOURSE_STUDENT``, else you are asked once;
    ``out`` (relative to ``folder``) to ``submission-<id>-<time>.zip``.
    """
    folder = Path(folder) if folder is not None else Path.cwd()
    try:
        path, manifest = build(folder, None if out is None else folder / out, student_id(student))
    except (FileNotFoundError, ValueError, EOFError) as error:  # one line for the student, not a traceback
        print(f"export: {str(error) or 'no student id given'}; nothing was written.")
        return
    print(f"wrote {path} for student {manifest['student']!r} with {len(manifest['notebooks'])} notebook(s):\n"
          f"{summary(manifest)}\n"
          "It holds the notebooks as last saved: save this one (Ctrl+S) and export again if you changed it since. "
          "Hand in that zip as it is.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m public_tests.export", description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=".", help="the folder of your lesson notebooks (default: .)")
    parser.add_argument("-o", "--out", help="the zip to write (default: submission-<id>-<time>.zip in the folder)")
    parser.add_argument("--student", metavar="ID", help=f"your student id (default: ${STUDENT_ENV}, else asked)")
    args = parser.parse_args(argv)
    try:
        path, manifest = build(args.folder, args.out, student_id(args.student))
    except (FileNotFoundError, ValueError, EOFError) as error:
        print(f"export: {str(error) or 'no student id given'}", file=sys.stderr)
        return 1
    print(f"wrote {path} for student {manifest['student']!r} with {len(manifest['notebooks'])} notebook(s):\n{summary(manifest)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

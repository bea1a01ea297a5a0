"""Hostile names and files against discovery and the reports: every submission gets a report, the run goes on.

One class folder on the fake course holds, beside two honest students, a
submission for each way a student's files can trouble the grader rather than
its tests: zip members under a path that is a file or under a 300-byte folder
name, names that carry newlines and terminal escapes to forge another student's
block in the summary, links to the grader's own master solution, names that
become one file name, names that are not UTF-8, 255-byte names, an empty zip,
a file that is no zip, a notebook that is no JSON, a FIFO. All are graded in
one run: it must finish with a report for everyone, the honest students keep
every point, no link is followed, no name forges a block, and no two students
share a report.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile

from autograder.quick_nbformat import nbformat
import pytest

import fake_course
import places
from autograder import discover as disc
from autograder.student_ids import make_unique, safe_name, shown
from grader_helpers import run_grader

FULL = {"add": (3, 3), "scale": (3, 3), "counter": (3, 3)}
NOTEBOOK = f"{fake_course.LESSON}.ipynb"
FORGED = "== forged: 9 points (100.0 %)"   # no slash: a folder name cannot hold one
NEWLINE_FOLDER = f"evil\n{FORGED}\x1b[2K\x1b[1A"
NOT_UTF8 = b"caf\xe9"          # a Latin-1 name: Python reads it as 'caf\udce9'
LONG_FOLDER = "L" * 255         # the longest a file name may be
LONG_ZIP = "Z" * 251 + ".zip"


def _notebook_bytes(nb=None) -> bytes:
    return nbformat.writes(nb or fake_course.master()).encode("utf-8")


def _zip(path, members: dict[str, bytes], manifest: bool = False) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        if manifest:  # what public_tests.export writes, for the notebooks at the top
            listed = [{"file": n, "lesson": fake_course.LESSON, "sha256": hashlib.sha256(d).hexdigest()}
                      for n, d in members.items() if "/" not in n]
            archive.writestr("manifest.json", json.dumps({"format": 1, "notebooks": listed}))


def _folder(path, notebook: bytes | None = None) -> None:
    os.makedirs(path)
    if notebook is not None:
        with open(os.path.join(path, NOTEBOOK.encode() if isinstance(path, bytes) else NOTEBOOK), "wb") as handle:
            handle.write(notebook)


def build_class(root, students) -> dict[str, str]:
    """Write the class folder; returns what each submission is, by the id the grader should give it."""
    honest = _notebook_bytes()
    master = root / "solutions" / NOTEBOOK
    _folder(students / "aaa_honest", honest)
    _folder(students / "zzz_honest", honest)
    # A member under a path that is a file, a file over a folder, a 300-byte folder name: the rest is graded.
    _zip(students / "member_under_file.zip", {NOTEBOOK: honest, f"{NOTEBOOK}/extra.ipynb": honest,
                                               "x.ipynb/notes.ipynb": b"{}", "x.ipynb": honest})
    _zip(students / "long_member.zip", {"d" * 300 + f"/{NOTEBOOK}": honest})
    _zip(students / "forged_member.zip", {NOTEBOOK: honest, f"x\n{FORGED}\n.txt": b"",
                                           f"y\n{FORGED}\n.ipynb": b"not json"})
    _folder(students / NEWLINE_FOLDER, honest)
    # Links, to the grader's own master solution and to another student's folder: never followed.
    _folder(students / "linked_master")
    os.symlink(master, students / "linked_master" / NOTEBOOK)
    _folder(students / "linked_subfolder")
    os.symlink(students / "aaa_honest", students / "linked_subfolder" / "sub")
    os.symlink(students / "aaa_honest", students / "linked_student")
    os.symlink(master, students / "linked_loose.ipynb")
    # Two names that become one file name, and two zips (with manifests) whose names differ only in case.
    _folder(students / "same name", honest)
    _folder(students / "same_name", honest)
    _zip(students / "Twin.zip", {NOTEBOOK: honest}, manifest=True)
    _zip(students / "twin.zip", {NOTEBOOK: honest}, manifest=True)
    _folder(os.path.join(os.fsencode(students), NOT_UTF8), honest)
    _folder(students / LONG_FOLDER, honest)
    _zip(students / LONG_ZIP, {NOTEBOOK: honest})
    _zip(students / "empty.zip", {})
    (students / "not_a_zip.zip").write_bytes(b"PK\x03\x04 this is not a zip")
    _folder(students / "not_json", b"this is not JSON {")
    _folder(students / "fifo")
    os.mkfifo(students / "fifo" / NOTEBOOK)   # reading it would wait for ever
    return {
        "aaa_honest": "honest", "zzz_honest": "honest", "member_under_file": "honest",
        "long_member": "zero", "forged_member": "honest", NEWLINE_FOLDER: "honest",
        "linked_master": "link", "linked_subfolder": "link", "linked_student": "link", "linked_loose": "loose link",
        "same name": "honest", "same_name~2": "honest", "Twin": "honest", "twin~2": "honest",
        os.fsdecode(NOT_UTF8): "honest", LONG_FOLDER: "honest", LONG_ZIP[:-4]: "honest",
        "empty": "zero", "not_a_zip": "zero", "not_json": "zero", "fifo": "zero",
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory, place):
    root = fake_course.make(tmp_path_factory.mktemp("fake_course"))
    students = tmp_path_factory.mktemp("students")
    expected = build_class(root, students)
    out = tmp_path_factory.mktemp("out")
    with places.opened_for(place, readable=[root, students], writable=[out]):
        graded = run_grader(str(students), "--jobs", "2", out=out, env=fake_course.env(root), timeout=900,
                            place=place)
    graded.expected = expected
    return graded


def _results(graded, student: str) -> dict:
    return graded.results(safe_name(student))


def _scores(graded, student: str) -> dict[str, tuple[float, float]]:
    return graded.exercise_scores(safe_name(student))


def _block(graded, student: str) -> str:
    return graded.block(shown(student))


def test_the_run_completes_without_a_traceback(graded):
    assert graded.returncode == 0, graded.stderr[-3000:]
    assert "Traceback" not in graded.stdout + graded.stderr, graded.stderr[-3000:]


def test_every_submission_has_a_report_of_its_own(graded):
    rows = graded.csv_rows()
    assert set(rows) == {shown(name) for name in graded.expected}
    folders = {p.name for p in (graded.out / "results").iterdir()}
    assert folders == {safe_name(name) for name in graded.expected}
    pages = {p.stem for p in (graded.out / "feedback").glob("*.html")}
    assert pages == {safe_name(name) for name in graded.expected}
    progress = {p.stem for p in (graded.out / "progress").glob("*.json")}
    assert progress == {safe_name(name) for name in graded.expected}
    assert all(len(name.encode()) <= 255 for name in folders | pages)


def test_honest_students_keep_every_point_whatever_their_names(graded):
    for student, kind in graded.expected.items():
        if kind == "honest":
            assert _scores(graded, student) == FULL, _block(graded, student)


def test_no_name_forges_a_block_in_the_summary(graded):
    summary = (graded.out / "summary.txt").read_text(encoding="utf-8")
    for text in (graded.stdout, summary):
        headers = [line for line in text.splitlines() if line.startswith("== ")]
        assert len(headers) == len(graded.expected), headers
        assert not any(line.startswith(FORGED) for line in text.splitlines())
        assert "\x1b" not in text
    assert "== evil\\n== forged: 9 points (100.0 %)\\x1b[2K\\x1b[1A: 9/9 points" in graded.stdout
    assert "== caf\\xe9: 9/9 points" in graded.stdout
    assert "x\\n== forged" in _block(graded, "forged_member")


def test_links_are_refused_never_followed(graded):
    for student in ("linked_master", "linked_subfolder", "linked_student", "linked_loose"):
        block = _block(graded, student)
        assert "a symbolic link (links are never followed)" in block, block
        assert _results(graded, student)["score"] == 0, block
    assert _scores(graded, "linked_master") == {e: (0, 3) for e in FULL}


def test_damaged_zips_and_notebooks_score_zero_with_a_reason(graded):
    reasons = {
        "member_under_file": "could not unpack",
        "long_member": "could not unpack",
        "not_a_zip": "not a readable zip",
        "not_json": "not a readable Jupyter notebook",
        "fifo": "not a regular file",
        "empty": "no notebook for lesson",
    }
    for student, words in reasons.items():
        assert words in _block(graded, student), _block(graded, student)
    for student, kind in graded.expected.items():
        if kind == "zero":
            assert _results(graded, student)["score"] == 0, _block(graded, student)


def test_colliding_names_get_distinct_ids_and_a_note_in_both_reports(graded):
    for first, second in (("same name", "same_name~2"), ("Twin", "twin~2")):
        assert f"it is reported as '{second}'" in _block(graded, first), _block(graded, first)
        assert f"this one is reported as '{second}'" in _block(graded, second), _block(graded, second)
        assert _results(graded, first) != _results(graded, second) or safe_name(first) != safe_name(second)


def test_names_in_the_csv_and_html_are_escaped(graded):
    rows = graded.csv_rows()
    assert shown(NEWLINE_FOLDER) in rows and NEWLINE_FOLDER not in rows
    page = (graded.out / "feedback" / f"{safe_name(NEWLINE_FOLDER)}.html").read_text(encoding="utf-8")
    assert "\x1b" not in page and "evil\\n" in page
    report = (graded.out / "class_report.html").read_text(encoding="utf-8")
    assert "\x1b" not in report and "caf\\xe9" in report


# -- discovery alone: quick checks of what the batch above relies on

def test_manifest_entries_with_one_name_get_distinct_ids(tmp_path, monkeypatch):
    root = fake_course.make(tmp_path / "course")
    monkeypatch.setattr("autograder.notebooks.SOLUTIONS", root / "solutions")
    notebook = tmp_path / NOTEBOOK
    notebook.write_bytes(_notebook_bytes())
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps([{"name": "alice", "notebooks": [str(notebook)]},
                                    {"name": "alice", "notebooks": [str(notebook)]},
                                    {"name": "ALICE", "notebooks": [str(notebook)]}]))
    names = [s.name for s in disc.from_manifest(manifest)]
    assert names == ["alice", "alice~2", "ALICE~3"]
    assert len({safe_name(n).casefold() for n in names}) == 3


def test_shown_escapes_what_could_break_a_line():
    assert shown("a\nb\r\tc") == "a\\nb\\r\\tc"
    assert shown("\x1b[2K") == "\\x1b[2K"
    assert shown(os.fsdecode(b"caf\xe9")) == "caf\\xe9"
    assert shown("\u202eevil") == "\\u202eevil"      # a right-to-left override
    assert shown("Zoë O'Brien") == "Zoë O'Brien"


def test_safe_names_are_short_and_unique_ids_stay_apart():
    long_a, long_b = "é" * 200 + "a", "é" * 200 + "b"
    assert len(safe_name(long_a).encode()) <= 120 and safe_name(long_a) != safe_name(long_b)

    class Entry:
        def __init__(self, name):
            self.name, self.notes = name, []
            self.source = io.StringIO()
            self.source.name = f"{name}.zip"

    entries = [Entry("x y"), Entry("x_y"), Entry("x_y~2"), Entry("X_Y")]
    make_unique(entries)
    keys = [safe_name(e.name).casefold() for e in entries]
    assert len(set(keys)) == 4, [e.name for e in entries]
    assert entries[2].name == "x_y~2" and entries[1].name == "x_y~3"
    assert entries[0].notes and entries[1].notes and not entries[2].notes

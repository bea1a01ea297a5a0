"""What an instructor gets: hand-ins named by the student id they carry, overrides merged into every report.

On the fake course (tests/fake_course.py: no TensorFlow, graded in seconds): a
student id flows from ``export()`` to the summary, ``grades.csv``, ``results.json``,
the feedback page and the class report; two hand-ins with one id are kept apart
and noted; an overrides CSV changes every report, marked as the instructor's
decision, survives ``--resume`` and is gone when the file is; a bad row stops the
run with one line and no traceback.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from html import escape
from pathlib import Path

import pytest

import fake_course
from autograder.quick_nbformat import nbformat
from autograder.student_ids import safe_name
from grader_helpers import REPO, run_grader
from public_tests import export

# Printable, no path separator: accepted, and it needs escaping in HTML and a safe file name.
ANA = "Ana <b>O'Neil & co"
BEN = "s1234567"


def hand_in(folder: Path, student: str, nb) -> Path:
    """A student's lesson folder exported as export() does, with the id given as an argument."""
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{fake_course.LESSON}.ipynb")
    export.export(folder, student=student)
    [made] = folder.glob("submission-*.zip")
    return made


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = fake_course.make(tmp_path_factory.mktemp("fake_course"))
    return fake_course.env(root)


@pytest.fixture(scope="module")
def graded(tmp_path_factory, course):
    """A class folder of zips named as Gradescope or a mail folder names them, not after the students."""
    work = tmp_path_factory.mktemp("class")
    klass = work / "hand-ins"
    klass.mkdir()
    wrong_add = fake_course.with_cell("add", "def add(a, b):\n    return a - b\n")
    shutil.copy(hand_in(work / "ana", ANA, wrong_add), klass / "submission.zip")
    shutil.copy(hand_in(work / "ben", BEN, fake_course.master()), klass / "submission (1).zip")
    out = work / "out"
    result = run_grader(str(klass), out=out, env=course, timeout=600)
    assert result.returncode == 0, result.stderr
    return result, klass, course


def test_the_id_is_in_the_manifest_and_the_file_name(tmp_path):
    made = hand_in(tmp_path / "ben", BEN, fake_course.master())
    assert made.name.startswith(f"submission-{BEN}-") and made.name.endswith("Z.zip")
    manifest = json.loads(subprocess.run(["unzip", "-p", str(made), "manifest.json"], capture_output=True,
                                         text=True, check=True).stdout)
    assert manifest["student"] == BEN and manifest["created"].endswith("Z")


def test_the_id_reaches_every_report(graded):
    result, _, _ = graded
    out = result.out
    for student in (ANA, BEN):
        assert f"== {student}:" in (out / "summary.txt").read_text(encoding="utf-8")
        assert student in result.csv_rows()
        results = json.loads((out / "results" / safe_name(student) / "results.json").read_text(encoding="utf-8"))
        assert results["extra_data"]["student"] == student
        page = (out / "feedback" / f"{safe_name(student)}.html").read_text(encoding="utf-8")
        assert escape(student) in page
        assert escape(student) in (out / "class_report.html").read_text(encoding="utf-8")
    assert "<b>O" not in (out / "class_report.html").read_text(encoding="utf-8")  # escaped, never markup
    assert not list((out / "results").glob("submission*")), "reports named after the files, not the students"
    assert result.csv_rows()[ANA]["add"] == "0" and result.csv_rows()[BEN]["total"] == "9"


def test_two_hand_ins_with_one_id_are_kept_apart_and_noted(graded, tmp_path):
    result, klass, course = graded
    again = tmp_path / "again"
    shutil.copytree(klass, again)
    shutil.copy(again / "submission (1).zip", again / "submission (2).zip")
    rerun = run_grader(str(again), out=tmp_path / "out", env=course, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert set(rerun.csv_rows()) == {ANA, BEN, f"{BEN}~2"}
    assert "already taken by another submission" in rerun.block(f"{BEN}~2")
    assert "has the same student id" in rerun.block(BEN)


@pytest.mark.parametrize("bad", ["", "a/b", "a\\b", "tab\there", "x" * 65, ".."])
def test_export_refuses_an_id_that_is_not_one(tmp_path, bad, capsys):
    folder = tmp_path / "lessons"
    folder.mkdir()
    nbformat.write(fake_course.master(), folder / f"{fake_course.LESSON}.ipynb")
    with pytest.raises(ValueError):
        export.check_student_id(bad)
    export.export(folder, student=bad)
    assert "nothing was written" in capsys.readouterr().out
    assert not list(folder.glob("*.zip"))


def test_export_takes_the_environment_else_asks_once(tmp_path, monkeypatch):
    monkeypatch.setenv(export.STUDENT_ENV, "from-env")
    assert export.student_id(None, ask=lambda prompt: pytest.fail("asked despite the environment")) == "from-env"
    monkeypatch.delenv(export.STUDENT_ENV)
    asked = []
    assert export.student_id(None, ask=lambda prompt: asked.append(prompt) or " typed ") == "typed"
    assert len(asked) == 1
    assert export.student_id("given", ask=lambda prompt: pytest.fail("asked despite an argument")) == "given"


def test_the_command_line_takes_student(tmp_path):
    import sys

    folder = tmp_path / "lessons"
    folder.mkdir()
    nbformat.write(fake_course.master(), folder / f"{fake_course.LESSON}.ipynb")
    run = subprocess.run([sys.executable, "-m", "public_tests.export", str(folder), "--student", BEN],
                         capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stderr
    assert [p.name.split("-")[1] for p in folder.glob("submission-*.zip")] == [BEN]
    bad = subprocess.run([sys.executable, "-m", "public_tests.export", str(folder), "--student", "a/b"],
                         capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr


def test_a_manifest_id_the_export_would_refuse_is_not_trusted(tmp_path):
    """A hand-made manifest naming the student '../../etc': named after the file, with a note."""
    import zipfile

    from autograder import discover

    path = tmp_path / "mallory.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{fake_course.LESSON}.ipynb", nbformat.writes(fake_course.master()))
        archive.writestr("manifest.json", json.dumps({"student": "../../etc\n", "notebooks": []}))
    [submission] = discover.discover(path)
    assert submission.name == "mallory"
    assert any("student id in its manifest.json was refused" in note for note in submission.notes)


# ----------------------------------------------------------------------------- overrides

def write_overrides(path: Path, rows: list[str]) -> Path:
    path.write_text("student,exercise,points,comment\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_an_override_changes_every_report_and_survives_resume(graded, tmp_path):
    result, klass, course = graded
    out = tmp_path / "out"
    shutil.copytree(result.out, out)  # a finished run: --resume grades nothing again
    overrides = write_overrides(tmp_path / "overrides.csv", [f'"{ANA}",add,2.5,"subtraction was the task\'s typo"'])
    resumed = run_grader(str(klass), "--resume", "--overrides", str(overrides), out=out, env=course, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming: 2 of 2 student(s) already graded" in resumed.stdout
    row = resumed.csv_rows()[ANA]
    assert row["add"] == "2.5" and row["total"] == "8.5"
    assert "instructor's decision: 2.5 points (the tests gave 0)" in row["instructor_decisions"]
    results = resumed.results(safe_name(ANA))
    assert results["score"] == 8.5 == sum(t["score"] for t in results["tests"])
    [decision] = [t for t in results["tests"] if t["name"].endswith("add: instructor's decision")]
    assert decision["score"] == 2.5 and decision["max_score"] == 3 and "typo" in decision["output"]
    assert all(t["max_score"] == 0 for t in results["tests"] if " / add: " in t["name"] and t is not decision)
    assert "instructor's decision" in resumed.block(ANA)
    page = (out / "feedback" / f"{safe_name(ANA)}.html").read_text(encoding="utf-8")
    assert "2.5/3" in page and escape("instructor's decision: 2.5 points") in page
    report = (out / "class_report.html").read_text(encoding="utf-8")
    assert "Instructor's decisions" in report and "94.4 %" in report  # 8.5 / 9

    plain = run_grader(str(klass), "--resume", out=out, env=course, timeout=600)  # the file gone: the tests' score
    assert plain.returncode == 0 and plain.csv_rows()[ANA]["total"] == "6"
    assert "instructor_decisions" not in plain.csv_rows()[ANA]


def test_bad_override_rows_stop_the_run_with_one_line_each(graded, tmp_path):
    result, klass, course = graded
    overrides = write_overrides(tmp_path / "overrides.csv", [
        "nobody,add,1,", f"{BEN},no_such_exercise,1,", f"{BEN},add,4,too many", f"{BEN},add,lots,", "just-one-cell"])
    run = run_grader(str(klass), "--overrides", str(overrides), out=tmp_path / "out", env=course, timeout=600)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    lines = [line for line in run.stderr.splitlines() if line.startswith("autograder: overrides:")]
    assert len(lines) == 5, run.stderr
    for words in ("line 2: unknown student 'nobody'", "line 3: unknown exercise 'no_such_exercise'",
                  "line 4: 4 points for add is out of range (0 to 3)", "line 5: points 'lots' is not a number",
                  "line 6: expected student, exercise, points, comment"):
        assert any(words in line for line in lines), (words, lines)
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_make_grade_passes_out_resume_overrides_and_jobs():
    run = subprocess.run(["make", "-n", "grade", "SUBMISSION=hand-ins", "OUT=marks", "RESUME=1",
                          "OVERRIDES=decisions.csv", "JOBS=3"], cwd=REPO, capture_output=True, text=True)
    [command] = [line for line in run.stdout.replace("\\\n", " ").splitlines() if "-m autograder grade" in line]
    for words in ('"hand-ins"', '--out "marks"', "--resume", '--overrides "decisions.csv"', "--jobs 3"):
        assert words in command, command


def test_a_notebook_of_no_lesson_exits_with_one_line(tmp_path, course):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("print('my own notes')"))
    nbformat.write(nb, tmp_path / "notes.ipynb")
    run = run_grader(str(tmp_path / "notes.ipynb"), out=tmp_path / "out", env=course, timeout=600)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert [line for line in run.stderr.splitlines() if line.startswith("autograder:")] == [
        f"autograder: {tmp_path / 'notes.ipynb'} answers none of the course's lessons (no '# Exercise:' cell of a "
        "lesson, no NN_ lesson prefix): nothing to grade"]

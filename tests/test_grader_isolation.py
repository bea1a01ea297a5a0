"""The grader against hostile and broken submissions, on a tiny fake course (no training).

Each hostile student breaks only the exercise `add`: whatever it does (exit,
hang, crash, eat memory, print fake results), `add` scores 0 with a clear
message and the other exercises keep full marks. Broken or missing notebooks
cost their lesson only and never produce a traceback. All students are graded
in one run of the command line (two at a time), as `make grade` would.
"""

from __future__ import annotations

import json
import os

from autograder.quick_nbformat import nbformat
import pytest

import fake_course
from grader_helpers import run_grader

TIMEOUT = 5      # CPU seconds per exercise for this run (the fake exercises need well under 1 s)
IDLE = 3         # seconds of computing nothing before a sleeper is stopped (the default, 10 s, is for real courses)
MEMORY_MB = 1500

HOSTILE = {
    "wrong": ("def add(a, b):\n    return a - b", "should be"),
    "sys_exit": ("def add(a, b):\n    import sys\n    sys.exit(3)", "your code called sys.exit(3)"),
    "os_exit": ("import os\nos._exit(1)", "the Python process ended (exit code 1)"),
    "endless_loop": ("def add(a, b):\n    while True:\n        pass", "s of computing, the time limit per exercise"),
    "sleeps_forever": ("def add(a, b):\n    import time\n    time.sleep(10**6)", f"computed nothing for {IDLE} s"),
    "huge_allocation": ("def add(a, b):\n    block = bytearray(20 * 2**30)\n    return a + b",
                        "ran out of memory (MemoryError)"),
    "growing_memory": ("def add(a, b):\n    chunks = []\n    while True:\n        chunks.append(b'x' * (50 * 2**20))",
                       f"used more than {MEMORY_MB} MB of memory"),
    "syntax_error": ("def add(a, b)\n    return a + b", "syntax error in your cell, line 2"),
    "raises_at_definition": ("raise ValueError('boom')", "ValueError: boom (your cell 'add', line 2"),
    "segfault": ("import ctypes\nctypes.string_at(0)", "crashed (SIGSEGV)"),
    "keyboard_interrupt": ("def add(a, b):\n    raise KeyboardInterrupt", "interrupted"),
    "not_implemented": ("def add(a, b):\n    raise NotImplementedError('yours')", "not implemented"),
    # Printing what looks like the worker's records must not count: scores come from the grader's own plan.
    "prints_fake_results": ("import sys\nfor s in (sys.stdout, sys.stderr):\n"
                            "    print('{\"kind\": \"test\", \"nodeid\": \"x\", \"outcome\": \"passed\"}', file=s)\n"
                            "def add(a, b):\n    return 0", "should be"),
}


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    root = fake_course.make(tmp_path_factory.mktemp("fake_course"))
    return root, fake_course.env(root)


@pytest.fixture(scope="module")
def graded(fake, tmp_path_factory):
    root, env = fake
    students = tmp_path_factory.mktemp("students")

    def put(name, nb):
        (students / name).mkdir()
        nbformat.write(nb, students / name / f"{fake_course.LESSON}.ipynb")

    put("reference", fake_course.master())
    for name, (source, _) in HOSTILE.items():
        put(name, fake_course.with_cell("add", source))
    no_scale = fake_course.master()
    no_scale.cells = [c for c in no_scale.cells if not c.source.startswith("# Exercise: scale")]
    put("deleted_cell", no_scale)
    (students / "empty_folder").mkdir()
    (students / "not_json").mkdir()
    (students / "not_json" / f"{fake_course.LESSON}.ipynb").write_text("this is not JSON {")
    (students / "loose.ipynb").write_text(nbformat.writes(fake_course.with_cell("add", "def add(a, b):\n    return a + b")))
    (students / "unrelated.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook()))
    return run_grader(str(students), "--jobs", "2", "--timeout-per-exercise", str(TIMEOUT), "--idle-seconds", str(IDLE),
                      "--memory-mb", str(MEMORY_MB), out=tmp_path_factory.mktemp("out"), env=env)


def test_the_run_succeeds_without_a_traceback(graded):
    assert graded.returncode == 0, graded.stderr[-3000:]
    assert "Traceback" not in graded.stdout and "Traceback" not in graded.stderr


def test_the_reference_gets_full_marks(graded):
    assert graded.exercise_scores("reference") == {"add": (3, 3), "scale": (3, 3), "counter": (3, 3)}
    assert graded.csv_rows()["reference"]["percent"] == "100.0"


@pytest.mark.parametrize("student", sorted(HOSTILE))
def test_a_hostile_cell_costs_only_its_exercise(graded, student):
    scores = graded.exercise_scores(student)
    assert scores["add"] == (0, 3)
    assert scores["scale"] == (3, 3) and scores["counter"] == (3, 3)
    expected = HOSTILE[student][1]
    block = graded.block(student)
    assert expected in block, block
    failed = [t for t in graded.results(student)["tests"] if t["status"] == "failed"]
    assert failed and all(" / add:" in t["name"] for t in failed)
    assert any(expected in t["output"] for t in failed)


def test_not_implemented_is_one_line(graded):
    lines = [line.strip() for line in graded.block("not_implemented").splitlines()]
    assert lines.count("- not implemented") == 1


def test_a_deleted_exercise_cell(graded):
    assert graded.exercise_scores("deleted_cell") == {"add": (3, 3), "scale": (0, 3), "counter": (3, 3)}
    assert "no cell starting with '# Exercise: scale'" in graded.block("deleted_cell")


@pytest.mark.parametrize("student, message", [
    ("empty_folder", "no notebook for lesson 01_fake was found in the submission"),
    ("not_json", "01_fake.ipynb is not a readable Jupyter notebook"),
])
def test_a_missing_or_unreadable_notebook_costs_its_lesson(graded, student, message):
    assert graded.exercise_scores(student) == {"add": (0, 3), "scale": (0, 3), "counter": (0, 3)}
    block = graded.block(student)
    assert block.count(message) == 3, block  # one line per exercise
    assert graded.csv_rows()[student]["total"] == "0"


def test_a_loose_notebook_is_a_student_and_an_unrelated_one_is_ignored(graded):
    assert graded.csv_rows()["loose"]["percent"] == "100.0"
    assert graded.csv_rows()["unrelated"]["max"] == "0"
    assert "ignored unrelated.ipynb: it answers none of the course's lessons" in graded.block("unrelated")


def test_grades_csv_has_a_row_per_student_and_a_column_per_exercise(graded):
    rows = graded.csv_rows()
    assert set(rows) >= {"reference", "empty_folder", "not_json", *HOSTILE}
    header = list(next(iter(rows.values())))
    assert header == ["student", "add", "scale", "counter", "total", "max", "percent"]
    for row in rows.values():
        if row["max"] != "0":
            parts = float(row["add"]) + float(row["scale"]) + float(row["counter"])
            assert parts == float(row["total"])
            assert float(row["percent"]) == pytest.approx(100 * float(row["total"]) / float(row["max"]), abs=0.05)


def test_results_json_follows_gradescope(graded):
    for student in ("reference", "wrong", "empty_folder"):
        results = graded.results(student)
        assert isinstance(results["score"], float) and isinstance(results["execution_time"], float)
        assert isinstance(results["output"], str)
        assert results["score"] == sum(t["score"] for t in results["tests"])
        for test in results["tests"]:
            assert set(test) >= {"name", "score", "max_score", "output", "visibility"}
            assert test["visibility"] in ("visible", "hidden", "after_due_date", "after_published")
            assert 0 <= test["score"] <= test["max_score"]
        json.dumps(results)  # plain JSON types only


def test_student_output_goes_to_the_log_not_the_summary(graded):
    log = graded.out / "logs" / "prints_fake_results" / "01_fake.add.log"  # the student's own output
    assert '"outcome": "passed"' in log.read_text()
    assert '"outcome": "passed"' not in graded.stdout


def test_a_single_notebook_is_graded_on_its_lesson(fake, tmp_path):
    root, env = fake
    notebook = tmp_path / "bob.ipynb"
    nbformat.write(fake_course.with_cell("counter", "class Counter:\n    pass"), notebook)
    graded = run_grader(str(notebook), "--exercise", "counter", out=tmp_path / "out", env=env)
    assert graded.returncode == 0, graded.stderr
    assert graded.exercise_scores("bob") == {"counter": (0, 3)}
    assert "AttributeError" in graded.block("bob") or "takes no arguments" in graded.block("bob")


def test_spawned_workers_grade_the_same(fake, tmp_path):
    """--spawn (a fresh interpreter per exercise) gives the same verdicts as forking."""
    root, env = fake
    notebook = tmp_path / "carol.ipynb"
    nbformat.write(fake_course.with_cell("add", "def add(a, b):\n    return a - b"), notebook)
    graded = run_grader(str(notebook), "--spawn", "--exercise", "add",
                        out=tmp_path / "out", env=env)
    assert graded.returncode == 0, graded.stderr
    assert graded.exercise_scores("carol") == {"add": (0, 3)}
    assert "should be" in graded.block("carol")


@pytest.mark.parametrize("make_path, message", [
    (lambda p: p / "missing", "no such file or folder"),
    (lambda p: (p / "notes.txt").write_text("x") and p / "notes.txt", "not a notebook"),
])
def test_a_path_the_grader_cannot_use_exits_2_with_a_message(fake, tmp_path, make_path, message):
    root, env = fake
    graded = run_grader(str(make_path(tmp_path)), out=tmp_path / "out", env=env)
    assert graded.returncode == 2
    assert message in graded.stderr and "Traceback" not in graded.stderr


def test_an_empty_folder_of_submissions(fake, tmp_path):
    root, env = fake
    (tmp_path / "class").mkdir()
    graded = run_grader(str(tmp_path / "class"), out=tmp_path / "out", env=env)
    assert graded.returncode == 0, graded.stderr
    assert "no submissions were graded" in graded.stdout
    assert graded.csv_rows() == {}


def test_broken_hidden_tests_stop_the_grader(fake, tmp_path):
    """An instructor's mistake is not a student's zero: exit 2 and say what is wrong."""
    root, env = fake
    broken = tmp_path / "hidden"
    broken.mkdir()
    (broken / "conftest.py").write_text(fake_course.CONFTEST)
    (broken / f"test_{fake_course.LESSON}.py").write_text("import no_such_module\n")
    graded = run_grader(str(root / "solutions"), out=tmp_path / "out", env=dict(env, AUTOGRADER_HIDDEN_TESTS=str(broken)))
    assert graded.returncode == 2
    assert "could not be collected" in graded.stderr and "no_such_module" in graded.stderr


def test_a_run_stopped_part_way_finishes_with_resume(fake, tmp_path):
    """Kill the grader after the first student is written; --resume grades only the rest."""
    import signal
    import subprocess
    import sys
    import time

    root, env = fake
    students = tmp_path / "class"
    for name, source in (("anna", "def add(a, b):\n    return a + b"),
                         ("ben", "def add(a, b):\n    import time\n    time.sleep(10**6)")):
        (students / name).mkdir(parents=True)
        nbformat.write(fake_course.with_cell("add", source), students / name / f"{fake_course.LESSON}.ipynb")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "autograder", "grade", str(students), "--jobs", "1", "--out", str(out)]
    grader = subprocess.Popen(command, cwd=fake_course.REPO, env=dict(env, COURSE_MODE="fast"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while not (out / "progress" / "anna.json").exists():
        assert grader.poll() is None and time.monotonic() < deadline, "anna was never written"
        time.sleep(0.2)
    os.killpg(grader.pid, signal.SIGKILL)
    grader.wait()
    assert (out / "results" / "anna" / "results.json").exists()
    assert not (out / "results" / "ben" / "results.json").exists()
    # Ben hands in a quick wrong answer meanwhile: the rest of the run need not wait for his sleep.
    nbformat.write(fake_course.with_cell("add", "def add(a, b):\n    return 0"), students / "ben" / f"{fake_course.LESSON}.ipynb")
    again = run_grader(str(students), "--jobs", "1", "--resume", out=out, env=env)
    assert again.returncode == 0, again.stderr
    assert "resuming: 1 of 2 student(s) already graded" in again.stdout
    assert again.exercise_scores("anna") == {"add": (3, 3), "scale": (3, 3), "counter": (3, 3)}
    assert again.exercise_scores("ben")["add"] == (0, 3)
    # A changed notebook is graded again, not taken from the saved result; ben's is unchanged now.
    nbformat.write(fake_course.with_cell("add", "def add(a, b):\n    return 0"), students / "anna" / f"{fake_course.LESSON}.ipynb")
    third = run_grader(str(students), "--jobs", "1", "--resume", out=out, env=env)
    assert "resuming: 1 of 2" in third.stdout and third.exercise_scores("anna")["add"] == (0, 3)
    assert third.exercise_scores("ben")["add"] == (0, 3)


def test_feedback_pages_show_every_picture_and_each_decodes(graded):
    """The HTML pages (one per student, one for the class) carry the judge's pictures as PNGs that open."""
    import base64
    import io
    import re

    from PIL import Image

    page = (graded.out / "feedback" / "reference.html").read_text()
    report = (graded.out / "class_report.html").read_text()
    assert "reference.html" in report and "add" in report
    images = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page)
    assert images, "the reference's page shows what its answer drew"
    for encoded in images + re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", report):
        picture = Image.open(io.BytesIO(base64.b64decode(encoded)))
        picture.load()
        assert picture.size[0] >= 8
    drawn = [t for t in graded.results("reference")["tests"] if t["name"].endswith("what your model drew")]
    assert drawn and drawn[0]["output_format"] == "html" and "data:image/png;base64," in drawn[0]["output"]
    assert drawn[0]["max_score"] == 0


def test_a_relative_out_folder_works_as_make_grade_passes_it(fake, tmp_path):
    """`make grade` passes --out grading-output: judges work in folders of their own, so the grader must resolve it."""
    import subprocess
    import sys

    root, env = fake
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(root / "solutions"), "--out", "relative-out"],
                         cwd=tmp_path, env=dict(env, COURSE_MODE="fast", PYTHONPATH=str(fake_course.REPO)),
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "100.0 %" in run.stdout and "could not start the contestant" not in run.stdout, run.stdout

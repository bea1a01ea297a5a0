"""A later lesson runs the student's own earlier answers (aecourse.earlier), and the grader never does.

The student's side runs on the fake course's lesson (no TensorFlow): their saved
notebook's exercise cells are used when they work, and each that is missing, broken,
a stub or misnamed falls back to the reference with a line saying why. The grader's
side: a cell that reuses earlier exercises is replaced by the earlier master's
reference cells, on the real course and in a whole grading run of a two-lesson fake
course whose student sabotages their earlier notebook.
"""

from __future__ import annotations

import re

import pytest

import fake_course
from aecourse import earlier
from aecourse.earlier import answers_from_lesson
from aecourse.exercises import ExerciseNotDone
from autograder.assign import student_version
from autograder.notebooks import contestant_sources, exercise_cells, lesson_named, read_notebook, setup_cells
from autograder.quick_nbformat import nbformat
from grader_helpers import run_grader
from public_tests import graded_cell

LESSON = fake_course.LESSON  # "01_fake": exercises add, scale, counter
REUSED = ("add", "counter")


@pytest.fixture
def course(tmp_path, monkeypatch):
    """The fake lesson's master as the course's reference; returns the student's folder."""
    reference = tmp_path / "solutions"
    reference.mkdir()
    nbformat.write(fake_course.master(), reference / f"{LESSON}.ipynb")
    monkeypatch.setattr(earlier, "REFERENCE_FOLDERS", (reference,))
    student = tmp_path / "lessons"
    student.mkdir()
    return student


def save(folder, nb) -> None:
    nbformat.write(nb, folder / f"{LESSON}.ipynb")


def run(folder, capsys, *exercises: str) -> tuple[dict, str]:
    namespace = {"FACTOR": 2}
    answers_from_lesson(LESSON, *(exercises or REUSED), into=namespace, folder=folder)
    return namespace, capsys.readouterr().out


def whose(namespace: dict, symbol: str) -> str:
    """ "yours" or "reference", from the file name the answer's code was compiled under."""
    value = namespace[symbol]
    code = value.__code__ if callable(value) and hasattr(value, "__code__") else value.up.__code__
    return {f"<{LESSON}.ipynb: {symbol.lower()}>": "yours", f"<reference {LESSON}: {symbol.lower()}>": "reference"}[
        code.co_filename]


def test_the_students_own_answers_are_used_and_named(course, capsys):
    save(course, fake_course.with_cell("add", "def add(a, b):\n    return a + b + 0 * FACTOR"))
    namespace, out = run(course, capsys)
    assert whose(namespace, "add") == "yours" and whose(namespace, "Counter") == "yours"
    assert namespace["add"](2, 3) == 5 and namespace["Counter"](4).up() == 5
    assert re.fullmatch(r"lesson 1: your own `add`, `Counter`, from 01_fake\.ipynb \(saved [-\d: ]+\)\.\n", out), out
    assert "⚠" not in out


def test_an_answer_that_uses_an_earlier_one_sees_the_students_own(course, capsys):
    save(course, fake_course.with_cell("add", "def add(a, b):\n    return 100"))
    namespace, out = run(course, capsys, "add", "scale")
    assert namespace["scale"](1) == 100  # the student's scale calls the student's add, as pasted cells would


def test_a_missing_earlier_notebook_falls_back_to_the_reference_with_a_message(course, capsys):
    namespace, out = run(course, capsys)
    assert whose(namespace, "add") == "reference" and whose(namespace, "Counter") == "reference"
    assert namespace["add"](2, 3) == 5
    assert out.startswith(f"⚠ 01_fake.ipynb was not found in {course}: this lesson uses the course's reference "
                          "answers for `add`, `Counter` (save your lesson-1 notebook there")
    assert "your own" not in out


@pytest.mark.parametrize("source, message", [
    ("def add(a, b):\n    return a + b\nraise ValueError('boom')",
     "your cell in 01_fake.ipynb raised ValueError: boom (line 4)"),
    ("def add(a, b)\n    return a + b", "your cell in 01_fake.ipynb has a syntax error (line 2)"),
    ("def plus(a, b):\n    return a + b", "your cell in 01_fake.ipynb defines no function or class named `add`"),
])
def test_a_broken_earlier_cell_falls_back_alone_and_says_why(course, capsys, source, message):
    save(course, fake_course.with_cell("add", source))
    namespace, out = run(course, capsys)
    assert whose(namespace, "add") == "reference" and namespace["add"](2, 3) == 5
    assert whose(namespace, "Counter") == "yours"
    lines = out.splitlines()
    assert lines[0].startswith("lesson 1: your own `Counter`, from 01_fake.ipynb")
    assert lines[1].startswith(f"⚠ `add`: {message}")
    assert lines[1].endswith("this lesson uses the course's reference answer instead (fix it in lesson 1, save, "
                             "and run this cell again).")


def test_unfinished_stubs_fall_back_in_one_line(course, capsys):
    save(course, student_version(fake_course.master()))
    namespace, out = run(course, capsys)
    assert whose(namespace, "add") == "reference" and whose(namespace, "Counter") == "reference"
    assert out == ("⚠ `add`, `Counter`: your cells in 01_fake.ipynb are still the lesson's stubs; this lesson "
                   "uses the course's reference answers instead (fix them in lesson 1, save, and run this cell "
                   "again).\n")


def test_a_deleted_cell_and_an_unreadable_notebook_fall_back(course, capsys):
    nb = fake_course.master()
    nb.cells = [c for c in nb.cells if not c.source.startswith("# Exercise: add")]
    save(course, nb)
    namespace, out = run(course, capsys)
    assert whose(namespace, "add") == "reference" and whose(namespace, "Counter") == "yours"
    assert "⚠ `add`: 01_fake.ipynb has no cell starting with `# Exercise: add`" in out
    (course / f"{LESSON}.ipynb").write_text("{ not json")
    namespace, out = run(course, capsys)
    assert whose(namespace, "add") == "reference"
    assert out.startswith("⚠ 01_fake.ipynb could not be read as a notebook (JSONDecodeError)")


def test_without_a_reference_it_stops_and_says_what_to_do(course, capsys, monkeypatch):
    monkeypatch.setattr(earlier, "REFERENCE_FOLDERS", ())
    save(course, fake_course.with_cell("add", "raise ValueError('boom')"))
    with pytest.raises(ExerciseNotDone) as caught:
        run(course, capsys)
    message = str(caught.value)
    assert "raised ValueError: boom" in message and "no reference answer for `add`" in message
    assert "fix your lesson-1 notebook, save it beside this one as 01_fake.ipynb" in message


def test_the_course_finds_its_own_reference_answers():
    master = read_notebook(lesson_named("04_vae").master)
    assert set(earlier._reference_sources("04_vae")) == set(exercise_cells(master))


def test_check_sees_what_a_reuse_cell_gives():
    """check() rebuilds the grader's namespace in the kernel: the reused functions and classes are in it."""
    source = "# From lesson 04: sampling, kl_divergence, vae\nfrom aecourse.earlier import answers_from_lesson\n"
    kernel = {"Sampling": 1, "kl_divergence": 2, "VAE": 3, "CVAE": 4}
    assert graded_cell.reused_symbols(source, kernel) == {"Sampling", "kl_divergence", "VAE"}
    assert graded_cell.reused_symbols("from x import y\n", kernel) == set()


# ----------------------------------------------------------------------------- the grader's side


def test_the_grader_runs_the_earlier_reference_cells_instead_of_the_reuse_cell():
    reference = exercise_cells(read_notebook(lesson_named("04_vae").master))
    student = exercise_cells(read_notebook(lesson_named("06_cvae").master))
    sources = [source for _, source in contestant_sources(lesson_named("06_cvae"), student, "cvae")]
    assert not any("answers_from_lesson" in source for source in sources)
    for name in ("sampling", "kl_divergence", "reconstruction_loss"):
        assert reference[name] in sources
    assert reference["vae"] not in sources  # only what the cell names
    # Lesson 5's reuse cell names six of lesson 4's exercises (not active_dimensions): their cells, in that order.
    named = ("sampling", "kl_divergence", "reconstruction_loss", "build_encoder", "build_decoder", "vae")
    assert setup_cells(read_notebook(lesson_named("05_latent_space").master))[1:] == [reference[n] for n in named]


TWO_LESSONS_SETUP = "FACTOR = 2\n"
REUSE_CELL = ('# From lesson 01: add\nfrom aecourse.earlier import answers_from_lesson\n\n'
              'answers_from_lesson("01_fake", "add", into=globals())')
TWICE = ('# Exercise: twice\ndef twice(x):\n    """add(x, x)."""\n'
         '    ### BEGIN SOLUTION\n    return add(x, x)\n    ### END SOLUTION')
TWICE_TESTS = '''
from autograder.testing import points


class TestTwice:
    exercise = "twice"

    @points(3)
    def test_twice(self, student):
        assert student.twice(21) == 42, "twice(21) should be 42"
'''


def second_lesson() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    for source, tags in ((TWO_LESSONS_SETUP, ["setup"]), (REUSE_CELL, ["setup"]), (TWICE, []),
                         ('check("twice")', ["check"])):
        cell = nbformat.v4.new_code_cell(source)
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
    return nb


def test_a_sabotaged_earlier_notebook_costs_only_its_own_lesson(tmp_path):
    """Lesson 02 reuses lesson 01's `add`. The student's lesson-01 notebook answers `add` wrongly and
    kills any process that runs it; their lesson-02 notebook replaces the reuse cell with the same.
    Grading lesson 02's `twice` must run neither: full marks there, 0 for `add` only."""
    root = fake_course.make(tmp_path / "course")
    nbformat.write(second_lesson(), root / "solutions" / "02_fake.ipynb")
    (root / "hidden_tests" / "test_02_fake.py").write_text(TWICE_TESTS)
    student = tmp_path / "class" / "mallory"
    student.mkdir(parents=True)
    nbformat.write(fake_course.with_cell("add", "import os\nos._exit(7)"), student / "01_fake.ipynb")
    mine = second_lesson()
    mine.cells[1].source = "# From lesson 01: add\nimport os\nos._exit(7)"
    nbformat.write(mine, student / "02_fake.ipynb")
    graded = run_grader(str(tmp_path / "class"), "--jobs", "1", out=tmp_path / "out", env=fake_course.env(root))
    assert graded.returncode == 0, graded.stderr[-3000:]
    assert graded.exercise_scores("mallory") == {"add": (0, 3), "scale": (3, 3), "counter": (3, 3), "twice": (3, 3)}
    assert graded.results("mallory")["score"] == 9

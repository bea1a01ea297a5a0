"""The similarity scorer, and the instructor's note for a cell pasted from the course's own answers.

``autograder.similarity`` on fixed sources: renamed, reordered, commented and
reformatted copies score high, unrelated code low. ``autograder.library_copies``
on the real course: a ``rasterize_strokes`` cell that is the body of
``aecourse.quickdraw.rasterize`` gets a note naming it; the reference solution,
honest answers written from the lesson's rule and the planted bugs get no note
about the library. End to end, on the fake course whose hidden tests declare a
library answer: the note reaches summary.txt, results.json (``extra_data``, which
students do not see), the feedback page and the class report, and the grade
stays what the tests give.
"""

from __future__ import annotations

import ast
import textwrap
from html import escape
from pathlib import Path

from autograder.quick_nbformat import nbformat
import pytest

import fake_course
from autograder import library_copies
from autograder.notebooks import REPO, exercise_cells, read_notebook
from autograder.similarity import containment, normalise, similarity
from grader_helpers import run_grader
from planted import planted_bugs

ORIGINAL = '''
def unpack(stream):
    """Read one record."""
    header = stream.read(17)
    if len(header) < 17:
        raise EOFError("short header")
    key, count = struct.unpack("<QH", header[:10])
    items = []
    for _ in range(count):
        (n,) = struct.unpack("<H", stream.read(2))
        items.append(np.frombuffer(stream.read(n), dtype=np.uint8))
    return key, items


def total(values, scale=2):
    result = 0
    for value in values:
        if value > 0:
            result += value * scale
    return result
'''

# Every name the code binds changed, comments and a docstring added, layout and literals changed.
RENAMED = '''
def read_record(f):
    # my own reader
    h = f.read(17)   # the header
    if len(h) < 17:
        raise EOFError('truncated!')
    k, c = struct.unpack('<QH', h[:10])
    out = []
    for i in range(c):
        (length,) = struct.unpack('<H', f.read(2))
        out.append(
            np.frombuffer(f.read(length), dtype=np.uint8)
        )
    return k, out


def add_up(xs, factor=3):
    """Adds up."""
    acc = 0
    for x in xs:
        if x > 0:
            acc += x * factor
    return acc
'''

UNRELATED = '''
class Queue:
    def __init__(self):
        self.items = {}

    def push(self, key, value):
        self.items.setdefault(key, []).append(value)
        return len(self.items)

    def pop(self, key):
        return self.items[key].pop(0) if self.items.get(key) else None
'''


def _reordered(source: str) -> str:
    first, second = source.strip().split("\n\n\n")
    return second + "\n\n\n" + first


def test_a_renamed_commented_reformatted_copy_scores_one():
    assert similarity(ORIGINAL, RENAMED) == pytest.approx(1.0)


def test_a_reordered_copy_scores_high():
    assert similarity(ORIGINAL, _reordered(RENAMED)) >= 0.95


def test_unrelated_code_scores_low():
    assert similarity(ORIGINAL, UNRELATED) <= 0.2


def test_an_edited_copy_scores_between():
    edited = RENAMED.replace("        if x > 0:\n            acc += x * factor\n", "        acc -= x\n")
    assert 0.6 <= similarity(ORIGINAL, edited) < 0.97


def test_containment_finds_a_copy_inside_a_longer_source():
    part = ORIGINAL.split("\n\n\n")[1]
    assert containment(part, ORIGINAL + UNRELATED) == pytest.approx(1.0)
    assert similarity(part, ORIGINAL + UNRELATED) < 0.5


def test_sources_that_do_not_parse_are_still_compared():
    broken = RENAMED + "\ndef half_written(:\n"
    assert not normalise(broken).parsed
    assert similarity(ORIGINAL, broken) >= 0.8
    for hostile in ("\0\0def f(:", "(" * 2000 + ")" * 2000, "x = '''", "\udcff = 1", ""):
        assert 0.0 <= similarity(hostile, ORIGINAL) <= 1.0


# -- the course library's own answers, on the real course

MASTER = REPO / "solutions" / "01_quickdraw.ipynb"
LIBRARY = REPO / "aecourse" / "quickdraw.py"


def _library_function(name: str) -> str:
    source = LIBRARY.read_text(encoding="utf-8")
    node = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == name)
    return ast.get_source_segment(source, node)


def pasted_rasterizer() -> str:
    """A rasterize_strokes cell that is the library's rasterizer, renamed, with what it needs imported."""
    return ("# Exercise: rasterize_strokes\nimport math\nfrom aecourse.quickdraw import Drawing, _as_coords\n\n\n"
            + _library_function("rasterize").replace("def rasterize(", "def rasterize_strokes(", 1))


HONEST_NUMPY = '''# Exercise: rasterize_strokes
def rasterize_strokes(strokes, size=32, line_width=2):
    img = np.zeros((size, size), dtype=np.float32)
    for xs, ys in strokes:
        px = np.asarray(xs, dtype=np.int64) * size // 256
        py = np.asarray(ys, dtype=np.int64) * size // 256
        if len(px) == 1:
            img[py[0]:py[0] + line_width, px[0]:px[0] + line_width] = 1.0
        for x0, y0, x1, y1 in zip(px[:-1], py[:-1], px[1:], py[1:]):
            n = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
            t = np.arange(n) / (n - 1) if n > 1 else np.zeros(1)
            for x, y in zip(np.floor(x0 + t * (x1 - x0) + 0.5).astype(int), np.floor(y0 + t * (y1 - y0) + 0.5).astype(int)):
                img[y:y + line_width, x:x + line_width] = 1.0
    return img
'''

STUDENT_NOTEBOOK = Path("/nonexistent/student/01_quickdraw.ipynb")   # not the master: the master is compared too


def test_a_pasted_library_rasterizer_gets_a_note_naming_it():
    # Its speed is a benchmark's business, not this test's: under CI's load this call once took 25 s.
    [note] = library_copies.notes("01_quickdraw", "rasterize_strokes", pasted_rasterizer(), STUDENT_NOTEBOOK)
    assert "matches the course library's own aecourse.quickdraw.rasterize (similarity 0.9" in note, note
    assert "not a penalty" in note


def test_a_pasted_library_reader_under_a_wrapper_gets_a_note_naming_it():
    cell = ("# Exercise: unpack_drawing\nfrom aecourse.quickdraw import _COUNT, _HEADER, Drawing, _header_problem, "
            "_points_problem, _truncated, _truncated_header\n\n\ndef unpack_drawing(stream):\n"
            "    found = _read_one(stream, '<stream>', 0, 0, False)\n    return None if found is None else found[0]\n\n\n"
            + _library_function("_read_one"))
    [note] = library_copies.notes("01_quickdraw", "unpack_drawing", cell, STUDENT_NOTEBOOK)
    assert "aecourse.quickdraw._read_one (similarity 0.9" in note, note


def test_the_library_helpers_pasted_along_do_not_hide_the_paste():
    cell = pasted_rasterizer().replace("from aecourse.quickdraw import Drawing, _as_coords",
                                       "from aecourse.quickdraw import Drawing\n\n\n" + _library_function("_as_coords"))
    [note] = library_copies.notes("01_quickdraw", "rasterize_strokes", cell, STUDENT_NOTEBOOK)
    assert "aecourse.quickdraw.rasterize" in note


def test_the_reference_and_honest_answers_get_no_note_about_the_library():
    master_cells = exercise_cells(read_notebook(MASTER))
    for exercise in ("unpack_drawing", "rasterize_strokes"):
        notes = library_copies.notes("01_quickdraw", exercise, master_cells[exercise], STUDENT_NOTEBOOK)
        assert not any("course library" in n for n in notes), notes
        assert any("reference solution's cell (similarity 1.00)" in n for n in notes), notes
        assert library_copies.notes("01_quickdraw", exercise, master_cells[exercise], MASTER) == []
    assert library_copies.notes("01_quickdraw", "rasterize_strokes", HONEST_NUMPY, STUDENT_NOTEBOOK) == []


@pytest.mark.parametrize("bug", [b for b in planted_bugs() if b[0] == "01_quickdraw"], ids=lambda b: f"{b[1]}.{b[2]}")
def test_planted_bugs_are_not_taken_for_library_pastes(bug):
    lesson, exercise, _index, _why, source = bug
    notes = library_copies.notes(lesson, exercise, source, STUDENT_NOTEBOOK)
    assert not any("course library" in n for n in notes), notes


def test_an_exercise_without_a_library_answer_is_not_compared():
    assert library_copies.notes("04_vae", "sampling", pasted_rasterizer(), STUDENT_NOTEBOOK) == []


# -- end to end on the fake course, whose hidden tests say `add` is answered by the library's rasterizer

HONEST_ADD = "# Exercise: add\ndef add(a, b):\n    total = a\n    total += b\n    return total\n"
PASTER_CELL = "# Exercise: add\n" + _library_function("rasterize") + "\n\n\ndef add(a, b):\n    return a + b\n"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = fake_course.make(tmp_path_factory.mktemp("fake_course"))
    hidden = root / "hidden_tests" / f"test_{fake_course.LESSON}.py"
    hidden.write_text(hidden.read_text() + textwrap.dedent('''
        DELEGATES = {"add": {"aecourse.quickdraw": ["rasterize"]}}
        '''))
    students = tmp_path_factory.mktemp("students")
    for name, nb in (("honest", fake_course.with_cell("add", HONEST_ADD)), ("paster", fake_course.with_cell("add", PASTER_CELL))):
        (students / name).mkdir()
        nbformat.write(nb, students / name / f"{fake_course.LESSON}.ipynb")
    graded = run_grader(str(students), "--jobs", "2",
                        out=tmp_path_factory.mktemp("out"), env=fake_course.env(root), timeout=600)
    assert graded.returncode == 0, graded.stderr[-3000:]
    return graded


def test_the_note_reaches_every_report_and_the_grade_is_the_tests(graded):
    expected = "the cell matches the course library's own aecourse.quickdraw.rasterize (similarity 0.9"
    block = graded.block("paster")
    assert "for the instructor: 01_fake / add: " + expected in block, block
    assert expected in (graded.out / "summary.txt").read_text(encoding="utf-8")
    results = graded.results("paster")
    assert any(expected in note for note in results["extra_data"]["instructor_notes"])
    assert expected not in results["output"]          # the students' part of results.json
    assert escape(expected) in (graded.out / "feedback" / "paster.html").read_text(encoding="utf-8")
    assert escape(expected) in (graded.out / "class_report.html").read_text(encoding="utf-8")
    assert graded.exercise_scores("paster") == {"add": (3, 3), "scale": (3, 3), "counter": (3, 3)}


def test_an_honest_student_gets_no_note(graded):
    assert "for the instructor" not in graded.block("honest")
    assert graded.results("honest")["extra_data"]["instructor_notes"] == []
    assert graded.results("honest")["score"] == 9

"""A tiny course (one lesson, three exercises, no TensorFlow) for testing the grader itself.

Grading it takes seconds, so hostile submissions (exits, hangs, huge
allocations, broken files) can each be tried without training anything.
``env(root)`` points the grader at it (AUTOGRADER_SOLUTIONS, AUTOGRADER_HIDDEN_TESTS).
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

from autograder.quick_nbformat import nbformat

REPO = Path(__file__).resolve().parent.parent
LESSON = "01_fake"

SETUP = "import math\n\nFACTOR = 2\n"

CELLS = {
    "add": '''# Exercise: add
def add(a, b):
    """The sum of a and b."""
    ### BEGIN SOLUTION
    return a + b
    ### END SOLUTION
''',
    # Uses the exercise above: graded with the reference `add`, whatever the student's `add` does.
    "scale": '''# Exercise: scale
def scale(x):
    """FACTOR times x."""
    ### BEGIN SOLUTION
    return add(FACTOR * x, 0)
    ### END SOLUTION
''',
    "counter": '''# Exercise: counter
class Counter:
    """Counts up from a start value."""

    def __init__(self, start=0):
        ### BEGIN SOLUTION
        self.value = start
        ### END SOLUTION

    def up(self):
        ### BEGIN SOLUTION
        self.value += 1
        return self.value
        ### END SOLUTION
''',
}

HIDDEN_TESTS = '''
import secrets

import numpy as np

from autograder import pictures
from autograder.testing import once_per_run, points

# Inputs are drawn by the judge at grading time: an answer written down in
# advance from reading these tests (they are public) cannot match them.


def _small():
    return secrets.randbelow(100)


class TestAdd:
    exercise = "add"

    @points(2)
    def test_small_numbers(self, student):
        """adds small numbers"""
        a, b = _small(), _small()
        got = student.add(a, b)
        if isinstance(got, (int, float)):  # a picture of the answer, drawn here in the judge
            pictures.record("add", "the sum as a grey level", np.full((8, 8), min(abs(got), 200) / 200))
        assert got == a + b, f"add({a}, {b}) should be {a + b}"

    @points(1)
    def test_negative_numbers(self, student):
        a, b = -1 - _small(), -1 - _small()
        assert student.add(a, b) == a + b


class TestScale:
    exercise = "scale"

    @points(3)
    def test_scale(self, student):
        x = _small()
        # A value the judges of a run share (a real course's trained baseline): here 0, unless
        # a student could reach the grader's run folder and change it for everyone.
        offset = once_per_run("shared_offset", lambda: 0)
        assert student.scale(x) == 2 * x + offset, f"scale({x}) should be {2 * x + offset}"


class TestCounter:
    exercise = "counter"

    @points(1)
    def test_start(self, student):
        start = _small()
        assert student.Counter(start).value == start

    @points(2)
    def test_up(self, student):
        start = _small()
        counter = student.Counter(start)
        assert counter.up() == start + 1 and counter.up() == start + 2, "up() should count up by one"
'''

CONFTEST = "from autograder.testing import reference, student  # noqa: F401\n"


def master() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# A fake lesson"))
    setup = nbformat.v4.new_code_cell(SETUP)
    setup.metadata["tags"] = ["setup"]
    nb.cells.append(setup)
    for name, source in CELLS.items():
        nb.cells.append(nbformat.v4.new_code_cell(source.rstrip("\n")))
        check = nbformat.v4.new_code_cell(f'check("{name}")')
        check.metadata["tags"] = ["check"]
        nb.cells.append(check)
    # A "training" cell the grader must never run.
    nb.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('the grader ran a training cell')"))
    return nb


def make(root: Path) -> Path:
    """Write the fake masters and hidden tests under ``root``; returns root."""
    (root / "solutions").mkdir(parents=True, exist_ok=True)
    (root / "hidden_tests").mkdir(exist_ok=True)
    nbformat.write(master(), root / "solutions" / f"{LESSON}.ipynb")
    (root / "hidden_tests" / f"test_{LESSON}.py").write_text(HIDDEN_TESTS)
    (root / "hidden_tests" / "conftest.py").write_text(CONFTEST)
    return root


def env(root: Path) -> dict[str, str]:
    # No TensorFlow in this course: the grader need not import it before forking.
    return dict(os.environ, AUTOGRADER_SOLUTIONS=str(root / "solutions"),
                AUTOGRADER_HIDDEN_TESTS=str(root / "hidden_tests"),
                AUTOGRADER_PRELOAD="numpy,autograder.quick_nbformat,pytest,autograder.testing,autograder.judge",
                AUTOGRADER_CONTESTANT_PRELOAD="numpy")


def with_cell(exercise: str, source: str) -> nbformat.NotebookNode:
    """The master with one exercise cell replaced (``source`` keeps its own header, or gets one)."""
    nb = copy.deepcopy(master())
    header = f"# Exercise: {exercise}"
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith(header):
            cell.source = source if source.lstrip().startswith("# Exercise:") else f"{header}\n{source}"
            return nb
    raise KeyError(exercise)

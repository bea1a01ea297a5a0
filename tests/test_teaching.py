"""The lessons teach rather than hand out: hints lead, predictions come before results, lesson 1 climbs in steps.

* A public check's hint says what quantity, idea or section to look at; it never holds a line of
  a master's solution, nor a call into numpy, Keras or TensorFlow written out to be copied, and
  neither its hint nor the result it expects writes a layer out (``Conv2D(1, 3, ...)``).
* So does what an exercise cell shows the student (its docstrings and comments, the solution
  stripped): it states the contract (inputs, outputs, shapes, seeds) and leads to the idea.
* Lessons 2 to 6 each ask the student, at least once, to predict what a run-only cell will show
  before running it.
* Lesson 1 takes a record apart step by step (a header read from a stream and unpacked field by
  field, one stroke, a short read) before asking for ``unpack_drawing``.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

from autograder.assign import strip_solutions
from autograder.notebooks import REPO, exercise_cells, exercise_name, lessons, read_notebook, without_magics
from autograder.quick_nbformat import nbformat
from test_lessons import solution_blocks

PUBLIC_TESTS = REPO / "lessons" / "public_tests"
# The checks modules, and the helpers whose verdicts check() prints (the VAE steps, training mode).
CHECKS = sorted(PUBLIC_TESTS.glob("checks_*.py")) + [PUBLIC_TESTS / "vae_steps.py", PUBLIC_TESTS / "model_modes.py"]
PREDICT = "**Predict before you run:**"
# A library call written out to be copied: ops.exp(, np.zeros(, keras.Model(, layers.Dense(, tf.reduce_sum(
LIBRARY_CALL = re.compile(r"\b(?:ops|np|numpy|keras|layers|tf)\.[\w.]*\w\(")
# A layer or model written out, in a hint or an expected result: Conv2D(1, 3, ...), Dense(latent_dim).
# (Not N(0, I) or KL(q || p): two letters at least, the second lower case or a digit.)
LAYER_CALL = re.compile(r"\b[A-Z][a-z0-9]\w*\(")


def hints(path: Path) -> list[str]:
    """Every literal ``hint=`` and ``expected=`` text of one checks module: what check() prints to lead."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            found += [k.value.value for k in node.keywords if k.arg in ("hint", "expected")
                      and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)]
    return found


def solution_lines() -> set[str]:
    """Lines of the masters' solutions long enough to be an answer, spaces removed."""
    lines = set()
    for lesson in lessons():
        for source in exercise_cells(read_notebook(lesson.master)).values():
            for block in solution_blocks(source):
                lines |= {re.sub(r"\s", "", line) for line in block.splitlines()
                          if len(line.strip()) > 12 and not line.strip().startswith("#")}
    return lines


@pytest.mark.parametrize("checks", CHECKS, ids=lambda p: p.stem)
def test_hints_lead_without_giving_the_line_of_code(checks):
    found = hints(checks)
    assert found, f"{checks.name} has no hints to read"
    answers = solution_lines()
    for hint in found:
        assert not LIBRARY_CALL.search(hint), f"{checks.name}: a hint writes out a call to copy: {hint!r}"
        assert not LAYER_CALL.search(hint), f"{checks.name}: a hint or expected result writes a layer out: {hint!r}"
        squeezed = re.sub(r"\s", "", hint)
        given = [line for line in answers if line in squeezed]
        assert not given, f"{checks.name}: a hint holds a solution line {given[0]!r}: {hint!r}"


def test_the_hint_reader_finds_a_planted_giveaway(tmp_path):
    planted = tmp_path / "checks_99_planted.py"
    planted.write_text('expect(False, "x", hint="return z_mean + ops.exp(0.5 * z_log_var) * epsilon")\n'
                       'expect(False, "y", expected="Conv2D(1, 3, activation=\'sigmoid\')", hint="see N(0, I)")\n')
    hint, expected, lead = hints(planted)
    assert LIBRARY_CALL.search(hint)
    assert any(line in re.sub(r"\s", "", hint) for line in solution_lines())
    assert LAYER_CALL.search(expected) and not LAYER_CALL.search(lead)


def shown_prose(source: str, exercise: str) -> list[str]:
    """The docstrings and comments of an exercise cell as the student's notebook shows it (solutions stripped)."""
    stub = without_magics(strip_solutions(source, exercise))
    documented = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    docstrings = [ast.get_docstring(node, clean=False) for node in ast.walk(ast.parse(stub))
                  if isinstance(node, documented)]
    comments = [token.string for token in tokenize.generate_tokens(io.StringIO(stub).readline)
                if token.type == tokenize.COMMENT]
    return [text for text in docstrings if text] + comments


def giveaways(notebook) -> list[str]:
    """Each docstring or comment a student sees that writes out a library call or holds a line of a
    master's solution, as "exercise: text"."""
    answers = solution_lines()
    found = []
    for exercise, source in exercise_cells(notebook).items():
        for text in shown_prose(source, exercise):
            squeezed = re.sub(r"\s", "", text)
            if LIBRARY_CALL.search(text) or any(line in squeezed for line in answers):
                found.append(f"{exercise}: {text!r}")
    return found


@pytest.mark.parametrize("lesson", lessons(), ids=lambda l: l.name)
def test_exercise_cells_state_the_contract_without_the_code(lesson):
    found = giveaways(read_notebook(lesson.master))
    assert not found, f"{lesson.name}: an exercise's docstring or comment gives the code away:\n" + "\n".join(found)


def test_the_docstring_reader_finds_a_planted_giveaway_and_skips_the_solution():
    cell = ('# Exercise: kl_divergence\n'
            'def kl_divergence(z_mean, z_log_var):\n'
            '    """KL of each sample.\n\n    Hint: ops.exp, ops.square and ops.sum(..., axis=-1).\n    """\n'
            '    ### BEGIN SOLUTION\n'
            '    return 0.5 * ops.sum(ops.exp(z_log_var) + ops.square(z_mean) - 1.0 - z_log_var, axis=-1)\n'
            '    ### END SOLUTION\n')
    planted = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)])
    (found,) = giveaways(planted)
    assert found.startswith("kl_divergence: ") and "Hint: ops.exp, ops.square and ops.sum(" in found
    # The same call in the solution block alone is the answer, not a giveaway: the student never sees it.
    hidden = cell.replace("ops.exp, ops.square and ops.sum(..., axis=-1)", "the closed form, term by term")
    assert giveaways(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(hidden)])) == []


@pytest.mark.parametrize("lesson", [l for l in lessons() if l.number != "01"], ids=lambda l: l.name)
def test_the_lesson_asks_for_a_prediction_before_an_instructive_run(lesson):
    cells = read_notebook(lesson.master).cells
    prompts = [i for i, cell in enumerate(cells) if cell.cell_type == "markdown" and PREDICT in cell.source]
    assert prompts, f"{lesson.name} never asks the student to predict a result"
    for i in prompts:
        after = next((c for c in cells[i + 1:] if c.cell_type == "code"), None)
        assert after is not None and not exercise_name(after.source), (
            f"{lesson.name}: the prediction prompt in cell {i} is not followed by a cell to run")


def test_lesson_1_takes_a_record_apart_before_the_parser_exercise():
    cells = read_notebook(next(l for l in lessons() if l.number == "01").master).cells
    exercise = next(i for i, c in enumerate(cells) if exercise_name(c.source) == "unpack_drawing")
    steps = "\n".join(c.source for c in cells[:exercise] if c.cell_type == "code")
    assert re.search(r"\.read\(17\)", steps), "the header is never read from a stream before the exercise"
    assert len(re.findall(r'struct\.unpack\(', steps)) >= 3, "the fields are not unpacked one by one"
    assert "np.frombuffer" in steps, "no stroke is read before the exercise"
    assert re.search(r"\.read\(\d+\)", steps.split("np.frombuffer", 1)[1]), "no short read is shown"

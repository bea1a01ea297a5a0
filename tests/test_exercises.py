"""require(): an unfinished exercise is recognised (functions and classes) and named in one line."""

from __future__ import annotations

import pytest

from aecourse.exercises import ExerciseNotDone, is_stub, require
from autograder.assign import student_version
from autograder.notebooks import REPO, exercise_cells, read_notebook, setup_cells


def definitions(lesson: str, stubs: bool) -> dict:
    master = read_notebook(REPO / "solutions" / f"{lesson}.ipynb")
    cells = exercise_cells(student_version(master) if stubs else master)
    namespace: dict = {}
    for source in setup_cells(master)[:1]:
        exec(source, namespace)
    for source in cells.values():
        exec(source, namespace)
    return namespace


@pytest.mark.parametrize("symbol", ["unpack_drawing", "rasterize_strokes"])
def test_lesson_stubs_are_stubs_and_answers_are_not(symbol):
    assert is_stub(definitions("01_quickdraw", stubs=True)[symbol])
    assert not is_stub(definitions("01_quickdraw", stubs=False)[symbol])


def test_a_class_is_a_stub_while_any_method_is():
    stubs, answers = definitions("04_vae", stubs=True), definitions("04_vae", stubs=False)
    assert is_stub(stubs["Sampling"]) and is_stub(stubs["VAE"])
    assert not is_stub(answers["Sampling"]) and not is_stub(answers["VAE"])


def test_a_students_own_not_implemented_error_is_not_a_stub():
    def answer(x):
        if x < 0:
            raise NotImplementedError("negative sizes are not supported")
        return x

    assert not is_stub(answer)
    require(answer)  # does not raise


def test_require_names_every_unfinished_exercise_in_one_line():
    stubs = definitions("01_quickdraw", stubs=True)
    with pytest.raises(ExerciseNotDone) as caught:
        require(stubs["unpack_drawing"], stubs["rasterize_strokes"])
    message = str(caught.value)
    assert message.startswith("finish `unpack_drawing` and `rasterize_strokes` first")
    assert caught.value._render_traceback_() == [f"⚠ {message}"]

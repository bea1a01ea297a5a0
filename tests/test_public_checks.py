"""check() in a student's notebook: one readable line per check, never the framework's traceback."""

from __future__ import annotations

import pytest

from autograder.assign import student_version
from autograder.notebooks import exercise_cells, lessons, read_notebook, setup_cells, without_magics
from public_tests import framework
from public_tests.framework import check, expect, public_check

NAME = "_grader_test_exercise"  # registered by this module only


@pytest.fixture
def registered():
    """A public check for a made-up exercise, removed afterwards."""

    @public_check(NAME)
    def doubles(ns):
        """double(2) is 4"""
        expect(ns.double(2) == 4, "double(2) is wrong", expected=4, got=ns.double(2), hint="multiply by 2")

    yield
    framework._REGISTRY.pop(NAME, None)


def run(capsys, namespace):
    result = check(NAME, namespace)
    return result, capsys.readouterr().out


def test_a_stub_says_not_implemented(registered, capsys):
    def double(x):
        raise NotImplementedError("yours")

    passed, out = run(capsys, {"double": double})
    assert not passed
    assert "not implemented yet" in out and "Traceback" not in out


def test_a_wrong_answer_shows_expected_got_and_hint(registered, capsys):
    passed, out = run(capsys, {"double": lambda x: x + 1})
    assert not passed
    assert "expected: 4" in out and "got: 3" in out and "hint: multiply by 2" in out


def test_an_exception_in_student_code_is_one_line(registered, capsys):
    def double(x):
        return x + "oops"

    passed, out = run(capsys, {"double": double})
    assert "your code raised TypeError" in out and "Traceback" not in out


def test_a_missing_name_says_run_the_cell(registered, capsys):
    passed, out = run(capsys, {})
    assert "`double` is not defined" in out and "Traceback" not in out


def test_a_correct_answer_passes(registered, capsys):
    passed, out = run(capsys, {"double": lambda x: 2 * x})
    assert passed and "all passed" in out


def test_an_unknown_exercise_is_named(capsys):
    assert check("no_such_exercise", {}) is False
    out = capsys.readouterr().out
    assert "unknown exercise 'no_such_exercise'" in out and "Traceback" not in out


@pytest.mark.parametrize("lesson", lessons(), ids=lambda l: l.name)
def test_every_real_check_says_not_implemented_on_the_generated_stubs(lesson, capsys):
    """The lesson as a student first sees it: each check() answers 'not implemented yet'."""
    master = read_notebook(lesson.master)
    stubs = student_version(master)
    namespace: dict = {"__name__": "__main__"}
    for source in setup_cells(master):
        exec(compile(without_magics(source), "<setup>", "exec"), namespace)
    for name, source in exercise_cells(stubs).items():
        exec(compile(without_magics(source), f"<cell {name}>", "exec"), namespace)
    for name in exercise_cells(stubs):
        assert check(name, namespace) is False
        out = capsys.readouterr().out
        assert "not implemented yet" in out, f"{name}:\n{out}"
        assert "Traceback" not in out and "unknown exercise" not in out, f"{name}:\n{out}"

"""check() in a student's notebook: one readable line per check, never the framework's traceback."""

from __future__ import annotations

import builtins

import pytest

from autograder.assign import student_version
from autograder.notebooks import exercise_cells, lessons, read_notebook, setup_cells, without_magics
from public_tests import framework, graded_cell
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
    assert not check("no_such_exercise", {})
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
        assert not check(name, namespace)
        out = capsys.readouterr().out
        assert "not implemented yet" in out, f"{name}:\n{out}"
        assert "Traceback" not in out and "unknown exercise" not in out, f"{name}:\n{out}"


def test_names_match_in_any_case(registered, capsys):
    assert check(NAME.upper(), {"double": lambda x: 2 * x})
    assert f"{NAME}: all passed." in capsys.readouterr().out


def test_the_verdict_is_truthy_only_when_all_passed_and_quiet_in_jupyter(registered, capsys):
    good, bad = check(NAME, {"double": lambda x: 2 * x}), check(NAME, {"double": lambda x: x})
    assert good and not bad
    assert (good.passed, good.total) == (1, 1) and (bad.passed, bad.total) == (0, 1)
    assert hasattr(good, "_ipython_display_")  # IPython then prints no Out[] line (a real kernel: test_check_in_kernel)


def test_every_lesson_exercise_is_registered_under_its_lesson():
    for lesson in lessons():
        assert set(framework.lesson_exercises(lesson.name)) == set(exercise_cells(read_notebook(lesson.master)))


@pytest.mark.parametrize("lesson", lessons(), ids=lambda l: l.name)
def test_every_reference_cell_needs_only_what_the_grader_gives_it(lesson):
    """Each master exercise cell reads only its own names, the setup cells' and the other exercises'.

    So the reference passes check() in a notebook, where check() takes only the cell (graded_cell).
    """
    master = read_notebook(lesson.master)
    given = set().union(*(graded_cell.bound_names(s) for s in setup_cells(master)))
    cells = exercise_cells(master)
    symbols = {name: graded_cell.symbol_of(name, {n: None for n in graded_cell.bound_names(src)})
               for name, src in cells.items()}
    assert all(symbols.values()), f"an exercise defines no function or class of its name: {symbols}"
    for name, source in cells.items():
        available = given | {s for other, s in symbols.items() if other != name} | graded_cell.bound_names(source)
        missing = {n for n in graded_cell.global_reads(source) - available if not hasattr(builtins, n)}
        assert not missing, f"{name} reads {missing}, which the grader does not give it"


def test_global_reads_sees_names_used_inside_functions_and_classes():
    source = "import os\nLIMIT = 3\ndef f(x):\n    return helper(x) + LIMIT\nclass C(Base):\n    y = other\n"
    assert {"helper", "Base", "other"} <= graded_cell.global_reads(source)
    assert {"os", "LIMIT", "f", "C"} == graded_cell.bound_names(source)


def test_the_readme_table_shows_the_names_check_takes():
    import re

    from autograder.notebooks import REPO

    rows = [line for line in (REPO / "README.md").read_text().splitlines() if re.match(r"^\| 0\d ", line)]
    assert len(rows) == len(lessons())
    shown = set()
    for row in rows:
        cell = row.split("|")[3]
        shown |= set(re.findall(r"(?<!class )`(\w+)`", cell))
    framework._load_all_checks()
    registered = {name for lesson in lessons() for name in framework.lesson_exercises(lesson.name)}
    assert shown == registered

"""Small parts of the grader, in-process: student messages, report lines, submission discovery."""

from __future__ import annotations

import os
import time

from autograder.quick_nbformat import nbformat
import pytest

import fake_course
from autograder import notebooks
from autograder.assign import stub_message
from autograder.grading import ExerciseResult, GradedTest
from autograder.report import feedback_lines
from autograder.contestant import server
from autograder.contestant.protocol import ProtocolError, encode, pack, unpack
from autograder.messages import NOT_IMPLEMENTED, describe as judge_describe
from autograder.remote import remote_error


def describe(error, cells=None) -> str:
    """What a student reads for an exception raised by their code: worded in the contestant, shown by the judge."""
    if isinstance(error, AssertionError):
        return judge_describe(error)
    return judge_describe(remote_error(server.describe(error, cells or {})))

CELLS = {"add": "# Exercise: add\ndef add(a, b):\n    total = a + b\n    return total.upper()\n"}


def raised(source: str, filename: str = "<cell add>", call: str | None = "add(1, 2)"):
    namespace: dict = {}
    try:
        exec(compile(source, filename, "exec"), namespace)
        if call:
            eval(call, namespace)
    except BaseException as error:  # noqa: BLE001 - the point is to catch what a student might raise
        return error
    raise AssertionError("nothing was raised")


def test_the_stub_of_make_lessons_reads_not_implemented():
    assert server.STUB_TEXT in stub_message("add")
    error = raised(f"def add(a, b):\n    raise NotImplementedError({stub_message('add')!r})")
    assert describe(error, CELLS) == NOT_IMPLEMENTED


def test_a_not_implemented_error_from_a_library_keeps_its_message():
    error = raised("def add(a, b):\n    raise NotImplementedError('Layer has no call()')", filename="keras/layer.py")
    assert describe(error) == "NotImplementedError: Layer has no call()"


def test_an_error_in_the_students_cell_names_the_line():
    error = raised(CELLS["add"])
    assert describe(error, CELLS) == (
        "AttributeError: 'int' object has no attribute 'upper' (your cell 'add', line 4: return total.upper())")


def test_a_hidden_tests_assertion_shows_the_authors_message_and_the_comparison_it_evaluated():
    assert describe(AssertionError("add(2, 3) should be 5\nassert 6 == 5")) == \
        "add(2, 3) should be 5 (the check `6 == 5` failed)"
    assert describe(AssertionError("the sum is wrong\nassert False")) == "the sum is wrong"
    assert describe(AssertionError("assert 6 == 5\n +  where 6 = add(2, 3)")) == "the check `6 == 5` failed (6 = add(2, 3))"
    assert describe(AssertionError()) == "a check failed"


def test_exits_and_syntax_errors():
    assert describe(raised("import sys\nsys.exit(3)", call=None)).startswith("your code called sys.exit(3)")
    syntax = raised("def add(a, b)\n    return a", call=None)
    assert describe(syntax) == "syntax error in your cell, line 1: expected ':'"


def test_a_students_exception_keeps_its_builtin_kind_for_pytest_raises():
    error = remote_error(server.describe(raised("def add(a, b):\n    raise EOFError('cut')"), CELLS))
    assert isinstance(error, EOFError) and "cut" in str(error)
    interrupt = remote_error(server.describe(raised("def add(a, b):\n    raise KeyboardInterrupt"), CELLS))
    assert not isinstance(interrupt, KeyboardInterrupt)  # never stops the judge's own test run


def test_the_wire_carries_plain_data_and_refuses_objects():
    import io

    import numpy as np

    arrays: list = []
    data = encode({"x": [1, 2.5, None, (True, "s")], "a": np.arange(3)}, arrays)
    header, received = unpack(pack(data, arrays)[8:])
    assert header["x"][3] == {"$tuple": [True, "s"]} and received["a0"].tolist() == [0, 1, 2]
    with pytest.raises(ProtocolError):
        encode(object(), [])
    pickled = io.BytesIO()
    np.savez(pickled, a0=np.array([object()], dtype=object))
    body = pack({"value": {"$array": "a0"}})[8:] + pickled.getvalue()
    with pytest.raises(ProtocolError):
        unpack(body)


def test_long_messages_are_one_short_line():
    message = describe(ValueError("x" * 1000 + "\nsecond line"))
    assert "\n" not in message and len(message) <= 400


def _exercise(*results):
    return ExerciseResult("01_fake", "add", [GradedTest(f"t{i}", 1.0, score, message)
                                             for i, (score, message) in enumerate(results)])


def test_feedback_is_one_line_when_every_test_failed_the_same_way():
    assert feedback_lines(_exercise((0, NOT_IMPLEMENTED), (0, NOT_IMPLEMENTED))) == [NOT_IMPLEMENTED]


def test_feedback_is_one_line_per_failed_test_otherwise():
    assert feedback_lines(_exercise((1, ""), (0, "wrong"), (0, "also wrong"))) == ["t1: wrong", "t2: also wrong"]
    assert feedback_lines(_exercise((1, ""), (1, ""))) == []


@pytest.fixture
def fake_lessons(tmp_path, monkeypatch):
    root = fake_course.make(tmp_path / "course")
    monkeypatch.setattr(notebooks, "SOLUTIONS", root / "solutions")
    return tmp_path


def test_a_renamed_copy_is_mapped_by_its_exercises_and_the_lessons_own_name_wins(fake_lessons):
    from autograder.discover import discover

    student = fake_lessons / "class" / "dana"
    student.mkdir(parents=True)
    nbformat.write(fake_course.master(), student / "homework (1).ipynb")
    time.sleep(0.01)
    nbformat.write(fake_course.master(), student / f"{fake_course.LESSON}.ipynb")
    os.utime(student / "homework (1).ipynb")  # the copy is newer, but the lesson's own file name wins
    [submission] = discover(fake_lessons / "class")
    assert submission.notebooks[fake_course.LESSON].name == f"{fake_course.LESSON}.ipynb"
    assert any("also found homework (1).ipynb" in note for note in submission.notes)


def test_an_unreadable_notebook_is_mapped_by_its_prefix(fake_lessons):
    from autograder.discover import discover

    broken = fake_lessons / f"{fake_course.LESSON}.ipynb"
    broken.write_text("{ not json")
    [submission] = discover(broken)
    assert submission.lessons == [fake_course.LESSON]
    assert "is not a readable Jupyter notebook" in submission.problems[fake_course.LESSON]


def test_terminal_colours_are_removed_from_messages():
    assert describe(ValueError("\x1b[1mInput 0\x1b[0m is incompatible")) == "ValueError: Input 0 is incompatible"


def test_a_numpy_comparison_reads_as_the_authors_message_expected_and_got():
    import numpy as np

    with pytest.raises(AssertionError) as raised:
        np.testing.assert_allclose(np.ones(3), np.zeros(3), atol=1e-5, err_msg="call(x)[0] is not z_mean")
    assert describe(raised.value) == ("call(x)[0] is not z_mean: expected [0, 0, 0], got [1, 1, 1] (3 of 3 values "
                                      "differ: at [0] expected 0, got 1; at [1] expected 0, got 1; at [2] expected 0, got 1)")
    with pytest.raises(AssertionError) as raised:
        np.testing.assert_array_equal(np.arange(3), np.zeros(3))
    assert describe(raised.value).startswith("not the expected values: expected [0, 0, 0], got [0, 1, 2]")


def test_a_lone_students_lessons_are_split_into_groups_of_about_equal_weight():
    from autograder.grading import split_lessons

    weights = {"01": 2, "02": 2, "03": 5, "04": 8, "05": 2, "06": 7}  # the course's exercise budgets
    # By hand: 04 and 06 open the two groups (8, 7); 03 joins the lighter (7 -> 12); the three
    # weights of 2 go to the lighter each time (8 -> 10 -> 12, then the tie goes to the first: 14).
    assert split_lessons(weights, 2) == [["01", "02", "04", "05"], ["03", "06"]]
    assert split_lessons(weights, 1) == [["01", "02", "03", "04", "05", "06"]]
    assert split_lessons({"01": 1, "02": 1}, 8) == [["01"], ["02"]]
    assert split_lessons({}, 2) == []


def test_a_sandbox_that_cannot_start_is_reported_as_the_graders_fault():
    from autograder.sandbox import SandboxError

    text = judge_describe(SandboxError("the contestant's zygote did not start (no answer)"))
    assert text.startswith("grader error, not your code") and "zygote did not start" in text
    assert "could not use your answer" not in text


def test_the_idle_limit_is_a_quarter_of_the_budget_at_least_ten_seconds_unless_set():
    from autograder.remote import Budget

    assert Budget(cpu_seconds=120).idle_seconds == 30       # a quarter of 120 s
    assert Budget(cpu_seconds=5).idle_seconds == 10         # never under 10 s by default
    assert Budget(cpu_seconds=120, idle_limit=3).idle_seconds == 3   # --idle-seconds 3


def test_a_value_computed_once_per_run_is_read_back_the_same_by_every_judge(tmp_path, monkeypatch):
    from autograder import contestants, testing

    calls = []

    def compute():
        calls.append(1)
        return [0.1 + 0.2, 1 / 3]   # floats that must come back to the last bit

    monkeypatch.setattr(contestants, "_settings", contestants.JudgeSettings(run_folder=str(tmp_path)))
    first = testing.once_per_run("plain baseline/seed 0", compute)
    again = testing.once_per_run("plain baseline/seed 0", compute)
    assert first == again == [0.1 + 0.2, 1 / 3] and len(calls) == 1
    # A file that does not parse (damaged by hand, say) is computed again, never read as a value.
    (written,) = tmp_path.glob("*.json")
    written.write_text('[0.30000000000000004, 0.33')
    assert testing.once_per_run("plain baseline/seed 0", compute) == [0.1 + 0.2, 1 / 3] and len(calls) == 2
    # Without a run folder (calibration, tests) nothing is kept.
    monkeypatch.setattr(contestants, "_settings", contestants.JudgeSettings())
    testing.once_per_run("plain baseline/seed 0", compute)
    assert len(calls) == 3


def test_the_blur_scores_random_check_fails_a_count_whatever_it_draws():
    """A draw of one pixel, or of no grey pixel, let a count pass for a share (1 run in 1,000 did)."""
    import numpy as np

    from autograder.calibrate import load_module
    from autograder.paths import HIDDEN_TESTS

    hidden = load_module(HIDDEN_TESTS / "test_03_blur.py")

    class Counting:
        @staticmethod
        def blur_score(images):
            return float(np.sum((images > 0.1) & (images < 0.9)))

    for _ in range(3000):
        with pytest.raises(AssertionError):
            hidden.TestBlurScore().test_random_images_drawn_at_grading_time(Counting())


def test_the_graders_modules_import_one_another_without_a_cycle():
    """Each module one job, the dependencies one way: ``autograder.*`` imports form no cycle.

    Imports inside functions count too: one that only hides a cycle from Python
    (registry and testing importing each other did) is still a cycle of jobs.
    """
    import ast
    from pathlib import Path

    package = Path(notebooks.__file__).resolve().parent
    modules = {}
    for path in package.rglob("*.py"):
        if "hidden_tests" in path.relative_to(package).parts:
            continue  # loaded by path as test modules, never imported as autograder.*
        parts = ("autograder", *path.relative_to(package).with_suffix("").parts)
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path

    def imported(name: str, path: Path) -> set[str]:
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = here.rsplit(".", node.level - 1)[0] if node.level > 1 else here
                    base = f"{anchor}.{base}" if base else anchor
                found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
        return {module for module in found if module in modules and module != name}

    graph = {name: imported(name, path) for name, path in modules.items()}
    assert {"autograder.registry", "autograder.testing"} <= set(graph) and graph["autograder.testing"]

    def cycle_from(start: str, trail: list[str], done: set[str]) -> list[str] | None:
        for follower in sorted(graph[start]):
            if follower in trail:
                return trail[trail.index(follower):] + [follower]
            if follower not in done:
                found = cycle_from(follower, trail + [follower], done)
                if found:
                    return found
        done.add(start)
        return None

    done: set[str] = set()
    for name in sorted(graph):
        cycle = cycle_from(name, [name], done)
        assert cycle is None, "an import cycle: " + " -> ".join(cycle)


def test_masters_frozen_at_the_start_of_a_run_are_what_its_judges_read(tmp_path, monkeypatch):
    """A master saved (or half-written) while a class is graded changes nothing for the run's judges."""
    master = tmp_path / f"{fake_course.LESSON}.ipynb"
    nbformat.write(fake_course.master(), master)
    monkeypatch.setattr(notebooks, "lessons", lambda: [notebooks.Lesson(fake_course.LESSON, master)])
    monkeypatch.setattr(notebooks, "_frozen", {})
    notebooks.freeze_masters()
    master.write_text("")  # an editor's save caught half-way
    assert set(notebooks.exercise_cells(notebooks.read_notebook(master))) == set(fake_course.CELLS)
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # a judge: forked from the grader after the freeze
        try:
            os.write(writer, ",".join(sorted(notebooks.exercise_cells(notebooks.read_notebook(master)))).encode())
        finally:
            os._exit(0)
    os.close(writer)
    os.waitpid(child, 0)
    assert os.read(reader, 1000).decode().split(",") == sorted(fake_course.CELLS)
    monkeypatch.setattr(notebooks, "_frozen", {})
    with pytest.raises(notebooks.NotebookError):  # without the freeze, the judge would have read the empty file
        notebooks.read_notebook(master)

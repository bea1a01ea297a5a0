"""Student notebooks are generated from the masters, and nothing of a solution leaks."""

import ast
import re

from autograder.quick_nbformat import nbformat
import pytest

from autograder.colab import is_colab_cell
from autograder.assign import (ANSWER_PLACEHOLDER, BEGIN_ANSWER, END_ANSWER, rendered_lessons, stub_message,
                               strip_solutions, student_version)
from autograder.notebooks import (BEGIN, END, REPO, exercise_cells, exercise_name, lessons, read_notebook, reuse_cells,
                                  setup_cells)

LESSONS = REPO / "lessons"
MASTERS = lessons()


def test_there_are_six_lessons():
    assert [l.name[:2] for l in MASTERS] == ["01", "02", "03", "04", "05", "06"]


def test_committed_lessons_are_what_make_lessons_generates():
    for path, text in rendered_lessons().items():
        assert path.exists(), f"{path.name} is missing: run `make lessons`"
        assert path.read_text(encoding="utf-8") == text, f"{path.name} differs from its master: run `make lessons`"
    generated = {p.name for p in rendered_lessons()}
    extra = {p.name for p in LESSONS.glob("*.ipynb")} - generated
    assert not extra, f"lesson notebooks without a master: {extra}"


def test_strip_solutions_keeps_the_docstring_and_indents_the_stub():
    source = "# Exercise: double\ndef double(x):\n    \"\"\"Twice x.\"\"\"\n    ### BEGIN SOLUTION\n    y = 2 * x\n    return y\n    ### END SOLUTION\n"
    assert strip_solutions(source, "double") == (
        "# Exercise: double\ndef double(x):\n    \"\"\"Twice x.\"\"\"\n"
        f"    raise NotImplementedError({stub_message('double')!r})")


def test_an_unclosed_solution_block_is_refused():
    with pytest.raises(Exception, match="never closed"):
        strip_solutions("# Exercise: x\n### BEGIN SOLUTION\nx = 1\n", "x")


@pytest.mark.parametrize("lesson", MASTERS, ids=lambda l: l.name)
def test_master_structure(lesson):
    nb = read_notebook(lesson.master)
    assert setup_cells(nb), "the master needs a cell tagged `setup`"
    exercises = exercise_cells(nb)
    assert exercises, "the master has no exercise cells"
    for name, source in exercises.items():
        assert BEGIN in source and END in source, f"{name}: no solution block"
        assert f'check("{name}")' in "".join(c.source for c in nb.cells), f"{name}: no check(\"{name}\") cell"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, "masters are committed without outputs"


def solution_blocks(source: str) -> list[str]:
    return re.findall(rf"{re.escape(BEGIN)}\n(.*?)\n\s*{re.escape(END)}", source, re.S)


@pytest.mark.parametrize("lesson", MASTERS, ids=lambda l: l.name)
def test_student_notebook_is_valid_and_holds_no_solution(lesson):
    master = read_notebook(lesson.master)
    student = read_notebook(LESSONS / lesson.master.name)
    nbformat.validate(student)
    student_text = "\n".join(c.source for c in student.cells)
    assert BEGIN not in student_text and END not in student_text
    # Solution lines are looked for in every cell by test_no_lesson_gives_away_any_exercise_of_the_course.
    stubs = list(exercise_cells(student).values())
    assert len(stubs) == len(exercise_cells(master))
    for stub in stubs:
        ast.parse(stub)  # the stub is valid Python
        assert "NotImplementedError" in stub


def test_no_lesson_gives_away_any_exercise_of_the_course():
    """Later lessons reuse earlier exercises; a ready-made copy would hand out their answers."""
    solution_lines = {}
    for lesson in MASTERS:
        for name, source in exercise_cells(read_notebook(lesson.master)).items():
            for block in solution_blocks(source):
                for line in map(str.strip, block.splitlines()):
                    if len(line) > 12 and not line.startswith("#"):
                        solution_lines.setdefault(line, f"{lesson.name}/{name}")
    # Lesson 3's naive penalty opens like the sharpening loss: two lines that give nothing away
    # there, but never in an exercise's own stub.
    allowed = {"p = ops.clip(y_pred, 1e-7, 1 - 1e-7)", "y = ops.cast(y_true, p.dtype)"}
    for lesson in MASTERS:
        for cell in read_notebook(LESSONS / lesson.master.name).cells:
            stub = exercise_name(cell.source)
            for line in map(str.strip, cell.source.splitlines()):
                assert (line in allowed and not stub) or line not in solution_lines, (
                    f"lessons/{lesson.master.name} contains {line!r}, from the solution of {solution_lines[line]}")


def test_lessons_3_5_and_6_run_the_students_own_earlier_answers_instead_of_pasting_them():
    expected = {"03_blur": ("02", ("build_autoencoder",)),
                "05_latent_space": ("04", ("sampling", "kl_divergence", "reconstruction_loss", "build_encoder",
                                           "build_decoder", "vae")),
                "06_cvae": ("04", ("sampling", "kl_divergence", "reconstruction_loss"))}
    for name, reused in expected.items():
        lesson = read_notebook(LESSONS / f"{name}.ipynb")
        assert list(reuse_cells(lesson)) == [reused]
        cell = reuse_cells(lesson)[reused]
        assert "answers_from_lesson(" in cell and "NotImplementedError" not in cell and "layers." not in cell


@pytest.mark.parametrize("lesson", MASTERS, ids=lambda l: l.name)
def test_a_reuse_cell_runs_the_exercises_its_header_names(lesson):
    """The header is what the grader reads, the call what the student's kernel runs: they must agree."""
    for (number, names), source in reuse_cells(read_notebook(lesson.master)).items():
        origin = next(l for l in MASTERS if l.number == number)
        assert origin.name < lesson.name, f"{names} are reused from a later lesson"
        assert set(names) <= set(exercise_cells(read_notebook(origin.master))), f"{names} are not all {origin.name}'s"
        calls = [node for node in ast.walk(ast.parse(source))
                 if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "answers_from_lesson"]
        assert len(calls) == 1, source
        assert [ast.literal_eval(arg) for arg in calls[0].args] == [origin.name, *names]
        assert [(k.arg, ast.unparse(k.value)) for k in calls[0].keywords] == [("into", "globals()")]


def fill_stubs(stub_source: str, master_source: str) -> str:
    """Put the master's solution blocks back where the stubs stand, one by one."""
    blocks = re.findall(rf"^[ \t]*{re.escape(BEGIN)}\n.*?^[ \t]*{re.escape(END)}$", master_source, re.S | re.M)
    lines, filled = stub_source.splitlines(), []
    for line in lines:
        if line.strip().startswith("raise NotImplementedError(") and blocks:
            filled.append(blocks.pop(0))
        else:
            filled.append(line)
    assert not blocks, "more solution blocks than stubs"
    return "\n".join(filled)


def fill_answers(student_source: str, master_source: str) -> str:
    """Put the master's worked-answer regions back where the placeholders stand, one by one."""
    regions = re.findall(rf"^[ \t]*{re.escape(BEGIN_ANSWER)}\n.*?^[ \t]*{re.escape(END_ANSWER)}$", master_source,
                         re.S | re.M)
    filled = [regions.pop(0) if line.strip() == ANSWER_PLACEHOLDER and regions else line
              for line in student_source.splitlines()]
    assert not regions, "more answer regions than placeholders"
    return "\n".join(filled)


@pytest.mark.parametrize("lesson", MASTERS, ids=lambda l: l.name)
def test_filling_the_stubs_with_the_reference_bodies_gives_back_the_master(lesson):
    """Filled with the reference bodies, each lesson is its master, cell for cell.

    Together with nbval executing every master, this shows a filled-in lesson runs to the end.
    """
    master = read_notebook(lesson.master)
    student = read_notebook(LESSONS / lesson.master.name)
    colab = [c for c in student.cells if is_colab_cell(c)]
    assert [student.cells.index(c) for c in colab] == [1], "one Colab cell, right under the title"
    student.cells.remove(colab[0])
    assert len(student.cells) == len(master.cells)
    for s_cell, m_cell in zip(student.cells, master.cells):
        assert s_cell.cell_type == m_cell.cell_type
        source = s_cell.source
        if "NotImplementedError(" in source and BEGIN in m_cell.source:
            source = fill_stubs(source, m_cell.source)
        if m_cell.cell_type == "markdown":
            source = fill_answers(source, m_cell.source)
        assert source == m_cell.source
        assert s_cell.metadata.get("tags", []) == m_cell.metadata.get("tags", [])


def test_student_version_is_deterministic():
    master = read_notebook(MASTERS[0].master)
    assert nbformat.writes(student_version(master)) == nbformat.writes(student_version(master))

"""Lesson 6's optional appendix, the cats' own VAE: what it reuses, what it shows, who points to it.

``solutions/appendix_06_cats_vae.ipynb`` has no exercises. What every appendix must do (be no
lesson, be rendered by ``make lessons``, open like a lesson) is tested for it in
``tests/test_appendix.py``; nbval runs it with the masters (``make test``). Here: it reuses the
student's answers to lessons 2 to 5, the grader's discovery and the hand-in export leave it out,
and lesson 6 and the README point to it.
"""

from __future__ import annotations

import ast

from autograder.discover import discover
from autograder.notebooks import REPO, lessons, read_notebook, reference_cells, reuse_cells
from autograder.quoted_figures import figures
from test_appendix import copy_notebooks, graded  # lesson 3's appendix: the same helpers

APPENDIX = REPO / "solutions" / "appendix_06_cats_vae.ipynb"


def test_it_reuses_the_students_answers_to_lessons_2_to_5_with_calls_that_match_the_headers():
    reused = reuse_cells(read_notebook(APPENDIX))
    assert set(reused) == {("02", ("build_autoencoder", "extract_encoder")), ("03", ("blur_score",)),
                           ("04", ("sampling", "kl_divergence", "reconstruction_loss", "vae")),
                           ("05", ("interpolate",))}
    for (number, names), source in reused.items():
        assert len(reference_cells(number, names)) == len(names)
        calls = [node for node in ast.walk(ast.parse(source))
                 if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "answers_from_lesson"]
        lesson = next(lesson.name for lesson in lessons() if lesson.number == number)
        assert [[ast.literal_eval(arg) for arg in call.args] for call in calls] == [[lesson, *names]]


def test_it_quotes_no_figure_that_a_run_does_not_check():
    """Its figures depend on which cats load_cats found: the text quotes none measured in full mode."""
    assert not [figure for figure in figures(read_notebook(APPENDIX)) if "full" in figure.modes]


def test_it_says_which_cats_it_used_and_shows_samples_while_training():
    code = "\n".join(cell.source for cell in read_notebook(APPENDIX).cells if cell.cell_type == "code")
    assert "print(cats.description)" in code
    assert "ShowSamples(" in code


def test_lesson_6_and_the_readme_point_to_it():
    last = [cell for cell in read_notebook(REPO / "solutions" / "06_cvae.ipynb").cells if cell.cell_type == "markdown"][-1]
    assert APPENDIX.name in last.source
    assert APPENDIX.name in (REPO / "README.md").read_text(encoding="utf-8")


def test_a_students_folder_with_it_grades_as_without_it_and_the_export_leaves_it_out(tmp_path):
    from public_tests.export import lesson_notebooks

    lesson_files = [lesson.master.name for lesson in lessons()]
    with_it, = discover(copy_notebooks(tmp_path / "with", lesson_files + [APPENDIX.name]))
    without, = discover(copy_notebooks(tmp_path / "without", lesson_files))
    assert graded(with_it) == graded(without)
    assert APPENDIX.name not in [path.name for path in lesson_notebooks(tmp_path / "with")]

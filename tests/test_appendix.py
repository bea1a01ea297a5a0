"""Lesson 3's optional appendix is rendered and run like a lesson, and never taken for one (so is lesson 6's).

``solutions/appendix_03_tone_curve.ipynb`` has no exercises. ``make lessons`` renders it into
``lessons/`` beside the lessons and nbval runs it with the masters (``make test``), but it is
no lesson: not for ``lessons()``, the grader's discovery, calibration or the hand-in export.
A folder holding it grades exactly as the same folder without it, with no note about it.
"""

from __future__ import annotations

import re
import shutil

import pytest

from autograder.assign import rendered_lessons
from autograder.discover import discover
from autograder.notebooks import (REPO, appendices, exercise_cells, lesson_for, lessons, read_notebook,
                                  reference_cells, reuse_cells)
from autograder.quoted_figures import check_full_record, figures

APPENDIX = REPO / "solutions" / "appendix_03_tone_curve.ipynb"
STUDENT_COPY = REPO / "lessons" / APPENDIX.name
# Lesson 6's appendix too, for what every appendix must do; its own tests: tests/test_appendix_cats_vae.py.
APPENDICES = [APPENDIX, REPO / "solutions" / "appendix_06_cats_vae.ipynb"]
each_appendix = pytest.mark.parametrize("appendix", APPENDICES, ids=lambda path: path.stem)


@each_appendix
def test_the_appendix_is_an_appendix_and_no_lesson(appendix):
    assert appendices() == APPENDICES
    assert [lesson.name for lesson in lessons()] == ["01_quickdraw", "02_autoencoder", "03_blur", "04_vae",
                                                     "05_latent_space", "06_cvae"]
    nb = read_notebook(appendix)
    assert exercise_cells(nb) == {}
    assert lesson_for(appendix, nb) is None
    student_copy = REPO / "lessons" / appendix.name
    assert lesson_for(student_copy, read_notebook(student_copy)) is None


@each_appendix
def test_make_lessons_renders_it_for_students_without_any_solution(appendix):
    rendered = rendered_lessons()
    student_copy = REPO / "lessons" / appendix.name
    assert student_copy in rendered, "make lessons does not render the appendix"
    assert student_copy.read_text(encoding="utf-8") == rendered[student_copy], "run `make lessons`"
    assert "### BEGIN SOLUTION" not in rendered[student_copy]


def test_it_reuses_the_students_answers_to_exercises_that_exist():
    reused = reuse_cells(read_notebook(APPENDIX))
    assert set(reused) == {("02", ("build_autoencoder",)), ("03", ("blur_score", "sharpening_loss"))}
    for number, names in reused:
        assert len(reference_cells(number, names)) == len(names)


def copy_notebooks(folder, names):
    folder.mkdir(parents=True)
    for name in names:
        shutil.copy(REPO / "lessons" / name, folder / name)
    return folder


def graded(submission):
    return submission.lessons, {lesson: path.name for lesson, path in submission.notebooks.items()}, submission.notes


def test_a_students_folder_with_the_appendix_grades_as_without_it(tmp_path):
    lesson_files = [lesson.master.name for lesson in lessons()]
    with_it, = discover(copy_notebooks(tmp_path / "with", lesson_files + [APPENDIX.name]))
    without, = discover(copy_notebooks(tmp_path / "without", lesson_files))
    assert graded(with_it) == graded(without)
    assert len(with_it.notebooks) == 6 and not with_it.problems
    assert not any("appendix" in note for note in with_it.notes)


def test_a_class_folder_and_the_reference_solutions_say_nothing_about_it(tmp_path):
    copy_notebooks(tmp_path / "class" / "alice", [APPENDIX.name, "03_blur.ipynb"])
    alice, = discover(tmp_path / "class")
    assert list(alice.notebooks) == ["03_blur"] and not any("appendix" in note for note in alice.notes)
    reference, = discover(REPO / "solutions")  # what `make grade` grades
    assert len(reference.notebooks) == 6 and not any("appendix" in note for note in reference.notes)


def test_a_lesson_saved_under_an_appendix_name_is_still_graded(tmp_path):
    folder = copy_notebooks(tmp_path / "bob", ["01_quickdraw.ipynb"])
    shutil.copy(REPO / "lessons" / "03_blur.ipynb", folder / "appendix_03_mine.ipynb")
    bob, = discover(folder)
    assert bob.notebooks["03_blur"].name == "appendix_03_mine.ipynb"


def test_the_hand_in_export_leaves_it_out():
    from public_tests.export import lesson_notebooks

    exported = [path.name for path in lesson_notebooks(REPO / "lessons")]
    assert APPENDIX.name not in exported and "03_blur.ipynb" in exported


@each_appendix
def test_it_opens_like_a_lesson_and_says_it_is_optional(appendix):
    first = read_notebook(appendix).cells[0].source
    assert first.startswith(f"# Lesson {int(appendix.name[len('appendix_'):][:2])} · Appendix")
    for field in ("**Optional:**", "**Time:**", "**Prerequisites:**", "**Hardware:**"):
        assert field in first
    assert re.search(r"ran in about \d", first) and "(2026-" in first


def test_its_full_mode_figures_are_in_its_stored_full_mode_run():
    quoted = figures(read_notebook(APPENDIX))
    assert any("full" in figure.modes for figure in quoted)
    missing, skipped, checked = check_full_record(APPENDIX.stem)
    assert checked and not missing, missing

"""Small promises of issue 21: each lesson ends by handing in, the docs and make agree, a typo gets a suggestion."""

from __future__ import annotations

import re
import subprocess

import pytest

from autograder.notebooks import REPO, lessons
from autograder.quick_nbformat import nbformat
from public_tests import export, framework

README = (REPO / "README.md").read_text(encoding="utf-8")


def code_cells(path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


@pytest.mark.parametrize("lesson", [l.name for l in lessons()])
def test_each_lesson_ends_with_the_export_cell(lesson):
    for path in (REPO / "solutions" / f"{lesson}.ipynb", REPO / "lessons" / f"{lesson}.ipynb"):
        last = code_cells(path)[-1]
        assert "from public_tests.export import export" in last.source and "export()" in last.source, path
        # Never run by nbval (it would ask for an id) nor by the grader (neither setup nor exercise).
        assert {"export", "nbval-skip"} <= set(last.metadata.get("tags", [])), path


def test_the_default_hand_in_is_ignored_by_git():
    name = export.zip_name("s1234567", "2026-12-05T15:00:00Z")
    assert name == "submission-s1234567-20261205T150000Z.zip"
    run = subprocess.run(["git", "check-ignore", "-q", f"lessons/{name}"], cwd=REPO)
    assert run.returncode == 0, "lessons/submission-*.zip must be ignored"


def test_a_misspelt_exercise_gets_a_suggestion(capsys):
    framework.check("unpack_drawnig")
    assert "did you mean unpack_drawing?" in capsys.readouterr().out
    framework.check("nothing_like_it")
    assert "Known exercises:" in capsys.readouterr().out


def test_make_help_and_the_readme_agree_on_jobs():
    help_text = subprocess.run(["make", "help"], cwd=REPO, capture_output=True, text=True).stdout
    assert "JOBS judges at once" in help_text and "JOBS exercises" not in help_text
    assert "`JOBS` judges grade at once" in README
    for variable in ("OUT=dir", "RESUME=1", "OVERRIDES=file.csv"):
        assert variable in help_text and variable in README


def test_make_lab_passes_course_mode():
    run = subprocess.run(["make", "-n", "lab", "COURSE_MODE=fast"], cwd=REPO, capture_output=True, text=True)
    assert re.search(r"COURSE_MODE=fast \S*jupyter lab", run.stdout), run.stdout
    assert "make lab COURSE_MODE=fast" in README


def test_the_readme_says_how_to_use_the_environment_and_what_goes_to_gradescope():
    assert "source .venv/bin/activate" in README and ".venv/bin/python -m public_tests.export" in README
    assert "--student" in README and "AECOURSE_STUDENT" in README
    assert "dist/gradescope-autograder.zip" in README and "total points" in README
    assert "Students upload the zip" in README

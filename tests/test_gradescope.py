"""The Gradescope package: what the zip holds, and run_autograder on a simulated /autograder."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile

import pytest

from autograder.gradescope import build_zip
from autograder.notebooks import lessons
from autograder.testing import HIDDEN_TESTS
from grader_helpers import REPO


@pytest.fixture(scope="module")
def one_lesson_zip(tmp_path_factory):
    """A one-lesson assignment (lesson 01, no training), so that running it is quick."""
    return build_zip(tmp_path_factory.mktemp("dist") / "autograder.zip", ["01_quickdraw"])


def test_the_zip_holds_grader_hidden_tests_masters_and_library(one_lesson_zip):
    with zipfile.ZipFile(one_lesson_zip) as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        run_autograder = archive.read("run_autograder").decode()
    for script in ("setup.sh", "run_autograder"):
        assert script in names and modes[script] & stat.S_IXUSR, f"{script} must be executable at the zip's root"
    expected = {"requirements.txt", "pyproject.toml", "README.md", "autograder/__main__.py", "autograder/worker.py",
                "autograder/runner.py", "autograder/testing.py", "autograder/hidden_tests/conftest.py",
                "aecourse/__init__.py", "aecourse/datasets.py", "lessons/public_tests/framework.py"}
    expected |= {f"autograder/hidden_tests/{p.name}" for p in HIDDEN_TESTS.glob("test_*.py")}
    expected |= {f"solutions/{l.master.name}" for l in lessons()}
    if (REPO / "autograder" / "thresholds.json").exists():
        expected.add("autograder/thresholds.json")
    assert expected <= names, sorted(expected - names)
    # Never the student notebooks, the project's tests, caches or the environment.
    assert not [n for n in names if n.startswith(("tests/", ".venv/", "data/")) or "__pycache__" in n
                or (n.startswith("lessons/") and n.endswith(".ipynb"))]
    assert "--lessons 01_quickdraw" in run_autograder


def test_the_scripts_are_valid_bash(one_lesson_zip, tmp_path):
    with zipfile.ZipFile(one_lesson_zip) as archive:
        archive.extractall(tmp_path)
    for script in ("setup.sh", "run_autograder"):
        subprocess.run(["bash", "-n", str(tmp_path / script)], check=True)
    setup = (tmp_path / "setup.sh").read_text()
    assert "pip install --quiet -r requirements.txt" in setup and "-e ." in setup


def simulate(zip_path, tmp_path, submission_files, python=sys.executable):
    """Lay out /autograder as Gradescope does, under tmp_path, and run run_autograder."""
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            archive.extract(info, root / "source")
            os.chmod(root / "source" / info.filename, info.external_attr >> 16 or 0o644)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    for name, text in submission_files.items():
        (root / "submission" / name).write_text(text)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=python)
    run = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr
    return json.loads((root / "results" / "results.json").read_text()), run


def test_run_autograder_grades_the_submission(one_lesson_zip, tmp_path):
    master = (REPO / "solutions" / "01_quickdraw.ipynb").read_text()
    results, run = simulate(one_lesson_zip, tmp_path, {"my_quickdraw_lesson.ipynb": master, "notes.pdf": "%PDF"})
    assert results["tests"], run.stdout + run.stderr
    assert results["score"] == sum(t["max_score"] for t in results["tests"]) > 0, run.stdout
    assert all(t["name"].startswith("01_quickdraw / ") for t in results["tests"])
    assert isinstance(results["execution_time"], float)


def test_run_autograder_always_leaves_a_results_file(one_lesson_zip, tmp_path):
    """If the grader cannot even start, the student sees a message instead of Gradescope's error."""
    results, _ = simulate(one_lesson_zip, tmp_path, {}, python="/bin/false")
    assert results["score"] == 0 and "tell your instructor" in results["output"]

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
from autograder.paths import HIDDEN_TESTS
from grader_helpers import REPO


# These tests use the project's environment, whose editable install points at this checkout,
# outside the temporary /autograder. The sandbox mounts the library where the installed
# packages really are, so the student's code runs sandboxed here as on Gradescope.
NO_BWRAP = ""


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
    expected = {"requirements.txt", "pyproject.toml", "README.md", "autograder/__main__.py", "autograder/grading.py", "autograder/resources.py",
                "autograder/visibility.json", "requirements.lock",
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


def simulate(zip_path, tmp_path, submission_files, python=sys.executable, zip_files=None):
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
    for name, path in (zip_files or {}).items():  # what a student uploads: the exported zip
        shutil.copy(path, root / "submission" / name)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=python, AUTOGRADER_NO_BWRAP=NO_BWRAP)
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


def test_a_student_sees_the_public_checks_at_once_and_the_hidden_tests_when_published(one_lesson_zip, tmp_path):
    """The exported hand-in, one exercise wrong: its public checks say so, visible; the hidden tests wait."""
    from public_tests import export, framework

    lessons_folder = tmp_path / "alice"
    lessons_folder.mkdir()
    nb = json.loads((REPO / "solutions" / "01_quickdraw.ipynb").read_text())
    for cell in nb["cells"]:  # rasterize_strokes draws nothing
        if "".join(cell["source"]).startswith("# Exercise: rasterize_strokes"):
            cell["source"] = ("# Exercise: rasterize_strokes\nimport numpy as np\n\n"
                              "def rasterize_strokes(strokes, size=32, line_width=2):\n"
                              "    return np.zeros((size, size), np.float32)\n")
    (lessons_folder / "01_quickdraw.ipynb").write_text(json.dumps(nb))
    handed_in, manifest = export.build(lessons_folder, student="s1234567")
    results, run = simulate(one_lesson_zip, tmp_path, {}, zip_files={"submission.zip": handed_in})
    assert results["extra_data"]["student"] == "s1234567", run.stdout + run.stderr
    public = [t for t in results["tests"] if ": public check: " in t["name"]]
    hidden = [t for t in results["tests"] if t not in public and t["max_score"] > 0]
    # One visible result per public check of each exercise, as check() lists them.
    framework._load_all_checks()
    assert len(public) == sum(len(framework._REGISTRY[e]) for e in framework.lesson_exercises("01_quickdraw"))
    assert {t["visibility"] for t in public} == {"visible"} and {t["max_score"] for t in public} == {0}
    assert {t["visibility"] for t in hidden} == {"after_published"}
    by_status = {(t["name"].split(":")[0], t["status"]) for t in public}
    assert by_status >= {("01_quickdraw / unpack_drawing", "passed"), ("01_quickdraw / rasterize_strokes", "failed")}
    assert not any(t["status"] == "failed" for t in public if "unpack_drawing" in t["name"])
    assert results["score"] == sum(t["score"] for t in results["tests"])


def test_run_autograder_always_leaves_a_results_file(one_lesson_zip, tmp_path):
    """If the grader cannot even start, the student sees a message instead of Gradescope's error."""
    results, _ = simulate(one_lesson_zip, tmp_path, {}, python="/bin/false")
    assert results["score"] == 0 and "tell your instructor" in results["output"]


# ----------------------------------------------------------------------------- the whole Gradescope layout

VISIBILITIES = {"visible", "hidden", "after_due_date", "after_published"}
TOP_LEVEL = {"score": (int, float), "execution_time": (int, float), "output": str, "output_format": str,
             "visibility": str, "stdout_visibility": str, "tests": list, "extra_data": dict}
PER_TEST = {"name": str, "score": (int, float), "max_score": (int, float), "status": str, "output": str,
            "output_format": str, "visibility": str}


def assert_follows_the_results_spec(results):
    """Gradescope's results.json: known fields with the right types and values."""
    assert set(results) <= set(TOP_LEVEL), set(results) - set(TOP_LEVEL)
    for key, kind in TOP_LEVEL.items():
        assert isinstance(results[key], kind), f"{key}: {results[key]!r}"
    assert results["visibility"] in VISIBILITIES and results["stdout_visibility"] in VISIBILITIES
    assert results["output_format"] in {"text", "html", "simple_format", "md", "ansi"}
    for test in results["tests"]:
        assert set(test) <= set(PER_TEST), set(test) - set(PER_TEST)
        for key, kind in PER_TEST.items():
            assert isinstance(test[key], kind), f"{test.get('name')}: {key} = {test.get(key)!r}"
        assert test["visibility"] in VISIBILITIES and test["status"] in {"passed", "failed"}
        assert 0 <= test["score"] <= test["max_score"]
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))


@pytest.fixture(scope="module")
def provisioned_root(tmp_path_factory):
    """The full zip unpacked under a temporary /autograder and its setup.sh run (environment pre-provisioned)."""
    policy = tmp_path_factory.mktemp("policy") / "visibility.json"
    policy.write_text(json.dumps({"overall": "visible", "tests": {"hidden": "after_due_date"},
                                  "exercises": {"rasterize_strokes": {"hidden": "hidden"}}}))
    zip_path = build_zip(tmp_path_factory.mktemp("dist") / "gradescope-autograder.zip", visibility_file=policy)
    root = tmp_path_factory.mktemp("gradescope") / "autograder"
    (root / "source").mkdir(parents=True)
    subprocess.run(["unzip", "-q", str(zip_path), "-d", str(root / "source")], check=True)  # as Gradescope does
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable, AUTOGRADER_PREPROVISIONED="1",
               AUTOGRADER_NO_BWRAP=NO_BWRAP)
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], cwd=root / "source", env=env,
                           capture_output=True, text=True, timeout=900)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert "skipping apt-get and pip" in setup.stdout
    return root, env


def run_submission(root, env, files: dict, args: str = ""):
    submission = root / "submission"
    shutil.rmtree(submission, ignore_errors=True)
    submission.mkdir()
    for name, path in files.items():
        shutil.copy(path, submission / name)
    shutil.rmtree(root / "results", ignore_errors=True)
    run = subprocess.run([str(root / "source" / "run_autograder")], cwd=root, env=dict(env, AUTOGRADER_ARGS=args),
                         capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stderr
    return json.loads((root / "results" / "results.json").read_text()), run


def test_setup_sh_updates_apt_and_installs_bubblewrap_and_the_lock(provisioned_root):
    setup = (provisioned_root[0] / "source" / "setup.sh").read_text()
    assert setup.index("apt-get update") < setup.index("apt-get install")
    assert "bubblewrap" in setup and setup.count("-c requirements.lock") >= 2
    assert (provisioned_root[0] / "source" / "requirements.lock").exists()


def test_the_grader_sizes_jobs_from_the_cgroup_not_nproc(provisioned_root):
    script = (provisioned_root[0] / "source" / "run_autograder").read_text()
    assert "autograder.resources cores" in script and "--memory-mb" in script


def test_the_untouched_lessons_score_zero(provisioned_root):
    root, env = provisioned_root
    stubs = {p.name: p for p in sorted((REPO / "lessons").glob("[0-9][0-9]_*.ipynb"))}
    results, run = run_submission(root, env, stubs)
    assert_follows_the_results_spec(results)
    assert results["score"] == 0 and results["tests"], run.stdout + run.stderr
    assert results["extra_data"]["max_score"] > 100  # every lesson was graded
    assert {t["status"] for t in results["tests"]} == {"failed"}


def test_the_exported_reference_scores_full_marks_with_the_packed_visibility(provisioned_root, tmp_path):
    from public_tests.export import build

    root, env = provisioned_root
    handed_in, _ = build(REPO / "solutions", tmp_path / "submission.zip")   # what a student uploads
    results, run = run_submission(root, env, {"submission.zip": handed_in},
                                  "--lessons 01_quickdraw --exercise unpack_drawing --exercise rasterize_strokes")
    assert_follows_the_results_spec(results)
    assert results["tests"], run.stdout + run.stderr
    assert results["score"] == results["extra_data"]["max_score"] == sum(t["max_score"] for t in results["tests"]) > 0
    assert results["visibility"] == "visible"
    hidden = [t for t in results["tests"] if ": public check: " not in t["name"]]
    by_exercise = {t["name"].split(":")[0]: t["visibility"] for t in hidden}
    assert by_exercise == {"01_quickdraw / unpack_drawing": "after_due_date",
                           "01_quickdraw / rasterize_strokes": "hidden"}
    public = [t for t in results["tests"] if ": public check: " in t["name"]]
    assert public and {(t["visibility"], t["status"], t["max_score"]) for t in public} == {("visible", "passed", 0)}

"""The grader on the real course: the reference, the fresh lessons, the planted bugs.

One run of the grader's command line (two exercises at a time) grades, as
separate students listed in a manifest:

* ``reference``: the master notebooks (``solutions/``): 100 % on every exercise;
* ``lessons``: student notebooks freshly generated from the masters (what
  ``make lessons`` writes): 0 on every exercise, one "not implemented" line each;
* the planted bugs (``tests/planted_bugs/bugs_NN_name.py``, edits applied by
  ``tests/planted.py``), dealt into a few students: student ``bugs.roundR`` holds
  the R-th planted bug of each lesson, so at most one bug per lesson. Each bug
  must lose points on its exercise, and one that fails a public check must fail a
  hidden test that ran (check() => grader: a student told of a mistake loses points for it).

"On exactly that exercise": the grader builds the namespace of exercise Y from
the master's setup cells, the reference cells of the other exercises and the
student's cell for Y (``notebooks.contestant_sources``). In a planted-bug notebook
every cell but the buggy one is the master's, so grading any other exercise Y
is the very computation that gave the reference its 100 %. The test checks that
premise (the other cells are the master's) and, end to end, grades round 0 in
full but for the training checks of other exercises: every other exercise of
each of its bugs' lessons keeps full marks. The other rounds are graded on their
bugs' exercises only, which keeps this file within minutes; the fake course
(test_grader_isolation.py) shows the same isolation against crashing, hanging
and exiting code.

Every planted bug is graded: the training checks no longer train a student's model (vae and cvae
compare a few SGD steps with the reference's, sharpening_loss is trained by the judge), so all of
them cost seconds. ``PLANTED_BUGS=first`` grades only the first bug of each training exercise, for
a quicker look.
"""

from __future__ import annotations

import copy
import json
import os
import re
import time

from autograder.quick_nbformat import nbformat
import pytest

from autograder.assign import student_version
from autograder.notebooks import REPO, exercise_cells, exercise_name, lessons, read_notebook
from autograder.paths import HIDDEN_TESTS
from grader_helpers import run_grader
from planted import planted_bugs
from public_verdicts import failed_public_checks

MASTERS = {lesson.name: lesson for lesson in lessons()}


def training_exercises() -> set[str]:
    """Exercises whose hidden tests train a model (declared in the registry)."""
    from autograder.registry import exercises

    return {e.id for e in exercises() if e.trains}


def with_cell(master: nbformat.NotebookNode, exercise: str, source: str) -> nbformat.NotebookNode:
    nb = copy.deepcopy(master)
    cells = [c for c in nb.cells if c.cell_type == "code" and exercise_name(c.source) == exercise]
    assert len(cells) == 1, f"{exercise}: expected one cell in the master"
    cells[0].source = source
    return nb


def selected_bugs():
    everything = os.environ.get("PLANTED_BUGS", "").strip() != "first"
    training = training_exercises()
    return [bug for bug in planted_bugs() if everything or bug[1] not in training or bug[2] == 0]


def bug_rounds(bugs):
    """The bugs dealt into rounds: round r holds the r-th bug of each lesson (so one per lesson at most)."""
    per_lesson: dict[str, list] = {}
    for bug in bugs:
        per_lesson.setdefault(bug[0], []).append(bug)
    return [[listed[r] for listed in per_lesson.values() if r < len(listed)]
            for r in range(max(map(len, per_lesson.values()), default=0))]


def need_mnist() -> None:
    """The hidden tests train on MNIST: without it, skip (fail under CI_REQUIRE_DATA=1), as tests/conftest.py does."""
    from aecourse.download import fetch
    from conftest import HOW_TO_GET_DATA, _require_data

    try:
        fetch("mnist", progressbar=False)
    except Exception as error:
        reason = f"real data 'mnist' unavailable ({type(error).__name__}: {error}); {HOW_TO_GET_DATA}"
        if _require_data():
            pytest.fail(f"CI_REQUIRE_DATA=1 but {reason}", pytrace=False)
        pytest.skip(reason)


_course_failure: list[str] = []


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Grade the reference, the fresh lessons and the planted bugs in one run.

    pytest sets up a failed module fixture again for every test that asks for it; one
    failed grading run (minutes) must not be repeated fifty times, so the failure is kept.
    """
    if _course_failure:
        pytest.fail(f"the course-wide grading run already failed: {_course_failure[0]}", pytrace=False)
    try:
        return _grade_course(tmp_path_factory)
    except Exception as error:
        _course_failure.append(f"{type(error).__name__}: {str(error)[:500]}")
        raise


def _grade_course(tmp_path_factory):
    need_mnist()
    work = tmp_path_factory.mktemp("course")
    (work / "lessons").mkdir()
    manifest = [{"name": "reference", "notebooks": [str(l.master) for l in MASTERS.values()]}]
    for name, lesson in MASTERS.items():
        nbformat.write(student_version(read_notebook(lesson.master)), work / "lessons" / lesson.master.name)
    manifest.append({"name": "lessons", "notebooks": [str(p) for p in sorted((work / "lessons").glob("*.ipynb"))]})
    bugs = {}
    training = training_exercises()
    for number, dealt in enumerate(bug_rounds(selected_bugs())):
        # One student per round, with at most one planted bug per lesson: a bug's own exercise
        # must lose points, and (round 0, graded in full but for the other training checks)
        # every other exercise of its lesson must keep them. One judge, one sandbox start, per round.
        student = f"bugs.round{number}"
        notebooks, exercises = [], set()
        for lesson, exercise, index, _why, source in dealt:
            path = work / "bugs" / student / MASTERS[lesson].master.name
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(with_cell(read_notebook(MASTERS[lesson].master), exercise, source), path)
            notebooks.append(str(path))
            exercises.add(exercise)
            bugs[f"bug.{exercise}.{index}"] = (lesson, exercise, index, path, student, number == 0)
        if number == 0:
            exercises |= {e for lesson, _, _, _, _ in dealt
                          for e in exercise_cells(read_notebook(MASTERS[lesson].master)) if e not in training}
        manifest.append({"name": student, "notebooks": notebooks, "lessons": [d[0] for d in dealt],
                         "exercises": sorted(exercises)})
    master_01 = read_notebook(MASTERS["01_quickdraw"].master)
    for exercise, body in DELEGATING.items():
        cell = exercise_cells(master_01)[exercise]
        source = cell.split("### BEGIN SOLUTION")[0].rstrip(" ") + body
        path = work / "delegates" / exercise / MASTERS["01_quickdraw"].master.name
        path.parent.mkdir(parents=True)
        nbformat.write(with_cell(master_01, exercise, source), path)
        manifest.append({"name": f"delegates.{exercise}", "notebooks": [str(path)], "lessons": ["01_quickdraw"],
                         "exercises": [exercise]})
    # The same non-reference answer handed in twice: the class's similarity report must pair them.
    manifest.append({**manifest[-1], "name": "delegates.twin"})
    # A helper defined in the next cell: check() fails it (tests/test_check_in_kernel.py) and so must the grader.
    moved = with_cell(master_01, "unpack_drawing", HELPER_KEPT_OUT(exercise_cells(master_01)["unpack_drawing"]))
    path = work / "helper_elsewhere" / MASTERS["01_quickdraw"].master.name
    path.parent.mkdir(parents=True)
    nbformat.write(moved, path)
    manifest.append({"name": "helper_elsewhere", "notebooks": [str(path)], "lessons": ["01_quickdraw"],
                     "exercises": ["unpack_drawing"]})
    master_04 = read_notebook(MASTERS["04_vae"].master)
    path = work / "patches_the_judging" / MASTERS["04_vae"].master.name
    path.parent.mkdir(parents=True)
    nbformat.write(with_cell(master_04, "vae", exercise_cells(master_04)["vae"] + PATCHES_THE_JUDGING), path)
    manifest.append({"name": "patches_the_judging", "notebooks": [str(path)], "lessons": ["04_vae"],
                     "exercises": ["vae"]})
    (work / "manifest.json").write_text(json.dumps(manifest, indent=1))
    started = time.monotonic()
    graded = run_grader("--manifest", str(work / "manifest.json"), "--jobs", "2", out=work / "out")
    print(f"\ngraded {len(manifest)} students ({len(bugs)} planted bugs) in {time.monotonic() - started:.0f} s")
    assert graded.returncode == 0, graded.stderr[-5000:]
    return graded, bugs


# Answers that hand the exercise to the course library's own implementation (issue 11).
DELEGATING = {
    "rasterize_strokes": "    return rasterize(strokes, size=size, line_width=line_width)\n",
    "unpack_drawing": "    from aecourse.quickdraw import read_drawings\n"
                      "    return next(iter(read_drawings(stream)), None)\n",
}


# The reference VAE, whose cell also makes `fit` do nothing and replaces the reference
# classifier and the data loader with flatterers: in the old grader, where all of these ran
# in the student's process, this scored full marks on the training checks.
PATCHES_THE_JUDGING = """

import numpy as _np
import aecourse.classifier as _classifier
import aecourse.datasets as _datasets


class _Flatterer:
    def predict(self, images, **kwargs):
        sure = _np.zeros((len(images), 10))
        sure[_np.arange(len(images)), _np.arange(len(images)) % 10] = 1.0
        return sure


keras.Model.fit = lambda self, *args, **kwargs: None
_classifier.load_reference_classifier = lambda: _Flatterer()
_datasets.load_mnist = lambda *a, **k: ((_np.zeros((10, 28, 28), "float32"), None),
                                        (_np.zeros((10, 28, 28), "float32"), None))
"""


def test_patching_fit_the_classifier_and_the_data_gains_nothing(course):
    graded, _ = course
    tests = {t["name"].split(": ", 1)[1]: t for t in graded.results("patches_the_judging")["tests"]
             if " / vae: " in t["name"] and t["max_score"] > 0}
    # The training steps (the old trained checks' points): a fit that does nothing takes no step.
    trained = {name: t for name, t in tests.items()
               if any(phrase in name for phrase in ("SGD step", "grader's weights", "training mode", "fit reports"))}
    assert trained and all(t["score"] == 0 for t in trained.values()), graded.block("patches_the_judging")


def HELPER_KEPT_OUT(cell: str) -> str:
    """The reference cell without its helper `_read_exactly` (the student put it in another cell)."""
    start = cell.index("def _read_exactly")
    end = cell.index("### END SOLUTION")
    return cell[:start] + cell[end:]


def test_a_helper_defined_in_another_cell_fails_in_the_grader_as_in_check(course):
    graded, _ = course
    score, maximum = graded.exercise_scores("helper_elsewhere")["unpack_drawing"]
    assert score < maximum and "_read_exactly" in graded.block("helper_elsewhere"), graded.block("helper_elsewhere")


@pytest.mark.parametrize("exercise", sorted(DELEGATING))
def test_an_answer_that_calls_the_librarys_own_implementation_scores_zero(course, exercise):
    graded, _ = course
    student = f"delegates.{exercise}"
    assert graded.exercise_scores(student)[exercise][0] == 0, graded.block(student)
    assert "is the course's own answer" in graded.block(student), graded.block(student)


def test_the_reference_gets_full_marks_on_every_exercise(course):
    graded, _ = course
    scores = graded.exercise_scores("reference")
    expected = {e for lesson in MASTERS.values() for e in exercise_cells(read_notebook(lesson.master))}
    assert set(scores) == expected, "every exercise of every master has hidden tests"
    short = {e: s for e, s in scores.items() if s[0] != s[1]}
    assert not short, graded.block("reference")
    assert graded.csv_rows()["reference"]["percent"] == "100.0"
    assert "Traceback" not in graded.stdout


def test_the_fresh_lessons_get_zero_with_one_not_implemented_line_per_exercise(course):
    graded, _ = course
    scores = graded.exercise_scores("lessons")
    assert scores and all(score == 0 for score, _ in scores.values()), graded.block("lessons")
    lines = [line.strip() for line in graded.block("lessons").splitlines()]
    assert lines.count("- not implemented") == len(scores), graded.block("lessons")
    assert not [line for line in lines if line.startswith("- ") and line != "- not implemented"]
    assert graded.csv_rows()["lessons"]["total"] == "0"


def test_every_exercise_has_at_least_two_planted_bugs():
    covered = {exercise for _, exercise, _, _, _ in planted_bugs()}
    expected = {e for lesson in MASTERS.values() for e in exercise_cells(read_notebook(lesson.master))}
    assert expected - covered == set(), "exercises without a planted bug"
    counts = {e: sum(1 for _, x, _, _, _ in planted_bugs() if x == e) for e in expected}
    assert all(n >= 2 for n in counts.values()), counts


@pytest.mark.parametrize("bug", [f"bug.{e}.{i}" for _, e, i, _, _ in selected_bugs()])
def test_a_planted_bug_loses_points_on_its_exercise_only(course, bug):
    graded, bugs = course
    lesson, exercise, index, path, student, full = bugs[bug]
    scores = graded.exercise_scores(student)
    score, maximum = scores[exercise]
    assert score < maximum, f"planted bug {index} of {exercise} was not caught:\n{graded.block(student)}"
    # The rest of the notebook is the master's, so the other exercises are graded exactly as the reference was.
    mine, master = exercise_cells(read_notebook(path)), exercise_cells(read_notebook(MASTERS[lesson].master))
    assert {k: v for k, v in mine.items() if k != exercise} == {k: v for k, v in master.items() if k != exercise}
    if full:
        others = {e: s for e, s in scores.items() if e != exercise and e in master}
        assert others and all(s == m for s, m in others.values()), graded.block(student)


@pytest.mark.parametrize("lesson, exercise, index, why, source", planted_bugs(),
                         ids=[f"{b[1]}.{b[2]}" for b in planted_bugs()])
def test_a_planted_bug_that_fails_a_public_check_fails_a_hidden_test(course, lesson, exercise, index, why, source):
    """check() => grader: a student whom check() tells of a mistake also loses points for it.

    (The other direction, every planted bug fails a public check, is tests/test_check_agrees_with_grader.py.)"""
    graded, bugs = course
    if f"bug.{exercise}.{index}" not in bugs:
        pytest.skip("a training exercise's later bug, not graded with PLANTED_BUGS=first")
    failed = failed_public_checks(lesson, exercise, source)
    if not failed:
        pytest.skip("passes every public check: test_check_agrees_with_grader.py reports that direction")
    student = bugs[f"bug.{exercise}.{index}"][4]
    tests = [t for t in graded.results(student)["tests"] if t["name"].startswith(f"{lesson} / {exercise}: ")]
    # A hidden test that ran and failed: points lost because the session stopped ("not run: ...")
    # or the grader broke say nothing of the bug.
    caught = [t for t in tests if t["score"] < t["max_score"] and not t["output"].startswith(("not run", "grader error"))]
    assert caught, (f"planted bug {index} of {exercise} ({why}) fails the public check(s) "
                    f"{[title for title, _ in failed]} but no hidden test fails on it: check() and the grader "
                    f"disagree\n{graded.block(student)}")


def test_grades_csv_lists_every_student_with_numbers(course):
    graded, bugs = course
    rows = graded.csv_rows()
    students = {student for *_, student, _full in bugs.values()}
    assert set(rows) == {"reference", "lessons", "helper_elsewhere", "patches_the_judging", *students,
                         *(f"delegates.{e}" for e in DELEGATING), "delegates.twin"}
    for row in rows.values():
        assert float(row["total"]) <= float(row["max"])
        assert 0.0 <= float(row["percent"]) <= 100.0


def test_the_class_report_links_the_similarity_report_which_pairs_the_twins(course):
    graded, _ = course
    page = (graded.out / "similarity.html").read_text(encoding="utf-8")
    first, second = sorted([f"delegates.{list(DELEGATING)[-1]}", "delegates.twin"])
    assert f"{first} and {second}" in page, page[:2000]
    # The reference and the stubs are what everyone may hand in: never half of a pair.
    pairs = re.findall(r"<h2>[^<]*: (\S+) and (\S+) \(", page)
    assert not {"reference", "lessons"} & {name for pair in pairs for name in pair}, pairs
    assert f"href='similarity.html'>Similar answers</a>: {len(pairs)} pair(s)" in \
        (graded.out / "class_report.html").read_text(encoding="utf-8")


def test_the_console_shows_no_tensorflow_start_up_lines(course):
    graded, _ = course
    console = graded.stdout + graded.stderr
    assert "oneDNN" not in console and "cuda drivers" not in console, console[:3000]


def test_results_json_is_gradescope_shaped(course):
    graded, _ = course
    results = graded.results("reference")
    assert results["score"] == sum(t["score"] for t in results["tests"]) == results["extra_data"]["max_score"]
    for test in results["tests"]:
        assert {"name", "score", "max_score", "output", "visibility", "status"} <= set(test)

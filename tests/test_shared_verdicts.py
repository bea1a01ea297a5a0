"""A cell identical to one graded earlier in the run gets that cell's verdicts; nobody pays for another's judge.

The grader runs on the fake course (``fake_course``: seconds, no TensorFlow) for the
end-to-end cases; the case of a first grading whose judge died is driven through
``grading.grade`` with a runner that plays the judges, since no student's cell can be
made to kill a judge on purpose (that is what the runner's limits are for).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import fake_course
from autograder import grading
from autograder.discover import Submission
from autograder.quick_nbformat import nbformat
from autograder.runner import Finished, Limits
from grader_helpers import run_grader

WRONG_ADD = "def add(a, b):\n    return a - b\n"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return fake_course.env(fake_course.make(tmp_path_factory.mktemp("fake_course")))


def a_class(folder: Path) -> Path:
    """ana and ben hand in the same notebook; cy's `add` is wrong, her other cells are ana's."""
    for student, nb in (("ana", fake_course.master()), ("ben", fake_course.master()),
                        ("cy", fake_course.with_cell("add", WRONG_ADD))):
        (folder / student).mkdir(parents=True)
        nbformat.write(nb, folder / student / f"{fake_course.LESSON}.ipynb")
    return folder


def scores(out: Path) -> dict[str, dict[str, float]]:
    """student -> test title -> score, from each student's results.json."""
    found = {}
    for path in sorted((out / "results").glob("*/results.json")):
        tests = json.loads(path.read_text())["tests"]
        found[path.parent.name] = {t["name"]: t["score"] for t in tests if "max_score" in t and t["max_score"]}
    return found


def judged_exercises(out: Path, student: str) -> set[str]:
    """The exercises a contestant of this student's own ran (each writes its log, even when empty)."""
    return {path.name.split(".")[1] for path in (out / "logs" / student).glob(f"{fake_course.LESSON}.*.log")
            if not path.name.endswith((".judge.log", ".zygote.log"))}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, course):
    work = tmp_path_factory.mktemp("shared")
    klass = a_class(work / "class")
    outs = {}
    for mode, extra in (("shared", ()), ("every", ("--grade-every-copy",))):
        outs[mode] = work / mode
        result = run_grader(str(klass), *extra, out=outs[mode], env=course, timeout=600)
        assert result.returncode == 0, result.stderr
    return outs


def test_each_distinct_cell_is_graded_once(graded):
    out = graded["shared"]
    assert judged_exercises(out, "ana") == {"add", "scale", "counter"}
    assert judged_exercises(out, "ben") == set(), "ben's cells are ana's: nothing of his should have run"
    assert judged_exercises(out, "cy") == {"add"}, "only cy's own `add` differs from ana's"


def test_shared_verdicts_are_the_verdicts_each_would_get_alone(graded):
    shared, every = scores(graded["shared"]), scores(graded["every"])
    assert shared == every
    assert shared["ana"] == shared["ben"]
    full = sum(shared["ana"].values())
    assert full > 0 and sum(shared["cy"].values()) < full, "cy's wrong add must cost her points, and only hers"
    assert judged_exercises(graded["every"], "ben") == {"add", "scale", "counter"}


def _submission(tmp_path: Path, name: str, add_source: str) -> Submission:
    notebook = tmp_path / f"{name}.ipynb"
    notebook.write_text("{}")
    return Submission(name, notebook, [fake_course.LESSON], {fake_course.LESSON: notebook},
                      cells={fake_course.LESSON: {"add": add_source}})


class PlayedRunner:
    """Plays the judges: the first job's judge dies (the grader's fault), every other passes every test."""

    def __init__(self):
        self.keys = []

    def run(self, jobs, on_finished):
        pending = list(jobs)
        while pending:
            job = pending.pop(0)
            self.keys.append(job.key)
            if len(self.keys) == 1:
                finished = Finished(job.key, [], "grader", "not graded: the grader's own process died", 1.0, 0.0)
            else:
                records = [{"kind": "test", "nodeid": nodeid, "outcome": "passed"} for nodeid in job.task["nodeids"]]
                finished = Finished(job.key, records, "ok", "", 1.0, 0.0)
            pending += on_finished(finished) or []
        return {}


def test_a_copy_whose_first_grading_died_is_graded_on_its_own(tmp_path, monkeypatch):
    monkeypatch.setattr(grading, "lessons", lambda: [])
    plan = {fake_course.LESSON: {"add": [grading.PlannedTest("t::add", "adds", 2.0)]}}
    same = fake_course.CELLS["add"]
    students = [_submission(tmp_path, "ana", same), _submission(tmp_path, "ben", same)]
    runner = PlayedRunner()
    results = grading.grade(students, plan, Limits(jobs=2), runner, tmp_path / "logs")
    assert len(runner.keys) == 2, f"ben's copy must get a judge of its own after ana's died: {runner.keys}"
    assert results[0].score == 0.0 and "grader" in results[0].exercises[0].tests[0].message
    assert results[1].score == 2.0, "ben must not lose points to ana's judge"

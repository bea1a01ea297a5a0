"""Grade submissions: list the hidden tests, run them in judges (a judge per student, or a few), score.

The score is computed here, in the grader's own process, from the list of
tests and points that ``collect_plan`` made before any student code ran. A
judge only reports which tests passed; a test it does not report (because the
student's code crashed, hung, exited or ate memory) scores nothing and gets
the contestant's fate as its message.
"""

from __future__ import annotations

import copy
import hashlib
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder import library_copies
from autograder.discover import Submission
from autograder.notebooks import lessons
from autograder.runner import Finished, Job, Limits, Runner
from autograder.contestants import TRAINING_BUDGET_FACTOR
from autograder.paths import HIDDEN_TESTS
from autograder.messages import NOT_IMPLEMENTED
from autograder.student_ids import safe_name


class GraderError(Exception):
    """The grader itself cannot run (broken hidden tests, ...): not a student's fault."""


@dataclass
class PlannedTest:
    nodeid: str
    title: str
    points: float
    trains: bool = False   # its exercise trains a model (judge.trains_a_model): scheduled first


# lesson -> exercise -> tests, in the order of the hidden-test module
Plan = dict[str, dict[str, list[PlannedTest]]]


@dataclass
class GradedTest:
    title: str
    points: float
    score: float
    message: str          # empty when passed


@dataclass
class PublicResult:
    """A public check of the exercise, run by the grader as ``check()`` runs it: information, no points."""
    title: str
    passed: bool
    message: str          # empty when passed


@dataclass
class Override:
    """The instructor's decision (``--overrides``, :mod:`autograder.overrides`): these points replace the tests'."""
    points: float
    comment: str = ""


@dataclass
class ExerciseResult:
    lesson: str
    exercise: str
    tests: list[GradedTest]
    seconds: float = 0.0
    pictures: list[dict] = field(default_factory=list)  # {"title", "png" (base64), "note"?}: what the model drew
    public: list[PublicResult] = field(default_factory=list)  # the public checks' verdicts (autograder.public_results)
    override: Override | None = None  # applied when reports are written, never saved (autograder.overrides)

    @property
    def tests_score(self) -> float:
        """What the hidden tests gave, whatever the instructor decided."""
        return sum(t.score for t in self.tests)

    @property
    def score(self) -> float:
        return self.override.points if self.override is not None else self.tests_score

    @property
    def max_score(self) -> float:
        return sum(t.points for t in self.tests)


@dataclass
class StudentResult:
    name: str
    source: Path
    exercises: list[ExerciseResult]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    instructor_notes: list[str] = field(default_factory=list)  # information only (library_copies), not a penalty

    @property
    def score(self) -> float:
        return sum(e.score for e in self.exercises)

    @property
    def max_score(self) -> float:
        return sum(e.max_score for e in self.exercises)

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0


def collect_plan(runner: Runner, log_dir: Path, hidden_tests: Path = HIDDEN_TESTS) -> Plan:
    """List the hidden tests and their points, in a child process like the grading itself."""
    job = Job("collect", {"command": "collect", "hidden_tests": str(hidden_tests)}, log_dir / "collect.log")
    finished = runner.run([job])["collect"]
    errors = [r["message"] for r in finished.records if r.get("kind") == "error"]
    if finished.status != "ok" or errors:
        detail = "\n".join(errors) or finished.detail or "see the log"
        raise GraderError(f"the hidden tests in {hidden_tests} could not be collected:\n{detail}\n(log: {job.log_file})")
    plan: Plan = {}
    for record in finished.records:
        if record.get("kind") == "test":
            plan.setdefault(record["lesson"], {}).setdefault(record["exercise"], []).append(
                PlannedTest(record["nodeid"], record["title"], float(record["points"]), bool(record.get("trains"))))
    return plan


def check_plan(plan: Plan) -> list[str]:
    """Warnings for the instructor: exercises without hidden tests, tests without a lesson."""
    from autograder.notebooks import master_exercises

    warnings = []
    masters = {l.name: l for l in lessons()}
    for lesson_name in plan:
        if lesson_name not in masters:
            warnings.append(f"hidden tests for {lesson_name}, which has no master notebook: ignored")
    for name, lesson in masters.items():
        exercises = master_exercises(lesson)
        for exercise in sorted(exercises - set(plan.get(name, {}))):
            warnings.append(f"{name}: exercise {exercise!r} has no hidden tests (it is not graded)")
        for exercise in sorted(set(plan.get(name, {})) - exercises):
            warnings.append(f"{name}: hidden tests for {exercise!r}, which is not an exercise of the master: ignored")
    return warnings


def _zero(lesson: str, exercise: str, tests: list[PlannedTest], message: str) -> ExerciseResult:
    return ExerciseResult(lesson, exercise, [GradedTest(t.title, t.points, 0.0, message) for t in tests])


def score_exercise(lesson: str, exercise: str, tests: list[PlannedTest], finished: Finished) -> ExerciseResult:
    """Points for the tests the child reported as passed; the rest get their failure or the child's fate."""
    verdicts = {r["nodeid"]: r for r in finished.records if r.get("kind") == "test"}
    end = next((r for r in finished.records if r.get("kind") == "end"), None)
    if finished.status != "ok":
        missing = finished.detail
    elif end is not None and end.get("exit_code") == 2:
        missing = "not run: the tests were interrupted (does your code raise KeyboardInterrupt?)"
    elif end is not None and end.get("exit_code") not in (0, 1):
        missing = f"not run: the test session stopped early (pytest exit code {end.get('exit_code')})"
    else:
        missing = "not run"
    results = []
    for test in tests:
        verdict = verdicts.get(test.nodeid)
        if verdict is None:
            results.append(GradedTest(test.title, test.points, 0.0, missing))
        elif verdict.get("outcome") == "passed":
            results.append(GradedTest(test.title, test.points, test.points, ""))
        else:
            results.append(GradedTest(test.title, test.points, 0.0, verdict.get("message") or "failed"))
    public = next(([PublicResult(str(c["title"]), bool(c["passed"]), str(c["message"])) for c in r["checks"]]
                   for r in finished.records if r.get("kind") == "public" and r.get("exercise") == exercise), [])
    drawn = [{"title": str(r.get("title", ""))[:200], "png": r["png"],
              **({"note": str(r["note"])[:1000]} if r.get("note") else {})} for r in finished.records
             if r.get("kind") == "picture" and r.get("exercise") == exercise and isinstance(r.get("png"), str)]
    nodeids = {t.nodeid for t in tests}
    seconds = sum(float(r.get("seconds", 0.0)) for r in finished.records
                  if r.get("kind") == "test" and r.get("nodeid") in nodeids)
    return ExerciseResult(lesson, exercise, results, seconds, drawn, public)


def exercises_to_grade(plan: Plan, lesson: str, only: set[str] | None) -> list[str]:
    return [e for e in plan.get(lesson, {}) if only is None or e in only]


def grade(submissions: list[Submission], plan: Plan, limits: Limits, runner: Runner, log_dir: Path,
          only_exercises: set[str] | None = None, on_student=None, public_checks: bool = False,
          share_verdicts: bool = True) -> list[StudentResult]:
    """Grade every submission; ``on_student(index, result)`` is called as each student completes.

    ``public_checks``: also run each exercise's public checks (:mod:`autograder.public_results`).
    ``share_verdicts``: a cell identical to one graded earlier in the run gets a copy of its
    results instead of a grading of its own (see ``_cell_key``).
    """
    started = time.monotonic()
    slots: dict[tuple[int, str, str], ExerciseResult | None] = {}
    jobs: list[Job] = []
    lesson_jobs: dict[tuple[int, str], list[str]] = {}
    first_with: dict[tuple[str, str, str], tuple[int, str, str]] = {}   # a cell -> the slot that grades it
    same_cell: dict[tuple[int, str, str], list[tuple[int, str, str]]] = {}  # that slot -> the slots that wait for it
    for index, submission in enumerate(submissions):
        wanted = only_exercises if submission.exercises is None else (
            submission.exercises if only_exercises is None else submission.exercises & only_exercises)
        for lesson in submission.lessons:
            for exercise in exercises_to_grade(plan, lesson, wanted):
                tests = plan[lesson][exercise]
                key = (index, lesson, exercise)
                if lesson in submission.problems:
                    slots[key] = _zero(lesson, exercise, tests, submission.problems[lesson])
                elif exercise not in submission.cells.get(lesson, {}):
                    notebook = submission.notebooks[lesson].name
                    slots[key] = _zero(lesson, exercise, tests,
                                       f"no cell starting with '# Exercise: {exercise}' in {notebook} "
                                       "(was it deleted or renamed?)")
                else:
                    slots[key] = None
                    first = first_with.setdefault(_cell_key(lesson, exercise, submission.cells[lesson][exercise]),
                                                  key) if share_verdicts else key
                    if first != key:
                        same_cell.setdefault(first, []).append(key)
                    else:
                        lesson_jobs.setdefault((index, lesson), []).append(exercise)
                    for note in library_copies.notes(lesson, exercise, submission.cells[lesson][exercise],
                                                     submission.notebooks[lesson]):
                        if note not in submission.instructor_notes:
                            submission.instructor_notes.append(note)
    # A judge grades some of a student's lessons, exercise after exercise, each in a
    # contestant of its own forked from the judge's one warm sandbox: one sandbox start
    # (an interpreter importing TensorFlow) per judge. A class fills the cores with one
    # judge per student; a lone student's lessons are split so that every core works.
    job_exercises: dict[tuple, dict[str, list[str]]] = {}  # a job's key -> the exercises it grades, by lesson

    def judge_jobs(index: int, mine: dict[str, list[str]], judges: int, again: bool = False) -> list[Job]:
        """Jobs for these exercises of one student, their lessons split between ``judges`` judges."""
        submission = submissions[index]
        folder = log_dir / safe_name(submission.name)
        weights = {lesson: _budgets(plan, lesson, exercises) for lesson, exercises in mine.items()}
        made = []
        for group in split_lessons(weights, judges):
            tests = [t for lesson in group for exercise in mine[lesson] for t in plan[lesson][exercise]]
            task = {"command": "run", "nodeids": [t.nodeid for t in tests],
                    # absolute(), not resolve(): the file discovery found, never where a link would lead
                    "notebooks": {lesson: str(submission.notebooks[lesson].absolute()) for lesson in group},
                    "hidden_tests": str(HIDDEN_TESTS), "public_checks": public_checks,
                    # What the student's code printed, per exercise, and (apart) what the judge printed.
                    "contestant_log": str(folder / "{lesson}.{exercise}.log")}
            key = ("again",) * again + (index, tuple(group))
            job_exercises[key] = {lesson: mine[lesson] for lesson in group}
            made.append(Job(key, task, folder / f"{'+'.join(group)}{'.again' * again}.judge.log",
                            trains=any(t.trains for t in tests),
                            # the public checks' contestants have budgets of their own: the judge's wall clock allows them
                            budgets=sum(weights[lesson] for lesson in group) * (2 if public_checks else 1)))
        return made

    students = {index for index, _ in lesson_jobs}
    per_student = max(1, -(-limits.jobs // max(1, len(students))))
    for index in sorted(students):
        jobs += judge_jobs(index, {lesson: exercises for (i, lesson), exercises in lesson_jobs.items() if i == index},
                           per_student)
    waiting = {i: sum(1 for k, v in slots.items() if k[0] == i and v is None) for i in range(len(submissions))}
    results: dict[int, StudentResult] = {}

    def student_done(index: int) -> None:
        submission = submissions[index]
        exercises = [slots[k] for k in sorted(
            (k for k in slots if k[0] == index), key=lambda k: _order(plan, k[1], k[2]))]
        result = StudentResult(submission.name, submission.source, exercises, list(submission.notes),
                               sum(e.seconds for e in exercises), list(submission.instructor_notes))
        results[index] = result
        if on_student:
            on_student(index, result)

    def place(key: tuple[int, str, str], result: ExerciseResult) -> None:
        index = key[0]
        slots[key] = result
        waiting[index] -= 1
        if waiting[index] == 0:
            student_done(index)

    def finished(done: Finished) -> list[Job]:
        alone: dict[int, dict[str, list[str]]] = {}  # cells whose first grading failed: graded on their own
        index = done.key[-2]
        for lesson, exercises in job_exercises.pop(done.key).items():
            for exercise in exercises:
                result = score_exercise(lesson, exercise, plan[lesson][exercise], done)
                for other in same_cell.pop((index, lesson, exercise), []):
                    if done.status == "ok":  # the judge finished: the verdicts are the cell's own
                        place(other, copy.deepcopy(result))
                    else:  # the judge died (of another exercise, or the grader): no one else pays for it
                        alone.setdefault(other[0], {}).setdefault(lesson, []).append(exercise)
                place((index, lesson, exercise), result)
        return [job for other, mine in alone.items() for job in judge_jobs(other, mine, 1, again=True)]

    for index, count in waiting.items():  # students with nothing to run (all missing)
        if count == 0:
            student_done(index)
    runner.run(jobs, finished)
    elapsed = time.monotonic() - started
    if len(submissions) > 1:
        print(f"graded {len(submissions)} submissions in {elapsed:.1f} s", file=sys.stderr)
    return [results[i] for i in range(len(submissions))]


def _cell_key(lesson: str, exercise: str, source: str) -> tuple[str, str, str]:
    """What an exercise's verdicts depend on besides the run's settings: its lesson, its name and the
    student's cell, byte for byte (the contestant runs the master's setup and reference cells around
    it, never another cell of the student's, and nothing tells it whose cell it runs). Two students
    with the same cell get the same verdicts, so the grader grades it once per run."""
    return lesson, exercise, hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()


def _budgets(plan: Plan, lesson: str, exercises: list[str]) -> float:
    """How many exercise budgets a lesson may use: a training exercise counts TRAINING_BUDGET_FACTOR."""
    return sum(TRAINING_BUDGET_FACTOR if any(t.trains for t in plan[lesson][e]) else 1 for e in exercises)


def split_lessons(weights: dict[str, float], groups: int) -> list[list[str]]:
    """The lessons in at most ``groups`` groups of about equal weight, each in course order.

    Heaviest first, each onto the lightest group so far (the longest-processing-time rule).
    """
    totals = [0.0] * max(1, min(groups, len(weights)))
    members: list[list[str]] = [[] for _ in totals]
    for lesson in sorted(weights, key=lambda name: -weights[name]):
        lightest = totals.index(min(totals))
        totals[lightest] += weights[lesson]
        members[lightest].append(lesson)
    order = list(weights)
    return [sorted(group, key=order.index) for group in members if group]


def _order(plan: Plan, lesson: str, exercise: str) -> tuple[int, int]:
    lesson_names = [l.name for l in lessons()]
    exercises = list(plan.get(lesson, {}))
    return (lesson_names.index(lesson) if lesson in lesson_names else 99,
            exercises.index(exercise) if exercise in exercises else 99)


def is_not_implemented(exercise: ExerciseResult) -> bool:
    return all(t.message == NOT_IMPLEMENTED for t in exercise.tests)

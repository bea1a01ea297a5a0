"""Reports: a readable summary, ``grades.csv`` and Gradescope's ``results.json``.

Gradescope's format (https://gradescope-autograders.readthedocs.io/en/latest/specs/):
top level ``score``, ``execution_time``, ``output``, ``output_format``,
``visibility``, ``stdout_visibility``, ``tests``; each test ``name``, ``score``,
``max_score``, ``status``, ``output``, ``output_format``, ``visibility``.
The visibility fields come from the instructor's policy (:mod:`autograder.visibility`):
the public checks' verdicts (``lesson / exercise: public check: title``, 0 points) and
the pictures are of kind ``public``; the hidden tests and the instructor's decisions of
kind ``hidden``. An exercise the instructor decided (:mod:`autograder.overrides`) lists
its tests as they ran at 0 of 0 points and one ``instructor's decision`` entry carrying
the exercise's points, so that the tests' scores still add up to the total.
The total maximum is not a top-level field of that format (Gradescope takes it from the assignment's settings); it is kept in
``extra_data.max_score``; the instructor's notes (:mod:`autograder.library_copies`) are in
``extra_data.instructor_notes``, which students do not see.

Student ids, notes and messages come from what students handed in: the text
reports show them through :func:`autograder.student_ids.shown`, so none can
break a line, forge another student's block or send terminal escapes.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from autograder import overrides, visibility
from autograder.grading import ExerciseResult, Plan, StudentResult, is_not_implemented
from autograder.messages import NOT_IMPLEMENTED
from autograder.student_ids import safe_name, shown


def fmt(points: float) -> str:
    return f"{points:g}"


def feedback_lines(exercise: ExerciseResult) -> list[str]:
    """One line per failed test, or one line for the exercise when every test failed the same way."""
    decided = [shown(decision_line(exercise))] if exercise.override is not None else []
    failed = [t for t in exercise.tests if t.score < t.points]
    if not failed:
        return decided
    messages = {t.message for t in failed}
    if len(failed) == len(exercise.tests) and len(messages) == 1:
        return decided + [shown(messages.pop())]
    return decided + [shown(f"{t.title}: {t.message}") for t in failed]


def decision_line(exercise: ExerciseResult) -> str:
    return overrides.describe(exercise.override, exercise.tests_score)


def student_summary(result: StudentResult) -> str:
    lines = [f"== {shown(result.name)}: {fmt(result.score)}/{fmt(result.max_score)} points ({result.percent:.1f} %)"]
    lines += [f"   note: {shown(note)}" for note in result.notes]
    lines += [f"   for the instructor: {shown(note)}" for note in result.instructor_notes]
    width = max((len(e.exercise) for e in result.exercises), default=10)
    lesson = None
    for exercise in result.exercises:
        if exercise.lesson != lesson:
            lesson = exercise.lesson
            lines.append(f"   {lesson}")
        percent = 100.0 * exercise.score / exercise.max_score if exercise.max_score else 0.0
        timing = f"  ({exercise.seconds:.1f} s)" if exercise.seconds else ""
        lines.append(f"     {exercise.exercise:<{width}}  {fmt(exercise.score):>4}/{fmt(exercise.max_score):<4} "
                     f"{percent:5.1f} %{timing}")
        for line in feedback_lines(exercise):
            lines.append(f"         - {line}")
    return "\n".join(lines)


def class_summary(results: list[StudentResult]) -> str:
    if not results:
        return "no submissions were graded"
    mean = sum(r.percent for r in results) / len(results)
    return f"{len(results)} submission(s) graded; mean {mean:.1f} %"


def write_csv(path: Path, results: list[StudentResult], plan: Plan, lessons_order: list[str]) -> None:
    """One row per student: a column per exercise (points), total, max, percent.

    An exercise the student was not graded on (a single-lesson submission) is
    left empty rather than 0, so that it is not mistaken for a failure.
    """
    columns = [(lesson, exercise) for lesson in lessons_order for exercise in plan.get(lesson, {})
               if any(e.lesson == lesson and e.exercise == exercise for r in results for e in r.exercises)]
    decided = any(e.override is not None for r in results for e in r.exercises)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *[exercise for _, exercise in columns], "total", "max", "percent"]
                        + (["instructor_decisions"] if decided else []))
        for result in results:
            scores = {(e.lesson, e.exercise): e.score for e in result.exercises}
            decisions = "; ".join(shown(f"{e.exercise}: {decision_line(e)}")
                                  for e in result.exercises if e.override is not None)
            writer.writerow([shown(result.name), *[fmt(scores[c]) if c in scores else "" for c in columns],
                             fmt(result.score), fmt(result.max_score), f"{result.percent:.1f}"]
                            + ([decisions] if decided else []))


def gradescope_results(result: StudentResult, policy: visibility.Policy | None = None) -> dict:
    policy = policy or visibility.load()
    tests = []
    for exercise in result.exercises:
        where = f"{exercise.lesson} / {exercise.exercise}"
        for check in exercise.public:  # what check() says, at no points: the student's code could forge it
            tests.append({
                "name": f"{where}: public check: {shown(check.title)}",
                "score": 0.0,
                "max_score": 0.0,
                "status": "passed" if check.passed else "failed",
                "output": "passed" if check.passed else shown(check.message),
                "output_format": "text",
                "visibility": policy.for_test(exercise.exercise, "public"),
            })
        decided = exercise.override is not None
        for test in exercise.tests:
            passed = test.score >= test.points
            output = "passed" if passed else shown(test.message)
            tests.append({
                "name": f"{where}: {test.title}",
                "score": 0.0 if decided else test.score,
                "max_score": 0.0 if decided else test.points,
                "status": "passed" if passed else "failed",
                "output": f"(replaced by the instructor's decision) {output}" if decided else output,
                "output_format": "text",
                "visibility": policy.for_test(exercise.exercise, "hidden"),
            })
        if decided:
            tests.append({
                "name": f"{where}: instructor's decision",
                "score": exercise.score,
                "max_score": exercise.max_score,
                "status": "passed" if exercise.score >= exercise.max_score else "failed",
                "output": shown(decision_line(exercise)),
                "output_format": "text",
                "visibility": policy.for_test(exercise.exercise, "hidden"),
            })
    for exercise in result.exercises:
        if exercise.pictures:  # not a test: a look at what the student's model drew, beside the reference's
            tests.append({
                "name": f"{exercise.lesson} / {exercise.exercise}: what your model drew",
                "score": 0.0,
                "max_score": 0.0,
                "status": "passed",
                "output": pictures_html(exercise),
                "output_format": "html",
                "visibility": policy.for_test(exercise.exercise, "public"),
            })
    output = [f"{fmt(result.score)}/{fmt(result.max_score)} points ({result.percent:.1f} %)."]
    output += [f"Note: {shown(note)}" for note in result.notes]
    for exercise in result.exercises:
        if is_not_implemented(exercise):
            output.append(f"{exercise.lesson} / {exercise.exercise}: {NOT_IMPLEMENTED}")
    return {
        "score": result.score,
        "execution_time": round(result.seconds, 1),
        "output": "\n".join(output),
        "output_format": "text",
        "visibility": policy.overall,
        "stdout_visibility": policy.stdout,   # the grader's own log: for the instructor by default
        "tests": tests,
        "extra_data": {"student": shown(result.name), "max_score": result.max_score, "percent": round(result.percent, 2),
                       "instructor_notes": [shown(note) for note in result.instructor_notes]},
    }


def pictures_html(exercise: ExerciseResult) -> str:
    """The exercise's pictures, each beside the reference solution's picture of the same thing."""
    from html import escape

    from autograder.pictures import reference_png

    rows = []
    for picture in exercise.pictures:
        # Explained by its note: the reference's own picture standing for the student's (pictures.show_reference),
        # or one that holds its own comparison (pictures.record with a note).
        if picture.get("note"):
            rows.append(f"<figure><figcaption>{escape(picture['title'])}</figcaption><p>{escape(picture['note'])}</p>"
                        f'<img alt="{escape(picture["title"])}" src="data:image/png;base64,{picture["png"]}">'
                        "</figure>")
            continue
        reference = reference_png(exercise.exercise, picture["title"])
        theirs = f'<img alt="yours: {escape(picture["title"])}" src="data:image/png;base64,{picture["png"]}">'
        ours = (f'<img alt="reference: {escape(picture["title"])}" src="data:image/png;base64,{reference}">'
                if reference else "<em>no reference picture</em>")
        rows.append(f"<figure><figcaption>{escape(picture['title'])}</figcaption>"
                    f"<table><tr><th>your model</th><th>the reference solution</th></tr>"
                    f"<tr><td>{theirs}</td><td>{ours}</td></tr></table></figure>")
    if any(not picture.get("note") for picture in exercise.pictures):  # so a blurry one is not read as a broken grader
        rows.insert(0, "<p>Drawn by the grader from your model after its short, fixed training "
                       "(the same for everyone), beside the reference solution's model after the same training.</p>")
    return "\n".join(rows)


def write_results_json(path: Path, result: StudentResult, policy: visibility.Policy | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(gradescope_results(result, policy), indent=2) + "\n", encoding="utf-8")


def results_json_path(out: Path, result: StudentResult) -> Path:
    return out / "results" / safe_name(result.name) / "results.json"

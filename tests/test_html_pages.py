"""The feedback page shows the student's cells beside their verdicts; the class report shows what went wrong.

Built from results written here by hand (no grading run): what each page must say is
known in advance, and a hostile cell or message must come out escaped.
"""

from __future__ import annotations

import re

from autograder.class_overview import common_failures_html, grid_html, stamp, stamp_html
from autograder.grading import ExerciseResult, GradedTest, PublicResult, StudentResult
from autograder.html_report import class_page, student_page


def _exercise(name, failed_message=None, every_test=False):
    tests = [GradedTest("shape", 1, 1, ""), GradedTest("values", 2, 2, "")]
    if failed_message:
        tests = [GradedTest(t.title, t.points, 0, failed_message) if every_test or t.title == "values" else t
                 for t in tests]
    return ExerciseResult("04_vae", name, tests, public=[PublicResult("keeps the shape", True, ""),
                                                         PublicResult("right spread", False, "spread 2, expected 1")])


def _student(name, *exercises):
    return StudentResult(name, None, list(exercises))


def test_the_feedback_page_shows_each_graded_cell_beside_its_verdicts():
    result = _student("ana", _exercise("sampling", "got NaN <b>"), _exercise("kl_divergence"))
    cells = {("04_vae", "sampling"): "# Exercise: sampling\nclass Sampling:\n    x = '<script>'\n\x1b[31m\n"}
    page = student_page(result, cells)
    answers = page[page.index("Your answers, test by test"):]
    assert answers.count("class='answer'") == 1  # no cell handed in for kl_divergence: no block
    assert "Sampling" in answers and "<script>" not in page and "&lt;script&gt;" in answers
    assert "\x1b" not in page and "\\x1b" in answers  # a terminal escape is shown, not sent
    assert "got NaN &lt;b&gt;" in answers and "(0/2)" in answers and "(1/1)" in answers
    assert "right spread" in answers and "spread 2, expected 1" in answers


def test_common_failures_count_students_and_set_whole_exercise_failures_apart():
    results = [_student(f"s{i}", _exercise("sampling", "values differ"),
                        _exercise("vae", "no notebook for lesson 04_vae", every_test=True)) for i in range(3)]
    results.append(_student("ok", _exercise("sampling"), _exercise("vae")))
    html = common_failures_html(results)
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td>", html)
    assert ("3", "04_vae / sampling", "values") in rows
    assert ("3", "04_vae / vae", "no notebook for lesson 04_vae") in rows
    assert "shape" not in {r[2] for r in rows}  # the vae tests did not fail one by one
    assert common_failures_html([_student("ok", _exercise("sampling"))]) == ""


def test_the_grid_has_a_row_per_student_and_links_each_cell_to_the_answer():
    results = [_student("b<en>", _exercise("sampling", "x")), _student("ana", _exercise("sampling"))]
    html = grid_html(results, {"ana": "feedback/ana.html", "b<en>": "feedback/b_en_.html"})
    assert html.index("ana") < html.index("b&lt;en&gt;")
    assert "href='feedback/ana.html#sampling'>3<" in html and "href='feedback/b_en_.html#sampling'>1<" in html


def test_the_class_report_carries_the_stamp():
    values = stamp(7, "student code runs in a contestant process")
    assert values["seed"] == "7" and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", values["graded"])
    page = class_page([_student("ana", _exercise("sampling"))], {"ana": "feedback/ana.html"}, 0, values)
    assert stamp_html(values) in page and "seed: 7" in page and "grader commit: " in page

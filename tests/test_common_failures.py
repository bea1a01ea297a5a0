"""The class report's most common failures count a failure once whatever numbers its message carries.

Results written here by hand: several students fail the same test with messages that differ
only in their numbers (each student's code gives its own values); the report must count
them as one failure, shown by a real message of one of them, and keep failures whose words
differ apart.
"""

from __future__ import annotations

import re
from html import unescape

from autograder.class_overview import common_failures_html, message_pattern
from autograder.grading import ExerciseResult, GradedTest, StudentResult


def _student(name: str, message: str, every_test: bool = False) -> StudentResult:
    tests = [GradedTest("shape", 1, 0 if every_test else 1, message if every_test else ""),
             GradedTest("test loss", 2, 0, message)]
    return StudentResult(name, None, [ExerciseResult("04_vae", "vae", tests)])


def _rows(html: str) -> list[tuple[str, ...]]:
    return re.findall(r"<tr><td>(\d+)</td><td>04_vae / vae</td>(?:<td>([^<]*)</td>)?<td>([^<]*)</td></tr>", html)


def test_messages_that_differ_only_in_numbers_are_one_failure_shown_by_a_real_message():
    got = ["test_loss = 0.31 after the grader's fixed training; the pass mark is <= 0.25",
           "test_loss = 0.29 after the grader's fixed training; the pass mark is <= 0.25",
           "test_loss = 1e+03 after the grader's fixed training; the pass mark is <= 0.25",
           "your VAE returned NaN at index (3, 1)"]
    html = common_failures_html([_student(f"s{i}", message) for i, message in enumerate(got)])
    [(students, test, message)] = _rows(html)
    assert (students, test) == ("4", "test loss")
    # Three of the four missed the pass mark: one failure, shown as the first of them read it.
    assert unescape(message) == f"{got[0]} (3 of them)"


def test_whole_exercise_failures_that_differ_only_in_numbers_are_one_reason():
    killed = [f"stopped: your code used more than {mb} MB of memory" for mb in (4100, 4096, 5000)]
    html = common_failures_html([_student(f"s{i}", m, every_test=True) for i, m in enumerate(killed)])
    assert _rows(html) == [("3", "", killed[0])]


def test_numbers_are_masked_where_they_stand_alone_only():
    assert message_pattern("expected 0.25, got -0.31 (1e-05 apart).") == "expected #, got # (# apart)."
    assert message_pattern("shape (32, 32, 1) of a 3x3 Conv2D in 04_vae, float32") == \
        "shape (#, #, #) of a 3x3 Conv2D in 04_vae, float32"

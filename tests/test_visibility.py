"""The visibility policy: defaults, per exercise and per kind, refused when invalid, written into results.json."""

from __future__ import annotations

import json

import pytest

from autograder import visibility
from autograder.grading import ExerciseResult, GradedTest, StudentResult
from autograder.report import gradescope_results


def student():
    tests = [GradedTest("works", 2, 2, ""), GradedTest("edge case", 1, 0, "wrong at 0")]
    return StudentResult("alice", None, [ExerciseResult("04_vae", "sampling", tests),
                                         ExerciseResult("04_vae", "vae", [GradedTest("trains", 5, 5, "")])])


def test_the_shipped_default_hides_hidden_tests_until_published_and_shows_the_score():
    policy = visibility.load(visibility.DEFAULT_FILE)
    assert policy.for_test("sampling", "hidden") == "after_published"
    assert policy.for_test("sampling", "public") == "visible"
    results = gradescope_results(student(), policy)
    assert results["visibility"] == "visible" and results["stdout_visibility"] == "hidden"
    assert {t["visibility"] for t in results["tests"]} == {"after_published"}


def test_per_exercise_and_per_kind_settings():
    policy = visibility.parse({"tests": {"hidden": "after_due_date"},
                               "exercises": {"vae": "hidden", "sampling": {"public": "after_published"}}})
    assert policy.for_test("vae", "hidden") == policy.for_test("vae", "public") == "hidden"
    assert policy.for_test("sampling", "public") == "after_published"
    assert policy.for_test("sampling", "hidden") == "after_due_date"
    assert policy.for_test("other", "public") == "visible"
    by_name = {t["name"]: t["visibility"] for t in gradescope_results(student(), policy)["tests"]}
    assert by_name == {"04_vae / sampling: works": "after_due_date", "04_vae / sampling: edge case": "after_due_date",
                       "04_vae / vae: trains": "hidden"}


@pytest.mark.parametrize("data, where", [({"overall": "sometimes"}, "overall"),
                                         ({"tests": {"hidden": "never"}}, "tests.hidden"),
                                         ({"tests": {"secret": "hidden"}}, "tests.secret"),
                                         ({"exercises": {"vae": {"hidden": "later"}}}, "exercises.vae.hidden")])
def test_an_invalid_policy_is_refused_with_where(data, where):
    with pytest.raises(visibility.VisibilityError, match=where.replace(".", r"\.")):
        visibility.parse(data)


def test_the_environment_variable_points_at_another_file(tmp_path, monkeypatch):
    path = tmp_path / "v.json"
    path.write_text(json.dumps({"overall": "after_published", "stdout": "visible"}))
    monkeypatch.setenv(visibility.ENV, str(path))
    results = gradescope_results(student())
    assert results["visibility"] == "after_published" and results["stdout_visibility"] == "visible"


def test_the_gradescope_builder_refuses_a_broken_policy(tmp_path):
    from autograder.gradescope import main

    bad = tmp_path / "bad.json"
    bad.write_text('{"overall": "nope"}')
    assert main(["--out", str(tmp_path / "z.zip"), "--visibility", str(bad)]) == 2
    assert not (tmp_path / "z.zip").exists()


def test_public_checks_are_visible_at_once_at_no_points_and_hidden_tests_wait():
    from autograder.grading import PublicResult

    result = student()
    result.exercises[0].public = [PublicResult("returns the mean at zero variance", True, ""),
                                  PublicResult("is random", False, "two calls gave the same z")]
    tests = gradescope_results(result, visibility.load(visibility.DEFAULT_FILE))["tests"]
    public = [t for t in tests if ": public check: " in t["name"]]
    assert [(t["visibility"], t["score"], t["max_score"], t["status"]) for t in public] == [
        ("visible", 0.0, 0.0, "passed"), ("visible", 0.0, 0.0, "failed")]
    assert public[1]["output"] == "two calls gave the same z"
    assert {t["visibility"] for t in tests if t not in public} == {"after_published"}

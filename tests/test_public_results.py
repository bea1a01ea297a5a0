"""The public checks' verdicts as the judge takes them from a contestant, which may answer anything."""

from __future__ import annotations

from autograder.public_results import MESSAGE_LIMIT, titles, verdicts


def test_titles_are_the_judges_own_in_check_order():
    from public_tests import framework

    framework._load_all_checks()
    assert titles("unpack_drawing") == [framework._title(f) for f in framework._REGISTRY["unpack_drawing"]]
    assert titles("Unpack_Drawing") == titles("unpack_drawing")  # any case, as check() takes it
    assert titles("no_such_exercise") == []


def test_the_contestant_gives_only_verdicts_and_messages():
    wanted = ["first", "second", "third"]
    rows = [["a forged title", True, ""], ["x", False, "wrong at 0"], ["y", True, ""]]
    assert verdicts(wanted, rows) == [{"title": "first", "passed": True, "message": ""},
                                      {"title": "second", "passed": False, "message": "wrong at 0"},
                                      {"title": "third", "passed": True, "message": ""}]


def test_checks_after_a_stop_get_its_message_and_malformed_rows_fail():
    wanted = ["first", "second", "third"]
    stopped = verdicts(wanted, [["first", False, "not implemented yet"]])
    assert [(v["passed"], v["message"]) for v in stopped] == [(False, "not implemented yet")] * 3
    for junk in (None, "all passed", {"0": True}, [[1, "yes", None]] * 3, [["t", 1, ""]] * 3):
        assert not any(v["passed"] for v in verdicts(wanted, junk)), junk
    long = verdicts(["only"], [["only", False, "x" * 10 * MESSAGE_LIMIT]])
    assert len(long[0]["message"]) == MESSAGE_LIMIT
    assert verdicts([], [["extra", True, ""]]) == []


def test_a_check_that_cannot_run_in_the_sandbox_says_so_and_is_not_a_failure():
    """Where a public check needs a dataset the grader's sandbox does not hold, it passes with its reason,
    and a passed row's other text (anything a student's code puts there) is dropped."""
    from public_tests import framework

    def needs_data(ns):
        raise framework.NotRunHere("MNIST is not in the grader's sandbox")

    def fails(ns):
        framework.expect(False, "wrong")

    framework._REGISTRY["__probe_not_run_here"] = [needs_data, fails]
    try:
        rows = framework.run_checks("__probe_not_run_here", {})
    finally:
        del framework._REGISTRY["__probe_not_run_here"]
    assert [(passed, text.startswith(framework.NOT_RUN_HERE)) for _, passed, text in rows] == [(True, True),
                                                                                              (False, False)]
    shown = verdicts(["a", "b", "c"], [[t, p, m] for t, p, m in rows] + [["c", True, "forged praise"]])
    assert shown[0] == {"title": "a", "passed": True, "message": "not run here: MNIST is not in the grader's sandbox"}
    assert shown[1]["passed"] is False and shown[1]["message"] == "wrong"
    assert shown[2] == {"title": "c", "passed": True, "message": ""}

"""What a student reads for a failed hidden test: expected, got and the author's hint.

The expected lines here are written by hand from the inputs (a value of 0.69 stored as
float32 reads 0.69; two values that round alike get more digits), not copied from the
output. The conversion helpers of ``autograder.testing`` name the student's mistake; an
exception of the judge's own code names the hidden test's line.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from autograder.messages import comparison, describe, number
from autograder.pytest_plugin import Reporter, ResultSink
from autograder.testing import as_array, as_scalar


def raised_by(check) -> BaseException:
    with pytest.raises(BaseException) as caught:
        check()
    return caught.value


@pytest.mark.parametrize("value, other, shown", [
    (0.6899999976158142, None, "0.69"),      # float32 0.69 read back as a Python float
    (4.0, None, "4"),
    (123456.78, None, "123457"),              # large numbers keep their integer part, as check() shows them
    (1.2345678e-05, None, "1.235e-05"),
    (543.42731, 543.4273, "543.42731"),       # 4 digits would read the same as what it differs from
    (float("nan"), None, "nan"),
    (np.float32(2.5), None, "2.5"),
    (np.True_, None, "True"),
])
def test_numbers_read_to_four_significant_digits_unless_that_hides_the_difference(value, other, shown):
    assert number(value, other) == shown


def test_a_scalar_comparison_says_expected_and_got():
    assert comparison(5.0, 4.0, "the loss of one image") == "the loss of one image: expected 4, got 5"
    assert comparison(np.float32(0.69), 0.7) == "expected 0.7, got 0.69"


def test_a_small_array_is_shown_whole_with_its_differing_entries():
    assert comparison(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 2.5], [3.0, 0.0]]), "call(x)[0] is not z_mean") == (
        "call(x)[0] is not z_mean: expected [[1, 2.5], [3, 0]], got [[1, 2], [3, 4]] "
        "(2 of 4 values differ: at [0, 1] expected 2.5, got 2; at [1, 1] expected 0, got 4)")


def test_a_large_array_names_three_differing_entries_with_their_index():
    got = np.zeros((10, 10))
    got[0, 3], got[5, 0], got[7, 7], got[9, 9] = 1.0, 0.25, -2.0, 3.0
    assert comparison(got, np.zeros((10, 10)), "the strip") == (
        "the strip: 4 of 100 values differ (shape (10, 10)), e.g. at [0, 3] expected 0, got 1; "
        "at [5, 0] expected 0, got 0.25; at [7, 7] expected 0, got -2")


def test_a_shape_mismatch_says_both_shapes():
    assert comparison(np.zeros(3), np.zeros(2)) == "expected shape (2,), got shape (3,) (expected [0, 0], got [0, 0, 0])"
    assert comparison(np.zeros((32, 784)), np.zeros((32, 28, 28)), "the decoder's output") == \
        "the decoder's output: expected shape (32, 28, 28), got shape (32, 784)"


def test_numpy_testings_own_failures_read_with_the_authors_hint():
    error = raised_by(lambda: np.testing.assert_allclose(np.array([0.6899999976158142, 1.0]), [0.7, 1.0], rtol=1e-3,
                                                         err_msg="the share of blurry pixels"))
    assert describe(error) == ("the share of blurry pixels: expected [0.7, 1], got [0.69, 1] "
                               "(1 of 2 values differ: at [0] expected 0.7, got 0.69)")
    # Within the tolerance is no difference: only the entry outside it is named.
    error = raised_by(lambda: np.testing.assert_allclose([1.0, 1.0000001, 3.0], [1.0, 1.0, 2.0], rtol=1e-5))
    assert describe(error) == ("not the expected values: expected [1, 1, 2], got [1, 1, 3] "
                               "(1 of 3 values differ: at [2] expected 2, got 3)")
    error = raised_by(lambda: np.testing.assert_allclose(np.array([1.0, np.nan]), [1.0, 2.0]))
    assert describe(error) == "not the expected values: expected [1, 2], got [1, nan] (1 of 2 values differ: at [1] expected 2, got nan)"
    error = raised_by(lambda: np.testing.assert_allclose(np.ones(3), [0.0, 0.0]))
    assert describe(error) == "not the expected values: expected shape (2,), got shape (3,) (expected [0, 0], got [1, 1, 1])"
    error = raised_by(lambda: np.testing.assert_allclose(545.9, 545.4273, rtol=1e-5, err_msg="the VAE's loss"))
    assert describe(error) == "the VAE's loss: expected 545.4, got 545.9"


def test_numpys_report_alone_still_reads_as_the_hint_and_the_worst_difference():
    """Without numpy's frame (the error re-raised as text) the printed report is what there is."""
    error = raised_by(lambda: np.testing.assert_allclose(np.ones(3), np.zeros(3), err_msg="call(x)[0] is not z_mean"))
    assert describe(AssertionError(str(error))) == "call(x)[0] is not z_mean; max absolute difference among violations: 1."
    error = raised_by(lambda: np.testing.assert_array_equal(np.arange(3), np.zeros(3)))
    assert describe(AssertionError(str(error))) == "not the expected values; max absolute difference among violations: 2."


def test_a_bare_assert_shows_the_comparison_pytest_evaluated():
    # The texts pytest's assertion rewriting gives these asserts (checked end to end below).
    text = ("assert False\n +  where False = <built-in function isclose>(0.3, 0.4, abs_tol=1e-09)\n"
            " +    where <built-in function isclose> = math.isclose")
    assert describe(AssertionError(text)) == "the check `isclose(0.3, 0.4, abs_tol=1e-09)` failed"
    assert describe(AssertionError("assert np.float64(0.6899999976158142) == 0.7")) == "the check `0.69 == 0.7` failed"
    assert describe(AssertionError("assert 1.7 < 0.0001\n +  where 1.7 = abs((0.3 - 2.0))")) == \
        "the check `1.7 < 0.0001` failed (1.7 = abs((0.3 - 2.0)))"
    text = "assert (np.False_)\n +  where np.False_ = all(array([0.4985, 0.5083]) < 0.07)"
    assert describe(AssertionError(text)) == "the check `all(array([0.4985, 0.5083]) < 0.07)` failed"
    assert describe(AssertionError("assert not True\n +  where True = same(1, 1)")) == "the check `not same(1, 1)` failed"
    # The author's own numbers are rounded too, as check() rounds its messages.
    text = "0.252 everywhere costs 0.1640673130750656: no penalty\nassert 0.1640673130750656 > 0.5641"
    assert describe(AssertionError(text)) == "0.252 everywhere costs 0.1641: no penalty (the check `0.1641 > 0.5641` failed)"


def test_the_conversion_helpers_name_the_students_mistake():
    vector = raised_by(lambda: as_scalar(np.zeros(32), "compute_loss(x)"))
    assert isinstance(vector, AssertionError)
    assert describe(vector) == "your compute_loss(x) must be one number, got an array of shape (32,)"
    ragged = raised_by(lambda: as_array([[1, 2, 3], [4, 5]], "latent_grid(decoder)"))
    assert describe(ragged) == ("your latent_grid(decoder) must be an array of numbers, got a ragged list: "
                                "its items have different shapes ((3,), (2,))")
    shape = raised_by(lambda: as_array(np.zeros(784), "latent_grid(decoder)", shape=(None, 28, 28)))
    assert describe(shape) == "your latent_grid(decoder) must have shape (any, 28, 28), got shape (784,)"
    assert describe(raised_by(lambda: as_scalar(None, "blur_score(images)"))) == \
        "your blur_score(images) must be one number, got None"
    assert describe(raised_by(lambda: as_scalar("0.5", "blur_score(images)"))) == \
        "your blur_score(images) must be one number, got '0.5'"


def test_the_conversion_helpers_pass_numbers_and_nan():
    assert as_scalar(np.array([[2.5]]), "x") == 2.5 and as_scalar(np.float32(0.5), "x") == 0.5
    assert math.isnan(as_scalar(float("nan"), "x"))          # NaN is a number; `finite` rejects it
    grid = as_array([[1, 2], [3, float("nan")]], "grid", shape=(2, None))
    assert grid.dtype == np.float64 and grid.shape == (2, 2) and np.isnan(grid[1, 1])


HIDDEN_TEST = '''
import math

import numpy as np


def blur_score(images):
    return np.mean(images, axis=1)  # the student's mistake: one number per row


def test_float_of_a_vector():
    assert float(blur_score(np.ones((3, 2)))) == 1.0


def test_isclose():
    assert math.isclose(float(np.float64(0.3)), 0.4, abs_tol=1e-9)


def test_allclose_with_a_hint():
    np.testing.assert_allclose(blur_score(np.eye(2)), [0.5, 0.25], err_msg="one score per image")


def test_declared_conversion():
    score = blur_score(np.ones((3, 2)))
    from autograder.testing import as_scalar
    assert as_scalar(score, "blur_score(images)") == 1.0
'''


def test_the_judges_verdicts_end_to_end(tmp_path):
    """Real pytest (assertion rewriting, the Reporter plugin) on a hidden-test-like file."""
    (tmp_path / "test_fake_hidden.py").write_text(HIDDEN_TEST)
    sink_path = tmp_path / "results.jsonl"
    sink = ResultSink(sink_path)
    pytest.main([str(tmp_path / "test_fake_hidden.py"), "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path)],
                plugins=[Reporter(sink)])
    sink.close()
    verdicts = {json.loads(line)["nodeid"].split("::")[1]: json.loads(line)["message"]
                for line in sink_path.read_text().splitlines()}
    assert verdicts["test_float_of_a_vector"].startswith(
        "the grader could not use your answer: `assert float(blur_score(np.ones((3, 2)))) == 1.0` raised TypeError")
    assert verdicts["test_isclose"] == "the check `isclose(0.3, 0.4, abs_tol=1e-09)` failed"
    assert verdicts["test_allclose_with_a_hint"] == ("one score per image: expected [0.5, 0.25], got [0.5, 0.5] "
                                                     "(1 of 2 values differ: at [1] expected 0.25, got 0.5)")
    assert verdicts["test_declared_conversion"] == "your blur_score(images) must be one number, got an array of shape (3,)"


def test_a_probes_own_conversion_names_the_graders_line_not_the_students():
    """In the contestant, an error with no frame of the student's cell was met by the grader's probe."""
    from autograder.contestant import probes, server

    student = probes.StudentNames({"blend_labels": lambda weights: {"3": 0.5}})   # a dict, not a vector
    error = raised_by(lambda: probes.PROBES["blend_labels_of_pairs"](student, [[3, 1.0]]))
    message = server.describe(error, {})["message"]
    assert message.startswith("TypeError: float() argument must be a string or a real number, not 'dict' "
                              "(while the grader ran `") and "student.blend_labels(" in message, message
    # The student's own error keeps naming their cell (test_grader_units.py), never the grader's line.
    assert "your cell" not in message

"""check() prints the numbers of its verdicts the way a student reads them: rounded."""

from __future__ import annotations

import numpy as np
import pytest

from public_tests import framework
from public_tests.framework import check, expect, public_check, readable_numbers

NAME = "_rounding_test_exercise"  # registered by this module only


@pytest.fixture
def float32_check():
    """A public check whose expected and got values are float32 numbers read back as Python floats."""

    @public_check(NAME)
    def share(ns):
        """the share is 0.7"""
        value = float(np.float32(ns.share()))
        expect(value == float(np.float32(0.7)), f"the share {value} is wrong",
               expected=float(np.float32(0.7)), got=(value, float(np.float32(1.2345678e-5))), hint="count again")

    yield
    framework._REGISTRY.pop(NAME, None)


def test_a_failed_check_prints_floats_to_four_significant_digits(float32_check, capsys):
    assert float(np.float32(0.69)) == 0.6899999976158142  # what the student would have seen
    assert not check(NAME, {"share": lambda: 0.69})
    out = capsys.readouterr().out
    assert "0.6899999976158142" not in out and "0.699999988079071" not in out
    assert "the share 0.69 is wrong" in out
    assert "expected: 0.7" in out and "got: (0.69, 1.235e-05)" in out


@pytest.mark.parametrize("text, shown", [
    ("got: 0.6899999976158142", "got: 0.69"),
    ("155.81234 nats", "155.8 nats"),
    ("-2.718281828", "-2.718"),
    ("123456.789012", "123457"),          # large numbers keep their integer part
    ("0.00012345678", "0.0001235"),
    ("array([0.12345679, 1.        ])", "array([0.1235, 1.        ])"),
])
def test_long_decimals_are_rounded(text, shown):
    assert readable_numbers(text) == shown


@pytest.mark.parametrize("text", ["0.001", "1e-7", "python 3.11.7", "x1.123456", "shape (5, 3)", "0.1234"])
def test_short_numbers_and_dotted_names_are_left_alone(text):
    assert readable_numbers(text) == text

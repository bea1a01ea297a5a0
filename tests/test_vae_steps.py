"""What the vae/cvae step comparison says (public_tests/vae_steps.py): numpy only, no model is trained.

The grader and check() both judge a VAE class by its SGD steps; these tests pin down the
verdicts on made-up updates: float32 rounding passes, a loss scaled by a constant is named
with its likely cause, another direction is a different gradient, NaN and missing logs fail.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from public_tests.vae_steps import (LOGGED, LOSS_RTOL, NUM_PIXELS, STEP_RTOL, STEP_ULPS, logs_difference,
                                    step_difference)

BATCH = 32


def _start_and_update(seed=0):
    rng = np.random.default_rng(seed)
    start = [[rng.normal(0, 0.1, (20, 4)).astype("float32"), rng.normal(0, 1, 4).astype("float32")],
             [rng.normal(0, 0.1, (4, 20)).astype("float32")]]
    update = [[rng.normal(0, 1e-3, w.shape) for w in part] for part in start]
    return start, update


def _after(start, update, factor=1.0):
    return [[(w + factor * u).astype("float32") for w, u in zip(ws, us)] for ws, us in zip(start, update)]


NAMES = [["the encoder's kernel", "the encoder's bias"], ["the decoder's kernel"]]


def _compare(start, expected, got):
    return step_difference(start, expected, got, NAMES, BATCH, STEP_RTOL, STEP_ULPS, "the reference's")


def test_the_same_step_rounded_differently_passes():
    start, update = _start_and_update()
    expected = _after(start, update)
    # One float32 ulp of the weights on every entry: what two threads' sums can differ by.
    nudged = [[np.nextafter(w, np.float32(np.inf)) for w in part] for part in expected]
    assert _compare(start, expected, nudged) is None


@pytest.mark.parametrize("factor, cause", [(BATCH, "summed over the batch"),
                                           (1 / NUM_PIXELS, "averaged over the pixels"),
                                           (0.5, "halved"), (3.0, "times a constant")])
def test_a_loss_scaled_by_a_constant_is_named(factor, cause):
    start, update = _start_and_update()
    problem = _compare(start, _after(start, update), _after(start, update, factor))
    assert problem is not None and cause in problem
    assert f"{factor:.3g}x" in problem or f"{factor:.2e}x" in problem


def test_another_direction_is_another_gradient():
    start, update = _start_and_update()
    _, other = _start_and_update(seed=1)
    problem = _compare(start, _after(start, update), _after(start, other))
    assert problem is not None and "the gradient itself differs" in problem


def test_a_weight_that_should_not_move_but_does_is_named():
    start, update = _start_and_update()
    update[1][0] = np.zeros_like(update[1][0])
    moved = [list(part) for part in update]
    moved[1] = [np.full(update[1][0].shape, 1e-2)]
    problem = _compare(start, _after(start, update), _after(start, moved))
    assert problem == "the decoder's kernel moved although the reference's step leaves it where it was"


def test_nan_and_wrong_shapes_fail():
    start, update = _start_and_update()
    expected = _after(start, update)
    broken = [list(part) for part in expected]
    broken[0][1] = np.full_like(broken[0][1], np.nan)
    assert "NaN" in _compare(start, expected, broken)
    assert "other shapes" in _compare(start, expected, [expected[0]])


def test_logs_must_be_reported_and_equal():
    expected = np.array([[550.0, 2.0, 548.0], [540.0, 1.5, 538.5]])
    assert logs_difference(expected, expected * (1 + LOSS_RTOL / 2), LOSS_RTOL, "the reference's") is None
    missing = expected.copy()
    missing[0, LOGGED.index("kl_loss")] = math.nan
    assert "does not report kl_loss" in logs_difference(expected, missing, LOSS_RTOL, "the reference's")
    halved = expected.copy()
    halved[1, 1] /= 2
    assert logs_difference(expected, halved, LOSS_RTOL, "the reference's") == (
        "after step 2 fit reports kl_loss = 0.75, the reference's gives 1.5")
    # Only the columns asked for are compared.
    assert logs_difference(expected, halved, LOSS_RTOL, "the reference's", columns=("loss",)) is None
    assert "values instead of" in logs_difference(expected, expected[:1], LOSS_RTOL, "the reference's")

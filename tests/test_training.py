"""The shared training helpers: the schedule's shape at known steps, and the averaging over passes."""

import math

import numpy as np
import pytest

from aecourse.training import mean_test_loss, warmup_cosine


def rate(schedule, step):
    return float(schedule(step))


def test_warmup_climbs_linearly_from_zero_to_the_peak():
    # 1,000 images in batches of 100: 10 steps per epoch, 2 epochs of warm-up = 20 steps.
    schedule = warmup_cosine(0.01, epochs=6, n_train=1_000, batch_size=100, warmup_epochs=2)
    assert rate(schedule, 0) == pytest.approx(0.0, abs=1e-12)
    assert rate(schedule, 5) == pytest.approx(0.0025)
    assert rate(schedule, 10) == pytest.approx(0.005)
    assert rate(schedule, 20) == pytest.approx(0.01)


def test_then_falls_along_a_cosine_to_zero_at_the_last_step():
    schedule = warmup_cosine(0.01, epochs=6, n_train=1_000, batch_size=100, warmup_epochs=2)
    # 60 steps in all, 40 of them after the warm-up: halfway down at step 40, 0 at step 60.
    assert rate(schedule, 40) == pytest.approx(0.005)
    assert rate(schedule, 30) == pytest.approx(0.005 * (1 + math.cos(math.pi / 4)))
    assert rate(schedule, 60) == pytest.approx(0.0, abs=1e-9)


def test_a_last_partial_batch_counts_as_a_step_and_fractional_warmup_rounds_down():
    # 1,001 images in batches of 100 are 11 steps per epoch; half an epoch of warm-up is 5 steps.
    schedule = warmup_cosine(0.02, epochs=2, n_train=1_001, batch_size=100, warmup_epochs=0.5)
    assert rate(schedule, 5) == pytest.approx(0.02)
    assert rate(schedule, 22) == pytest.approx(0.0, abs=1e-9)
    assert rate(schedule, 21) > 0


def test_no_warmup_starts_at_the_peak():
    schedule = warmup_cosine(0.01, epochs=3, n_train=300, batch_size=100, warmup_epochs=0)
    assert rate(schedule, 0) == pytest.approx(0.01)


@pytest.mark.parametrize("warmup_epochs", [3, 4, -1])
def test_a_warmup_as_long_as_training_is_refused(warmup_epochs):
    with pytest.raises(ValueError, match="warmup_epochs"):
        warmup_cosine(0.01, epochs=3, n_train=300, batch_size=100, warmup_epochs=warmup_epochs)


class NoisyModel:
    """Stands in for a VAE: each evaluation returns the next value of a fixed series."""

    def __init__(self, losses):
        self.losses = iter(losses)
        self.calls = []

    def evaluate(self, inputs, batch_size, verbose, return_dict):
        self.calls.append((inputs, batch_size, verbose, return_dict))
        loss = next(self.losses)
        return {"loss": loss, "kl_loss": loss / 10}


def test_mean_test_loss_averages_every_metric_over_the_passes():
    model = NoisyModel([150.0, 152.0, 151.0, 149.0, 153.0])
    result = mean_test_loss(model, "test set")
    assert result == {"loss": pytest.approx(151.0), "kl_loss": pytest.approx(15.1)}
    assert [c[0] for c in model.calls] == ["test set"] * 5
    assert all(isinstance(v, float) for v in result.values())


def test_mean_test_loss_passes_and_batch_size():
    model = NoisyModel(np.arange(10.0))
    assert mean_test_loss(model, None, passes=2, batch_size=64)["loss"] == pytest.approx(0.5)
    assert [c[1] for c in model.calls] == [64, 64]

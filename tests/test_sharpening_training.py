"""The judge trains with the student's sharpening loss: the contestant only computes the loss's gradient.

Lesson 03's training check (``autograder/hidden_tests/test_03_blur.py``) holds lesson 2's
autoencoder and its optimizer in the judge and asks the contestant, step by step, for the
gradient of the student's loss at the judge's predictions. Here, in this process, with the
student's namespace standing in for the contestant (the probe functions are the very ones
the contestant runs): a cell that trains good weights behind the grader's back gains
nothing, and a NaN gradient stops the training with a failure that says so.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import autograder.hidden_tests.test_03_blur as blur
from autograder.contestant.probes import PROBES, StudentNames
from autograder.notebooks import contestant_sources, lesson_named
from autograder.testing import meets_threshold
from planted import planted_bugs


class InProcessStudent:
    """The student's namespace, answering probes as the contestant would (no sandbox: trusted cells only)."""

    def __init__(self, namespace: dict):
        self.namespace = namespace
        self.connection = object()

    def probe(self, name, *args):
        return PROBES[name](StudentNames(self.namespace), *args)


def _namespace_with(cell: str | None) -> dict:
    namespace: dict = {"__name__": "__main__"}
    cells = None if cell is None else {"sharpening_loss": cell}
    for filename, code in contestant_sources(lesson_named("03_blur"), cells, "sharpening_loss"):
        exec(compile(code, filename, "exec"), namespace)
    return namespace


@pytest.fixture
def cats(real_data):
    real_data("quickdraw/cat_numpy_bitmap_sample.npy")


def test_a_cell_that_trains_with_a_hidden_loss_gains_nothing(cats, monkeypatch):
    replayed = next(source for lesson, exercise, _, why, source in planted_bugs()
                    if exercise == "sharpening_loss" and why.startswith("replayed training"))
    monkeypatch.setattr(keras.Model, "fit", keras.Model.fit)  # the cell patches it; put back afterwards
    namespace = _namespace_with(replayed)
    assert keras.Model.fit is not namespace["_plain_fit"], "the planted cell no longer patches fit"
    measured = blur.measure_sharpening_loss(InProcessStudent(namespace), None, seed=0)
    # Its loss is plain cross-entropy, so the judge's run is the plain run: nothing sharpens.
    assert measured["blur_ratio"] == pytest.approx(1.0, abs=1e-3) and measured["ce_ratio"] == pytest.approx(1.0, abs=1e-3)
    assert not meets_threshold("03_blur", "sharpening_loss", "blur_ratio", measured["blur_ratio"])


def test_a_nan_gradient_stops_the_judges_training_with_a_clear_failure(cats, monkeypatch):
    namespace = _namespace_with(None)
    reference_loss = namespace["sharpening_loss"]

    def nan_at_the_third_step(y_true, y_pred, weight=0.4):
        nan_at_the_third_step.calls += 1
        loss = reference_loss(y_true, y_pred, weight)
        return loss * np.nan if nan_at_the_third_step.calls == 3 else loss

    nan_at_the_third_step.calls = 0
    namespace["sharpening_loss"] = nan_at_the_third_step
    plain = {"ce": 1.0, "blur": 1.0, "histogram": [0] * blur.HISTOGRAM_BINS, "shown": []}
    monkeypatch.setattr(blur, "once_per_run", lambda name, compute: plain)  # no baseline run needed here
    with pytest.raises(AssertionError, match=r"at training step 3 of \d+: .*NaN"):
        blur.measure_sharpening_loss(InProcessStudent(namespace), None, seed=0)

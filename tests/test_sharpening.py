"""aecourse.sharpening: lesson 3's comparison of losses, and the pieces its lesson and appendix print."""

import math

import numpy as np
import pytest

from aecourse.sharpening import (PLAIN, Run, closest, compare_losses, cross_entropy, loss_runs, naive_loss,
                                 runs_table, trade_off)


def test_cross_entropy_is_the_mean_per_pixel_and_finite_at_0_and_1():
    targets = np.array([[1.0, 0.0], [1.0, 0.0]])
    assert cross_entropy(targets, np.full((2, 2), 0.5)) == pytest.approx(math.log(2))
    assert cross_entropy(targets, targets) == pytest.approx(-math.log(1 - 1e-7))
    assert math.isfinite(cross_entropy(targets, 1 - targets))


def test_naive_loss_adds_its_penalty_per_image():
    y_true = np.zeros((2, 2, 2, 1), "float32")
    y_pred = np.full((2, 2, 2, 1), 0.5, "float32")
    y_pred[1] = 0.1
    loss = np.asarray(naive_loss(y_true, y_pred, weight=2.0))
    assert loss.shape == (2,)
    assert loss == pytest.approx([math.log(2) + 2 * 0.25, -math.log(0.9) + 2 * 0.09], rel=1e-5)


def test_loss_runs_put_plain_cross_entropy_first_then_each_penalty_at_each_weight():
    def ours(y_true, y_pred, weight):
        return weight

    runs = loss_runs(ours, naive_weights=[1.0, 2.0], our_weights=[0.4])
    assert [(name, weight) for name, weight, _ in runs] == [(PLAIN, 0.0), ("naive", 1.0), ("naive", 2.0), ("ours", 0.4)]
    assert runs[0][2] == "binary_crossentropy"
    assert runs[3][2](None, None) == 0.4  # the student's loss, at its weight


def tiny_model():
    import keras

    inputs = keras.Input((4, 4, 1))
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(inputs))


def test_compare_losses_trains_each_loss_from_the_same_start_and_measures_it_against_plain(capsys):
    images = (np.random.default_rng(0).random((16, 4, 4, 1)) > 0.5).astype("float32")
    grey = lambda p: float(np.mean((p > 0.1) & (p < 0.9)))  # noqa: E731 (a blur score)
    runs = loss_runs(naive_loss, naive_weights=[], our_weights=[8.0])  # "ours" is the naive loss here
    results = compare_losses(runs, tiny_model, images, images, grey, learning_rate=0.05, epochs=2, batch_size=8)
    assert "2 runs of 2 epochs in" in capsys.readouterr().out
    plain, ours = results
    assert (plain.name, ours.name, ours.weight) == (PLAIN, "ours", 8.0)
    assert plain.cross_entropy_change == 0 and plain.blur_change == 0
    assert ours.cross_entropy_change == pytest.approx(ours.cross_entropy / plain.cross_entropy - 1)
    assert ours.blur == grey(ours.model.predict(images, verbose=0))
    assert ours.model is not plain.model and ours.cross_entropy > plain.cross_entropy  # the penalty costs
    again = compare_losses(runs[:1], tiny_model, images, images, grey, learning_rate=0.05, epochs=2, batch_size=8)
    assert again[0].cross_entropy == pytest.approx(plain.cross_entropy, rel=1e-5)  # same seed, same batches


def test_table_trade_off_and_closest_read_the_runs():
    runs = [Run(PLAIN, 0.0, 0.25, 0.4, None), Run("ours", 0.2, 0.26, 0.3, None, 0.04, -0.25),
            Run("ours", 0.4, 0.275, 0.2, None, 0.1, -0.5), Run("naive", 2.0, 0.3, 0.3, None, 0.2, -0.25)]
    table = runs_table(runs).splitlines()
    assert table[0].split() == ["loss", "weight", "held-out", "BCE", "blur", "BCE", "change", "blur", "change"]
    assert table[2].split() == ["ours", "0.20", "0.2600", "0.300", "+4.0%", "-25.0%"]
    assert trade_off(runs, ", decoder") == {"ours, decoder": [(4.0, -25.0, 0.2), (10.0, -50.0, 0.4)],
                                            "naive, decoder": [(20.0, -25.0, 2.0)]}
    assert closest(runs, "ours", 0.45) is runs[2]
    with pytest.raises(ValueError):
        closest(runs, "unknown", 1.0)

"""The hidden tests' guards against non-finite answers and training-only layers (autograder.testing, rebuild)."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.testing import expect_differs, finite


def test_finite_returns_float64_and_names_the_first_bad_index():
    assert finite([1, 2], "z").dtype == np.float64
    with pytest.raises(AssertionError, match=r"your z contains NaN or infinity at index \(1, 0\) \(2 of 4 numbers\)"):
        finite([[0.0, 1.0], [np.nan, np.inf]], "z")
    with pytest.raises(AssertionError, match="your z must be an array of numbers"):
        finite(None, "z")


def test_two_nan_arrays_do_not_count_as_different():
    # np.allclose(nan, 0) is False, so `assert not np.allclose(a, b)` passed on NaN.
    with pytest.raises(AssertionError, match="NaN or infinity"):
        expect_differs(np.full(3, np.nan), np.zeros(3), "Sampling's z", "new noise")
    with pytest.raises(AssertionError, match="gave the same numbers twice: new noise"):
        expect_differs(np.ones(3), np.ones(3), "Sampling's z", "new noise")
    expect_differs(np.ones(3), np.zeros(3), "Sampling's z", "new noise")


def test_training_only_layers_are_named_and_initializers_are_not():
    keras = pytest.importorskip("keras")
    from autograder.rebuild import training_only_layers

    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(3, kernel_initializer="random_normal")(inputs)
    assert training_only_layers(keras.Model(inputs, hidden)) == []
    noisy = keras.layers.GaussianNoise(0.1)(keras.layers.Dropout(0.2)(hidden))
    assert training_only_layers(keras.Model(inputs, noisy)) == ["Dropout", "GaussianNoise"]


def test_a_dropout_fails_the_training_mode_check_and_the_book_network_passes():
    keras = pytest.importorskip("keras")
    from autograder.rebuild import expect_same_in_training

    def network(extra):
        inputs = keras.Input((6,))
        hidden = keras.layers.Dense(16, activation="relu")(inputs)
        hidden = keras.layers.Dropout(0.5)(hidden) if extra else hidden
        return keras.Model(inputs, keras.layers.Dense(2)(hidden))

    class AsRemote:
        """A model as the judge sees a contestant's: outputs come back as numpy arrays."""

        def __init__(self, model):
            self.model = model

        def __call__(self, inputs, **kwargs):
            return np.asarray(self.model(inputs, **kwargs))

        def get_weights(self):
            return self.model.get_weights()

        def to_json(self):
            return self.model.to_json()

    x = np.random.default_rng(0).random((8, 6)).astype("float32")
    expect_same_in_training(AsRemote(network(False)), network(False), x, what="decoder")
    with pytest.raises(AssertionError, match="in training mode .* Your decoder has Dropout; the book's has none"):
        expect_same_in_training(AsRemote(network(True)), network(False), x, what="decoder")

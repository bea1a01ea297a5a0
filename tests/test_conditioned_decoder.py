"""Lesson 6's design exercise, build_conditioned_decoder: the rules check() and the grader share.

What the planted bugs do not show: a model carrying weights in its settings is refused, every
weight is redrawn, the pass mark check() uses is the grader's, and the shared measure is the
one the pass mark was calibrated with.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

keras = pytest.importorskip("keras")


def _decoder(*, table=None, extra=None):
    """A small [z, label] decoder; ``table``: a Constant initializer for the label's layer; ``extra``: a layer on z."""
    from keras import layers

    z, label = keras.Input(shape=(2,)), keras.Input(shape=(10,))
    hidden = layers.Dense(8, activation="relu")(extra(z) if extra is not None else z)
    initializer = keras.initializers.Constant(table) if table is not None else "glorot_uniform"
    logits = layers.Add()([layers.Dense(784)(hidden), layers.Dense(784, kernel_initializer=initializer)(label)])
    pixels = layers.Activation("sigmoid")(logits)
    return keras.Model([z, label], layers.Reshape((28, 28, 1))(pixels))


def test_a_plain_design_is_rebuilt_with_fresh_weights():
    from public_tests import conditioning

    model = _decoder()
    model.set_weights([np.full(w.shape, 0.25, "float32") for w in model.get_weights()])
    fresh = conditioning.rebuilt(model, seed=3)
    assert [w.shape for w in fresh.get_weights()] == [w.shape for w in model.get_weights()]
    assert not any(np.allclose(w, 0.25) for w in fresh.get_weights() if w.ndim == 2), "the handed-in weights came back"
    again = conditioning.rebuilt(model, seed=3)
    for a, b in zip(fresh.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)  # the seed decides them


@pytest.mark.parametrize("how", ["a Constant initializer holding a table", "a Normalization holding a mean",
                                 "a Lambda layer"])
def test_weights_written_into_the_settings_and_foreign_layers_are_refused(how):
    from keras import layers

    from public_tests import conditioning

    if how.startswith("a Constant"):
        model = _decoder(table=np.random.default_rng(0).normal(size=(10, 784)))
    elif how.startswith("a Normalization"):
        model = _decoder(extra=layers.Normalization(mean=np.zeros(2), variance=np.ones(2)))
        assert conditioning.problems_of_config(json.loads(model.to_json())) is None  # two numbers: settings
        z, label = keras.Input(shape=(784,)), keras.Input(shape=(10,))
        pixels = layers.Normalization(mean=np.linspace(0, 1, 784), variance=np.ones(784))(z)
        model = keras.Model([z, label], layers.Reshape((28, 28, 1))(pixels))
    else:
        model = _decoder(extra=layers.Lambda(lambda t: t * 2))
    with pytest.raises(conditioning.NotUsable):
        conditioning.rebuilt(model, seed=0)


def test_drawn_weights_replace_every_array_and_keep_variances_positive():
    from keras import layers

    from public_tests import conditioning

    z, label = keras.Input(shape=(2,)), keras.Input(shape=(10,))
    hidden = layers.BatchNormalization()(layers.Dense(8)(layers.Concatenate()([z, label])))
    model = keras.Model([z, label], layers.Reshape((28, 28, 1))(layers.Dense(784, activation="sigmoid")(hidden)))
    drawn = conditioning.drawn_weights(model, np.random.default_rng(0))
    assert [w.shape for w in drawn] == [w.shape for w in model.get_weights()]
    assert all(np.all(w != 0) for w in drawn) and all(np.all(w > 0) for w in drawn if w.ndim == 1)
    model.set_weights(drawn)
    images = np.asarray(model([np.ones((2, 2), "float32"), np.eye(10, dtype="float32")[:2]]))
    assert np.all(np.isfinite(images))


def test_checks_pass_mark_is_the_graders_rounded_up():
    from autograder.testing import threshold
    from public_tests.checks_06_cvae import PASS_MARK

    calibrated = threshold("06_cvae", "build_conditioned_decoder", "accuracy")
    assert PASS_MARK == math.ceil(calibrated * 100) / 100, \
        f"checks_06_cvae.PASS_MARK = {PASS_MARK}, the grader's pass mark {calibrated:.4f}: set it to the latter rounded up"


def test_the_shared_measure_is_the_one_calibrated():
    from autograder.hidden_tests import test_06_cvae

    assert test_06_cvae.conditioning_digest() == test_06_cvae.CONDITIONING_AST_SHA256, \
        ("the measured definitions of public_tests/conditioning.py changed: set CONDITIONING_AST_SHA256 in autograder/hidden_tests/test_06_cvae.py "
         "to conditioning_digest(), then `python -m autograder.calibrate --seeds 0 1 2 3 4 --lessons 06_cvae --verify`")


def test_the_training_time_is_bounded_whatever_the_weights_count():
    """A few weights used many times (a layer called over and over, a convolution on every pixel) are counted per use."""
    from keras import layers

    from public_tests import conditioning

    assert conditioning.work_per_image(_decoder())[0] == 8 * 784 + 10 * 784 + 2 * 8
    z, label = keras.Input(shape=(2,)), keras.Input(shape=(10,))
    shared = layers.Dense(128, activation="relu")
    hidden = layers.Dense(128)(layers.Concatenate()([z, label]))
    for _ in range(150):  # 16,384 weights, 2.5 million multiplications
        hidden = shared(hidden)
    repeated = keras.Model([z, label], layers.Reshape((28, 28, 1))(layers.Dense(784, activation="sigmoid")(hidden)))
    assert repeated.count_params() < conditioning.BUDGET
    grid = layers.Reshape((28, 28, 1))(layers.Dense(784)(layers.Concatenate()([z, label])))
    wide = layers.Conv2D(32, 3, padding="same")(grid)  # 25,088 numbers per image
    convolved = keras.Model([z, label], layers.Conv2D(1, 3, padding="same", activation="sigmoid")(wide))
    for model in (repeated, convolved):
        with pytest.raises(conditioning.NotUsable):
            conditioning.expect_trainable_in_time(model)

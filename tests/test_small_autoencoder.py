"""Lesson 2's design under a budget (public_tests/small_autoencoder.py): its constants, and weights that decide nothing.

The grader and check() train the student's halves from weights of their own; these tests show
that halves handed in with other weights (trained elsewhere) get exactly the same verdict, that
the dense design handed in is exactly the yardstick, and that check()'s pass mark is the
grader's calibrated one.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.notebooks import lesson_named
from autograder.testing import reference_namespace, thresholds
from public_tests import small_autoencoder as schedule


@pytest.fixture(scope="module")
def cats():
    from aecourse.datasets import load_cats

    try:
        data = load_cats(limit=2000)
    except Exception as error:  # noqa: BLE001 - no data: as tests/conftest.py does for the other data tests
        pytest.skip(f"the cats are not available ({type(error).__name__}: {error})")
    return data.x_train, data.x_test


def _reference_halves():
    return reference_namespace(lesson_named("02_autoencoder"))["build_small_autoencoder"]()


def test_check_uses_the_graders_pass_mark_rounded_to_the_stricter_side():
    entry = thresholds("02_autoencoder")["build_small_autoencoder"]["ce_ratio"]
    assert entry["direction"] == "min"
    assert schedule.PASS_MARK <= entry["threshold"] < schedule.PASS_MARK + 0.01, \
        f"PASS_MARK {schedule.PASS_MARK}: set it to the grader's {entry['threshold']:.4f} rounded down"


def test_the_dense_design_fits_the_budget_and_the_reference_spends_less():
    dense = schedule.dense_design()
    assert schedule.weights_of(*dense) == schedule.DENSE_WEIGHTS <= schedule.BUDGET
    schedule.expect_halves(*dense)
    reference = _reference_halves()
    schedule.expect_halves(*reference)
    assert schedule.weights_of(*reference) < schedule.DENSE_WEIGHTS


def test_weights_trained_elsewhere_gain_nothing(cats):
    # The same halves with the weights they were built with, and with other weights set into them
    # (as if trained elsewhere): the grader's training gives the very same held-out cross-entropy.
    x_train, x_test = cats
    as_built = _reference_halves()
    other = _reference_halves()
    rng = np.random.default_rng(7)
    for model in other:
        model.set_weights([w + rng.normal(scale=0.5, size=w.shape).astype(w.dtype) for w in model.get_weights()])
    before = np.asarray(other[1](other[0](x_test[:4])))
    assert not np.allclose(before, np.asarray(as_built[1](as_built[0](x_test[:4])))), "the weights did not change"
    scores = [schedule.held_out_cross_entropy(schedule.trained(*halves, x_train[:256], seed=3), x_test[:64])
              for halves in (as_built, other)]
    assert scores[0] == scores[1]


def test_the_dense_design_handed_in_is_the_yardstick_itself(cats):
    # Rebuilt from the same seed, the dense design trains exactly as the grader's yardstick: ratio 1,
    # which the calibration's BASELINES keeps on the failing side of the pass mark.
    from keras import layers
    import keras

    x_train, x_test = cats
    images = keras.Input(shape=(32, 32, 1))
    encoder = keras.Model(images, layers.Dense(32)(layers.Flatten()(images)))
    code = keras.Input(shape=(32,))
    decoder = keras.Model(code, layers.Reshape((32, 32, 1))(layers.Dense(1024, activation="sigmoid")(code)))
    theirs = schedule.held_out_cross_entropy(schedule.trained(encoder, decoder, x_train[:256], seed=4), x_test[:64])
    yardstick = schedule.held_out_cross_entropy(schedule.trained(*schedule.dense_design(), x_train[:256], seed=4),
                                                x_test[:64])
    assert theirs == pytest.approx(yardstick, rel=1e-6)
    assert thresholds("02_autoencoder")["build_small_autoencoder"]["ce_ratio"]["threshold"] < 1.0


def test_a_skip_around_the_bottleneck_cannot_be_handed_in():
    # The decoder gets the code alone: a decoder with a second input (the image) is refused before training.
    import keras
    from keras import layers

    encoder = _reference_halves()[0]
    code, image = keras.Input(shape=schedule.code_shape(encoder)), keras.Input(shape=(32, 32, 1))
    decoder = keras.Model([code, image], layers.Activation("sigmoid")(image))
    with pytest.raises(schedule.NotUsable, match="2 inputs"):
        schedule.expect_halves(encoder, decoder)


def test_the_pass_mark_was_calibrated_with_this_schedule():
    # The grader refuses to measure with another schedule than the calibrated one; say so here first.
    from autograder.hidden_tests.shared import definitions_digest
    from autograder.hidden_tests.test_02_autoencoder import SCHEDULE_AST_SHA256, SCHEDULE_DEFINITIONS

    assert definitions_digest(schedule, SCHEDULE_DEFINITIONS) == SCHEDULE_AST_SHA256, \
        ("public_tests/small_autoencoder.py's measure changed: set SCHEDULE_AST_SHA256 in "
         "autograder/hidden_tests/test_02_autoencoder.py to its digest and recalibrate lesson 02_autoencoder")


def test_the_pass_mark_was_calibrated_with_lesson_6s_fresh_weights():
    # `rebuilt` draws the measured weights through public_tests/conditioning.py, lesson 6's file.
    from autograder.hidden_tests.shared import definitions_digest
    from autograder.hidden_tests.test_02_autoencoder import REBUILT_AST_SHA256, REBUILT_DEFINITIONS
    from public_tests import conditioning

    assert definitions_digest(conditioning, REBUILT_DEFINITIONS) == REBUILT_AST_SHA256, \
        ("public_tests/conditioning.py's `rebuilt` changed: set REBUILT_AST_SHA256 in "
         "autograder/hidden_tests/test_02_autoencoder.py to its digest and recalibrate lesson 02_autoencoder")


def test_few_weights_applied_at_many_positions_are_refused_before_training():
    # The weight budget does not bound the grader's time: a convolution costs its kernel at every
    # position. Two 3x3 convolutions of 40 channels at 32x32 (29 million multiplications per image,
    # five times the lesson's design) and an image blown up inside the decoder are refused.
    import keras
    from keras import layers

    encoder = _reference_halves()[0]

    def decoder(*blocks):
        code = keras.Input(shape=schedule.code_shape(encoder))
        x = layers.Conv2D(40, 3, padding="same", activation="relu")(code)
        for block in blocks:
            x = block(x)
        return keras.Model(code, layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x))

    busy = decoder(layers.UpSampling2D(8), layers.Conv2D(40, 3, padding="same"), layers.Conv2D(40, 3, padding="same"))
    assert schedule.weights_of(encoder, busy) <= schedule.BUDGET
    with pytest.raises(schedule.NotUsable, match="multiplications per image"):
        schedule.expect_within_budget(encoder, busy)
    blown_up = decoder(layers.UpSampling2D(32), layers.MaxPooling2D(4))
    with pytest.raises(schedule.NotUsable, match="numbers a layer may give"):
        schedule.expect_within_budget(encoder, blown_up)
    schedule.expect_within_budget(*_reference_halves())

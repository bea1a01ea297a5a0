"""Hidden tests of lesson 06_cvae.

Structure and closed forms on literal inputs and on inputs drawn at grading time; the
student's networks compared with the book's, built here with the student's weights; fake
decoders that write their input into the image (built in the contestant by a probe, so
which label and which z reached the decoder can be read off exactly); and one
training-based check of the `CVAE` class (trained in the contestant, measured here)
against calibrated pass marks.
"""

from __future__ import annotations

import keras
import numpy as np

from aecourse.plotting import image_grid
from autograder import pictures
from autograder.testing import (expect_reference_function, expect_threshold, grading_seed, load_trained_weights,
                                points)

LESSON = "06_cvae"

# The grader's fixed budget for training the CVAE (independent of COURSE_MODE).
TRAIN_EPOCHS = 2
TRAIN_BATCH = 500
TRAIN_PEAK_LR = 1.6e-2   # the lessons' recipe: one epoch of warm-up to the peak, then a cosine to 0
N_PER_DIGIT = 100


def as_numpy(value):
    return np.asarray(keras.ops.convert_to_numpy(value), dtype="float64")


def f32(value):
    return np.asarray(value, dtype="float32")


def _fresh(seed):
    """A generator of inputs drawn at grading time (``seed`` mixed with fresh entropy): no answer can be prepared."""
    import secrets

    return np.random.default_rng([seed, secrets.randbits(32)])


def batch(n=4, seed=0):
    rng = _fresh(seed)
    return f32(rng.random((n, 28, 28))), f32(np.eye(10)[rng.integers(0, 10, n)])


# ----------------------------------------------------------------------------- measures

def _kl(z_mean, z_log_var):
    return 0.5 * np.sum(np.exp(z_log_var) + z_mean ** 2 - 1.0 - z_log_var, axis=-1)


def _bce(x, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return (-(x * np.log(p) + (1 - x) * np.log(1 - p))).reshape(len(x), -1).sum(axis=1)


def measure_cvae(student, reference, seed: int) -> dict[str, float]:
    """Train the student's CVAE (fixed budget, in the contestant); measure it here on the MNIST test set.

    test_loss          mean KL + reconstruction over the 10,000 test digits (nats, one pass)
    mean_accuracy      share of samples (z ~ N(0, I), 100 per digit) that the reference
                       classifier labels as the digit asked for
    min_digit_accuracy the same, for the worst digit
    Only the trained weights come back; the judge's copies of the book's encoder and decoder
    compute every number, on data, noise and a classifier of the judge's.
    """
    from aecourse.classifier import load_reference_classifier
    from aecourse.datasets import load_mnist_pixels, to_unit_float
    from aecourse.seeding import set_seed

    (pixels, y_train), (test_pixels, y_test) = load_mnist_pixels()
    x_test = to_unit_float(test_pixels)  # exactly load_mnist()'s floats
    eye = np.eye(10, dtype="float32")
    # The training set is the judge's too: a patched load_mnist in the notebook changes nothing.
    trained = student.probe("train_cvae", pixels, y_train.astype("uint8"), seed,
                            TRAIN_EPOCHS, TRAIN_BATCH, TRAIN_PEAK_LR)
    if not isinstance(trained, list) or len(trained) != 2:
        raise AssertionError("the training of your CVAE did not give back an encoder's and a decoder's weights")
    set_seed(seed)  # the judge's Sampling draws the test set's z reproducibly
    encoder, decoder = reference.build_cvae_encoder(latent_dim=2), reference.build_cvae_decoder(latent_dim=2)
    load_trained_weights(encoder, trained[0], "encoder", "CVAE")
    load_trained_weights(decoder, trained[1], "decoder", "CVAE")

    z_mean, z_log_var, z = (np.asarray(a, dtype="float64")
                            for a in encoder.predict([x_test, eye[y_test]], batch_size=1000, verbose=0))
    decoded = np.asarray(decoder.predict(np.concatenate([f32(z), eye[y_test]], axis=1), batch_size=1000, verbose=0),
                         dtype="float64")
    test_loss = float(np.mean(_kl(z_mean, z_log_var) + _bce(x_test.astype("float64"), decoded)))

    digits = np.repeat(np.arange(10), N_PER_DIGIT)
    z_random = np.random.default_rng(seed).standard_normal((len(digits), 2)).astype("float32")
    samples = decoder.predict(np.concatenate([z_random, eye[digits]], axis=1), batch_size=1000, verbose=0)
    seen = load_reference_classifier().predict(np.asarray(samples).reshape(-1, 28, 28), batch_size=1000,
                                               verbose=0).argmax(axis=1)
    per_digit = [float(np.mean(seen[digits == d] == d)) for d in range(10)]
    # For the feedback: ten samples of each digit asked for, a row per digit, from the student's weights.
    rows = np.concatenate([np.asarray(samples).reshape(-1, 28, 28)[digits == d][:10] for d in range(10)])
    pictures.record("cvae", "a row per requested digit, 0 to 9", image_grid(rows, ncols=10))
    return {"test_loss": test_loss, "mean_accuracy": float(np.mean(per_digit)),
            "min_digit_accuracy": float(np.min(per_digit))}


MEASURES = {"cvae": measure_cvae}
DIRECTIONS = {"test_loss": "min", "mean_accuracy": "max", "min_digit_accuracy": "max"}

_measured: dict[int, dict[str, float] | Exception] = {}


def measured(student, reference) -> dict[str, float]:
    """The student's CVAE, trained once per judge process (a failure too is kept, not retrained)."""
    seed = grading_seed()
    if seed not in _measured:
        try:
            _measured[seed] = measure_cvae(student, reference, seed)
        except Exception as error:  # noqa: BLE001 - every test that asks reports it
            _measured[seed] = error
    if isinstance(_measured[seed], Exception):
        raise _measured[seed]
    return _measured[seed]


def _z_statistics(z_mean, z_log_var, z):
    """The noise that was drawn, eps = (z - z_mean) / sigma: its mean and standard deviation."""
    eps = (np.asarray(z, "float64") - z_mean) / np.exp(np.asarray(z_log_var, "float64") / 2)
    return float(eps.mean()), float(eps.std())


# ----------------------------------------------------------------------------- encoder

class _LabelsFirst:
    """The student's encoder with its first kernel's rows put in the book's order (pixels, then label).

    Concatenating [label, pixels] instead of [pixels, label] is the same network: it is accepted.
    """

    def __init__(self, remote):
        self.remote = remote

    def get_weights(self):
        weights = self.remote.get_weights()
        if isinstance(weights, list) and weights and isinstance(weights[0], np.ndarray) and weights[0].ndim == 2:
            weights = [np.concatenate([weights[0][10:], weights[0][:10]])] + weights[1:]
        return weights

    def predict(self, inputs, verbose=0):
        return self.remote.predict(inputs, verbose=verbose)


class TestBuildCvaeEncoder:
    exercise = "build_cvae_encoder"

    @points(1)
    def test_inputs_and_outputs(self, student):
        encoder = student.build_cvae_encoder(latent_dim=2)
        assert sorted(tuple(s) for s in encoder.input_shape) == [(None, 10), (None, 28, 28)]
        outputs = encoder.predict(list(batch(3)), verbose=0)
        assert [np.shape(o) for o in outputs] == [(3, 2)] * 3

    @points(2)
    def test_weights(self, student):
        # (784 + 10) * 512 + 512 = 407,040; 512 * 256 + 256 = 131,328; heads 2 * (256 * 2 + 2) = 1,028
        assert student.build_cvae_encoder(latent_dim=2).count_params() == 539_396
        # latent 32: 538,368 + 2 * (256 * 32 + 32) = 538,368 + 16,448
        assert student.build_cvae_encoder(latent_dim=32).count_params() == 554_816

    @points(2)
    def test_the_label_reaches_the_encoder(self, student):
        encoder = student.build_cvae_encoder(latent_dim=2)
        images, _ = batch(1)
        means = [as_numpy(encoder([images, f32(np.eye(10)[[d]])])[0]) for d in (0, 3, 8)]
        assert not np.allclose(means[0], means[1]) and not np.allclose(means[1], means[2])

    @points(2)
    def test_computes_the_books_network(self, student, reference):
        # The student's weights in the book's layers (z is random: only z_mean and z_log_var are
        # compared): a hidden Dense without its ReLU, 256 before 512, or a head fed by the wrong
        # layer computes something else.
        encoder = student.build_cvae_encoder(latent_dim=2)
        inputs = list(batch(16, seed=5))
        try:
            expect_reference_function(encoder, reference.build_cvae_encoder(latent_dim=2), inputs, outputs=[0, 1],
                                      what="encoder")
        except AssertionError:
            expect_reference_function(_LabelsFirst(encoder), reference.build_cvae_encoder(latent_dim=2), inputs,
                                      outputs=[0, 1], what="encoder")

    @points(1)
    def test_z_is_sampled(self, student):
        encoder = student.build_cvae_encoder(latent_dim=2)
        images, labels = batch(1)
        first, second = encoder([images, labels]), encoder([images, labels])
        np.testing.assert_allclose(as_numpy(first[0]), as_numpy(second[0]), rtol=1e-6)
        assert not np.allclose(as_numpy(first[2]), as_numpy(second[2]))
        # 4,000 draws for one pair: (z - z_mean) / exp(z_log_var / 2) is N(0, 1) (Sampling fed in order).
        z_mean, z_log_var, z = (np.asarray(o, "float64") for o in encoder.predict(
            [np.repeat(images, 4000, axis=0), np.repeat(labels, 4000, axis=0)], batch_size=1000, verbose=0))
        mean, std = _z_statistics(z_mean, z_log_var, z)
        assert abs(mean) < 0.08 and abs(std - 1.0) < 0.05, f"eps has mean {mean:.3f} and std {std:.3f}"


# ----------------------------------------------------------------------------- decoder

class TestBuildCvaeDecoder:
    exercise = "build_cvae_decoder"

    @points(2)
    def test_input_is_latent_plus_ten(self, student):
        assert tuple(student.build_cvae_decoder(latent_dim=2).input_shape) == (None, 12)
        assert tuple(student.build_cvae_decoder(latent_dim=5).input_shape) == (None, 15)

    @points(2)
    def test_weights(self, student):
        # 12 * 256 + 256 = 3,328; 256 * 512 + 512 = 131,584; 512 * 784 + 784 = 402,192
        assert student.build_cvae_decoder(latent_dim=2).count_params() == 537_104
        # latent 32: 42 * 256 + 256 = 11,008, then the same 533,776
        assert student.build_cvae_decoder(latent_dim=32).count_params() == 544_784

    @points(1)
    def test_outputs_images_of_probabilities(self, student):
        out = student.build_cvae_decoder(latent_dim=2).predict(f32(_fresh(0).normal(size=(6, 12)) * 20), verbose=0)
        assert out.shape == (6, 28, 28)
        assert out.min() >= 0.0 and out.max() <= 1.0

    @points(2)
    def test_computes_the_books_network(self, student, reference):
        # The student's weights in the book's layers: a hidden Dense without its ReLU computes other images.
        rng = _fresh(1)
        inputs = f32(np.concatenate([rng.normal(size=(32, 2)) * 3, np.eye(10)[rng.integers(0, 10, 32)]], axis=1))
        expect_reference_function(student.build_cvae_decoder(latent_dim=2), reference.build_cvae_decoder(latent_dim=2),
                                  inputs, what="decoder")


# ----------------------------------------------------------------------------- CVAE

class TestCvae:
    exercise = "cvae"

    @points(1)
    def test_call_shapes(self, student):
        cvae = student.CVAE(student.build_cvae_encoder(latent_dim=2), student.build_cvae_decoder(latent_dim=2))
        out = cvae(batch(3))
        assert [tuple(as_numpy(o).shape) for o in out] == [(3, 2), (3, 2), (3, 28, 28)]

    @points(2)
    def test_the_decoder_gets_sampled_z_then_the_label(self, student):
        # One image and label repeated 2,000 times: what reaches the decoder is read off its image.
        images, labels = batch(1)
        images, labels = np.repeat(images, 2000, axis=0), np.repeat(labels, 2000, axis=0)
        result = student.probe("cvae_into_a_showing_decoder", images, labels)
        assert isinstance(result, list) and len(result) == 5
        z_mean, z_log_var, shown, _, _ = (np.asarray(a, "float64") for a in result)
        assert shown.shape == (2000, 28, 28)
        shown = shown.reshape(2000, -1)
        np.testing.assert_allclose(shown[:, 2:12], labels, atol=1e-6)  # the label, after z
        assert not np.allclose(shown[:, :2], z_mean)                     # z is a draw, not the mean
        mean, std = _z_statistics(z_mean, z_log_var, shown[:, :2])       # ... a draw around z_mean
        assert abs(mean) < 0.1 and abs(std - 1.0) < 0.07, f"z - z_mean has mean {mean:.3f} and std {std:.3f} sigma"

    @points(2)
    def test_the_encoder_gets_the_images_and_their_labels(self, student):
        # call's z_mean, z_log_var are the encoder's on [images, labels]: the same images with
        # other labels give other means (an encoder given zeros for the label would not).
        images, labels = batch(8, seed=2)
        other = f32(np.roll(labels, 1, axis=1))  # every digit d becomes d + 1
        result = student.probe("cvae_into_a_showing_decoder", images, labels)
        again = student.probe("cvae_into_a_showing_decoder", images, other)
        assert isinstance(result, list) and len(result) == 5 and isinstance(again, list) and len(again) == 5
        z_mean, z_log_var, _, direct_mean, direct_log_var = (np.asarray(a, "float64") for a in result)
        np.testing.assert_allclose(z_mean, direct_mean, atol=1e-5, err_msg="z_mean is not the encoder's on [images, labels]")
        np.testing.assert_allclose(z_log_var, direct_log_var, atol=1e-5,
                                   err_msg="z_log_var is not the encoder's on [images, labels]")
        np.testing.assert_allclose(np.asarray(again[0], "float64"), np.asarray(again[3], "float64"), atol=1e-5)
        assert not np.allclose(z_mean, np.asarray(again[0], "float64")), "the label does not reach the encoder"

    @points(2)
    def test_compute_loss_by_hand(self, student):
        # Row 0: mu = 0, log_var = 0, p = 0.5: 0 + 784 ln 2 = 543.4273; row 1: mu = (2, 2): + 4.
        cvae = student.CVAE(student.build_cvae_encoder(latent_dim=2), student.build_cvae_decoder(latent_dim=2))
        images, labels = batch(2)
        y_pred = (f32([[0.0, 0.0], [2.0, 2.0]]), f32(np.zeros((2, 2))), f32(np.full((2, 28, 28), 0.5)))
        loss = cvae.compute_loss(x=(images, labels), y=None, y_pred=y_pred, sample_weight=None, training=False)
        np.testing.assert_allclose(float(as_numpy(loss)), 545.4273, rtol=1e-5)
        assert abs(float(as_numpy(cvae.kl_loss_tracker.result())) - 2.0) < 1e-4

    @points(2)
    def test_compute_loss_on_fresh_values(self, student):
        rng = _fresh(3)
        images, labels = batch(4, seed=4)
        z_mean, z_log_var = f32(rng.normal(size=(4, 2))), f32(rng.uniform(-2.0, 1.0, (4, 2)))
        p = f32(rng.uniform(0.05, 0.95, (4, 28, 28)))
        kl = _kl(z_mean.astype("float64"), z_log_var.astype("float64"))
        bce = _bce(images.astype("float64"), p.astype("float64"))
        cvae = student.CVAE(student.build_cvae_encoder(latent_dim=2), student.build_cvae_decoder(latent_dim=2))
        loss = cvae.compute_loss(x=(images, labels), y=None, y_pred=(z_mean, z_log_var, p), sample_weight=None,
                                 training=False)
        np.testing.assert_allclose(float(as_numpy(loss)), np.mean(kl + bce), rtol=1e-4)
        np.testing.assert_allclose(float(as_numpy(cvae.kl_loss_tracker.result())), np.mean(kl), rtol=1e-4)
        np.testing.assert_allclose(float(as_numpy(cvae.reconstruction_loss_tracker.result())), np.mean(bce),
                                   rtol=1e-4)

    @points(3)
    def test_trained_test_loss(self, student, reference):
        expect_threshold(LESSON, "cvae", "test_loss", measured(student, reference)["test_loss"])

    @points(3)
    def test_draws_the_digit_it_is_asked_for(self, student, reference):
        m = measured(student, reference)
        expect_threshold(LESSON, "cvae", "mean_accuracy", m["mean_accuracy"])
        expect_threshold(LESSON, "cvae", "min_digit_accuracy", m["min_digit_accuracy"])


# ----------------------------------------------------------------------------- generation

def _generated(student, digit, n, latent_dim, seed):
    images = student.probe("generate_digits_shown", digit, n, latent_dim, seed)
    assert isinstance(images, np.ndarray) and images.shape == (n, 28, 28), \
        f"generate_digits gave {getattr(images, 'shape', type(images).__name__)}, expected ({n}, 28, 28)"
    return images.astype("float64").reshape(n, -1)


class TestGenerateDigits:
    exercise = "generate_digits"

    @points(2)
    def test_the_requested_label_follows_z(self, student):
        for digit in (0, 4, 9, int(_fresh(0).integers(1, 9))):
            shown = _generated(student, digit, 6, 2, 0)
            np.testing.assert_allclose(shown[:, 2:12], np.eye(10)[[digit] * 6], atol=1e-6)

    @points(2)
    def test_z_is_the_seeded_standard_normal(self, student):
        shown = _generated(student, 5, 8, 2, 11)
        expected = np.random.default_rng(11).standard_normal((8, 2))
        np.testing.assert_allclose(shown[:, :2], expected, rtol=1e-5, atol=1e-6)
        # A seed, digit, count and latent size drawn now: the z must be that seed's.
        rng = _fresh(1)
        seed, digit, n, latent_dim = int(rng.integers(0, 2**31)), int(rng.integers(0, 10)), int(rng.integers(3, 12)), 4
        shown = _generated(student, digit, n, latent_dim, seed)
        expected = np.random.default_rng(seed).standard_normal((n, latent_dim))
        np.testing.assert_allclose(shown[:, :latent_dim], expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(shown[:, latent_dim:latent_dim + 10], np.eye(10)[[digit] * n], atol=1e-6)

    @points(1)
    def test_z_statistics(self, student):
        shown = _generated(student, 2, 5000, 3, int(_fresh(2).integers(0, 2**31)))
        z = shown[:, :3]
        assert np.all(np.abs(z.mean(axis=0)) < 0.07) and np.all(np.abs(z.std(axis=0) - 1) < 0.05)
        np.testing.assert_allclose(shown[:, 3:13], np.eye(10)[[2] * 5000], atol=1e-6)

    @points(1)
    def test_same_seed_same_style_for_every_digit(self, student):
        a = _generated(student, 3, 4, 2, 5)
        b = _generated(student, 8, 4, 2, 5)
        c = _generated(student, 3, 4, 2, 6)
        np.testing.assert_allclose(a[:, :2], b[:, :2], atol=1e-6)
        assert not np.allclose(a[:, :2], c[:, :2])


def _blended(student, weights: dict):
    got = student.probe("blend_labels_of_pairs", [[digit, weight] for digit, weight in weights.items()])
    assert isinstance(got, np.ndarray) and got.shape == (10,), \
        f"blend_labels gave {getattr(got, 'shape', type(got).__name__)}, expected shape (10,)"
    return got


class TestBlendLabels:
    exercise = "blend_labels"

    @points(2)
    def test_half_three_half_eight(self, student):
        np.testing.assert_allclose(_blended(student, {3: 0.5, 8: 0.5}), [0, 0, 0, 0.5, 0, 0, 0, 0, 0.5, 0], atol=1e-7)

    @points(2)
    def test_weights_are_scaled_to_sum_to_one(self, student):
        np.testing.assert_allclose(_blended(student, {3: 1, 8: 3}), [0, 0, 0, 0.25, 0, 0, 0, 0, 0.75, 0], atol=1e-7)
        np.testing.assert_allclose(_blended(student, {0: 2, 1: 2, 9: 4}), [0.25, 0.25, 0, 0, 0, 0, 0, 0, 0, 0.5],
                                   atol=1e-7)
        # Digits and weights drawn now, checked against the rule: weight / total at each digit, 0 elsewhere.
        rng = _fresh(0)
        digits = rng.choice(10, size=int(rng.integers(2, 6)), replace=False)
        weights = {int(d): float(w) for d, w in zip(digits, rng.uniform(0.1, 5.0, len(digits)))}
        expected = np.zeros(10)
        for digit, weight in weights.items():
            expected[digit] = weight / sum(weights.values())
        np.testing.assert_allclose(_blended(student, weights), expected, atol=1e-6)

    @points(1)
    def test_a_single_digit_is_one_hot(self, student):
        for digit, weight in ((7, 1.0), (int(_fresh(1).integers(0, 10)), float(_fresh(2).uniform(0.2, 9.0)))):
            np.testing.assert_allclose(_blended(student, {digit: weight}), np.eye(10)[digit], atol=1e-7)

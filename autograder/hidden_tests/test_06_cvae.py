"""Hidden tests of lesson 06_cvae.

Structure and closed forms on literal inputs and on inputs drawn at grading time; the
student's networks compared with the book's, built here with the student's weights; fake
decoders that write their input into the image (built in the contestant by a probe, so
which label and which z reached the decoder can be read off exactly); and the `CVAE`
class's training steps compared, step for step, with the reference's from weights, digits,
labels and noise drawn at grading time (``step_equivalence.py``): nothing is trained.
"""

from __future__ import annotations

import numpy as np

from autograder.hidden_tests import step_equivalence as steps
from autograder.hidden_tests.shared import as_numpy, f32
from autograder.hidden_tests.shared import bce_per_image as _bce
from autograder.hidden_tests.shared import fresh_rng as _fresh
from autograder.hidden_tests.shared import kl_per_sample as _kl
from autograder.testing import (expect_differs, expect_reference_function, expect_same_in_training, inference,
                                expect_the_books_network_in_both_modes, finite, points)

# What the reference's picture shows (autograder/reference_pictures/cvae/), for a class that trains like it.
PICTURES = ["a row per requested digit, 0 to 9"]


def batch(n=4, seed=0):
    rng = _fresh(seed)
    return f32(rng.random((n, 28, 28))), f32(np.eye(10)[rng.integers(0, 10, n)])


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

    def __call__(self, inputs, **kwargs):
        return self.remote(inputs, **kwargs)

    def to_json(self):
        return self.remote.to_json()


def _either_order(check, encoder, reference_encoder, inputs, what):
    """``check`` passes on the student's encoder as it is, or with its label rows moved after the pixels."""
    try:
        check(encoder, reference_encoder, inputs, outputs=[0, 1], what=what)
    except AssertionError:
        check(_LabelsFirst(encoder), reference_encoder, inputs, outputs=[0, 1], what=what)


def _latent_dim(seed):
    """A latent size drawn at grading time (not the book's 2)."""
    return int(_fresh(seed).integers(3, 40))


class TestBuildCvaeEncoder:
    exercise = "build_cvae_encoder"

    @points(1)
    def test_inputs_and_outputs(self, student):
        encoder = student.build_cvae_encoder(latent_dim=2)
        assert sorted(tuple(s) for s in encoder.input_shape) == [(None, 10), (None, 28, 28)]
        outputs = inference(encoder, list(batch(3)))
        assert [np.shape(o) for o in outputs] == [(3, 2)] * 3
        latent_dim = _latent_dim(10)
        outputs = inference(student.build_cvae_encoder(latent_dim=latent_dim), list(batch(3)))
        assert [np.shape(finite(o, f"encoder's output {k}")) for k, o in enumerate(outputs)] == [(3, latent_dim)] * 3, \
            f"latent_dim={latent_dim}"

    @points(2)
    def test_weights(self, student):
        # (784 + 10) * 512 + 512 = 407,040; 512 * 256 + 256 = 131,328; heads 2 * (256 * 2 + 2) = 1,028
        assert student.build_cvae_encoder(latent_dim=2).count_params() == 539_396
        # latent d: 538,368 + 2 * (256 d + d) = 538,368 + 514 d
        latent_dim = _latent_dim(11)
        assert student.build_cvae_encoder(latent_dim=latent_dim).count_params() == 538_368 + 514 * latent_dim, \
            f"latent_dim={latent_dim}"

    @points(2)
    def test_the_label_reaches_the_encoder(self, student):
        encoder = student.build_cvae_encoder(latent_dim=2)
        images, _ = batch(1)
        means = [encoder([images, f32(np.eye(10)[[d]])])[0] for d in (0, 3, 8)]
        expect_differs(means[0], means[1], "encoder's z_mean", "the label should reach the encoder")
        expect_differs(means[1], means[2], "encoder's z_mean", "the label should reach the encoder")

    @points(2)
    def test_computes_the_books_network(self, student, reference):
        # The student's weights in the book's layers (z is random: only z_mean and z_log_var are
        # compared): a hidden Dense without its ReLU, 256 before 512, or a head fed by the wrong
        # layer computes something else.
        _either_order(expect_reference_function, student.build_cvae_encoder(latent_dim=2),
                      reference.build_cvae_encoder(latent_dim=2), list(batch(16, seed=5)), "encoder")

    @points(1)
    def test_trains_as_it_predicts(self, student, reference):
        # fit runs the encoder in training mode: an extra Dropout or GaussianNoise (no weights of
        # its own) passes every prediction but trains another network than the book's.
        latent_dim = _latent_dim(12)
        _either_order(expect_reference_function, student.build_cvae_encoder(latent_dim=latent_dim),
                      reference.build_cvae_encoder(latent_dim=latent_dim), list(batch(16, seed=13)),
                      f"encoder (latent_dim={latent_dim})")
        _either_order(expect_same_in_training, student.build_cvae_encoder(latent_dim=latent_dim),
                      reference.build_cvae_encoder(latent_dim=latent_dim), list(batch(16, seed=14)), "encoder")

    @points(1)
    def test_z_is_sampled(self, student):
        encoder = student.build_cvae_encoder(latent_dim=2)
        images, labels = batch(1)
        first, second = encoder([images, labels]), encoder([images, labels])
        np.testing.assert_allclose(finite(first[0], "z_mean"), finite(second[0], "z_mean"), rtol=1e-6)
        expect_differs(first[2], second[2], "encoder's z", "z should be drawn anew at each call")
        # 4,000 draws for one pair: (z - z_mean) / exp(z_log_var / 2) is N(0, 1) (Sampling fed in order).
        z_mean, z_log_var, z = (np.asarray(o, "float64") for o in inference(
            encoder, [np.repeat(images, 4000, axis=0), np.repeat(labels, 4000, axis=0)]))
        mean, std = _z_statistics(finite(z_mean, "z_mean"), finite(z_log_var, "z_log_var"), finite(z, "z"))
        assert abs(mean) < 0.08 and abs(std - 1.0) < 0.05, f"eps has mean {mean:.3f} and std {std:.3f}"


# ----------------------------------------------------------------------------- decoder

class TestBuildCvaeDecoder:
    exercise = "build_cvae_decoder"

    @points(2)
    def test_input_is_latent_plus_ten(self, student):
        assert tuple(student.build_cvae_decoder(latent_dim=2).input_shape) == (None, 12)
        assert tuple(student.build_cvae_decoder(latent_dim=5).input_shape) == (None, 15)
        latent_dim = _latent_dim(20)
        assert tuple(student.build_cvae_decoder(latent_dim=latent_dim).input_shape) == (None, latent_dim + 10), \
            f"latent_dim={latent_dim}"

    @points(2)
    def test_weights(self, student):
        # 12 * 256 + 256 = 3,328; 256 * 512 + 512 = 131,584; 512 * 784 + 784 = 402,192
        assert student.build_cvae_decoder(latent_dim=2).count_params() == 537_104
        # latent d: (d + 10) * 256 + 256, then the same 533,776
        latent_dim = _latent_dim(21)
        assert student.build_cvae_decoder(latent_dim=latent_dim).count_params() == 256 * latent_dim + 536_592, \
            f"latent_dim={latent_dim}"

    @points(1)
    def test_outputs_images_of_probabilities(self, student):
        out = inference(student.build_cvae_decoder(latent_dim=2), f32(_fresh(0).normal(size=(6, 12)) * 20))
        out = finite(out, "decoder's images")
        assert out.shape == (6, 28, 28)
        assert out.min() >= 0.0 and out.max() <= 1.0

    @points(2)
    def test_computes_the_books_network(self, student, reference):
        # The student's weights in the book's layers: a hidden Dense without its ReLU computes other images.
        rng = _fresh(1)
        inputs = f32(np.concatenate([rng.normal(size=(32, 2)) * 3, np.eye(10)[rng.integers(0, 10, 32)]], axis=1))
        expect_reference_function(student.build_cvae_decoder(latent_dim=2), reference.build_cvae_decoder(latent_dim=2),
                                  inputs, what="decoder")

    @points(1)
    def test_trains_as_it_predicts(self, student, reference):
        # fit runs the decoder in training mode: a Dropout or GaussianNoise passes every prediction
        # but trains another network than the book's.
        latent_dim = _latent_dim(22)
        rng = _fresh(23)
        inputs = f32(np.concatenate([rng.normal(size=(32, latent_dim)) * 2, np.eye(10)[rng.integers(0, 10, 32)]], axis=1))
        expect_the_books_network_in_both_modes(lambda: student.build_cvae_decoder(latent_dim=latent_dim),
                                               lambda: reference.build_cvae_decoder(latent_dim=latent_dim), inputs,
                                               what=f"decoder (latent_dim={latent_dim})")


# ----------------------------------------------------------------------------- CVAE

class TestCvae(steps.StepTests):
    """Also inherits the five training-step tests (step_equivalence.StepTests)."""

    exercise = "cvae"
    steps_probe = "cvae_training_steps"
    builders = ("build_cvae_encoder", "build_cvae_decoder")
    labelled = True
    pictures = PICTURES

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


# ----------------------------------------------------------------------------- generation

def _generated(student, digit, n, latent_dim, seed):
    images = student.probe("generate_digits_shown", digit, n, latent_dim, seed)
    assert isinstance(images, np.ndarray) and images.shape == (n, 28, 28), \
        f"generate_digits gave {getattr(images, 'shape', type(images).__name__)}, expected ({n}, 28, 28)"
    return finite(images, f"generate_digits(decoder, {digit}, {n}, latent_dim={latent_dim}, seed={seed})").reshape(n, -1)


class TestGenerateDigits:
    exercise = "generate_digits"

    @points(2)
    def test_the_requested_label_follows_z(self, student):
        rng = _fresh(0)
        for digit in (0, 4, 9, int(rng.integers(1, 9))):
            n, latent_dim, seed = int(rng.integers(1, 9)), int(rng.integers(1, 6)), int(rng.integers(0, 2**31))
            shown = _generated(student, digit, n, latent_dim, seed)
            np.testing.assert_allclose(shown[:, latent_dim:latent_dim + 10], np.eye(10)[[digit] * n], atol=1e-6,
                                       err_msg=f"the label after z, for latent_dim={latent_dim}")

    @points(2)
    def test_z_is_the_seeded_standard_normal(self, student):
        shown = _generated(student, 5, 8, 2, 11)
        expected = np.random.default_rng(11).standard_normal((8, 2))
        np.testing.assert_allclose(shown[:, :2], expected, rtol=1e-5, atol=1e-6)
        # A seed, digit, count and latent size drawn now: the z must be that seed's.
        rng = _fresh(1)
        seed, digit, n, latent_dim = (int(rng.integers(0, 2**31)), int(rng.integers(0, 10)), int(rng.integers(3, 12)),
                                      int(rng.integers(3, 9)))
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
        rng = _fresh(3)
        first, second = (int(d) for d in rng.choice(10, size=2, replace=False))
        seed, other = (int(s) for s in rng.choice(2**31, size=2, replace=False))
        a = _generated(student, first, 4, 2, seed)
        b = _generated(student, second, 4, 2, seed)
        c = _generated(student, first, 4, 2, other)
        np.testing.assert_allclose(a[:, :2], b[:, :2], atol=1e-6, err_msg=f"seed {seed}, digits {first} and {second}")
        expect_differs(a[:, :2], c[:, :2], "generate_digits' z", f"seeds {seed} and {other} should draw other z")


def _blended(student, weights: dict):
    got = student.probe("blend_labels_of_pairs", [[digit, weight] for digit, weight in weights.items()])
    assert isinstance(got, np.ndarray) and got.shape == (10,), \
        f"blend_labels gave {getattr(got, 'shape', type(got).__name__)}, expected shape (10,)"
    return finite(got, "blend_labels")


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

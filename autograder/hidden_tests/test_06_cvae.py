"""Hidden tests of lesson 06_cvae.

Structure and closed forms on literal inputs and on inputs drawn at grading time; the
student's networks compared with the book's, built here with the student's weights; fake
decoders that write their input into the image (built in the contestant by a probe, so
which label and which z reached the decoder can be read off exactly); and the `CVAE`
class's training steps compared, step for step, with the reference's from weights, digits,
labels and noise drawn at grading time (``step_equivalence.py``): nothing of those is trained.
The one exception, `build_conditioned_decoder` (a design: where the label enters is the
student's choice), is judged by its structure and by what it draws once the judge has trained
it itself, from weights the judge draws (pass mark in autograder/thresholds.json).
"""

from __future__ import annotations

import numpy as np

from autograder import pictures
from autograder.hidden_tests import step_equivalence as steps
from autograder.hidden_tests.shared import as_numpy, f32
from autograder.hidden_tests.shared import bce_per_image as _bce
from autograder.hidden_tests.shared import fresh_rng as _fresh
from autograder.hidden_tests.shared import kl_per_sample as _kl
from autograder.hidden_tests.shared import once_per_judge
from autograder.testing import (expect_differs, expect_reference_function, expect_same_in_training, expect_threshold,
                                expect_the_books_network_in_both_modes, finite, grading_seed, inference, points)

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


# ----------------------------------------------------------------------------- the conditioned decoder
#
# A design exercise: where and how the label enters is the student's choice. The judge rebuilds
# the decoder here from its layer list (Keras' own layers only, no weights written into their
# settings) and judges its structure, then trains it itself, from weights it draws, beside the
# lesson's reference encoder (public_tests/conditioning.py holds the schedule and the measure,
# which check() runs the same way): the weights the student's function returns decide nothing.

LESSON = "06_cvae"
CONDITIONED = "build_conditioned_decoder"
CONDITIONED_PICTURE = "your decoder, trained by the grader: a row per requested digit, 0 to 9"
# The schedule and the measure live in public_tests/conditioning.py (check() runs them too), which
# the calibration fingerprint does not follow: the hash of the definitions the measured value
# depends on is written here, so a change to them changes this module and asks for a
# recalibration (tests/test_calibrate.py); the file's other rules may change freely.
MEASURED_DEFINITIONS = ("LATENT_DIM", "NUM_CLASSES", "TRAIN_STEPS", "BATCH_SIZE", "LEARNING_RATE", "PER_DIGIT",
                        "rebuilt", "train", "asked_for", "conditional_accuracy")
CONDITIONING_AST_SHA256 = "32dd48ddc09058fbdb65ae6c1765fea20617fbad28e643724ff218b3d466263c"


def conditioning_digest() -> str:
    """SHA-256 of the syntax trees of MEASURED_DEFINITIONS in public_tests/conditioning.py (comments do not count)."""
    from autograder.hidden_tests.shared import definitions_digest
    from public_tests import conditioning

    return definitions_digest(conditioning, MEASURED_DEFINITIONS)


def _calibrated_conditioning():
    """public_tests.conditioning, if it is the code the pass mark was calibrated with."""
    from public_tests import conditioning

    if conditioning_digest() != CONDITIONING_AST_SHA256:
        raise RuntimeError("the measure in public_tests/conditioning.py changed since the pass mark was calibrated: set "
                           "CONDITIONING_AST_SHA256 to conditioning_digest() and recalibrate lesson 06_cvae")
    return conditioning


def _requests(seed, n, latent_dim, scale=1.0):
    """n judge-drawn requests: z (scaled) and one-hot labels, every digit among them when n >= 10."""
    rng = _fresh(seed)
    digits = rng.permutation(np.resize(np.arange(10), n))
    return [f32(rng.normal(size=(n, latent_dim)) * scale), f32(np.eye(10)[digits])]


def _conditioned(student, reference, latent_dim=2, seed=60):
    """The student's decoder rebuilt in the judge (Keras' own layers; it must compute what its layers say)."""
    from autograder.rebuild import local_model

    return local_model(student.build_conditioned_decoder(latent_dim=latent_dim), reference.values,
                       check_inputs=_requests(seed, 4, latent_dim), what="decoder")


def _by_the_rules(rule, *args):
    """``rule(*args)`` of public_tests/conditioning.py; its NotUsable as a failed check with its message."""
    from public_tests import conditioning

    try:
        return rule(*args)
    except conditioning.NotUsable as problem:
        raise AssertionError(str(problem)) from None


def _judged_images(model, inputs, what):
    from public_tests import conditioning

    return _by_the_rules(conditioning.expect_images, finite(inference(model, inputs), what), len(inputs[0]), what)


class TestBuildConditionedDecoder:
    exercise = CONDITIONED

    @points(1)
    def test_inputs_and_output(self, student, reference):
        latent_dim = _latent_dim(61)
        for size in (2, latent_dim):
            model = _conditioned(student, reference, size, seed=62)
            shapes = [tuple(s) for s in model.input_shape] if isinstance(model.input_shape, list) else model.input_shape
            assert shapes == [(None, size), (None, 10)], \
                f"latent_dim={size}: inputs {shapes}, expected [z (None, {size}), label (None, 10)] in that order"
            assert tuple(model.output_shape) == (None, 28, 28, 1), \
                f"latent_dim={size}: output shape {model.output_shape}, expected (None, 28, 28, 1)"

    @points(1)
    def test_within_the_budget(self, student, reference):
        from public_tests.conditioning import BUDGET

        from public_tests import conditioning

        model = _conditioned(student, reference)
        count = model.count_params()
        assert count <= BUDGET, f"{count:,} weights at latent_dim=2; the budget is {BUDGET:,} (half the lesson's decoder)"
        _by_the_rules(conditioning.expect_trainable_in_time, model)

    @points(1)
    def test_images_of_probabilities(self, student, reference):
        # Judge-drawn requests, z far out too, blended labels: with the student's weights and with the judge's.
        from public_tests import conditioning

        z, labels = _requests(63, 32, 2, scale=8.0)
        labels[:8] = f32(_fresh(64).dirichlet(np.ones(10), size=8))
        model = _conditioned(student, reference)
        _judged_images(model, [z, labels], "decoder's images")
        model.set_weights(conditioning.drawn_weights(model, _fresh(65)))
        _judged_images(model, [z, labels], "decoder's images with weights the grader drew")

    @points(1)
    def test_only_keras_layers_and_no_weights_in_them(self, student, reference):
        # The grader trains the layers, never the weights handed in: their settings may not carry any.
        from public_tests import conditioning

        _by_the_rules(conditioning.rebuilt, _conditioned(student, reference), int(_fresh(66).integers(0, 2**31)))

    @points(2)
    def test_the_label_redraws_the_image(self, student, reference):
        # With weights drawn here (every array, whatever the initializers), the same z and two
        # different labels: most pixels change. A label read by one pixel, scaled by 0 or left unused fails.
        from public_tests import conditioning

        model = _conditioned(student, reference)
        rng = _fresh(67)
        model.set_weights(conditioning.drawn_weights(model, rng))
        z = f32(rng.normal(size=(16, 2)))
        first = rng.integers(0, 10, 16)
        second = (first + rng.integers(1, 10, 16)) % 10
        a = _judged_images(model, [z, f32(np.eye(10)[first])], "decoder's images")
        b = _judged_images(model, [z, f32(np.eye(10)[second])], "decoder's images")
        reach = conditioning.label_reach(a, b)
        assert reach >= conditioning.REACH, \
            (f"with the grader's weights, another label (same z) changed {reach:.1%} of the pixels, expected at least "
             f"{conditioning.REACH:.0%}: the label must reach the whole image")

    @points(3)
    def test_trained_by_the_grader_it_draws_the_digit_asked_for(self, student, reference):
        accuracy = once_per_judge((CONDITIONED, grading_seed(), id(student.connection)),
                                  lambda: measure_conditioned_decoder(student, reference, grading_seed()))["accuracy"]
        expect_threshold(LESSON, CONDITIONED, "accuracy", accuracy,
                         "share of the requested digits the classifier recognises")


def _mnist():
    """MNIST's training digits and one-hot labels, loaded in the judge once (the contestant sees no data)."""
    def load():
        from aecourse.datasets import load_mnist

        (x_train, y_train), _ = load_mnist()
        return x_train, np.eye(10, dtype="float32")[y_train]

    return once_per_judge(("mnist training digits",), load)


def _classifier():
    from aecourse.classifier import load_reference_classifier

    return once_per_judge(("reference classifier",), load_reference_classifier)


def measure_conditioned_decoder(student, reference, seed: int) -> dict[str, float]:
    """Train the student's decoder (rebuilt, weights drawn here) with the reference encoder; the classifier's verdict.

    accuracy  the share of requested digits (PER_DIGIT of each, z ~ N(0, I)) the course's
              classifier sees as the digit asked for, averaged over the ten digits
    """
    import keras

    conditioning = _calibrated_conditioning()
    model = _conditioned(student, reference)
    if model.count_params() > conditioning.BUDGET:
        raise AssertionError(f"your decoder has {model.count_params():,} weights, over the budget of "
                             f"{conditioning.BUDGET:,}: the grader trains only decoders within it")
    _by_the_rules(conditioning.expect_trainable_in_time, model)
    decoder = _by_the_rules(conditioning.rebuilt, model, seed)
    keras.utils.set_random_seed(seed)
    encoder = reference.build_cvae_encoder(latent_dim=conditioning.LATENT_DIM)
    images, labels = _mnist()
    conditioning.train(encoder, decoder, images, labels, seed)
    z, asked, digits = conditioning.asked_for(seed + 1)
    drawn = _judged_images(decoder, [z, asked], "trained decoder's images")
    shown = drawn.reshape(10, conditioning.PER_DIGIT, 28, 28)[:, :8]
    pictures.record(CONDITIONED, CONDITIONED_PICTURE, np.concatenate(list(np.concatenate(list(shown), axis=1)), axis=1))
    return {"accuracy": conditioning.conditional_accuracy(drawn, digits, _classifier())["accuracy"]}


MEASURES = {"build_conditioned_decoder": measure_conditioned_decoder}  # a literal: autograder/registry.py reads it
DIRECTIONS = {"accuracy": "max"}
# A decoder that ignores the label draws the asked-for digit about one time in ten.
BASELINES = {"accuracy": 0.1}

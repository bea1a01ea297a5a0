"""Hidden tests of lesson 06_cvae.

Structure and closed forms on literal inputs; fake decoders that write their input into
the image (so which label and which z reached the decoder can be read off exactly); and
one training-based check of the `CVAE` class against calibrated pass marks.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from autograder.testing import expect_threshold, grading_seed, points

LESSON = "06_cvae"

# The grader's fixed budget for training the CVAE (independent of COURSE_MODE).
TRAIN_EPOCHS = 3
TRAIN_BATCH = 500
TRAIN_PEAK_LR = 1.6e-2   # the lessons' recipe: one epoch of warm-up to the peak, then a cosine to 0
N_PER_DIGIT = 100


def as_numpy(value):
    return np.asarray(keras.ops.convert_to_numpy(value), dtype="float64")


def f32(value):
    return np.asarray(value, dtype="float32")


class Show(keras.layers.Layer):
    """(m, k) -> (m, 28, 28): the input vector in the first k pixels, zeros after."""

    def call(self, inputs):
        k = inputs.shape[-1]
        return ops.reshape(ops.pad(inputs, [[0, 0], [0, 784 - k]]), (-1, 28, 28))


def showing_decoder(latent_dim):
    inputs = keras.Input(shape=(latent_dim + 10,))
    return keras.Model(inputs, Show()(inputs))


def batch(n=4, seed=0):
    rng = np.random.default_rng(seed)
    return f32(rng.random((n, 28, 28))), f32(np.eye(10)[rng.integers(0, 10, n)])


# ----------------------------------------------------------------------------- measures

def _kl(z_mean, z_log_var):
    return 0.5 * np.sum(np.exp(z_log_var) + z_mean ** 2 - 1.0 - z_log_var, axis=-1)


def _bce(x, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return (-(x * np.log(p) + (1 - x) * np.log(1 - p))).reshape(len(x), -1).sum(axis=1)


def measure_cvae(ns, seed: int) -> dict[str, float]:
    """Train the namespace's CVAE (fixed budget); measure on the MNIST test set.

    test_loss          mean KL + reconstruction over the 10,000 test digits (nats, one pass)
    mean_accuracy      share of samples (z ~ N(0, I), 100 per digit) that the reference
                       classifier labels as the digit asked for
    min_digit_accuracy the same, for the worst digit
    """
    from aecourse.classifier import load_reference_classifier
    from aecourse.datasets import load_mnist
    from aecourse.seeding import set_seed
    from aecourse.training import warmup_cosine

    (x_train, y_train), (x_test, y_test) = load_mnist()
    eye = np.eye(10, dtype="float32")
    set_seed(seed)
    encoder, decoder = ns.build_cvae_encoder(latent_dim=2), ns.build_cvae_decoder(latent_dim=2)
    cvae = ns.CVAE(encoder, decoder)
    learning_rate = warmup_cosine(TRAIN_PEAK_LR, TRAIN_EPOCHS, len(x_train), TRAIN_BATCH)
    cvae.compile(optimizer=keras.optimizers.Adam(learning_rate), jit_compile=True)
    cvae.fit((x_train, eye[y_train]), epochs=TRAIN_EPOCHS, batch_size=TRAIN_BATCH, verbose=0)

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
    return {"test_loss": test_loss, "mean_accuracy": float(np.mean(per_digit)),
            "min_digit_accuracy": float(np.min(per_digit))}


MEASURES = {"cvae": measure_cvae}
DIRECTIONS = {"test_loss": "min", "mean_accuracy": "max", "min_digit_accuracy": "max"}

_measured: dict[int, dict[str, float]] = {}


def measured(ns) -> dict[str, float]:
    key = id(ns.values)
    if key not in _measured:
        _measured[key] = measure_cvae(ns, grading_seed())
    return _measured[key]


# ----------------------------------------------------------------------------- encoder

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

    @points(1)
    def test_z_is_sampled(self, student):
        encoder = student.build_cvae_encoder(latent_dim=2)
        images, labels = batch(1)
        first, second = encoder([images, labels]), encoder([images, labels])
        np.testing.assert_allclose(as_numpy(first[0]), as_numpy(second[0]), rtol=1e-6)
        assert not np.allclose(as_numpy(first[2]), as_numpy(second[2]))


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
        out = student.build_cvae_decoder(latent_dim=2).predict(f32(np.random.default_rng(0).normal(size=(6, 12)) * 20),
                                                               verbose=0)
        assert out.shape == (6, 28, 28)
        assert out.min() >= 0.0 and out.max() <= 1.0


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
        cvae = student.CVAE(student.build_cvae_encoder(latent_dim=2), showing_decoder(2))
        images, labels = batch(4)
        z_mean, _, shown = (as_numpy(o) for o in cvae((images, labels)))
        shown = shown.reshape(4, -1)
        np.testing.assert_allclose(shown[:, 2:12], labels, atol=1e-6)  # the label, after z
        assert not np.allclose(shown[:, :2], z_mean)                     # z is a draw, not the mean

    @points(2)
    def test_compute_loss_by_hand(self, student):
        # Row 0: mu = 0, log_var = 0, p = 0.5: 0 + 784 ln 2 = 543.4273; row 1: mu = (2, 2): + 4.
        cvae = student.CVAE(student.build_cvae_encoder(latent_dim=2), student.build_cvae_decoder(latent_dim=2))
        images, labels = batch(2)
        y_pred = (f32([[0.0, 0.0], [2.0, 2.0]]), f32(np.zeros((2, 2))), f32(np.full((2, 28, 28), 0.5)))
        loss = cvae.compute_loss(x=(images, labels), y=None, y_pred=y_pred, sample_weight=None, training=False)
        np.testing.assert_allclose(float(as_numpy(loss)), 545.4273, rtol=1e-5)
        assert abs(float(as_numpy(cvae.kl_loss_tracker.result())) - 2.0) < 1e-4

    @points(3)
    def test_trained_test_loss(self, student):
        expect_threshold(LESSON, "cvae", "test_loss", measured(student)["test_loss"])

    @points(3)
    def test_draws_the_digit_it_is_asked_for(self, student):
        m = measured(student)
        expect_threshold(LESSON, "cvae", "mean_accuracy", m["mean_accuracy"])
        expect_threshold(LESSON, "cvae", "min_digit_accuracy", m["min_digit_accuracy"])


# ----------------------------------------------------------------------------- generation

class TestGenerateDigits:
    exercise = "generate_digits"

    @points(2)
    def test_the_requested_label_follows_z(self, student):
        for digit in (0, 4, 9):
            images = np.asarray(student.generate_digits(showing_decoder(2), digit, n=6, latent_dim=2, seed=0))
            assert images.shape == (6, 28, 28)
            np.testing.assert_allclose(images.reshape(6, -1)[:, 2:12], np.eye(10)[[digit] * 6], atol=1e-6)

    @points(2)
    def test_z_is_the_seeded_standard_normal(self, student):
        images = np.asarray(student.generate_digits(showing_decoder(2), 5, n=8, latent_dim=2, seed=11))
        expected = np.random.default_rng(11).standard_normal((8, 2))
        np.testing.assert_allclose(images.reshape(8, -1)[:, :2], expected, rtol=1e-5, atol=1e-6)

    @points(1)
    def test_z_statistics(self, student):
        images = np.asarray(student.generate_digits(showing_decoder(3), 2, n=5000, latent_dim=3, seed=1))
        z = images.reshape(5000, -1)[:, :3]
        assert np.all(np.abs(z.mean(axis=0)) < 0.07) and np.all(np.abs(z.std(axis=0) - 1) < 0.05)
        np.testing.assert_allclose(images.reshape(5000, -1)[:, 3:13], np.eye(10)[[2] * 5000], atol=1e-6)

    @points(1)
    def test_same_seed_same_style_for_every_digit(self, student):
        a = np.asarray(student.generate_digits(showing_decoder(2), 3, n=4, latent_dim=2, seed=5)).reshape(4, -1)
        b = np.asarray(student.generate_digits(showing_decoder(2), 8, n=4, latent_dim=2, seed=5)).reshape(4, -1)
        c = np.asarray(student.generate_digits(showing_decoder(2), 3, n=4, latent_dim=2, seed=6)).reshape(4, -1)
        np.testing.assert_allclose(a[:, :2], b[:, :2], atol=1e-6)
        assert not np.allclose(a[:, :2], c[:, :2])


class TestBlendLabels:
    exercise = "blend_labels"

    @points(2)
    def test_half_three_half_eight(self, student):
        got = np.asarray(student.blend_labels({3: 0.5, 8: 0.5}), dtype="float64")
        np.testing.assert_allclose(got, [0, 0, 0, 0.5, 0, 0, 0, 0, 0.5, 0], atol=1e-7)

    @points(2)
    def test_weights_are_scaled_to_sum_to_one(self, student):
        np.testing.assert_allclose(np.asarray(student.blend_labels({3: 1, 8: 3}), dtype="float64"),
                                   [0, 0, 0, 0.25, 0, 0, 0, 0, 0.75, 0], atol=1e-7)
        np.testing.assert_allclose(np.asarray(student.blend_labels({0: 2, 1: 2, 9: 4}), dtype="float64"),
                                   [0.25, 0.25, 0, 0, 0, 0, 0, 0, 0, 0.5], atol=1e-7)

    @points(1)
    def test_a_single_digit_is_one_hot(self, student):
        got = np.asarray(student.blend_labels({7: 1.0}), dtype="float64")
        assert got.shape == (10,)
        np.testing.assert_allclose(got, np.eye(10)[7], atol=1e-7)

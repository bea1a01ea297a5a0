"""Hidden tests of lesson 04_vae.

Closed forms on inputs written out literally (the numbers in the comments are worked by
hand, not produced by the reference), plus one training-based check of the `VAE` class:
a fixed small budget, measured on the real MNIST test set, compared with pass marks that
``python -m autograder.calibrate`` measured on the reference over several seeds.
"""

from __future__ import annotations

import math

import keras
import numpy as np

from autograder.testing import expect_threshold, grading_seed, points

LESSON = "04_vae"
LN2 = math.log(2.0)

# The grader's fixed budget for training the VAE (independent of COURSE_MODE).
# The lessons' schedule (linear warm-up to a peak, then a cosine to 0) shrunk to 3 epochs:
# smaller batches, a lower peak and half an epoch of warm-up. Measured over seeds 0-4 against
# the lessons' own settings at 3 epochs (batch 500, peak 1.6e-2, one epoch of warm-up), in the
# same time: test loss 158.2-160.0 instead of 159.9-162.2 nats, and 9 digits covered on every
# seed instead of 7-9.
TRAIN_EPOCHS = 3
TRAIN_BATCH = 250
TRAIN_PEAK_LR = 1e-2
TRAIN_WARMUP_EPOCHS = 0.5
N_SAMPLES = 1000
COVERED = 0.01           # a digit is covered when at least 1 % of the samples are classified as it


def as_numpy(value):
    return np.asarray(keras.ops.convert_to_numpy(value), dtype="float64")


def f32(value):
    return np.asarray(value, dtype="float32")


# ----------------------------------------------------------------------------- measures

def _kl(z_mean, z_log_var):
    """The closed form, written here independently of every notebook."""
    return 0.5 * np.sum(np.exp(z_log_var) + z_mean ** 2 - 1.0 - z_log_var, axis=-1)


def _bce(x, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    per_pixel = -(x * np.log(p) + (1 - x) * np.log(1 - p))
    return per_pixel.reshape(len(x), -1).sum(axis=1)


def _mnist():
    from aecourse.datasets import load_mnist

    return load_mnist()


def measure_vae(ns, seed: int) -> dict[str, float]:
    """Train the namespace's VAE (fixed budget) and measure it on the MNIST test set.

    test_loss       mean KL + reconstruction over the 10,000 test digits (nats, one pass)
    confident_share share of 1,000 samples from N(0, I) that the reference classifier
                    labels with probability > 0.9
    classes_covered digits that get at least COVERED (1 %) of those samples
    diversity       mean per-pixel standard deviation across the samples (one image
                    repeated would score 0)
    """
    from aecourse.classifier import load_reference_classifier
    from aecourse.seeding import set_seed
    from aecourse.training import warmup_cosine

    (x_train, _), (x_test, _) = _mnist()
    set_seed(seed)
    encoder, decoder = ns.build_encoder(latent_dim=2), ns.build_decoder(latent_dim=2)
    vae = ns.VAE(encoder, decoder)
    learning_rate = warmup_cosine(TRAIN_PEAK_LR, TRAIN_EPOCHS, len(x_train), TRAIN_BATCH, TRAIN_WARMUP_EPOCHS)
    vae.compile(optimizer=keras.optimizers.Adam(learning_rate), jit_compile=True)
    vae.fit(x_train, epochs=TRAIN_EPOCHS, batch_size=TRAIN_BATCH, verbose=0)

    z_mean, z_log_var, z = (np.asarray(a, dtype="float64") for a in encoder.predict(x_test, batch_size=1000, verbose=0))
    decoded = np.asarray(decoder.predict(f32(z), batch_size=1000, verbose=0), dtype="float64")
    test_loss = float(np.mean(_kl(z_mean, z_log_var) + _bce(x_test.astype("float64"), decoded)))

    z_random = np.random.default_rng(seed).standard_normal((N_SAMPLES, 2)).astype("float32")
    samples = np.asarray(decoder.predict(z_random, batch_size=1000, verbose=0)).reshape(-1, 28, 28)
    probabilities = load_reference_classifier().predict(samples, batch_size=1000, verbose=0)
    counts = np.bincount(probabilities.argmax(axis=1), minlength=10)
    return {
        "test_loss": test_loss,
        "confident_share": float(np.mean(probabilities.max(axis=1) > 0.9)),
        "classes_covered": float(np.sum(counts >= COVERED * N_SAMPLES)),
        "diversity": float(samples.reshape(N_SAMPLES, -1).std(axis=0).mean()),
    }


MEASURES = {"vae": measure_vae}
DIRECTIONS = {"test_loss": "min", "confident_share": "max", "classes_covered": "max", "diversity": "max"}
# A decoder that draws no digit scores 0 confident samples: the pass mark stays at least
# halfway from there to the reference's worst seed.
BASELINES = {"confident_share": 0.0}
# The course asks for samples of at least 8 different digits. A count moves in whole digits,
# so its margin must reach one digit below the reference's worst (10 % of 9 would not).
REQUIRED = {"classes_covered": 8.0}
MARGINS = {"classes_covered": 0.15}

_measured: dict[int, dict[str, float]] = {}


def measured(ns) -> dict[str, float]:
    """The VAE of this namespace, trained once per grading run."""
    key = id(ns.values)
    if key not in _measured:
        _measured[key] = measure_vae(ns, grading_seed())
    return _measured[key]


# ----------------------------------------------------------------------------- Sampling

class TestSampling:
    exercise = "sampling"

    @points(1)
    def test_shape(self, student):
        z = as_numpy(student.Sampling(seed=0)([f32(np.zeros((7, 3))), f32(np.zeros((7, 3)))]))
        assert z.shape == (7, 3)

    @points(2)
    def test_mean_and_variance_over_100k_draws(self, student):
        n = 100_000
        mu = np.array([-1.0, 0.5, 2.0])
        var = np.array([1.0, 0.25, 9.0])  # log_var = 0, ln 0.25, ln 9
        z = as_numpy(student.Sampling(seed=1)([f32(np.tile(mu, (n, 1))), f32(np.tile(np.log(var), (n, 1)))]))
        # Standard errors: mean sigma/sqrt(n) <= 3/316 = 0.0095; variance var*sqrt(2/n) = 0.45% of var.
        assert np.all(np.abs(z.mean(axis=0) - mu) < 5 * np.sqrt(var / n))
        assert np.all(np.abs(z.var(axis=0) / var - 1.0) < 5 * np.sqrt(2.0 / n))

    @points(2)
    def test_gradients_reach_both_inputs(self, student):
        import tensorflow as tf

        mu = tf.Variable(f32([[0.5, -1.0], [2.0, 0.0]]))
        log_var = tf.Variable(f32([[0.0, 1.0], [-2.0, 0.7]]))
        with tf.GradientTape() as tape:
            z = student.Sampling(seed=3)([mu, log_var])
            total = tf.reduce_sum(z)
        d_mu, d_log_var = tape.gradient(total, [mu, log_var])
        assert d_mu is not None and d_log_var is not None
        sigma = np.exp(log_var.numpy() / 2)
        eps = (z.numpy() - mu.numpy()) / sigma            # the noise that was drawn
        np.testing.assert_allclose(d_mu.numpy(), np.ones((2, 2)), rtol=1e-5)          # dz/dmu = 1
        np.testing.assert_allclose(d_log_var.numpy(), 0.5 * sigma * eps, rtol=1e-4, atol=1e-6)  # dz/dlogvar

    @points(1)
    def test_each_call_draws_new_noise(self, student):
        layer = student.Sampling(seed=0)
        zeros = f32(np.zeros((5, 2)))
        assert not np.allclose(as_numpy(layer([zeros, zeros])), as_numpy(layer([zeros, zeros])))

    @points(1)
    def test_seeded_layers_are_reproducible(self, student):
        zeros = f32(np.zeros((5, 2)))
        first = as_numpy(student.Sampling(seed=7)([zeros, zeros]))
        again = as_numpy(student.Sampling(seed=7)([zeros, zeros]))
        other = as_numpy(student.Sampling(seed=8)([zeros, zeros]))
        np.testing.assert_array_equal(first, again)
        assert not np.allclose(first, other)

    @points(1)
    def test_any_batch_size_inside_a_model(self, student):
        mean_in, log_var_in = keras.Input((2,)), keras.Input((2,))
        model = keras.Model([mean_in, log_var_in], student.Sampling(seed=0)([mean_in, log_var_in]))
        for batch in (1, 13):
            zeros = f32(np.zeros((batch, 2)))
            assert model.predict([zeros, zeros], verbose=0).shape == (batch, 2)


# ----------------------------------------------------------------------------- KL

class TestKlDivergence:
    exercise = "kl_divergence"

    @points(1)
    def test_zero_for_the_standard_normal(self, student):
        kl = as_numpy(student.kl_divergence(f32(np.zeros((4, 2))), f32(np.zeros((4, 2)))))
        assert kl.shape == (4,)
        np.testing.assert_allclose(kl, [0.0, 0.0, 0.0, 0.0], atol=1e-6)

    @points(2)
    def test_mean_two_costs_two_nats_per_dimension(self, student):
        # 0.5 * (1 + 4 - 1 - 0) = 2 per dimension; 3 dimensions -> 6.
        kl = as_numpy(student.kl_divergence(f32(np.full((2, 3), 2.0)), f32(np.zeros((2, 3)))))
        np.testing.assert_allclose(kl, [6.0, 6.0], rtol=1e-5)

    @points(2)
    def test_a_log_variance_by_hand(self, student):
        # row 0: mu = (1, 0), log_var = (-1, ln 4)
        #   dim 0: 0.5 * (e^-1 + 1 - 1 + 1)     = 0.5 * 1.3678794 = 0.6839397
        #   dim 1: 0.5 * (4 + 0 - 1 - 1.3862944) = 0.5 * 1.6137056 = 0.8068528
        # row 1: mu = (0, -3), log_var = (2, 0)
        #   dim 0: 0.5 * (e^2 - 1 - 2) = 0.5 * 4.3890561 = 2.1945280;  dim 1: 0.5 * 9 = 4.5
        z_mean = f32([[1.0, 0.0], [0.0, -3.0]])
        z_log_var = f32([[-1.0, 1.3862944], [2.0, 0.0]])
        kl = as_numpy(student.kl_divergence(z_mean, z_log_var))
        np.testing.assert_allclose(kl, [1.4907925, 6.6945280], rtol=1e-5)

    @points(1)
    def test_one_value_per_sample_and_never_negative(self, student):
        rng = np.random.default_rng(0)
        kl = as_numpy(student.kl_divergence(f32(rng.normal(size=(50, 8))), f32(rng.normal(size=(50, 8)))))
        assert kl.shape == (50,)
        assert np.all(kl >= 0)


# ----------------------------------------------------------------------------- reconstruction

class TestReconstructionLoss:
    exercise = "reconstruction_loss"

    @points(2)
    def test_a_coin_flip_decoder_costs_784_ln2(self, student):
        x = f32(np.random.default_rng(0).random((3, 28, 28)) > 0.5)
        loss = as_numpy(student.reconstruction_loss(x, f32(np.full((3, 28, 28), 0.5))))
        assert loss.shape == (3,)
        np.testing.assert_allclose(loss, [543.4273] * 3, rtol=1e-5)  # 784 * ln 2

    @points(1)
    def test_a_perfect_prediction_costs_nothing(self, student):
        x = f32(np.random.default_rng(1).random((2, 28, 28)) > 0.5)
        loss = as_numpy(student.reconstruction_loss(x, x))
        assert np.all(np.isfinite(loss)) and np.all(np.abs(loss) < 1e-3)

    @points(2)
    def test_grey_targets_by_hand(self, student):
        # x = 0.3, p = 0.9: -(0.3 ln 0.9 + 0.7 ln 0.1) = 0.0316082 + 1.6118096 = 1.6434177 per pixel,
        # times 784 = 1288.4395.  x = 0.25, p = 0.5: 784 ln 2 = 543.4273 whatever x.
        x = f32(np.stack([np.full((28, 28), 0.3), np.full((28, 28), 0.25)]))
        p = f32(np.stack([np.full((28, 28), 0.9), np.full((28, 28), 0.5)]))
        loss = as_numpy(student.reconstruction_loss(x, p))
        np.testing.assert_allclose(loss, [1288.4395, 543.4273], rtol=1e-4)

    @points(1)
    def test_each_image_gets_its_own_value(self, student):
        x = f32(np.random.default_rng(2).random((2, 28, 28)) > 0.5)
        p = np.stack([np.full((28, 28), 0.5), x[1]])
        loss = as_numpy(student.reconstruction_loss(x, f32(p)))
        assert loss.shape == (2,)
        assert abs(loss[0] - 543.4273) < 0.01 and abs(loss[1]) < 1e-3


# ----------------------------------------------------------------------------- encoder

class TestBuildEncoder:
    exercise = "build_encoder"

    @points(1)
    def test_inputs_and_outputs(self, student):
        encoder = student.build_encoder(latent_dim=2)
        assert tuple(encoder.input_shape) == (None, 28, 28)
        outputs = encoder.predict(f32(np.zeros((3, 28, 28))), verbose=0)
        assert len(outputs) == 3
        assert [np.shape(o) for o in outputs] == [(3, 2)] * 3

    @points(2)
    def test_weights_784_512_2(self, student):
        # 784*512 + 512 (hidden) + 2 * (512*2 + 2) (two heads) = 401,920 + 2,052
        assert student.build_encoder(latent_dim=2).count_params() == 403_972
        # latent 32: 401,920 + 2 * (512*32 + 32) = 401,920 + 32,832
        assert student.build_encoder(latent_dim=32).count_params() == 434_752

    @points(1)
    def test_heads_are_linear(self, student):
        encoder = student.build_encoder(latent_dim=2)
        heads = [layer for layer in encoder.layers if isinstance(layer, keras.layers.Dense) and layer.units == 2]
        assert len(heads) == 2
        assert all(layer.activation.__name__ == "linear" for layer in heads)
        hidden = [layer for layer in encoder.layers if isinstance(layer, keras.layers.Dense) and layer.units == 512]
        assert len(hidden) == 1 and hidden[0].activation.__name__ == "relu"

    @points(1)
    def test_z_is_sampled_around_z_mean(self, student):
        encoder = student.build_encoder(latent_dim=2)
        image = f32(np.random.default_rng(0).random((1, 28, 28)))
        first, second = encoder(image), encoder(image)
        np.testing.assert_allclose(as_numpy(first[0]), as_numpy(second[0]), rtol=1e-6)  # z_mean: deterministic
        assert not np.allclose(as_numpy(first[2]), as_numpy(second[2]))                 # z: random


# ----------------------------------------------------------------------------- decoder

class TestBuildDecoder:
    exercise = "build_decoder"

    @points(1)
    def test_inputs_and_outputs(self, student):
        decoder = student.build_decoder(latent_dim=2)
        assert tuple(decoder.input_shape) == (None, 2)
        assert decoder.predict(f32(np.zeros((5, 2))), verbose=0).shape == (5, 28, 28)

    @points(2)
    def test_weights_2_512_784(self, student):
        # 2*512 + 512 + 512*784 + 784 = 1,536 + 402,192
        assert student.build_decoder(latent_dim=2).count_params() == 403_728
        # latent 32: 32*512 + 512 + 402,192 = 16,896 + 402,192
        assert student.build_decoder(latent_dim=32).count_params() == 419_088

    @points(1)
    def test_outputs_are_probabilities_and_deterministic(self, student):
        decoder = student.build_decoder(latent_dim=2)
        z = f32(np.random.default_rng(0).normal(size=(20, 2)) * 50)
        first, second = decoder.predict(z, verbose=0), decoder.predict(z, verbose=0)
        assert first.min() >= 0.0 and first.max() <= 1.0
        np.testing.assert_array_equal(first, second)


# ----------------------------------------------------------------------------- VAE

class TestVae:
    exercise = "vae"

    @staticmethod
    def _vae(student):
        return student.VAE(student.build_encoder(latent_dim=2), student.build_decoder(latent_dim=2))

    @points(1)
    def test_call_returns_mean_log_var_and_image(self, student):
        out = self._vae(student)(f32(np.zeros((3, 28, 28))))
        assert [tuple(as_numpy(o).shape) for o in out] == [(3, 2), (3, 2), (3, 28, 28)]

    @points(1)
    def test_call_decodes_the_sampled_z(self, student):
        vae = self._vae(student)
        image = f32(np.random.default_rng(0).random((1, 28, 28)))
        first, second = as_numpy(vae(image)[2]), as_numpy(vae(image)[2])
        assert not np.allclose(first, second)  # two draws of z, two different images

    @points(2)
    def test_compute_loss_by_hand(self, student):
        # Row 0: mu = 0, log_var = 0, p = 0.5: KL 0 + 784 ln 2 = 543.4273.
        # Row 1: mu = 2, log_var = 0 (KL 2 per dim, 2 dims = 4), p = 0.5: 547.4273. Mean 545.4273.
        vae = self._vae(student)
        x = f32(np.random.default_rng(0).random((2, 28, 28)) > 0.5)
        y_pred = (f32([[0.0, 0.0], [2.0, 2.0]]), f32(np.zeros((2, 2))), f32(np.full((2, 28, 28), 0.5)))
        loss = vae.compute_loss(x=x, y=None, y_pred=y_pred, sample_weight=None, training=False)
        assert np.shape(as_numpy(loss)) == ()
        np.testing.assert_allclose(float(as_numpy(loss)), 545.4273, rtol=1e-5)
        assert abs(float(as_numpy(vae.kl_loss_tracker.result())) - 2.0) < 1e-4
        assert abs(float(as_numpy(vae.reconstruction_loss_tracker.result())) - 543.4273) < 1e-2

    @points(1)
    def test_evaluate_reports_the_loss_and_its_parts(self, student):
        vae = self._vae(student)
        vae.compile(optimizer="adam", run_eagerly=True)
        x = f32(np.random.default_rng(0).random((40, 28, 28)) > 0.8)
        result = vae.evaluate(x, batch_size=20, verbose=0, return_dict=True)
        assert {"loss", "kl_loss", "reconstruction_loss"} <= set(result)
        assert abs(result["loss"] - result["kl_loss"] - result["reconstruction_loss"]) < 0.5

    @points(3)
    def test_trained_test_loss(self, student):
        expect_threshold(LESSON, "vae", "test_loss", measured(student)["test_loss"])

    @points(2)
    def test_samples_from_the_prior_are_confident_digits_of_many_classes(self, student):
        m = measured(student)
        expect_threshold(LESSON, "vae", "confident_share", m["confident_share"])
        expect_threshold(LESSON, "vae", "classes_covered", m["classes_covered"])

    @points(1)
    def test_samples_are_diverse(self, student):
        expect_threshold(LESSON, "vae", "diversity", measured(student)["diversity"])

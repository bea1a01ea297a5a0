"""Hidden tests of lesson 04_vae.

Closed forms on inputs written out literally (the numbers in the comments are worked by
hand, not produced by the reference) and on inputs drawn at grading time (checked against
the formulas written here); the student's networks compared with the book's, built here
with the student's weights; and the `VAE` class's training steps compared, step for step,
with the reference's from weights, digits and noise drawn at grading time
(``step_equivalence.py``): nothing is trained, and no pass mark is calibrated.
"""

from __future__ import annotations

import keras
import numpy as np

from autograder.hidden_tests import step_equivalence as steps
from autograder.hidden_tests.shared import as_numpy, f32
from autograder.hidden_tests.shared import bce_per_image as _bce
from autograder.hidden_tests.shared import fresh_rng as _fresh
from autograder.hidden_tests.shared import kl_per_sample as _kl
from autograder.testing import (as_array, expect_differs, expect_reference_function, expect_same_in_training,
                                expect_the_books_network_in_both_modes, finite, inference,
                                local_model, points)

# What the reference's pictures show (autograder/reference_pictures/vae/), for a class that trains like it.
PICTURES = ["samples from N(0, I)", "the latent plane from -2.5 to 2.5"]


# ----------------------------------------------------------------------------- Sampling

class TestSampling:
    exercise = "sampling"

    @points(1)
    def test_shape(self, student):
        rng = _fresh(0)
        batch, dim, seed = int(rng.integers(1, 20)), int(rng.integers(1, 9)), int(rng.integers(0, 2**31))
        z = finite(student.Sampling(seed=seed)([f32(rng.normal(size=(batch, dim))), f32(np.zeros((batch, dim)))]),
                   "Sampling's z")
        assert z.shape == (batch, dim), f"z has shape {z.shape} for z_mean of shape {(batch, dim)}"

    @points(2)
    def test_mean_and_variance_over_100k_draws(self, student):
        n = 100_000
        rng = _fresh(1)
        mu = rng.uniform(-2.0, 2.0, 3)
        var = np.exp(rng.uniform(-2.0, 2.2, 3))  # from 0.14 to 9
        layer = student.Sampling(seed=int(rng.integers(0, 2**31)))
        z = finite(layer([f32(np.tile(mu, (n, 1))), f32(np.tile(np.log(var), (n, 1)))]), "Sampling's z")
        assert z.shape == (n, 3)
        # Standard errors: mean sigma/sqrt(n) <= 3/316 = 0.0095; variance var*sqrt(2/n) = 0.45% of var.
        assert np.all(np.abs(z.mean(axis=0) - mu) < 5 * np.sqrt(var / n))
        assert np.all(np.abs(z.var(axis=0) / var - 1.0) < 5 * np.sqrt(2.0 / n))

    @points(2)
    def test_gradients_reach_both_inputs(self, student):
        rng = _fresh(3)
        mu, log_var = f32(rng.normal(size=(3, 2))), f32(rng.uniform(-2.0, 1.5, (3, 2)))
        result = student.probe("sampling_gradients", mu, log_var, 3)
        assert isinstance(result, list) and len(result) == 3
        z, d_mu, d_log_var = result
        assert d_mu is not None and d_log_var is not None, "no gradient reaches z_mean or z_log_var"
        assert all(isinstance(a, np.ndarray) and a.shape == (3, 2) for a in (z, d_mu, d_log_var))
        z, d_mu, d_log_var = (finite(a, f"Sampling's {name}")
                              for a, name in ((z, "z"), (d_mu, "gradient to z_mean"), (d_log_var, "gradient to z_log_var")))
        sigma = np.exp(log_var.astype("float64") / 2)
        eps = (z - mu) / sigma                            # the noise that was drawn
        assert np.std(eps) > 0.1                          # some noise was drawn at all
        np.testing.assert_allclose(d_mu, np.ones((3, 2)), rtol=1e-5)          # dz/dmu = 1
        np.testing.assert_allclose(d_log_var, 0.5 * sigma * eps, rtol=1e-4, atol=1e-5)  # dz/dlogvar

    @points(1)
    def test_each_call_draws_new_noise(self, student):
        layer = student.Sampling(seed=int(_fresh(5).integers(0, 2**31)))
        zeros = f32(np.zeros((5, 2)))
        expect_differs(layer([zeros, zeros]), layer([zeros, zeros]), "Sampling's z",
                       "each call of the layer should draw new noise (the layer's SeedGenerator, not a fixed seed)")

    @points(1)
    def test_seeded_layers_are_reproducible(self, student):
        zeros = f32(np.zeros((5, 2)))
        seed, other_seed = (int(s) for s in _fresh(6).choice(2**31, size=2, replace=False))
        first = finite(student.Sampling(seed=seed)([zeros, zeros]), "Sampling's z")
        again = finite(student.Sampling(seed=seed)([zeros, zeros]), "Sampling's z")
        np.testing.assert_array_equal(first, again, err_msg=f"two layers made with seed={seed} drew other noise")
        expect_differs(first, student.Sampling(seed=other_seed)([zeros, zeros]), "Sampling's z",
                       f"seeds {seed} and {other_seed} should draw other noise (pass seed to SeedGenerator)")

    @points(1)
    def test_any_batch_size_inside_a_model(self, student):
        # A variance of e^-30 leaves z = z_mean: the model must compute, not only have the right shape.
        rng = _fresh(4)
        batches = [[f32(rng.normal(size=(b, 2))), f32(np.full((b, 2), -30.0))] for b in (1, 13)]
        outputs = student.probe("sampling_in_a_model", batches, int(rng.integers(0, 2**31)))
        assert isinstance(outputs, list) and len(outputs) == 2
        for (mean, _), z in zip(batches, outputs):
            z = finite(z, "Sampling's z inside a model")
            assert z.shape == mean.shape
            np.testing.assert_allclose(z, mean, atol=1e-4)


# ----------------------------------------------------------------------------- KL

class TestKlDivergence:
    exercise = "kl_divergence"

    @points(1)
    def test_zero_for_the_standard_normal(self, student):
        # Rows of N(0, I) among rows that are not, in one batch drawn now: 0 exactly where the
        # distribution is the prior, the closed form elsewhere (a KL of zeros everywhere fails).
        rng = _fresh(8)
        # At least 2 dimensions: with one, a mean over them is their sum and that slip would pass.
        batch, dim = int(rng.integers(4, 12)), int(rng.integers(2, 6))
        prior = rng.permutation(batch) < batch // 2
        z_mean, z_log_var = rng.normal(size=(batch, dim)), rng.uniform(-2.0, 1.5, (batch, dim))
        z_mean[prior], z_log_var[prior] = 0.0, 0.0
        kl = finite(student.kl_divergence(f32(z_mean), f32(z_log_var)), "kl_divergence")
        assert kl.shape == (batch,), f"shape {kl.shape} for {batch} samples"
        np.testing.assert_allclose(kl[prior], 0.0, atol=1e-6, err_msg="the KL of N(0, I) to itself should be 0")
        np.testing.assert_allclose(kl, _kl(f32(z_mean), f32(z_log_var)), rtol=1e-4, atol=1e-6)

    @points(2)
    def test_mean_two_costs_two_nats_per_dimension(self, student):
        # 0.5 * (1 + 4 - 1 - 0) = 2 per dimension, whatever the sign: 2 * dim nats per sample.
        rng = _fresh(9)
        # At least 2 of each: with one sample a sum over the batch passes (a scalar broadcasts),
        # with one dimension a mean over the dimensions does.
        batch, dim = int(rng.integers(2, 9)), int(rng.integers(2, 9))
        z_mean = f32(2.0 * rng.choice([-1.0, 1.0], size=(batch, dim)))
        kl = finite(student.kl_divergence(z_mean, f32(np.zeros((batch, dim)))), "kl_divergence")
        assert kl.shape == (batch,), f"shape {kl.shape} for {batch} samples: one KL per sample"
        np.testing.assert_allclose(kl, np.full(batch, 2.0 * dim), rtol=1e-5)

    @points(2)
    def test_a_log_variance_by_hand(self, student):
        # row 0: mu = (1, 0), log_var = (-1, ln 4)
        #   dim 0: 0.5 * (e^-1 + 1 - 1 + 1)     = 0.5 * 1.3678794 = 0.6839397
        #   dim 1: 0.5 * (4 + 0 - 1 - 1.3862944) = 0.5 * 1.6137056 = 0.8068528
        # row 1: mu = (0, -3), log_var = (2, 0)
        #   dim 0: 0.5 * (e^2 - 1 - 2) = 0.5 * 4.3890561 = 2.1945280;  dim 1: 0.5 * 9 = 4.5
        z_mean = f32([[1.0, 0.0], [0.0, -3.0]])
        z_log_var = f32([[-1.0, 1.3862944], [2.0, 0.0]])
        kl = finite(student.kl_divergence(z_mean, z_log_var), "kl_divergence")
        np.testing.assert_allclose(kl, [1.4907925, 6.6945280], rtol=1e-5)

    @points(2)
    def test_the_closed_form_on_fresh_inputs(self, student):
        rng = _fresh(0)
        z_mean, z_log_var = f32(rng.normal(size=(50, 8)) * 2), f32(rng.uniform(-3.0, 2.0, (50, 8)))
        kl = finite(student.kl_divergence(z_mean, z_log_var), "kl_divergence")
        assert kl.shape == (50,)
        assert np.all(kl >= 0)
        np.testing.assert_allclose(kl, _kl(z_mean.astype("float64"), z_log_var.astype("float64")), rtol=1e-4)


# ----------------------------------------------------------------------------- reconstruction

class TestReconstructionLoss:
    exercise = "reconstruction_loss"

    @points(2)
    def test_a_coin_flip_decoder_costs_784_ln2(self, student):
        x = f32(np.random.default_rng(0).random((3, 28, 28)) > 0.5)
        loss = finite(student.reconstruction_loss(x, f32(np.full((3, 28, 28), 0.5))), "reconstruction_loss")
        assert loss.shape == (3,)
        np.testing.assert_allclose(loss, [543.4273] * 3, rtol=1e-5)  # 784 * ln 2

    @points(1)
    def test_a_perfect_prediction_costs_nothing(self, student):
        x = f32(np.random.default_rng(1).random((2, 28, 28)) > 0.5)
        loss = finite(student.reconstruction_loss(x, x), "reconstruction_loss")
        assert np.all(np.isfinite(loss)) and np.all(np.abs(loss) < 1e-3)

    @points(2)
    def test_grey_targets_by_hand(self, student):
        # x = 0.3, p = 0.9: -(0.3 ln 0.9 + 0.7 ln 0.1) = 0.0316082 + 1.6118096 = 1.6434177 per pixel,
        # times 784 = 1288.4395.  x = 0.25, p = 0.5: 784 ln 2 = 543.4273 whatever x.
        x = f32(np.stack([np.full((28, 28), 0.3), np.full((28, 28), 0.25)]))
        p = f32(np.stack([np.full((28, 28), 0.9), np.full((28, 28), 0.5)]))
        loss = finite(student.reconstruction_loss(x, p), "reconstruction_loss")
        np.testing.assert_allclose(loss, [1288.4395, 543.4273], rtol=1e-4)

    @points(1)
    def test_each_image_gets_its_own_value(self, student):
        x = f32(_fresh(2).random((2, 28, 28)) > 0.5)
        p = np.stack([np.full((28, 28), 0.5), x[1]])
        loss = finite(student.reconstruction_loss(x, f32(p)), "reconstruction_loss")
        assert loss.shape == (2,)
        assert abs(loss[0] - 543.4273) < 0.01 and abs(loss[1]) < 1e-3

    @points(2)
    def test_the_closed_form_on_fresh_images(self, student):
        rng = _fresh(3)
        x, p = f32(rng.random((5, 28, 28))), f32(rng.uniform(0.02, 0.98, (5, 28, 28)))
        loss = finite(student.reconstruction_loss(x, p), "reconstruction_loss")
        assert loss.shape == (5,)
        np.testing.assert_allclose(loss, _bce(x.astype("float64"), p.astype("float64")), rtol=1e-4)


# ----------------------------------------------------------------------------- encoder

def _z_statistics(z_mean, z_log_var, z):
    """The noise the encoder drew, eps = (z - z_mean) / sigma: its mean and standard deviation."""
    eps = (np.asarray(z, "float64") - z_mean) / np.exp(np.asarray(z_log_var, "float64") / 2)
    return float(eps.mean()), float(eps.std())


def _latent_dim(seed):
    """A latent size drawn at grading time (not the book's 2)."""
    return int(_fresh(seed).integers(3, 40))


class TestBuildEncoder:
    exercise = "build_encoder"

    @points(1)
    def test_inputs_and_outputs(self, student):
        encoder = student.build_encoder(latent_dim=2)
        assert tuple(encoder.input_shape) == (None, 28, 28)
        outputs = inference(encoder, f32(np.zeros((3, 28, 28))))
        assert len(outputs) == 3
        assert [np.shape(o) for o in outputs] == [(3, 2)] * 3
        latent_dim = _latent_dim(10)
        outputs = inference(student.build_encoder(latent_dim=latent_dim), f32(np.zeros((3, 28, 28))))
        assert [np.shape(finite(o, f"encoder's output {k}")) for k, o in enumerate(outputs)] == [(3, latent_dim)] * 3, \
            f"latent_dim={latent_dim}"

    @points(2)
    def test_weights_784_512_2(self, student):
        # 784*512 + 512 (hidden) + 2 * (512*2 + 2) (two heads) = 401,920 + 2,052
        assert student.build_encoder(latent_dim=2).count_params() == 403_972
        # latent d: 401,920 + 2 * (512 d + d) = 401,920 + 1,026 d
        latent_dim = _latent_dim(11)
        assert student.build_encoder(latent_dim=latent_dim).count_params() == 401_920 + 1_026 * latent_dim, \
            f"latent_dim={latent_dim}"

    @points(1)
    def test_heads_are_linear(self, student, reference):
        # The student's layers, rebuilt here from their config: isinstance and activations are the judge's.
        encoder = local_model(student.build_encoder(latent_dim=2), reference.values, what="encoder")
        dense = [layer for layer in encoder.layers if isinstance(layer, keras.layers.Dense)]
        heads = [layer for layer in dense if layer.units == 2]
        assert len(heads) == 2
        assert all(layer.activation in (None, keras.activations.linear) for layer in heads)
        hidden = [layer for layer in dense if layer.units == 512]
        assert len(hidden) == 1 and hidden[0].activation is keras.activations.relu

    @points(2)
    def test_computes_the_books_network(self, student, reference):
        # The student's weights in the book's layers: a linear hidden layer, a head fed by the
        # wrong layer or swapped heads give other z_mean / z_log_var (z is random: not compared).
        expect_reference_function(student.build_encoder(latent_dim=2), reference.build_encoder(latent_dim=2),
                                  f32(_fresh(5).random((16, 28, 28))), outputs=[0, 1], what="encoder")
        # Freshly initialised weights may leave a head's pre-activations positive on every input,
        # where an extra relu changes nothing (1 run in 30). With weights drawn here and every bias
        # at -1, both heads go negative somewhere, so an activation where the book has none shows.
        encoder = student.build_encoder(latent_dim=2)
        rng = _fresh(7)
        encoder.set_weights([f32(rng.normal(0.0, 0.05, np.shape(w)) - (1.0 if np.ndim(w) == 1 else 0.0))
                             for w in encoder.get_weights()])
        expect_reference_function(encoder, reference.build_encoder(latent_dim=2),
                                  f32(rng.random((16, 28, 28))), outputs=[0, 1], what="encoder")

    @points(1)
    def test_trains_as_it_predicts(self, student, reference):
        # fit runs the encoder in training mode: an extra Dropout or GaussianNoise (no weights of
        # its own) passes every prediction but trains another network than the book's.
        latent_dim = _latent_dim(12)
        expect_reference_function(student.build_encoder(latent_dim=latent_dim),
                                  reference.build_encoder(latent_dim=latent_dim), f32(_fresh(13).random((16, 28, 28))),
                                  outputs=[0, 1], what=f"encoder (latent_dim={latent_dim})")
        expect_same_in_training(student.build_encoder(latent_dim=latent_dim),
                                reference.build_encoder(latent_dim=latent_dim), f32(_fresh(14).random((16, 28, 28))),
                                outputs=[0, 1], what="encoder")

    @points(1)
    def test_z_is_sampled_around_z_mean(self, student):
        encoder = student.build_encoder(latent_dim=2)
        image = f32(_fresh(6).random((1, 28, 28)))
        first, second = encoder(image), encoder(image)
        np.testing.assert_allclose(finite(first[0], "z_mean"), finite(second[0], "z_mean"), rtol=1e-6)  # deterministic
        expect_differs(first[2], second[2], "encoder's z", "z should be drawn anew at each call")      # z: random
        # 4,000 draws for one image: (z - z_mean) / exp(z_log_var / 2) is N(0, 1) (Sampling fed in order).
        z_mean, z_log_var, z = (np.asarray(o, "float64") for o in
                                inference(encoder, np.repeat(image, 4000, axis=0)))
        mean, std = _z_statistics(finite(z_mean, "z_mean"), finite(z_log_var, "z_log_var"), finite(z, "z"))
        assert abs(mean) < 0.08 and abs(std - 1.0) < 0.05, f"eps has mean {mean:.3f} and std {std:.3f}"


# ----------------------------------------------------------------------------- decoder

class TestBuildDecoder:
    exercise = "build_decoder"

    @points(1)
    def test_inputs_and_outputs(self, student):
        decoder = student.build_decoder(latent_dim=2)
        assert tuple(decoder.input_shape) == (None, 2)
        assert np.shape(inference(decoder, f32(np.zeros((5, 2))))) == (5, 28, 28)
        latent_dim = _latent_dim(20)
        decoder = student.build_decoder(latent_dim=latent_dim)
        assert tuple(decoder.input_shape) == (None, latent_dim), f"latent_dim={latent_dim}"
        images = finite(inference(decoder, f32(_fresh(21).normal(size=(5, latent_dim)))), "decoder's images")
        assert images.shape == (5, 28, 28)

    @points(2)
    def test_weights_2_512_784(self, student):
        # 2*512 + 512 + 512*784 + 784 = 1,536 + 402,192
        assert student.build_decoder(latent_dim=2).count_params() == 403_728
        # latent d: 512 d + 512 + 402,192
        latent_dim = _latent_dim(22)
        assert student.build_decoder(latent_dim=latent_dim).count_params() == 512 * latent_dim + 402_704, \
            f"latent_dim={latent_dim}"

    @points(1)
    def test_outputs_are_probabilities_and_deterministic(self, student):
        decoder = student.build_decoder(latent_dim=2)
        z = f32(_fresh(0).normal(size=(20, 2)) * 50)
        first, second = (finite(inference(decoder, z), "decoder's images") for _ in range(2))
        assert first.min() >= 0.0 and first.max() <= 1.0
        np.testing.assert_array_equal(first, second)

    @points(2)
    def test_computes_the_books_network(self, student, reference):
        # The student's weights in the book's layers: a hidden Dense without its ReLU, or a
        # sigmoid in the wrong place, computes other images.
        z = f32(_fresh(1).normal(size=(32, 2)) * 3)
        expect_reference_function(student.build_decoder(latent_dim=2), reference.build_decoder(latent_dim=2), z,
                                  what="decoder")

    @points(1)
    def test_trains_as_it_predicts(self, student, reference):
        # fit runs the decoder in training mode: a Dropout before the output layer passes every
        # prediction but trains another network than the book's.
        latent_dim = _latent_dim(23)
        z = f32(_fresh(24).normal(size=(32, latent_dim)) * 2)
        expect_the_books_network_in_both_modes(lambda: student.build_decoder(latent_dim=latent_dim),
                                               lambda: reference.build_decoder(latent_dim=latent_dim), z,
                                               what=f"decoder (latent_dim={latent_dim})")


# ----------------------------------------------------------------------------- VAE

class TestVae(steps.StepTests):
    """Also inherits the five training-step tests (step_equivalence.StepTests)."""

    exercise = "vae"
    steps_probe = "vae_training_steps"
    builders = ("build_encoder", "build_decoder")
    labelled = False
    pictures = PICTURES

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
        image = f32(_fresh(0).random((1, 28, 28)))
        first, second = as_numpy(vae(image)[2]), as_numpy(vae(image)[2])
        assert not np.allclose(first, second)  # two draws of z, two different images

    @points(2)
    def test_call_passes_the_encoders_outputs_on(self, student):
        # call(x)[0] and [1] are the encoder's z_mean and z_log_var (not the sampled z); then, with
        # the variance forced to e^-40, z = z_mean and the image must be the decoder's image of it.
        encoder, decoder = student.build_encoder(latent_dim=2), student.build_decoder(latent_dim=2)
        vae = student.VAE(encoder, decoder)
        x = f32(_fresh(1).random((6, 28, 28)))
        z_mean, z_log_var, _ = inference(encoder, x)
        out = [as_numpy(o) for o in vae(x)]
        assert len(out) == 3
        np.testing.assert_allclose(out[0], z_mean, atol=1e-5, err_msg="call(x)[0] is not the encoder's z_mean")
        np.testing.assert_allclose(out[1], z_log_var, atol=1e-5, err_msg="call(x)[1] is not the encoder's z_log_var")
        kernel, bias = encoder.get_layer("z_log_var").get_weights()
        encoder.get_layer("z_log_var").set_weights([np.zeros_like(kernel), np.full_like(bias, -40.0)])
        z_mean = inference(encoder, x)[0]
        np.testing.assert_allclose(as_numpy(vae(x)[2]), inference(decoder, f32(z_mean)), atol=1e-4,
                                   err_msg="call(x)[2] is not the decoder's image of the encoder's z")

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

    @points(2)
    def test_compute_loss_on_fresh_values(self, student):
        rng = _fresh(2)
        x = f32(rng.random((4, 28, 28)))
        z_mean, z_log_var = f32(rng.normal(size=(4, 2))), f32(rng.uniform(-2.0, 1.0, (4, 2)))
        p = f32(rng.uniform(0.05, 0.95, (4, 28, 28)))
        kl = _kl(z_mean.astype("float64"), z_log_var.astype("float64"))
        bce = _bce(x.astype("float64"), p.astype("float64"))
        vae = self._vae(student)
        loss = vae.compute_loss(x=x, y=None, y_pred=(z_mean, z_log_var, p), sample_weight=None, training=False)
        np.testing.assert_allclose(float(as_numpy(loss)), np.mean(kl + bce), rtol=1e-4)
        np.testing.assert_allclose(float(as_numpy(vae.kl_loss_tracker.result())), np.mean(kl), rtol=1e-4)
        np.testing.assert_allclose(float(as_numpy(vae.reconstruction_loss_tracker.result())), np.mean(bce), rtol=1e-4)

    @points(1)
    def test_evaluate_reports_the_loss_and_its_parts(self, student):
        vae = self._vae(student)
        vae.compile(optimizer="adam", run_eagerly=True)
        x = f32(_fresh(3).random((40, 28, 28)) > 0.8)
        result = vae.evaluate(x, batch_size=20, verbose=0, return_dict=True)
        assert isinstance(result, dict) and {"loss", "kl_loss", "reconstruction_loss"} <= set(result)
        assert abs(result["loss"] - result["kl_loss"] - result["reconstruction_loss"]) < 0.5
        assert result["reconstruction_loss"] > 100  # an untrained decoder: hundreds of nats per image


# ----------------------------------------------------------------------------- active dimensions
# Batches drawn here, the two kinds clearly apart: a used dimension's mean has a standard
# deviation of 0.3 to 2.5 over the images and its sigma is at most e^-0.6 = 0.55; a collapsed
# dimension's mean is one number (anywhere in [-3, 3]) give or take a standard deviation of at
# most 0.01, and its log variance is 0 within 0.02. Any criterion with its threshold in that gap
# (the spread of the means, the mean sigma, the nats a dimension can carry) passes; one that a
# constant mean fools (the mean of |z_mean|, the KL per dimension) does not.

def _wobble(rng, m, std):
    """m numbers of mean 0 and sample standard deviation exactly ``std`` (ddof=1), whatever m >= 2."""
    values = rng.normal(size=m)
    values -= values.mean()
    return values * (std / max(values.std(ddof=1), 1e-12))


def _latent_batch(rng, m, used, away_from_zero=False):
    """The encoder's (z_mean, z_log_var), float32 (m, d), for dimensions used (True) or collapsed (False).

    Each dimension's means sit around a centre in [-3, 3]; ``away_from_zero``: in +-[0.5, 3].
    """
    d = len(used)
    if away_from_zero:
        centres = rng.choice([-1.0, 1.0], d) * rng.uniform(0.5, 3.0, d)
    else:
        centres = rng.uniform(-3.0, 3.0, d)
    z_mean, z_log_var = np.empty((m, d)), np.empty((m, d))
    for j in range(d):
        if used[j]:
            z_mean[:, j] = centres[j] + _wobble(rng, m, rng.uniform(0.3, 2.5))
            z_log_var[:, j] = rng.uniform(-6.0, -1.5) + rng.uniform(-0.3, 0.3, m)
        else:
            z_mean[:, j] = centres[j] + _wobble(rng, m, rng.uniform(0.0, 0.01))
            z_log_var[:, j] = rng.uniform(-0.02, 0.02, m)
    return f32(z_mean), f32(z_log_var)


def _some_used(rng, d):
    """d booleans with at least one True and one False (d >= 2)."""
    used = rng.random(d) < 0.5
    used[rng.choice(d, size=2, replace=False)] = [True, False]
    return used


def _mixed_batch(rng, images, dimensions, away_from_zero=False):
    """(used, z_mean, z_log_var): a batch of both kinds, its sizes drawn from the ranges ``images``, ``dimensions``."""
    m, d = int(rng.integers(*images)), int(rng.integers(*dimensions))
    used = _some_used(rng, d)
    return (used, *_latent_batch(rng, m, used, away_from_zero))


MOVES_WITH_THE_IMAGE = "a dimension is in use when its mean moves with the image"


def _mask(student, z_mean, z_log_var, what="active_dimensions(z_mean, z_log_var)"):
    """The student's mask as booleans, after checking it is d finite 0/1 values."""
    d = z_mean.shape[1]
    got = finite(student.active_dimensions(z_mean, z_log_var), what)
    assert got.shape == (d,), (f"expected one True/False per latent dimension, shape ({d},) for inputs of shape "
                               f"{z_mean.shape}, got shape {got.shape}: judge the dimensions (the columns), not the images")
    assert np.isin(got, (0.0, 1.0)).all(), f"expected booleans (or 0 and 1), got {got.tolist()[:8]}"
    return got.astype(bool)


def _expect_mask(got, used, z_mean, hint):
    wrong = np.flatnonzero(got != used)
    if wrong.size:
        j = int(wrong[0])
        kind = "in use" if used[j] else "collapsed"
        raise AssertionError(
            f"{wrong.size} of {len(used)} dimensions marked wrongly, e.g. dimension {j}: it is {kind} (its mean goes "
            f"from {z_mean[:, j].min():.3f} to {z_mean[:, j].max():.3f} over the {len(z_mean)} images), expected "
            f"{bool(used[j])}, got {bool(got[j])}; {hint}")


class TestActiveDimensions:
    exercise = "active_dimensions"

    @points(2)
    def test_finds_the_dimensions_in_use(self, student):
        rng = _fresh(30)
        for _ in range(4):
            used, z_mean, z_log_var = _mixed_batch(rng, (2, 400), (2, 24))
            _expect_mask(_mask(student, z_mean, z_log_var), used, z_mean,
                         MOVES_WITH_THE_IMAGE + "; sigma near 1 is the prior's width")

    @points(2)
    def test_a_collapsed_dimension_away_from_zero(self, student):
        # Collapsed means at +-0.5 to +-3: the same number for every image, so nothing about the image,
        # though their KL is far from 0 and their means far from 0.
        rng = _fresh(31)
        for _ in range(3):
            used, z_mean, z_log_var = _mixed_batch(rng, (5, 300), (2, 16), away_from_zero=True)
            _expect_mask(_mask(student, z_mean, z_log_var), used, z_mean,
                         "a mean that is the same for every image tells the decoder nothing, wherever it sits")

    @points(1)
    def test_the_order_of_the_images_does_not_matter(self, student):
        rng = _fresh(32)
        used, z_mean, z_log_var = _mixed_batch(rng, (4, 200), (2, 12))
        rows = rng.permutation(len(z_mean))
        first = _mask(student, z_mean, z_log_var)
        shuffled = _mask(student, z_mean[rows], z_log_var[rows])
        assert np.array_equal(first, shuffled), (f"expected the same mask for the same images in another order, got "
                                                 f"{first.astype(int).tolist()} and then {shuffled.astype(int).tolist()}: "
                                                 f"use every image alike, not the first or the last")
        _expect_mask(shuffled, used, z_mean[rows], MOVES_WITH_THE_IMAGE)

    @points(1)
    def test_permuted_dimensions_permute_the_mask(self, student):
        rng = _fresh(33)
        used, z_mean, z_log_var = _mixed_batch(rng, (4, 200), (3, 12))
        columns = rng.permutation(len(used))
        first = _mask(student, z_mean, z_log_var)
        permuted = _mask(student, z_mean[:, columns], z_log_var[:, columns])
        assert np.array_equal(permuted, first[columns]), (
            f"expected the mask permuted as the dimensions were, {first[columns].astype(int).tolist()}, got "
            f"{permuted.astype(int).tolist()}: judge each dimension by its own column alone")
        _expect_mask(first, used, z_mean, MOVES_WITH_THE_IMAGE)

    @points(2)
    def test_all_in_use_or_none_any_size(self, student):
        # Two images, or one dimension, or every dimension of one kind: a threshold relative to the
        # other dimensions (the largest spread, the average) fails when no dimension is in use.
        rng = _fresh(34)
        sizes = [(2, int(rng.integers(2, 10)), True), (int(rng.integers(3, 100)), int(rng.integers(2, 10)), False),
                 (2, 1, False), (int(rng.integers(3, 100)), 1, True), (int(rng.integers(3, 100)), 1, False)]
        for m, d, kind in sizes:
            used = np.full(d, kind)
            z_mean, z_log_var = _latent_batch(rng, m, used)
            _expect_mask(_mask(student, z_mean, z_log_var), used, z_mean,
                         f"with {m} images and {d} dimension(s), all {'in use' if kind else 'collapsed'}: compare "
                         f"each dimension with a fixed threshold, and make it work for two images")

    @points(1)
    def test_leaves_its_inputs_as_they_were(self, student):
        used, z_mean, z_log_var = _mixed_batch(_fresh(35), (4, 100), (2, 10))
        answer, mean_after, log_var_after = student.probe("active_dimensions_and_its_inputs_after", z_mean, z_log_var)
        mask = finite(answer, "active_dimensions(z_mean, z_log_var)")
        assert mask.shape == used.shape, f"expected shape {used.shape}, got shape {mask.shape}"
        for name, before, after in (("z_mean", z_mean, mean_after), ("z_log_var", z_log_var, log_var_after)):
            assert np.array_equal(as_array(after, name), before), (
                f"active_dimensions changed the {name} it was given: work on a copy (-=, *= or a slice assignment "
                f"write into the caller's array)")

"""Public checks of lesson 04_vae: quick, on small fixed inputs, one hint each."""

from __future__ import annotations

import math

import numpy as np

from public_tests.framework import expect, public_check
from public_tests.model_modes import same_while_training

LN2 = math.log(2.0)


def _numpy(value):
    import keras

    return np.asarray(keras.ops.convert_to_numpy(value))


def _float32(array):
    return np.asarray(array, dtype="float32")


# ----------------------------------------------------------------------------- sampling

@public_check("sampling")
def sampling_keeps_the_shape(ns):
    """Sampling returns one z per row, of the latent size"""
    layer = ns.Sampling(seed=0)
    z = _numpy(layer([_float32(np.zeros((5, 3))), _float32(np.zeros((5, 3)))]))
    expect(z.shape == (5, 3), "z has the wrong shape", expected=(5, 3), got=z.shape,
           hint="eps needs one number per entry of z_mean, whatever the batch size: take its shape from z_mean "
                "when the layer is called.")


@public_check("sampling")
def sampling_with_tiny_variance_returns_the_mean(ns):
    """With log variance -30 (sigma ~ 3e-7), z is the mean"""
    mean = _float32([[1.0, -2.0], [0.5, 3.0]])
    z = _numpy(ns.Sampling(seed=0)([mean, _float32(np.full((2, 2), -30.0))]))
    expect(np.allclose(z, mean, atol=1e-4), "z should be (almost) z_mean when the variance is tiny",
           expected=mean.tolist(), got=z.round(4).tolist(),
           hint="with a tiny variance the noise vanishes and z is the mean: is sigma computed from the log "
                "variance as section 2 says (a log variance can be negative), and is the mean added?")


@public_check("sampling")
def sampling_has_the_right_spread(ns):
    """Over 20,000 draws, z has the requested mean and standard deviation"""
    n = 20_000
    mean = _float32(np.tile([[0.0, 2.0]], (n, 1)))
    log_var = _float32(np.tile(np.log([[1.0, 4.0]]), (n, 1)))  # sigma = 1 and 2
    z = _numpy(ns.Sampling(seed=1)([mean, log_var]))
    got_mean, got_std = z.mean(axis=0), z.std(axis=0)
    expect(np.allclose(got_mean, [0.0, 2.0], atol=0.06), "the draws are not centred on z_mean",
           expected=[0.0, 2.0], got=got_mean.round(3).tolist(),
           hint="z is centred on z_mean only if eps has mean 0: is eps drawn from a *standard* normal?")
    expect(np.allclose(got_std, [1.0, 2.0], rtol=0.05),
           "the draws have the wrong standard deviation (variances 1 and 4 were asked for)",
           expected=[1.0, 2.0], got=got_std.round(3).tolist(),
           hint="the noise is scaled by the standard deviation, not the variance: mind the 1/2 of section 2.")


@public_check("sampling")
def sampling_draws_fresh_noise(ns):
    """Two calls of the same layer give different z"""
    layer = ns.Sampling(seed=0)
    zeros = _float32(np.zeros((4, 2)))
    first, second = _numpy(layer([zeros, zeros])), _numpy(layer([zeros, zeros]))
    expect(np.all(np.isfinite(first)) and np.all(np.isfinite(second)), "z contains NaN or infinity",
           got=first.tolist(), hint="the reparameterisation of section 2 gives finite numbers for finite inputs: look for a stray "
                    "log, sqrt or division.")
    expect(not np.allclose(first, second), "two calls returned the same numbers",
           hint="the layer's own seed generator advances at every call; a fixed integer seed replays the same noise.")


@public_check("sampling")
def sampling_follows_its_seed(ns):
    """Two layers made with seed=3 draw the same noise; a layer made with seed=4 draws other noise"""
    zeros = _float32(np.zeros((4, 2)))
    first, again, other = (_numpy(ns.Sampling(seed=seed)([zeros, zeros])) for seed in (3, 3, 4))
    expect(np.all(np.isfinite(first)) and np.array_equal(first, again), "two layers made with the same seed drew "
           "different noise", hint="the layer's seed generator must be made from the `seed` the layer was given.")
    expect(not np.allclose(first, other), "layers made with seeds 3 and 4 drew the same noise",
           hint="the `seed` argument must reach the generator the noise is drawn with.")


# ----------------------------------------------------------------------------- KL

@public_check("kl_divergence")
def kl_is_zero_for_the_standard_normal(ns):
    """KL(N(0, 1) || N(0, 1)) = 0, one value per sample"""
    kl = _numpy(ns.kl_divergence(_float32(np.zeros((3, 2))), _float32(np.zeros((3, 2)))))
    expect(kl.shape == (3,), "return one number per sample", expected=(3,), got=kl.shape,
           hint="one KL per sample: add up over the latent dimensions only, not over the batch.")
    expect(np.allclose(kl, 0.0, atol=1e-6), "the KL of N(0, I) to itself should be 0",
           expected=[0.0, 0.0, 0.0], got=kl.tolist(), hint="check the '- 1' inside the sum.")


@public_check("kl_divergence")
def kl_of_a_shifted_mean(ns):
    """A mean of 1 in each of 2 dimensions costs 1/2 + 1/2 = 1 nat"""
    kl = _numpy(ns.kl_divergence(_float32([[1.0, 1.0]]), _float32([[0.0, 0.0]])))
    expect(np.allclose(kl, [1.0], atol=1e-5), "wrong KL for z_mean = (1, 1), z_log_var = (0, 0)",
           expected=[1.0], got=kl.tolist(),
           hint="with sigma = 1 each dimension adds half of mu squared; add up (do not average) over the dimensions, "
                "and mind the sign.")


# ----------------------------------------------------------------------------- reconstruction

@public_check("reconstruction_loss")
def reconstruction_of_a_coin_flip_decoder(ns):
    """Predicting 0.5 everywhere costs 784 ln 2 = 543.43 nats per image"""
    x = _float32(np.random.default_rng(0).random((2, 28, 28)) > 0.5)
    loss = _numpy(ns.reconstruction_loss(x, _float32(np.full((2, 28, 28), 0.5))))
    expect(loss.shape == (2,), "return one number per image", expected=(2,), got=loss.shape,
           hint="one number per image: add up over the pixels of each image, not over the batch.")
    expect(np.allclose(loss, 784 * LN2, rtol=1e-4), "wrong loss for a decoder that says 0.5 everywhere",
           expected=round(784 * LN2, 2), got=loss.round(2).tolist(),
           hint="sum (not mean) the per-pixel binary cross-entropy over the 784 pixels, natural log.")


@public_check("reconstruction_loss")
def reconstruction_of_a_perfect_prediction(ns):
    """A perfect 0/1 prediction costs (almost) nothing"""
    x = _float32(np.random.default_rng(1).random((2, 28, 28)) > 0.5)
    loss = _numpy(ns.reconstruction_loss(x, x))
    expect(np.all(np.isfinite(loss)) and np.all(loss < 0.01),
           "a perfect prediction should cost about 0 nats (and never inf or nan)", expected="< 0.01",
           got=loss.tolist(), hint="log(0) is infinite: the probabilities must be kept a hair away from 0 and 1 (the docstring says "
                    "what does it for you).")


# ----------------------------------------------------------------------------- encoder / decoder

def _param_count_encoder(latent_dim):
    return 784 * 512 + 512 + 2 * (512 * latent_dim + latent_dim)


@public_check("build_encoder")
def encoder_shapes(ns):
    """The encoder maps (batch, 28, 28) to three (batch, 2) outputs"""
    encoder = ns.build_encoder(latent_dim=2)
    outputs = encoder(_float32(np.zeros((3, 28, 28))))
    expect(isinstance(outputs, (list, tuple)) and len(outputs) == 3,
           "the encoder should return [z_mean, z_log_var, z]", got=type(outputs).__name__,
           hint="the encoder is a model from the image to a list of three outputs, in the docstring's order.")
    shapes = [tuple(_numpy(o).shape) for o in outputs]
    expect(shapes == [(3, 2)] * 3, "wrong output shapes", expected=[(3, 2)] * 3, got=shapes,
           hint="each head has latent_dim units; the input is an image of shape (28, 28), flattened first.")


@public_check("build_encoder")
def encoder_is_the_books(ns):
    """784-512-2: exactly 403,972 weights for latent_dim=2"""
    count = ns.build_encoder(latent_dim=2).count_params()
    expect(count == _param_count_encoder(2), "the encoder has the wrong number of weights",
           expected=_param_count_encoder(2), got=count,
           hint="compare with the diagram of section 4: one hidden layer, two heads, then the Sampling layer, "
                "which has no weights.")


@public_check("build_encoder")
def encoder_follows_latent_dim(ns):
    """build_encoder(latent_dim=5): three (batch, 5) outputs and 407,050 weights"""
    encoder = ns.build_encoder(latent_dim=5)
    shapes = [tuple(_numpy(o).shape) for o in encoder(_float32(np.zeros((3, 28, 28))))]
    expect(shapes == [(3, 5)] * 3, "the outputs do not follow latent_dim", expected=[(3, 5)] * 3, got=shapes,
           hint="each head has latent_dim units: use the argument, not LATENT_DIM.")
    expect(encoder.count_params() == _param_count_encoder(5), "wrong number of weights for latent_dim=5",
           expected=_param_count_encoder(5), got=encoder.count_params())


@public_check("build_encoder")
def encoder_is_the_same_while_training(ns):
    """z_mean and z_log_var are the same in training mode (as fit runs the encoder)"""
    images = _float32(np.random.default_rng(4).random((4, 28, 28)))
    same_while_training(ns.build_encoder(latent_dim=2), images, "encoder", outputs=(0, 1))


@public_check("build_decoder")
def decoder_follows_latent_dim(ns):
    """build_decoder(latent_dim=5) takes (batch, 5) points: 405,264 weights"""
    decoder = ns.build_decoder(latent_dim=5)
    expect(tuple(decoder.input_shape) == (None, 5), "the input does not follow latent_dim", expected=(None, 5),
           got=decoder.input_shape, hint="the decoder's input size comes from the latent_dim argument, not LATENT_DIM.")
    expect(decoder.count_params() == 5 * 512 + 402_704, "wrong number of weights for latent_dim=5",
           expected=5 * 512 + 402_704, got=decoder.count_params())


@public_check("build_decoder")
def decoder_is_the_same_while_training(ns):
    """the decoder draws the same images in training mode (as fit runs it)"""
    z = _float32(np.random.default_rng(5).normal(size=(4, 2)))
    same_while_training(ns.build_decoder(latent_dim=2), z, "decoder")


@public_check("build_decoder")
def decoder_shapes_and_range(ns):
    """The decoder maps (batch, 2) to (batch, 28, 28) probabilities"""
    decoder = ns.build_decoder(latent_dim=2)
    images = _numpy(decoder(_float32(np.random.default_rng(0).normal(size=(4, 2)) * 3)))
    expect(images.shape == (4, 28, 28), "wrong output shape", expected=(4, 28, 28), got=images.shape,
           hint="the last Dense layer gives 784 numbers per image: turn them back into a 28 x 28 image.")
    expect(images.min() >= 0.0 and images.max() <= 1.0, "outputs must be probabilities in [0, 1]",
           got=(float(images.min()), float(images.max())), hint="the pixels must be probabilities: the last Dense layer needs an activation that squeezes any "
                    "number into (0, 1).")


def _hidden_activations(model):
    """The activation names of a model's Dense layers, all but the last (the output)."""
    dense = [layer for layer in model.layers if type(layer).__name__ == "Dense"]
    return [getattr(layer.activation, "__name__", None) for layer in dense[:-1]]


@public_check("build_decoder")
def decoder_hidden_layer_is_relu(ns):
    """the decoder's hidden Dense layer has a ReLU"""
    got = _hidden_activations(ns.build_decoder(latent_dim=2))
    expect(got == ["relu"], "the decoder's hidden layer is not a ReLU", expected=["relu"], got=got,
           hint="the hidden layer needs its non-linearity: without it the decoder is linear up to its sigmoid.")


@public_check("build_decoder")
def decoder_is_the_books(ns):
    """2-512-784: exactly 403,728 weights for latent_dim=2"""
    count = ns.build_decoder(latent_dim=2).count_params()
    expected = 2 * 512 + 512 + 512 * 784 + 784
    expect(count == expected, "the decoder has the wrong number of weights", expected=expected, got=count,
           hint="compare with section 4: the decoder mirrors the encoder, one hidden layer, then the pixels.")


# ----------------------------------------------------------------------------- VAE

def _small_vae(ns):
    import keras

    vae = ns.VAE(ns.build_encoder(latent_dim=2), ns.build_decoder(latent_dim=2))
    # Eager: a handful of tiny batches runs faster than tracing a graph first.
    vae.compile(optimizer=keras.optimizers.Adam(1e-3), run_eagerly=True)
    return vae


@public_check("vae")
def vae_forward_pass(ns):
    """call returns (z_mean, z_log_var, reconstruction)"""
    vae = _small_vae(ns)
    out = vae(_float32(np.zeros((3, 28, 28))))
    expect(isinstance(out, (list, tuple)) and len(out) == 3, "call should return three things",
           got=type(out).__name__, hint="call returns a tuple of three: the encoder's mean and log variance, then the decoded image.")
    shapes = [tuple(_numpy(o).shape) for o in out]
    expect(shapes == [(3, 2), (3, 2), (3, 28, 28)], "wrong shapes out of call",
           expected=[(3, 2), (3, 2), (3, 28, 28)], got=shapes,
           hint="decode the sampled z (the third output of the encoder).")


@public_check("vae")
def vae_loss_at_the_start(ns):
    """An untrained VAE scores about 784 ln 2 = 543 nats, reported as loss, kl_loss, reconstruction_loss"""
    vae = _small_vae(ns)
    x = _float32(np.random.default_rng(0).random((100, 28, 28)) > 0.8)
    result = vae.evaluate(x, batch_size=50, verbose=0, return_dict=True)
    names = {"loss", "kl_loss", "reconstruction_loss"}
    expect(names <= set(result), "evaluate should report the loss and its two parts",
           expected=sorted(names), got=sorted(result),
           hint="the two trackers made in __init__ must be fed in compute_loss, or fit reports nothing for them.")
    total = result["loss"]
    expect(500 < total < 600, "the loss of an untrained VAE should be near 543 nats",
           expected="about 543", got=round(total, 2),
           hint="return the batch mean of kl_divergence + reconstruction_loss (each summed per image).")
    parts = result["kl_loss"] + result["reconstruction_loss"]
    expect(abs(total - parts) < 0.5, "loss should equal kl_loss + reconstruction_loss",
           expected=round(parts, 2), got=round(total, 2),
           hint="feed the trackers the same per-image values you add up for the loss.")


@public_check("vae")
def vae_learns(ns):
    """Ten training steps on 500 random sparse images lower the loss"""
    vae = _small_vae(ns)
    x = _float32(np.random.default_rng(0).random((500, 28, 28)) > 0.85)
    before = vae.evaluate(x, batch_size=500, verbose=0, return_dict=True)["loss"]
    vae.fit(x, epochs=2, batch_size=100, verbose=0)
    after = vae.evaluate(x, batch_size=500, verbose=0, return_dict=True)["loss"]
    expect(after < before - 20, "the loss did not go down while training",
           expected=f"below {before - 20:.1f}", got=round(after, 2),
           hint="compute_loss must return a scalar tensor computed from y_pred, so gradients reach the weights.")


@public_check("vae")
def vae_loss_by_hand(ns):
    """compute_loss on a hand-made y_pred: KL 1 + 784 ln 2 per image"""
    vae = ns.VAE(ns.build_encoder(latent_dim=2), ns.build_decoder(latent_dim=2))
    x = _float32(np.random.default_rng(0).random((3, 28, 28)) > 0.5)
    # z_mean = (1, 1), z_log_var = 0: KL = 1 nat; p = 0.5 everywhere: 784 ln 2.
    y_pred = (_float32(np.ones((3, 2))), _float32(np.zeros((3, 2))), _float32(np.full((3, 28, 28), 0.5)))
    loss = float(_numpy(vae.compute_loss(x=x, y=None, y_pred=y_pred, sample_weight=None, training=False)))
    expected = 1.0 + 784 * LN2
    expect(abs(loss - expected) < 0.01, "wrong loss for a hand-made prediction", expected=round(expected, 2),
           got=round(loss, 2), hint="the loss is the batch MEAN of kl_divergence + reconstruction_loss: both terms, averaged.")


@public_check("vae")
def vae_decodes_a_sample(ns):
    """call decodes the sampled z, so two calls give two different images"""
    vae = ns.VAE(ns.build_encoder(latent_dim=2), ns.build_decoder(latent_dim=2))
    image = _float32(np.random.default_rng(0).random((1, 28, 28)))
    first, second = _numpy(vae(image)[2]), _numpy(vae(image)[2])
    expect(not np.allclose(first, second), "call returned the same image twice",
           hint="decode z (the encoder's third output), not z_mean: the decoder must learn to cope with the noise.")


@public_check("build_encoder")
def encoder_heads_are_linear(ns):
    """z_mean and z_log_var are linear heads (any real number)"""
    import keras

    encoder = ns.build_encoder(latent_dim=2)
    heads = {layer.name: layer.activation.__name__ for layer in encoder.layers
             if isinstance(layer, keras.layers.Dense) and layer.units == 2}
    expect(len(heads) == 2 and set(heads.values()) == {"linear"}, "the two heads should have no activation",
           expected="two heads of latent_dim units each, with no activation (linear)", got=heads,
           hint="a log variance can be negative and a mean can be anything: leave out activation=.")


@public_check("vae")
def vae_call_passes_the_encoders_outputs_on(ns):
    """call(x)[0] and [1] are the encoder's z_mean and z_log_var for x (not the sampled z)"""
    encoder = ns.build_encoder(latent_dim=2)
    vae = ns.VAE(encoder, ns.build_decoder(latent_dim=2))
    x = _float32(np.random.default_rng(3).random((4, 28, 28)))
    z_mean, z_log_var, _ = (_numpy(v) for v in encoder(x))
    out = vae(x)
    expect(np.allclose(_numpy(out[0]), z_mean, atol=1e-5), "call's first output is not the encoder's z_mean",
           hint="call returns the encoder's own z_mean and z_log_var first, as the encoder gave them, then the "
                "image decoded from the sampled z (section 5).")
    expect(np.allclose(_numpy(out[1]), z_log_var, atol=1e-5), "call's second output is not the encoder's z_log_var")


# ----------------------------------------------------------------------------- VAE training steps
# The class's SGD steps from fixed weights and noise, beside the book's loss written out in
# public_tests/vae_steps.py (the grader runs the same steps against the reference's class).

@public_check("vae")
def vae_one_sgd_step_follows_the_books_loss(ns):
    """One SGD step from given weights and noise moves every weight as the book's loss says"""
    from public_tests.vae_steps import expect_steps_follow_the_closed_form, public_steps

    expect_steps_follow_the_closed_form(*public_steps(ns.build_encoder, ns.build_decoder, ns.VAE, labelled=False))


@public_check("vae")
def vae_is_the_same_in_training(ns):
    """fit's loss is the loss of the same forward pass with training=False"""
    from public_tests.vae_steps import expect_the_same_in_training, public_steps

    steps = public_steps(ns.build_encoder, ns.build_decoder, ns.VAE, labelled=False)
    expect_the_same_in_training(steps[3])


# ----------------------------------------------------------------------------- active dimensions
# Six images, four dimensions: 0 and 2 in use (means that differ from image to image, sigma well
# below 1); 1 collapsed at 0 and 3 collapsed at 1.5 (one mean for every image, log variance 0).

_USED_MEANS = [[-1.2, 0.4], [0.3, -0.9], [1.1, 0.2], [-0.4, 1.3], [0.8, -0.5], [-0.6, -0.7]]


def _four_dimensions():
    """(z_mean, z_log_var) of the six images above, and the mask they should give."""
    wobble = np.array([0.004, -0.003, 0.002, -0.005, 0.001, 0.003])
    used = np.array(_USED_MEANS)
    z_mean = np.stack([used[:, 0], wobble, used[:, 1], 1.5 + wobble[::-1]], axis=1)
    z_log_var = np.stack([np.full(6, -3.0), wobble, np.full(6, -2.0), -wobble], axis=1)
    return _float32(z_mean), _float32(z_log_var), np.array([True, False, True, False])


def _mask(ns, z_mean, z_log_var):
    return np.asarray(_numpy(ns.active_dimensions(z_mean, z_log_var)))


def _expect_mask(got, expected, message, hint):
    expect(got.shape == expected.shape, "return one True/False per latent dimension", expected=expected.shape,
           got=got.shape, hint="the answer is about the dimensions (the columns), one per column: which axis are "
                               "the images?")
    expect(got.dtype == bool or np.isin(got, (0, 1)).all(), "return booleans (or 0 and 1)", got=got.tolist(),
           hint="a comparison with your threshold gives booleans.")
    expect(np.array_equal(got.astype(bool), expected), message, expected=expected.tolist(),
           got=got.astype(bool).tolist(), hint=hint)


@public_check("active_dimensions")
def active_dimensions_of_four(ns):
    """Dimensions 0 and 2 vary with the image; 1 sits at 0 and 3 sits at 1.5 for every image"""
    z_mean, z_log_var, expected = _four_dimensions()
    _expect_mask(_mask(ns, z_mean, z_log_var), expected, "the wrong dimensions are marked as used",
                 hint="dimension 3 has the same mean, 1.5, for every image and sigma 1: it tells the decoder "
                      "nothing about the image, though its KL is not 0. And a dimension whose sigma is 1 is as "
                      "wide as the prior: is that a used one?")


@public_check("active_dimensions")
def active_dimensions_whatever_the_order(ns):
    """Reordering the images changes nothing; reordering the dimensions reorders the mask"""
    z_mean, z_log_var, expected = _four_dimensions()
    rows, columns = [5, 2, 0, 4, 1, 3], [3, 0, 1, 2]
    _expect_mask(_mask(ns, z_mean[rows], z_log_var[rows]), expected,
                 "the images in another order gave another mask",
                 hint="which dimensions the encoder uses does not depend on the order the images came in: "
                      "look at all of them together, not at the first or the last.")
    _expect_mask(_mask(ns, z_mean[:, columns], z_log_var[:, columns]), expected[columns],
                 "the dimensions in another order gave a mask that is not reordered the same way",
                 hint="judge each dimension (column) by its own values, and no one column by the others.")


@public_check("active_dimensions")
def active_dimensions_all_or_none(ns):
    """Two images: both dimensions in use; then one dimension, collapsed at -0.8"""
    z_mean, z_log_var = _float32([[0.9, -0.5], [-0.7, 1.1]]), _float32([[-2.5, -4.0], [-2.0, -3.5]])
    _expect_mask(_mask(ns, z_mean, z_log_var), np.array([True, True]), "two images, both dimensions in use",
                 hint="the means move by 1.6 from one image to the other, and sigma is far below 1: does your "
                      "criterion work with only two images?")
    z_mean, z_log_var = _float32([[-0.8], [-0.805], [-0.797]]), _float32([[0.003], [-0.002], [0.001]])
    _expect_mask(_mask(ns, z_mean, z_log_var), np.array([False]), "one dimension, collapsed at -0.8",
                 hint="a batch may have no dimension in use: compare each dimension with a fixed threshold, "
                      "not with the other dimensions.")


@public_check("active_dimensions")
def active_dimensions_leaves_its_inputs(ns):
    """z_mean and z_log_var are the same after the call"""
    z_mean, z_log_var, _ = _four_dimensions()
    mean_before, log_var_before = z_mean.copy(), z_log_var.copy()
    _mask(ns, z_mean, z_log_var)
    expect(np.array_equal(z_mean, mean_before) and np.array_equal(z_log_var, log_var_before),
           "active_dimensions changed the arrays it was given",
           hint="the caller still needs them: work on copies (an in-place operation such as -= or a "
                "slice assignment writes into the caller's array).")

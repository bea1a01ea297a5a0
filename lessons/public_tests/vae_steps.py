"""A few SGD steps of a VAE (or CVAE) class with the sampling noise given, and what the book's loss says they should be.

The `vae` and `cvae` exercises are judged by what their training steps do, not by a
trained model: from given weights, on given batches, with given noise, one plain SGD
step must move every weight exactly as the gradient of the book's loss says, and the
next steps likewise. Three places run this same code:

* ``check("vae")`` / ``check("cvae")`` in a lesson, against :func:`closed_form_steps`
  (the loss written out below with a GradientTape, independently of the exercises);
* the grader's contestant, on the student's class (``autograder/contestant/probes.py``);
* the grader's judge, on the reference's class, from the same weights, batches and noise.

Why the noise is given: the encoder is wrapped by :func:`noise_replayer`, which returns
``z = z_mean + exp(z_log_var / 2) * noise[step]`` and moves to the next noise at each
call, so both runs sample the same z and a step is a deterministic function of the class.
Why SGD: its update is exactly ``learning_rate * gradient``, so a loss scaled by a
constant (a mean where the book sums) moves the weights by that factor; Adam would hide it.
"""

from __future__ import annotations

import math

import numpy as np

LOGGED = ("loss", "kl_loss", "reconstruction_loss")
NUM_PIXELS = 28 * 28
CLIP = 1e-7  # ops.binary_crossentropy clips probabilities to [CLIP, 1 - CLIP]

# Tolerances, from float32 reasoning. A loss of ~550 nats is a float32 sum over batch x 784
# terms, whose rounding error grows like sqrt(n) * eps = 160 * 6e-8 ~ 1e-5 relative for a
# batch of 32: LOSS_RTOL leaves a factor 10 over it, where the smallest mistake aimed at (a KL
# term of a few nats dropped, halved or doubled) moves the loss by more than 1e-3. An update:
# two runs of the same loss compute its gradient up to the order of their sums (threads; the
# closed form below), ~1e-5 relative, and each new weight is rounded to float32 (half an ulp,
# eps * |w| / 2): STEP_RTOL of the update's norm plus STEP_ULPS roundings of the weights' norm
# cover both with a wide margin, where a wrong loss moves some tensor by another factor (1/784,
# the batch size, 1/2) or in another direction (a dropped or reweighted term, a training-only
# layer) by percents at least. Measured: the reference against itself, with one and two
# threads, differs by at most one ulp per weight.
LOSS_RTOL = 1e-4
STEP_RTOL = 1e-3
STEP_ULPS = 16
TRAINING_MODE_RTOL = 1e-5  # the same float32 forward pass twice, eagerly: only another computation differs more


def noise_replayer(encoder, noise):
    """``encoder`` behind a layer that replays ``noise`` (steps, batch, latent) instead of drawing its own.

    It returns (z_mean, z_log_var, z_mean + exp(z_log_var / 2) * noise[step]) and advances
    ``step`` at every call: a class that calls its encoder once per training step uses
    noise[0], noise[1], ... in order.
    """
    import keras
    from keras import ops

    class ReplayedNoise(keras.layers.Layer):
        def __init__(self):
            super().__init__(name="encoder_with_given_noise")
            self.encoder = encoder
            self.noise = ops.convert_to_tensor(noise, dtype="float32")
            self.step = self.add_weight(shape=(), dtype="int32", initializer="zeros", trainable=False, name="step")

        def call(self, inputs):
            z_mean, z_log_var = self.encoder(inputs)[:2]
            epsilon = ops.take(self.noise, self.step % ops.shape(self.noise)[0], axis=0)
            self.step.assign_add(1)
            return z_mean, z_log_var, z_mean + ops.exp(z_log_var / 2) * epsilon

    return ReplayedNoise()


def training_steps(model, replayer, encoder, decoder, inputs, batch_size, learning_rate):
    """One ``fit`` of ``model`` over ``inputs`` in order, a step per batch, with plain SGD.

    ``model`` was built on ``replayer`` (from :func:`noise_replayer`) and ``decoder``;
    ``inputs`` is the images, or a tuple (images, labels). Returns plain numpy::

        {"inference_loss": compute_loss of call(first batch, training=False), with noise[0],
         "logs": [[loss, kl_loss, reconstruction_loss] as fit reports them after each step (NaN: not reported)],
         "first": [encoder weights, decoder weights] after the first step,
         "last": the same after the last step,
         "noise_used": how many times fit called the encoder}
    """
    import keras

    first_batch = tuple(part[:batch_size] for part in inputs) if isinstance(inputs, tuple) else inputs[:batch_size]
    y_pred = model(first_batch, training=False)
    inference_loss = model.compute_loss(x=first_batch, y=None, y_pred=y_pred, sample_weight=None, training=False)
    replayer.step.assign(0)  # fit starts again from noise[0]

    logged, first = [], []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            reported = logs or {}
            logged.append([float(reported[k]) if k in reported else math.nan for k in LOGGED])
            if batch == 0:
                first.extend(weights_of(encoder, decoder))

    # Eager: a handful of steps runs faster than tracing a graph first, and the same way everywhere.
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), run_eagerly=True)
    model.fit(inputs, batch_size=batch_size, epochs=1, shuffle=False, verbose=0, callbacks=[Record()])
    return {"inference_loss": float(np.asarray(keras.ops.convert_to_numpy(inference_loss))),
            "logs": np.asarray(logged, dtype="float64").reshape(-1, len(LOGGED)), "first": first,
            "last": weights_of(encoder, decoder), "noise_used": int(keras.ops.convert_to_numpy(replayer.step))}


def weights_of(encoder, decoder) -> list[list[np.ndarray]]:
    return [[np.array(w) for w in encoder.get_weights()], [np.array(w) for w in decoder.get_weights()]]


def perturbed_start(encoder, decoder, rng) -> list[list[np.ndarray]]:
    """A starting point for the steps: the models' own initial weights with every bias drawn from N(0, 1)
    and the decoder's first kernel three times larger.

    So z_mean and z_log_var start away from 0 (the KL term weighs in the loss and its gradient),
    the pixels away from 0.5, and the image depends on z: a mistake in what is sampled or decoded
    shows in the step. Sets the models' weights and returns them, [encoder weights, decoder weights].
    """
    start = []
    for model in (encoder, decoder):
        weights = []
        for index, value in enumerate(model.get_weights()):
            if value.ndim == 1:
                value = rng.normal(0.0, 1.0, value.shape)
            elif model is decoder and index == 0:
                value = value * 3.0
            weights.append(np.asarray(value, dtype="float32"))
        model.set_weights(weights)
        start.append(weights)
    return start


def closed_form_steps(encoder, decoder, images, noise, learning_rate, labels=None) -> dict:
    """The book's loss and plain SGD steps of it, by GradientTape, one per batch of ``noise``; the models are left as they were.

    loss = mean over the batch of KL(N(z_mean, exp(z_log_var)) || N(0, I)) + the binary
    cross-entropy summed over the 784 pixels, with z = z_mean + exp(z_log_var / 2) * noise[step];
    for a CVAE (``labels`` given) the encoder sees [images, labels] and the decoder [z, labels].
    Written here from the formulas, not from the exercises. Returns {"logs": [[loss, kl_loss,
    reconstruction_loss] as fit reports them after each step: means over the steps so far],
    "first": [encoder weights, decoder weights] after the first step, "last": after the last}.
    """
    start = weights_of(encoder, decoder)
    batch_size = len(noise[0])
    values, stepped = [], []
    for step, epsilon in enumerate(noise):
        batch = slice(step * batch_size, (step + 1) * batch_size)
        value, after = _closed_form_step(encoder, decoder, images[batch], epsilon, learning_rate,
                                         None if labels is None else labels[batch])
        encoder.set_weights(after[0])
        decoder.set_weights(after[1])
        values.append(value)
        stepped.append(after)
    encoder.set_weights(start[0])
    decoder.set_weights(start[1])
    # fit reports the trackers' means over the epoch so far (equal batches: the mean of the steps' means)
    logs = np.cumsum(values, axis=0) / np.arange(1, len(values) + 1)[:, None]
    return {"logs": logs, "first": stepped[0], "last": stepped[-1]}


def _closed_form_step(encoder, decoder, images, epsilon, learning_rate, labels):
    import tensorflow as tf

    x = tf.reshape(tf.constant(images, dtype="float32"), (-1, NUM_PIXELS))
    with tf.GradientTape() as tape:
        z_mean, z_log_var = encoder(images if labels is None else [images, labels], training=True)[:2]
        z = z_mean + tf.exp(z_log_var / 2) * tf.constant(epsilon, dtype="float32")
        p = decoder(z if labels is None else tf.concat([z, tf.constant(labels, dtype="float32")], axis=-1),
                    training=True)
        p = tf.clip_by_value(tf.reshape(p, (-1, NUM_PIXELS)), CLIP, 1.0 - CLIP)
        kl = 0.5 * tf.reduce_sum(tf.exp(z_log_var) + tf.square(z_mean) - 1.0 - z_log_var, axis=-1)
        reconstruction = -tf.reduce_sum(x * tf.math.log(p) + (1.0 - x) * tf.math.log(1.0 - p), axis=-1)
        loss = tf.reduce_mean(kl + reconstruction)
    models = (encoder, decoder)
    gradients = tape.gradient(loss, [w for model in models for w in model.weights])
    after, at = [], 0
    for model in models:
        after.append([np.array(w) - learning_rate * (0.0 if g is None else np.asarray(g))
                      for w, g in zip(model.weights, gradients[at:at + len(model.weights)])])
        at += len(model.weights)
    return [float(loss), float(tf.reduce_mean(kl)), float(tf.reduce_mean(reconstruction))], after


def against_the_closed_form(make_model, encoder, decoder, images, labels=None, *, batch_size, learning_rate, rng):
    """What ``check()`` runs: the class's steps from a perturbed start, and the closed form's first step.

    ``make_model(encoder_with_given_noise)`` builds the student's class on the wrapped encoder
    and ``decoder``. Returns (start, names, closed_form_steps' result, training_steps' result).
    """
    start = perturbed_start(encoder, decoder, rng)
    names = [[f"the {part}'s {variable.path} {tuple(variable.shape)}" for variable in model.weights]
             for part, model in (("encoder", encoder), ("decoder", decoder))]
    noise = rng.standard_normal((len(images) // batch_size, batch_size, 2)).astype("float32")
    closed = closed_form_steps(encoder, decoder, images, noise, learning_rate, labels)
    replayer = noise_replayer(encoder, noise)
    inputs = images if labels is None else (images, labels)
    run = training_steps(make_model(replayer), replayer, encoder, decoder, inputs, batch_size, learning_rate)
    return start, names, closed, run


# ----------------------------------------------------------------------------- comparing steps

def step_difference(start, expected, got, names, batch_size, rtol, atol_ulps, whose) -> str | None:
    """None when ``got`` moved every weight from ``start`` as ``expected`` did; else what differs, for a student.

    ``start``, ``expected``, ``got``: [encoder weights, decoder weights]; ``names``: a name
    per tensor, e.g. [["encoder kernel 1", ...], [...]]. A tensor passes when its update
    differs from the expected update by at most ``rtol`` of the expected update's norm plus
    ``atol_ulps`` float32 roundings of the weights themselves (both norms over the tensor).
    ``whose``: "the reference's" or "the book's loss's", for the message.
    """
    if not _same_shapes(expected, got):
        shapes = [[np.shape(w) for w in part] for part in got] if isinstance(got, list) else type(got).__name__
        return f"the weights after the step have other shapes than the models': {shapes}"
    worst, ratios = None, []
    for part, (w0s, wes, wgs) in enumerate(zip(start, expected, got)):
        for index, (w0, we, wg) in enumerate(zip(w0s, wes, wgs)):
            w0, we, wg = (np.asarray(a, "float64") for a in (w0, we, wg))
            if not np.all(np.isfinite(wg)):
                return f"after the step, {names[part][index]} holds NaN or infinite values"
            moved, should = wg - w0, we - w0
            error = np.linalg.norm(moved - should)
            allowed = rtol * np.linalg.norm(should) + atol_ulps * np.finfo("float32").eps * np.linalg.norm(w0)
            if np.linalg.norm(should) > 0:
                ratios.append((np.linalg.norm(moved) / np.linalg.norm(should), _cosine(moved, should)))
            if error > allowed and (worst is None or error / (allowed + 1e-30) > worst[0]):
                worst = (error / (allowed + 1e-30), names[part][index], moved, should)
    if worst is None:
        return None
    _, name, moved, should = worst
    norm_moved, norm_should = np.linalg.norm(moved), np.linalg.norm(should)
    if norm_should == 0.0:
        return f"{name} moved although {whose} step leaves it where it was"
    ratio = norm_moved / norm_should
    return (f"after one SGD step {name} moved {_times(ratio)} as far as with {whose} step, "
            f"in a direction at cosine {_cosine(moved, should):.3f} to it (1 = the same direction)"
            + _why(ratios, batch_size))


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    norms = np.linalg.norm(a) * np.linalg.norm(b)
    return float(np.sum(a * b) / norms) if norms > 0 else 0.0


def _same_shapes(expected, got) -> bool:
    return (isinstance(got, list) and len(got) == len(expected)
            and all(isinstance(g, list) and len(g) == len(e) for e, g in zip(expected, got))
            and all(isinstance(b, np.ndarray) and np.shape(a) == b.shape
                    for e, g in zip(expected, got) for a, b in zip(e, g)))


def _times(ratio: float) -> str:
    return f"{ratio:.3g}x" if ratio >= 0.01 else f"{ratio:.2e}x"


def _why(ratios: list[tuple[float, float]], batch_size: int) -> str:
    """A likely cause: every weight moved by one common factor (a scaled loss), none moved, or the gradient differs."""
    if ratios and all(ratio == 0.0 for ratio, _ in ratios):
        return ": nothing moved (is the loss computed from y_pred, so that gradients reach the weights?)"
    common = ratios[0][0] if ratios else 0.0
    if ratios and abs(common - 1.0) > 0.02 and all(cosine > 0.999 and abs(ratio / common - 1.0) < 0.01
                                                  for ratio, cosine in ratios):
        # Every tensor moved in the right direction by the same factor: the loss is the book's times a constant.
        for factor, cause in ((batch_size, "the loss is summed over the batch instead of averaged"),
                              (1 / NUM_PIXELS, "the reconstruction is averaged over the pixels instead of summed"),
                              (0.5, "the loss is halved (averaged over its two terms?)"),
                              (2.0, "the loss is doubled")):
            if abs(common / factor - 1.0) < 0.02:
                return f": every weight moved {_times(common)} as far, so probably {cause}"
        return f": every weight moved {_times(common)} as far: the loss is the book's times a constant"
    return (": the gradient itself differs: check both terms of the loss (kl_divergence and reconstruction_loss, "
            "per image, then the batch mean), that call decodes the sampled z, and that nothing behaves "
            "differently in training (Dropout, GaussianNoise, BatchNormalization)")


def logs_difference(expected, got, rtol: float, whose: str, columns: tuple[str, ...] = LOGGED) -> str | None:
    """None when the logged values of ``columns`` (of LOGGED) match after every step; else the first that does not."""
    expected = np.asarray(expected, "float64")
    if not isinstance(got, np.ndarray) or got.shape != expected.shape:
        return f"fit reported {np.shape(got)} values instead of {expected.shape} (steps x {', '.join(LOGGED)})"
    for step, (want_row, got_row) in enumerate(zip(expected, got)):
        for name in columns:
            want, value = want_row[LOGGED.index(name)], got_row[LOGGED.index(name)]
            if math.isnan(value):
                return f"fit does not report {name}: update the tracker of that name in compute_loss"
            if not abs(value - want) <= rtol * abs(want) + 1e-6:
                return (f"after step {step + 1} fit reports {name} = {value:.6g}, {whose} gives {want:.6g}"
                        + (" (the first step's value is the loss at the starting weights)" if step == 0 else ""))
    return None


# ----------------------------------------------------------------------------- what check() says

PUBLIC_BATCH = 8
PUBLIC_STEPS = 2
PUBLIC_LEARNING_RATE = 1e-3


def public_steps(build_encoder, build_decoder, model_class, labelled: bool):
    """check()'s run: ``model_class`` on the notebook's own encoder and decoder, from fixed weights,
    images (and labels) and noise, beside the closed form; see :func:`against_the_closed_form`."""
    import keras

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    encoder, decoder = build_encoder(latent_dim=2), build_decoder(latent_dim=2)
    n = PUBLIC_STEPS * PUBLIC_BATCH
    images = np.asarray(rng.random((n, 28, 28)) ** 3, dtype="float32")  # grey levels, mostly dark
    labels = np.eye(10, dtype="float32")[rng.integers(0, 10, n)] if labelled else None
    return against_the_closed_form(lambda wrapped: model_class(wrapped, decoder), encoder, decoder, images, labels,
                                   batch_size=PUBLIC_BATCH, learning_rate=PUBLIC_LEARNING_RATE, rng=rng)


def expect_steps_follow_the_closed_form(start, names, closed, run) -> None:
    """check()'s verdict on the class's SGD steps, against the book's loss written out here."""
    from public_tests.framework import expect

    logs = run["logs"]
    expect(len(logs) == PUBLIC_STEPS, "fit did not run one step per batch", expected=PUBLIC_STEPS, got=len(logs))
    for step, (row, want_row) in enumerate(zip(logs, closed["logs"])):
        for name, value, want in zip(LOGGED, row, want_row):
            expect(not math.isnan(value), f"fit does not report {name}",
                   hint="fit reports what the two trackers made in __init__ hold: compute_loss must give each "
                        "of them its per-image values.")
            expect(abs(value - want) <= LOSS_RTOL * abs(want) + 1e-6,
                   f"from the check's weights, batches and noise, fit reports {name} = {value:.6g} after step "
                   f"{step + 1}", expected=round(float(want), 4), got=round(float(value), 4),
                   hint="the loss is the batch mean of kl_divergence + reconstruction_loss of call's outputs, "
                        "call decodes the sampled z (the encoder's third output), and the trackers get the "
                        "per-image values.")
    expect(run["noise_used"] == PUBLIC_STEPS, "the encoder should be called once per training step",
           expected=PUBLIC_STEPS, got=run["noise_used"], hint="call the encoder once in call, and nowhere else.")
    for which, label in (("first", "one SGD step"), ("last", f"{PUBLIC_STEPS} SGD steps")):
        problem = step_difference(start, closed[which], run[which], names, PUBLIC_BATCH, STEP_RTOL,
                                  STEP_ULPS, "the book's loss's")
        expect(problem is None, (problem or "").replace("after one SGD step", f"after {label}"),
               hint="SGD moves each weight by learning_rate * the gradient of your loss, and nothing else "
                    "may move them: the loss must be the book's.")


def expect_the_same_in_training(run) -> None:
    """check()'s verdict on training mode: fit's first loss is the loss of call(x, training=False)."""
    from public_tests.framework import expect

    fit, call = float(run["logs"][0, 0]), run["inference_loss"]
    expect(abs(fit - call) <= TRAINING_MODE_RTOL * abs(call),
           "with the same weights, batch and noise, fit's first step and call(x, training=False) + compute_loss "
           "give different losses", expected=round(call, 4), got=round(fit, 4),
           hint="something in your class behaves differently in training (a Dropout, GaussianNoise or "
                "BatchNormalization layer?): the book's model does not.")

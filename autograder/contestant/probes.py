"""Probes: what a hidden test has run beside the student's code, called by name on plain arguments.

Some checks must happen where the student's objects live: a gradient through their
layer, a training run with their loss, their decoder given weights the judge chose.
A hidden test asks for one by name, ``student.probe("vae_training_steps", weights, ...)``;
the contestant calls the function of that name below with the student's names (a
:class:`StudentNames`) and those arguments, and sends back its plain result, which the
judge checks like any answer: it trusts none of it.

These functions ship with the contestant package (public, like the whole grader), so
the judge never sends code: nothing of the hidden tests' own source reaches the
contestant. Library modules (Keras, numpy, the course's ``aecourse``) are imported here,
inside each probe (the module itself imports only the standard library); the student's
exercises (and the reference's, for the exercises not being graded) come from the
namespace their cells filled.
"""

from __future__ import annotations

PROBES: dict = {}


def probe(function):
    """Register ``function`` as a probe under its own name."""
    PROBES[function.__name__] = function
    return function


class StudentNames:
    """The names the cells defined, read by attribute; a missing one is the NameError the student would see."""

    __slots__ = ("_namespace",)

    def __init__(self, namespace: dict):
        self._namespace = namespace

    def __getattr__(self, name: str):
        try:
            return self._namespace[name]
        except KeyError:
            raise NameError(f"name '{name}' is not defined") from None


def _show_layer():
    """A layer that shows its input: (m, k) -> (m, 28, 28), the input vector in the first k pixels, zeros after."""
    from keras import layers, ops

    class Show(layers.Layer):
        def call(self, inputs):
            return ops.reshape(ops.pad(inputs, [[0, 0], [0, 784 - inputs.shape[-1]]]), (-1, 28, 28))

    return Show()


# ----------------------------------------------------------------------------- lesson 03_blur

@probe
def sharpening_loss_value_and_gradient(student, y_true, y_pred, weight=None):
    """The student's loss on the judge's tensors, and the gradient of its batch mean w.r.t. ``y_pred``.

    ``[loss, gradient]``: the loss as the student's function returns it (one value per image
    asked), the gradient by GradientTape (None when the loss is not differentiable). ``weight``
    None: called as Keras calls a loss, ``sharpening_loss(y_true, y_pred)``; else passed as
    ``weight=``. The judge trains with these gradients (it holds the network and its
    optimizer) and checks them like any answer.
    """
    import tensorflow as tf
    from keras import ops

    y = tf.constant(y_true)
    p = tf.Variable(y_pred)
    with tf.GradientTape() as tape:
        loss = student.sharpening_loss(y, p) if weight is None else student.sharpening_loss(y, p, weight=weight)
        mean = tf.reduce_mean(loss)
    gradient = tape.gradient(mean, p)
    return [ops.convert_to_numpy(loss), None if gradient is None else gradient.numpy()]


# ----------------------------------------------------------------------------- lesson 04_vae

@probe
def vae_training_steps(student, encoder_weights, decoder_weights, images, batch_size, noise, learning_rate):
    """The student's VAE from the judge's weights, SGD steps on the judge's batches with the judge's noise.

    ``images`` (steps * batch_size, 28, 28), a batch per step in order; ``noise`` (steps, batch_size, 2).
    What comes back: ``public_tests.vae_steps.training_steps``. The judge runs this same function on
    the reference's names and compares.
    """
    from public_tests.vae_steps import noise_replayer, training_steps

    encoder, decoder = student.build_encoder(latent_dim=2), student.build_decoder(latent_dim=2)
    encoder.set_weights(encoder_weights)
    decoder.set_weights(decoder_weights)
    replayer = noise_replayer(encoder, noise)
    return training_steps(student.VAE(replayer, decoder), replayer, encoder, decoder, images, batch_size,
                          learning_rate)


@probe
def sampling_gradients(student, z_mean, z_log_var, seed):
    """z and the gradients of sum(z) with respect to both inputs of the student's Sampling layer."""
    import tensorflow as tf
    from keras import ops

    mu, log_var = tf.Variable(z_mean), tf.Variable(z_log_var)
    with tf.GradientTape() as tape:
        z = student.Sampling(seed=seed)([mu, log_var])
        total = tf.reduce_sum(z)
    d_mu, d_log_var = tape.gradient(total, [mu, log_var])
    return [ops.convert_to_numpy(z), None if d_mu is None else ops.convert_to_numpy(d_mu),
            None if d_log_var is None else ops.convert_to_numpy(d_log_var)]


@probe
def sampling_in_a_model(student, batches, seed):
    """The student's Sampling between symbolic Inputs of unknown batch size, then predict on each batch."""
    import keras
    import numpy as np

    latent_dim = batches[0][0].shape[1]
    mean_in, log_var_in = keras.Input((latent_dim,)), keras.Input((latent_dim,))
    model = keras.Model([mean_in, log_var_in], student.Sampling(seed=seed)([mean_in, log_var_in]))
    return [np.asarray(model.predict([mean, log_var], verbose=0)) for mean, log_var in batches]


@probe
def active_dimensions_and_its_inputs_after(student, z_mean, z_log_var):
    """The student's active_dimensions on the judge's arrays, and those arrays after the call (did they change?)."""
    return [student.active_dimensions(z_mean, z_log_var), z_mean, z_log_var]


# ----------------------------------------------------------------------------- lesson 05_latent_space

@probe
def latent_grid_of_a_linear_decoder(student, kernel, bias, n, span):
    """A linear decoder with the judge's weights, handed to the student's latent_grid."""
    import keras
    import numpy as np
    from keras import layers

    z = keras.Input(shape=(2,))
    dense = layers.Dense(784)
    decoder = keras.Model(z, layers.Reshape((28, 28))(dense(z)))
    dense.set_weights([kernel, bias])
    return np.asarray(student.latent_grid(decoder, n=n, span=span))


@probe
def choose_span_and_the_codes_after(student, codes):
    """The student's choose_span on a copy of the judge's codes, and that copy afterwards (did it change?)."""
    import numpy as np

    copy = np.array(codes)
    return [student.choose_span(copy), copy]


# ----------------------------------------------------------------------------- lesson 06_cvae

@probe
def cvae_training_steps(student, encoder_weights, decoder_weights, images, labels, batch_size, noise, learning_rate):
    """The CVAE analog of :func:`vae_training_steps`; ``labels`` (steps * batch_size, 10) one-hot, in order."""
    from public_tests.vae_steps import noise_replayer, training_steps

    encoder, decoder = student.build_cvae_encoder(latent_dim=2), student.build_cvae_decoder(latent_dim=2)
    encoder.set_weights(encoder_weights)
    decoder.set_weights(decoder_weights)
    replayer = noise_replayer(encoder, noise)
    return training_steps(student.CVAE(replayer, decoder), replayer, encoder, decoder, (images, labels), batch_size,
                          learning_rate)


@probe
def cvae_into_a_showing_decoder(student, images, labels):
    """The CVAE's call with the student's encoder and a decoder that shows its input, and the encoder alone."""
    import keras
    from keras import ops

    z_and_label = keras.Input(shape=(12,))
    encoder = student.build_cvae_encoder(latent_dim=2)
    cvae = student.CVAE(encoder, keras.Model(z_and_label, _show_layer()(z_and_label)))
    z_mean, z_log_var, shown = (ops.convert_to_numpy(o) for o in cvae((images, labels)))
    direct = [ops.convert_to_numpy(o) for o in encoder([images, labels])[:2]]
    return [z_mean, z_log_var, shown, direct[0], direct[1]]


@probe
def generate_digits_shown(student, digit, n, latent_dim, seed):
    """The student's generate_digits with a decoder that shows its input; the images."""
    import keras
    import numpy as np

    z_and_label = keras.Input(shape=(latent_dim + 10,))
    decoder = keras.Model(z_and_label, _show_layer()(z_and_label))
    return np.asarray(student.generate_digits(decoder, digit, n=n, latent_dim=latent_dim, seed=seed))


@probe
def blend_labels_of_pairs(student, pairs):
    """The student's blend_labels of the dict {digit: weight} these [digit, weight] pairs make (keys must be ints)."""
    import numpy as np

    return np.asarray(student.blend_labels({int(digit): weight for digit, weight in pairs}), dtype="float64")


# ----------------------------------------------------------------------------- every lesson: the public checks

@probe
def public_checks(student, exercise):
    """What ``check(exercise)`` says here, on these cells: [title, passed, explanation] per check run.

    The grader shows it to the student at no points (``autograder.public_results``): code
    running here could make it say anything, and only fools itself.
    """
    from public_tests import framework

    return [[str(title), bool(passed), str(explanation)]
            for title, passed, explanation in framework.run_checks(exercise, student._namespace)]

"""The conditioned decoder of lesson 6, judged by what it learns: its rules, its short training and its measure.

The exercise ``build_conditioned_decoder`` is a design: where and how the label enters the
decoder is the student's choice. What is judged is the result, the same way in two places:

* ``check("build_conditioned_decoder")`` in the lesson, in the student's kernel;
* the grader's judge (``autograder/hidden_tests/test_06_cvae.py``), on the student's decoder
  rebuilt there from its layer list, paired with the lesson's reference encoder.

Both rebuild the decoder from its configuration and give it fresh weights (the weights the
student's function returns are never used: a decoder trained elsewhere gains nothing), train
it with the book's loss for a fixed short schedule (:func:`train`), then ask it for every digit
from z ~ N(0, I) and count how often the course's classifier sees the digit asked for
(:func:`conditional_accuracy`). Nothing here depends on the student's other answers.
"""

from __future__ import annotations

import json
import re

import numpy as np

LATENT_DIM = 2
NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28, 1)
THE_LESSONS_DECODER = 537_104          # build_cvae_decoder(latent_dim=2).count_params()
BUDGET = THE_LESSONS_DECODER // 2      # 268,552 weights at latent_dim=2

# The fixed schedule (independent of COURSE_MODE): about 2.5 s of one CPU core. The grader's pass mark
# was measured with it: autograder/hidden_tests/test_06_cvae.py holds a hash of these constants and of
# rebuilt, train, asked_for and conditional_accuracy, and a change there asks for a recalibration.
TRAIN_STEPS = 200
BATCH_SIZE = 128
LEARNING_RATE = 2e-3
PER_DIGIT = 64          # samples asked for per digit in the measure

# What the grader's training has time for, per image: multiplications of weights (a layer called
# twice counts twice; the lesson's decoder makes about 537,000) and numbers in one layer's output.
MOST_MULTIPLY_ADDS = 2_000_000
LARGEST_OUTPUT = 28 * 28 * 16

# A configuration holding weights: a Constant initializer with an array, a Normalization's mean...
# Shapes and settings are a few numbers each; anything longer is data written into the layers.
LONGEST_LIST = 16
MOST_NUMBERS = 2000
KERAS_MODULE = re.compile(r"^keras(\.[A-Za-z_]\w*)*$")


class NotUsable(AssertionError):
    """The decoder cannot be judged as the exercise asks (a message worded for the student)."""


def _numbers(node) -> int:
    if isinstance(node, bool):
        return 0
    if isinstance(node, (int, float)):
        return 1
    if isinstance(node, dict):
        return sum(_numbers(v) for v in node.values())
    if isinstance(node, list):
        return sum(_numbers(v) for v in node)
    return 0


def problems_of_config(config) -> str | None:
    """What in a model's configuration the rules refuse (a layer that is not Keras' own, weights in it), else None."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, list):
            if sum(isinstance(v, (int, float)) and not isinstance(v, bool) for v in node) > LONGEST_LIST:
                found.append(f"a list of {len(node)} numbers in a layer's settings (weights written into the model?)")
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            name, module = node.get("class_name"), node.get("module")
            if name in ("Lambda", "__lambda__", "TorchModuleWrapper"):
                found.append(f"a {name} layer")
            elif name in ("__numpy__", "__tensor__"):
                found.append("an array in a layer's settings (weights written into the model?)")
            elif "class_name" in node and isinstance(module, str) and not KERAS_MODULE.match(module):
                found.append(f"{name!r} from {module!r}, not one of Keras' own layers")
            elif "class_name" in node and module is None and node.get("registered_name") is not None:
                found.append(f"the custom class {name!r}")
            for value in node.values():
                walk(value)

    walk(config)
    if not found and _numbers(config) > MOST_NUMBERS:
        found.append(f"{_numbers(config)} numbers in the layers' settings (weights written into the model?)")
    return found[0] if found else None


def rebuilt(model, seed: int, what: str = "decoder"):
    """A new model from ``model``'s configuration alone, with weights Keras draws from ``seed``.

    What the grader trains: the layers the student lists, initialised afresh. Raises NotUsable
    for a configuration the rules refuse or Keras cannot read (``what`` names the model in it).
    """
    import keras

    try:
        text = model.to_json()
        config = json.loads(text)
    except Exception as error:  # noqa: BLE001 - whatever it is, the decoder cannot be rebuilt
        raise NotUsable(f"your {what} has no configuration Keras can write ({type(error).__name__}); "
                        "build it as a keras.Model of Keras layers") from None
    problem = problems_of_config(config)
    if problem:
        raise NotUsable(f"your {what} uses {problem}: the grader rebuilds it from Keras' own layers, "
                        "with weights of its own")
    keras.utils.set_random_seed(seed)
    try:
        return keras.models.model_from_json(text)
    except Exception as error:  # noqa: BLE001 - whatever Keras says, in one line
        raise NotUsable(f"your {what} could not be rebuilt from its layers ({type(error).__name__}: "
                        f"{str(error).splitlines()[0][:200] if str(error) else ''})") from None


def work_per_image(model) -> tuple[int, int]:
    """(multiplications of weights, the largest layer output in numbers) per image, every call of every layer counted."""
    import keras

    multiplications, largest = 0, 0
    for layer in model.layers:
        calls = layer._inbound_nodes
        if isinstance(layer, keras.Model):
            inner, inner_largest = work_per_image(layer)
            multiplications += inner * max(1, len(calls))
            largest = max(largest, inner_largest)
            continue
        kernels = sum(int(np.prod(w.shape)) for w in layer.weights if len(w.shape) >= 2)
        for node in calls:
            for output in node.outputs:
                shape = [d or 1 for d in output.shape[1:]]
                largest = max(largest, int(np.prod(shape)))
                multiplications += kernels * (int(np.prod(shape[:-1])) if len(shape) > 1 else 1)
    return multiplications, largest


def expect_trainable_in_time(model) -> None:
    """The grader's training has time for ``model``: MOST_MULTIPLY_ADDS and LARGEST_OUTPUT; else NotUsable."""
    multiplications, largest = work_per_image(model)
    if multiplications > MOST_MULTIPLY_ADDS:
        raise NotUsable(f"your decoder makes about {multiplications:,} multiplications per image, over the "
                        f"{MOST_MULTIPLY_ADDS:,} the grader's training has time for")
    if largest > LARGEST_OUTPUT:
        raise NotUsable(f"a layer of your decoder gives {largest:,} numbers per image, over the {LARGEST_OUTPUT:,} "
                        "a layer may give (28 x 28 x 16)")


def drawn_weights(model, rng) -> list:
    """Random weights for every array of ``model``, whatever its initializers say.

    Matrices and kernels: normal, scaled by 1 / sqrt(fan-in); vectors (biases, scales,
    variances): uniform in [0.5, 1.5], so none is zero and a variance stays positive. With
    these, a decoder whose image depends on the label shows it, even where its own
    initializers start a path at zero.
    """
    weights = []
    for w in model.get_weights():
        shape = np.shape(w)
        if len(shape) >= 2:
            fan_in = int(np.prod(shape[:-1]))
            weights.append((rng.standard_normal(shape) / np.sqrt(max(fan_in, 1))).astype("float32"))
        else:
            weights.append(rng.uniform(0.5, 1.5, size=shape).astype("float32"))
    return weights


def label_reach(images_a, images_b, changed: float = 1e-4) -> float:
    """The share of pixels, averaged over the images, that two labels with the same z change by more than ``changed``."""
    a, b = np.asarray(images_a, "float64"), np.asarray(images_b, "float64")
    return float(np.mean(np.abs(a - b) > changed))


REACH = 0.5  # a decoder given the label must redraw (most of) the image with it, not a few pixels


def book_encoder(latent_dim: int = LATENT_DIM):
    """The lesson's CVAE encoder, written out: [images (28, 28), labels (10)] -> [z_mean, z_log_var].

    check() trains with this one, so that the verdict never depends on the student's own
    encoder; the grader uses the lesson's reference build_cvae_encoder, the same network.
    """
    import keras
    from keras import layers

    images = keras.Input(shape=(28, 28))
    labels = keras.Input(shape=(NUM_CLASSES,))
    hidden = layers.Concatenate()([layers.Flatten()(images), labels])
    for units in (512, 256):
        hidden = layers.Dense(units, activation="relu")(hidden)
    return keras.Model([images, labels], [layers.Dense(latent_dim)(hidden), layers.Dense(latent_dim)(hidden)])


def train(encoder, decoder, images, labels, seed: int) -> float:
    """TRAIN_STEPS steps of Adam on the CVAE's loss (KL + summed binary cross-entropy); the last batch's loss.

    ``encoder``: [images (n, 28, 28), labels (n, 10)] -> [z_mean, z_log_var, ...];
    ``decoder``: [z (n, latent), labels (n, 10)] -> (n, 28, 28, 1). Batches and the sampling
    noise come from ``seed``; only the trainable weights move (a frozen layer stays as drawn).
    """
    import keras
    import tensorflow as tf

    variables = encoder.trainable_weights + decoder.trainable_weights
    optimizer = keras.optimizers.Adam(LEARNING_RATE)
    optimizer.build(variables)

    @tf.function
    def step(x, y, noise):
        with tf.GradientTape() as tape:
            z_mean, z_log_var = encoder([x, y], training=True)[:2]
            z = z_mean + tf.exp(z_log_var / 2) * noise
            p = tf.clip_by_value(tf.reshape(decoder([z, y], training=True), (-1, 28 * 28)), 1e-7, 1 - 1e-7)
            flat = tf.reshape(x, (-1, 28 * 28))
            reconstruction = -tf.reduce_sum(flat * tf.math.log(p) + (1 - flat) * tf.math.log(1 - p), axis=1)
            kl = 0.5 * tf.reduce_sum(tf.exp(z_log_var) + z_mean ** 2 - 1 - z_log_var, axis=1)
            loss = tf.reduce_mean(reconstruction + kl)
        gradients = tape.gradient(loss, variables)
        # A weight no path reaches has no gradient: it stays as it is.
        optimizer.apply([g if g is not None else tf.zeros_like(v) for g, v in zip(gradients, variables)], variables)
        return loss

    rng = np.random.default_rng(seed)
    latent_dim = int(encoder.outputs[0].shape[-1])
    loss = float("nan")
    for _ in range(TRAIN_STEPS):
        batch = rng.choice(len(images), BATCH_SIZE, replace=False)
        loss = float(step(images[batch], labels[batch],
                          rng.standard_normal((BATCH_SIZE, latent_dim)).astype("float32")))
    return loss


def asked_for(seed: int, latent_dim: int = LATENT_DIM):
    """The measure's requests: z ~ N(0, I) from ``seed``, PER_DIGIT of each digit, and their one-hot labels."""
    z = np.random.default_rng(seed).standard_normal((NUM_CLASSES * PER_DIGIT, latent_dim)).astype("float32")
    digits = np.repeat(np.arange(NUM_CLASSES), PER_DIGIT)
    return z, np.eye(NUM_CLASSES, dtype="float32")[digits], digits


def conditional_accuracy(images, digits, classifier) -> dict:
    """How often ``classifier`` sees the digit asked for: overall and per digit (images (n, 28, 28[, 1]) in [0, 1])."""
    images = np.asarray(images, dtype="float32").reshape(-1, 28, 28, 1)
    seen = np.asarray(classifier(images, training=False)).argmax(axis=1)
    per_digit = [float(np.mean(seen[digits == d] == d)) for d in range(NUM_CLASSES)]
    return {"accuracy": float(np.mean(per_digit)), "per_digit": per_digit}


def expect_images(images, n: int, what: str, shape: tuple = IMAGE_SHAPE) -> np.ndarray:
    """``images`` are n finite images of ``shape`` with values in [0, 1]; else NotUsable saying which rule fails."""
    array = np.asarray(images)
    if array.shape != (n, *shape):
        raise NotUsable(f"{what}: shape {array.shape}, expected {(n, *shape)}")
    if not np.all(np.isfinite(array)):
        raise NotUsable(f"{what}: NaN or infinity in the images")
    if array.min() < 0 or array.max() > 1:
        raise NotUsable(f"{what}: values from {array.min():.3g} to {array.max():.3g}, expected probabilities in [0, 1]")
    return array

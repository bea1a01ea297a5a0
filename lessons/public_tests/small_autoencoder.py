"""Lesson 2's autoencoder under a budget, judged by what it learns: its rules, its short training, its measure.

The exercise ``build_small_autoencoder`` is a design: the student returns an encoder and a
decoder, and chooses how to spend the budget of weights (dense layers or convolutions, where
to downsample, the code's shape, the output's activation). Returning the two halves apart
makes the bottleneck checkable: the judge composes them, so every bit of the image passes
through the encoder's code of at most CODE_SIZE numbers. What is judged is the result, the
same way in two places:

* ``check("build_small_autoencoder")`` in the lesson, in the student's kernel;
* the grader's judge (``autograder/hidden_tests/test_02_autoencoder.py``), on the two halves
  rebuilt there from their layer lists.

Both rebuild encoder and decoder from their configurations with weights Keras draws from a
seed (the weights the student's function returns are never used: halves trained elsewhere
gain nothing), train them together with binary cross-entropy for a fixed short schedule
(:func:`train`), and measure the held-out cross-entropy (:func:`held_out_cross_entropy`),
beside the dense design (:func:`dense_design`) rebuilt and trained the same way from the same
seed. The verdict is the ratio of the two. Before training, the halves must fit together, keep
the code within CODE_SIZE numbers and the weights within BUDGET, bound the work per image
(:func:`expect_within_budget`) and pass lesson 6's rules for a model's configuration
(``public_tests/conditioning.py``: Keras' own layers, no weights written into their settings).
"""

from __future__ import annotations

import numpy as np

from public_tests import conditioning

IMAGE_SHAPE = (32, 32, 1)
CODE_SIZE = 32
DENSE_WEIGHTS = 66_592   # dense_design(): (1024 * 32 + 32) + (32 * 1024 + 1024)
BUDGET = 70_000          # the dense design fits, with no room for a hidden layer on either side
# The grader trains every design in its own time: few weights can still mean much work (a
# convolution applied at many positions, an image blown up inside the network). The lesson's
# design makes about 5.8 million multiplications per image by that count.
LARGEST_OUTPUT = 32 * 32 * 64
MOST_MULTIPLY_ADDS = 20_000_000

# The fixed schedule (independent of COURSE_MODE): about 3 s of one CPU core for the lesson's design.
TRAIN_STEPS = 200
BATCH_SIZE = 32
LEARNING_RATE = 3e-3
# check()'s pass mark on (your held-out cross-entropy) / (the dense design's): the grader's
# calibrated one (autograder/thresholds.json, 02_autoencoder, build_small_autoencoder, ce_ratio)
# rounded down; tests/test_small_autoencoder.py keeps them together.
PASS_MARK = 0.93


# The halves cannot be judged as the exercise asks (a message worded for the student): the
# rules' exception is lesson 6's, whose rules for a model's configuration these are too.
NotUsable = conditioning.NotUsable


def dense_design():
    """The plain dense design, (encoder, decoder): Flatten -> Dense(32) | Dense(1024, sigmoid) -> Reshape.

    It spends almost the whole budget on two matrices that see every pixel alike: the
    yardstick a design must beat.
    """
    import keras
    from keras import layers

    images = keras.Input(shape=IMAGE_SHAPE)
    encoder = keras.Model(images, layers.Dense(CODE_SIZE)(layers.Flatten()(images)), name="dense_encoder")
    code = keras.Input(shape=(CODE_SIZE,))
    pixels = layers.Dense(int(np.prod(IMAGE_SHAPE)), activation="sigmoid")(code)
    return encoder, keras.Model(code, layers.Reshape(IMAGE_SHAPE)(pixels), name="dense_decoder")


def code_shape(encoder) -> tuple:
    """The shape of one image's code, (4, 4, 2) for an encoder whose output is (None, 4, 4, 2)."""
    return tuple(encoder.output_shape[1:])


def expect_halves(encoder, decoder) -> None:
    """Two Keras models that fit together as the exercise asks; else NotUsable saying which rule fails.

    The encoder takes (32, 32, 1) images to one code of at most CODE_SIZE numbers; the decoder
    takes that code, of that shape, to one (32, 32, 1) image.
    """
    import keras

    for model, what in ((encoder, "encoder"), (decoder, "decoder")):
        if not isinstance(model, keras.Model):
            raise NotUsable(f"your {what} is a {type(model).__name__}, not a keras.Model")
        if len(model.inputs) != 1 or len(model.outputs) != 1:
            raise NotUsable(f"your {what} has {len(model.inputs)} inputs and {len(model.outputs)} outputs, "
                            "expected one of each")
    if tuple(encoder.input_shape[1:]) != IMAGE_SHAPE:
        raise NotUsable(f"your encoder takes {tuple(encoder.input_shape[1:])}, expected the cats' {IMAGE_SHAPE}")
    numbers = int(np.prod(code_shape(encoder)))
    if numbers > CODE_SIZE:
        raise NotUsable(f"your encoder's code {code_shape(encoder)} holds {numbers} numbers per image, "
                        f"expected at most {CODE_SIZE}")
    if tuple(decoder.input_shape[1:]) != code_shape(encoder):
        raise NotUsable(f"your decoder takes {tuple(decoder.input_shape[1:])}, but the encoder's code is "
                        f"{code_shape(encoder)}: the decoder must take the code as the encoder gives it")
    if tuple(decoder.output_shape[1:]) != IMAGE_SHAPE:
        raise NotUsable(f"your decoder draws {tuple(decoder.output_shape[1:])}, expected {IMAGE_SHAPE}")


def weights_of(encoder, decoder) -> int:
    return int(encoder.count_params()) + int(decoder.count_params())


def expect_within_budget(encoder, decoder) -> None:
    """At most BUDGET weights, and a network the grader can train in its time: outputs and multiplications bounded."""
    count = weights_of(encoder, decoder)
    if count > BUDGET:
        raise NotUsable(f"your encoder and decoder have {count:,} weights together, over the budget of {BUDGET:,}")
    # Lesson 6's count (public_tests/conditioning.py): every call of a reused layer counts.
    work = 0
    for model, what in ((encoder, "encoder"), (decoder, "decoder")):
        multiplications, largest = conditioning.work_per_image(model)
        if largest > LARGEST_OUTPUT:
            raise NotUsable(f"a layer of your {what} gives {largest:,} numbers per image, over the "
                            f"{LARGEST_OUTPUT:,} numbers a layer may give (32 x 32 x 64)")
        work += multiplications
    if work > MOST_MULTIPLY_ADDS:
        raise NotUsable(f"your encoder and decoder make about {work:,} multiplications per image, over the "
                        f"{MOST_MULTIPLY_ADDS:,} the grader's training has time for")


def expect_images(images, n: int, what: str) -> np.ndarray:
    """``images`` are n finite (32, 32, 1) images with values in [0, 1]; else NotUsable saying which rule fails."""
    return conditioning.expect_images(images, n, what, IMAGE_SHAPE)


def rebuilt(model, seed: int, what: str):
    """A new model from ``model``'s configuration alone, with weights Keras draws from ``seed``: what is trained.

    The rules are lesson 6's (public_tests/conditioning.py): Keras' own layers, no weights
    written into their settings; NotUsable otherwise.
    """
    return conditioning.rebuilt(model, seed, what)


def together(encoder, decoder):
    """The autoencoder images -> encoder -> code -> decoder -> images: nothing reaches the decoder but the code."""
    import keras

    images = keras.Input(shape=IMAGE_SHAPE)
    return keras.Model(images, decoder(encoder(images)), name="small_autoencoder")


def train(autoencoder, x_train, seed: int) -> None:
    """TRAIN_STEPS steps of Adam on the mean binary cross-entropy, batches of BATCH_SIZE drawn from ``seed``.

    The whole schedule runs as one traced TensorFlow loop (a Python loop of steps costs about
    a fifth more); only trainable weights move.
    """
    import keras
    import tensorflow as tf

    variables = autoencoder.trainable_weights
    optimizer = keras.optimizers.Adam(LEARNING_RATE)
    optimizer.build(variables)

    @tf.function
    def run(batches):
        for step in tf.range(tf.shape(batches)[0]):
            x = batches[step]
            with tf.GradientTape() as tape:
                p = tf.clip_by_value(autoencoder(x, training=True), 1e-7, 1 - 1e-7)
                loss = -tf.reduce_mean(x * tf.math.log(p) + (1 - x) * tf.math.log(1 - p))
            gradients = tape.gradient(loss, variables)
            # A weight no path reaches has no gradient: it stays as it is.
            optimizer.apply([g if g is not None else tf.zeros_like(v) for g, v in zip(gradients, variables)],
                            variables)

    rng = np.random.default_rng(seed)
    chosen = np.stack([rng.choice(len(x_train), BATCH_SIZE, replace=False) for _ in range(TRAIN_STEPS)])
    if variables:
        run(tf.constant(np.asarray(x_train, dtype="float32")[chosen]))


def cross_entropy(x, p) -> float:
    """Mean binary cross-entropy per pixel, in nats, probabilities clipped to [1e-7, 1 - 1e-7] as Keras clips them."""
    x, p = np.asarray(x, "float64"), np.clip(np.asarray(p, "float64"), 1e-7, 1 - 1e-7)
    return float(np.mean(-(x * np.log(p) + (1 - x) * np.log(1 - p))))


def trained(encoder, decoder, x_train, seed: int):
    """The halves rebuilt with fresh weights from ``seed``, composed and trained on ``x_train``: the autoencoder.

    Raises NotUsable for halves the rules refuse (checked before anything is trained).
    """
    expect_halves(encoder, decoder)
    expect_within_budget(encoder, decoder)
    autoencoder = together(rebuilt(encoder, seed, "encoder"), rebuilt(decoder, seed + 1, "decoder"))
    first = np.asarray(x_train[:BATCH_SIZE], dtype="float32")
    expect_images(np.asarray(autoencoder(first, training=False)), len(first), "your images before training")
    train(autoencoder, x_train, seed)
    return autoencoder


def held_out_cross_entropy(autoencoder, x_test) -> float:
    """The autoencoder's mean cross-entropy on ``x_test``, its drawings checked first (finite, in [0, 1])."""
    drawn = expect_images(np.asarray(autoencoder(x_test, training=False)), len(x_test), "the trained autoencoder's images")
    return cross_entropy(x_test, drawn)

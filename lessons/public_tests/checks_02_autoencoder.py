"""Public checks of lesson 02_autoencoder: the hourglass and its encoder."""

from __future__ import annotations

import numpy as np

from public_tests.framework import NotRunHere, expect, public_check
from public_tests.model_modes import same_while_training

BOOK_WEIGHTS = 35_085  # the book's network on 32x32x1 inputs with a 128-number waist


def _model(ns, **kwargs):
    import keras

    model = ns.build_autoencoder(**kwargs)
    expect(isinstance(model, keras.Model), "build_autoencoder should return a keras.Model",
           got=type(model).__name__, hint="return the model itself, made from its input and output tensors, not a tensor or a layer.")
    return model


def _latent_numbers(model):
    try:
        layer = model.get_layer("latent")
    except ValueError:
        expect(False, 'no layer is named "latent"', hint="the waist is found by its name: every Keras layer takes one when it is made.")
    return int(np.prod(layer.output.shape[1:]))


@public_check("build_autoencoder")
def maps_images_to_images(ns):
    """maps (batch, 32, 32, 1) images to (batch, 32, 32, 1) images"""
    model = _model(ns)
    expect(tuple(model.input_shape) == (None, 32, 32, 1), "wrong input shape", expected=(None, 32, 32, 1),
           got=model.input_shape, hint="the input's shape comes from the input_shape argument.")
    expect(tuple(model.output_shape) == (None, 32, 32, 1), "wrong output shape", expected=(None, 32, 32, 1),
           got=model.output_shape,
           hint="count halvings and doublings: the decoder must undo every pooling, and the last layer leave one channel.")


@public_check("build_autoencoder")
def has_a_128_number_waist(ns):
    """the layer named "latent" holds 128 numbers per image"""
    numbers = _latent_numbers(_model(ns))
    expect(numbers == 128, 'the "latent" layer has the wrong size', expected="2 x 2 x 32 = 128 numbers", got=numbers,
           hint="after four poolings the map has 2x2 positions, and the Dense layer acts at each one: how many "
                "units make latent_dim numbers in all?")


@public_check("build_autoencoder")
def outputs_probabilities(ns):
    """outputs lie in [0, 1] (a sigmoid at the end)"""
    model = _model(ns)
    x = np.random.default_rng(0).random((4, 32, 32, 1)).astype("float32") * 5
    y = np.asarray(model(x))
    expect(y.min() >= 0 and y.max() <= 1, "outputs leave [0, 1]", got=(float(y.min()), float(y.max())),
           hint="which activation squeezes any number into (0, 1)? The output layer needs it.")


@public_check("build_autoencoder")
def ends_with_a_sigmoid(ns):
    """the last layer is a Conv2D with a sigmoid (probabilities per pixel)"""
    last = _model(ns).layers[-1]
    name = getattr(getattr(last, "activation", None), "__name__", None)
    expect(type(last).__name__ == "Conv2D" and name == "sigmoid", "the output layer is not a sigmoid Conv2D",
           expected="a Conv2D with one output channel and a sigmoid activation",
           got=f"{type(last).__name__} with activation {name}",
           hint="the network ends with a convolution whose activation makes each pixel a probability of ink "
                "(see *The hourglass*).")


@public_check("build_autoencoder")
def decoder_blocks_convolve_then_upsample(ns):
    """each decoder block is a Conv2D followed by its UpSampling2D, in that order"""
    model = _model(ns)
    names = [type(layer).__name__ for layer in model.layers]
    after = names[names.index("Dense") + 1:] if "Dense" in names else names
    wanted = ["Conv2D", "UpSampling2D"] * 4 + ["Conv2D"]
    expect(after == wanted, "the layers after the waist are not in the book's order", expected=wanted, got=after,
           hint="in each decoder block the convolution comes first and the upsampling second.")


@public_check("build_autoencoder")
def has_the_books_number_of_weights(ns):
    """has the book's number of weights (35,085)"""
    count = _model(ns).count_params()
    expect(count == BOOK_WEIGHTS, "the number of weights differs from the book's network", expected=BOOK_WEIGHTS,
           got=count,
           hint="compare model.summary() with *The hourglass*, block by block: the filters of both encoder "
                "branches and of the decoder, and each kernel size.")


@public_check("build_autoencoder")
def computes_the_same_while_training(ns):
    """computes the same in training mode (as fit runs it) as when it predicts"""
    x = np.random.default_rng(2).random((2, 32, 32, 1)).astype("float32")
    same_while_training(_model(ns), x, "autoencoder")


@public_check("build_autoencoder")
def follows_input_shape_and_latent_dim(ns):
    """build_autoencoder(input_shape=(48, 64, 1), latent_dim=60): 48x64 images, a 60-number waist"""
    model = _model(ns, input_shape=(48, 64, 1), latent_dim=60)
    expect(tuple(model.output_shape) == (None, 48, 64, 1), "the output does not follow input_shape",
           expected=(None, 48, 64, 1), got=model.output_shape, hint="the input's shape comes from the input_shape argument, not a fixed (32, 32, 1).")
    numbers = _latent_numbers(model)
    expect(numbers == 60, 'the "latent" layer does not follow latent_dim', expected=60, got=numbers,
           hint="after four poolings a 48x64 image is a 3x4 map: the numbers per position follow from the "
                "map's shape, not a fixed 4.")
    # 23,789 + 353 c weights for c = 5 numbers per latent position (35,085 for the book's c = 32).
    expect(model.count_params() == 25_554, "the number of weights differs from the book's network at this size",
           expected=25_554, got=model.count_params())


@public_check("extract_encoder")
def gives_128_numbers_per_image(ns):
    """the encoder maps (batch, 32, 32, 1) to (batch, 128)"""
    encoder = ns.extract_encoder(ns.build_autoencoder())
    codes = np.asarray(encoder(np.zeros((3, 32, 32, 1), dtype="float32")))
    expect(codes.shape == (3, 128), "wrong code shape", expected=(3, 128), got=codes.shape,
           hint="the latent layer's output is still a map of positions and channels: one flat vector per image.")


@public_check("extract_encoder")
def shares_the_autoencoders_weights(ns):
    """the encoder uses the autoencoder's own (trained) layers"""
    import keras

    autoencoder = ns.build_autoencoder()
    encoder = ns.extract_encoder(autoencoder)
    x = np.random.default_rng(1).random((2, 32, 32, 1)).astype("float32")
    inner = keras.Model(autoencoder.input, autoencoder.get_layer("latent").output)
    want = np.asarray(inner(x)).reshape(2, -1)
    got = np.asarray(encoder(x))
    expect(got.shape == want.shape and np.allclose(got, want, atol=1e-5),
           "the encoder's codes differ from the autoencoder's own latent layer",
           hint="a new network has new, untrained weights: reuse the layers of the autoencoder you are given "
                "(section *The encoder*).")


@public_check("extract_encoder")
def codes_are_the_same_while_training(ns):
    """the encoder gives the same codes in training mode (as fit runs it)"""
    encoder = ns.extract_encoder(ns.build_autoencoder())
    same_while_training(encoder, np.random.default_rng(3).random((2, 32, 32, 1)).astype("float32"), "encoder")


# ----------------------------------------------------------------------------- the design under a budget
# The rules, the training and the measure are public_tests/small_autoencoder.py's, the grader's own:
# check() rebuilds both halves from their layers, gives them weights of its own and trains them as the
# grader does, beside the dense design.

def _halves(ns):
    import keras

    halves = ns.build_small_autoencoder()
    expect(isinstance(halves, (tuple, list)) and len(halves) == 2, "build_small_autoencoder should return two models",
           expected="(encoder, decoder)", got=type(halves).__name__,
           hint="return the two halves apart, the encoder first; the grader joins them itself.")
    for model, what in zip(halves, ("encoder", "decoder")):
        expect(isinstance(model, keras.Model), f"the {what} is not a keras.Model", got=type(model).__name__,
               hint="build each half from its own keras.Input and return the keras.Model, not a layer or a tensor.")
    return halves


def _usable(rule, *args, hint):
    from public_tests import small_autoencoder

    try:
        return rule(*args)
    except small_autoencoder.NotUsable as problem:
        expect(False, str(problem), hint=hint)


SHAPES_HINT = ("write down each layer's output shape, from 32x32x1 down to the code and back: every halving needs "
               "its doubling, 'valid' padding shrinks the image, and the last layer leaves one channel.")


@public_check("build_small_autoencoder")
def small_autoencoder_shapes(ns):
    """returns (encoder, decoder): (32, 32, 1) images to a code of at most 32 numbers, and that code to (32, 32, 1) images"""
    from public_tests import small_autoencoder

    encoder, decoder = _halves(ns)
    _usable(small_autoencoder.expect_halves, encoder, decoder, hint=SHAPES_HINT)
    images = np.random.default_rng(4).random((3, 32, 32, 1)).astype("float32")
    drawn = np.asarray(decoder(encoder(images, training=False), training=False))
    expect(drawn.shape == (3, 32, 32, 1), "decoder(encoder(images)) does not give images back", expected=(3, 32, 32, 1),
           got=drawn.shape, hint=SHAPES_HINT)


@public_check("build_small_autoencoder")
def small_autoencoder_within_the_budget(ns):
    """at most 70,000 weights in the encoder and the decoder together, and work the grader has time to train"""
    from public_tests import small_autoencoder

    _usable(small_autoencoder.expect_within_budget, *_halves(ns),
            hint="count each layer's weights before you build: a Dense layer costs inputs x units + units, a "
                 "convolution kernel height x width x channels in x filters + filters, and its work is its kernel "
                 "times the positions it is applied at. Where do most of yours go?")


@public_check("build_small_autoencoder")
def small_autoencoder_draws_probabilities(ns):
    """its images are finite and in [0, 1] for any image or code, with its weights and with drawn ones"""
    from public_tests import small_autoencoder
    from public_tests.conditioning import drawn_weights

    encoder, decoder = _halves(ns)
    _usable(small_autoencoder.expect_halves, encoder, decoder, hint=SHAPES_HINT)
    rng = np.random.default_rng(5)
    images = (rng.random((8, 32, 32, 1)) * 6 - 1).astype("float32")
    codes = (rng.normal(size=(8, *small_autoencoder.code_shape(encoder))) * 8).astype("float32")
    hint = "a probability of ink per pixel: which activation keeps any number in [0, 1]? The last layer needs it."
    for label in ("your images", "your images with other weights"):
        for inputs in (np.asarray(encoder(images, training=False)), codes):
            _usable(small_autoencoder.expect_images, np.asarray(decoder(inputs, training=False)), 8, label, hint=hint)
        encoder.set_weights(drawn_weights(encoder, rng))
        decoder.set_weights(drawn_weights(decoder, rng))


@public_check("build_small_autoencoder")
def small_autoencoder_rebuilds_from_its_layers(ns):
    """only Keras' own layers, and no weights written into them: both halves rebuild from their layer lists"""
    from public_tests import small_autoencoder

    for model, what in zip(_halves(ns), ("encoder", "decoder")):
        _usable(small_autoencoder.rebuilt, model, 0, what,
                hint="build each half from keras.Input and Keras' layers, and let training find the weights.")


@public_check("build_small_autoencoder")
def small_autoencoder_beats_the_dense_design(ns):
    """trained as the grader trains it (200 steps, fresh weights), it redraws held-out cats better than the dense design"""
    from aecourse.datasets import load_cats
    from public_tests import small_autoencoder as schedule

    encoder, decoder = _halves(ns)
    try:
        cats = load_cats(limit=2000)
    except Exception as error:  # noqa: BLE001 - no data where this runs (the grader's sandbox has none)
        raise NotRunHere("the cats are not available here, so this check could not train your design; "
                         "the hidden test that trains it decides the points "
                         f"({type(error).__name__}: {str(error)[:80]})") from None
    held_out = {}
    for name, halves in (("yours", (encoder, decoder)), ("dense", schedule.dense_design())):
        trained = _usable(schedule.trained, *halves, cats.x_train, 0,
                          hint="see the checks above: the grader trains only halves that follow the rules.")
        held_out[name] = _usable(schedule.held_out_cross_entropy, trained, cats.x_test,
                                 hint="the trained images must stay finite and in [0, 1].")
    ratio = held_out["yours"] / held_out["dense"]
    expect(ratio <= schedule.PASS_MARK, "after the grader's short training, your design does not redraw held-out cats "
           "clearly better than the dense one", expected=f"held-out cross-entropy at most {schedule.PASS_MARK} x the dense "
           "design's", got=f"{held_out['yours']:.4f} against {held_out['dense']:.4f}: {ratio:.3f} x",
           hint="the dense design gives every pixel weights of its own; what kind of layer reuses what it learns at "
                "every position, and how few weights does it need for that?")

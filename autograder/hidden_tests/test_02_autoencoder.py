"""Hidden tests of lesson 02_autoencoder: the book's hourglass, exactly, and its encoder.

The architecture is fully specified in the exercise, so its weight count is a closed form:
    encoder  (3*3*1+1)*4 + (2*2*1+1)*4 + (3*3*8+1)*8 + (2*2*8+1)*8
           + (3*3*16+1)*16 + (2*2*16+1)*16 + (3*3*32+1)*32 + (2*2*32+1)*32   = 17,644
    waist    64*32 + 32                                                        =  2,080
    decoder  (3*3*32+1)*32 + (3*3*32+1)*16 + (3*3*16+1)*8 + (3*3*8+1)*4        = 15,324
    output   3*3*4 + 1                                                         =     37
    total                                                                        35,085
With c numbers per latent position instead of 32, the waist is 65c and the first decoder
convolution (9c+1)*32: 23,789 + 353c weights. Sizes and latent sizes are also drawn at
grading time, and the network must compute the same in training mode (``fit``) as in
prediction: the book's has no Dropout, noise or batch statistics.

`build_small_autoencoder` is a design (an encoder and a decoder within a budget of weights and
a code of at most 32 numbers), judged by its structure and by one training-based check: the
judge rebuilds both halves with fresh weights, trains them itself beside the dense design and
compares held-out cross-entropies (pass mark in autograder/thresholds.json).
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder import pictures
from autograder.contestants import contestant_for
from autograder.hidden_tests.shared import fresh_rng, once_per_judge
from autograder.messages import describe
from autograder.testing import (as_array, expect_reference_function, expect_same_in_training, expect_threshold, finite,
                                grading_seed, lesson_of_module, local_model, once_per_run, points, reference_namespace)

WEIGHTS = 35_085
LEARNING_STEPS = 12  # test_it_can_learn: Adam steps on one batch of fake strokes
ENCODER_WEIGHTS = 17_644 + 2_080


def _layers_of(model, kind):
    return [layer for layer in model.layers if type(layer).__name__ == kind]


def _inputs(seed, shape=(4, 32, 32, 1), scale=1.0):
    """Images drawn here at grading time (``seed`` mixed with fresh entropy): no answer can be prepared for them."""
    return (fresh_rng(seed).random(shape) * scale).astype("float32")


def _weights(per_position):
    """The closed form above, for ``per_position`` numbers per latent position."""
    return 23_789 + 353 * per_position


def _drawn_arguments(seed):
    """An input size (multiples of 16, not the book's) and a latent size (a multiple of the latent positions)."""
    rng = fresh_rng(seed)
    while True:
        rows, cols = (int(v) for v in rng.integers(1, 5, size=2))
        if (rows, cols) != (2, 2):
            break
    # Never the 128 numbers of the book's waist: an answer that ignores latent_dim must show.
    per_position = int(rng.choice([c for c in range(1, 40) if rows * cols * c != 128]))
    return (16 * rows, 16 * cols, 1), rows * cols * per_position, per_position


class TestBuildAutoencoder:
    exercise = "build_autoencoder"

    @pytest.fixture(autouse=True, scope="class")
    def _draws_the_picture(self, request):
        # After the class's last test: what the picture asks of the contestant (its time, its memory)
        # cannot change a verdict. Information for the feedback, never a verdict itself.
        yield
        lesson = lesson_of_module(request.module)
        try:
            student = contestant_for(lesson, request.cls.exercise, request.module)
        except Exception:  # noqa: BLE001 - the student's cells did not run: every test has said so
            return
        record_picture(student, reference_namespace(lesson)["build_autoencoder"])

    @points(1)
    def test_input_and_output_shapes(self, student):
        model = student.build_autoencoder()
        assert tuple(model.input_shape) == (None, 32, 32, 1)
        assert tuple(model.output_shape) == (None, 32, 32, 1)

    @points(2)
    def test_the_latent_layer_holds_128_numbers(self, student):
        model = student.build_autoencoder()
        latent = model.get_layer("latent")
        assert tuple(latent.output.shape) == (None, 2, 2, 32)

    @points(1)
    def test_latent_dim_is_respected(self, student):
        latent_dim = 4 * int(fresh_rng(7).choice([c for c in range(1, 64) if c != 32]))  # never the book's 128
        latent = student.build_autoencoder(latent_dim=latent_dim).get_layer("latent")
        assert int(np.prod(latent.output.shape[1:])) == latent_dim, f"latent_dim={latent_dim}"

    @points(1)
    def test_other_input_sizes(self, student):
        model = student.build_autoencoder(input_shape=(64, 64, 1))
        assert tuple(model.output_shape) == (None, 64, 64, 1)
        assert int(np.prod(model.get_layer("latent").output.shape[1:])) == 128
        shape, latent_dim, per_position = _drawn_arguments(8)
        model = student.build_autoencoder(input_shape=shape, latent_dim=latent_dim)
        called = f"build_autoencoder(input_shape={shape}, latent_dim={latent_dim})"
        assert tuple(model.output_shape) == (None, *shape), f"{called}: output shape {model.output_shape}"
        assert int(np.prod(model.get_layer("latent").output.shape[1:])) == latent_dim, called
        assert model.count_params() == _weights(per_position), f"{called}: {model.count_params()} weights"

    @points(2)
    def test_weight_count_is_the_books(self, student):
        assert student.build_autoencoder().count_params() == WEIGHTS

    @points(2)
    def test_two_branches_concatenated_in_each_encoder_block(self, student, reference):
        model = local_model(student.build_autoencoder(), reference.values, check_inputs=_inputs(1))
        assert len(_layers_of(model, "Concatenate")) == 4
        assert len(_layers_of(model, "MaxPooling2D")) == 4
        assert len(_layers_of(model, "UpSampling2D")) == 4
        kernels = sorted(tuple(layer.kernel_size) for layer in _layers_of(model, "Conv2D"))
        assert kernels.count((2, 2)) == 4 and kernels.count((3, 3)) == 9

    @points(1)
    def test_the_waist_is_linear(self, student, reference):
        import keras

        model = local_model(student.build_autoencoder(), reference.values, check_inputs=_inputs(2))
        assert model.get_layer("latent").activation in (None, keras.activations.linear)

    @points(3)
    def test_computes_the_books_network_in_its_order(self, student, reference):
        # The student's weights in the book's layers, in the book's order: an UpSampling2D
        # before its Conv2D, a missing ReLU or a swapped branch gives other outputs.
        expect_reference_function(student.build_autoencoder(), reference.build_autoencoder(),
                                  _inputs(3), what="autoencoder")

    @points(2)
    def test_trains_as_it_predicts_with_drawn_sizes(self, student, reference):
        # fit runs the model in training mode: an extra Dropout or GaussianNoise (no weights of its own)
        # passes every prediction but trains another network than the book's.
        shape, latent_dim, _ = _drawn_arguments(9)
        expect_reference_function(student.build_autoencoder(input_shape=shape, latent_dim=latent_dim),
                                  reference.build_autoencoder(input_shape=shape, latent_dim=latent_dim),
                                  _inputs(10, shape=(3, *shape)), what=f"autoencoder for {shape}")
        expect_same_in_training(student.build_autoencoder(), reference.build_autoencoder(), _inputs(11),
                                what="autoencoder")

    @points(2)
    def test_sigmoid_output(self, student, reference):
        remote = student.build_autoencoder()
        x = _inputs(4, scale=50.0) - 25.0
        y = finite(remote(x), "autoencoder's output")
        assert y.shape == (4, 32, 32, 1)
        assert np.all(y >= 0) and np.all(y <= 1)
        model = local_model(remote, reference.values, check_inputs=x)
        assert model.layers[-1].activation.__name__ == "sigmoid"

    @points(1)
    def test_it_can_learn(self, student, reference):
        # Every weight is trainable and gets a gradient, and a few steps on a batch of fake strokes lower
        # the loss: the graph is connected and trainable. Stepped here, eagerly: tracing fit's training
        # function would cost seconds, the steps themselves a fraction of one.
        import keras
        import tensorflow as tf

        model = local_model(student.build_autoencoder(), reference.values)  # trained here, by the judge
        trainable = {id(w) for w in model.trainable_weights}
        frozen = [w.path for w in model.weights if id(w) not in trainable]
        assert not frozen, f"these weights cannot be trained (a layer with trainable=False?): {frozen[:4]}"
        x = np.zeros((16, 32, 32, 1), dtype="float32")
        x[:, 10:12, 4:28] = 1.0
        optimizer = keras.optimizers.Adam(1e-2)
        losses = []
        for step in range(LEARNING_STEPS):
            with tf.GradientTape() as tape:
                loss = keras.ops.mean(keras.losses.binary_crossentropy(x, model(x, training=True)))
            gradients = tape.gradient(loss, model.trainable_weights)
            if step == 0:
                dead = [w.path for w, g in zip(model.trainable_weights, gradients)
                        if g is None or not np.any(np.asarray(g))]
                assert not dead, f"no gradient of the loss reaches these weights: {dead[:4]}"
            optimizer.apply(gradients, model.trainable_weights)
            losses.append(float(loss))
        assert np.isfinite(losses[-1]) and losses[-1] < 0.7 * losses[0], \
            f"{LEARNING_STEPS} training steps took the loss from {losses[0]:.4f} to {losses[-1]:.4f}"


# ----------------------------------------------------------------------------- the feedback picture
#
# Information for the student, never points: the grader's trained weights set into the student's
# network and into the book's, both redrawing the same held-out cats. With the same weights, a
# network that computes the book's function draws what the book's draws; a decoder block in the
# other order, a missing ReLU or a swapped branch draws something else although its weights fit.
# Only the student's drawings come from the contestant, checked here (finite, the cats' shape);
# the cats, the weights and the book's drawings are the judge's own.

PICTURE_TITLE = "held-out cats redrawn with the grader's trained weights"
SHOWN_CATS = 8
TRAINED_FOR = {"input_shape": (32, 32, 1), "latent_dim": 128}  # the network sharpening_start.npz holds
SAME_DRAWING = 1e-3  # the largest pixel difference still the same drawing (float32 sums in another order)


def record_picture(student, build_the_books) -> None:
    """The picture of ``build_autoencoder`` for the feedback; what goes wrong becomes its note, never an error.

    ``build_the_books``: the master's ``build_autoencoder``, built in the judge.
    """
    try:
        cats, books = _the_books_drawings(build_the_books)
    except Exception as error:  # noqa: BLE001 - the judge's own data or weights are missing: no picture
        print(f"autograder: no picture of build_autoencoder ({type(error).__name__}: {error})")
        return
    try:
        yours, why_not = _your_drawings(student, cats)
    except NotImplementedError:  # not attempted: no picture, as no exercise shows one before it is tried
        return
    except Exception as error:  # noqa: BLE001 - the student's code failed or was refused: the note says so
        yours, why_not = None, f"it could not redraw them ({describe(error)[:300]})."
    pictures.record("build_autoencoder", PICTURE_TITLE, _picture(cats, yours, books),
                    note=_note(yours, books, why_not))


def _trained_weights() -> list:
    """Lesson 2's network after 15 epochs of plain cross-entropy: lesson 3's pinned starting point."""
    from autograder.hidden_tests.test_03_blur import _start_weights  # checks the file's SHA-256

    return _start_weights()


def _the_books_drawings(build_the_books):
    """The first held-out cats of lesson 3's sample, and the book's network's drawings of them with the trained weights.

    Trusted code and data only: the first judge of a grading run draws them for all (0.4 s each).
    """
    from autograder.hidden_tests.test_03_blur import START_SHA256, _cats

    def draw():
        cats = _cats()[1][:SHOWN_CATS]  # lesson 3's held-out cats, loaded as its judge loads them
        model = build_the_books(**TRAINED_FOR)
        model.set_weights(_trained_weights())
        return {"cats": cats.tolist(), "books": np.round(np.asarray(model(cats, training=False)), 5).tolist()}

    drawn = once_per_run(f"build_autoencoder_picture_{START_SHA256[:8]}", draw)
    return np.asarray(drawn["cats"], dtype="float32"), np.asarray(drawn["books"], dtype="float64")


def _your_drawings(student, cats):
    """(drawings, None): the student's network, given the trained weights in the contestant, redrawing ``cats``;
    (None, why not) when the weights do not fit it."""
    called = f"build_autoencoder(input_shape={TRAINED_FOR['input_shape']}, latent_dim={TRAINED_FOR['latent_dim']})"
    trained = _trained_weights()
    model = student.build_autoencoder(**TRAINED_FOR)
    weights = model.get_weights()
    if not isinstance(weights, list) or not all(isinstance(w, np.ndarray) for w in weights):
        return None, f"your {called} is not a Keras model the grader can give weights to."
    misfit = _misfit([tuple(w.shape) for w in weights], [tuple(w.shape) for w in trained])
    if misfit:
        return None, f"the grader's trained weights do not fit your {called}, so it cannot redraw them: {misfit}"
    model.set_weights(trained)
    drawn = as_array(model(cats, training=False), f"{called}'s output", shape=cats.shape)
    return finite(drawn, f"{called}'s output"), None


def _misfit(yours: list[tuple], books: list[tuple]) -> str:
    """Where the weight shapes of the student's network first differ from the book's, in words; '' if they do not."""
    first = next((i for i, (a, b) in enumerate(zip(yours, books)) if a != b), None)
    if first is None and len(yours) == len(books):
        return ""
    if first is None:
        where = (f"yours has {len(yours)} weight arrays, the book's {len(books)}; the first "
                 f"{min(len(yours), len(books))} agree.")
    else:
        where = (f"weight array {first + 1} of {len(books)} is {yours[first]} in yours; in the book's it is "
                 f"{books[first]}, {_what_holds(books[first])}.")
    return (f"{where} Keras lists weights in the order the layers are made: make the layers in the order the "
            "exercise gives, with its filters and kernel sizes (in each encoder block the 3x3 branch first).")


def _what_holds(shape: tuple) -> str:
    """What a weight array of this shape is in the book's network ("the kernel of a 2x2 Conv2D with 4 filters ...")."""
    if len(shape) == 4:
        channels = f"{shape[2]} channel" + ("s" if shape[2] != 1 else "")
        return f"the kernel of a {shape[0]}x{shape[1]} Conv2D with {shape[3]} filters on {channels}"
    if len(shape) == 2:
        return f"the kernel of the Dense waist, {shape[1]} numbers per position from {shape[0]} channels"
    return f"the biases of a layer with {shape[0]} outputs"


def _note(yours, books, why_not: str | None) -> str:
    """What the picture shows, and what the student's row says about their network."""
    weights = ("the grader's trained weights (the book's network after 15 epochs of plain cross-entropy on 1,700 "
               "training cats)")
    if yours is None:
        return (f"Top: {SHOWN_CATS} held-out cats; below: the book's network redrawing them with {weights}. "
                f"Your network is not shown: {why_not}")
    shown = f"Top: {SHOWN_CATS} held-out cats. Both networks were given {weights} and redrew them. "
    worst = float(np.max(np.abs(yours - books)))
    if worst <= SAME_DRAWING:
        return shown + (f"Your network draws what the book's draws (pixels differ by at most {worst:.1g}): with "
                        "the same weights it computes the same function.")
    return shown + (f"Your network draws something else than the book's (a pixel differs by up to {worst:.2f}, on a "
                    "scale from 0 to 1): its weights fit, but it computes another function. Check the order of the "
                    "layers in each block (in the decoder, each Conv2D before its UpSampling2D), their activations "
                    "and which branch comes first in each Concatenate.")


def _picture(cats, yours, books):
    """The cats above each network's drawings of them, one labelled row each (a grey image)."""
    from matplotlib.figure import Figure

    rows = [("held-out cats", cats), *([("your network", yours)] if yours is not None else []),
            ("the book's network", books)]
    side = cats.shape[1]
    figure = Figure(figsize=(8.0, 0.1 + 0.8 * len(rows)), dpi=100)  # 80 pixels a cat
    axes = figure.subplots()
    axes.imshow(np.concatenate([np.concatenate(list(images[..., 0]), axis=1) for _, images in rows]),
                cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    for row in range(1, len(rows)):
        axes.axhline(side * row - 0.5, color="0.6", lw=1)
    axes.set_yticks([side // 2 + side * i for i in range(len(rows))], [name for name, _ in rows], fontsize=14)
    axes.set_xticks([])
    figure.subplots_adjust(left=0.25, right=0.99, top=0.99, bottom=0.01)
    return pictures.from_figure(figure)


class TestExtractEncoder:
    exercise = "extract_encoder"

    @points(2)
    def test_gives_128_numbers_per_image(self, student):
        encoder = student.extract_encoder(student.build_autoencoder())
        assert tuple(encoder.output_shape) == (None, 128)
        codes = np.asarray(encoder(np.zeros((5, 32, 32, 1), dtype="float32")))
        assert codes.shape == (5, 128)

    @points(2)
    def test_codes_are_the_flattened_latent_layer(self, student, reference):
        import keras

        autoencoder = student.build_autoencoder()
        encoder = student.extract_encoder(autoencoder)
        x = _inputs(5, shape=(3, 32, 32, 1))
        # The same weights in the judge's own copy of the autoencoder, cut at the latent layer here.
        ours = reference.build_autoencoder()
        ours.set_weights(autoencoder.get_weights())
        inner = keras.Model(ours.input, ours.get_layer("latent").output)
        codes = finite(encoder(x), "encoder's codes")
        assert codes.shape == (3, 128)
        np.testing.assert_allclose(codes, np.asarray(inner(x)).reshape(3, -1), atol=1e-5)
        # As fit would run it: no layer that acts only in training (a Dropout on the codes).
        np.testing.assert_allclose(finite(encoder(x, training=True), "encoder's codes in training mode"),
                                   np.asarray(inner(x, training=True)).reshape(3, -1), atol=1e-5,
                                   err_msg="in training mode (as fit runs it) your encoder's codes differ from the "
                                           "latent layer's: a Dropout or noise layer? The book's encoder has none")

    @points(2)
    def test_shares_weights_with_the_autoencoder(self, student):
        autoencoder = student.build_autoencoder()
        encoder = student.extract_encoder(autoencoder)
        x = _inputs(6, shape=(2, 32, 32, 1))
        before = finite(encoder(x), "encoder's codes")
        latent = autoencoder.get_layer("latent")
        kernel, bias = latent.get_weights()
        latent.set_weights([kernel * 2.0, bias + 1.0])  # "training" the autoencoder changes the encoder too
        after = finite(encoder(x), "encoder's codes")
        # Per position: new = 2 (old - b) + (b + 1); the flattened code repeats the 32 biases 4 times.
        tiled = np.tile(bias, 4)[None, :]
        np.testing.assert_allclose(after, 2.0 * (before - tiled) + tiled + 1.0, rtol=1e-4, atol=1e-4)

    @points(1)
    def test_has_only_the_encoders_weights(self, student):
        encoder = student.extract_encoder(student.build_autoencoder())
        assert encoder.count_params() == ENCODER_WEIGHTS

    @points(1)
    def test_follows_the_latent_size(self, student):
        encoder = student.extract_encoder(student.build_autoencoder(latent_dim=64))
        assert tuple(encoder.output_shape) == (None, 64)
        shape, latent_dim, _ = _drawn_arguments(12)
        encoder = student.extract_encoder(student.build_autoencoder(input_shape=shape, latent_dim=latent_dim))
        codes = finite(encoder(_inputs(13, shape=(2, *shape))), "encoder's codes")
        assert codes.shape == (2, latent_dim), f"input_shape={shape}, latent_dim={latent_dim}: codes {codes.shape}"


# ----------------------------------------------------------------------------- the design under a budget
#
# A design exercise: how to spend the weights is the student's choice. The judge rebuilds both halves
# here from their layer lists (Keras' own layers only, no weights written into their settings) and
# judges their structure, then trains them itself, joined as decoder(encoder(x)), from weights it
# draws, beside the dense design trained the same way (public_tests/small_autoencoder.py holds the
# rules, the schedule and the measure, which check() runs the same way): the weights the student's
# function returns decide nothing.

LESSON = "02_autoencoder"
SMALL = "build_small_autoencoder"
SMALL_PICTURE = "held-out cats redrawn after the grader's training: the dense design's and yours"


def _small_halves(student, reference):
    """(the student's encoder, decoder) as they run in the contestant, and as rebuilt here (they must agree).

    Once per judge: every test of the exercise asks for the same halves; a failure is kept and
    reported to each. The rebuilt halves carry the student's weights, which only the checks of
    their outputs use (the measure rebuilds from the layer lists alone).
    """
    def rebuild():
        halves = student.build_small_autoencoder()
        got = f"a {type(halves).__name__} of {len(halves)}" if isinstance(halves, (tuple, list)) else repr(halves)[:120]
        assert isinstance(halves, (tuple, list)) and len(halves) == 2, \
            f"build_small_autoencoder() returned {got}, expected two models: (encoder, decoder)"
        remote_encoder, remote_decoder = halves
        encoder = local_model(remote_encoder, reference.values, check_inputs=_inputs(20, shape=(3, 32, 32, 1)),
                              what="encoder")
        unchecked = local_model(remote_decoder, reference.values, what="decoder")
        assert not isinstance(unchecked.input_shape, list), \
            f"your decoder has {len(unchecked.input_shape)} inputs, expected one: the code"
        codes = fresh_rng(21).normal(size=(3, *unchecked.input_shape[1:])).astype("float32")
        decoder = local_model(remote_decoder, reference.values, check_inputs=codes, what="decoder")
        return remote_encoder, remote_decoder, encoder, decoder

    return once_per_judge((SMALL, "halves", id(student.connection)), rebuild)


def _judged_images(images, n, what):
    from public_tests import small_autoencoder

    return _by_the_rules(small_autoencoder.expect_images, finite(images, what), n, what)


def _by_the_rules(rule, *args):
    """``rule(*args)`` of public_tests/small_autoencoder.py; its NotUsable as a failed check with its message."""
    from public_tests import small_autoencoder

    try:
        return rule(*args)
    except small_autoencoder.NotUsable as problem:
        raise AssertionError(str(problem)) from None


class TestBuildSmallAutoencoder:
    exercise = SMALL

    @points(1)
    def test_shapes_and_a_code_of_at_most_32_numbers(self, student, reference):
        from public_tests import small_autoencoder

        remote_encoder, remote_decoder, encoder, decoder = _small_halves(student, reference)
        _by_the_rules(small_autoencoder.expect_halves, encoder, decoder)
        images = _inputs(22, shape=(5, 32, 32, 1))
        codes = finite(remote_encoder(images, training=False), "encoder's codes")
        assert codes.shape == (5, *small_autoencoder.code_shape(encoder)), f"your encoder's codes: shape {codes.shape}"
        drawn = finite(remote_decoder(codes.astype("float32"), training=False), "decoder's images")
        assert drawn.shape == (5, 32, 32, 1), f"decoder(encoder(images)): shape {drawn.shape}, expected (5, 32, 32, 1)"

    @points(1)
    def test_within_the_budget(self, student, reference):
        from public_tests import small_autoencoder

        _by_the_rules(small_autoencoder.expect_within_budget, *_small_halves(student, reference)[2:])

    @points(1)
    def test_images_of_probabilities(self, student, reference):
        # Judge-drawn images (beyond [0, 1] too) and codes far out: with the student's weights, in the
        # contestant, and with weights drawn here for every array, whatever the initializers say.
        from public_tests import small_autoencoder
        from public_tests.conditioning import drawn_weights

        remote_encoder, remote_decoder, encoder, decoder = _small_halves(student, reference)
        _by_the_rules(small_autoencoder.expect_halves, encoder, decoder)
        rng = fresh_rng(23)
        images = (rng.random((8, 32, 32, 1)) * 6 - 1).astype("float32")
        codes = (rng.normal(size=(8, *small_autoencoder.code_shape(encoder))) * 8).astype("float32")
        theirs = finite(remote_encoder(images, training=False), "encoder's codes").astype("float32")
        for inputs in (theirs, codes):
            _judged_images(remote_decoder(inputs, training=False), 8, "decoder's images")
        encoder.set_weights(drawn_weights(encoder, rng))
        decoder.set_weights(drawn_weights(decoder, rng))
        for inputs in (np.asarray(encoder(images, training=False)), codes):
            _judged_images(np.asarray(decoder(inputs, training=False)), 8, "decoder's images with weights the grader drew")

    @points(1)
    def test_only_keras_layers_and_no_weights_in_them(self, student, reference):
        # The grader trains the layers, never the weights handed in: their settings may not carry any.
        from public_tests import small_autoencoder

        seed = int(fresh_rng(24).integers(0, 2**31))
        for model, what in zip(_small_halves(student, reference)[2:], ("encoder", "decoder")):
            _by_the_rules(small_autoencoder.rebuilt, model, seed, what)

    @points(3)
    def test_trained_by_the_grader_it_beats_the_dense_design(self, student, reference):
        ratio = once_per_judge((SMALL, grading_seed(), id(student.connection)),
                               lambda: measure_small_autoencoder(student, reference, grading_seed()))["ce_ratio"]
        expect_threshold(LESSON, SMALL, "ce_ratio", ratio,
                         "held-out cross-entropy of your design / of the dense design, after the same training")


SHOWN_SMALL = 8
# The rules, the schedule and the measure live in public_tests/small_autoencoder.py (check() runs
# them too), which the calibration fingerprint does not follow: the digest of the definitions the
# measured value depends on is written here, so that changing them changes this module and asks
# for a recalibration (tests/test_calibrate.py).
SCHEDULE_DEFINITIONS = ("IMAGE_SHAPE", "CODE_SIZE", "TRAIN_STEPS", "BATCH_SIZE", "LEARNING_RATE", "dense_design",
                        "rebuilt", "together", "train", "trained", "cross_entropy", "held_out_cross_entropy")
SCHEDULE_AST_SHA256 = "d0098fe5a9c76eae9c63d071acc8ae2ee3e8bcd1510ad8e9545973699d991f0c"
# `rebuilt` above hands the drawing of fresh weights to lesson 6's public_tests/conditioning.py:
# a change there changes what is measured here too.
REBUILT_DEFINITIONS = ("rebuilt",)
REBUILT_AST_SHA256 = "a1589cc0aac01fdd65ac9bb8b3c8bf967ee5fa51702db5df71a01880a27facf8"


def _calibrated_schedule():
    """public_tests.small_autoencoder, if its measured definitions are those the pass mark was calibrated with."""
    from autograder.hidden_tests.shared import definitions_digest
    from public_tests import conditioning, small_autoencoder

    if definitions_digest(small_autoencoder, SCHEDULE_DEFINITIONS) != SCHEDULE_AST_SHA256:
        raise RuntimeError("the measure in public_tests/small_autoencoder.py changed since the pass mark was calibrated: "
                           "set SCHEDULE_AST_SHA256 to its definitions_digest and recalibrate lesson 02_autoencoder")
    if definitions_digest(conditioning, REBUILT_DEFINITIONS) != REBUILT_AST_SHA256:
        raise RuntimeError("public_tests/conditioning.py's `rebuilt`, which draws the weights measured here, changed since "
                           "the pass mark was calibrated: set REBUILT_AST_SHA256 to its definitions_digest and "
                           "recalibrate lesson 02_autoencoder")
    return small_autoencoder


def measure_small_autoencoder(student, reference, seed: int) -> dict[str, float]:
    """Train the student's halves (rebuilt, weights drawn here) and the dense design the same way; compare.

    ce_ratio  held-out cross-entropy of the student's design / the dense design's, both trained
              here with the same schedule, batches and seed (lower is better; the dense design
              handed in scores 1)
    """
    from autograder.hidden_tests.test_03_blur import _cats

    schedule = _calibrated_schedule()
    x_train, x_test = _cats()
    encoder, decoder = _small_halves(student, reference)[2:]

    def run(halves):
        autoencoder = _by_the_rules(schedule.trained, *halves, x_train, seed)
        ce = _by_the_rules(schedule.held_out_cross_entropy, autoencoder, x_test)
        return {"ce": ce, "shown": np.round(np.asarray(autoencoder(x_test[:SHOWN_SMALL], training=False))[..., 0], 3).tolist()}

    # The dense design involves no student code: one judge of the grading run trains it for all.
    dense = once_per_run(f"small_autoencoder_dense_seed{seed}", lambda: run(schedule.dense_design()))
    yours = run((encoder, decoder))
    rows = [x_test[:SHOWN_SMALL, ..., 0], np.asarray(dense["shown"]), np.asarray(yours["shown"])]
    pictures.record(SMALL, SMALL_PICTURE, np.concatenate([np.concatenate(list(row), axis=1) for row in rows]),
                    note=f"Top: held-out cats; middle: the dense design (held-out cross-entropy {dense['ce']:.4f}); "
                         f"bottom: yours ({yours['ce']:.4f}), both trained by the grader from the same start.")
    return {"ce_ratio": yours["ce"] / dense["ce"]}


MEASURES = {"build_small_autoencoder": measure_small_autoencoder}  # a literal: autograder/registry.py reads it
DIRECTIONS = {"ce_ratio": "min"}
# The dense design handed in is rebuilt and trained exactly as the yardstick: a ratio of 1.
BASELINES = {"ce_ratio": 1.0}

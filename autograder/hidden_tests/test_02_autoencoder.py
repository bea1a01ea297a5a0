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
"""

from __future__ import annotations

import numpy as np

from autograder.hidden_tests.shared import fresh_rng
from autograder.testing import expect_reference_function, expect_same_in_training, finite, local_model, points

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

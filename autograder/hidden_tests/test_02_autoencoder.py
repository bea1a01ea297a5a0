"""Hidden tests of lesson 02_autoencoder: the book's hourglass, exactly, and its encoder.

The architecture is fully specified in the exercise, so its weight count is a closed form:
    encoder  (3*3*1+1)*4 + (2*2*1+1)*4 + (3*3*8+1)*8 + (2*2*8+1)*8
           + (3*3*16+1)*16 + (2*2*16+1)*16 + (3*3*32+1)*32 + (2*2*32+1)*32   = 17,644
    waist    64*32 + 32                                                        =  2,080
    decoder  (3*3*32+1)*32 + (3*3*32+1)*16 + (3*3*16+1)*8 + (3*3*8+1)*4        = 15,324
    output   3*3*4 + 1                                                         =     37
    total                                                                        35,085
"""

from __future__ import annotations

import numpy as np

from autograder.testing import expect_reference_function, local_model, points

WEIGHTS = 35_085
ENCODER_WEIGHTS = 17_644 + 2_080


def _layers_of(model, kind):
    return [layer for layer in model.layers if type(layer).__name__ == kind]


def _inputs(seed, shape=(4, 32, 32, 1), scale=1.0):
    """Images drawn here at grading time (``seed`` mixed with fresh entropy): no answer can be prepared for them."""
    import secrets

    rng = np.random.default_rng([seed, secrets.randbits(32)])
    return (rng.random(shape) * scale).astype("float32")


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
        latent = student.build_autoencoder(latent_dim=64).get_layer("latent")
        assert int(np.prod(latent.output.shape[1:])) == 64

    @points(1)
    def test_other_input_sizes(self, student):
        model = student.build_autoencoder(input_shape=(64, 64, 1))
        assert tuple(model.output_shape) == (None, 64, 64, 1)
        assert int(np.prod(model.get_layer("latent").output.shape[1:])) == 128

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
    def test_sigmoid_output(self, student, reference):
        remote = student.build_autoencoder()
        x = _inputs(4, scale=50.0) - 25.0
        y = remote(x)
        assert isinstance(y, np.ndarray) and y.shape == (4, 32, 32, 1)
        assert np.all(y >= 0) and np.all(y <= 1)
        model = local_model(remote, reference.values, check_inputs=x)
        assert model.layers[-1].activation.__name__ == "sigmoid"

    @points(1)
    def test_it_can_learn(self, student, reference):
        # A few steps on a tiny batch of fake strokes must lower the loss: the graph is connected and trainable.
        import keras

        keras.utils.set_random_seed(0)
        model = local_model(student.build_autoencoder(), reference.values)  # trained here, by the judge
        x = np.zeros((32, 32, 32, 1), dtype="float32")
        x[:, 10:12, 4:28] = 1.0
        model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy")
        before = model.evaluate(x, x, verbose=0)
        model.fit(x, x, epochs=15, batch_size=32, verbose=0)
        assert model.evaluate(x, x, verbose=0) < 0.7 * before


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
        codes = encoder(x)
        assert isinstance(codes, np.ndarray) and codes.shape == (3, 128)
        np.testing.assert_allclose(codes, np.asarray(inner(x)).reshape(3, -1), atol=1e-5)

    @points(2)
    def test_shares_weights_with_the_autoencoder(self, student):
        autoencoder = student.build_autoencoder()
        encoder = student.extract_encoder(autoencoder)
        x = _inputs(6, shape=(2, 32, 32, 1))
        before = np.asarray(encoder(x))
        latent = autoencoder.get_layer("latent")
        kernel, bias = latent.get_weights()
        latent.set_weights([kernel * 2.0, bias + 1.0])  # "training" the autoencoder changes the encoder too
        after = np.asarray(encoder(x))
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

"""ShowSamples: what the decoder draws from fixed inputs, one row per shown epoch, in a notebook or headless."""

from __future__ import annotations

import io

import IPython
import IPython.display
import keras
import numpy as np
import pytest
from PIL import Image

from aecourse.training import LABEL_HEIGHT, ShowSamples

LATENT, SIDE, N = 2, 4, 5


class TinyVAE(keras.Model):
    """Just enough of a VAE for the callback: a `decoder` attribute, trained to draw all-ink images."""

    def __init__(self):
        super().__init__()
        self.decoder = keras.Sequential([keras.Input((LATENT,)), keras.layers.Dense(SIDE * SIDE, activation="sigmoid"),
                                         keras.layers.Reshape((SIDE, SIDE))])

    def call(self, z):
        return self.decoder(z)


def fit(callback, epochs: int, learning_rate: float = 0.1) -> TinyVAE:
    keras.utils.set_random_seed(0)
    model = TinyVAE()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="mse")
    z = np.random.default_rng(1).standard_normal((16, LATENT)).astype("float32")
    model.fit(z, np.ones((16, SIDE, SIDE), "float32"), epochs=epochs, batch_size=16, verbose=0, callbacks=[callback])
    return model


def fixed_z() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((N, LATENT)).astype("float32")


def test_one_row_per_epoch_decoded_from_the_same_inputs():
    samples = ShowSamples(fixed_z())
    model = fit(samples, epochs=3)
    assert samples.epochs == [1, 2, 3]
    assert [row.shape for row in samples.rows] == [(N, SIDE, SIDE)] * 3
    # The last row is the trained decoder's drawing of exactly those inputs.
    np.testing.assert_allclose(samples.rows[-1], model.decoder(fixed_z()).numpy(), rtol=1e-5)
    # Trained towards ink, each row is darker than the one before: the rows are comparable pictures.
    means = [row.mean() for row in samples.rows]
    assert means[0] < means[1] < means[2]


def test_a_decoder_that_does_not_learn_draws_the_same_row_every_epoch():
    """Fixed inputs: the only change between rows is the training."""
    samples = ShowSamples(fixed_z())
    fit(samples, epochs=3, learning_rate=0.0)
    for row in samples.rows[1:]:
        np.testing.assert_array_equal(row, samples.rows[0])


def test_a_long_run_shows_every_kth_epoch_and_the_last():
    samples = ShowSamples(fixed_z(), max_rows=4)
    fit(samples, epochs=10)
    assert samples.epochs == [3, 6, 9, 10]
    again = ShowSamples(fixed_z(), max_rows=4)  # a second fit starts a new picture
    fit(again, epochs=2)
    assert again.epochs == [1, 2]


def test_an_explicit_decoder_is_used_instead_of_the_models():
    other = keras.Sequential([keras.Input((LATENT,)), keras.layers.Dense(SIDE * SIDE, activation="sigmoid",
                                                                         kernel_initializer="zeros"),
                              keras.layers.Reshape((SIDE, SIDE))])
    samples = ShowSamples(fixed_z(), decoder=other)
    fit(samples, epochs=2)
    np.testing.assert_allclose(samples.rows[0], 0.5)  # sigmoid(0): the untrained other decoder


def test_the_picture_has_a_labelled_row_per_shown_epoch():
    samples = ShowSamples(fixed_z(), title="samples")
    fit(samples, epochs=3)
    picture = Image.open(io.BytesIO(samples.png()))
    scale = round(2 * LABEL_HEIGHT / SIDE)
    grid_width, grid_height = (N * (SIDE + 1) - 1) * scale, (3 * (SIDE + 1) - 1) * scale
    assert picture.size == (grid_width + 6 * LABEL_HEIGHT, grid_height + 2 * LABEL_HEIGHT)
    long_title = ShowSamples(fixed_z(), title="a title far wider than five images of four pixels")
    long_title.epochs, long_title.rows = samples.epochs, samples.rows
    wide = Image.open(io.BytesIO(long_title.png()))
    assert wide.size[0] > picture.size[0] and wide.size[1] == picture.size[1]  # the whole title fits
    pixels = np.asarray(picture)
    top, left = 2 * LABEL_HEIGHT, 6 * LABEL_HEIGHT
    first_image = pixels[top:top + SIDE * scale, left:left + SIDE * scale]
    expected = np.round(255 * (1 - samples.rows[0][0])).astype(np.uint8)
    np.testing.assert_array_equal(first_image[::scale, ::scale], expected)  # ink dark on white, image 0 of epoch 1
    assert pixels[top:, :left].min() < 128  # the "epoch k" labels are drawn left of the rows


@pytest.mark.parametrize("shell", [None, object()], ids=["no IPython", "IPython in a terminal"])
def test_headless_it_shows_nothing(monkeypatch, shell):
    """Without a Jupyter kernel (a script, a terminal, the grader, pytest) nothing is displayed, and nothing fails."""
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: pytest.fail("displayed outside a notebook"))
    samples = ShowSamples(fixed_z())
    fit(samples, epochs=2)
    assert samples.epochs == [1, 2]


def test_in_a_notebook_one_picture_is_updated_in_place(monkeypatch):
    shown = []

    class Handle:
        def update(self, picture):
            shown.append(("update", picture))

    def display(picture, display_id=None):
        assert display_id is True, "displayed without a handle: it could not be updated in place"
        shown.append(("display", picture))
        return Handle()

    class Kernel:  # IPython's shell in a Jupyter kernel has one
        kernel = object()

    monkeypatch.setattr(IPython, "get_ipython", Kernel)
    monkeypatch.setattr(IPython.display, "display", display)
    samples = ShowSamples(fixed_z())
    fit(samples, epochs=3)
    assert [kind for kind, _ in shown] == ["display", "update", "update"]
    heights = [Image.open(io.BytesIO(picture.data)).size[1] for _, picture in shown]
    assert heights[0] < heights[1] < heights[2]  # a row more each epoch


def test_max_rows_must_be_positive():
    with pytest.raises(ValueError, match="max_rows"):
        ShowSamples(fixed_z(), max_rows=0)

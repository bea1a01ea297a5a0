"""Hidden tests of lesson 05_latent_space.

`latent_grid` is checked with a FAKE decoder that paints its input into the image (left
half of each 28x28 tile = z[0], right half = z[1]), so the orientation of rows and
columns and the linspace endpoints are verified exactly. `interpolate` is checked on
points written out by hand. No training: nothing here depends on a trained model.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from autograder.testing import points


class Paint(keras.layers.Layer):
    """(m, 2) -> (m, 28, 28): left half of each image = z[0], right half = z[1]."""

    def call(self, z):
        batch = ops.shape(z)[0]
        left = ops.broadcast_to(ops.reshape(z[:, 0], (-1, 1, 1)), (batch, 28, 14))
        right = ops.broadcast_to(ops.reshape(z[:, 1], (-1, 1, 1)), (batch, 28, 14))
        return ops.concatenate([left, right], axis=2)


def painting_decoder():
    z = keras.Input(shape=(2,))
    return keras.Model(z, Paint()(z))


def painted(grid, n):
    """(n, n, 2): the (z0, z1) painted in each tile; asserts every tile is one flat painting."""
    grid = np.asarray(grid, dtype="float64")
    assert grid.shape == (n * 28, n * 28)
    out = np.zeros((n, n, 2))
    for i in range(n):
        for j in range(n):
            tile = grid[i * 28:(i + 1) * 28, j * 28:(j + 1) * 28]
            assert np.ptp(tile[:, :14]) < 1e-6 and np.ptp(tile[:, 14:]) < 1e-6, f"tile ({i}, {j}) is not one image"
            out[i, j] = tile[0, 0], tile[0, 14]
    return out


class TestLatentGrid:
    exercise = "latent_grid"

    @points(1)
    def test_size(self, student):
        assert np.shape(student.latent_grid(painting_decoder(), n=10, span=1.5)) == (280, 280)
        assert np.shape(student.latent_grid(painting_decoder(), n=4, span=2.0)) == (112, 112)

    @points(2)
    def test_three_by_three_exactly(self, student):
        # values = linspace(-1.5, 1.5, 3) = (-1.5, 0, 1.5); tile (i, j) holds z = (values[j], values[i]).
        got = painted(student.latent_grid(painting_decoder(), n=3, span=1.5), 3)
        expected = np.array([
            [[-1.5, -1.5], [0.0, -1.5], [1.5, -1.5]],
            [[-1.5, 0.0], [0.0, 0.0], [1.5, 0.0]],
            [[-1.5, 1.5], [0.0, 1.5], [1.5, 1.5]],
        ])
        np.testing.assert_allclose(got, expected, atol=1e-6)

    @points(2)
    def test_rows_follow_z1_and_columns_follow_z0(self, student):
        # n = 4, span = 2: values = (-2, -2/3, 2/3, 2), endpoints included.
        got = painted(student.latent_grid(painting_decoder(), n=4, span=2.0), 4)
        values = np.array([-2.0, -0.6666667, 0.6666667, 2.0])
        for i in range(4):
            for j in range(4):
                np.testing.assert_allclose(got[i, j], [values[j], values[i]], atol=1e-5)

    @points(1)
    def test_the_books_grid(self, student):
        # n = 10 over [-1.5, 1.5]: step 1/3; corners and one inner cell (row 2, column 7).
        got = painted(student.latent_grid(painting_decoder(), n=10, span=1.5), 10)
        np.testing.assert_allclose(got[0, 0], [-1.5, -1.5], atol=1e-5)
        np.testing.assert_allclose(got[0, 9], [1.5, -1.5], atol=1e-5)
        np.testing.assert_allclose(got[9, 0], [-1.5, 1.5], atol=1e-5)
        np.testing.assert_allclose(got[2, 7], [0.8333333, -0.8333333], atol=1e-5)


class TestInterpolate:
    exercise = "interpolate"

    @points(2)
    def test_quarters_by_hand(self, student):
        got = np.asarray(student.interpolate(np.array([0.0, 0.0]), np.array([1.0, 2.0]), 5), dtype="float64")
        expected = [[0.0, 0.0], [0.25, 0.5], [0.5, 1.0], [0.75, 1.5], [1.0, 2.0]]
        np.testing.assert_allclose(got, expected, atol=1e-6)

    @points(2)
    def test_endpoints_are_included_exactly(self, student):
        rng = np.random.default_rng(0)
        start, end = rng.normal(size=32).astype("float32"), rng.normal(size=32).astype("float32")
        got = np.asarray(student.interpolate(start, end, 7), dtype="float64")
        assert got.shape == (7, 32)
        np.testing.assert_allclose(got[0], start, atol=1e-6)
        np.testing.assert_allclose(got[-1], end, atol=1e-6)

    @points(1)
    def test_points_are_evenly_spaced_on_a_line(self, student):
        rng = np.random.default_rng(1)
        got = np.asarray(student.interpolate(rng.normal(size=3), rng.normal(size=3), 9), dtype="float64")
        steps = np.diff(got, axis=0)
        np.testing.assert_allclose(steps, np.tile(steps[0], (8, 1)), atol=1e-5)  # constant step: linear

    @points(1)
    def test_two_steps_are_the_two_ends(self, student):
        got = np.asarray(student.interpolate(np.array([1.0, -1.0, 3.0]), np.array([-2.0, 5.0, 3.0]), 2), dtype="float64")
        np.testing.assert_allclose(got, [[1.0, -1.0, 3.0], [-2.0, 5.0, 3.0]], atol=1e-6)

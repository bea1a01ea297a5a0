"""Hidden tests of lesson 05_latent_space.

`latent_grid` is given decoders built in the contestant from weights chosen here: a linear
decoder Dense(784) -> Reshape(28, 28), so the judge knows in closed form what each latent
point decodes to. A "painting" choice of weights (left half of each 28x28 tile = z[0], right
half = z[1]) verifies the orientation of rows and columns and the linspace endpoints exactly;
random weights drawn at grading time, with random n and span, check the whole picture.
`interpolate` is checked on points drawn at grading time against the closed form. Every
array returned is checked finite before it is compared.
No training: nothing here depends on a trained model.
"""

from __future__ import annotations

import numpy as np

from autograder.hidden_tests.shared import fresh_rng as _fresh_rng
from autograder.testing import finite, points

TILE = 28


# ----------------------------------------------------------------------------- latent_grid

def _painting_weights():
    """Dense weights that paint z[0] into the left half of the image and z[1] into the right half."""
    kernel = np.zeros((2, TILE, TILE), dtype="float32")
    kernel[0, :, :14] = 1.0
    kernel[1, :, 14:] = 1.0
    return kernel.reshape(2, TILE * TILE), np.zeros(TILE * TILE, dtype="float32")


def _grid(student, kernel, bias, n, span):
    grid = student.probe("latent_grid_of_a_linear_decoder", kernel, bias, n, span)
    assert isinstance(grid, np.ndarray), f"latent_grid returned {type(grid).__name__}, not an array"
    return finite(grid, f"latent_grid(decoder, n={n}, span={span:.4g})")


def painting_grid(student, n, span):
    return _grid(student, *_painting_weights(), n, span)


def expected_grid(kernel, bias, n, span):
    """The closed form: tile (i, j) is the linear decoder's image of z = (values[j], values[i])."""
    values = np.linspace(-span, span, n)
    grid = np.zeros((n * TILE, n * TILE))
    for i in range(n):
        for j in range(n):
            image = (np.array([values[j], values[i]]) @ kernel.astype("float64") + bias).reshape(TILE, TILE)
            grid[i * TILE:(i + 1) * TILE, j * TILE:(j + 1) * TILE] = image
    return grid


def painted(grid, n):
    """(n, n, 2): the (z0, z1) painted in each tile; asserts every tile is one flat painting."""
    grid = np.asarray(grid, dtype="float64")
    assert grid.shape == (n * TILE, n * TILE)
    out = np.zeros((n, n, 2))
    for i in range(n):
        for j in range(n):
            tile = grid[i * TILE:(i + 1) * TILE, j * TILE:(j + 1) * TILE]
            assert np.ptp(tile[:, :14]) < 1e-6 and np.ptp(tile[:, 14:]) < 1e-6, f"tile ({i}, {j}) is not one image"
            out[i, j] = tile[0, 0], tile[0, 14]
    return out


class TestLatentGrid:
    exercise = "latent_grid"

    @points(1)
    def test_size(self, student):
        assert np.shape(painting_grid(student, n=10, span=1.5)) == (280, 280)
        small = painting_grid(student, n=4, span=2.0)
        assert np.shape(small) == (112, 112)
        # The corner tiles hold the corners of the square (a blank picture of the right size does not).
        np.testing.assert_allclose(painted(small, 4)[[0, -1], [0, -1]], [[-2.0, -2.0], [2.0, 2.0]], atol=1e-5)

    @points(2)
    def test_three_by_three_exactly(self, student):
        # values = linspace(-1.5, 1.5, 3) = (-1.5, 0, 1.5); tile (i, j) holds z = (values[j], values[i]).
        got = painted(painting_grid(student, n=3, span=1.5), 3)
        expected = np.array([
            [[-1.5, -1.5], [0.0, -1.5], [1.5, -1.5]],
            [[-1.5, 0.0], [0.0, 0.0], [1.5, 0.0]],
            [[-1.5, 1.5], [0.0, 1.5], [1.5, 1.5]],
        ])
        np.testing.assert_allclose(got, expected, atol=1e-6)

    @points(2)
    def test_rows_follow_z1_and_columns_follow_z0(self, student):
        # n and span drawn now: values = linspace(-span, span, n), endpoints included.
        rng = _fresh_rng(50)
        n, span = int(rng.integers(2, 9)), float(rng.uniform(0.3, 4.0))
        got = painted(painting_grid(student, n=n, span=span), n)
        values = np.linspace(-span, span, n)
        for i in range(n):
            for j in range(n):
                np.testing.assert_allclose(got[i, j], [values[j], values[i]], atol=1e-5,
                                           err_msg=f"tile ({i}, {j}) of latent_grid(decoder, n={n}, span={span:.4g})")

    @points(1)
    def test_the_books_grid(self, student):
        # n = 10 over [-1.5, 1.5]: step 1/3; corners and one inner cell (row 2, column 7).
        got = painted(painting_grid(student, n=10, span=1.5), 10)
        np.testing.assert_allclose(got[0, 0], [-1.5, -1.5], atol=1e-5)
        np.testing.assert_allclose(got[0, 9], [1.5, -1.5], atol=1e-5)
        np.testing.assert_allclose(got[9, 0], [-1.5, 1.5], atol=1e-5)
        np.testing.assert_allclose(got[2, 7], [0.8333333, -0.8333333], atol=1e-5)

    @points(2)
    def test_a_random_decoder_drawn_at_grading_time(self, student):
        """Random decoder weights, n and span: every pixel of the picture against the closed form."""
        rng = _fresh_rng(51)
        n, span = int(rng.integers(2, 8)), float(rng.uniform(0.5, 3.0))
        kernel = rng.normal(size=(2, TILE * TILE)).astype("float32")
        bias = rng.normal(size=TILE * TILE).astype("float32")
        grid = _grid(student, kernel, bias, n, span)
        assert grid.shape == (n * TILE, n * TILE), f"shape {grid.shape} for n = {n}"
        np.testing.assert_allclose(grid, expected_grid(kernel, bias, n, span), atol=1e-4, rtol=1e-4)


# ----------------------------------------------------------------------------- interpolate

def _line(start, end, steps):
    """The closed form: row k = (1 - t_k) start + t_k end, t_k = k / (steps - 1)."""
    t = np.arange(steps)[:, None] / (steps - 1)
    return (1 - t) * np.asarray(start, dtype="float64") + t * np.asarray(end, dtype="float64")


def _interpolate(student, start, end, steps):
    got = student.interpolate(start, end, steps)
    assert isinstance(got, np.ndarray), f"interpolate returned {type(got).__name__}, not an array"
    return finite(got, f"interpolate(z_start, z_end, {steps})")


class TestInterpolate:
    exercise = "interpolate"

    @points(2)
    def test_quarters(self, student):
        # Five steps are quarters: row k = start + k (end - start) / 4, on points drawn now.
        rng = _fresh_rng(54)
        dim = int(rng.integers(1, 6))
        start, end = rng.integers(-8, 9, dim).astype("float64"), rng.integers(-8, 9, dim).astype("float64")
        got = _interpolate(student, start, end, 5)
        assert got.shape == (5, dim), f"shape {got.shape} for 5 steps in {dim} dimensions"
        np.testing.assert_allclose(got, [start + k * (end - start) / 4 for k in range(5)], atol=1e-5)

    @points(2)
    def test_endpoints_are_included_exactly(self, student):
        rng = _fresh_rng(52)
        dim, steps = int(rng.integers(2, 40)), int(rng.integers(3, 12))
        start, end = rng.normal(size=dim).astype("float32"), rng.normal(size=dim).astype("float32")
        got = _interpolate(student, start, end, steps)
        assert got.shape == (steps, dim), f"shape {got.shape} for {steps} steps in {dim} dimensions"
        np.testing.assert_allclose(got[0], start, atol=1e-6)
        np.testing.assert_allclose(got[-1], end, atol=1e-6)

    @points(1)
    def test_points_are_evenly_spaced_on_a_line(self, student):
        rng = _fresh_rng(53)
        start, end, steps = rng.normal(size=3), rng.normal(size=3), int(rng.integers(4, 12))
        got = _interpolate(student, start, end, steps)
        assert got.shape == (steps, 3)
        # From start to end (not any line), in steps - 1 equal steps of (end - start) / (steps - 1).
        np.testing.assert_allclose(got[0], start, atol=1e-5)
        np.testing.assert_allclose(np.diff(got, axis=0), np.tile((end - start) / (steps - 1), (steps - 1, 1)), atol=1e-5)
        np.testing.assert_allclose(got, _line(start, end, steps), atol=1e-5)

    @points(1)
    def test_two_steps_are_the_two_ends(self, student):
        rng = _fresh_rng(55)
        start = rng.normal(size=int(rng.integers(1, 9))) * 3
        end = rng.normal(size=start.shape) * 3
        end[0] = start[0]  # one coordinate that does not move
        got = _interpolate(student, start, end, 2)
        np.testing.assert_allclose(got, [start, end], atol=1e-5)

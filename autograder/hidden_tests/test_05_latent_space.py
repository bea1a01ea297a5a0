"""Hidden tests of lesson 05_latent_space.

`latent_grid` is given decoders built in the contestant from weights chosen here: a linear
decoder Dense(784) -> Reshape(28, 28), so the judge knows in closed form what each latent
point decodes to. A "painting" choice of weights (left half of each 28x28 tile = z[0], right
half = z[1]) verifies the orientation of rows and columns and the linspace endpoints exactly;
random weights drawn at grading time, with random n and span, check the whole picture.
`interpolate` is checked on points drawn at grading time against the closed form.
`choose_span` is judged by the properties its docstring states, on clouds of codes drawn at
grading time (normal at any scale, heavy-tailed, with far outliers, off-centre, wider in z[1],
small): the share of codes inside its square and its room against the smallest span holding
99 %, and, through a probe, that it leaves the codes unchanged. Every array returned is checked
finite before it is compared.
No training: nothing here depends on a trained model.
"""

from __future__ import annotations

import numpy as np

from autograder.hidden_tests.shared import fresh_rng as _fresh_rng
from autograder.testing import finite, points
from public_tests.checks_05_latent_space import COVERAGE, ROOM, smallest_span_holding

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


# ----------------------------------------------------------------------------- choose_span

# choose_span's goal in numbers, COVERAGE and ROOM, and smallest_span_holding come from its public
# checks: one definition for check() and the grader.

def _span(student, codes, what):
    """The student's span for the judge's ``codes`` (one positive finite number), and the codes afterwards."""
    span, after = student.probe("choose_span_and_the_codes_after", codes)
    one_number = not isinstance(span, bool) and (isinstance(span, (int, float)) or
                                                 (isinstance(span, np.ndarray) and span.ndim == 0))
    assert one_number, (
        f"choose_span({what}) must return one number (a float), got "
        + (f"an array of shape {span.shape}" if isinstance(span, np.ndarray) else f"{span!r}"[:80])
        + ": the map is a square, one span for both coordinates")
    span = float(finite(span, f"choose_span({what})"))
    assert span > 0, f"choose_span({what}) = {span:.4g}; expected a positive span"
    return span, after


def _assert_a_good_span(student, codes, what):
    """At least COVERAGE of the codes inside, and span <= ROOM x the smallest span holding 99 %."""
    span, _ = _span(student, codes, what)
    inside = float(np.mean(np.all(np.abs(codes) <= span, axis=1)))
    assert inside >= COVERAGE - 1 / len(codes), (
        f"choose_span({what}) = {span:.4g} holds {inside:.1%} of the codes; expected at least {COVERAGE:.0%}. "
        "A code is inside only when both its coordinates are")
    room = smallest_span_holding(codes, 0.99)
    assert span <= ROOM * room, (
        f"choose_span({what}) = {span:.4g}; expected at most {ROOM} x {room:.4g} = {ROOM * room:.4g} (the smallest "
        "span holding 99 % of the codes, times 1.25): the square is wasted on empty plane. Does one far code "
        "move your summary much?")


def _normal(rng, m, scale=1.0):
    return rng.normal(size=(m, 2)) * scale


def _with_outliers(rng, m):
    """N(0, I) codes, 0.3 % to 0.5 % of them (at least 2) moved to |z| = 30..60, random signs."""
    codes = _normal(rng, m)
    k = max(2, int(rng.uniform(0.003, 0.005) * m))
    codes[rng.choice(m, k, replace=False)] = rng.choice([-1.0, 1.0], size=(k, 2)) * rng.uniform(30, 60, size=(k, 2))
    return codes


class TestChooseSpan:
    exercise = "choose_span"

    @points(1)
    def test_one_positive_number_for_a_normal_cloud(self, student):
        rng = _fresh_rng(60)
        m = int(rng.integers(500, 5000))
        _assert_a_good_span(student, _normal(rng, m), f"{m} codes from N(0, I)")

    @points(2)
    def test_clouds_of_any_scale(self, student):
        # Scales drawn now, one smaller and one larger than N(0, I): a span of the codes, not of the VAE.
        rng = _fresh_rng(61)
        for scale in (rng.uniform(0.05, 0.3), rng.uniform(8.0, 40.0)):
            m = int(rng.integers(300, 5000))
            _assert_a_good_span(student, _normal(rng, m, scale), f"{m} codes from N(0, {scale:.3g}² I)")

    @points(1)
    def test_heavy_tails(self, student):
        rng = _fresh_rng(62)
        for _ in range(2):
            m, df = int(rng.integers(1000, 8000)), float(rng.uniform(2.0, 4.0))
            _assert_a_good_span(student, rng.standard_t(df, size=(m, 2)), f"{m} codes from Student's t, {df:.2f} dof")

    @points(2)
    def test_a_few_far_outliers(self, student):
        rng = _fresh_rng(63)
        for _ in range(2):
            m = int(rng.integers(1000, 8000))
            _assert_a_good_span(student, _with_outliers(rng, m), f"{m} codes from N(0, I), under 0.5 % of them at |z| = 30..60")

    @points(2)
    def test_off_centre_and_wider_in_z1(self, student):
        rng = _fresh_rng(64)
        m = int(rng.integers(500, 5000))
        shift = rng.uniform(-3.0, -1.5, size=2)
        _assert_a_good_span(student, _normal(rng, m) + shift, f"{m} codes from N(({shift[0]:.2f}, {shift[1]:.2f}), I)")
        m, wider = int(rng.integers(500, 5000)), float(rng.uniform(2.5, 4.0))
        _assert_a_good_span(student, _normal(rng, m) * np.array([1.0, wider]),
                            f"{m} codes, z[1] {wider:.2f} times wider than z[0]")

    @points(1)
    def test_small_clouds(self, student):
        rng = _fresh_rng(65)
        for _ in range(3):
            m = int(rng.integers(20, 200))
            _assert_a_good_span(student, _normal(rng, m, rng.uniform(0.5, 2.0)), f"{m} codes")

    @points(1)
    def test_leaves_the_codes_unchanged(self, student):
        rng = _fresh_rng(66)
        codes = _normal(rng, int(rng.integers(500, 3000))) - rng.uniform(0.5, 1.5, size=2)
        _, after = _span(student, codes, f"{len(codes)} codes")
        after = finite(after, "the codes after choose_span")
        assert after.shape == codes.shape and np.array_equal(after, codes), (
            "choose_span changed the codes it was given; expected them unchanged (the caller plots them "
            "afterwards): compute from them, do not write into them")

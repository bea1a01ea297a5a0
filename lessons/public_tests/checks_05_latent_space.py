"""Public checks of lesson 05_latent_space: a fake decoder that paints its input, small exact cases, clouds of codes."""

from __future__ import annotations

import numpy as np

from public_tests.framework import expect, public_check


def painting_decoder():
    """A stand-in decoder: latent point (z0, z1) -> a 28x28 image, left half z0, right half z1.

    With it the picture that latent_grid returns shows exactly which point went where.
    """
    import keras
    from keras import ops

    class Paint(keras.layers.Layer):
        def call(self, z):
            batch = ops.shape(z)[0]
            left = ops.broadcast_to(ops.reshape(z[:, 0], (-1, 1, 1)), (batch, 28, 14))
            right = ops.broadcast_to(ops.reshape(z[:, 1], (-1, 1, 1)), (batch, 28, 14))
            return ops.concatenate([left, right], axis=2)

    z = keras.Input(shape=(2,))
    return keras.Model(z, Paint()(z), name="painting_decoder")


def _cell(grid, i, j):
    """(z0, z1) painted in the cell of row i, column j."""
    tile = grid[i * 28:(i + 1) * 28, j * 28:(j + 1) * 28]
    return round(float(tile[:, :14].mean()), 4), round(float(tile[:, 14:].mean()), 4)


@public_check("latent_grid")
def grid_has_the_right_size(ns):
    """latent_grid(decoder, n=3) is one (84, 84) picture"""
    grid = np.asarray(ns.latent_grid(painting_decoder(), n=3, span=1.5))
    expect(grid.shape == (84, 84), "wrong picture size", expected=(84, 84), got=grid.shape,
           hint="n x n tiles of 28 x 28 pixels make one (n*28, n*28) picture.")


@public_check("latent_grid")
def grid_corners(ns):
    """Top-left is (-1.5, -1.5), top-right (1.5, -1.5), bottom-left (-1.5, 1.5)"""
    grid = np.asarray(ns.latent_grid(painting_decoder(), n=3, span=1.5))
    got = {"top-left": _cell(grid, 0, 0), "top-right": _cell(grid, 0, 2), "bottom-left": _cell(grid, 2, 0)}
    expected = {"top-left": (-1.5, -1.5), "top-right": (1.5, -1.5), "bottom-left": (-1.5, 1.5)}
    expect(got == expected, "the latent points are not where the map puts them (a fake decoder painted "
           "z[0] on the left half of each tile and z[1] on the right half)", expected=expected, got=got,
           hint="z[0] should follow the column j (left to right), z[1] the row i (top to bottom), "
                "both from -span to +span inclusive.")


@public_check("latent_grid")
def grid_is_tiled_row_by_row(ns):
    """Each 28 x 28 tile holds one whole decoded image"""
    grid = np.asarray(ns.latent_grid(painting_decoder(), n=3, span=1.5))
    tile = grid[28:56, 28:56]  # the centre cell, z = (0, 0)... painted 0 on both halves
    left, right = grid[0:28, 28:42], grid[0:28, 42:56]  # top-centre: z = (0, -1.5)
    ok = np.allclose(tile, 0.0, atol=1e-6) and np.allclose(left, 0.0, atol=1e-6) and np.allclose(right, -1.5, atol=1e-6)
    expect(ok, "the tiles are cut up: a tile should be one image, not pieces of several",
           hint="a picture row crosses the tiles of one row of the map: order the four axes (tile row, tile column, "
                "pixel row, pixel column) so that a reshape reads them that way.")


@public_check("latent_grid")
def grid_follows_n_and_span(ns):
    """latent_grid(decoder, n=4, span=2.0): a (112, 112) picture from (-2, -2) to (2, 2)"""
    grid = np.asarray(ns.latent_grid(painting_decoder(), n=4, span=2.0))
    expect(grid.shape == (112, 112), "wrong picture size for n=4", expected=(112, 112), got=grid.shape,
           hint="n x n tiles: use the argument n.")
    got = {"top-left": _cell(grid, 0, 0), "bottom-right": _cell(grid, 3, 3), "row 1, column 2": _cell(grid, 1, 2)}
    expected = {"top-left": (-2.0, -2.0), "bottom-right": (2.0, 2.0), "row 1, column 2": (0.6667, -0.6667)}
    expect(got == expected, "the latent points do not follow span", expected=expected, got=got,
           hint="the grid's values come from the span and n arguments, not the book's 1.5 and 10.")


@public_check("interpolate")
def interpolate_small_case(ns):
    """interpolate([0, 0], [1, 2], 5) steps by a quarter"""
    got = np.asarray(ns.interpolate(np.array([0.0, 0.0]), np.array([1.0, 2.0]), 5))
    expected = np.array([[0, 0], [0.25, 0.5], [0.5, 1.0], [0.75, 1.5], [1.0, 2.0]])
    expect(got.shape == (5, 2), "wrong shape", expected=(5, 2), got=got.shape,
           hint="one row per step, one column per latent dimension.")
    expect(np.allclose(got, expected, atol=1e-6), "wrong points", expected=expected.tolist(), got=got.round(4).tolist(),
           hint="the t_k run from 0 to 1, both ends included, in steps - 1 equal steps; each row mixes the two ends "
                "as the docstring says.")


@public_check("interpolate")
def interpolate_endpoints(ns):
    """The first row is z_start and the last row is z_end"""
    rng = np.random.default_rng(0)
    start, end = rng.normal(size=32), rng.normal(size=32)
    got = np.asarray(ns.interpolate(start, end, 10))
    expect(got.shape == (10, 32), "wrong shape", expected=(10, 32), got=got.shape)
    expect(np.allclose(got[0], start, atol=1e-5) and np.allclose(got[-1], end, atol=1e-5),
           "the path should start at z_start and end at z_end", hint="include both endpoints.")


# ----------------------------------------------------------------------------- choose_span

COVERAGE = 0.90   # at least this share of the codes inside the square
ROOM = 1.25       # the span at most this many times the smallest one that holds 99 % of the codes


def smallest_span_holding(codes, share):
    """The smallest span whose square [-span, span]^2 holds at least ``share`` of the codes."""
    farthest = np.sort(np.max(np.abs(np.asarray(codes, dtype="float64")), axis=1))
    return float(farthest[int(np.ceil(share * len(farthest))) - 1])


def _expect_a_good_span(ns, codes, what):
    """The student's span for ``codes``: one positive finite number, enough codes inside, no wasted room."""
    before = np.array(codes)
    span = ns.choose_span(codes)
    expect(np.array_equal(codes, before), f"choose_span changed the codes it was given ({what})",
           hint="the codes belong to the caller (the lesson plots them afterwards): work on what you compute "
                "from them, not on the array itself.")
    value = np.asarray(span).item() if np.ndim(span) == 0 else None
    expect(isinstance(value, (int, float)) and not isinstance(value, bool),
           f"choose_span should return one number ({what})", expected="one float",
           got=f"{type(span).__name__} of shape {np.shape(span)}",
           hint="the map is a square: one span for both coordinates, the same on each side of 0.")
    span = float(span)
    expect(np.isfinite(span) and span > 0, f"the span should be positive and finite ({what})", got=span)
    inside = float(np.mean(np.all(np.abs(codes) <= span, axis=1)))
    expect(inside >= COVERAGE - 1 / len(codes), f"too few codes inside the square ({what})",
           expected=f"at least {COVERAGE:.0%}", got=f"{inside:.1%} with span {span:.3g}",
           hint="a code is inside only when both of its coordinates are; and a cloud may be wider in one "
                "direction, or sit off the origin.")
    room = smallest_span_holding(codes, 0.99)
    expect(span <= ROOM * room, f"the square is wasted on empty plane ({what})",
           expected=f"span <= {ROOM} x {room:.3g} (the smallest span holding 99 % of the codes) = {ROOM * room:.3g}",
           got=f"{span:.3g}", hint="a few codes very far out should not decide the span: which summaries of the "
                                   "codes does one far code move a lot, and which hardly at all?")
    return span


@public_check("choose_span")
def a_round_cloud(ns):
    """a round normal cloud of 2,000 codes: one positive float, at least 90 % inside, no wasted room"""
    _expect_a_good_span(ns, np.random.default_rng(0).normal(size=(2000, 2)), "2,000 codes from N(0, I)")


@public_check("choose_span")
def clouds_of_other_sizes(ns):
    """the same cloud shrunk ten times, then grown ten times: the span follows"""
    codes = np.random.default_rng(1).normal(size=(1000, 2))
    small = _expect_a_good_span(ns, 0.1 * codes, "N(0, I) codes times 0.1")
    large = _expect_a_good_span(ns, 10.0 * codes, "N(0, I) codes times 10")
    expect(large > 50 * small, "the span should grow with the cloud", got=f"{small:.3g} and {large:.3g}",
           hint="the right span depends on the codes it is given: a VAE trained differently spreads them differently.")


@public_check("choose_span")
def a_cloud_with_far_outliers(ns):
    """2,000 normal codes and 8 far outliers at |z| = 50: the outliers do not stretch the map"""
    rng = np.random.default_rng(2)
    codes = rng.normal(size=(2000, 2))
    codes[rng.choice(2000, 8, replace=False)] = rng.choice([-50.0, 50.0], size=(8, 2))
    _expect_a_good_span(ns, codes, "N(0, I) and 8 codes at |z| = 50")


@public_check("choose_span")
def a_cloud_wide_in_z1_and_off_centre(ns):
    """a cloud three times wider in z[1] than in z[0], then the same cloud shifted to (-2, -2)"""
    codes = np.random.default_rng(3).normal(size=(1500, 2)) * np.array([1.0, 3.0])
    _expect_a_good_span(ns, codes, "z[1] three times wider than z[0]")
    _expect_a_good_span(ns, codes - 2.0, "centred on (-2, -2)")

"""Hidden tests of lesson 01_quickdraw: exact answers on inputs written out literally and drawn at grading time.

Every expected value here is computed by hand from the format and the rasterization rule
(SPEC.md), or by the course's writer and rasterizer on drawings, sizes and line widths drawn
at grading time, not by running the reference, so a test fails for a wrong answer only.
`center_drawing` has no single right answer to compare with: it is judged by the properties
its docstring states (one integer offset for every point, margins equal within 1, uint8
values) on drawings drawn at grading time.
"""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest

from autograder.hidden_tests.shared import fresh_rng
from autograder.testing import finite, points

# The course library's own answers to this lesson's exercises (the lesson's fast loader
# uses them). While an exercise is graded its contestant gets the library without these
# bodies, so an answer that only calls them fails, with a message that says why.
DELEGATES = {
    "unpack_drawing": {"aecourse.quickdraw": ["_read_one", "read_drawings", "_read_all", "walk_binary",
                                              "load_binary_rasterized"]},
    "rasterize_strokes": {"aecourse.quickdraw": ["rasterize", "_ink", "rasterize_many", "load_binary_rasterized"]},
}

# One drawing, byte by byte:
#   key_id      = 0xFEDCBA9876543210 (needs the unsigned 'Q': it is above 2**63)
#   countrycode = b"JP"
#   recognized  = 0
#   timestamp   = 0xF0000001 (needs the unsigned 'I': it is above 2**31)
#   n_strokes   = 2
#   stroke 0: 3 points, x = 1 2 3, y = 250 251 252
#   stroke 1: 1 point,  x = 9,     y = 200
DRAWING = (
    b"\x10\x32\x54\x76\x98\xba\xdc\xfe"   # key_id, little-endian
    b"JP"                                  # countrycode
    b"\x00"                                # recognized
    b"\x01\x00\x00\xf0"                    # timestamp
    b"\x02\x00"                            # n_strokes
    b"\x03\x00" b"\x01\x02\x03" b"\xfa\xfb\xfc"
    b"\x01\x00" b"\x09" b"\xc8"
)
# Same header fields but recognised, no strokes: 17 bytes only.
EMPTY = b"\x01\x00\x00\x00\x00\x00\x00\x00" b"US" b"\x01" b"\x00\x00\x00\x00" b"\x00\x00"


def _fresh_drawing(seed, recognized=False):
    """(bytes, header fields, strokes) of a drawing laid out as DRAWING, every value drawn now.

    key_id above 2**63 and timestamp above 2**31 (the unsigned formats show), y values above
    200; the same byte positions as DRAWING, so the cuts of the truncation test fall alike.
    """
    rng = fresh_rng(seed)
    key_id, timestamp = 2**63 + int(rng.integers(0, 2**63)), 2**31 + int(rng.integers(0, 2**31))
    country = "".join(chr(c) for c in rng.integers(ord("A"), ord("Z") + 1, 2))
    strokes = [(_ints(rng.integers(0, 256, 3)), _ints(rng.integers(200, 256, 3))),
               (_ints(rng.integers(0, 256, 1)), _ints(rng.integers(200, 256, 1)))]
    data = struct.pack("<Q2sbIH", key_id, country.encode(), recognized, timestamp, len(strokes))
    for x, y in strokes:
        data += struct.pack("<H", len(x)) + bytes(x) + bytes(y)
    return data, (key_id, country, recognized, timestamp), strokes


def _header(drawing):
    return drawing.key_id, drawing.countrycode, bool(drawing.recognized), drawing.timestamp


def _ints(values):
    return [int(v) for v in np.asarray(values).ravel()]


def _strokes(drawing):
    return [(_ints(x), _ints(y)) for x, y in drawing.strokes]


class TestUnpackDrawing:
    exercise = "unpack_drawing"

    @points(2)
    def test_header_fields(self, student):
        d = student.unpack_drawing(io.BytesIO(DRAWING))
        assert d.key_id == 0xFEDCBA9876543210
        assert d.countrycode == "JP"
        assert not d.recognized
        assert d.timestamp == 0xF0000001
        data, header, _ = _fresh_drawing(2)
        assert _header(student.unpack_drawing(io.BytesIO(data))) == header

    @points(2)
    def test_strokes_x_before_y(self, student):
        d = student.unpack_drawing(io.BytesIO(DRAWING))
        assert _strokes(d) == [([1, 2, 3], [250, 251, 252]), ([9], [200])]
        data, _, strokes = _fresh_drawing(3)
        assert _strokes(student.unpack_drawing(io.BytesIO(data))) == strokes

    @points(1)
    def test_recognized_is_a_bool(self, student):
        d = student.unpack_drawing(io.BytesIO(EMPTY))
        assert isinstance(d.recognized, (bool, np.bool_)) and bool(d.recognized) is True
        assert isinstance(student.unpack_drawing(io.BytesIO(DRAWING)).recognized, (bool, np.bool_))
        for recognized in (True, False):
            d = student.unpack_drawing(io.BytesIO(_fresh_drawing(4, recognized)[0]))
            assert isinstance(d.recognized, (bool, np.bool_)) and bool(d.recognized) is recognized

    @points(1)
    def test_a_drawing_without_strokes(self, student):
        # A header drawn now, with no strokes: its fields, and strokes an empty list (not
        # something that merely iterates as empty).
        rng = fresh_rng(1)
        # The key's top bit set: a key read as a signed integer comes out negative every time.
        key_id, timestamp = 2**63 + int(rng.integers(0, 2**62)) * 2 + 1, int(rng.integers(0, 2**32))
        country = "".join(chr(c) for c in rng.integers(ord("A"), ord("Z") + 1, 2))
        recognized = bool(rng.integers(0, 2))
        d = student.unpack_drawing(io.BytesIO(struct.pack("<Q2sbIH", key_id, country.encode(), recognized,
                                                          timestamp, 0)))
        assert (d.key_id, d.countrycode, bool(d.recognized), d.timestamp) == (key_id, country, recognized, timestamp)
        assert isinstance(d.strokes, list) and len(d.strokes) == 0, \
            f"strokes should be an empty list, got {d.strokes!r}"

    @points(2)
    def test_leaves_the_stream_at_the_next_drawing_and_returns_none_at_the_end(self, student):
        # A drawing, one without strokes and another drawing, all drawn now.
        (one, header, strokes), (other, other_header, other_strokes) = _fresh_drawing(5), _fresh_drawing(6, True)
        empty = struct.pack("<Q2sbIH", 7, b"US", 1, 0, 0)
        stream = io.BytesIO(one + empty + other)
        first, second, third = (student.unpack_drawing(stream) for _ in range(3))
        assert (_header(first), _strokes(first)) == (header, strokes)
        assert second.countrycode == "US" and list(second.strokes) == []
        assert (_header(third), _strokes(third)) == (other_header, other_strokes)
        assert student.unpack_drawing(stream) is None
        assert student.unpack_drawing(stream) is None

    @points(1)
    def test_an_empty_stream_gives_none(self, student):
        assert student.unpack_drawing(io.BytesIO(b"")) is None

    @points(2)
    def test_a_truncated_stream_raises_eoferror(self, student):
        # 5, 16: inside the header; 18: inside stroke 0's n_points; 20: inside its x values;
        # 23: inside its y values; last: stroke 1's y value missing.
        data = _fresh_drawing(8)[0]  # DRAWING's layout, other bytes
        for cut in [5, 16, 18, 20, 23, len(DRAWING) - 1]:
            with pytest.raises(EOFError):
                student.unpack_drawing(io.BytesIO(DRAWING[:cut]))
            with pytest.raises(EOFError):
                student.unpack_drawing(io.BytesIO(data[:cut]))

    @points(1)
    def test_reads_what_the_course_writer_writes(self, student):
        from aecourse.quickdraw import Drawing, write_drawings

        rng = fresh_rng(7)
        drawings = [Drawing(key_id=int(rng.integers(0, 2**62)), countrycode="GB", recognized=bool(k % 2),
                            timestamp=1_500_000_000 + k,
                            strokes=[(rng.integers(0, 256, m, dtype=np.uint8), rng.integers(0, 256, m, dtype=np.uint8))
                                     for m in rng.integers(1, 30, size=rng.integers(1, 6))])
                    for k in range(12)]
        buffer = io.BytesIO()
        write_drawings(buffer, drawings)
        buffer.seek(0)
        for want in drawings:
            got = student.unpack_drawing(buffer)
            assert (got.key_id, got.countrycode, bool(got.recognized), got.timestamp) == \
                   (want.key_id, want.countrycode, want.recognized, want.timestamp)
            assert _strokes(got) == _strokes(want)
        assert student.unpack_drawing(buffer) is None


def _ink(image):
    """Inked pixels as a sorted list of (row, col)."""
    return sorted(map(tuple, np.argwhere(np.asarray(image) > 0.5).tolist()))


class TestRasterizeStrokes:
    exercise = "rasterize_strokes"

    @points(1)
    def test_shape_dtype_and_values(self, student):
        image = np.asarray(student.rasterize_strokes([([10, 200, 30], [40, 90, 250])]))
        assert image.shape == (32, 32)
        assert image.dtype == np.float32
        assert set(np.unique(image).tolist()) == {0.0, 1.0}

    @points(2)
    def test_scaling_at_the_edges(self, student):
        # 0..7 -> pixel 0, 8 -> 1, 248..255 -> 31 (c * 32 // 256).
        r = student.rasterize_strokes
        assert _ink(r([([7], [0])], line_width=1)) == [(0, 0)]
        assert _ink(r([([8], [7])], line_width=1)) == [(0, 1)]
        assert _ink(r([([248], [255])], line_width=1)) == [(31, 31)]
        assert _ink(r([([247], [15])], line_width=1)) == [(1, 30)]

    @points(1)
    def test_scaling_with_another_size(self, student):
        # size 28: c * 28 // 256, so 255 -> 27, 128 -> 14, 9 -> 0, 10 -> 1.
        r = student.rasterize_strokes
        assert np.asarray(r([], size=28)).shape == (28, 28)
        assert _ink(r([([255], [128])], size=28, line_width=1)) == [(14, 27)]
        assert _ink(r([([9], [10])], size=28, line_width=1)) == [(1, 0)]

    @points(2)
    def test_rows_are_y_and_columns_are_x(self, student):
        # A vertical line at x = 40 (column 5), y from 0 to 255 (rows 0..31), width 2: columns 5 and 6.
        image = np.asarray(student.rasterize_strokes([([40, 40], [0, 255])]))
        expected = np.zeros((32, 32), dtype=np.float32)
        expected[:, 5:7] = 1.0
        assert np.array_equal(image, expected)

    @points(2)
    def test_a_shallow_line_pixel_by_pixel(self, student):
        # (0,0) -> (40,16) is pixels (0,0) -> (5,2): n = 6, t = 0, .2, .4, .6, .8, 1,
        # y = floor(2t + .5) = 0 0 1 1 2 2, so (x, y) = (0,0) (1,0) (2,1) (3,1) (4,2) (5,2).
        image = student.rasterize_strokes([([0, 40], [0, 16])], line_width=1)
        assert _ink(image) == sorted([(0, 0), (0, 1), (1, 2), (1, 3), (2, 4), (2, 5)])

    @points(1)
    def test_halves_round_up(self, student):
        # (0,0) -> (16,8) is pixels (0,0) -> (2,1): n = 3, the middle sample has y = 0.5,
        # floor(0.5 + 0.5) = 1. Python's round(0.5) == 0 would put it in row 0.
        image = student.rasterize_strokes([([0, 16], [0, 8])], line_width=1)
        assert _ink(image) == [(0, 0), (1, 1), (1, 2)]
        # Backwards along the same segment: y = 1 - 0.5 -> floor(1.0) = 1 again.
        image = student.rasterize_strokes([([16, 0], [8, 0])], line_width=1)
        assert _ink(image) == [(0, 0), (1, 1), (1, 2)]

    @points(1)
    def test_a_polyline_of_three_points(self, student):
        # (8,8) -> (24,8) -> (24,32): pixels (1,1)->(3,1)->(3,4), width 1.
        image = student.rasterize_strokes([([8, 24, 24], [8, 8, 32])], line_width=1)
        assert _ink(image) == sorted([(1, 1), (1, 2), (1, 3), (2, 3), (3, 3), (4, 3)])

    @points(1)
    def test_strokes_are_not_joined(self, student):
        # Two one-point strokes far apart ink two 2x2 squares and nothing between them.
        image = student.rasterize_strokes([([0], [0]), ([160], [160])])
        assert _ink(image) == [(0, 0), (0, 1), (1, 0), (1, 1), (20, 20), (20, 21), (21, 20), (21, 21)]

    @points(2)
    def test_line_width_squares_are_clipped_at_the_edge(self, student):
        # A point at (255, 255) is pixel (31, 31): a 3x3 square there keeps only its corner.
        image = np.asarray(student.rasterize_strokes([([255], [255])], line_width=3))
        assert _ink(image) == [(31, 31)]
        # A line along the bottom edge, width 2: only row 31 (row 32 is off the canvas).
        image = np.asarray(student.rasterize_strokes([([0, 255], [255, 255])]))
        expected = np.zeros((32, 32), dtype=np.float32)
        expected[31, :] = 1.0
        assert np.array_equal(image, expected)

    @points(1)
    def test_uint8_coordinates_do_not_wrap(self, student):
        # uint8 arrays: x * 32 would wrap at 256 unless converted first.
        strokes = [(np.array([200, 250], dtype=np.uint8), np.array([100, 100], dtype=np.uint8))]
        image = student.rasterize_strokes(strokes, line_width=1)
        assert _ink(image) == [(12, 25), (12, 26), (12, 27), (12, 28), (12, 29), (12, 30), (12, 31)]

    @points(2)
    def test_matches_the_rule_on_random_drawings(self, student):
        from aecourse.quickdraw import rasterize

        # Drawings, canvas sizes and line widths drawn now.
        rng = fresh_rng(2024)
        for trial in range(40):
            strokes = [(rng.integers(0, 256, m, dtype=np.uint8), rng.integers(0, 256, m, dtype=np.uint8))
                       for m in rng.integers(1, 12, size=rng.integers(1, 6))]
            size, width = int(rng.integers(8, 80)), int(rng.integers(1, 5))
            got = np.asarray(student.rasterize_strokes(strokes, size=size, line_width=width))
            assert np.array_equal(got, rasterize(strokes, size=size, line_width=width)), \
                f"drawing {trial} (size={size}, line_width={width})"


# ----------------------------------------------------------------------------- center_drawing

def _random_strokes(rng, full_width=False):
    """A drawing drawn now, anywhere in the frame: 1 to 7 strokes of 1 to 14 uint8 points.

    Its box is two values drawn per axis; its points are bunched towards one side of the box
    (u ** k, k drawn), so the points' average is not the box's middle, as in a cat whose face
    has more points than its tail. ``full_width``: x spans 0..255 exactly, as a wide cat of
    Google's does.
    """
    boxes = [sorted(int(v) for v in rng.integers(0, 256, 2)) for _ in range(2)]
    if full_width:
        boxes[0] = [0, 255]
    bunching = rng.uniform(1.0, 4.0, 2)
    sizes = rng.integers(1, 15, size=rng.integers(1, 8))
    sizes[0] = max(sizes[0], 2)  # two points at least, for the box's two edges
    strokes = []
    for n_points in sizes:
        axes = []
        for (low, high), k in zip(boxes, bunching):
            u = rng.uniform(0.0, 1.0, n_points) ** k
            axes.append(np.round(low + u * (high - low)).astype(np.uint8))
        strokes.append(tuple(axes))
    where = [(s, i) for s, n_points in enumerate(sizes) for i in range(n_points)]
    for axis, (low, high) in enumerate(boxes):  # the box's edges are reached: two distinct points on them
        (s_low, i_low), (s_high, i_high) = (where[j] for j in rng.choice(len(where), 2, replace=False))
        strokes[s_low][axis][i_low], strokes[s_high][axis][i_high] = low, high
    return strokes


def _centred(student, strokes, what):
    """The student's center_drawing(strokes), its form checked; [(x, y)] as int64 arrays."""
    got = student.center_drawing(strokes)
    assert isinstance(got, list) and len(got) == len(strokes), (
        f"center_drawing({what}) should return a list of {len(strokes)} (x, y) pairs, one per stroke; "
        f"got {type(got).__name__}" + (f" of {len(got)}" if isinstance(got, (list, tuple)) else ""))
    moved = []
    for k, (pair, (x, _)) in enumerate(zip(got, strokes)):
        assert isinstance(pair, (tuple, list)) and len(pair) == 2, f"stroke {k} of center_drawing({what}) is not an (x, y) pair"
        for name, values in zip("xy", pair):
            assert isinstance(values, np.ndarray) and values.dtype == np.uint8, (
                f"stroke {k}'s {name} of center_drawing({what}) should be a uint8 array (one byte per coordinate, "
                f"as in the file), got {getattr(values, 'dtype', type(values).__name__)}")
            assert values.shape == (len(x),), (f"stroke {k}'s {name} of center_drawing({what}) has shape {values.shape}, "
                                               f"expected ({len(x)},): moving a drawing adds or drops no point")
        moved.append(tuple(finite(values, f"center_drawing({what}), stroke {k}").astype(np.int64) for values in pair))
    return moved


def _offsets(strokes, moved, what):
    """(dx, dy) after asserting that every point of every stroke moved by it."""
    shifts = []
    for axis in (0, 1):
        shift = {int(b) - int(a) for stroke, new in zip(strokes, moved) for a, b in zip(stroke[axis], new[axis])}
        one_offset = len(shift) == 1
        assert one_offset, (
            f"center_drawing({what}): the points moved by different amounts ({'xy'[axis]} by {sorted(shift)[:6]}), "
            "expected one offset for the whole drawing: only moved, not reshaped, every stroke with the others, "
            "and no value wrapped around at 256")
        shifts.append(shift.pop())
    return tuple(shifts)


def _margins(strokes):
    xs = np.concatenate([np.asarray(x, dtype=np.int64) for x, _ in strokes])
    ys = np.concatenate([np.asarray(y, dtype=np.int64) for _, y in strokes])
    return int(xs.min()), 255 - int(xs.max()), int(ys.min()), 255 - int(ys.max())


def _assert_centred(moved, what):
    left, right, top, bottom = _margins(moved)
    assert abs(left - right) <= 1 and abs(top - bottom) <= 1, (
        f"center_drawing({what}): margins left {left}, right {right}, top {top}, bottom {bottom}; expected "
        "|left - right| <= 1 and |top - bottom| <= 1. The margins are set by the drawing's outermost points")


class TestCenterDrawing:
    exercise = "center_drawing"

    @points(1)
    def test_one_uint8_pair_per_stroke_as_long_as_the_input(self, student):
        rng = fresh_rng(30)
        for trial in range(5):
            _centred(student, _random_strokes(rng), f"random drawing {trial}")

    @points(2)
    def test_the_drawing_moves_as_a_whole(self, student):
        # Drawings of 2 strokes at least, anywhere in the frame, drawn now.
        rng = fresh_rng(31)
        for trial in range(20):
            strokes = _random_strokes(rng)
            while len(strokes) < 2:
                strokes = _random_strokes(rng)
            _offsets(strokes, _centred(student, strokes, f"random drawing {trial}"), f"random drawing {trial}")

    @points(3)
    def test_margins_on_opposite_sides_differ_by_at_most_one(self, student):
        # Drawings anywhere (about half of them right of or below the middle) and Google-style ones
        # that span the width.
        rng = fresh_rng(32)
        for trial in range(30):
            what = f"random drawing {trial}"
            strokes = _random_strokes(rng, full_width=trial % 5 == 0)
            moved = _centred(student, strokes, what)
            _offsets(strokes, moved, what)
            _assert_centred(moved, what)

    @points(1)
    def test_a_centred_drawing_moves_by_at_most_one(self, student):
        rng = fresh_rng(33)
        for trial in range(10):
            strokes = _random_strokes(rng)
            left, right, top, bottom = _margins(strokes)
            # The judge centres it: the new margins are the smaller half of the room each way.
            dx, dy = (left + right) // 2 - left, (top + bottom) // 2 - top
            centred = [((x.astype(np.int64) + dx).astype(np.uint8), (y.astype(np.int64) + dy).astype(np.uint8))
                       for x, y in strokes]
            what = f"centred drawing {trial}"
            offset = _offsets(centred, _centred(student, centred, what), what)
            assert max(abs(offset[0]), abs(offset[1])) <= 1, (
                f"center_drawing({what}) moved an already centred drawing by {offset}; expected at most 1 each way")

    @points(1)
    def test_one_point_strokes_and_a_drawing_spanning_the_frame(self, student):
        rng = fresh_rng(34)
        for trial in range(5):
            # Only one-point strokes (the eyes of a cat), a single point among them.
            strokes = [(rng.integers(0, 256, 1, dtype=np.uint8), rng.integers(0, 256, 1, dtype=np.uint8))
                       for _ in range(int(rng.integers(1, 5)))]
            what = f"{len(strokes)} one-point strokes ({trial})"
            moved = _centred(student, strokes, what)
            _offsets(strokes, moved, what)
            _assert_centred(moved, what)
            # x spans 0..255: no room to move sideways.
            strokes = _random_strokes(rng, full_width=True)
            what = f"a drawing spanning the frame's width ({trial})"
            dx, _ = _offsets(strokes, _centred(student, strokes, what), what)
            assert dx == 0, f"center_drawing({what}) moved it sideways by {dx}; expected 0: the margins are 0 and 0"

"""The Quick Draw binary format, the rasterizer and the numpy_bitmap loader.

Expected pixels are written out by hand from the rasterization rule in the
module docstring of aecourse.quickdraw (and SPEC.md), never recomputed with
the code under test.
"""

import io
import warnings

import numpy as np
import pytest

from aecourse.quickdraw import (
    MAX_POINTS, MAX_STROKES, Drawing, QuickDrawFormatError, QuickDrawPlausibilityError,
    QuickDrawPlausibilityWarning, load_binary_rasterized, load_numpy_bitmap, rasterize, rasterize_many,
    read_drawings, walk_binary, write_drawings)
from local_mirror import random_records, record


def stroke(xs, ys):
    return (np.array(xs, dtype=np.uint8), np.array(ys, dtype=np.uint8))


def picture(text: str) -> np.ndarray:
    """'#' = ink 1.0, '.' = 0.0; one text line per image row."""
    rows = [line.strip() for line in text.strip().splitlines()]
    return np.array([[1.0 if c == "#" else 0.0 for c in row] for row in rows], dtype=np.float32)


# One drawing, encoded by hand from the format description.
ONE_DRAWING = Drawing(key_id=1, countrycode="US", recognized=True, timestamp=2,
                      strokes=[stroke([1, 2], [3, 4])])
ONE_DRAWING_BYTES = bytes([  # 23 bytes
    1, 0, 0, 0, 0, 0, 0, 0,   # key_id = 1, Q little-endian
    0x55, 0x53,               # "US"
    1,                        # recognized
    2, 0, 0, 0,               # timestamp = 2
    1, 0,                     # one stroke
    2, 0,                     # two points
    1, 2,                     # x
    3, 4,                     # y
])


def random_walk_drawings(n, seed):
    """Drawings shaped like real ones: a few strokes of short random-walk segments,
    with some points pinned to the 0 and 255 borders and some one-point strokes."""
    rng = np.random.default_rng(seed)
    drawings = []
    for k in range(n):
        strokes = []
        for _ in range(rng.integers(1, 9)):
            n_points = int(rng.choice([1, rng.integers(2, 40)], p=[0.1, 0.9]))
            steps = rng.integers(-40, 41, size=(n_points, 2))
            xy = np.clip(rng.integers(0, 256, size=2) + np.cumsum(steps, axis=0), 0, 255)
            strokes.append((xy[:, 0].astype(np.uint8), xy[:, 1].astype(np.uint8)))
        drawings.append(Drawing(k, "US", bool(k % 2), 1_490_000_000 + k, strokes))
    return drawings


def to_bytes(drawings) -> bytes:
    buf = io.BytesIO()
    write_drawings(buf, drawings)
    return buf.getvalue()


# --------------------------------------------------------------------------- the format

def test_writer_produces_the_documented_byte_layout():
    assert to_bytes([ONE_DRAWING]) == ONE_DRAWING_BYTES


def test_reader_parses_hand_encoded_bytes():
    (d,) = read_drawings(io.BytesIO(ONE_DRAWING_BYTES))
    assert (d.key_id, d.countrycode, d.recognized, d.timestamp) == (1, "US", True, 2)
    assert [x.tolist() for x, _ in d.strokes] == [[1, 2]]
    assert [y.tolist() for _, y in d.strokes] == [[3, 4]]
    assert d.strokes[0][0].dtype == np.uint8


def test_round_trip_is_exact(tmp_path):
    drawings = [
        Drawing(2**64 - 1, "GB", False, 2**32 - 1,
                [stroke([0, 255, 17], [255, 0, 3]), stroke([9], [200]), stroke([], [])]),
        Drawing(0, "br", True, 0, []),  # no strokes at all
        Drawing(123456789012345, "ZZ", True, 1_490_000_000,
                [stroke([k % 256], [(3 * k) % 256]) for k in range(300)]),  # many one-point strokes
        Drawing(7, "US", True, 5, [stroke(list(range(256)) * 3, list(range(255, -1, -1)) * 3)]),
    ] + random_walk_drawings(50, seed=1)
    path = tmp_path / "cats.bin"
    assert write_drawings(path, drawings) == len(drawings)
    back = list(read_drawings(path))
    assert back == drawings
    # And byte for byte: writing what was read gives the same file.
    assert to_bytes(back) == path.read_bytes()


def test_drawing_equality_sees_a_changed_coordinate():
    a = Drawing(1, "US", True, 2, [stroke([1, 2], [3, 4])])
    b = Drawing(1, "US", True, 2, [stroke([1, 2], [3, 5])])
    assert a != b


def test_reader_is_streaming():
    # Drawings before a broken one are delivered before the error.
    data = to_bytes([ONE_DRAWING, ONE_DRAWING]) + ONE_DRAWING_BYTES[:5]
    reader = read_drawings(io.BytesIO(data))
    assert next(reader) == ONE_DRAWING
    assert next(reader) == ONE_DRAWING
    with pytest.raises(QuickDrawFormatError):
        next(reader)


@pytest.mark.parametrize("bad", [
    dict(countrycode="USA"), dict(countrycode="U1"), dict(countrycode="ÜS"),
    dict(recognized=2), dict(key_id=-1), dict(timestamp=2**32),
    dict(strokes=[stroke([1, 2], [3])]), dict(strokes=[(np.array([256]), np.array([0]))]),
    dict(strokes=[stroke([1], [1])] * (MAX_STROKES + 1)),
])
def test_writer_refuses_what_the_reader_would_refuse(bad):
    fields = dict(key_id=1, countrycode="US", recognized=True, timestamp=2, strokes=[])
    fields.update(bad)
    with pytest.raises(ValueError):
        to_bytes([Drawing(**fields)])


# --------------------------------------------------------------------------- broken files

# (cut after this many bytes of ONE_DRAWING_BYTES, field named, byte where that field starts)
CUTS = [
    (1, "key_id", 0), (7, "key_id", 0), (8, "countrycode", 8), (9, "countrycode", 8),
    (10, "recognized", 10), (11, "timestamp", 11), (14, "timestamp", 11),
    (15, "n_strokes", 15), (16, "n_strokes", 15), (17, "stroke 0 n_points", 17),
    (18, "stroke 0 n_points", 17), (19, "stroke 0 x values", 19), (20, "stroke 0 x values", 19),
    (21, "stroke 0 y values", 21), (22, "stroke 0 y values", 21),
]


@pytest.mark.parametrize("loader", ["stream", "fast"])
@pytest.mark.parametrize("cut, field, field_offset", CUTS)
def test_truncated_file_names_drawing_and_field(tmp_path, loader, cut, field, field_offset):
    # Two good drawings (23 bytes each), then the third cut short: it starts at byte 46.
    path = tmp_path / "cut.bin"
    path.write_bytes(ONE_DRAWING_BYTES * 2 + ONE_DRAWING_BYTES[:cut])
    with pytest.raises(QuickDrawFormatError) as caught:
        if loader == "stream":
            list(read_drawings(path))
        else:
            load_binary_rasterized(path)
    err = caught.value
    assert (err.index, err.drawing_offset, err.field, err.field_offset) == (2, 46, field, 46 + field_offset)
    message = str(err)
    assert str(path) in message
    assert "drawing #2 (starting at byte 46)" in message
    assert f"field {field} at byte {46 + field_offset}" in message
    assert "truncated" in message


def test_every_cut_inside_a_drawing_is_an_error_and_every_cut_between_drawings_is_not():
    drawings = random_walk_drawings(3, seed=2)
    data = to_bytes(drawings)
    boundaries = {0, len(data)}
    offset = 0
    for d in drawings:
        offset += len(to_bytes([d]))
        boundaries.add(offset)
    for cut in range(len(data) + 1):
        if cut in boundaries:
            assert len(list(read_drawings(io.BytesIO(data[:cut])))) == sorted(boundaries).index(cut)
            assert len(load_binary_rasterized(io.BytesIO(data[:cut]))) == sorted(boundaries).index(cut)
        else:
            with pytest.raises(QuickDrawFormatError):
                list(read_drawings(io.BytesIO(data[:cut])))
            with pytest.raises(QuickDrawFormatError):
                load_binary_rasterized(io.BytesIO(data[:cut]))


def corrupt(position: int, value: bytes) -> bytes:
    data = bytearray(ONE_DRAWING_BYTES * 2)
    data[23 + position: 23 + position + len(value)] = value
    return bytes(data)


def load(loader, data, strict=False):
    if loader == "stream":
        return list(read_drawings(io.BytesIO(data), strict=strict))
    return load_binary_rasterized(io.BytesIO(data), strict=strict)


# (byte of the second drawing to overwrite, new bytes, field named, problem stated). The second
# drawing stays well formed: the strokes announced are there (for the counts, with zeros behind).
IMPLAUSIBLE = [
    (8, b"\x00\x07", "countrycode", "two ASCII letters"),
    (8, b"U ", "countrycode", "two ASCII letters"),
    (10, b"\x05", "recognized", "expected 0 or 1, found 5"),
    (10, b"\xff", "recognized", "expected 0 or 1, found -1"),
]


@pytest.mark.parametrize("loader", ["stream", "fast"])
@pytest.mark.parametrize("position, value, field, problem", IMPLAUSIBLE)
def test_strict_mode_refuses_an_implausible_header_and_names_the_field(loader, position, value, field, problem):
    data = corrupt(position, value)
    with pytest.raises(QuickDrawPlausibilityError) as caught:
        load(loader, data, strict=True)
    err = caught.value
    assert (err.index, err.drawing_offset, err.field, err.field_offset) == (1, 23, field, 23 + position)
    assert problem in str(err) and "strict=False" in str(err)
    assert isinstance(err, QuickDrawFormatError) and isinstance(err, ValueError)


@pytest.mark.parametrize("loader", ["stream", "fast"])
@pytest.mark.parametrize("position, value, field, problem", IMPLAUSIBLE)
def test_by_default_an_implausible_drawing_is_skipped_with_one_warning(loader, position, value, field, problem):
    data = corrupt(position, value) + ONE_DRAWING_BYTES
    with pytest.warns(QuickDrawPlausibilityWarning) as caught:
        got = load(loader, data)
    assert len(got) == 2  # drawings #0 and #2
    if loader == "stream":
        assert got == [ONE_DRAWING, ONE_DRAWING]
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "skipped 1 of 3 drawings" in message
    assert f"#1 at byte 23 ({field}: " in message and problem in message
    assert "strict=True" in message


# A file of five drawings whose #1 to #4 each break one limit, hand-encoded: #1 has a stroke
# of 5,001 points, #2 has 1,001 strokes, #3 the country code "1X", #4 recognized = 2.
def limits_file():
    one = ([1, 2], [3, 4])
    drawings = [record(0, b"US", 1, 5, [one]),
                record(1, b"US", 1, 5, [one, ([7] * (MAX_POINTS + 1), [8] * (MAX_POINTS + 1))]),
                record(2, b"US", 1, 5, [one] * (MAX_STROKES + 1)),
                record(3, b"1X", 1, 5, [one]),
                record(4, b"US", 2, 5, [one]),
                record(5, b"GB", 0, 6, [one])]
    starts = np.cumsum([0] + [len(d) for d in drawings])[:-1].tolist()
    return b"".join(drawings), starts


@pytest.mark.parametrize("loader", ["stream", "fast"])
def test_each_plausibility_limit_skips_only_its_drawing(loader):
    data, starts = limits_file()
    with pytest.warns(QuickDrawPlausibilityWarning) as caught:
        got = load(loader, data)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "skipped 4 of 6 drawings" in message
    for index, field in [(1, "stroke 1 n_points"), (2, "n_strokes"), (3, "countrycode"), (4, "recognized")]:
        assert f"#{index} at byte {starts[index]} ({field}: " in message
    if loader == "stream":
        assert [(d.key_id, d.countrycode, d.recognized) for d in got] == [(0, "US", True), (5, "GB", False)]
    else:
        assert got.shape == (2, 32, 32)
        # Both kept drawings are the same two-point stroke: (1, 3)-(2, 4) is pixel (0, 0), width 2.
        assert np.argwhere(got[0]).tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]


@pytest.mark.parametrize("loader", ["stream", "fast"])
def test_strict_mode_stops_at_the_first_limit_broken(loader):
    data, starts = limits_file()
    with pytest.raises(QuickDrawPlausibilityError) as caught:
        load(loader, data, strict=True)
    err = caught.value
    assert (err.index, err.drawing_offset, err.field) == (1, starts[1], "stroke 1 n_points")
    assert err.field_offset == starts[1] + 17 + 2 + 4  # header, stroke 0 (count and 2 points)
    assert f"{MAX_POINTS + 1} points is implausible (limit {MAX_POINTS})" in str(err)


def test_the_warning_lists_five_places_and_counts_the_rest():
    bad = [record(k, b"??", 1, 5, []) for k in range(8)]
    data = ONE_DRAWING_BYTES + b"".join(bad)
    with pytest.warns(QuickDrawPlausibilityWarning) as caught:
        assert len(load_binary_rasterized(io.BytesIO(data))) == 1
    message = str(caught[0].message)
    assert "skipped 8 of 9 drawings" in message
    assert "#5 at byte 91 " in message and "#6 at byte" not in message and "and 3 more" in message


def test_a_valid_file_gives_no_warning(recwarn):
    data = b"".join(random_records(50))
    assert len(load_binary_rasterized(io.BytesIO(data))) == 50
    assert len(list(read_drawings(io.BytesIO(data)))) == 50
    assert not [w for w in recwarn if issubclass(w.category, QuickDrawPlausibilityWarning)]


@pytest.mark.parametrize("loader", ["stream", "fast"])
def test_truncation_is_an_error_in_lenient_mode_too(loader):
    # Implausible and cut short: the message says the bytes may not be drawings at all.
    data = ONE_DRAWING_BYTES + record(9, b"\x00\x07", 1, 5, [([1, 2, 3], [4, 5, 6])])[:-2]
    with pytest.raises(QuickDrawFormatError) as caught:
        load(loader, data)
    assert not isinstance(caught.value, QuickDrawPlausibilityError)
    assert caught.value.field == "stroke 0 y values" and "truncated" in str(caught.value)
    assert "may not be Quick Draw data at all" in str(caught.value)


@pytest.mark.parametrize("loader", ["stream", "fast"])
def test_a_run_of_zero_bytes_is_a_format_error_not_skipped_drawings(loader):
    # 17 zero bytes parse as a drawing with no strokes; a zero-filled tail must not pass as those.
    with pytest.raises(QuickDrawFormatError, match=r"drawing #2 \(starting at byte 46\).*zero bytes"):
        load(loader, ONE_DRAWING_BYTES * 2 + bytes(17 * 40))


def test_random_garbage_tails_are_rejected_in_the_default_mode():
    """2,000 of 2,000 random tails appended to a valid file fail; an intact file never does."""
    base = b"".join(random_records(3, seed=5))
    rng = np.random.default_rng(2024)
    rejected = {"fast": 0, "stream": 0}
    for _ in range(2000):
        tail = rng.integers(0, 256, int(rng.integers(1, 1000)), dtype=np.uint8).tobytes()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", QuickDrawPlausibilityWarning)
            for name, parse in [("fast", walk_binary), ("stream", lambda b: list(read_drawings(io.BytesIO(b))))]:
                try:
                    parse(base + tail)
                except QuickDrawFormatError:
                    rejected[name] += 1
    assert rejected == {"fast": 2000, "stream": 2000}
    assert walk_binary(base).drawings == 3


def test_walk_counts_records_and_stops_at_the_limit():
    data, starts = limits_file()
    walk = walk_binary(data)
    assert (walk.drawings, walk.records, walk.end) == (2, 6, len(data))
    assert [e.index for e in walk.skipped] == [1, 2, 3, 4]
    first = walk_binary(data, limit=1)
    assert (first.drawings, first.records, first.end) == (1, 1, starts[1])


def test_a_text_file_is_not_taken_for_drawings():
    page = b"<!DOCTYPE html><html><body>Not Found</body></html>"
    with pytest.raises(QuickDrawFormatError, match="drawing #0"):
        list(read_drawings(io.BytesIO(page)))


# --------------------------------------------------------------------------- rasterizer

def test_horizontal_line():
    # size 8: p = c // 32. (0, 64)-(160, 64) -> (0, 2)-(5, 2); width 2 adds one row and column.
    image = rasterize([stroke([0, 160], [64, 64])], size=8, line_width=2)
    np.testing.assert_array_equal(image, picture("""
        ........
        ........
        #######.
        #######.
        ........
        ........
        ........
        ........
    """))
    assert image.dtype == np.float32


def test_diagonal_line():
    # (0, 0)-(128, 128) -> (0, 0)-(4, 4): samples (i, i), each inking a 2x2 square.
    image = rasterize([stroke([0, 128], [0, 128])], size=8, line_width=2)
    np.testing.assert_array_equal(image, picture("""
        ##......
        ###.....
        .###....
        ..###...
        ...###..
        ....##..
        ........
        ........
    """))


def test_shallow_slope_rounds_half_up():
    # (0, 0)-(2, 1): n = 3, t = 0, 0.5, 1, y = floor(0.5) = 0, floor(1.0) = 1, floor(1.5) = 1.
    # (Rounding half to even would put the middle sample on row 0.)
    image = rasterize([stroke([0, 64], [0, 32])], size=8, line_width=1)
    np.testing.assert_array_equal(image, picture("""
        #.......
        .##.....
        ........
        ........
        ........
        ........
        ........
        ........
    """))
    # (0, 0)-(3, 1): t = 0, 1/3, 2/3, 1 -> y = 0, 0, 1, 1.
    image = rasterize([stroke([0, 96], [0, 32])], size=8, line_width=1)
    assert np.argwhere(image).tolist() == [[0, 0], [0, 1], [1, 2], [1, 3]]


def test_strokes_are_not_joined_and_one_point_strokes_draw_a_point():
    image = rasterize([stroke([0, 64], [0, 0]), stroke([224], [224]), stroke([], [])],
                      size=8, line_width=1)
    np.testing.assert_array_equal(image, picture("""
        ###.....
        ........
        ........
        ........
        ........
        ........
        ........
        .......#
    """))


@pytest.mark.parametrize("coordinate, pixel", [
    (0, 0), (7, 0), (8, 1), (15, 1), (16, 2), (128, 16), (247, 30), (248, 31), (255, 31)])
def test_scaling_256_to_32(coordinate, pixel):
    image = rasterize([stroke([coordinate], [0]), stroke([0], [coordinate])], size=32, line_width=1)
    assert image[0, pixel] == 1.0 and image[pixel, 0] == 1.0
    assert image.sum() == (1 if pixel == 0 else 2)


def test_scaling_to_other_sizes():
    # p = c * size // 256: for 28, 255 -> 27 and 10 -> 1 (280 // 256), 9 -> 0 (252 // 256).
    image = rasterize([stroke([255, 10, 9], [0, 0, 0])], size=28, line_width=1)
    assert np.flatnonzero(image[0]).tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
                                                 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27]
    image = rasterize([stroke([10], [0]), stroke([9], [5])], size=28, line_width=1)
    assert np.argwhere(image).tolist() == [[0, 0], [0, 1]]


def test_line_width_is_clipped_at_the_right_and_bottom_edges():
    # The corner point (31, 31): width 2 would ink rows/cols 31..32; only (31, 31) exists.
    corner = rasterize([stroke([255], [255])], size=32, line_width=2)
    assert np.argwhere(corner).tolist() == [[31, 31]]
    # A vertical line on the right edge, x = 31, y = 0..2, width 3: only column 31, rows 0..4.
    edge = rasterize([stroke([255, 255], [0, 16])], size=32, line_width=3)
    assert np.argwhere(edge).tolist() == [[0, 31], [1, 31], [2, 31], [3, 31], [4, 31]]
    # A horizontal line on the bottom row: row 31 only, columns 0..3 (segment 0..2, width 2).
    bottom = rasterize([stroke([0, 16], [255, 255])], size=32, line_width=2)
    assert np.argwhere(bottom).tolist() == [[31, 0], [31, 1], [31, 2], [31, 3]]


def test_the_float_order_of_the_rule_is_followed_literally():
    # (0, 0)-(88, 176) -> (0, 0)-(11, 22): n = 23. Sample 15 has t = 15/22 and exact
    # x = 7.5, but in float64 (15/22)*11 = 7.499999999999999, so x = floor(7.9999...) = 7.
    # The rule fixes this order of operations; computing i*dx/(n-1) instead would give 8.
    assert (15 / 22) * 11 + 0.5 < 8.0
    image = rasterize([stroke([0, 88], [0, 176])], size=32, line_width=1)
    assert np.flatnonzero(image[15]).tolist() == [7]
    many = rasterize_many([[stroke([0, 88], [0, 176])]], size=32, line_width=1)
    assert np.flatnonzero(many[0, 15]).tolist() == [7]


@pytest.fixture(scope="module")
def thousands():
    """2,000 random drawings and their images drawn one by one by the reference."""
    drawings = random_walk_drawings(2000, seed=3)
    expected = np.stack([rasterize(d.strokes) for d in drawings])
    assert expected.sum() > 50 * len(drawings)  # the drawings are not trivially empty
    return drawings, expected


def test_rasterize_many_equals_rasterize_on_thousands_of_drawings(thousands):
    drawings, expected = thousands
    np.testing.assert_array_equal(rasterize_many(drawings), expected)


def test_load_binary_rasterized_equals_rasterize_on_a_file(tmp_path, thousands):
    drawings, expected = thousands
    path = tmp_path / "cat.bin"
    write_drawings(path, drawings)
    # A small chunk size makes drawings straddle chunk boundaries.
    fast = load_binary_rasterized(path, chunk=777)
    assert fast.shape == (2000, 32, 32) and fast.dtype == np.uint8
    assert set(np.unique(fast).tolist()) == {0, 255}
    np.testing.assert_array_equal(fast, (expected * 255).astype(np.uint8))
    np.testing.assert_array_equal(load_binary_rasterized(path, limit=10), fast[:10])
    np.testing.assert_array_equal(load_binary_rasterized(path), fast)  # default chunk size


@pytest.mark.parametrize("size, line_width", [(28, 1), (28, 3), (64, 2), (8, 2)])
def test_fast_paths_equal_rasterize_at_other_sizes(size, line_width):
    drawings = random_walk_drawings(200, seed=size + line_width)
    expected = np.stack([rasterize(d.strokes, size, line_width) for d in drawings])
    np.testing.assert_array_equal(rasterize_many(drawings, size, line_width), expected)
    fast = load_binary_rasterized(io.BytesIO(to_bytes(drawings)), size=size, line_width=line_width)
    np.testing.assert_array_equal(fast, (expected * 255).astype(np.uint8))


def test_empty_inputs():
    assert rasterize([]).shape == (32, 32)
    assert rasterize_many([]).shape == (0, 32, 32)
    assert load_binary_rasterized(io.BytesIO(b"")).shape == (0, 32, 32)


# --------------------------------------------------------------------------- numpy bitmaps

SAMPLE_SHA256 = "8b866c60d9754c72119abdf5a6cd0cbae229a2948abd2ceb2fe87589b9a120a5"


def test_numpy_bitmap_loader_on_the_real_cat_sample(real_data):
    from aecourse.download import sha256

    path = real_data("quickdraw/cat_numpy_bitmap_sample.npy")
    assert sha256(path) == SAMPLE_SHA256
    raw = np.load(path)
    images = load_numpy_bitmap(path)
    assert images.shape == (2000, 28, 28) and images.dtype == np.uint8
    np.testing.assert_array_equal(images.reshape(2000, 784), raw)
    padded = load_numpy_bitmap(path, size=32)
    assert padded.shape == (2000, 32, 32) and padded.dtype == np.uint8
    np.testing.assert_array_equal(padded[:, 2:30, 2:30], images)
    border = padded.copy()
    border[:, 2:30, 2:30] = 0
    assert not border.any()
    assert images.max() == 255  # ink 255, as Google ships it
    assert load_numpy_bitmap(path, size=32, limit=5).shape == (5, 32, 32)


@pytest.mark.parametrize("array", [np.zeros((3, 28, 28), np.uint8), np.zeros((3, 784), np.float32),
                                   np.zeros((3, 783), np.uint8)])
def test_numpy_bitmap_loader_refuses_other_layouts(tmp_path, array):
    path = tmp_path / "x.npy"
    np.save(path, array)
    with pytest.raises(ValueError, match=r"\(n, 784\) uint8"):
        load_numpy_bitmap(path)


def test_numpy_bitmap_sizes(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, np.full((2, 784), 7, np.uint8))
    with pytest.raises(ValueError, match="28 or 32"):
        load_numpy_bitmap(path, size=64)
    padded = load_numpy_bitmap(path, size=32)
    assert padded[0, 2, 2] == 7 and padded[0, 1, 2] == 0 and padded[0, 29, 29] == 7 and padded[0, 30, 29] == 0

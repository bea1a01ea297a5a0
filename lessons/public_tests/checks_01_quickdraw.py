"""Public checks of lesson 01_quickdraw: the binary reader, the rasterizer and the centring of a drawing."""

from __future__ import annotations

import io
import struct

import numpy as np

from public_tests.framework import expect, public_check

# A tiny drawing written byte by byte, so these checks do not depend on any writer:
# key_id 7, "DE", recognised, timestamp 1234567890, two strokes:
#   stroke 0: (0, 0) -> (255, 128)    stroke 1: a single point (16, 200)
TINY = (struct.pack("<Q2sbIH", 7, b"DE", 1, 1234567890, 2)
        + struct.pack("<H", 2) + bytes([0, 255]) + bytes([0, 128])
        + struct.pack("<H", 1) + bytes([16]) + bytes([200]))


def _as_list(values):
    return [int(v) for v in np.asarray(values).ravel()]


def _strokes(drawing):
    return [(_as_list(x), _as_list(y)) for x, y in drawing.strokes]


@public_check("unpack_drawing")
def parses_a_tiny_hand_made_drawing(ns):
    """parses a tiny hand-made drawing (header fields and strokes)"""
    drawing = ns.unpack_drawing(io.BytesIO(TINY))
    expect(drawing is not None, "unpack_drawing returned None for a stream that holds a drawing",
           hint="return None only when the first read gives no bytes at all (b'').")
    fields = {name: getattr(drawing, name, None) for name in ("key_id", "countrycode", "recognized", "timestamp")}
    wanted = {"key_id": 7, "countrycode": "DE", "recognized": True, "timestamp": 1234567890}
    expect(fields == wanted, "the header fields are not right", expected=wanted, got=fields,
           hint="compare with the step-by-step cells above the exercise: the country code arrives as bytes "
                "but a Drawing holds text (str), and `recognized` arrives as 0 or 1 but is a bool.")
    wanted_strokes = [([0, 255], [0, 128]), ([16], [200])]
    expect(isinstance(drawing.strokes, list), "strokes should be a list", got=type(drawing.strokes).__name__,
           hint="collect the (x, y) pairs in a list: an iterator can be read only once.")
    expect(_strokes(drawing) == wanted_strokes, "the strokes are not right", expected=wanted_strokes,
           got=_strokes(drawing),
           hint="each stroke is n_points (2 bytes, '<H'), then all n_points x bytes, then all n_points y bytes.")


@public_check("unpack_drawing")
def reads_large_ids_and_timestamps_as_unsigned(ns):
    """reads key_ids above 2**63 and timestamps above 2**31 as the positive numbers they are"""
    header = struct.pack("<Q2sbIH", 2**64 - 5, b"JP", 0, 2**32 - 7, 0)
    drawing = ns.unpack_drawing(io.BytesIO(header))
    got = (getattr(drawing, "key_id", None), getattr(drawing, "timestamp", None))
    expect(got == (2**64 - 5, 2**32 - 7), "large header numbers come out wrong", expected=(2**64 - 5, 2**32 - 7),
           got=got, hint="both are unsigned (the format table's `struct` codes): a lowercase code reads the same bytes "
                    "as a signed, possibly negative, number.")


@public_check("unpack_drawing")
def reads_drawings_one_after_another(ns):
    """reads two drawings in a row, then returns None at the end"""
    stream = io.BytesIO(TINY + TINY)
    first, second = ns.unpack_drawing(stream), ns.unpack_drawing(stream)
    expect(first is not None and second is not None, "the second drawing was not found",
           hint="read exactly the bytes of one drawing, so the stream is left at the start of the next one.")
    expect(_strokes(second) == [([0, 255], [0, 128]), ([16], [200])], "the second drawing differs from the first",
           got=_strokes(second), hint="did the first call read more (or fewer) bytes than its drawing has?")
    end = ns.unpack_drawing(stream)
    expect(end is None, "at the end of the stream unpack_drawing should return None", got=end,
           hint="the normal end of a file is a header read that gives no bytes at all: that case returns None.")


@public_check("unpack_drawing")
def refuses_a_truncated_stream(ns):
    """raises EOFError when the stream stops inside a drawing"""
    try:
        ns.unpack_drawing(io.BytesIO(TINY[:-1]))
    except EOFError:
        return
    except NotImplementedError:
        raise
    except Exception as error:  # noqa: BLE001 - a wrong kind of error is the student's answer
        expect(False, f"a truncated stream raised {type(error).__name__}, not EOFError",
               hint="a short read raises nothing by itself (the step-by-step cells showed it): compare what came back "
                    "with what the format promised, and raise EOFError yourself.")
    expect(False, "a stream cut one byte before the end of the drawing raised no error",
           hint="any read can come back short at the end of a file, the coordinates' too, not only the header's.")


@public_check("rasterize_strokes")
def gives_an_empty_float32_canvas(ns):
    """an empty drawing gives a (32, 32) float32 canvas of zeros"""
    image = np.asarray(ns.rasterize_strokes([]))
    expect(image.shape == (32, 32), "wrong shape", expected=(32, 32), got=image.shape)
    expect(image.dtype == np.float32, "wrong dtype", expected="float32", got=str(image.dtype),
           hint="start from an empty canvas of the right type: numpy's default float type is float64.")
    expect(not image.any(), "an empty drawing should leave the canvas empty", got=int(np.count_nonzero(image)))


@public_check("rasterize_strokes")
def draws_a_horizontal_line(ns):
    """a horizontal line across the canvas inks rows 16 and 17 from edge to edge"""
    image = np.asarray(ns.rasterize_strokes([([0, 255], [128, 128])]))
    expected = np.zeros((32, 32), dtype=np.float32)
    expected[16:18, :] = 1.0
    if image.shape == (32, 32) and np.array_equal(image, expected.T):
        expect(False, "the line came out vertical", hint="the image is indexed [row, column] = [y, x].")
    rows = sorted(set(np.nonzero(image)[0].tolist())) if image.ndim == 2 else None
    expect(image.shape == (32, 32) and np.array_equal(image, expected), "the line is not where it should be",
           expected="ones in rows 16 and 17, every column", got=f"ink in rows {rows}, {int(image.sum())} pixels",
           hint="by rule 1, x = 0..255 scales to columns 0..31 and y = 128 to row 16; line_width 2 inks rows 16-17.")


@public_check("rasterize_strokes")
def draws_a_single_point_and_a_diagonal(ns):
    """a one-point stroke inks a 2x2 square; a diagonal inks its pixels"""
    image = np.asarray(ns.rasterize_strokes([([80], [40])]))
    expected = np.zeros((32, 32), dtype=np.float32)
    expected[5:7, 10:12] = 1.0
    expect(np.array_equal(image, expected), "a single point (x=80, y=40) should ink rows 5-6, columns 10-11",
           got=f"ink at {np.argwhere(image).tolist()}", hint="a stroke with one point still draws that point.")
    image = np.asarray(ns.rasterize_strokes([([0, 24], [0, 24])], line_width=1))
    expected = np.zeros((32, 32), dtype=np.float32)
    expected[[0, 1, 2, 3], [0, 1, 2, 3]] = 1.0
    expect(np.array_equal(image, expected), "the diagonal (0,0)->(24,24) with line_width=1 should ink (0,0)..(3,3)",
           got=f"ink at {np.argwhere(image).tolist()}", hint="rule 2: one sample per pixel along the segment's longer direction, both ends included.")


@public_check("rasterize_strokes")
def agrees_with_the_course_rasterizer(ns):
    """agrees pixel for pixel with aecourse.quickdraw.rasterize on random drawings"""
    from aecourse.quickdraw import rasterize

    rng = np.random.default_rng(1)
    for trial in range(20):
        strokes = [(rng.integers(0, 256, m, dtype=np.uint8), rng.integers(0, 256, m, dtype=np.uint8))
                   for m in rng.integers(1, 9, size=rng.integers(1, 5))]
        size, width = [(32, 2), (28, 1), (64, 3)][trial % 3]
        got = np.asarray(ns.rasterize_strokes(strokes, size=size, line_width=width))
        want = rasterize(strokes, size=size, line_width=width)
        if got.shape != want.shape or not np.array_equal(got, want):
            differ = int(np.sum(got != want)) if got.shape == want.shape else "all"
            expect(False, f"random drawing #{trial} (size={size}, line_width={width}) differs in {differ} pixels",
                   hint="follow rules 1 and 2 to the letter: scale by size / 256 in integer arithmetic, on Python ints "
                        "(uint8 wraps around at 256, the trap in the exercise's text), and round as rule 2 says: "
                        "Python's round() sends halves to the even neighbour.")


# ----------------------------------------------------------------------------- center_drawing

def _centred(ns, strokes):
    """The student's centred drawing, its form checked; as [(x, y)] int64 arrays for the arithmetic."""
    got = ns.center_drawing(strokes)
    expect(isinstance(got, list) and len(got) == len(strokes),
           "center_drawing should return a new list with one (x, y) pair per stroke",
           expected=f"a list of {len(strokes)} pairs", got=f"{type(got).__name__} of {len(got)}"
           if hasattr(got, "__len__") else type(got).__name__,
           hint="the result is a drawing's strokes again, in the same order, so lesson 1's other functions can use it.")
    moved = []
    for k, (pair, (x, _)) in enumerate(zip(got, strokes)):
        expect(isinstance(pair, (tuple, list)) and len(pair) == 2, f"stroke {k} is not an (x, y) pair", got=pair)
        arrays = [np.asarray(values) for values in pair]
        expect(all(a.dtype == np.uint8 for a in arrays), f"stroke {k}: the coordinates should be uint8 arrays",
               expected="uint8", got=" and ".join(str(a.dtype) for a in arrays),
               hint="a centred drawing is still a Quick Draw drawing: one byte per coordinate, as the reader gives them.")
        expect(all(a.shape == (len(x),) for a in arrays), f"stroke {k} gained or lost points",
               expected=f"{len(x)} x and {len(x)} y values", got=" and ".join(str(a.shape) for a in arrays),
               hint="moving a drawing moves every point and adds or drops none, one-point strokes included.")
        moved.append(tuple(a.astype(np.int64) for a in arrays))
    return moved


def _one_offset(strokes, moved):
    """(dx, dy), after checking that every point of every stroke moved by it."""
    shifts = [{int(b) - int(a) for values, new in zip(axis_in, axis_out) for a, b in zip(values, new)}
              for axis_in, axis_out in (([x for x, _ in strokes], [x for x, _ in moved]),
                                        ([y for _, y in strokes], [y for _, y in moved]))]
    expect(len(shifts[0]) == 1 and len(shifts[1]) == 1,
           "the drawing was not moved as a whole: its points moved by different amounts",
           expected="one (dx, dy) for every point of every stroke", got=f"x moved by {sorted(shifts[0])[:6]}, "
           f"y by {sorted(shifts[1])[:6]}",
           hint="moving keeps every distance between points, across strokes too, and order within a stroke; "
                "a value that wrapped around at 256 has moved by a different amount than its neighbours.")
    return shifts[0].pop(), shifts[1].pop()


def _margins(moved):
    xs = np.concatenate([x for x, _ in moved])
    ys = np.concatenate([y for _, y in moved])
    return int(xs.min()), 255 - int(xs.max()), int(ys.min()), 255 - int(ys.max())


def _expect_centred(strokes, moved, what):
    left, right, top, bottom = _margins(moved)
    expect(abs(left - right) <= 1 and abs(top - bottom) <= 1, f"{what}: the empty margins are not equal",
           expected="|left - right| <= 1 and |top - bottom| <= 1",
           got=f"left {left}, right {right}, top {top}, bottom {bottom}",
           hint="a margin is the space between the frame's edge and the drawing's outermost point on that side. "
                "Which of the drawing's points decide it, and does your method look at those?")


@public_check("center_drawing")
def keeps_the_strokes_and_their_points(ns):
    """returns one uint8 (x, y) pair per stroke, as long as the input's"""
    strokes = [(np.array([0, 40, 80], np.uint8), np.array([0, 30, 0], np.uint8)),
               (np.array([20], np.uint8), np.array([10], np.uint8))]
    _centred(ns, strokes)


@public_check("center_drawing")
def moves_a_corner_drawing_into_the_middle(ns):
    """a drawing pressed into the top-left corner, its points bunched near the top, lands in the middle unchanged"""
    # Google-style: x spans 0..255 (the longer side), y 0..100; most points near y = 0.
    strokes = [(np.array([0, 60, 120, 180, 255], np.uint8), np.array([0, 4, 0, 4, 0], np.uint8)),
               (np.array([30, 31, 32, 33, 34, 35], np.uint8), np.array([2, 3, 2, 3, 2, 3], np.uint8)),
               (np.array([128, 128], np.uint8), np.array([10, 100], np.uint8))]
    moved = _centred(ns, strokes)
    dx, dy = _one_offset(strokes, moved)
    expect(dx == 0, "the drawing spans the whole width: it cannot move sideways", expected="dx = 0", got=f"dx = {dx}",
           hint="with no room on either side, the margins are already equal.")
    _expect_centred(strokes, moved, "a drawing in the top-left corner")


@public_check("center_drawing")
def moves_all_strokes_by_one_offset(ns):
    """a small stroke and a large one move together, keeping their distance"""
    strokes = [(np.array([10, 20], np.uint8), np.array([10, 20], np.uint8)),
               (np.array([50, 190, 120], np.uint8), np.array([40, 40, 160], np.uint8))]
    moved = _centred(ns, strokes)
    _one_offset(strokes, moved)
    _expect_centred(strokes, moved, "two strokes")


@public_check("center_drawing")
def moves_a_drawing_on_the_far_side_back_without_wrapping(ns):
    """a uint8 drawing at the bottom right moves left and up, no coordinate wrapping around"""
    strokes = [(np.array([150, 250, 200], np.uint8), np.array([180, 255, 200], np.uint8)),
               (np.array([170], np.uint8), np.array([190], np.uint8))]
    moved = _centred(ns, strokes)
    dx, dy = _one_offset(strokes, moved)
    expect(dx < 0 and dy < 0, "the drawing should move left and up, towards the middle", expected="dx < 0, dy < 0",
           got=f"dx = {dx}, dy = {dy}", hint="uint8 values cannot go below 0: 100 - 150 wraps around to 206. "
                                             "Do the arithmetic on numbers that can be negative.")
    _expect_centred(strokes, moved, "a drawing at the bottom right")


@public_check("center_drawing")
def leaves_a_full_frame_drawing_in_place(ns):
    """a drawing that spans the frame (with one-point strokes) does not move"""
    strokes = [(np.array([0, 255], np.uint8), np.array([10, 245], np.uint8)),
               (np.array([128], np.uint8), np.array([128], np.uint8)),
               (np.array([64], np.uint8), np.array([99], np.uint8))]
    moved = _centred(ns, strokes)
    offset = _one_offset(strokes, moved)
    expect(offset == (0, 0), "a drawing that is already centred, edge to edge, should stay where it is",
           expected=(0, 0), got=offset, hint="the margins are 0 and 0 sideways and 10 and 10 up and down: already equal. "
                                               "Is the middle of 0..255 at 127.5, or elsewhere in your arithmetic?")

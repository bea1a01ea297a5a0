"""Quick, Draw! drawings: the binary vector format, a rasterizer, and Google's bitmaps.

The binary format (``full/binary/<category>.bin``) is a plain concatenation of
drawings, all little-endian::

    key_id       Q   8 bytes   unique id of the drawing
    countrycode  2s  2 bytes   ISO country of the player, two ASCII letters ("US")
    recognized   b   1 byte    1 if the game's classifier recognised the drawing, else 0
    timestamp    I   4 bytes   Unix time of the drawing, seconds
    n_strokes    H   2 bytes
    n_strokes times:
        n_points H   2 bytes
        x        n_points x B  (0..255)
        y        n_points x B  (0..255)

Coordinates are Google's "simplified" drawings: aligned to the top-left corner,
scaled so the larger side spans 0..255, and thinned with Ramer-Douglas-Peucker.

There is no file header, no record length and no checksum, so a reader that
loses its place produces garbage rather than an error. Two kinds of checks
guard against that, and every error names the file, the drawing, the field and
the byte offset:

* **Format** (always an error, :class:`QuickDrawFormatError`): every count must
  be followed by as many bytes as it announces, the file must end exactly after
  a drawing, and 17 zero bytes are never a drawing (they are a run of zeros in a
  damaged file). Garbage appended to a file, or a file cut inside a drawing,
  fails this. A file cut exactly between two drawings cannot be told apart from
  a shorter file by its bytes alone (:mod:`aecourse.download` compares a
  download with its Content-Length and, for cat, with Google's drawing count).
* **Plausibility** (:data:`MAX_STROKES`, :data:`MAX_POINTS`, a country code of
  two ASCII letters, ``recognized`` in {0, 1}): a drawing that breaks one is
  still well formed, so by default it is skipped and counted, and one
  :class:`QuickDrawPlausibilityWarning` per file says how many were skipped and
  where. With ``strict=True`` the first one raises
  :class:`QuickDrawPlausibilityError` (a :class:`QuickDrawFormatError`) instead.
  A reader that lost its place almost never reaches the exact end of the file,
  so skipping does not let garbage through; it only keeps one odd drawing from
  refusing a whole category.

Pictures. The book draws each drawing black on white with PIL. The course
draws ink = 1.0 on 0.0, like MNIST: with a sigmoid output and binary
cross-entropy the model then learns sparse ink on an empty background, and
every figure of the course reads the same way for cats and digits.
:func:`rasterize` is the readable reference of the rasterization rule (the same
rule the first lesson's exercise implements); :func:`rasterize_many` and
:func:`load_binary_rasterized` draw exactly the same pixels, vectorised.
"""

from __future__ import annotations

import io
import math
import os
import struct
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Union

import numpy as np

PathOrFile = Union[str, os.PathLike, BinaryIO]

# Plausibility limits. Read from the wrong offset, a count is a uniformly random
# 16-bit number, so limits far above anything a person draws (but far below
# 65535) point at the place where a reader got lost. They are not part of the
# format: by default a drawing beyond them is skipped, with strict=True it is an error.
MAX_STROKES = 1000
MAX_POINTS = 5000
# How many skipped drawings a warning lists by position (it always gives the count).
_LISTED = 5

_HEADER = struct.Struct("<Q2sbIH")  # key_id, countrycode, recognized, timestamp, n_strokes
_COUNT = struct.Struct("<H")         # n_points of a stroke
# (name, offset within the drawing, size) of the header fields, for error messages.
_HEADER_FIELDS = (("key_id", 0, 8), ("countrycode", 8, 2), ("recognized", 10, 1),
                  ("timestamp", 11, 4), ("n_strokes", 15, 2))


class QuickDrawFormatError(ValueError):
    """A Quick Draw binary file is truncated or corrupt.

    Attributes: ``source`` (file name), ``index`` (0-based number of the
    drawing), ``drawing_offset`` (byte where that drawing starts), ``field``
    (e.g. ``"n_strokes"`` or ``"stroke 3 x values"``) and ``field_offset``
    (byte where that field starts).
    """

    def __init__(self, source: str, index: int, drawing_offset: int, field: str,
                 field_offset: int, problem: str):
        self.source = source
        self.index = index
        self.drawing_offset = drawing_offset
        self.field = field
        self.field_offset = field_offset
        self.problem = problem
        super().__init__(
            f"{source}: drawing #{index} (starting at byte {drawing_offset}): "
            f"field {field} at byte {field_offset}: {problem}")


class QuickDrawPlausibilityError(QuickDrawFormatError):
    """A well-formed drawing breaks a plausibility limit (raised only with ``strict=True``)."""

    def strict(self) -> QuickDrawPlausibilityError:
        """The error strict mode raises: the same, saying what the default would do."""
        return QuickDrawPlausibilityError(
            self.source, self.index, self.drawing_offset, self.field, self.field_offset,
            f"{self.problem} (strict mode refuses the file; the default, strict=False, "
            f"skips such a drawing and warns)")


class QuickDrawPlausibilityWarning(UserWarning):
    """Some well-formed drawings broke a plausibility limit and were skipped."""


def _skipped_warning(source: str, skipped: list, records: int) -> None:
    """The one warning per file about the drawings skipped for plausibility."""
    listed = "; ".join(f"#{e.index} at byte {e.drawing_offset} ({e.field}: {e.problem})"
                       for e in skipped[:_LISTED])
    more = f"; and {len(skipped) - _LISTED} more" if len(skipped) > _LISTED else ""
    warnings.warn(QuickDrawPlausibilityWarning(
        f"{source}: skipped {len(skipped)} of {records:,} drawings that break a plausibility "
        f"limit (the file's format is intact): {listed}{more}. Pass strict=True to refuse "
        f"such a file instead."), stacklevel=3)


def _strokes_equal(a, b) -> bool:
    return len(a) == len(b) and all(
        np.array_equal(ax, bx) and np.array_equal(ay, by) for (ax, ay), (bx, by) in zip(a, b))


@dataclass(eq=False)
class Drawing:
    """One Quick Draw drawing.

    ``strokes`` is a list of ``(x, y)`` pairs of equal-length uint8 arrays,
    coordinates 0..255, x to the right and y downwards.
    """

    key_id: int
    countrycode: str
    recognized: bool
    timestamp: int
    strokes: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)

    def __eq__(self, other):
        # The generated __eq__ would compare arrays with ==, which has no truth value.
        if not isinstance(other, Drawing):
            return NotImplemented
        return (self.key_id == other.key_id and self.countrycode == other.countrycode
                and self.recognized == other.recognized and self.timestamp == other.timestamp
                and _strokes_equal(self.strokes, other.strokes))


def _source_name(obj) -> str:
    if isinstance(obj, (str, os.PathLike)):
        return os.fspath(obj)
    return str(getattr(obj, "name", "<binary stream>"))


_ZERO_HEADER = (0, b"\0\0", 0, 0, 0)


def _header_problem(fields, source, index, offset) -> QuickDrawPlausibilityError | None:
    """What makes a parsed header implausible for a real drawing, or None.

    Raises for 17 zero bytes: that is a run of zeros (a preallocated or
    damaged file), not a drawing, and skipping it would let any run of zeros
    whose length is a multiple of 17 pass as a file of skipped drawings.
    """
    if fields == _ZERO_HEADER:
        raise QuickDrawFormatError(source, index, offset, "key_id", offset,
                                   "17 zero bytes where a drawing should start: the file holds "
                                   "a run of zero bytes, not drawings (damaged file)")
    _key_id, countrycode, recognized, _timestamp, n_strokes = fields
    if not (countrycode.isascii() and countrycode.isalpha()):
        return QuickDrawPlausibilityError(source, index, offset, "countrycode", offset + 8,
                                          f"expected two ASCII letters, found {countrycode!r}")
    if recognized not in (0, 1):
        return QuickDrawPlausibilityError(source, index, offset, "recognized", offset + 10,
                                          f"expected 0 or 1, found {recognized}")
    if n_strokes > MAX_STROKES:
        return QuickDrawPlausibilityError(source, index, offset, "n_strokes", offset + 15,
                                          f"{n_strokes} strokes is implausible (limit {MAX_STROKES})")
    return None


def _points_problem(n_points, source, index, offset, stroke, at) -> QuickDrawPlausibilityError:
    return QuickDrawPlausibilityError(source, index, offset, f"stroke {stroke} n_points", at,
                                      f"{n_points} points is implausible (limit {MAX_POINTS})")


def _truncated(source, index, offset, field, at, problem, pending) -> QuickDrawFormatError:
    """A truncation error; ``pending`` is this drawing's plausibility problem, if it had one."""
    if pending is not None:
        # A drawing that is both implausible and cut short is most likely not a
        # drawing at all (garbage, or a reader that lost its place): say so.
        problem += (f"; this drawing also breaks a plausibility limit ({pending.field}: "
                    f"{pending.problem}), so these bytes may not be Quick Draw data at all")
    return QuickDrawFormatError(source, index, offset, field, at, problem)


def _truncated_header(got: int, source, index, offset) -> QuickDrawFormatError:
    """The error for a header cut after ``got`` of its 17 bytes."""
    for name, start, size in _HEADER_FIELDS:
        if got < start + size:
            return QuickDrawFormatError(
                source, index, offset, name, offset + start,
                f"file ends after {got} of the header's {_HEADER.size} bytes (truncated file)")
    raise AssertionError("a complete header is not truncated")


def _read_one(f: BinaryIO, source: str, index: int, offset: int, strict: bool):
    """Parse the drawing starting at byte ``offset``; None at a clean end of file.

    Returns ``(drawing, size, problem)``: the drawing, the number of bytes it
    took, and its plausibility problem (then ``drawing`` is None) or None.
    """
    header = f.read(_HEADER.size)
    if not header:
        return None
    if len(header) < _HEADER.size:
        raise _truncated_header(len(header), source, index, offset)
    fields = _HEADER.unpack(header)
    problem = _header_problem(fields, source, index, offset)
    if problem is not None and strict:
        raise problem.strict()
    key_id, countrycode, recognized, timestamp, n_strokes = fields
    pos = offset + _HEADER.size
    strokes = []
    for s in range(n_strokes):
        raw = f.read(2)
        if len(raw) < 2:
            raise _truncated(source, index, offset, f"stroke {s} n_points", pos,
                             f"file ends after {len(raw)} of 2 bytes (truncated file)", problem)
        (n_points,) = _COUNT.unpack(raw)
        if n_points > MAX_POINTS and problem is None:
            problem = _points_problem(n_points, source, index, offset, s, pos)
            if strict:
                raise problem.strict()
        pos += 2
        coords = f.read(2 * n_points)
        if len(coords) < 2 * n_points:
            which, start = ("x", pos) if len(coords) < n_points else ("y", pos + n_points)
            raise _truncated(source, index, offset, f"stroke {s} {which} values", start,
                             f"file ends {len(coords)} bytes into the stroke's {2 * n_points} "
                             f"coordinate bytes (truncated file)", problem)
        if problem is None:
            xy = np.frombuffer(coords, dtype=np.uint8)
            strokes.append((xy[:n_points].copy(), xy[n_points:].copy()))
        pos += 2 * n_points
    if problem is not None:
        return None, pos - offset, problem
    drawing = Drawing(key_id=key_id, countrycode=countrycode.decode("ascii"),
                      recognized=bool(recognized), timestamp=timestamp, strokes=strokes)
    return drawing, pos - offset, None


def read_drawings(path_or_file: PathOrFile, strict: bool = False) -> Iterator[Drawing]:
    """Yield the drawings of a Quick Draw binary file one by one (streaming).

    ``path_or_file`` is a path or a binary file object (read from its current
    position; offsets in errors count from there). Raises
    :class:`QuickDrawFormatError` at the first truncated or malformed drawing;
    drawings before it have been yielded already. Drawings that break a
    plausibility limit are skipped, with one :class:`QuickDrawPlausibilityWarning`
    when the file has been read; ``strict=True`` raises
    :class:`QuickDrawPlausibilityError` at the first instead.
    """
    source = _source_name(path_or_file)
    if isinstance(path_or_file, (str, os.PathLike)):
        with open(path_or_file, "rb") as f:
            yield from _read_all(f, source, strict)
    else:
        yield from _read_all(path_or_file, source, strict)


def _read_all(f: BinaryIO, source: str, strict: bool) -> Iterator[Drawing]:
    # Buffering matters: the parser reads a few bytes at a time.
    if isinstance(f, io.RawIOBase):
        f = io.BufferedReader(f)
    offset, index, skipped = 0, 0, []
    while True:
        parsed = _read_one(f, source, index, offset, strict)
        if parsed is None:
            break
        drawing, size, problem = parsed
        if problem is None:
            yield drawing
        else:
            skipped.append(problem)
        offset += size
        index += 1
    if skipped:
        _skipped_warning(source, skipped, index)


def _as_coords(values, what: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{what}: expected a 1-D array of coordinates, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        if arr.size and (not np.issubdtype(arr.dtype, np.integer) or arr.min() < 0 or arr.max() > 255):
            raise ValueError(f"{what}: coordinates must be integers in 0..255")
        arr = arr.astype(np.uint8)
    return arr


def write_drawings(path_or_file: PathOrFile, drawings: Iterable[Drawing]) -> int:
    """Write drawings in the Quick Draw binary format; returns how many were written.

    The output reads back with :func:`read_drawings` to equal drawings, even in
    strict mode: values that break the format or a plausibility limit (e.g. a
    three-letter country code, more than ``MAX_STROKES`` strokes) raise
    ValueError before anything of that drawing is written.
    """
    if isinstance(path_or_file, (str, os.PathLike)):
        with open(path_or_file, "wb") as f:
            return _write_all(f, drawings)
    return _write_all(path_or_file, drawings)


def _encode(d: Drawing, index: int) -> bytes:
    where = f"drawing #{index}"
    code = d.countrycode.encode("ascii", errors="replace") if isinstance(d.countrycode, str) else d.countrycode
    if len(code) != 2 or not (code.isascii() and code.isalpha()):
        raise ValueError(f"{where}: countrycode must be two ASCII letters, not {d.countrycode!r}")
    if d.recognized not in (0, 1):  # True and False compare equal to 1 and 0
        raise ValueError(f"{where}: recognized must be a bool, not {d.recognized!r}")
    if not 0 <= d.key_id < 2**64 or not 0 <= d.timestamp < 2**32:
        raise ValueError(f"{where}: key_id must fit 64 bits and timestamp 32 bits (unsigned)")
    if len(d.strokes) > MAX_STROKES:
        raise ValueError(f"{where}: {len(d.strokes)} strokes, more than MAX_STROKES={MAX_STROKES}")
    parts = [_HEADER.pack(d.key_id, code, int(d.recognized), d.timestamp, len(d.strokes))]
    for s, (x, y) in enumerate(d.strokes):
        x = _as_coords(x, f"{where} stroke {s} x")
        y = _as_coords(y, f"{where} stroke {s} y")
        if len(x) != len(y):
            raise ValueError(f"{where} stroke {s}: {len(x)} x values but {len(y)} y values")
        if len(x) > MAX_POINTS:
            raise ValueError(f"{where} stroke {s}: {len(x)} points, more than MAX_POINTS={MAX_POINTS}")
        parts += [_COUNT.pack(len(x)), x.tobytes(), y.tobytes()]
    return b"".join(parts)


def _write_all(f: BinaryIO, drawings: Iterable[Drawing]) -> int:
    count = 0
    for count, drawing in enumerate(drawings, start=1):
        f.write(_encode(drawing, count - 1))
    return count


# --------------------------------------------------------------------------- rasterizing

def rasterize(strokes, size: int = 32, line_width: int = 2) -> np.ndarray:
    """Draw one drawing's strokes as a ``(size, size)`` float32 image, ink 1.0 on 0.0.

    ``strokes``: list of ``(x, y)`` coordinate sequences in 0..255 (a
    :class:`Drawing`'s ``strokes``, or the Drawing itself). The rule, shared with the first lesson:

    1. each coordinate c becomes the pixel ``p = (c * size) // 256`` (c // 8 for 32);
    2. a one-point stroke draws its point; each segment (x0, y0) -> (x1, y1) of a
       longer stroke is sampled at ``n = max(|x1-x0|, |y1-y0|) + 1`` points,
       ``t = i / (n - 1)``, ``x = floor(x0 + t * (x1 - x0) + 0.5)`` (likewise y),
       computed in float64 in exactly this order;
    3. each sampled point inks the ``line_width x line_width`` square whose
       top-left pixel is (x, y): ``image[y:y+w, x:x+w]``, clipped at the edges.

    The book drew black lines on white with PIL; we draw ink 1.0 on 0.0 like
    MNIST (see the module docstring), and with our own exact rule so that an
    exercise can be checked pixel for pixel. Plain loops on purpose: this is the
    reference that the vectorised :func:`rasterize_many` is tested against.
    """
    if size < 1 or line_width < 1:
        raise ValueError("size and line_width must be positive")
    if isinstance(strokes, Drawing):
        strokes = strokes.strokes
    image = np.zeros((size, size), dtype=np.float32)
    for xs, ys in strokes:
        xs = _as_coords(xs, "x")
        ys = _as_coords(ys, "y")
        if len(xs) != len(ys):
            raise ValueError(f"a stroke has {len(xs)} x values but {len(ys)} y values")
        points = [(int(x) * size // 256, int(y) * size // 256) for x, y in zip(xs, ys)]
        if len(points) == 1:
            samples = points
        else:
            samples = []
            for (x0, y0), (x1, y1) in zip(points, points[1:]):
                n = max(abs(x1 - x0), abs(y1 - y0)) + 1
                for i in range(n):
                    t = i / (n - 1) if n > 1 else 0.0
                    samples.append((math.floor(x0 + t * (x1 - x0) + 0.5),
                                    math.floor(y0 + t * (y1 - y0) + 0.5)))
        for x, y in samples:
            image[y:y + line_width, x:x + line_width] = 1.0  # slicing clips at the edge
    return image


def _ink(x: np.ndarray, y: np.ndarray, lengths: np.ndarray, owner: np.ndarray,
         out: np.ndarray, line_width: int, ink) -> None:
    """Draw many strokes into ``out`` (n, size, size) at once, same pixels as :func:`rasterize`.

    ``x``, ``y``: the coordinates (0..255) of all strokes, concatenated;
    ``lengths[k]``: number of points of stroke k; ``owner[k]``: the index in
    ``out`` of the image that stroke k belongs to.
    """
    size = out.shape[-1]
    px = x.astype(np.int64) * size // 256
    py = y.astype(np.int64) * size // 256
    lengths = lengths.astype(np.int64)
    ends = np.cumsum(lengths)
    is_last = np.zeros(len(px), dtype=bool)
    is_last[ends[lengths > 0] - 1] = True
    point_owner = np.repeat(owner, lengths)
    one_point = np.repeat(lengths == 1, lengths)

    # Every point starts a segment to the next point of its stroke, except the
    # last point; a one-point stroke is a segment from its point to itself.
    start = np.flatnonzero(~is_last | one_point)
    end = start + (~is_last[start])
    x0, y0 = px[start], py[start]
    dx, dy = px[end] - x0, py[end] - y0
    n = np.maximum(np.abs(dx), np.abs(dy)) + 1

    # One row per sampled point; t = i / (n - 1) exactly as the reference computes it.
    # Sample 0 of a segment that continues a stroke is the previous segment's last
    # sample (t = 1 gives exactly x1), so it is skipped.
    seg = np.repeat(np.arange(len(start)), n)
    i = np.arange(len(seg)) - np.repeat(np.cumsum(n) - n, n)
    continues = np.zeros(len(px), dtype=bool)
    continues[1:] = ~is_last[:-1]  # the previous point is in the same stroke
    keep = (i > 0) | ~continues[start][seg]
    seg, i = seg[keep], i[keep]
    t = i / np.maximum(n - 1, 1)[seg]
    sx = np.floor(x0[seg] + t * dx[seg] + 0.5).astype(np.int64)
    sy = np.floor(y0[seg] + t * dy[seg] + 0.5).astype(np.int64)

    # Mark the sampled points, then ink the w x w square below-right of each by
    # shifting the whole point mask: shifted slices clip at the edges by themselves.
    points = np.zeros(out.shape, dtype=bool)
    points.reshape(-1)[(point_owner[start][seg] * size + sy) * size + sx] = True
    inked = np.zeros(out.shape, dtype=bool)
    for oy in range(min(line_width, size)):
        for ox in range(min(line_width, size)):
            inked[:, oy:, ox:] |= points[:, :size - oy, :size - ox]
    out[inked] = ink


def rasterize_many(drawings, size: int = 32, line_width: int = 2) -> np.ndarray:
    """Rasterize many drawings at once: ``(n, size, size)`` float32, ink 1.0 on 0.0.

    ``drawings``: a sequence of :class:`Drawing` or of stroke lists. Pixels are
    identical to ``rasterize(strokes, size, line_width)`` for each drawing.
    All drawings are drawn in one go (temporaries of roughly 100 bytes per
    point); for a whole file use :func:`load_binary_rasterized`.
    """
    stroke_lists = [d.strokes if isinstance(d, Drawing) else d for d in drawings]
    out = np.zeros((len(stroke_lists), size, size), dtype=np.float32)
    xs, ys, lengths, owner = [], [], [], []
    for k, strokes in enumerate(stroke_lists):
        for sx, sy in strokes:
            sx, sy = _as_coords(sx, "x"), _as_coords(sy, "y")
            if len(sx) != len(sy):
                raise ValueError(f"drawing #{k}: a stroke has {len(sx)} x values but {len(sy)} y values")
            xs.append(sx)
            ys.append(sy)
            lengths.append(len(sx))
            owner.append(k)
    if xs:
        _ink(np.concatenate(xs), np.concatenate(ys), np.array(lengths), np.array(owner),
             out, line_width, 1.0)
    return out


@dataclass(frozen=True)
class Walk:
    """Where the kept drawings of a file are, found without copying coordinates.

    ``stroke_offsets[k]`` is the byte where stroke k's x values start,
    ``stroke_lengths[k]`` its number of points, ``strokes_per_drawing[i]`` the
    number of strokes of kept drawing i. ``records``: drawings walked, kept or
    skipped; ``skipped``: the plausibility problems of the skipped ones;
    ``end``: the byte where the walk stopped (the file's size unless ``limit``).
    """

    drawings: int
    stroke_offsets: np.ndarray
    stroke_lengths: np.ndarray
    strokes_per_drawing: np.ndarray
    records: int
    skipped: tuple
    end: int


def walk_binary(buf: bytes, source: str = "<bytes>", limit: int | None = None,
                strict: bool = False) -> Walk:
    """Walk every drawing of a whole file in memory, checking format and plausibility.

    Same checks, errors and skipping rule as :func:`read_drawings`, but it
    issues no warning (the caller decides; see :func:`load_binary_rasterized`).
    ``limit`` stops after that many kept drawings, before the end of the file.
    """
    header, count = _HEADER.unpack_from, _COUNT.unpack_from
    hsize, total = _HEADER.size, len(buf)
    offsets, lengths, per_drawing, skipped = [], [], [], []
    add_offset, add_length = offsets.append, lengths.append
    pos = index = kept = 0
    while pos < total and (limit is None or kept < limit):
        start = pos
        if total - pos < hsize:
            raise _truncated_header(total - pos, source, index, start)
        fields = header(buf, pos)
        problem = None
        # Inline the cheap checks: this loop runs once per drawing of a large file.
        if not (fields[1].isalpha() and fields[1].isascii()) or fields[2] not in (0, 1) \
                or fields[4] > MAX_STROKES:
            problem = _header_problem(fields, source, index, start)
            if strict:
                raise problem.strict()
        n_strokes = fields[4]
        first_stroke = len(offsets)
        pos += hsize
        for s in range(n_strokes):
            if pos + 2 > total:
                raise _truncated(source, index, start, f"stroke {s} n_points", pos,
                                 f"file ends after {total - pos} of 2 bytes (truncated file)", problem)
            (n_points,) = count(buf, pos)
            if n_points > MAX_POINTS and problem is None:
                problem = _points_problem(n_points, source, index, start, s, pos)
                if strict:
                    raise problem.strict()
            pos += 2
            if pos + 2 * n_points > total:
                have = total - pos
                which, at = ("x", pos) if have < n_points else ("y", pos + n_points)
                raise _truncated(source, index, start, f"stroke {s} {which} values", at,
                                 f"file ends {have} bytes into the stroke's {2 * n_points} "
                                 f"coordinate bytes (truncated file)", problem)
            add_offset(pos)
            add_length(n_points)
            pos += 2 * n_points
        if problem is None:
            per_drawing.append(n_strokes)
            kept += 1
        else:
            del offsets[first_stroke:], lengths[first_stroke:]
            skipped.append(problem)
        index += 1
    return Walk(kept, np.array(offsets, dtype=np.int64), np.array(lengths, dtype=np.int64),
                np.array(per_drawing, dtype=np.int64), index, tuple(skipped), pos)


def load_binary_rasterized(path_or_file: PathOrFile, size: int = 32, limit: int | None = None,
                           line_width: int = 2, chunk: int = 512, strict: bool = False) -> np.ndarray:
    """Parse and rasterize a whole Quick Draw binary file, fast.

    Returns a ``(n, size, size)`` uint8 array, ink 255 on 0 (the scale of
    Google's numpy_bitmap files; divide by 255 for the float images of
    :func:`rasterize`, pixel for pixel). ``limit`` keeps the first drawings
    only. Raises :class:`QuickDrawFormatError`, and skips implausible drawings
    with one warning (or raises, with ``strict=True``), like :func:`read_drawings`.

    How: the file is read into memory once, a Python loop walks only the
    headers (``struct.unpack_from``, no copies), then numpy gathers the
    coordinates and draws ``chunk`` drawings at a time. Small chunks keep the
    temporary arrays at a few MB, which is both lean and faster (they stay in
    the CPU caches). Peak memory is about the file plus the result.
    """
    source = _source_name(path_or_file)
    if isinstance(path_or_file, (str, os.PathLike)):
        buf = Path(path_or_file).read_bytes()
    else:
        buf = path_or_file.read()
    walk = walk_binary(buf, source, limit, strict)
    if walk.skipped:
        _skipped_warning(source, list(walk.skipped), walk.records)
    n, offsets, lengths, per_drawing = (walk.drawings, walk.stroke_offsets, walk.stroke_lengths,
                                        walk.strokes_per_drawing)
    data = np.frombuffer(buf, dtype=np.uint8)
    out = np.zeros((n, size, size), dtype=np.uint8)
    first_stroke = np.concatenate([[0], np.cumsum(per_drawing)])
    for lo in range(0, n, chunk):
        hi = min(lo + chunk, n)
        s0, s1 = first_stroke[lo], first_stroke[hi]
        lens, offs = lengths[s0:s1], offsets[s0:s1]
        owner = np.repeat(np.arange(hi - lo), per_drawing[lo:hi])
        # Index of every x byte: the stroke's offset plus the point's rank in it;
        # its y byte sits n_points further on.
        rank = np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens)
        xi = np.repeat(offs, lens) + rank
        yi = xi + np.repeat(lens, lens)
        _ink(data[xi], data[yi], lens, owner, out[lo:hi], line_width, 255)
    return out


# --------------------------------------------------------------------------- numpy bitmaps

def load_numpy_bitmap(path, size: int = 28, limit: int | None = None) -> np.ndarray:
    """Load one of Google's ``numpy_bitmap`` files as ``(n, size, size)`` uint8, ink 255 on 0.

    The files hold an ``(n, 784)`` uint8 array: 28x28 images (anti-aliased, so
    grey levels occur) of the drawing centred on its bounding box. ``size=32``
    pads each image with 2 empty pixels on every side, so the drawings keep
    Google's scale and sit centred in the 32x32 frame of the binary pipeline.
    ``limit`` keeps the first rows (read via a memory map, so only those are loaded).
    """
    if size not in (28, 32):
        raise ValueError(f"numpy_bitmap images are 28x28; size must be 28 or 32 (padded), not {size}")
    raw = np.load(path, mmap_mode="r", allow_pickle=False)
    if raw.ndim != 2 or raw.shape[1] != 28 * 28 or raw.dtype != np.uint8:
        raise ValueError(f"{os.fspath(path)}: expected an (n, 784) uint8 array (Quick Draw "
                         f"numpy_bitmap), found shape {raw.shape} and dtype {raw.dtype}")
    images = np.array(raw[:limit]).reshape(-1, 28, 28)
    if size == 28:
        return images
    padded = np.zeros((len(images), 32, 32), dtype=np.uint8)
    padded[:, 2:30, 2:30] = images
    return padded

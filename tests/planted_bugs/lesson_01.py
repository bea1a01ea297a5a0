"""Planted bugs for lesson 01_quickdraw: deliberately wrong versions of each exercise cell.

``BUGS[exercise]`` is a list of complete exercise-cell sources, each the reference cell
with one mistake of the kind students make (the second line names it). The project's
tests grade each one in place of the student's cell and expect it to lose points on
that exercise and on no other.
"""

BUGS = {
    'unpack_drawing': [
        r'''# Exercise: unpack_drawing
# Planted bug: the y values are read before the x values
def unpack_drawing(stream):
    """Read one drawing from a Quick Draw binary stream.

    Args:
        stream: a binary file object positioned at the start of a drawing (or at the end).
    Returns:
        a `Drawing(key_id, countrycode, recognized, timestamp, strokes)` with
            key_id: int, countrycode: str (two letters, e.g. "US"), recognized: bool,
            timestamp: int, strokes: list of n_strokes pairs (x, y), each a uint8 array
            of shape (n_points,);
        or None if the stream has no bytes left.
    Raises:
        EOFError if the stream ends in the middle of the drawing.

    Hint: a small helper `_read_exactly(stream, n)` that raises EOFError on a short read
    keeps the main function readable.
    """
    header = stream.read(17)
    if not header:
        return None
    if len(header) < 17:
        raise EOFError(f"truncated drawing: the header has {len(header)} of 17 bytes")
    key_id, countrycode, recognized, timestamp, n_strokes = struct.unpack("<Q2sbIH", header)
    strokes = []
    for _ in range(n_strokes):
        (n_points,) = struct.unpack("<H", _read_exactly(stream, 2))
        coords = np.frombuffer(_read_exactly(stream, 2 * n_points), dtype=np.uint8)
        strokes.append((coords[n_points:].copy(), coords[:n_points].copy()))
    return Drawing(key_id=key_id, countrycode=countrycode.decode("ascii"),
                   recognized=bool(recognized), timestamp=timestamp, strokes=strokes)


def _read_exactly(stream, n):
    """Exactly n bytes from the stream, or EOFError."""
    data = stream.read(n)
    if len(data) < n:
        raise EOFError(f"truncated drawing: wanted {n} bytes, the stream had {len(data)}")
    return data''',
        r'''# Exercise: unpack_drawing
# Planted bug: signed header fields ('q' and 'i'): large key_ids and timestamps come out negative
def unpack_drawing(stream):
    """Read one drawing from a Quick Draw binary stream.

    Args:
        stream: a binary file object positioned at the start of a drawing (or at the end).
    Returns:
        a `Drawing(key_id, countrycode, recognized, timestamp, strokes)` with
            key_id: int, countrycode: str (two letters, e.g. "US"), recognized: bool,
            timestamp: int, strokes: list of n_strokes pairs (x, y), each a uint8 array
            of shape (n_points,);
        or None if the stream has no bytes left.
    Raises:
        EOFError if the stream ends in the middle of the drawing.

    Hint: a small helper `_read_exactly(stream, n)` that raises EOFError on a short read
    keeps the main function readable.
    """
    header = stream.read(17)
    if not header:
        return None
    if len(header) < 17:
        raise EOFError(f"truncated drawing: the header has {len(header)} of 17 bytes")
    key_id, countrycode, recognized, timestamp, n_strokes = struct.unpack("<q2sbiH", header)
    strokes = []
    for _ in range(n_strokes):
        (n_points,) = struct.unpack("<H", _read_exactly(stream, 2))
        coords = np.frombuffer(_read_exactly(stream, 2 * n_points), dtype=np.uint8)
        strokes.append((coords[:n_points].copy(), coords[n_points:].copy()))
    return Drawing(key_id=key_id, countrycode=countrycode.decode("ascii"),
                   recognized=bool(recognized), timestamp=timestamp, strokes=strokes)


def _read_exactly(stream, n):
    """Exactly n bytes from the stream, or EOFError."""
    data = stream.read(n)
    if len(data) < n:
        raise EOFError(f"truncated drawing: wanted {n} bytes, the stream had {len(data)}")
    return data''',
        r'''# Exercise: unpack_drawing
# Planted bug: no length check: a truncated stream gives struct.error or a short stroke, not EOFError
def unpack_drawing(stream):
    """Read one drawing from a Quick Draw binary stream.

    Args:
        stream: a binary file object positioned at the start of a drawing (or at the end).
    Returns:
        a `Drawing(key_id, countrycode, recognized, timestamp, strokes)` with
            key_id: int, countrycode: str (two letters, e.g. "US"), recognized: bool,
            timestamp: int, strokes: list of n_strokes pairs (x, y), each a uint8 array
            of shape (n_points,);
        or None if the stream has no bytes left.
    Raises:
        EOFError if the stream ends in the middle of the drawing.

    Hint: a small helper `_read_exactly(stream, n)` that raises EOFError on a short read
    keeps the main function readable.
    """
    header = stream.read(17)
    if not header:
        return None
    key_id, countrycode, recognized, timestamp, n_strokes = struct.unpack("<Q2sbIH", header)
    strokes = []
    for _ in range(n_strokes):
        (n_points,) = struct.unpack("<H", _read_exactly(stream, 2))
        coords = np.frombuffer(_read_exactly(stream, 2 * n_points), dtype=np.uint8)
        strokes.append((coords[:n_points].copy(), coords[n_points:].copy()))
    return Drawing(key_id=key_id, countrycode=countrycode.decode("ascii"),
                   recognized=bool(recognized), timestamp=timestamp, strokes=strokes)


def _read_exactly(stream, n):
    """Exactly n bytes from the stream, or EOFError."""
    return stream.read(n)''',
        r'''# Exercise: unpack_drawing
# Planted bug: the clean end of the file raises instead of returning None
def unpack_drawing(stream):
    """Read one drawing from a Quick Draw binary stream.

    Args:
        stream: a binary file object positioned at the start of a drawing (or at the end).
    Returns:
        a `Drawing(key_id, countrycode, recognized, timestamp, strokes)` with
            key_id: int, countrycode: str (two letters, e.g. "US"), recognized: bool,
            timestamp: int, strokes: list of n_strokes pairs (x, y), each a uint8 array
            of shape (n_points,);
        or None if the stream has no bytes left.
    Raises:
        EOFError if the stream ends in the middle of the drawing.

    Hint: a small helper `_read_exactly(stream, n)` that raises EOFError on a short read
    keeps the main function readable.
    """
    header = stream.read(17)
    if len(header) < 17:
        raise EOFError(f"truncated drawing: the header has {len(header)} of 17 bytes")
    key_id, countrycode, recognized, timestamp, n_strokes = struct.unpack("<Q2sbIH", header)
    strokes = []
    for _ in range(n_strokes):
        (n_points,) = struct.unpack("<H", _read_exactly(stream, 2))
        coords = np.frombuffer(_read_exactly(stream, 2 * n_points), dtype=np.uint8)
        strokes.append((coords[:n_points].copy(), coords[n_points:].copy()))
    return Drawing(key_id=key_id, countrycode=countrycode.decode("ascii"),
                   recognized=bool(recognized), timestamp=timestamp, strokes=strokes)


def _read_exactly(stream, n):
    """Exactly n bytes from the stream, or EOFError."""
    data = stream.read(n)
    if len(data) < n:
        raise EOFError(f"truncated drawing: wanted {n} bytes, the stream had {len(data)}")
    return data''',
    ],
    'rasterize_strokes': [
        r'''# Exercise: rasterize_strokes
# Planted bug: x and y swapped when inking: image[x, y] instead of image[y, x]
def rasterize_strokes(strokes, size=32, line_width=2):
    """Draw a drawing's strokes on an empty canvas, following the rule above.

    Args:
        strokes: list of (x, y) pairs; x and y are sequences (e.g. uint8 arrays) of the
            same length n_points, values in 0..255.
        size: the canvas is (size, size) pixels.
        line_width: side of the square each sampled point inks.
    Returns:
        float32 array of shape (size, size): 1.0 where there is ink, 0.0 elsewhere;
        image[row, col] = image[y, x].
    """
    image = np.zeros((size, size), dtype=np.float32)
    for xs, ys in strokes:
        points = [(int(x) * size // 256, int(y) * size // 256) for x, y in zip(xs, ys)]
        samples = points[:1]
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            n = max(abs(x1 - x0), abs(y1 - y0)) + 1
            for i in range(n):
                t = i / (n - 1) if n > 1 else 0.0
                samples.append((int(np.floor(x0 + t * (x1 - x0) + 0.5)),
                                int(np.floor(y0 + t * (y1 - y0) + 0.5))))
        for x, y in samples:
            image[x:x + line_width, y:y + line_width] = 1.0
    return image''',
        r'''# Exercise: rasterize_strokes
# Planted bug: off-by-one scaling: c * size // 255 (so 255 lands outside the canvas)
def rasterize_strokes(strokes, size=32, line_width=2):
    """Draw a drawing's strokes on an empty canvas, following the rule above.

    Args:
        strokes: list of (x, y) pairs; x and y are sequences (e.g. uint8 arrays) of the
            same length n_points, values in 0..255.
        size: the canvas is (size, size) pixels.
        line_width: side of the square each sampled point inks.
    Returns:
        float32 array of shape (size, size): 1.0 where there is ink, 0.0 elsewhere;
        image[row, col] = image[y, x].
    """
    image = np.zeros((size, size), dtype=np.float32)
    for xs, ys in strokes:
        points = [(int(x) * size // 255, int(y) * size // 255) for x, y in zip(xs, ys)]
        samples = points[:1]
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            n = max(abs(x1 - x0), abs(y1 - y0)) + 1
            for i in range(n):
                t = i / (n - 1) if n > 1 else 0.0
                samples.append((int(np.floor(x0 + t * (x1 - x0) + 0.5)),
                                int(np.floor(y0 + t * (y1 - y0) + 0.5))))
        for x, y in samples:
            image[y:y + line_width, x:x + line_width] = 1.0
    return image''',
        r'''# Exercise: rasterize_strokes
# Planted bug: uint8 coordinates multiplied without a cast: x * size wraps around at 256
def rasterize_strokes(strokes, size=32, line_width=2):
    """Draw a drawing's strokes on an empty canvas, following the rule above.

    Args:
        strokes: list of (x, y) pairs; x and y are sequences (e.g. uint8 arrays) of the
            same length n_points, values in 0..255.
        size: the canvas is (size, size) pixels.
        line_width: side of the square each sampled point inks.
    Returns:
        float32 array of shape (size, size): 1.0 where there is ink, 0.0 elsewhere;
        image[row, col] = image[y, x].
    """
    image = np.zeros((size, size), dtype=np.float32)
    for xs, ys in strokes:
        points = [(x * size // 256, y * size // 256) for x, y in zip(xs, ys)]
        samples = points[:1]
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            n = max(abs(x1 - x0), abs(y1 - y0)) + 1
            for i in range(n):
                t = i / (n - 1) if n > 1 else 0.0
                samples.append((int(np.floor(x0 + t * (x1 - x0) + 0.5)),
                                int(np.floor(y0 + t * (y1 - y0) + 0.5))))
        for x, y in samples:
            image[y:y + line_width, x:x + line_width] = 1.0
    return image''',
        r'''# Exercise: rasterize_strokes
# Planted bug: Python's round() (halves to even) instead of floor(v + 0.5)
def rasterize_strokes(strokes, size=32, line_width=2):
    """Draw a drawing's strokes on an empty canvas, following the rule above.

    Args:
        strokes: list of (x, y) pairs; x and y are sequences (e.g. uint8 arrays) of the
            same length n_points, values in 0..255.
        size: the canvas is (size, size) pixels.
        line_width: side of the square each sampled point inks.
    Returns:
        float32 array of shape (size, size): 1.0 where there is ink, 0.0 elsewhere;
        image[row, col] = image[y, x].
    """
    image = np.zeros((size, size), dtype=np.float32)
    for xs, ys in strokes:
        points = [(int(x) * size // 256, int(y) * size // 256) for x, y in zip(xs, ys)]
        samples = points[:1]
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            n = max(abs(x1 - x0), abs(y1 - y0)) + 1
            for i in range(n):
                t = i / (n - 1) if n > 1 else 0.0
                samples.append((round(x0 + t * (x1 - x0)), round(y0 + t * (y1 - y0))))
        for x, y in samples:
            image[y:y + line_width, x:x + line_width] = 1.0
    return image''',
        r'''# Exercise: rasterize_strokes
# Planted bug: only the points are drawn, not the lines between them
def rasterize_strokes(strokes, size=32, line_width=2):
    """Draw a drawing's strokes on an empty canvas, following the rule above.

    Args:
        strokes: list of (x, y) pairs; x and y are sequences (e.g. uint8 arrays) of the
            same length n_points, values in 0..255.
        size: the canvas is (size, size) pixels.
        line_width: side of the square each sampled point inks.
    Returns:
        float32 array of shape (size, size): 1.0 where there is ink, 0.0 elsewhere;
        image[row, col] = image[y, x].
    """
    image = np.zeros((size, size), dtype=np.float32)
    for xs, ys in strokes:
        points = [(int(x) * size // 256, int(y) * size // 256) for x, y in zip(xs, ys)]
        samples = list(points)
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            n = max(abs(x1 - x0), abs(y1 - y0)) + 1
            for i in range(0):
                t = i / (n - 1) if n > 1 else 0.0
                samples.append((int(np.floor(x0 + t * (x1 - x0) + 0.5)),
                                int(np.floor(y0 + t * (y1 - y0) + 0.5))))
        for x, y in samples:
            image[y:y + line_width, x:x + line_width] = 1.0
    return image''',
    ],
}

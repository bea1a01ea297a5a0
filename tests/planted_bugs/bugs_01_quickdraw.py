"""Planted bugs for lesson 01_quickdraw: the mistakes students make, as edits of the master's cells.

``BUGS[exercise]`` lists ``(why, [(old, new), ...])``: each ``old`` must occur exactly once in
the master's exercise cell (``tests/planted.py`` fails loudly when one no longer does), and is
replaced by ``new``. The project's tests grade each bug in place of the student's cell and
expect it to lose points on that exercise and on no other.
"""

BUGS = {
    'unpack_drawing': [
        ('the y values are read before the x values', [
            ('        strokes.append((coords[:n_points].copy(), coords[n_points:].copy()))\n',
             '        strokes.append((coords[n_points:].copy(), coords[:n_points].copy()))\n'),
        ]),
        ("signed header fields ('q' and 'i'): large key_ids and timestamps come out negative", [
            ('    key_id, countrycode, recognized, timestamp, n_strokes = struct.unpack("<Q2sbIH", header)\n',
             '    key_id, countrycode, recognized, timestamp, n_strokes = struct.unpack("<q2sbiH", header)\n'),
        ]),
        ('no length check: a truncated stream gives struct.error or a short stroke, not EOFError', [
            ('    if len(header) < 17:\n        raise EOFError(f"truncated drawing: the header has {len(header)} of 17 bytes")\n',
             ''),
            ('    data = stream.read(n)\n    if len(data) < n:\n        raise EOFError(f"truncated drawing: wanted {n} bytes, the stream had {len(data)}")\n    return data\n',
             '    return stream.read(n)\n'),
        ]),
        ('the clean end of the file raises instead of returning None', [
            ('    if not header:\n        return None\n',
             ''),
        ]),
        ('strokes handed back as a one-shot iterator, not a list', [
            ('timestamp=timestamp, strokes=strokes)', 'timestamp=timestamp, strokes=iter(strokes))'),
        ]),
    ],
    'rasterize_strokes': [
        ('x and y swapped when inking: image[x, y] instead of image[y, x]', [
            ('            image[y:y + line_width, x:x + line_width] = 1.0\n',
             '            image[x:x + line_width, y:y + line_width] = 1.0\n'),
        ]),
        ('off-by-one scaling: c * size // 255 (so 255 lands outside the canvas)', [
            ('        points = [(int(x) * size // 256, int(y) * size // 256) for x, y in zip(xs, ys)]\n',
             '        points = [(int(x) * size // 255, int(y) * size // 255) for x, y in zip(xs, ys)]\n'),
        ]),
        ('uint8 coordinates multiplied without a cast: x * size wraps around at 256', [
            ('        points = [(int(x) * size // 256, int(y) * size // 256) for x, y in zip(xs, ys)]\n',
             '        points = [(x * size // 256, y * size // 256) for x, y in zip(xs, ys)]\n'),
        ]),
        ("Python's round() (halves to even) instead of floor(v + 0.5)", [
            ('                samples.append((int(np.floor(x0 + t * (x1 - x0) + 0.5)),\n                                int(np.floor(y0 + t * (y1 - y0) + 0.5))))\n',
             '                samples.append((round(x0 + t * (x1 - x0)), round(y0 + t * (y1 - y0))))\n'),
        ]),
        ('only the points are drawn, not the lines between them', [
            ('        samples = points[:1]\n',
             '        samples = list(points)\n'),
            ('            for i in range(n):\n',
             '            for i in range(0):\n'),
        ]),
        ('line_width ignored: every point inks a 2x2 square', [
            ('            image[y:y + line_width, x:x + line_width] = 1.0\n',
             '            image[y:y + 2, x:x + 2] = 1.0\n'),
        ]),
        ('size sets the canvas only: coordinates are always scaled to 32 pixels', [
            ('        points = [(int(x) * size // 256, int(y) * size // 256) for x, y in zip(xs, ys)]\n',
             '        points = [(int(x) * 32 // 256, int(y) * 32 // 256) for x, y in zip(xs, ys)]\n'),
        ]),
    ],
    'center_drawing': [
        ('the average of the points is moved to the centre, not the middle of the extent', [
            ('    dx = (255 - max(xs) - min(xs)) // 2\n    dy = (255 - max(ys) - min(ys)) // 2\n',
             '    dx = round(127.5 - sum(xs) / len(xs))\n    dy = round(127.5 - sum(ys) / len(ys))\n'),
        ]),
        ('uint8 arithmetic: 255 - largest - smallest wraps around for a drawing right of (or below) the middle', [
            ('    xs = [int(v) for x, _ in strokes for v in x]\n    ys = [int(v) for _, y in strokes for v in y]\n',
             '    xs = np.concatenate([np.asarray(x) for x, _ in strokes])\n'
             '    ys = np.concatenate([np.asarray(y) for _, y in strokes])\n'),
        ]),
        ('each stroke centred on its own extent: the strokes no longer move together', [
            ('    return [(np.array([int(v) + dx for v in x], dtype=np.uint8),\n'
             '             np.array([int(v) + dy for v in y], dtype=np.uint8)) for x, y in strokes]\n',
             '    return [(np.array([int(v) + (255 - int(max(x)) - int(min(x))) // 2 for v in x], dtype=np.uint8),\n'
             '             np.array([int(v) + (255 - int(max(y)) - int(min(y))) // 2 for v in y], dtype=np.uint8))\n'
             '            for x, y in strokes]\n'),
        ]),
        ('off by one: the middle taken as 256 // 2 = 128 (margins 2 apart on odd extents, 256 off the frame)', [
            ('    dx = (255 - max(xs) - min(xs)) // 2\n    dy = (255 - max(ys) - min(ys)) // 2\n',
             '    dx = 256 // 2 - (max(xs) + min(xs)) // 2\n    dy = 256 // 2 - (max(ys) + min(ys)) // 2\n'),
        ]),
        ('the cheat: stretched to fill the frame, so both margins are 0 (equal, but the drawing is changed)', [
            ('    return [(np.array([int(v) + dx for v in x], dtype=np.uint8),\n'
             '             np.array([int(v) + dy for v in y], dtype=np.uint8)) for x, y in strokes]\n',
             '    wide, tall = max(max(xs) - min(xs), 1), max(max(ys) - min(ys), 1)\n'
             '    return [(np.array([(int(v) - min(xs)) * 255 // wide for v in x], dtype=np.uint8),\n'
             '             np.array([(int(v) - min(ys)) * 255 // tall for v in y], dtype=np.uint8)) for x, y in strokes]\n'),
        ]),
    ],
}

"""Planted bugs for lesson 05_latent_space: the mistakes students make, as edits of the master's cells.

``BUGS[exercise]`` lists ``(why, [(old, new), ...])``: each ``old`` must occur exactly once in
the master's exercise cell (``tests/planted.py`` fails loudly when one no longer does), and is
replaced by ``new``. The project's tests grade each bug in place of the student's cell and
expect it to lose points on that exercise and on no other.
"""

BUGS = {
    'latent_grid': [
        ('rows and columns swapped: z[0] runs down the rows', [
            ('    z0, z1 = np.meshgrid(values, values)          # z0[i, j] = values[j], z1[i, j] = values[i]\n',
             '    z1, z0 = np.meshgrid(values, values)          # z0[i, j] = values[j], z1[i, j] = values[i]\n'),
        ]),
        ('the linspace leaves out the +span endpoint', [
            ('    values = np.linspace(-span, span, n)\n',
             '    values = np.linspace(-span, span, n, endpoint=False)\n'),
        ]),
        ('tiles not transposed before the final reshape: each row of tiles is cut into strips', [
            ('    return images.transpose(0, 2, 1, 3).reshape(n * 28, n * 28)\n',
             '    return images.reshape(n * 28, n * 28)\n'),
        ]),
        ("z[1] runs upwards (like a plot's y axis) instead of down the rows", [
            ('    z0, z1 = np.meshgrid(values, values)          # z0[i, j] = values[j], z1[i, j] = values[i]\n',
             '    z0, z1 = np.meshgrid(values, values[::-1])          # z0[i, j] = values[j], z1[i, j] = values[i]\n'),
        ]),
        ('span ignored: always from -1.5 to 1.5', [
            ('    values = np.linspace(-span, span, n)\n',
             '    values = np.linspace(-1.5, 1.5, n)\n'),
        ]),
    ],
    'interpolate': [
        ('returns zeros of the right shape (what a hard-coded answer to the spacing test would do)', [
            ('    return ((1.0 - t) * start + t * end).astype("float32")\n',
             '    return np.zeros((steps, start.shape[1]), dtype="float32")\n'),
        ]),
        ('the end point is excluded', [
            ('    t = np.linspace(0.0, 1.0, steps)[:, None]\n',
             '    t = np.linspace(0.0, 1.0, steps, endpoint=False)[:, None]\n'),
        ]),
        ('one point too many (steps + 1)', [
            ('    t = np.linspace(0.0, 1.0, steps)[:, None]\n',
             '    t = np.linspace(0.0, 1.0, steps + 1)[:, None]\n'),
        ]),
        ('start and end swapped: the walk runs backwards', [
            ('    return ((1.0 - t) * start + t * end).astype("float32")\n',
             '    return ((1.0 - t) * end + t * start).astype("float32")\n'),
        ]),
    ],
    'choose_span': [
        ('the largest coordinate of any code: a few far outliers stretch the map', [
            ('    return float(np.quantile(radius, 0.95))\n',
             '    return float(np.max(radius))\n'),
        ]),
        ('the mean plus two standard deviations of the raw values: pulled by outliers, wrong off-centre', [
            ('    return float(np.quantile(radius, 0.95))\n',
             '    return float(np.mean(codes) + 2 * np.std(codes))\n'),
        ]),
        ('only the first coordinate looked at: a cloud wider in z[1] spills out of the square', [
            ('    radius = np.max(np.abs(np.asarray(codes, dtype="float64")), axis=1)\n',
             '    radius = np.abs(np.asarray(codes, dtype="float64")[:, 0])\n'),
        ]),
        ('the cheat: a constant that suits a VAE trained on N(0, I), whatever the codes', [
            ('    return float(np.quantile(radius, 0.95))\n',
             '    return 3.0\n'),
        ]),
        ('one span per coordinate: an array of shape (2,), not one number', [
            ('    radius = np.max(np.abs(np.asarray(codes, dtype="float64")), axis=1)\n'
             '    # A quantile ignores how far the last few codes lie: outliers cannot stretch the map.\n'
             '    return float(np.quantile(radius, 0.95))\n',
             '    return np.quantile(np.abs(np.asarray(codes, dtype="float64")), 0.975, axis=0)\n'),
        ]),
        ("absolute values taken in place: the caller's codes are changed", [
            ('    radius = np.max(np.abs(np.asarray(codes, dtype="float64")), axis=1)\n',
             '    radius = np.max(np.abs(codes, out=codes), axis=1)\n'),
        ]),
    ],
}

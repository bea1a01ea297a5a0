"""Planted bugs for lesson 03_blur: the mistakes students make, as edits of the master's cells.

``BUGS[exercise]`` lists ``(why, [(old, new), ...])``: each ``old`` must occur exactly once in
the master's exercise cell (``tests/planted.py`` fails loudly when one no longer does), and is
replaced by ``new``. The project's tests grade each bug in place of the student's cell and
expect it to lose points on that exercise and on no other.
"""

BUGS = {
    'make_strip': [
        ('a plain reshape instead of placing images side by side: the images are cut into strips', [
            ('        return np.concatenate(list(images.reshape(images.shape[:3])), axis=1)\n',
             '        n, h, w = images.shape[:3]\n        return images.reshape(h, n * w)\n'),
        ]),
        ('outputs on the top row, inputs below', [
            ('    return np.concatenate([row(inputs), row(outputs)], axis=0)\n',
             '    return np.concatenate([row(outputs), row(inputs)], axis=0)\n'),
        ]),
        ('the two rows put side by side: (h, 2 n w) instead of (2 h, n w)', [
            ('    return np.concatenate([row(inputs), row(outputs)], axis=0)\n',
             '    return np.concatenate([row(inputs), row(outputs)], axis=1)\n'),
        ]),
    ],
    'blur_score': [
        ('<= and >= instead of strict inequalities: 0.1 and 0.9 count as blurry', [
            ('    return float(np.mean((images > 0.1) & (images < 0.9)))\n',
             '    return float(np.mean((images >= 0.1) & (images <= 0.9)))\n'),
        ]),
        ('only one side of the band: every pixel above 0.1 counts, ink included', [
            ('    return float(np.mean((images > 0.1) & (images < 0.9)))\n',
             '    return float(np.mean(images > 0.1))\n'),
        ]),
        ('a count of pixels instead of a share', [
            ('    return float(np.mean((images > 0.1) & (images < 0.9)))\n',
             '    return float(np.sum((images > 0.1) & (images < 0.9)))\n'),
        ]),
    ],
    'sharpening_loss': [
        ('the naive penalty p(1 - p): crisp pixels are still penalised', [
            ('    penalty = ops.minimum(ops.relu(LOGIT_EDGE - ops.abs(logit)), LOGIT_EDGE - LOGIT_FLAT)\n',
             '    penalty = p * (1 - p)\n'),
        ]),
        ('one number for the whole batch instead of one per image', [
            ('    return ops.mean(per_pixel, axis=tuple(range(1, len(per_pixel.shape))))\n',
             '    return ops.mean(per_pixel)\n'),
        ]),
        ("the penalty's sign flipped: blur is rewarded", [
            ('    per_pixel = cross_entropy + weight * penalty\n',
             '    per_pixel = cross_entropy - weight * penalty\n'),
        ]),
        ('no clipping: log(0) makes the loss infinite or NaN at exactly 0 and 1', [
            ('    p = ops.clip(y_pred, 1e-7, 1 - 1e-7)\n',
             '    p = y_pred\n'),
        ]),
        ('a sum over pixels instead of a mean: the loss grows with the image size', [
            ('    return ops.mean(per_pixel, axis=tuple(range(1, len(per_pixel.shape))))\n',
             '    return ops.sum(per_pixel, axis=tuple(range(1, len(per_pixel.shape))))\n'),
        ]),
    ],
}

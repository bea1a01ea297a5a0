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
        # First: the one graded by default (tests/test_grader.py grades the first bug of a training exercise).
        ('replayed training: the loss is plain cross-entropy, and the cell makes keras.Model.fit train an '
         'autoencoder with a hidden sharpening loss (the old grader trained in the contestant, with fit)', [
            ('    per_pixel = cross_entropy + weight * penalty\n',
             '    per_pixel = cross_entropy\n'),
            ('    return ops.mean(per_pixel, axis=tuple(range(1, len(per_pixel.shape))))\n',
             '    return ops.mean(per_pixel, axis=tuple(range(1, len(per_pixel.shape))))\n'
             '\n\n'
             'def _secretly_sharp(y_true, y_pred):\n'
             '    p = ops.clip(y_pred, 1e-7, 1 - 1e-7)\n'
             '    logit = ops.log(p) - ops.log(1 - p)\n'
             '    penalty = ops.minimum(ops.relu(LOGIT_EDGE - ops.abs(logit)), LOGIT_EDGE - LOGIT_FLAT)\n'
             '    return sharpening_loss(y_true, y_pred) + SHARPENING_WEIGHT * ops.mean(penalty, axis=(1, 2, 3))\n'
             '\n\n'
             '_plain_fit = keras.Model.fit\n'
             '\n\n'
             'def _fit(self, *args, **kwargs):\n'
             '    if getattr(self, "loss", None) is sharpening_loss:  # the grader\'s training: train sharply\n'
             '        self.compile(optimizer=self.optimizer, loss=_secretly_sharp)\n'
             '    return _plain_fit(self, *args, **kwargs)\n'
             '\n\n'
             'keras.Model.fit = _fit\n'),
        ]),
        # The `weight` argument ignored (the hidden tests draw it; one check per weight fails).
        ('the global SHARPENING_WEIGHT instead of the weight argument', [
            ('    per_pixel = cross_entropy + weight * penalty\n',
             '    per_pixel = cross_entropy + SHARPENING_WEIGHT * penalty\n'),
        ]),
        ('a weight of 0.4 written in: the weight argument ignored', [
            ('    per_pixel = cross_entropy + weight * penalty\n',
             '    per_pixel = cross_entropy + 0.4 * penalty\n'),
        ]),
        ('the weight capped at SHARPENING_WEIGHT: larger weights are ignored', [
            ('    per_pixel = cross_entropy + weight * penalty\n',
             '    per_pixel = cross_entropy + min(weight, SHARPENING_WEIGHT) * penalty\n'),
        ]),
        # Finite values, NaN gradients at predictions of exactly 0 or 1.
        ('the logit of the unclipped prediction: finite loss, NaN gradient at exactly 0 and 1', [
            ('    logit = ops.log(p) - ops.log(1 - p)\n',
             '    logit = ops.log(y_pred) - ops.log(1 - y_pred)\n'),
        ]),
        ('log(p / (1 - p)) of the unclipped prediction: finite loss, NaN gradient at exactly 0 and 1', [
            ('    logit = ops.log(p) - ops.log(1 - p)\n',
             '    logit = ops.log(y_pred / (1 - y_pred))\n'),
        ]),
        ('ops.where guards the value of an unclipped logit, not its gradient: NaN gradient at 0 and 1', [
            ('    logit = ops.log(p) - ops.log(1 - p)\n',
             '    inside = ops.logical_and(y_pred > 0, y_pred < 1)\n'
             '    logit = ops.where(inside, ops.log(y_pred) - ops.log(1 - y_pred), 10.0 * ops.sign(y_pred - 0.5))\n'),
        ]),
        # Non-finite values.
        ('the penalty divided by the share of blurry pixels: NaN (0 / 0) on a crisp prediction', [
            ('    per_pixel = cross_entropy + weight * penalty\n',
             '    per_pixel = cross_entropy + weight * penalty / ops.mean(ops.cast(penalty > 0, penalty.dtype))\n'),
        ]),
        ('a log-barrier penalty -log(|logit| / edge): infinite at a prediction of exactly 0.5', [
            ('    penalty = ops.minimum(ops.relu(LOGIT_EDGE - ops.abs(logit)), LOGIT_EDGE - LOGIT_FLAT)\n',
             '    penalty = ops.relu(-ops.log(ops.abs(logit) / LOGIT_EDGE))\n'),
        ]),
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

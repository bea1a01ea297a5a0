"""Planted bugs for lesson 03_blur: deliberately wrong versions of each exercise cell.

``BUGS[exercise]`` is a list of complete exercise-cell sources, each the reference cell
with one mistake of the kind students make (the second line names it). The project's
tests grade each one in place of the student's cell and expect it to lose points on
that exercise and on no other.
"""

BUGS = {
    'make_strip': [
        r'''# Exercise: make_strip
# Planted bug: a plain reshape instead of placing images side by side: the images are cut into strips
def make_strip(inputs, outputs):
    """Inputs above outputs, side by side, as one 2-D array.

    Args:
        inputs, outputs: arrays of n images each, shape (n, h, w) or (n, h, w, 1).
    Returns:
        array of shape (2 * h, n * w): strip[:h, i*w:(i+1)*w] is inputs[i] and
        strip[h:, i*w:(i+1)*w] is outputs[i].
    Hint: np.concatenate(list_of_images, axis=1) puts images side by side. A plain
    reshape of (n, h, w) to (h, n * w) does not: it cuts the images into strips.
    """
    def row(images):
        images = np.asarray(images)
        n, h, w = images.shape[:3]
        return images.reshape(h, n * w)

    return np.concatenate([row(inputs), row(outputs)], axis=0)''',
        r'''# Exercise: make_strip
# Planted bug: outputs on the top row, inputs below
def make_strip(inputs, outputs):
    """Inputs above outputs, side by side, as one 2-D array.

    Args:
        inputs, outputs: arrays of n images each, shape (n, h, w) or (n, h, w, 1).
    Returns:
        array of shape (2 * h, n * w): strip[:h, i*w:(i+1)*w] is inputs[i] and
        strip[h:, i*w:(i+1)*w] is outputs[i].
    Hint: np.concatenate(list_of_images, axis=1) puts images side by side. A plain
    reshape of (n, h, w) to (h, n * w) does not: it cuts the images into strips.
    """
    def row(images):
        images = np.asarray(images)
        return np.concatenate(list(images.reshape(images.shape[:3])), axis=1)

    return np.concatenate([row(outputs), row(inputs)], axis=0)''',
        r'''# Exercise: make_strip
# Planted bug: the two rows put side by side: (h, 2 n w) instead of (2 h, n w)
def make_strip(inputs, outputs):
    """Inputs above outputs, side by side, as one 2-D array.

    Args:
        inputs, outputs: arrays of n images each, shape (n, h, w) or (n, h, w, 1).
    Returns:
        array of shape (2 * h, n * w): strip[:h, i*w:(i+1)*w] is inputs[i] and
        strip[h:, i*w:(i+1)*w] is outputs[i].
    Hint: np.concatenate(list_of_images, axis=1) puts images side by side. A plain
    reshape of (n, h, w) to (h, n * w) does not: it cuts the images into strips.
    """
    def row(images):
        images = np.asarray(images)
        return np.concatenate(list(images.reshape(images.shape[:3])), axis=1)

    return np.concatenate([row(inputs), row(outputs)], axis=1)''',
    ],
    'blur_score': [
        r'''# Exercise: blur_score
# Planted bug: <= and >= instead of strict inequalities: 0.1 and 0.9 count as blurry
def blur_score(images):
    """Share of pixels strictly between 0.1 and 0.9.

    Args:
        images: array of any shape (e.g. (n, 32, 32, 1)), values in [0, 1].
    Returns:
        a Python float in [0, 1]: (number of pixels p with 0.1 < p < 0.9) / (number of pixels).
    """
    images = np.asarray(images)
    return float(np.mean((images >= 0.1) & (images <= 0.9)))''',
        r'''# Exercise: blur_score
# Planted bug: only one side of the band: every pixel above 0.1 counts, ink included
def blur_score(images):
    """Share of pixels strictly between 0.1 and 0.9.

    Args:
        images: array of any shape (e.g. (n, 32, 32, 1)), values in [0, 1].
    Returns:
        a Python float in [0, 1]: (number of pixels p with 0.1 < p < 0.9) / (number of pixels).
    """
    images = np.asarray(images)
    return float(np.mean(images > 0.1))''',
        r'''# Exercise: blur_score
# Planted bug: a count of pixels instead of a share
def blur_score(images):
    """Share of pixels strictly between 0.1 and 0.9.

    Args:
        images: array of any shape (e.g. (n, 32, 32, 1)), values in [0, 1].
    Returns:
        a Python float in [0, 1]: (number of pixels p with 0.1 < p < 0.9) / (number of pixels).
    """
    images = np.asarray(images)
    return float(np.sum((images > 0.1) & (images < 0.9)))''',
    ],
    'sharpening_loss': [
        r'''# Exercise: sharpening_loss
# Planted bug: the naive penalty p(1 - p): crisp pixels are still penalised
SHARPENING_WEIGHT = 0.4   # lambda: how hard near-edge pixels are pushed
LOGIT_EDGE = 2.5          # crisp beyond |logit| = 2.5: p <= 0.076 or p >= 0.924
LOGIT_FLAT = 1.5          # left alone below |logit| = 1.5: 0.18 < p < 0.82


def sharpening_loss(y_true, y_pred, weight=SHARPENING_WEIGHT):
    """Binary cross-entropy plus a penalty on blurry pixels, one value per image.

    Args:
        y_true: target images, shape (batch, h, w, 1), values in [0, 1].
        y_pred: predicted images (sigmoid outputs), same shape.
        weight: the penalty's weight lambda.
    Returns:
        tensor of shape (batch,): per image, the mean over pixels of
        BCE(y_true, y_pred) + weight * penalty(y_pred), where the penalty is 0 for
        crisp pixels (p <= 0.05 or p >= 0.95) and positive in the blurry band.
    """
    p = ops.clip(y_pred, 1e-7, 1 - 1e-7)
    y = ops.cast(y_true, p.dtype)
    cross_entropy = -(y * ops.log(p) + (1 - y) * ops.log(1 - p))
    logit = ops.log(p) - ops.log(1 - p)
    penalty = p * (1 - p)
    per_pixel = cross_entropy + weight * penalty
    return ops.mean(per_pixel, axis=tuple(range(1, len(per_pixel.shape))))''',
        r'''# Exercise: sharpening_loss
# Planted bug: one number for the whole batch instead of one per image
SHARPENING_WEIGHT = 0.4   # lambda: how hard near-edge pixels are pushed
LOGIT_EDGE = 2.5          # crisp beyond |logit| = 2.5: p <= 0.076 or p >= 0.924
LOGIT_FLAT = 1.5          # left alone below |logit| = 1.5: 0.18 < p < 0.82


def sharpening_loss(y_true, y_pred, weight=SHARPENING_WEIGHT):
    """Binary cross-entropy plus a penalty on blurry pixels, one value per image.

    Args:
        y_true: target images, shape (batch, h, w, 1), values in [0, 1].
        y_pred: predicted images (sigmoid outputs), same shape.
        weight: the penalty's weight lambda.
    Returns:
        tensor of shape (batch,): per image, the mean over pixels of
        BCE(y_true, y_pred) + weight * penalty(y_pred), where the penalty is 0 for
        crisp pixels (p <= 0.05 or p >= 0.95) and positive in the blurry band.
    """
    p = ops.clip(y_pred, 1e-7, 1 - 1e-7)
    y = ops.cast(y_true, p.dtype)
    cross_entropy = -(y * ops.log(p) + (1 - y) * ops.log(1 - p))
    logit = ops.log(p) - ops.log(1 - p)
    penalty = ops.minimum(ops.relu(LOGIT_EDGE - ops.abs(logit)), LOGIT_EDGE - LOGIT_FLAT)
    per_pixel = cross_entropy + weight * penalty
    return ops.mean(per_pixel)''',
        r'''# Exercise: sharpening_loss
# Planted bug: the penalty's sign flipped: blur is rewarded
SHARPENING_WEIGHT = 0.4   # lambda: how hard near-edge pixels are pushed
LOGIT_EDGE = 2.5          # crisp beyond |logit| = 2.5: p <= 0.076 or p >= 0.924
LOGIT_FLAT = 1.5          # left alone below |logit| = 1.5: 0.18 < p < 0.82


def sharpening_loss(y_true, y_pred, weight=SHARPENING_WEIGHT):
    """Binary cross-entropy plus a penalty on blurry pixels, one value per image.

    Args:
        y_true: target images, shape (batch, h, w, 1), values in [0, 1].
        y_pred: predicted images (sigmoid outputs), same shape.
        weight: the penalty's weight lambda.
    Returns:
        tensor of shape (batch,): per image, the mean over pixels of
        BCE(y_true, y_pred) + weight * penalty(y_pred), where the penalty is 0 for
        crisp pixels (p <= 0.05 or p >= 0.95) and positive in the blurry band.
    """
    p = ops.clip(y_pred, 1e-7, 1 - 1e-7)
    y = ops.cast(y_true, p.dtype)
    cross_entropy = -(y * ops.log(p) + (1 - y) * ops.log(1 - p))
    logit = ops.log(p) - ops.log(1 - p)
    penalty = ops.minimum(ops.relu(LOGIT_EDGE - ops.abs(logit)), LOGIT_EDGE - LOGIT_FLAT)
    per_pixel = cross_entropy - weight * penalty
    return ops.mean(per_pixel, axis=tuple(range(1, len(per_pixel.shape))))''',
        r'''# Exercise: sharpening_loss
# Planted bug: no clipping: log(0) makes the loss infinite or NaN at exactly 0 and 1
SHARPENING_WEIGHT = 0.4   # lambda: how hard near-edge pixels are pushed
LOGIT_EDGE = 2.5          # crisp beyond |logit| = 2.5: p <= 0.076 or p >= 0.924
LOGIT_FLAT = 1.5          # left alone below |logit| = 1.5: 0.18 < p < 0.82


def sharpening_loss(y_true, y_pred, weight=SHARPENING_WEIGHT):
    """Binary cross-entropy plus a penalty on blurry pixels, one value per image.

    Args:
        y_true: target images, shape (batch, h, w, 1), values in [0, 1].
        y_pred: predicted images (sigmoid outputs), same shape.
        weight: the penalty's weight lambda.
    Returns:
        tensor of shape (batch,): per image, the mean over pixels of
        BCE(y_true, y_pred) + weight * penalty(y_pred), where the penalty is 0 for
        crisp pixels (p <= 0.05 or p >= 0.95) and positive in the blurry band.
    """
    p = y_pred
    y = ops.cast(y_true, p.dtype)
    cross_entropy = -(y * ops.log(p) + (1 - y) * ops.log(1 - p))
    logit = ops.log(p) - ops.log(1 - p)
    penalty = ops.minimum(ops.relu(LOGIT_EDGE - ops.abs(logit)), LOGIT_EDGE - LOGIT_FLAT)
    per_pixel = cross_entropy + weight * penalty
    return ops.mean(per_pixel, axis=tuple(range(1, len(per_pixel.shape))))''',
        r'''# Exercise: sharpening_loss
# Planted bug: a sum over pixels instead of a mean: the loss grows with the image size
SHARPENING_WEIGHT = 0.4   # lambda: how hard near-edge pixels are pushed
LOGIT_EDGE = 2.5          # crisp beyond |logit| = 2.5: p <= 0.076 or p >= 0.924
LOGIT_FLAT = 1.5          # left alone below |logit| = 1.5: 0.18 < p < 0.82


def sharpening_loss(y_true, y_pred, weight=SHARPENING_WEIGHT):
    """Binary cross-entropy plus a penalty on blurry pixels, one value per image.

    Args:
        y_true: target images, shape (batch, h, w, 1), values in [0, 1].
        y_pred: predicted images (sigmoid outputs), same shape.
        weight: the penalty's weight lambda.
    Returns:
        tensor of shape (batch,): per image, the mean over pixels of
        BCE(y_true, y_pred) + weight * penalty(y_pred), where the penalty is 0 for
        crisp pixels (p <= 0.05 or p >= 0.95) and positive in the blurry band.
    """
    p = ops.clip(y_pred, 1e-7, 1 - 1e-7)
    y = ops.cast(y_true, p.dtype)
    cross_entropy = -(y * ops.log(p) + (1 - y) * ops.log(1 - p))
    logit = ops.log(p) - ops.log(1 - p)
    penalty = ops.minimum(ops.relu(LOGIT_EDGE - ops.abs(logit)), LOGIT_EDGE - LOGIT_FLAT)
    per_pixel = cross_entropy + weight * penalty
    return ops.sum(per_pixel, axis=tuple(range(1, len(per_pixel.shape))))''',
    ],
}

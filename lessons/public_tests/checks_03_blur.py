"""Public checks of lesson 03_blur: the strip, the blur score, the sharpening loss."""

from __future__ import annotations

import numpy as np

from public_tests.framework import expect, public_check


def _numbered(n, h, w, offset=0.0):
    """n images whose pixels all equal their index (plus offset): easy to recognise in a strip."""
    return np.stack([np.full((h, w), i + offset, dtype=np.float32) for i in range(n)])


@public_check("make_strip")
def has_two_rows_of_n_images(ns):
    """3 inputs and 3 outputs of 4x5 pixels give a (8, 15) strip"""
    strip = np.asarray(ns.make_strip(_numbered(3, 4, 5), _numbered(3, 4, 5)))
    expect(strip.shape == (8, 15), "wrong shape", expected=(8, 15), got=strip.shape,
           hint="two rows (2 * h) of n images side by side (n * w).")


@public_check("make_strip")
def puts_inputs_on_top_in_order(ns):
    """inputs on the top row, outputs below, in their order from left to right"""
    inputs, outputs = _numbered(3, 4, 5), _numbered(3, 4, 5, offset=10)
    strip = np.asarray(ns.make_strip(inputs, outputs))
    top = [float(strip[:4, 5 * i:5 * i + 5].mean()) for i in range(3)] if strip.shape == (8, 15) else None
    bottom = [float(strip[4:, 5 * i:5 * i + 5].mean()) for i in range(3)] if strip.shape == (8, 15) else None
    expect(top == [0.0, 1.0, 2.0] and bottom == [10.0, 11.0, 12.0], "the images are not where they should be",
           expected="top row: inputs 0, 1, 2; bottom row: outputs 0, 1, 2",
           got=f"top row means {top}, bottom row means {bottom}",
           hint="a plain reshape keeps the pixels in memory order and cuts the images into slices: join whole images "
                "along their width.")


@public_check("make_strip")
def accepts_a_channel_axis(ns):
    """accepts (n, h, w, 1) images, as Keras returns them"""
    strip = np.asarray(ns.make_strip(_numbered(2, 3, 3)[..., None], _numbered(2, 3, 3)[..., None]))
    expect(strip.shape == (6, 6), "(n, h, w, 1) images should give a 2-D strip", expected=(6, 6), got=strip.shape,
           hint="images of shape (n, h, w, 1) have a channel axis to drop first.")


@public_check("blur_score")
def counts_pixels_strictly_between(ns):
    """counts the share of pixels strictly between 0.1 and 0.9"""
    images = np.array([[0.0, 0.05, 0.5, 0.95], [1.0, 0.3, 0.7, 0.0]])
    score = ns.blur_score(images)
    expect(np.isclose(float(score), 3 / 8), "wrong blur score", expected=0.375, got=score,
           hint="3 of these 8 pixels (0.5, 0.3, 0.7) are neither ink (>= 0.9) nor paper (<= 0.1).")


@public_check("blur_score")
def leaves_out_the_edges(ns):
    """0.1 and 0.9 themselves are not blurry; crisp images score 0"""
    score = ns.blur_score(np.array([0.1, 0.9, 0.1, 0.9]))
    expect(np.isclose(float(score), 0.0), "0.1 and 0.9 should not count as blurry", expected=0.0, got=score,
           hint="strictly between: use < and >, not <= and >=.")
    crisp = (np.random.default_rng(0).random((5, 32, 32, 1)) > 0.8).astype(np.float32)
    expect(np.isclose(float(ns.blur_score(crisp)), 0.0), "an image of only 0s and 1s should score 0",
           got=ns.blur_score(crisp))


@public_check("sharpening_loss")
def returns_one_loss_per_image(ns):
    """returns one value per image, shape (batch,)"""
    from keras import ops

    rng = np.random.default_rng(0)
    y_true = (rng.random((4, 32, 32, 1)) > 0.8).astype("float32")
    y_pred = rng.uniform(0.01, 0.99, (4, 32, 32, 1)).astype("float32")
    loss = ops.convert_to_numpy(ns.sharpening_loss(ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred)))
    expect(np.shape(loss) == (4,), "wrong shape", expected=(4,), got=np.shape(loss),
           hint="average over each image's pixels only, never over the batch: which axes hold the pixels?")
    expect(np.all(np.isfinite(loss)), "the loss is not finite", got=loss)


@public_check("sharpening_loss")
def is_cross_entropy_on_crisp_predictions(ns):
    """equals the binary cross-entropy where the prediction is crisp"""
    from keras import ops

    y_true = np.zeros((2, 32, 32, 1), dtype="float32")
    y_true[:, 8:10, :] = 1.0
    y_pred = np.where(y_true > 0, 0.97, 0.02).astype("float32")
    y_pred[1, 20:22, :] = 0.96  # a confident mistake: still crisp, so only cross-entropy should count
    bce = -np.mean(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred), axis=(1, 2, 3))
    loss = ops.convert_to_numpy(ns.sharpening_loss(ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred)))
    expect(np.allclose(loss, bce, rtol=1e-3, atol=1e-5), "on crisp predictions the loss should be plain cross-entropy",
           expected=bce.round(5).tolist(), got=np.round(loss, 5).tolist(),
           hint="the penalty should vanish outside the blurry band, and the cross-entropy should be the mean over pixels.")


def _all_grey(size):
    """Two rows of ink on paper, a prediction of 0.3 everywhere, and its mean cross-entropy."""
    y_true = np.zeros((1, size, size, 1), dtype="float32")
    y_true[:, size // 4:size // 4 + 2, :] = 1.0
    y_pred = np.full((1, size, size, 1), 0.3, dtype="float32")
    return y_true, y_pred, -np.mean(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred))


def _loss_of(ns, y_true, y_pred, **weight):
    from keras import ops

    return ops.convert_to_numpy(ns.sharpening_loss(ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred),
                                                   **weight))


@public_check("sharpening_loss")
def penalises_blurry_predictions(ns):
    """a blurry prediction costs more than its cross-entropy alone"""
    y_true, y_pred, bce = _all_grey(32)
    loss = float(np.ravel(_loss_of(ns, y_true, y_pred))[0])
    expect(loss > bce + 1e-3, "a prediction of 0.3 everywhere is all blur, it should cost extra",
           expected=f"more than the cross-entropy {bce:.4f}", got=round(loss, 4),
           hint="add a penalty that is positive for pixels inside the blurry band.")


@public_check("sharpening_loss")
def stays_finite_at_exactly_zero_and_one(ns):
    """stays finite when a prediction is exactly 0 or 1, even where it is wrong"""
    from keras import ops

    y_true = np.zeros((2, 8, 8, 1), dtype="float32")
    y_true[:, :4] = 1.0
    y_pred = np.zeros((2, 8, 8, 1), dtype="float32")
    y_pred[0] = y_true[0]          # exactly right
    y_pred[1] = 1.0 - y_true[1]    # exactly wrong
    loss = ops.convert_to_numpy(ns.sharpening_loss(ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred)))
    expect(np.all(np.isfinite(loss)), "the loss is infinite or NaN at predictions of exactly 0 or 1",
           got=np.asarray(loss).tolist(),
           hint="log(0) is infinite: keep the predictions a hair away from 0 and 1 before any log, as the exercise's "
                "text says (Keras' own BCE does too).")


@public_check("sharpening_loss")
def uses_the_weight_it_is_given(ns):
    """the weight argument scales the penalty: weight=0 is plain cross-entropy, weight=2 costs twice weight=1"""
    y_true, y_pred, bce = _all_grey(16)
    losses = {w: float(np.ravel(_loss_of(ns, y_true, y_pred, weight=w))[0]) for w in (0.0, 1.0, 2.0)}
    expect(bool(np.all(np.isfinite(list(losses.values())))), "the loss is not finite", got=losses)
    extra = {w: losses[w] - bce for w in losses}
    expect(abs(extra[0.0]) < 1e-4 and extra[1.0] > 1e-4 and abs(extra[2.0] - 2 * extra[1.0]) < 1e-3 * extra[2.0] + 1e-6,
           "the penalty does not follow the `weight` argument",
           expected=f"cost above the cross-entropy {bce:.4f}: 0 at weight=0, then proportional to the weight",
           got={w: round(v, 5) for w, v in extra.items()},
           hint="multiply the penalty by the `weight` argument, not by SHARPENING_WEIGHT or a number of your own.")


@public_check("sharpening_loss")
def has_finite_gradients_from_zero_to_one(ns):
    """value and gradient are finite for every prediction from exactly 0 to exactly 1 (training meets them all)"""
    import tensorflow as tf

    y_true = np.zeros((3, 8, 8, 1), dtype="float32")
    y_true[:, :3] = 1.0
    sweep = np.linspace(0.0, 1.0, 64, dtype="float32").reshape(8, 8, 1)
    sweep[0, :3, 0] = 0.0, 0.5, 1.0
    y_pred = tf.Variable(np.stack([y_true[0], 1.0 - y_true[1], sweep]))  # exactly right, exactly wrong, all between
    with tf.GradientTape() as tape:
        loss = ns.sharpening_loss(tf.constant(y_true), y_pred)
        total = tf.reduce_sum(loss)
    expect(bool(np.all(np.isfinite(np.asarray(loss)))), "the loss is NaN or infinite for a prediction between 0 and 1",
           got=np.asarray(loss).tolist(), hint="look for a log, a logit or a division by zero at 0, 0.5 or 1.")
    gradient = tape.gradient(total, y_pred)
    expect(gradient is not None, "the loss is not differentiable with respect to y_pred",
           hint="compute it with keras.ops (or tf), not numpy: training needs its gradient.")
    bad = int(np.sum(~np.isfinite(gradient.numpy())))
    expect(bad == 0, "the gradient is NaN or infinite at some predictions (exactly 0 or 1?)",
           expected="a finite gradient at all 192 pixels", got=f"{bad} pixels with NaN or infinity",
           hint="take every log and logit of the clipped prediction: the gradient of log(p) at p = 0 is infinite, "
                "and 0 times infinity is NaN, even where ops.where or relu throws the value away.")

"""Hidden tests of lesson 03_blur.

`make_strip` and `blur_score` on arrays drawn at grading time, against closed forms computed
here; `sharpening_loss` by its closed-form properties (one value per image, exactly the
cross-entropy on crisp predictions at any weight, a cost on blurry ones proportional to the
`weight` asked for, values and gradients finite at and near 0 and 1, the direction of its
push) and by one training-based check, trained by the judge: lesson 2's reference autoencoder,
pretrained with plain cross-entropy, is fine-tuned here from the same start with plain
cross-entropy and with the student's loss, the contestant only computing the student's loss
and its gradient with respect to the judge's predictions; the student's loss must remove blur
at a moderate cost in held-out cross-entropy, measured here on the judge's own held-out cats
(pass marks in autograder/thresholds.json).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from autograder import pictures
from autograder.hidden_tests.shared import bce_per_pixel as _bce
from autograder.hidden_tests.shared import fresh_rng as _fresh_rng
from autograder.hidden_tests.shared import once_per_judge
from autograder.testing import (as_array, as_scalar, expect_threshold, finite, grading_seed, meets_threshold,
                                once_per_run, points)

LESSON = "03_blur"

# The grader's fixed budget for the training-based check (independent of COURSE_MODE): from the
# pretrained START, TRAIN_STEPS steps of TRAIN_BATCH training cats drawn with the grading seed.
TRAIN_STEPS = 30
TRAIN_BATCH = 64
TRAIN_LR = 2e-3
TEST_CATS = 300        # all held-out cats of the 2,000-cat sample
SHOWN_CATS = 8         # in the feedback picture
HISTOGRAM_BINS = 20


# ----------------------------------------------------------------------------- make_strip

def _tiles(n, h, w, base):
    """n images with distinct, position-dependent values: base + 100 * i + 10 * row + col."""
    i, r, c = np.meshgrid(np.arange(n), np.arange(h), np.arange(w), indexing="ij")
    return (base + 100.0 * i + 10.0 * r + c).astype(np.float32)


def _strip(inputs, outputs):
    """The closed form: inputs side by side above outputs side by side."""
    def row(images):
        return np.concatenate(list(np.asarray(images).reshape(np.shape(images)[:3])), axis=1)

    return np.concatenate([row(inputs), row(outputs)], axis=0)


class TestMakeStrip:
    exercise = "make_strip"

    @points(1)
    def test_shape(self, student):
        rng = _fresh_rng(34)
        n, h, w, base = (int(v) for v in (*rng.integers(2, 7, size=3), rng.integers(0, 1000)))
        inputs, outputs = _tiles(n, h, w, base), _tiles(n, h, w, base + 1000)
        strip = finite(as_array(student.make_strip(inputs, outputs), "make_strip(inputs, outputs)"), "strip")
        assert strip.shape == (2 * h, n * w), f"shape {strip.shape} for {n} images of {h}x{w}"
        # ... and it holds exactly the pixels it was given (a blank strip of the right shape does not).
        np.testing.assert_array_equal(np.sort(strip.ravel()), np.sort(np.concatenate([inputs.ravel(), outputs.ravel()])))

    @points(2)
    def test_layout_pixel_by_pixel(self, student):
        # Two 2x3 inputs a, b and outputs A, B (32 distinct numbers drawn here): the strip is
        #   a b
        #   A B
        a, b, A, B = _fresh_rng(35).permutation(32)[:24].reshape(4, 2, 3).astype(np.float32)
        strip = np.asarray(student.make_strip(np.array([a, b]), np.array([A, B])))
        np.testing.assert_array_equal(strip, np.block([[a, b], [A, B]]))

    @points(1)
    def test_channel_axis_and_many_images(self, student):
        base = int(_fresh_rng(36).integers(0, 1000))
        inputs, outputs = _tiles(5, 4, 3, base), _tiles(5, 4, 3, base + 1000)
        strip = np.asarray(student.make_strip(inputs[..., None], outputs[..., None]))
        assert strip.shape == (8, 15)
        for i in range(5):
            np.testing.assert_array_equal(strip[:4, 3 * i:3 * i + 3], inputs[i])
            np.testing.assert_array_equal(strip[4:, 3 * i:3 * i + 3], outputs[i])

    @points(1)
    def test_a_single_image(self, student):
        base = int(_fresh_rng(37).integers(0, 1000))
        strip = np.asarray(student.make_strip(_tiles(1, 2, 2, base), _tiles(1, 2, 2, base + 50)))
        np.testing.assert_array_equal(strip, base + np.array([[0, 1], [10, 11], [50, 51], [60, 61]]))

    @points(2)
    def test_random_images_drawn_at_grading_time(self, student):
        """Random sizes and pixels, with and without the channel axis, against the closed form."""
        rng = _fresh_rng(31)
        for channel in (False, True):
            n, h, w = (int(v) for v in rng.integers(2, 9, size=3))
            shape = (n, h, w, 1) if channel else (n, h, w)
            inputs, outputs = rng.random(shape).astype("float32"), rng.random(shape).astype("float32")
            strip = np.asarray(student.make_strip(inputs, outputs))
            assert strip.shape == (2 * h, n * w), f"shape {strip.shape} for {n} images of {h}x{w}"
            np.testing.assert_allclose(strip, _strip(inputs, outputs), atol=1e-7)


# ----------------------------------------------------------------------------- blur_score

class TestBlurScore:
    exercise = "blur_score"

    @points(2)
    def test_share_of_pixels_strictly_inside(self, student):
        # k pixels strictly inside (0.1, 0.9) among n, drawn here; the rest at or outside the edges.
        rng = _fresh_rng(38)
        n = int(rng.integers(8, 40))
        k = int(rng.integers(1, n - 1))
        # Both edges always among them (k <= n - 2): a band closed at either end counts them.
        outside = np.concatenate([[0.1, 0.9], rng.choice([0.0, 0.1, 0.9, 1.0, rng.uniform(0.0, 0.099),
                                                          rng.uniform(0.901, 1.0)], size=n - k - 2)])
        images = rng.permutation(np.concatenate([rng.uniform(0.101, 0.899, size=k), outside]))
        assert math.isclose(as_scalar(student.blur_score(images), "blur_score(images)"), k / n, abs_tol=1e-9), \
            f"{k} of {n} pixels are strictly inside the band"

    @points(2)
    def test_the_edges_are_not_blurry(self, student):
        rng = _fresh_rng(39)
        edges = rng.choice([0.1, 0.9], size=(int(rng.integers(2, 6)), int(rng.integers(2, 6))))
        score = as_scalar(student.blur_score(edges), "blur_score(images)")
        assert math.isclose(score, 0.0, abs_tol=1e-12), f"{score} for pixels of exactly 0.1 and 0.9 only"
        # Exactly at the edges: crisp; just inside them: blurry (so a constant answer fails).
        inside = [0.1 + rng.uniform(1e-4, 1e-3), 0.9 - rng.uniform(1e-4, 1e-3)]
        images = rng.permutation(np.concatenate([edges.ravel(), [0.0, 1.0], inside]))
        expected = 2 / images.size
        assert math.isclose(as_scalar(student.blur_score(images), "blur_score(images)"), expected, abs_tol=1e-12)

    @points(1)
    def test_any_shape(self, student):
        rng = _fresh_rng(49)
        images = np.zeros((4, 32, 32, 1))
        rows, extra = int(rng.integers(1, 32)), int(rng.integers(1, 32))
        images[0, :rows, :, 0] = rng.uniform(0.2, 0.8)   # 32 * rows of 4096 pixels
        images[3, 0, :extra, 0] = rng.uniform(0.2, 0.8)  # extra more
        expected = (32 * rows + extra) / 4096
        assert math.isclose(as_scalar(student.blur_score(images), "blur_score(images)"), expected, abs_tol=1e-12)

    @points(1)
    def test_crisp_and_grey_extremes(self, student):
        rng = _fresh_rng(50)
        crisp = rng.integers(0, 2, size=(int(rng.integers(2, 9)), 5)).astype("float64")
        grey = rng.uniform(0.15, 0.85, size=(3, int(rng.integers(2, 9))))
        assert math.isclose(as_scalar(student.blur_score(crisp), "blur_score(images)"), 0.0, abs_tol=1e-12)
        assert math.isclose(as_scalar(student.blur_score(grey), "blur_score(images)"), 1.0, abs_tol=1e-12)

    @points(2)
    def test_random_images_drawn_at_grading_time(self, student):
        """Random shapes and a random share of grey pixels, against the closed form."""
        rng = _fresh_rng(32)
        for _ in range(3):
            shape = (int(rng.integers(2, 12)), *(int(v) for v in rng.integers(1, 12, size=int(rng.integers(0, 4)))))
            images = np.where(rng.random(shape) < rng.random(), rng.random(shape), rng.integers(0, 2, shape) * 1.0)
            # Keep clear of the edges, where float32 and float64 disagree on which side 0.1 lies.
            images = np.where(np.abs(images - 0.1) < 1e-4, 0.05, images)
            images = np.where(np.abs(images - 0.9) < 1e-4, 0.95, images)
            # At least one grey and one crisp pixel among two or more: whatever the draw, a count
            # is not the share, and a one-sided band is not the band.
            images.flat[0], images.flat[-1] = 0.5, 1.0
            expected = float(np.mean((images > 0.1) & (images < 0.9)))
            got = as_scalar(student.blur_score(images), "blur_score(images)")
            assert math.isclose(got, expected, abs_tol=1e-9), f"{got} for images of shape {shape}, expected {expected}"


# ----------------------------------------------------------------------------- sharpening_loss

def _reply(student, y_true, y_pred, weight=None):
    """The student's loss per image and the gradient of its batch mean (``weight=None``: their default).

    Both computed in the contestant, beside the student's loss; both checked here: the loss one
    finite number per image, the gradient finite and of the prediction's shape. A NaN or an
    infinity is a failure before any comparison (NaN differs from everything and passes
    "is larger" nowhere, but an infinity passes "is larger").
    """
    y_true, y_pred = np.asarray(y_true, dtype="float32"), np.asarray(y_pred, dtype="float32")
    called = "sharpening_loss(y_true, y_pred" + ("" if weight is None else f", weight={weight:.4g}") + ")"
    reply = student.probe("sharpening_loss_value_and_gradient", y_true, y_pred, weight)
    if not isinstance(reply, list) or len(reply) != 2:
        raise AssertionError(f"{called} could not be evaluated with a gradient")
    loss = finite(as_array(reply[0], called, shape=(len(y_true),)), called)
    if reply[1] is None:
        raise AssertionError(f"{called} is not differentiable with respect to y_pred: training cannot use it")
    gradient = finite(as_array(reply[1], f"gradient of {called}", shape=y_pred.shape),
                      f"gradient of {called} with respect to y_pred (at a prediction of exactly 0 or 1, a log or a "
                      "logit of the unclipped prediction is infinite, and 0 times infinity is NaN)")
    return loss, gradient


def _loss(student, y_true, y_pred, weight=None):
    return _reply(student, y_true, y_pred, weight)[0]


def _strokes(rng, batch, h=32, w=32):
    """Targets of 0s and 1s: a few random strokes (rows and columns of ink) per image."""
    y = np.zeros((batch, h, w, 1), dtype="float32")
    for image in y:
        for _ in range(int(rng.integers(1, 4))):
            at, width = int(rng.integers(0, min(h, w) - 3)), int(rng.integers(1, 3))
            if rng.random() < 0.5:
                image[at:at + width, :] = 1.0
            else:
                image[:, at:at + width] = 1.0
    return y


def _crisp(y, far):
    """A crisp prediction of the targets ``y``: ``far`` (per image) from the right 0 or 1."""
    far = np.asarray(far, dtype="float32").reshape(-1, 1, 1, 1)
    return np.where(y > 0.5, 1.0 - far, far).astype("float32")


def _weights_drawn(rng, n):
    """Penalty weights drawn at grading time, well away from the lesson's 0.4."""
    return [float(w) for w in rng.uniform(0.6, 3.0, size=n)]


class TestSharpeningLoss:
    exercise = "sharpening_loss"

    @points(1)
    def test_one_value_per_image(self, student):
        rng = _fresh_rng(40)
        y = _strokes(rng, 3)
        # Three crisp predictions, each a different distance from its target: one value per image, of that image.
        far = [rng.uniform(0.01, 0.03), rng.uniform(0.04, 0.05), rng.uniform(1e-5, 1e-3)]
        loss = _loss(student, y, _crisp(y, far))
        assert loss[1] > loss[0] > loss[2] > 0, f"losses {loss} for predictions {far} away from their targets"
        h, w = (int(v) for v in rng.integers(4, 12, size=2))
        assert _loss(student, y[:1, :h, :w], np.full((1, h, w, 1), 0.4)).shape == (1,)

    @points(2)
    def test_crisp_predictions_cost_exactly_their_cross_entropy(self, student):
        rng = _fresh_rng(41)
        y = _strokes(rng, 3)
        far = rng.uniform(1e-4, 0.05, size=3)
        p = _crisp(y, far)
        expected = _bce(y, p).mean(axis=(1, 2, 3))
        # Hand check: every pixel of image i, ink or paper, costs -ln(1 - far_i).
        np.testing.assert_allclose(expected, -np.log1p(-far), rtol=1e-3)
        for weight in (None, *_weights_drawn(rng, 2)):
            np.testing.assert_allclose(_loss(student, y, p, weight), expected, rtol=1e-3, atol=1e-6,
                                       err_msg=f"crisp predictions, weight={weight or 'default'}: only cross-entropy")

    @points(1)
    def test_a_confident_mistake_is_plain_cross_entropy_too(self, student):
        rng = _fresh_rng(42)
        rows, right, wrong = int(rng.integers(2, 9)), rng.uniform(0.01, 0.04), rng.uniform(0.96, 0.99)
        y = np.zeros((1, 32, 32, 1), dtype="float32")
        p = np.full((1, 32, 32, 1), right, dtype="float32")
        p[0, :rows] = wrong  # confidently wrong pixels: crisp, so no penalty, only their (large) cross-entropy
        expected = (32 * rows * -math.log(1 - float(np.float32(wrong)))
                    + 32 * (32 - rows) * -math.log(1 - float(np.float32(right)))) / 1024
        np.testing.assert_allclose(_loss(student, y, p), [expected], rtol=1e-3)

    @points(1)
    def test_finite_at_exactly_zero_and_one(self, student):
        rng = _fresh_rng(43)
        y = _strokes(rng, 2)
        loss = _loss(student, y, y.copy())
        assert np.all(loss < 1e-3), f"a perfect crisp prediction costs {loss}, expected (almost) nothing"
        # Entirely wrong at exactly 0 and 1: still finite (clipped), and expensive (-ln 1e-7 = 16.1 per pixel).
        wrong = _loss(student, y, 1.0 - y)
        assert np.all(wrong > 5.0), f"an entirely wrong prediction of exactly 0s and 1s costs {wrong}"

    @points(2)
    def test_gradients_are_finite_at_and_near_zero_and_one(self, student):
        # Training meets predictions of exactly 0 and 1 (a sigmoid saturates in float32): a penalty taken
        # on the unclipped prediction can have a finite value there and a NaN gradient, which ruins the
        # network in one step. Right and wrong, at the edges and a hair inside them, any weight; and
        # everywhere between (exactly 0.5 included, where a logit is 0).
        rng = _fresh_rng(44)
        y = _strokes(rng, 5, 16, 16)
        levels = np.array([0.0, 1.0, 1e-12, 1e-9, 1 - 1e-7, float(rng.uniform(1e-8, 1e-6))], dtype="float32")
        p = rng.choice(levels, size=y.shape).astype("float32")
        p[0], p[1] = y[0], 1.0 - y[1]  # exactly right, exactly wrong
        p[4] = rng.random(p[4].shape)
        p[4].flat[:3] = 0.0, 0.5, 1.0
        for weight in (None, *_weights_drawn(rng, 1)):
            _reply(student, y, p, weight)  # every value and gradient checked finite there

    @points(2)
    def test_blurry_predictions_cost_more_than_their_cross_entropy(self, student):
        rng = _fresh_rng(45)
        for value in (rng.uniform(0.25, 0.35), rng.uniform(0.45, 0.55), rng.uniform(0.75, 0.85)):
            y = np.full((1, 32, 32, 1), value, dtype="float32")  # the prediction is BCE-optimal here
            got = _loss(student, y, y.copy())[0]
            assert got > _bce(y, y).mean() + 1e-3, f"a prediction of {value:.3f} everywhere costs {got}: no penalty"

    @points(2)
    def test_the_weight_scales_the_penalty(self, student):
        # The loss is BCE + weight * penalty: with weight 0 exactly the cross-entropy (closed form here),
        # and the extra cost of a blurry prediction proportional to the weight asked for (the penalty
        # itself is the student's design). Weights drawn here: a loss that reads SHARPENING_WEIGHT fails.
        rng = _fresh_rng(46)
        y = _strokes(rng, 3)
        p = np.clip(y * 0.6 + 0.2 + rng.uniform(-0.1, 0.1, size=y.shape), 0.0, 1.0).astype("float32")  # blurry
        bce = _bce(y, p).mean(axis=(1, 2, 3))
        np.testing.assert_allclose(_loss(student, y, p, 0.0), bce, rtol=1e-4, atol=1e-6,
                                   err_msg="with weight=0 the loss must be the plain cross-entropy")
        first, second = float(rng.uniform(0.05, 0.35)), _weights_drawn(rng, 1)[0]
        extra_first = _loss(student, y, p, first) - bce
        extra_second = _loss(student, y, p, second) - bce
        assert np.all(extra_first > 1e-4), f"weight={first:.4g}: blurry predictions cost no more than their BCE"
        np.testing.assert_allclose(extra_second / second, extra_first / first, rtol=1e-3,
                                   err_msg=f"the extra cost per unit of weight differs between weight={first:.4g} "
                                           f"and weight={second:.4g}: use the `weight` argument")

    @points(2)
    def test_pushes_near_edge_pixels_out_of_the_band(self, student):
        # Where the prediction equals a grey target, cross-entropy alone has zero gradient; near the
        # band's edges the loss's gradient must push p out: down below 0.5, up above it. (Deep-grey
        # pixels may be left alone: pushing them out is expensive.) The gradient is taken in the
        # contestant, beside the student's loss; its sign is judged here.
        rng = _fresh_rng(47)
        for value, sign in ((rng.uniform(0.11, 0.16), 1.0), (rng.uniform(0.84, 0.89), -1.0)):
            grid = np.full((1, 4, 4, 1), value, dtype="float32")
            gradient = _reply(student, grid, grid.copy())[1]
            assert np.all(sign * gradient > 0), f"at p = {value:.3f}: gradient {gradient.ravel()[:3]}"

    @points(1)
    def test_a_mean_over_pixels_per_image(self, student):
        # Images in a batch do not mix, and the loss does not grow with the number of pixels.
        rng = _fresh_rng(48)
        y = _strokes(rng, 3)
        p = _crisp(y, rng.uniform(1e-3, 0.04, size=3))
        p[0, 20:24] = rng.uniform(0.3, 0.7)
        batch = _loss(student, y, p)
        alone = np.concatenate([_loss(student, y[i:i + 1], p[i:i + 1]) for i in range(3)])
        np.testing.assert_allclose(batch, alone, rtol=1e-5, atol=1e-7)
        far = float(np.float32(rng.uniform(0.01, 0.04)))
        small = _loss(student, np.zeros((1, 8, 8, 1)), np.full((1, 8, 8, 1), far))
        big = _loss(student, np.zeros((1, 64, 64, 1)), np.full((1, 64, 64, 1), far))
        np.testing.assert_allclose(small, big, rtol=1e-5)
        np.testing.assert_allclose(small, [-math.log(1 - far)], rtol=1e-3)  # crisp: the mean cross-entropy itself

    @points(2)
    def test_crisp_predictions_drawn_at_grading_time(self, student):
        """Random grey targets and random crisp predictions: exactly the mean cross-entropy per image."""
        rng = _fresh_rng(33)
        batch, h, w = int(rng.integers(2, 6)), int(rng.integers(4, 20)), int(rng.integers(4, 20))
        y = rng.random((batch, h, w, 1)).astype("float32")
        side = rng.random((batch, h, w, 1)) < 0.5
        far = rng.uniform(1e-4, 0.05, (batch, h, w, 1))  # crisp: at most 0.05 from 0 or 1
        p = np.where(side, far, 1.0 - far).astype("float32")
        expected = _bce(y, p).mean(axis=(1, 2, 3))
        got = _loss(student, y, p)
        np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-6)

    @points(2)
    def test_training_removes_blur(self, student, reference):
        expect_threshold(LESSON, "sharpening_loss", "blur_ratio", measured(student, reference)["blur_ratio"],
                         "blur with your loss / blur with plain cross-entropy")

    @points(2)
    def test_at_a_moderate_cost_in_cross_entropy(self, student, reference):
        ratios = measured(student, reference)
        # The cost of sharpening, for a loss that sharpens: plain cross-entropy costs nothing and removes nothing.
        assert meets_threshold(LESSON, "sharpening_loss", "blur_ratio", ratios["blur_ratio"]), \
            "your loss did not remove enough blur in the grader's training (see above), so there is no cost to judge"
        expect_threshold(LESSON, "sharpening_loss", "ce_ratio", ratios["ce_ratio"],
                         "held-out cross-entropy with your loss / with plain cross-entropy")


# ----------------------------------------------------------------------------- the measure
#
# The judge trains; the contestant only evaluates the student's loss. At each step the judge runs
# its own copy of lesson 2's autoencoder (in training mode) on a batch of its training cats, sends
# the batch and the prediction, gets back the gradient of the student's loss with respect to the
# prediction, checks it, and backpropagates it through its own network with its own optimizer.
# Nothing the student's code does besides computing that gradient reaches the network: weights
# trained elsewhere, a patched fit or optimizer have nothing to act on.

START = Path(__file__).with_name("sharpening_start.npz")
# Changing the starting point changes every measured value: its hash is part of this module, so
# the calibration fingerprint (which hashes the module's code) asks for a recalibration.
START_SHA256 = "221575d2a494676f220e6279804fd8cdfe5bd71adda0123c842186c13b3f6b36"


def _start_weights() -> list:
    """Lesson 2's reference autoencoder after 15 epochs of plain cross-entropy on the 1,700 training cats.

    It already draws cats, so a few dozen steps show what a loss does to their blur (from scratch,
    the network draws grey squares for hundreds of steps). Written by `python -m
    autograder.hidden_tests.test_03_blur` (see ``write_start_weights``).
    """
    import hashlib

    data = START.read_bytes()
    if hashlib.sha256(data).hexdigest() != START_SHA256:
        raise RuntimeError(f"{START} is not the file this module was calibrated with (its SHA-256 differs)")
    with np.load(START) as arrays:
        return [arrays[f"arr_{i}"] for i in range(len(arrays.files))]


def write_start_weights(epochs: int = 15) -> str:
    """Train the starting point (the judge's own code: the reference, plain cross-entropy); its SHA-256."""
    import hashlib

    import keras

    from aecourse.datasets import load_cats
    from aecourse.seeding import set_seed

    x_train = load_cats(limit=2000).x_train
    set_seed(0)
    model = _build_autoencoder()
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="binary_crossentropy")
    model.fit(x_train, x_train, epochs=epochs, batch_size=64, verbose=0)
    np.savez(START, *model.get_weights())
    return hashlib.sha256(START.read_bytes()).hexdigest()


def _build_autoencoder():
    """Lesson 2's reference `build_autoencoder` (the architecture the lesson sharpens), built in the judge."""
    from autograder.notebooks import lesson_named
    from autograder.testing import reference_namespace

    return reference_namespace(lesson_named("02_autoencoder"))["build_autoencoder"]()


def _cats():
    """The training and held-out cats, loaded here in the judge: the contestant sees no data folder."""
    from aecourse.datasets import load_cats

    cats = load_cats(limit=2000)  # the lab's sample, or the first 2,000 drawings of cat.bin
    return cats.x_train, cats.x_test[:TEST_CATS]


class _Trainer:
    """Lesson 2's autoencoder and its Adam optimizer, held in the judge, trained one step at a time.

    One per judge process: tracing its step functions costs more than a run, so the plain run and
    the student's run share them; ``reset`` starts each run from the same weights and a fresh
    optimizer state.
    """

    def __init__(self):
        import keras
        import tensorflow as tf

        self.model = _build_autoencoder()
        self.optimizer = keras.optimizers.Adam(TRAIN_LR)
        self.optimizer.build(self.model.trainable_weights)
        self.forward = tf.function(lambda x: self.model(x, training=True))

        @tf.function
        def gradients(x, of_the_output):
            with tf.GradientTape() as tape:
                y_pred = self.model(x, training=True)
            return tape.gradient(y_pred, self.model.trainable_weights, output_gradients=of_the_output)

        self.gradients = gradients
        self.apply = tf.function(lambda grads: self.optimizer.apply(grads, self.model.trainable_weights))

    def reset(self, weights) -> None:
        self.model.set_weights(weights)
        for variable in self.optimizer.variables:
            if "learning_rate" not in variable.path:
                variable.assign(np.zeros(variable.shape, dtype=variable.dtype))

    def train(self, weights, seed: int, gradient_of) -> None:
        """TRAIN_STEPS steps from ``weights``; ``gradient_of(x, y_pred, step)``: d loss / d y_pred."""
        import tensorflow as tf

        x_train, _ = _cats()
        self.reset(weights)
        batches = np.random.default_rng(seed + 1)  # the same batches for the plain run and the student's
        for step in range(TRAIN_STEPS):
            x = x_train[batches.choice(len(x_train), TRAIN_BATCH, replace=False)]
            y_pred = self.forward(x).numpy()
            self.apply(self.gradients(x, tf.constant(gradient_of(x, y_pred, step), dtype="float32")))


_trainer: list[_Trainer] = []


def _the_trainer() -> _Trainer:
    if not _trainer:
        _trainer.append(_Trainer())
    return _trainer[0]


def _plain_cross_entropy(y_true, y_pred):
    from keras import ops

    p = ops.clip(y_pred, 1e-7, 1 - 1e-7)
    return ops.mean(-(y_true * ops.log(p) + (1 - y_true) * ops.log(1 - p)), axis=(1, 2, 3))


def _plain_gradient(x, y_pred, step):
    """The baseline's gradient, by the very code the contestant runs, with plain cross-entropy as the loss."""
    from autograder.contestant.probes import StudentNames, sharpening_loss_value_and_gradient

    names = StudentNames({"sharpening_loss": _plain_cross_entropy})
    return sharpening_loss_value_and_gradient(names, x, y_pred)[1]


def _students_gradient(student):
    def gradient_of(x, y_pred, step):
        try:
            return _reply(student, x, y_pred)[1]
        except AssertionError as error:
            raise AssertionError(f"at training step {step + 1} of {TRAIN_STEPS}: {error}") from None

    return gradient_of


def _outcome(model, x_test) -> dict:
    """Held-out cross-entropy and blur, the pixel histogram, and the first cats' reconstructions (JSON values)."""
    p = np.asarray(model(x_test, training=False), dtype="float64")
    return {"ce": float(_bce(x_test, p).mean()),
            "blur": float(np.mean((p > 0.1) & (p < 0.9))),  # written out here, independent of the student's blur_score
            "histogram": np.histogram(p, bins=HISTOGRAM_BINS, range=(0.0, 1.0))[0].tolist(),
            "shown": np.round(p[:SHOWN_CATS, ..., 0], 3).tolist()}


def measure_sharpening_loss(student, reference, seed: int) -> dict[str, float]:
    """Fine-tune the pretrained autoencoder twice from the same start, with plain BCE and student.sharpening_loss.

    blur_ratio  held-out blur score with the student's loss / with plain BCE (lower is better)
    ce_ratio    held-out cross-entropy with the student's loss / with plain BCE (lower is better)
    """
    start = _start_weights()
    _, x_test = _cats()
    trainer = _the_trainer()

    def plain_run():
        trainer.train(start, seed, _plain_gradient)
        return _outcome(trainer.model, x_test)

    # The plain run involves no student code: one judge of the grading run trains it for all.
    plain = once_per_run(f"sharpening_plain_bce_{START_SHA256[:8]}_seed{seed}", plain_run)
    trainer.train(start, seed, _students_gradient(student))
    yours = _outcome(trainer.model, x_test)
    pictures.record("sharpening_loss", PICTURE_TITLE, _picture(x_test[:SHOWN_CATS, ..., 0], plain, yours))
    return {"blur_ratio": yours["blur"] / plain["blur"], "ce_ratio": yours["ce"] / plain["ce"]}


PICTURE_TITLE = "plain cross-entropy and your loss, after the same fine-tuning"


def _picture(cats, plain: dict, yours: dict):
    """Held-out cats over both runs' drawings of them, and both runs' pixel histograms (a grey image)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.0, 5.6), dpi=100)
    top, bottom = figure.subplots(2, 1, gridspec_kw={"height_ratios": [1.25, 1]})
    rows = [("held-out cats", cats), ("plain cross-entropy", np.asarray(plain["shown"])),
            ("your loss", np.asarray(yours["shown"]))]
    top.imshow(np.concatenate([np.concatenate(list(images), axis=1) for _, images in rows]),
               cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    top.set_yticks([16 + 32 * i for i in range(len(rows))], [name for name, _ in rows])
    top.set_xticks([])
    top.set_title("what each run draws of held-out cats", fontsize=10)
    edges = np.linspace(0.0, 1.0, HISTOGRAM_BINS + 1)
    for name, run, style in (("plain cross-entropy", plain, dict(color="0.55", lw=2.5)),
                             ("your loss", yours, dict(color="black", lw=1.5))):
        bottom.stairs(np.maximum(run["histogram"], 0.5), edges, label=f"{name}: blur {run['blur']:.3f}, "
                      f"held-out cross-entropy {run['ce']:.4f}", **style)
    bottom.axvspan(0.1, 0.9, color="0.9", zorder=0)
    # Scaled to the grey pixels: the paper (the first bin, most pixels of both runs) runs off the top.
    bottom.set_ylim(0, 1.3 * max(max(run["histogram"][1:]) for run in (plain, yours)))
    bottom.set_xlabel("pixel value (the grey band from 0.1 to 0.9 is blur; the paper bin runs off the top)")
    bottom.set_ylabel("pixels of the held-out cats")
    bottom.legend(fontsize=8, loc="upper right")
    figure.subplots_adjust(left=0.2, right=0.97, top=0.95, bottom=0.09, hspace=0.25)
    return pictures.from_figure(figure)


MEASURES = {"sharpening_loss": measure_sharpening_loss}
DIRECTIONS = {"blur_ratio": "min", "ce_ratio": "min"}
# Plain cross-entropy handed in as the sharpening loss trains exactly like the baseline run:
# blur ratio 1. However noisy the reference, the pass mark stays halfway between.
BASELINES = {"blur_ratio": 1.0}


def measured(student, reference) -> dict[str, float]:
    """The measure, once per judge process and seed (both training checks share it)."""
    return once_per_judge(("sharpening_loss", grading_seed(), id(student.connection)),
                          lambda: measure_sharpening_loss(student, reference, grading_seed()))


if __name__ == "__main__":
    print(f"wrote {START}; START_SHA256 = {write_start_weights()!r} (then recalibrate lesson 03)")

"""Lesson 3's experiment, shared with its appendix: what a sharpening loss costs and what it buys.

:func:`compare_losses` fine-tunes a fresh model once per loss, every time from the same
weights and on the same batches (the seed is set again before each run), so that the
losses differ in nothing else. Each run is measured on held-out images by two numbers,
both relative to the first run, plain cross-entropy: the cross-entropy (what sharpening
costs) and the blur score (what it buys). The blur score is the student's own, lesson 3's
exercise, passed in; so is their ``sharpening_loss`` (:func:`loss_runs`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import partial

import keras
import numpy as np
from keras import ops

from aecourse.seeding import set_seed

PLAIN = "plain"  # the name of the reference run, plain binary cross-entropy


def cross_entropy(targets, predictions) -> float:
    """Mean binary cross-entropy per pixel, in nats (float64; predictions clipped to [1e-7, 1 - 1e-7])."""
    p = np.clip(np.asarray(predictions, dtype="float64"), 1e-7, 1 - 1e-7)
    y = np.asarray(targets, dtype="float64")
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


def naive_loss(y_true, y_pred, weight):
    """The first idea: binary cross-entropy plus ``weight * p(1 - p)``, averaged per image: shape (batch,)."""
    p = ops.clip(y_pred, 1e-7, 1 - 1e-7)
    y = ops.cast(y_true, p.dtype)
    per_pixel = -(y * ops.log(p) + (1 - y) * ops.log(1 - p)) + weight * p * (1 - p)
    return ops.mean(per_pixel, axis=tuple(range(1, len(per_pixel.shape))))


def loss_runs(sharpening_loss, naive_weights, our_weights) -> list[tuple[str, float, object]]:
    """(name, weight, loss) of each run: plain cross-entropy first, then the naive penalty and ours at each weight."""
    runs = [(PLAIN, 0.0, "binary_crossentropy")]
    runs += [("naive", w, partial(naive_loss, weight=w)) for w in naive_weights]
    runs += [("ours", w, partial(sharpening_loss, weight=w)) for w in our_weights]
    return runs


@dataclass
class Run:
    """One trained model and what it measured on the held-out images; changes are relative to the plain run."""

    name: str
    weight: float
    cross_entropy: float
    blur: float
    model: object = field(repr=False)
    cross_entropy_change: float = 0.0
    blur_change: float = 0.0


def compare_losses(runs, make_model, x_train, x_test, blur_score, learning_rate: float, epochs: int,
                   batch_size: int = 64, seed: int = 1) -> list[Run]:
    """Train ``make_model()`` once per (name, weight, loss) of ``runs`` (the first is the reference) and measure it.

    Every run starts from a fresh ``make_model()`` and the same seed, so the same batches;
    Adam at ``learning_rate`` for ``epochs`` on ``x_train`` as input and target. Prints
    how long the runs took. Returns one :class:`Run` per entry, in order.
    """
    results = []
    start = time.perf_counter()
    for name, weight, loss in runs:
        set_seed(seed)
        model = make_model()
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss=loss)
        model.fit(x_train, x_train, epochs=epochs, batch_size=batch_size, verbose=0)
        predictions = model.predict(x_test, verbose=0)
        results.append(Run(name, weight, cross_entropy(x_test, predictions), blur_score(predictions), model))
    print(f"{len(results)} runs of {epochs} epochs in {time.perf_counter() - start:.0f} s")
    reference = results[0]
    for run in results:
        run.cross_entropy_change = run.cross_entropy / reference.cross_entropy - 1
        run.blur_change = run.blur / reference.blur - 1
    return results


def runs_table(runs: list[Run]) -> str:
    """The runs as a text table: loss, weight, held-out cross-entropy and blur, and their changes."""
    lines = [f"{'loss':>6} {'weight':>6} {'held-out BCE':>13} {'blur':>6} {'BCE change':>11} {'blur change':>12}"]
    lines += [f"{r.name:>6} {r.weight:6.2f} {r.cross_entropy:13.4f} {r.blur:6.3f} "
              f"{r.cross_entropy_change:+11.1%} {r.blur_change:+12.1%}" for r in runs]
    return "\n".join(lines)


def trade_off(runs: list[Run], suffix: str = "") -> dict[str, list[tuple[float, float, float]]]:
    """Loss name (plus ``suffix``) -> [(cross-entropy change %, blur change %, weight)] of its runs, plain left out.

    What :func:`aecourse.plotting.show_trade_off` draws.
    """
    curves: dict[str, list[tuple[float, float, float]]] = {}
    for run in runs:
        if run.name != PLAIN:
            curves.setdefault(run.name + suffix, []).append(
                (100 * run.cross_entropy_change, 100 * run.blur_change, run.weight))
    return curves


def closest(runs: list[Run], name: str, weight: float) -> Run:
    """The run of loss ``name`` whose weight is closest to ``weight``."""
    return min((r for r in runs if r.name == name), key=lambda r: abs(r.weight - weight))

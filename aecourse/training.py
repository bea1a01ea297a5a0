"""Training helpers the VAE lessons (4, 5 and 6) and their grader share.

The book trains with a constant learning rate for 50 to 100 epochs. Our recipes
reach a lower test loss in the same number of epochs with a one-cycle shape:
a short linear warm-up (a large rate on a fresh network diverges) and then a
cosine down to zero (small steps at the end settle into a minimum instead of
bouncing around it).
"""

from __future__ import annotations

import math

import keras
import numpy as np


def warmup_cosine(peak: float, epochs: int, n_train: int, batch_size: int, warmup_epochs: float = 1.0):
    """A learning rate that climbs linearly from 0 to `peak` for `warmup_epochs`, then falls to 0 along a cosine.

    Pass it to any Keras optimizer, e.g. ``keras.optimizers.Adam(warmup_cosine(0.01, 50, 60_000, 250))``.
    Steps are counted per batch, as Keras counts them: ceil(n_train / batch_size) per epoch.
    """
    if not 0 <= warmup_epochs < epochs:
        raise ValueError(f"warmup_epochs must be in [0, epochs): got {warmup_epochs} of {epochs}")
    steps_per_epoch = math.ceil(n_train / batch_size)
    warmup = int(warmup_epochs * steps_per_epoch)
    return keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=epochs * steps_per_epoch - warmup, warmup_target=peak, warmup_steps=warmup)


def mean_test_loss(model, inputs, passes: int = 5, batch_size: int = 1000) -> dict[str, float]:
    """The model's loss and metrics over `inputs`, averaged over `passes` evaluations.

    A VAE draws a fresh z for every image at every evaluation, so one pass is
    noisy; the course quotes test losses as the mean of 5.
    """
    runs = [model.evaluate(inputs, batch_size=batch_size, verbose=0, return_dict=True) for _ in range(passes)]
    return {name: float(np.mean([run[name] for run in runs])) for name in runs[0]}

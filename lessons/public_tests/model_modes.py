"""Public checks' test of a Keras model in training mode: the course's networks act the same in both modes.

``fit`` runs a model with ``training=True``. None of the book's networks has a layer that acts
only while training (Dropout, GaussianNoise, BatchNormalization...), so each must compute in
training mode exactly what it computes when it predicts; a layer that does not is named.
"""

from __future__ import annotations

import numpy as np

from public_tests.framework import expect

TRAINING_ONLY = ("Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout", "BatchNormalization")


def training_only_layers(model) -> list[str]:
    """The class names of ``model``'s layers that act only while training."""
    return [type(layer).__name__ for layer in model.layers if type(layer).__name__.endswith(TRAINING_ONLY)]


def same_while_training(model, inputs, what: str, outputs=(0,)) -> None:
    """``model(inputs, training=True)`` equals ``model(inputs, training=False)`` on the ``outputs`` listed
    (a Sampling output is random: leave it out)."""
    def listed(value):
        return list(value) if isinstance(value, (list, tuple)) else [value]

    predicted, trained = listed(model(inputs, training=False)), listed(model(inputs, training=True))
    same = all(np.all(np.isfinite(np.asarray(trained[k]))) and
               np.allclose(np.asarray(predicted[k]), np.asarray(trained[k]), atol=1e-5) for k in outputs)
    expect(same, f"your {what} computes something else in training mode (as fit runs it) than when it predicts",
           expected="no layer that acts only while training", got=training_only_layers(model) or "other outputs",
           hint=f"the book's {what} has no Dropout, GaussianNoise or BatchNormalization: remove them.")

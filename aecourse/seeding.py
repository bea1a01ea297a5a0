"""One call to make a run repeatable."""

from __future__ import annotations

import keras


def set_seed(seed: int = 42) -> None:
    """Seed Python, NumPy and the backend (TensorFlow) in one go.

    Keras' own helper covers all three; op determinism is left off because it
    slows CPU training and our checks use tolerances measured over seeds.
    """
    keras.utils.set_random_seed(seed)

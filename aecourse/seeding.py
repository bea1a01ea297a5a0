"""One call to make a run repeatable."""

from __future__ import annotations

import random
import sys

import numpy as np


def set_seed(seed: int = 42) -> None:
    """Seed Python, NumPy and, when Keras is in use, the backend (TensorFlow) in one go.

    Keras' own helper covers all three; op determinism is left off because it
    slows CPU training and our checks use tolerances measured over seeds. A lesson
    that never imports Keras (lesson 1) does not pay seconds of TensorFlow start-up
    for a seed it would not use: import Keras before calling this to seed it too.
    """
    if "keras" in sys.modules:
        sys.modules["keras"].utils.set_random_seed(seed)
    else:
        random.seed(seed)
        np.random.seed(seed)

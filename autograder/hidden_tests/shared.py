"""Plumbing the hidden-test modules share: inputs drawn at grading time, conversions, closed forms, a per-judge cache.

Not a test module (pytest collects ``test_*.py`` only). Everything here is trusted code of
the judge: the closed forms are written out in numpy, independently of every notebook, and
compute in float64 so that they are the yardstick, not another float32 answer.
"""

from __future__ import annotations

import secrets

import numpy as np

__all__ = ["fresh_rng", "as_numpy", "f32", "kl_per_sample", "bce_per_pixel", "bce_per_image", "once_per_judge",
           "definitions_digest"]


def fresh_rng(seed):
    """A generator of inputs drawn at grading time (``seed`` mixed with fresh entropy): no answer can be prepared."""
    return np.random.default_rng([seed, secrets.randbits(32)])


def as_numpy(value):
    """A tensor, array or number as a float64 numpy array (Keras is imported only when needed)."""
    import keras

    return np.asarray(keras.ops.convert_to_numpy(value), dtype="float64")


def f32(value):
    return np.asarray(value, dtype="float32")


def kl_per_sample(z_mean, z_log_var):
    """KL( N(z_mean, exp(z_log_var)) || N(0, I) ) of each row, summed over the latent dimensions."""
    z_mean, z_log_var = np.asarray(z_mean, "float64"), np.asarray(z_log_var, "float64")
    return 0.5 * np.sum(np.exp(z_log_var) + z_mean ** 2 - 1.0 - z_log_var, axis=-1)


def bce_per_pixel(y, p):
    """Binary cross-entropy of each pixel, probabilities clipped to [1e-7, 1 - 1e-7] as Keras clips them."""
    y, p = np.asarray(y, dtype="float64"), np.clip(np.asarray(p, dtype="float64"), 1e-7, 1 - 1e-7)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def bce_per_image(x, p):
    """Binary cross-entropy summed over each image's pixels: one value per image."""
    return bce_per_pixel(x, p).reshape(len(x), -1).sum(axis=1)


_kept: dict = {}


def once_per_judge(key, compute):
    """``compute()`` once per judge process and ``key``; a failure too is kept and raised to every test that asks.

    For what several tests of one exercise check from one costly run (a training, the
    student's and the reference's steps): the second test neither repeats it nor, when
    it failed, waits for it to fail again. Put in ``key`` whatever the value depends on
    (the grading seed, the contestant).
    """
    if key not in _kept:
        try:
            _kept[key] = (True, compute())
        except Exception as error:  # noqa: BLE001 - every test that asks reports it
            _kept[key] = (False, error)
    succeeded, value = _kept[key]
    if not succeeded:
        raise value
    return value


def definitions_digest(module, names) -> str:
    """SHA-256 of the syntax trees of the module-level definitions ``names`` in ``module``'s source file.

    For a measure whose schedule lives outside the hidden tests (``public_tests/``, which
    check() runs too), where the calibration fingerprint does not follow it: the hidden-test
    module writes the digest down beside its ``MEASURES`` and refuses to measure when it no
    longer matches, so that a change there changes the module and asks for a recalibration.
    Comments and layout do not count.
    """
    import ast
    import hashlib
    from pathlib import Path

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    found = {}
    for node in tree.body:
        for target in (node.targets if isinstance(node, ast.Assign) else [node]):
            name = getattr(target, "id", None) or getattr(target, "name", None)
            if name in names:
                found[name] = ast.dump(node)
    missing = sorted(set(names) - set(found))
    if missing:
        raise RuntimeError(f"{Path(module.__file__).name} no longer defines {missing}")
    return hashlib.sha256("\n".join(found[name] for name in names).encode("utf-8")).hexdigest()

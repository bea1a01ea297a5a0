"""The two datasets of the course, as float32 arrays ready for Keras.

``load_mnist()``: MNIST digits, 28x28, values in [0, 1].
``load_cats()``: Quick Draw cats, 32x32x1, ink 1.0 on 0.0, split 85/15 with a fixed seed.

Both get their files through :func:`aecourse.download.fetch`: the local
``AECOURSE_DATA_DIR`` folder only, or else a download (from Google, or from the
mirror given by ``mirror=`` or ``AECOURSE_MIRROR``) that is verified whole and cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aecourse import config
from aecourse.download import base_url, fetch, quickdraw_category
from aecourse.quickdraw import load_binary_rasterized, load_numpy_bitmap


def to_unit_float(images: np.ndarray) -> np.ndarray:
    """uint8 0..255 -> float32 0..1, converting in place to avoid a second float copy."""
    out = images.astype(np.float32)
    out /= 255.0
    return out


def load_mnist(mirror: str | None = None):
    """MNIST as ``(x_train, y_train), (x_test, y_test)``.

    x: float32 in [0, 1], shapes (60000, 28, 28) and (10000, 28, 28);
    y: uint8 digit labels 0..9. The file is checked by content after it is found
    (keys, shapes, dtypes, label range), and a download by Keras' sha256 too.
    ``mirror``: base URL to download from (default ``AECOURSE_MIRROR``, else Google's).
    """
    (x_train, y_train), (x_test, y_test) = load_mnist_pixels(mirror)
    return (to_unit_float(x_train), y_train), (to_unit_float(x_test), y_test)


def load_mnist_pixels(mirror: str | None = None):
    """MNIST as stored: like :func:`load_mnist`, but x is uint8 0..255 (a quarter of the bytes).

    ``to_unit_float(x)`` gives exactly ``load_mnist()``'s floats.
    """
    path = fetch("mnist", mirror=mirror)
    with np.load(path, allow_pickle=False) as npz:
        return (npz["x_train"], npz["y_train"]), (npz["x_test"], npz["y_test"])


@dataclass
class Cats:
    """Quick Draw cats split for training.

    ``x_train``, ``x_test``: float32 in [0, 1], shape (n, size, size, 1), ink 1.0.
    ``source``: ``"binary"`` (the vector file, rasterized by the course) or
    ``"numpy_bitmap"`` (Google's 28x28 bitmaps, padded to 32).
    ``description``: one sentence on which file was used and why.
    """

    x_train: np.ndarray
    x_test: np.ndarray
    source: str
    description: str

    def __repr__(self) -> str:
        return (f"Cats(x_train={self.x_train.shape}, x_test={self.x_test.shape}, "
                f"source={self.source!r})")


def _split(images: np.ndarray, test_fraction: float, seed: int):
    """Shuffle with a fixed seed, then cut: the last ``round(n * test_fraction)`` go to test."""
    order = np.random.default_rng(seed).permutation(len(images))
    n_test = int(round(len(images) * test_fraction))
    return images[order[n_test:]], images[order[:n_test]]


def _find_cat_file(category: str, mirror: str | None):
    """Pick the best available cat file: ``(source, path, kind, why)``.

    Order: the binary vector file, Google's full numpy_bitmap, the lab's bitmap
    sample. ``why`` says why an earlier choice was not used ("" for the first).
    """
    folder = config.data_dir()
    reasons = []
    for kind, name in (("binary", f"quickdraw/{category}.bin"),
                       ("numpy_bitmap", f"quickdraw/{category}.npy"),
                       ("sample", f"quickdraw/{category}_numpy_bitmap_sample.npy")):
        if kind == "sample" and folder is None:
            break  # the sample exists only in a lab's data folder
        try:
            path = fetch(name, mirror=mirror)
        except FileNotFoundError as err:
            reasons.append(f"{name} is not in AECOURSE_DATA_DIR")
            last = err
            continue
        except Exception as err:  # no network, server error, failed check (a local file's too)
            what = "is not usable" if folder else "could not be downloaded"
            reasons.append(f"{name} {what} ({type(err).__name__}: {err})")
            last = err
            continue
        source = "binary" if kind == "binary" else "numpy_bitmap"
        return source, path, kind, "; ".join(reasons)
    where = f"in AECOURSE_DATA_DIR={folder}" if folder else "by download"
    raise FileNotFoundError(f"no {category} drawings found {where}: " + "; ".join(reasons)) from last


def load_cats(size: int = 32, test_fraction: float = 0.15, seed: int = 0, limit: int | None = None,
              category: str = "cat", mirror: str | None = None, strict: bool = False) -> Cats:
    """Quick Draw cats as images, split into train and test.

    Prefers ``cat.bin`` (the book's vector file, rasterized here by
    :func:`aecourse.quickdraw.load_binary_rasterized` at any ``size``); falls
    back to Google's numpy_bitmap (the full file, then the lab's 2,000-drawing
    sample), whose 28x28 images are padded to 32 (``size`` must then be 28 or 32).
    ``limit`` keeps the first ``limit`` drawings of the file before the split.
    The split shuffles with ``seed`` and holds out ``round(n * test_fraction)``
    drawings (for 2,000: 1,700 train, 300 test). Other categories work too
    (``category="hot dog"``). ``mirror``: base URL to download from (default
    ``AECOURSE_MIRROR``, else Google's). Drawings of the binary file that break a
    plausibility limit are skipped with one warning; ``strict=True`` refuses the
    file instead (see :mod:`aecourse.quickdraw`).
    """
    category = quickdraw_category(category)
    base_url(mirror)  # a malformed mirror setting is an error, not a reason to fall back
    source, path, kind, why = _find_cat_file(category, mirror)
    if source == "binary":
        images = load_binary_rasterized(path, size=size, limit=limit, strict=strict)
        how = f"rasterized from the Quick Draw vector file {path} to {size}x{size}"
    else:
        images = load_numpy_bitmap(path, size=size, limit=limit)
        what = "the lab's sample of" if kind == "sample" else "the full file of"
        pad = ", padded to 32x32" if size == 32 else ""
        how = f"from {what} Google's pre-rasterized 28x28 bitmaps {path}{pad}"
    because = f", because {why}" if why else ""
    description = f"{len(images):,} {category} drawings {how}{because}."
    x_train, x_test = _split(images, test_fraction, seed)
    del images
    x_train = to_unit_float(x_train)[..., np.newaxis]
    x_test = to_unit_float(x_test)[..., np.newaxis]
    return Cats(x_train=x_train, x_test=x_test, source=source, description=description)

"""Getting the course's data files: download once, verify, cache; or read a local folder.

Two ways to get a file, chosen by ``AECOURSE_DATA_DIR`` (see :mod:`aecourse.config`):

* **Unset** (a normal machine): download the official file with pooch into
  ``aecourse.config.cache_dir()`` and reuse it afterwards. Pooch downloads into a
  temporary file in the cache folder and renames it only when the download is
  complete and its hash matches, so an interrupted download never leaves a file
  under the final name. Files whose publisher gives no hash (Quick Draw) get a
  structural check instead: a ``.npy`` must load with the right shape and dtype,
  a ``.bin`` must parse its first drawings. A downloaded file that fails the
  check is deleted, so the next call downloads again.
* **Set** (offline labs, CI): read only from that folder, never the network. A
  missing file raises FileNotFoundError listing the paths tried and the
  official URL. Local files are checked by content, not by hash: the lab's
  ``mnist.npz`` is a re-saved copy whose bytes (and hash) differ from Keras'
  file while the arrays are the same.

Names understood by :func:`fetch` (paths are relative to the data folder):

==========================================  =====================================================
name                                        local file names accepted (first found wins)
==========================================  =====================================================
``mnist``                                   ``mnist.npz``
``quickdraw/<category>.bin``                ``quickdraw/<category>.bin``
``quickdraw/<category>.npy``                ``quickdraw/<category>.npy``,
                                            ``quickdraw/full_numpy_bitmap_<category>.npy``
``quickdraw/<category>_numpy_bitmap_sample.npy``  same name (a lab-provided subset; no URL)
==========================================  =====================================================

``<category>`` is one of Google's 345 Quick Draw categories (:data:`QUICKDRAW_CATEGORIES`,
copied from ``categories.txt`` of github.com/googlecreativelab/quickdraw-dataset);
spaces are allowed ("hot dog") and URL-encoded in the download address.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np

from aecourse import config
from aecourse.quickdraw import read_drawings

MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
# The hash Keras publishes for that file (keras/datasets/mnist.py).
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
QUICKDRAW_BINARY_URL = "https://storage.googleapis.com/quickdraw_dataset/full/binary/{}.bin"
QUICKDRAW_BITMAP_URL = "https://storage.googleapis.com/quickdraw_dataset/full/numpy_bitmap/{}.npy"

QUICKDRAW_CATEGORIES: tuple[str, ...] = tuple(
    line.strip() for line in
    (Path(__file__).parent / "assets" / "quickdraw_categories.txt").read_text(encoding="utf-8").splitlines()
    if line.strip())


class DataCheckError(ValueError):
    """A data file exists but does not hold what it should (wrong shape, dtype, format)."""


@dataclass(frozen=True)
class Resource:
    """One data file: where it comes from and how to recognise a good copy."""

    name: str                        # what the user asked for, e.g. "quickdraw/cat.bin"
    url: str | None                  # official download address; None for lab-only files
    known_hash: str | None           # sha256 published with the file, if any
    cache_name: str                  # path inside the cache folder
    local_names: tuple[str, ...]     # paths inside AECOURSE_DATA_DIR, tried in order
    check: Callable[[Path], None]    # raises DataCheckError if the file is not usable


# ----------------------------------------------------------------------------- checks

def check_mnist(path: Path) -> None:
    """MNIST in Keras' layout: four uint8 arrays of the right shapes, labels 0..9."""
    expected = {"x_train": (60000, 28, 28), "y_train": (60000,),
                "x_test": (10000, 28, 28), "y_test": (10000,)}
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = set(expected) - set(npz.files)
            if missing:
                raise DataCheckError(f"{path}: not MNIST in Keras' layout, missing {sorted(missing)}")
            for key, shape in expected.items():
                arr = npz[key]
                if arr.shape != shape or arr.dtype != np.uint8:
                    raise DataCheckError(f"{path}: {key} has shape {arr.shape} and dtype {arr.dtype}, "
                                         f"expected {shape} uint8")
                if key.startswith("y") and arr.max() > 9:
                    raise DataCheckError(f"{path}: {key} holds labels above 9")
    except DataCheckError:
        raise
    except Exception as err:  # a truncated zip, an HTML page saved as .npz, ...
        raise DataCheckError(f"{path}: cannot be read as an .npz file ({err})") from err


def check_numpy_bitmap(path: Path) -> None:
    """A Quick Draw numpy_bitmap file: an (n, 784) uint8 array with n >= 1."""
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except Exception as err:
        raise DataCheckError(f"{path}: cannot be read as a .npy file ({err})") from err
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] != 784 or arr.dtype != np.uint8:
        raise DataCheckError(f"{path}: expected an (n, 784) uint8 array of 28x28 drawings, "
                             f"found shape {arr.shape} and dtype {arr.dtype}")


def check_quickdraw_binary(path: Path, drawings: int = 20) -> None:
    """A Quick Draw binary file: its first drawings parse and pass the format's sanity checks."""
    try:
        first = list(islice(read_drawings(path), drawings))
    except ValueError as err:  # QuickDrawFormatError names the offset
        raise DataCheckError(f"not a valid Quick Draw binary file: {err}") from err
    if not first:
        raise DataCheckError(f"{path}: empty file, no drawings")


# ----------------------------------------------------------------------------- names

def quickdraw_category(name: str) -> str:
    """The official spelling of a Quick Draw category (case-insensitive match).

    Raises ValueError with the closest names for an unknown category.
    """
    by_lower = {c.lower(): c for c in QUICKDRAW_CATEGORIES}
    found = by_lower.get(name.strip().lower())
    if found is None:
        close = difflib.get_close_matches(name.lower(), list(by_lower), n=3)
        hint = f"; did you mean {', '.join(repr(by_lower[c]) for c in close)}?" if close else ""
        raise ValueError(f"{name!r} is not one of the {len(QUICKDRAW_CATEGORIES)} Quick Draw "
                         f"categories{hint}")
    return found


def _check_for_suffix(name: str) -> Callable[[Path], None]:
    if name.endswith(".bin"):
        return check_quickdraw_binary
    if name.endswith(".npy"):
        return check_numpy_bitmap
    if name.endswith(".npz") and "mnist" in name:
        return check_mnist
    return lambda path: None


def resource(name_or_url: str, known_hash: str | None = None) -> Resource:
    """Describe a data file by course name (see the module docstring) or by URL."""
    name = name_or_url.strip()
    if "://" in name:
        filename = urllib.parse.unquote(Path(urllib.parse.urlparse(name).path).name)
        return Resource(name, name, known_hash, f"urls/{filename}", (filename,), _check_for_suffix(filename))
    if name in ("mnist", "mnist.npz"):
        return Resource("mnist", MNIST_URL, MNIST_SHA256, "mnist.npz", ("mnist.npz",), check_mnist)
    if name.startswith("quickdraw/"):
        stem = name[len("quickdraw/"):]
        if stem.endswith("_numpy_bitmap_sample.npy"):
            category = quickdraw_category(stem[: -len("_numpy_bitmap_sample.npy")])
            filename = f"quickdraw/{category}_numpy_bitmap_sample.npy"
            return Resource(filename, None, None, filename, (filename,), check_numpy_bitmap)
        if stem.endswith(".bin"):
            category = quickdraw_category(stem[:-4])
            return Resource(f"quickdraw/{category}.bin",
                            QUICKDRAW_BINARY_URL.format(urllib.parse.quote(category)), None,
                            f"quickdraw/{category}.bin", (f"quickdraw/{category}.bin",),
                            check_quickdraw_binary)
        if stem.endswith(".npy"):
            category = quickdraw_category(stem[:-4])
            return Resource(f"quickdraw/{category}.npy",
                            QUICKDRAW_BITMAP_URL.format(urllib.parse.quote(category)), None,
                            f"quickdraw/{category}.npy",
                            (f"quickdraw/{category}.npy", f"quickdraw/full_numpy_bitmap_{category}.npy"),
                            check_numpy_bitmap)
    raise ValueError(f"unknown data name {name_or_url!r}: use 'mnist', 'quickdraw/<category>.bin', "
                     f"'quickdraw/<category>.npy', 'quickdraw/<category>_numpy_bitmap_sample.npy' "
                     f"or a URL")


# ----------------------------------------------------------------------------- fetching

def local_candidates(res: Resource, folder: Path) -> list[Path]:
    """The paths in ``folder`` where ``res`` may be, in the order they are tried."""
    return [folder / rel for rel in res.local_names]


def _from_data_dir(res: Resource, folder: Path) -> Path:
    tried = local_candidates(res, folder)
    for path in tried:
        if path.is_file():
            res.check(path)
            return path
    if res.url:
        how = (f"Download it from {res.url} and save it as {tried[0]}, or unset "
               f"AECOURSE_DATA_DIR to let the course download it into {config.cache_dir()}.")
    else:
        how = "It has no public download address: it is a subset that the course's lab provides."
    raise FileNotFoundError(
        f"{res.name} is not in the local data folder AECOURSE_DATA_DIR={folder} "
        f"(with that variable set, the course reads only from there and never downloads).\n"
        f"Looked for:\n" + "".join(f"  {p}\n" for p in tried) + how)


def fetch(name_or_url: str, *, known_hash: str | None = None, progressbar: bool = True,
          downloader: Callable | None = None) -> Path:
    """Return the local path of a data file, downloading and verifying it if needed.

    ``name_or_url``: a course name (``"mnist"``, ``"quickdraw/cat.bin"``, ...; see
    the module docstring) or an http(s) URL. ``known_hash``: sha256 for a URL
    (course names know theirs). ``downloader``: a pooch downloader
    ``f(url, output_file, pooch)``, for tests or proxies; default pooch's HTTP
    downloader with a tqdm progress bar.

    Raises FileNotFoundError (local folder set and the file missing, or a
    lab-only file without a folder), DataCheckError (the file is not what it
    should be; a downloaded copy is deleted first), or pooch/requests errors
    when the download itself fails (nothing is left under the final name).
    """
    res = resource(name_or_url, known_hash)
    folder = config.data_dir()
    if folder is not None:
        return _from_data_dir(res, folder)
    if res.url is None:
        raise FileNotFoundError(
            f"{res.name} has no public download address: it is a file provided by the course's "
            f"lab. Set AECOURSE_DATA_DIR to the folder that holds {res.local_names[0]}.")

    import pooch  # imported here: reading local files must not need it

    target = config.cache_dir() / res.cache_name
    path = Path(pooch.retrieve(res.url, known_hash=res.known_hash, fname=target.name,
                               path=target.parent, progressbar=progressbar,
                               downloader=downloader))
    try:
        res.check(path)
    except DataCheckError as err:
        # A bad file under the final name would be "found" by every later call: remove it.
        path.unlink(missing_ok=True)
        raise DataCheckError(f"the download of {res.url} is not usable and was deleted, so the "
                             f"next call downloads it again: {err}") from err
    return path


def fetch_quickdraw(category: str, kind: str = "binary", **kwargs) -> Path:
    """Shortcut: ``kind`` is ``"binary"`` (.bin), ``"numpy_bitmap"`` (full .npy) or ``"sample"``."""
    suffix = {"binary": ".bin", "numpy_bitmap": ".npy", "sample": "_numpy_bitmap_sample.npy"}
    if kind not in suffix:
        raise ValueError(f"kind must be one of {sorted(suffix)}, not {kind!r}")
    return fetch(f"quickdraw/{quickdraw_category(category)}{suffix[kind]}", **kwargs)


def sha256(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file (to compare with a published checksum)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()

"""Getting the course's data files: downloaded once, verified whole, cached; or read from a local folder.

Where a file comes from, chosen by the environment (see :mod:`aecourse.config`):

* ``AECOURSE_DATA_DIR`` **set** (offline labs, CI): only that folder is read,
  the network never. A missing file raises FileNotFoundError listing the paths
  tried and the official URL. Local files are checked by content (below), not
  by hash: a lab's ``mnist.npz`` may be a re-saved copy whose bytes differ from
  Keras' file while its arrays are the same. They are never deleted, and may be
  subsets (Google's drawing counts are not required of them).
* **Unset**: the download cache (``AECOURSE_CACHE_DIR``, default
  ``~/.cache/aecourse``), filled on first use from the official address or from
  a **mirror**: ``AECOURSE_MIRROR`` (or the ``mirror=`` argument of
  :func:`fetch` and of the loaders in :mod:`aecourse.datasets`) is a base URL
  under which the official paths are laid out, so that the file at
  ``<mirror>/<path>`` is byte for byte the file at ``https://storage.googleapis.com/<path>``:

  ======================================  ========================================================
  course name                             path (under the official base or the mirror)
  ======================================  ========================================================
  ``mnist``                               ``tensorflow/tf-keras-datasets/mnist.npz``
  ``quickdraw/<category>.bin``            ``quickdraw_dataset/full/binary/<category>.bin``
  ``quickdraw/<category>.npy``            ``quickdraw_dataset/full/numpy_bitmap/<category>.npy``
  ======================================  ========================================================

  ``<category>`` is one of Google's 345 Quick Draw categories
  (:data:`QUICKDRAW_CATEGORIES`, from ``categories.txt`` of
  github.com/googlecreativelab/quickdraw-dataset), URL-encoded ("hot%20dog").

What a downloaded file must pass **before it gets its final name** in the cache
(it is written to a hidden ``.part`` file beside it and renamed only then):

* the transfer: HTTP 200, not an HTML page, exactly as many bytes as the
  Content-Length the server announced (when it announced one);
* MNIST: the sha256 Keras publishes, then the content check;
* a Quick Draw binary file: every drawing walked to the exact end of the file
  (:func:`aecourse.quickdraw.walk_binary`: truncation, appended bytes and
  malformed drawings fail; implausible but well-formed drawings are the loader's
  business, see :mod:`aecourse.quickdraw`), at least one drawing, and for the
  categories in :data:`QUICKDRAW_DRAWINGS` exactly that many drawings;
* a numpy_bitmap file: an ``(n, 784)`` uint8 array, the file exactly as long
  as its header says, and ``n`` from :data:`QUICKDRAW_DRAWINGS` where known.

A download that fails any of these is deleted and the error (:class:`DownloadError`
for the transfer, :class:`DataCheckError` for the content) names the address and
why; nothing is cached, so the next call downloads again. A cached file is
checked the same way every time it is fetched (under a second for cat.bin); one
that fails is deleted and downloaded once more, with a warning, and if the new
copy fails too the error names the file and what to do.

What no check can see: a Quick Draw binary file cut exactly between two
drawings, served whole by its server (the Content-Length then agrees), for a
category whose drawing count is not in :data:`QUICKDRAW_DRAWINGS`.

``fetch("quickdraw/<category>_numpy_bitmap_sample.npy")`` names a lab-provided
subset of the bitmap file; it has no download address. Any other http(s) URL
may be fetched too (cached under ``urls/``, checked by its suffix and, if given,
``known_hash``); mirrors do not apply to such URLs.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import sys
import tempfile
import time
import urllib.parse
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aecourse import config
from aecourse.quickdraw import QuickDrawFormatError, walk_binary

OFFICIAL_BASE = "https://storage.googleapis.com"
MNIST_PATH = "tensorflow/tf-keras-datasets/mnist.npz"
QUICKDRAW_BINARY_PATH = "quickdraw_dataset/full/binary/{}.bin"
QUICKDRAW_BITMAP_PATH = "quickdraw_dataset/full/numpy_bitmap/{}.npy"
MNIST_URL = f"{OFFICIAL_BASE}/{MNIST_PATH}"
QUICKDRAW_BINARY_URL = f"{OFFICIAL_BASE}/{QUICKDRAW_BINARY_PATH}"
QUICKDRAW_BITMAP_URL = f"{OFFICIAL_BASE}/{QUICKDRAW_BITMAP_PATH}"
# The hash Keras publishes for that file (keras/datasets/mnist.py).
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

# Drawings in Google's files of a category (the same in binary and numpy_bitmap),
# where the course knows the number: Google's "cat" has 123,202 (the book's
# recipe splits cat.bin into 104,721 + 18,481). Google publishes neither hashes
# nor sizes, so this count is what tells a copy cut between two drawings from
# the whole file. Only downloads are held to it: a lab's local copy may be a subset.
QUICKDRAW_DRAWINGS = {"cat": 123_202}

QUICKDRAW_CATEGORIES: tuple[str, ...] = tuple(
    line.strip() for line in
    (Path(__file__).parent / "assets" / "quickdraw_categories.txt").read_text(encoding="utf-8").splitlines()
    if line.strip())

# Seconds to wait for a connection and then for each block of data.
TIMEOUT = (30, 120)
# A .part file untouched for this long belongs to a download that died with its process.
_STALE_PART_SECONDS = 3600


class DataCheckError(ValueError):
    """A data file exists but does not hold what it should (wrong hash, shape, format, size)."""


class DownloadError(OSError):
    """The server did not deliver the file (HTTP error, an HTML page, a broken transfer)."""


@dataclass(frozen=True)
class Resource:
    """One data file: where it comes from and how to recognise a good copy."""

    name: str                        # what the user asked for, e.g. "quickdraw/cat.bin"
    url: str | None                  # where it is downloaded from (mirror or official); None: lab-only
    official_url: str | None         # Google's or Keras' address, for messages
    known_hash: str | None           # sha256 published with the file, if any
    cache_name: str                  # path inside the cache folder
    local_names: tuple[str, ...]     # paths inside AECOURSE_DATA_DIR, tried in order
    check: Callable[..., object]     # check(path, source=..., expected=...) raises DataCheckError
    expected: int | None = None      # drawings a download must hold (QUICKDRAW_DRAWINGS)


# ----------------------------------------------------------------------------- checks

def check_mnist(path: Path, source: str | None = None, expected: int | None = None) -> None:
    """MNIST in Keras' layout: four uint8 arrays of the right shapes, labels 0..9.

    Reads every array, so a truncated or damaged zip fails (zip members carry CRCs).
    """
    source = source or str(path)
    shapes = {"x_train": (60000, 28, 28), "y_train": (60000,),
              "x_test": (10000, 28, 28), "y_test": (10000,)}
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = set(shapes) - set(npz.files)
            if missing:
                raise DataCheckError(f"{source}: not MNIST in Keras' layout, missing {sorted(missing)}")
            for key, shape in shapes.items():
                arr = npz[key]
                if arr.shape != shape or arr.dtype != np.uint8:
                    raise DataCheckError(f"{source}: {key} has shape {arr.shape} and dtype {arr.dtype}, "
                                         f"expected {shape} uint8")
                if key.startswith("y") and arr.max() > 9:
                    raise DataCheckError(f"{source}: {key} holds labels above 9")
    except DataCheckError:
        raise
    except Exception as err:  # a truncated zip, an HTML page saved as .npz, ...
        raise DataCheckError(f"{source}: cannot be read as an .npz file ({err})") from err


def check_numpy_bitmap(path: Path, source: str | None = None, expected: int | None = None) -> int:
    """A Quick Draw numpy_bitmap file, whole: an (n, 784) uint8 array, n >= 1 (or ``expected``).

    The header gives the shape; the file must then be exactly header + n * 784
    bytes long (numpy's memory map would accept appended bytes). Returns n.
    """
    source = source or str(path)
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(f)
            data_start = f.tell()
    except Exception as err:
        raise DataCheckError(f"{source}: cannot be read as a .npy file ({err})") from err
    if len(shape) != 2 or shape[0] < 1 or shape[1] != 784 or dtype != np.uint8 or fortran_order:
        layout = " in Fortran order" if fortran_order else ""
        raise DataCheckError(f"{source}: expected an (n, 784) uint8 array of 28x28 drawings, "
                             f"found shape {shape} and dtype {dtype}{layout}")
    size, want = os.path.getsize(path), data_start + shape[0] * 784
    if size != want:
        what = "truncated" if size < want else f"{size - want:,} bytes too many at the end"
        raise DataCheckError(f"{source}: the header promises {shape[0]:,} drawings, i.e. {want:,} bytes, "
                             f"but the file has {size:,} ({what})")
    if expected is not None and shape[0] != expected:
        raise DataCheckError(f"{source}: holds {shape[0]:,} drawings, Google's file holds {expected:,} "
                             f"(an incomplete or different copy)")
    return shape[0]


def check_quickdraw_binary(path: Path, source: str | None = None, expected: int | None = None) -> int:
    """A Quick Draw binary file, whole: every drawing walked to the exact end of the file.

    Malformed or truncated drawings and appended bytes fail; drawings that only
    break a plausibility limit are counted but pass (the loaders skip them).
    ``expected``: the number of drawings the file must hold. Returns that number.
    """
    source = source or str(path)
    try:
        walk = walk_binary(Path(path).read_bytes(), source)
    except QuickDrawFormatError as err:  # names the drawing, field and byte
        raise DataCheckError(f"not a whole Quick Draw binary file: {err}") from err
    if walk.records == 0:
        raise DataCheckError(f"{source}: empty file, no drawings")
    if walk.drawings == 0:
        raise DataCheckError(f"{source}: none of its {walk.records:,} drawings is plausible "
                             f"(first: {walk.skipped[0]}); not a Quick Draw file")
    if expected is not None and walk.records != expected:
        raise DataCheckError(f"{source}: holds {walk.records:,} whole drawings, Google's file holds "
                             f"{expected:,}: the copy is cut between two drawings, or not that file")
    return walk.records


def _no_check(path: Path, source: str | None = None, expected: int | None = None) -> None:
    return None


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


def base_url(mirror: str | None = None) -> str:
    """The base URL downloads use: ``mirror``, else ``AECOURSE_MIRROR``, else Google's.

    Raises ValueError unless it is an http(s) URL. A trailing slash is ignored.
    """
    value = mirror if mirror is not None else config.mirror()
    if value is None or not value.strip():
        return OFFICIAL_BASE
    value = value.strip().rstrip("/")
    parsed = urllib.parse.urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(
            f"the mirror {value!r} (AECOURSE_MIRROR or mirror=) must be an http(s) base URL under "
            f"which the official paths are laid out, e.g. https://data.example.org/aecourse for "
            f"https://data.example.org/aecourse/{QUICKDRAW_BINARY_PATH.format('cat')}; for a local "
            f"folder of files use AECOURSE_DATA_DIR instead")
    return value


def _check_for_suffix(name: str) -> Callable[..., object]:
    if name.endswith(".bin"):
        return check_quickdraw_binary
    if name.endswith(".npy"):
        return check_numpy_bitmap
    if name.endswith(".npz") and "mnist" in name:
        return check_mnist
    return _no_check


def resource(name_or_url: str, known_hash: str | None = None, *, mirror: str | None = None) -> Resource:
    """Describe a data file by course name (see the module docstring) or by URL.

    ``mirror``: a base URL (default ``AECOURSE_MIRROR``, else Google's; see :func:`base_url`).
    """
    name = name_or_url.strip()
    if "://" in name:
        filename = urllib.parse.unquote(Path(urllib.parse.urlparse(name).path).name)
        return Resource(name, name, name, known_hash, f"urls/{filename}", (filename,),
                        _check_for_suffix(filename))
    base = base_url(mirror)
    if name in ("mnist", "mnist.npz"):
        return Resource("mnist", f"{base}/{MNIST_PATH}", MNIST_URL, MNIST_SHA256, "mnist.npz",
                        ("mnist.npz",), check_mnist)
    if name.startswith("quickdraw/"):
        stem = name[len("quickdraw/"):]
        if stem.endswith("_numpy_bitmap_sample.npy"):
            category = quickdraw_category(stem[: -len("_numpy_bitmap_sample.npy")])
            filename = f"quickdraw/{category}_numpy_bitmap_sample.npy"
            return Resource(filename, None, None, None, filename, (filename,), check_numpy_bitmap)
        for suffix, path, check, local in (
                (".bin", QUICKDRAW_BINARY_PATH, check_quickdraw_binary, ("{}.bin",)),
                (".npy", QUICKDRAW_BITMAP_PATH, check_numpy_bitmap, ("{}.npy", "full_numpy_bitmap_{}.npy"))):
            if stem.endswith(suffix):
                category = quickdraw_category(stem[: -len(suffix)])
                url_path = path.format(urllib.parse.quote(category))
                return Resource(f"quickdraw/{category}{suffix}", f"{base}/{url_path}",
                                f"{OFFICIAL_BASE}/{url_path}", None, f"quickdraw/{category}{suffix}",
                                tuple(f"quickdraw/{n.format(category)}" for n in local), check,
                                QUICKDRAW_DRAWINGS.get(category))
    raise ValueError(f"unknown data name {name_or_url!r}: use 'mnist', 'quickdraw/<category>.bin', "
                     f"'quickdraw/<category>.npy', 'quickdraw/<category>_numpy_bitmap_sample.npy' "
                     f"or a URL")


# ----------------------------------------------------------------------------- local folder

def local_candidates(res: Resource, folder: Path) -> list[Path]:
    """The paths in ``folder`` where ``res`` may be, in the order they are tried."""
    return [folder / rel for rel in res.local_names]


def _from_data_dir(res: Resource, folder: Path) -> Path:
    tried = local_candidates(res, folder)
    for path in tried:
        if path.is_file():
            try:
                res.check(path, source=str(path))
            except DataCheckError as err:
                fix = f"replace it with a fresh copy of {res.official_url}" if res.official_url else \
                    "ask for a fresh copy of it"
                raise DataCheckError(f"{err}\nThat file is in AECOURSE_DATA_DIR, so it was left in "
                                     f"place: {fix}, or remove it.") from err
            return path
    if res.url:
        how = (f"Download it from {res.official_url} and save it as {tried[0]}, or unset "
               f"AECOURSE_DATA_DIR to let the course download it into {config.cache_dir()}.")
    else:
        how = "It has no public download address: it is a subset that the course's lab provides."
    raise FileNotFoundError(
        f"{res.name} is not in the local data folder AECOURSE_DATA_DIR={folder} "
        f"(with that variable set, the course reads only from there and never downloads).\n"
        f"Looked for:\n" + "".join(f"  {p}\n" for p in tried) + how)


# ----------------------------------------------------------------------------- downloading

def _verify(res: Resource, path: Path, source: str) -> None:
    """Everything a copy from the official address or a mirror must pass."""
    if res.known_hash:
        got = sha256(path)
        if got != res.known_hash.lower():
            raise DataCheckError(f"{source}: sha256 hash {got} does not match the published "
                                 f"{res.known_hash} (a damaged or different file)")
    res.check(path, source=source, expected=res.expected)


def _where(res: Resource) -> str:
    """A hint on where a download came from, for error messages."""
    if res.url != res.official_url:
        return f" (from the mirror AECOURSE_MIRROR / mirror= in place of {res.official_url})"
    return ""


def _http_get(res: Resource, out: Path, progressbar: bool) -> None:
    """Stream ``res.url`` into ``out``; raise DownloadError unless the whole file arrived."""
    import requests  # installed with pooch; imported here: reading local files must not need it
    from tqdm import tqdm  # a text bar on stderr, which notebooks show as well

    url = res.url
    got, total = 0, None
    try:
        # identity: the Content-Length then counts the very bytes that are written.
        with requests.get(url, stream=True, timeout=TIMEOUT,
                          headers={"Accept-Encoding": "identity"}) as response:
            if response.status_code != 200:
                raise DownloadError(f"{url}{_where(res)}: the server answered HTTP "
                                    f"{response.status_code} {response.reason}; nothing was cached")
            kind = response.headers.get("Content-Type", "")
            if kind.split(";")[0].strip().lower() in ("text/html", "application/xhtml+xml"):
                start = response.raw.read(200, decode_content=True).decode("utf-8", "replace")
                raise DownloadError(f"{url}{_where(res)}: the server sent an HTML page "
                                    f"(Content-Type {kind}) instead of the file, beginning "
                                    f"{start[:120]!r}; nothing was cached. Is the address right, "
                                    f"or does this network need a log-in first?")
            announced = response.headers.get("Content-Length", "")
            encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
            total = int(announced) if announced.isdigit() else None
            with open(out, "wb") as f, tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1000,
                                            desc=f"Downloading {Path(res.cache_name).name}",
                                            file=sys.stderr, disable=not progressbar) as bar:
                for block in response.iter_content(chunk_size=1 << 16):
                    f.write(block)
                    got += len(block)
                    bar.update(len(block))
    except requests.RequestException as err:  # refused, timed out, cut off (urllib3 IncompleteRead)
        if isinstance(err, requests.exceptions.ChunkedEncodingError):  # the body stopped short
            of = f" the {total:,} bytes announced had arrived" if total is not None else " the end"
            what = f"broke off before{of} ({err})"
        else:
            what = f"failed ({type(err).__name__}: {err})"
        raise DownloadError(f"{url}{_where(res)}: the transfer {what}; nothing was cached, so the "
                            f"next call downloads again") from err
    if total is not None and not encoded and got != total:
        raise DownloadError(f"{url}{_where(res)}: the transfer ended after {got:,} of the "
                            f"{total:,} bytes the server announced; nothing was cached, so the next "
                            f"call downloads again")


def _remove_stale_parts(target: Path) -> None:
    """Delete .part files of downloads whose process died (a live one keeps writing)."""
    now = time.time()
    for part in target.parent.glob(f".{target.name}.*.part"):
        try:
            if now - part.stat().st_mtime > _STALE_PART_SECONDS:
                part.unlink()
        except OSError:
            pass  # gone already, or another process is dealing with it


def _download(res: Resource, target: Path, progressbar: bool, downloader: Callable | None) -> None:
    """Download ``res`` into ``target`` atomically: verified whole, then renamed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_parts(target)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    part = Path(name)
    try:
        if downloader is not None:
            downloader(res.url, str(part), None)
        else:
            _http_get(res, part, progressbar)
        try:
            _verify(res, part, source=res.url)
        except DataCheckError as err:
            raise DataCheckError(f"{err}\nThat download{_where(res)} was deleted: nothing was "
                                 f"cached, so the next call downloads it again.") from err
        os.replace(part, target)  # atomic: the final name only ever holds a verified file
    finally:
        part.unlink(missing_ok=True)  # also on KeyboardInterrupt


def fetch(name_or_url: str, *, known_hash: str | None = None, progressbar: bool = True,
          downloader: Callable | None = None, mirror: str | None = None) -> Path:
    """Return the local path of a verified data file, downloading it if needed.

    ``name_or_url``: a course name (``"mnist"``, ``"quickdraw/cat.bin"``, ...; see
    the module docstring) or an http(s) URL. ``known_hash``: sha256 for a URL
    (course names know theirs). ``mirror``: base URL to download from instead of
    Google's (default ``AECOURSE_MIRROR``). ``progressbar``: a tqdm bar on stderr
    while downloading. ``downloader``: a callable ``f(url, output_file, _)``
    that writes the file (a pooch downloader fits), for proxies or other
    protocols; the checks still apply, except the Content-Length one.

    Raises FileNotFoundError (local folder set and the file missing, or a
    lab-only file without a folder), DownloadError (the server did not deliver
    the file) or DataCheckError (a file is not what it should be). After any of
    them the cache holds no file under that name, so the next call downloads again.
    """
    res = resource(name_or_url, known_hash, mirror=mirror)
    folder = config.data_dir()
    if folder is not None:
        return _from_data_dir(res, folder)
    if res.url is None:
        raise FileNotFoundError(
            f"{res.name} has no public download address: it is a file provided by the course's "
            f"lab. Set AECOURSE_DATA_DIR to the folder that holds {res.local_names[0]}.")

    target = config.cache_dir() / res.cache_name
    if not target.is_file():
        _download(res, target, progressbar, downloader)
        return target
    try:
        _verify(res, target, source=str(target))
        return target
    except DataCheckError as err:
        damage = err
    # A damaged cached file (an older course's unchecked download, a disk error):
    # never return it, never keep it; one fresh download replaces it.
    target.unlink(missing_ok=True)
    try:
        _download(res, target, progressbar, downloader)
    except (DataCheckError, DownloadError) as err:
        raise type(err)(f"{target} in the download cache was damaged ({damage}) and has been "
                        f"deleted; downloading it again failed: {err}\nRun again to retry, set "
                        f"AECOURSE_MIRROR to a working mirror, or AECOURSE_DATA_DIR to a folder "
                        f"holding a good copy.") from err
    warnings.warn(f"{target} in the download cache was damaged ({damage}); it was deleted and "
                  f"downloaded again from {res.url}.", stacklevel=2)
    return target


def fetch_quickdraw(category: str, kind: str = "binary", **kwargs) -> Path:
    """Shortcut: ``kind`` is ``"binary"`` (.bin), ``"numpy_bitmap"`` (full .npy) or ``"sample"``.

    Keyword arguments go to :func:`fetch` (``mirror=``, ``progressbar=``, ...).
    """
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

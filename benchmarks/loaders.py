"""The two cat.bin loaders under comparison, and the measurement run in a subprocess.

``python -m benchmarks.loaders <book|course> <file.bin>`` loads the file once and
prints one JSON line: seconds, peak resident memory (ru_maxrss) and a checksum.
Each measurement gets its own process so that peak memory belongs to one loader.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from struct import unpack

import numpy as np


def book_loader(path: str) -> np.ndarray:
    """The book's recipe 13.1, re-implemented as faithfully as the benchmark allows.

    Per drawing: a new 32x32 white PIL image, the 15-byte header skipped, then
    per stroke a ``struct.unpack`` of the coordinates, each divided by 8 in
    Python, and ``ImageDraw.line(width=2)`` in black; the picture becomes a
    (32, 32, 1) float32 array (what Keras' ``img_to_array`` returns; done with
    numpy so that TensorFlow's import stays out of the memory figure), and the
    list of pictures becomes one float32 array at the end.
    """
    from PIL import Image, ImageDraw

    pictures = []
    with open(path, "rb") as f:
        while True:
            picture = Image.new("L", (32, 32), "white")
            pen = ImageDraw.Draw(picture)
            if len(f.read(15)) != 15:  # key_id, countrycode, recognized, timestamp
                break
            (n_strokes,) = unpack("H", f.read(2))
            for _ in range(n_strokes):
                (n_points,) = unpack("H", f.read(2))
                layout = f"{n_points}B"
                xs = [c // 8 for c in unpack(layout, f.read(n_points))]
                ys = [c // 8 for c in unpack(layout, f.read(n_points))]
                pen.line(list(zip(xs, ys)), fill=0, width=2)
            pictures.append(np.asarray(picture, dtype=np.float32).reshape(32, 32, 1))
    return np.array(pictures, dtype=np.float32)


def course_loader(path: str) -> np.ndarray:
    """The course's fast path: (n, 32, 32) uint8, ink 255 on 0."""
    from aecourse.quickdraw import load_binary_rasterized

    return load_binary_rasterized(path, size=32)


LOADERS = {"book": book_loader, "course": course_loader}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def cpu_seconds() -> float:
    # CPU time (user + system) of this process: on a machine shared with other
    # work it measures the loader's own cost, where wall time also counts waiting.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str]) -> None:
    name, path = argv
    import PIL.Image  # noqa: F401  import both loaders' libraries before measuring, fairly
    import aecourse.quickdraw  # noqa: F401

    before = peak_mb()
    cpu_start, start = cpu_seconds(), time.perf_counter()
    images = LOADERS[name](path)
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
    print(json.dumps({"loader": name, "seconds": seconds, "cpu_seconds": cpu, "peak_mb": peak_mb(),
                      "baseline_mb": before, "shape": list(images.shape),
                      "dtype": str(images.dtype), "nbytes_mb": images.nbytes / 2**20}))


if __name__ == "__main__":
    main(sys.argv[1:])

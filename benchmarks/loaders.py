"""The two cat.bin loaders under comparison, and the measurement run in a subprocess.

``python -m benchmarks.loaders <book|course> <file.bin>`` loads the file once and
prints one JSON line: wall and CPU seconds, peak resident memory, result size.
Each measurement gets its own process so that peak memory belongs to one loader.

``python -m benchmarks.loaders agree <file.bin>`` compares the two loaders' pixels.
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
    """ru_maxrss in MB (Linux reports KiB).

    Linux keeps ru_maxrss across fork and exec, so this process's figure is at
    least its parent's size when it was started: the parent must stay small.
    """
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def vm_hwm_mb() -> float:
    """The kernel's high-water mark of this process image (reset by exec): a cross-check."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def agreement(path: str, n: int = 5000) -> dict:
    """How close the course's pixels are to the book's PIL lines, on the first n drawings."""
    import itertools
    import os
    import tempfile

    from aecourse.quickdraw import load_binary_rasterized, read_drawings, write_drawings

    with tempfile.TemporaryDirectory() as tmp:
        head = os.path.join(tmp, "head.bin")
        write_drawings(head, itertools.islice(read_drawings(path), n))
        book_ink = book_loader(head)[..., 0] < 128  # black on white
        ours = load_binary_rasterized(head) > 0
    return {"same_pixels": float((book_ink == ours).mean()),
            "ink_iou": float((book_ink & ours).sum() / (book_ink | ours).sum()),
            "book_ink": float(book_ink.mean()), "course_ink": float(ours.mean()), "drawings": len(ours)}


def cpu_seconds() -> float:
    # CPU time (user + system) of this process: on a machine shared with other
    # work it measures the loader's own cost, where wall time also counts waiting.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str]) -> None:
    name, path = argv
    if name == "agree":
        print(json.dumps(agreement(path)))
        return
    import PIL.Image  # noqa: F401  import both loaders' libraries before measuring, fairly
    import aecourse.quickdraw  # noqa: F401

    before = peak_mb()
    cpu_start, start = cpu_seconds(), time.perf_counter()
    images = LOADERS[name](path)
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
    print(json.dumps({"loader": name, "seconds": seconds, "cpu_seconds": cpu, "peak_mb": peak_mb(), "vm_hwm_mb": vm_hwm_mb(),
                      "baseline_mb": before, "shape": list(images.shape),
                      "dtype": str(images.dtype), "nbytes_mb": images.nbytes / 2**20}))


if __name__ == "__main__":
    main(sys.argv[1:])

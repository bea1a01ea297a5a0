"""A synthetic cat.bin shaped like the real one, written with the course's writer.

``python -m benchmarks.synthetic <out.bin> [n]`` writes the file and prints one
JSON line of statistics. It runs in its own process so that the benchmark's
parent process stays small (see benchmarks/__main__.py on peak memory).
"""

from __future__ import annotations

import json
import sys

import numpy as np

from aecourse.quickdraw import Drawing, write_drawings

REAL_CAT_COUNT = 123_202  # drawings in Google's cat.bin


def synthetic_cats(n: int, seed: int = 0) -> list[Drawing]:
    """Drawings with real cats' proportions: 1-12 strokes (mean 5), 10-40 points each.

    Each stroke is a random walk of steps up to 24 units (of 256) per axis, like
    the segments left by Google's simplification, folded back into 0..255.
    """
    rng = np.random.default_rng(seed)
    n_strokes = np.clip(rng.poisson(4, n) + 1, 1, 12)
    n_points = rng.integers(10, 41, int(n_strokes.sum()))
    first = np.cumsum(n_points) - n_points  # index of each stroke's first point
    steps = rng.integers(-24, 25, size=(int(n_points.sum()), 2))
    steps[first] = rng.integers(0, 256, size=(len(n_points), 2))  # each stroke starts anywhere
    # One cumulative sum for all strokes, restarted at each stroke's first point.
    walk = np.cumsum(steps, axis=0)
    walk -= np.repeat(walk[first] - steps[first], n_points, axis=0)
    walk %= 510
    walk = np.where(walk > 255, 510 - walk, walk).astype(np.uint8)
    xs, ys = np.split(walk[:, 0], first[1:]), np.split(walk[:, 1], first[1:])
    drawings, s = [], 0
    for k in range(n):
        m = int(n_strokes[k])
        drawings.append(Drawing(k, "US", True, 1_490_000_000 + k, list(zip(xs[s:s + m], ys[s:s + m]))))
        s += m
    return drawings


def main(argv: list[str]) -> None:
    path, n = argv[0], int(argv[1]) if len(argv) > 1 else REAL_CAT_COUNT
    drawings = synthetic_cats(n)
    write_drawings(path, drawings)
    print(json.dumps({
        "drawings": n,
        "strokes_per_drawing": float(np.mean([len(d.strokes) for d in drawings])),
        "points_per_stroke": float(np.mean([len(x) for d in drawings for x, _ in d.strokes])),
    }))


if __name__ == "__main__":
    main(sys.argv[1:])

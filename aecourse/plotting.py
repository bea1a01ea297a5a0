"""Figures of the course: grids of small images, grids side by side, and input/output strips.

Every function returns the matplotlib Figure. In a notebook with inline
plotting the figure also shows; in scripts and tests (Agg backend) nothing
opens a window. Images are drawn ink-dark on white (``gray_r``, 0 -> white,
1 -> black), the way the drawings were made, whatever their value range.
"""

from __future__ import annotations

import numpy as np


def _as_stack(images) -> np.ndarray:
    """(n, h, w) or (n, h, w, 1) -> (n, h, w) float array."""
    arr = np.asarray(images, dtype=np.float32)
    if arr.ndim == 4 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim == 2:  # a single image
        arr = arr[np.newaxis]
    if arr.ndim != 3:
        raise ValueError(f"expected images of shape (n, h, w) or (n, h, w, 1), got {np.shape(images)}")
    return arr


def image_grid(images, ncols: int, pad: int = 1, fill: float = 0.0) -> np.ndarray:
    """Tile images row by row into one 2-D array.

    ``images``: (n, h, w) or (n, h, w, 1). Returns an array of shape
    ``(rows*h + (rows-1)*pad, ncols*w + (ncols-1)*pad)`` with ``rows =
    ceil(n / ncols)``; gaps and the unused cells of the last row hold ``fill``.
    Image k sits at row ``k // ncols``, column ``k % ncols``.
    """
    stack = _as_stack(images)
    n, h, w = stack.shape
    if ncols < 1 or pad < 0:
        raise ValueError("ncols must be >= 1 and pad >= 0")
    ncols = min(ncols, max(n, 1))
    rows = max(-(-n // ncols), 1)
    grid = np.full((rows * h + (rows - 1) * pad, ncols * w + (ncols - 1) * pad), fill, dtype=np.float32)
    for k in range(n):
        r, c = divmod(k, ncols)
        grid[r * (h + pad): r * (h + pad) + h, c * (w + pad): c * (w + pad) + w] = stack[k]
    return grid


def _figure(ax, width: float, height: float):
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=(width, height))
    return fig, ax


def show_grid(images, ncols: int, title: str | None = None, ax=None, pad: int = 1):
    """Draw :func:`image_grid` of ``images``; returns the Figure.

    ``ax``: draw into this Axes instead of a new figure.
    """
    grid = image_grid(images, ncols, pad=pad, fill=0.0)
    scale = 8.0 / max(grid.shape)  # about 8 inches on the long side
    fig, ax = _figure(ax, max(grid.shape[1] * scale, 2.0), max(grid.shape[0] * scale, 1.0))
    ax.imshow(grid, cmap="gray_r", vmin=0.0, vmax=max(1.0, float(grid.max())), interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig


def show_side_by_side(grids, ncols: int, title: str | None = None):
    """One :func:`show_grid` panel per entry of ``grids``, left to right; returns the Figure.

    ``grids``: a mapping (e.g. a dict) from each panel's title to its images, (n, h, w) or
    (n, h, w, 1). Made to compare models on the same inputs, such as the same random codes
    decoded by two decoders: image k of every panel sits in the same place.
    """
    import matplotlib.pyplot as plt

    if not grids:
        raise ValueError("show_side_by_side needs at least one panel")
    first = image_grid(next(iter(grids.values())), ncols)
    panel_width = 6.0 * first.shape[1] / max(first.shape)
    panel_height = 6.0 * first.shape[0] / max(first.shape)
    fig, axes = plt.subplots(1, len(grids), figsize=(len(grids) * panel_width + 0.5, panel_height + 0.6),
                             squeeze=False)
    for ax, (panel_title, images) in zip(axes[0], grids.items()):
        show_grid(images, ncols, title=panel_title, ax=ax)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_strip(top, bottom, titles=("input", "output")):
    """Two rows of images: ``top`` above ``bottom`` (e.g. inputs and reconstructions).

    ``top`` and ``bottom``: the same number of images, (n, h, w) or (n, h, w, 1).
    ``titles``: the labels of the two rows. Returns the Figure.
    """
    import matplotlib.pyplot as plt

    top, bottom = _as_stack(top), _as_stack(bottom)
    if top.shape != bottom.shape:
        raise ValueError(f"top and bottom must have the same shape, got {top.shape} and {bottom.shape}")
    n = len(top)
    fig, axes = plt.subplots(2, 1, figsize=(max(n * 0.8, 3.0), 2.2))
    vmax = max(1.0, float(top.max(initial=0)), float(bottom.max(initial=0)))
    for ax, row, label in zip(axes, (top, bottom), titles):
        ax.imshow(image_grid(row, ncols=n), cmap="gray_r", vmin=0.0, vmax=vmax, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_ylabel(label, rotation=0, ha="right", va="center")
    fig.tight_layout()
    return fig

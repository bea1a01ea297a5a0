"""Figures of the course: grids of small images, grids side by side, rows of images, and
lesson 3's plots of pixel values (histograms, curves of p, trade-offs, logit scatters).

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
    return show_rows(dict(zip(titles, (top, bottom))))


def show_rows(rows):
    """One labelled row of images per entry of ``rows``, top to bottom; returns the Figure.

    ``rows``: a mapping from each row's label to its images, all of the same shape, (n, h, w)
    or (n, h, w, 1): e.g. inputs, then what two models drew from them.
    """
    import matplotlib.pyplot as plt

    stacks = {label: _as_stack(images) for label, images in rows.items()}
    if not stacks:
        raise ValueError("show_rows needs at least one row")
    shapes = {stack.shape for stack in stacks.values()}
    if len(shapes) > 1:
        raise ValueError(f"every row must have the same shape, got {sorted(shapes)}")
    n = len(next(iter(stacks.values())))
    fig, axes = plt.subplots(len(stacks), 1, figsize=(max(n * 0.8, 3.0), 1.1 * len(stacks)), squeeze=False)
    vmax = max([1.0] + [float(stack.max(initial=0)) for stack in stacks.values()])
    for ax, (label, stack) in zip(axes[:, 0], stacks.items()):
        ax.imshow(image_grid(stack, ncols=n), cmap="gray_r", vmin=0.0, vmax=vmax, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_ylabel(label, rotation=0, ha="right", va="center")
    fig.tight_layout()
    return fig


def show_histograms(values, band, bins: int = 40, title: str | None = None):
    """Histograms of pixel values in [0, 1], one per entry of ``values``, on a log scale; returns the Figure.

    ``values``: a mapping from a label to an array of any shape. ``band``: (low, high), shaded
    as "the blurry band" (lesson 3's blur score counts the pixels inside it).
    """
    fig, ax = _figure(None, 7, 3)
    edges = np.linspace(0, 1, bins + 1)
    for label, array in values.items():
        ax.hist(np.ravel(array), bins=edges, alpha=0.6, label=label)
    ax.axvspan(*band, color="grey", alpha=0.15, label="the blurry band")
    ax.set_yscale("log")
    ax.set_xlabel("pixel value")
    ax.set_ylabel("pixels")
    if title:
        ax.set_title(title)
    ax.legend()
    return fig


def show_curves(x, panels, band=None, xlabel: str = "predicted p"):
    """One panel per entry of ``panels`` (title -> {label: y}), each curve y over ``x``; returns the Figure.

    ``band``: (low, high) of ``x`` to shade in every panel, or None.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 3.2), squeeze=False)
    for ax, (title, curves) in zip(axes[0], panels.items()):
        for label, y in curves.items():
            ax.plot(x, y, label=label)
        if band is not None:
            ax.axvspan(*band, color="grey", alpha=0.15)
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def show_trade_off(curves, target, styles=None, title: str = "what sharpening costs (down and left is better)"):
    """Blur change against cross-entropy change, in %, one line per entry of ``curves``; returns the Figure.

    ``curves``: a mapping from a label to its points ``(cross-entropy change, blur change, weight)``,
    each point annotated with its weight λ. ``target``: (at most this cross-entropy change, at
    least this blur cut), e.g. (10, -30), shaded as the target box. ``styles``: label -> a
    matplotlib format such as ``"s--"`` (default ``"o-"``). The reference, plain
    cross-entropy, is the star at (0, 0).
    """
    fig, ax = _figure(None, 7, 4.2)
    styles = styles or {}
    for label, points in curves.items():
        points = sorted(points)
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        line, = ax.plot(xs, ys, styles.get(label, "o-"), label=label)
        for x, y, weight in points:
            ax.annotate(f"λ={weight:g}", (x, y), textcoords="offset points", xytext=(5, 5), fontsize=8,
                        color=line.get_color())
    most_ce, least_cut = target
    ax.fill_between([0, most_ce], least_cut, -100, color="tab:green", alpha=0.12, label="the target")
    ax.plot([0], [0], "k*", markersize=12, label="plain cross-entropy")
    lowest = min([least_cut - 10] + [p[1] - 5 for points in curves.values() for p in points])
    ax.set_ylim(max(lowest, -100), 5)
    ax.set_xlabel("held-out cross-entropy change (%)")
    ax.set_ylabel("blur change (%)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return fig


def show_scatter_fit(x, y, xlabel: str, ylabel: str, every: int = 7):
    """A scatter of ``y`` against ``x`` (every ``every``-th point) and its least-squares line; returns the Figure.

    The title gives the line, ``y ≈ a x + b``, and its R².
    """
    x, y = np.ravel(x).astype("float64"), np.ravel(y).astype("float64")
    slope, intercept = np.polyfit(x, y, 1)
    r2 = 1 - np.var(y - (slope * x + intercept)) / np.var(y)
    fig, ax = _figure(None, 4.5, 4.5)
    ax.scatter(x[::every], y[::every], s=1, alpha=0.3)
    ends = np.array([x.min(), x.max()])
    ax.plot(ends, slope * ends + intercept, "r", lw=1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(f"y ≈ {slope:.2f} x {intercept:+.2f}   (R² = {r2:.2f})")
    return fig


def show_latent_usage(z_mean, z_log_var, used, title: str | None = None):
    """Three bar charts of a VAE's latent dimensions over a batch of images; returns the Figure.

    ``z_mean``, ``z_log_var``: the encoder's outputs, (m, d). ``used``: d booleans, the
    dimensions said to be in use (drawn dark, the others light). Per dimension, sorted by the
    first panel: how far its mean moves from image to image (standard deviation over the
    images), its mean sigma (the prior's, 1, dashed) and its mean KL to N(0, 1) in nats, the
    dimension's share of the KL term. Log scales: a collapsed dimension sits orders of
    magnitude below a used one.
    """
    import matplotlib.pyplot as plt

    z_mean, z_log_var = np.asarray(z_mean, "float64"), np.asarray(z_log_var, "float64")
    used = np.asarray(used, dtype=bool).reshape(-1)
    panels = {"spread of the mean over the images (std)": z_mean.std(axis=0),
              "mean sigma": np.exp(0.5 * z_log_var).mean(axis=0),
              "mean KL (nats)": 0.5 * np.mean(np.exp(z_log_var) + z_mean ** 2 - 1.0 - z_log_var, axis=0)}
    order = np.argsort(-panels["spread of the mean over the images (std)"], kind="stable")
    colours = np.where(used[order], "tab:blue", "lightsteelblue")
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.2))
    for ax, (name, values) in zip(axes, panels.items()):
        ax.bar(np.arange(len(order)), np.maximum(values[order], 1e-6), color=colours)
        ax.set_yscale("log")
        ax.set_title(name)
        ax.set_xlabel("dimension, by spread")
        ax.set_xticks([])
    axes[1].axhline(1.0, color="grey", linestyle="--", linewidth=1)
    fig.suptitle(title or f"{int(used.sum())} of {len(used)} dimensions in use (dark)")
    fig.tight_layout()
    return fig

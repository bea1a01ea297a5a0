"""Image grids and figures (Agg backend, nothing is shown)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

from aecourse.plotting import (image_grid, show_curves, show_grid, show_histograms, show_rows, show_scatter_fit,
                               show_side_by_side, show_strip, show_trade_off)


def test_image_grid_layout():
    images = np.stack([np.full((2, 2), v, np.float32) for v in (1, 2, 3)])
    np.testing.assert_array_equal(image_grid(images, ncols=2, pad=1), np.array([
        [1, 1, 0, 2, 2],
        [1, 1, 0, 2, 2],
        [0, 0, 0, 0, 0],
        [3, 3, 0, 0, 0],
        [3, 3, 0, 0, 0],
    ], dtype=np.float32))


def test_image_grid_accepts_a_channel_axis_and_no_padding():
    images = np.arange(8, dtype=np.float32).reshape(2, 2, 2, 1)
    np.testing.assert_array_equal(image_grid(images, ncols=2, pad=0),
                                  np.array([[0, 1, 4, 5], [2, 3, 6, 7]], dtype=np.float32))


def test_image_grid_refuses_other_shapes():
    with pytest.raises(ValueError):
        image_grid(np.zeros((2, 3, 4, 5)), ncols=2)


def test_figures_are_returned():
    import matplotlib.pyplot as plt

    images = np.random.default_rng(0).random((10, 32, 32, 1))
    fig = show_grid(images, ncols=5, title="cats")
    assert isinstance(fig, Figure) and fig.axes[0].get_title() == "cats"
    strip = show_strip(images[:4], images[4:8], titles=("in", "out"))
    assert isinstance(strip, Figure) and len(strip.axes) == 2
    assert [ax.get_ylabel() for ax in strip.axes] == ["in", "out"]
    fig2, ax = plt.subplots()
    assert show_grid(images, ncols=5, ax=ax) is fig2
    with pytest.raises(ValueError):
        show_strip(images[:4], images[:3])
    plt.close("all")


def test_side_by_side_draws_one_titled_panel_per_model_with_the_same_layout():
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    panels = {"with KL": rng.random((12, 28, 28)), "without KL": rng.random((12, 28, 28, 1))}
    fig = show_side_by_side(panels, ncols=4, title="z ~ N(0, I)")
    assert isinstance(fig, Figure) and fig._suptitle.get_text() == "z ~ N(0, I)"
    assert [ax.get_title() for ax in fig.axes] == ["with KL", "without KL"]
    for ax, images in zip(fig.axes, panels.values()):
        np.testing.assert_array_equal(ax.images[0].get_array(), image_grid(images, ncols=4))
    with pytest.raises(ValueError):
        show_side_by_side({}, ncols=4)
    plt.close("all")


def test_rows_draw_one_labelled_row_per_entry_and_refuse_rows_of_other_shapes():
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    rows = {"input": rng.random((5, 8, 8)), "plain": rng.random((5, 8, 8, 1)), "sharpened": rng.random((5, 8, 8))}
    fig = show_rows(rows)
    assert [ax.get_ylabel() for ax in fig.axes] == ["input", "plain", "sharpened"]
    for ax, images in zip(fig.axes, rows.values()):
        np.testing.assert_array_equal(ax.images[0].get_array(), image_grid(images, ncols=5))
    with pytest.raises(ValueError):
        show_rows({"input": rows["input"], "fewer": rows["plain"][:4]})
    with pytest.raises(ValueError):
        show_rows({})
    plt.close("all")


def test_histograms_count_every_pixel_and_shade_the_band():
    import matplotlib.pyplot as plt

    values = {"inputs": np.array([0.0, 0.0, 1.0, 0.5]), "outputs": np.full((2, 3), 0.3)}
    fig = show_histograms(values, band=(0.1, 0.9), bins=10)
    ax = fig.axes[0]
    counts = [sum(bar.get_height() for bar in container) for container in ax.containers]
    assert counts == [4, 6]
    band = [p for p in ax.patches if p.get_label() == "the blurry band"]
    assert len(band) == 1 and np.allclose(band[0].get_x(), 0.1) and np.allclose(band[0].get_width(), 0.8)
    assert ax.get_yscale() == "log"
    plt.close("all")


def test_curves_draw_one_panel_per_title_and_one_line_per_label():
    import matplotlib.pyplot as plt

    x = np.linspace(0, 1, 11)
    fig = show_curves(x, {"penalty": {"a": x, "b": 1 - x}, "push": {"c": x ** 2}}, band=(0.1, 0.9))
    assert [ax.get_title() for ax in fig.axes] == ["penalty", "push"]
    assert [[line.get_label() for line in ax.lines] for ax in fig.axes] == [["a", "b"], ["c"]]
    np.testing.assert_array_equal(fig.axes[0].lines[1].get_ydata(), 1 - x)
    plt.close("all")


def test_trade_off_plots_each_curve_in_order_of_cost_with_its_weights_and_the_target():
    import matplotlib.pyplot as plt

    curves = {"ours": [(8.0, -30.0, 0.4), (2.0, -10.0, 0.2)], "naive": [(5.0, -12.0, 2.0)]}
    fig = show_trade_off(curves, target=(10, -30), styles={"naive": "s--"})
    ax = fig.axes[0]
    ours, naive = ax.lines[0], ax.lines[1]
    assert ours.get_label() == "ours" and list(ours.get_xdata()) == [2.0, 8.0]  # sorted by cost
    assert naive.get_linestyle() == "--" and naive.get_marker() == "s"
    assert sorted(t.get_text() for t in ax.texts) == ["λ=0.2", "λ=0.4", "λ=2"]
    box = next(c for c in ax.collections if c.get_label() == "the target")
    corners = box.get_paths()[0].vertices
    assert corners[:, 0].min() == 0 and corners[:, 0].max() == 10 and corners[:, 1].max() == -30
    assert ax.get_ylim()[0] <= -40
    plt.close("all")


def test_scatter_fit_titles_the_least_squares_line():
    import matplotlib.pyplot as plt

    x = np.linspace(-5, 5, 200)
    fig = show_scatter_fit(x, 0.5 * x - 1, "plain", "sharpened", every=1)
    ax = fig.axes[0]
    assert ax.get_title().startswith("y ≈ 0.50 x -1.00") and "R² = 1.00" in ax.get_title()
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("plain", "sharpened")
    assert len(ax.collections[0].get_offsets()) == 200
    plt.close("all")

"""Image grids and figures (Agg backend, nothing is shown)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

from aecourse.plotting import image_grid, show_grid, show_side_by_side, show_strip


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

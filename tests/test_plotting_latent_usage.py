"""Lesson 4's per-dimension picture of a VAE's latent space (Agg backend, nothing is shown)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
from matplotlib.figure import Figure

from aecourse.plotting import show_latent_usage


def test_latent_usage_sorts_by_spread_and_marks_the_dimensions_in_use():
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    # Dimension 1 moves most with the image, 0 a little, 2 not at all (collapsed at 1.5, sigma 1).
    z_mean = np.stack([0.5 * rng.normal(size=50), 2.0 * rng.normal(size=50), np.full(50, 1.5)], axis=1)
    z_log_var = np.stack([np.full(50, -2.0), np.full(50, -4.0), np.zeros(50)], axis=1)
    fig = show_latent_usage(z_mean, z_log_var, [True, True, False])
    assert isinstance(fig, Figure)
    spread, sigma, kl = ([bar.get_height() for bar in ax.patches] for ax in fig.axes)
    np.testing.assert_allclose(spread, z_mean.std(axis=0)[[1, 0, 2]].clip(1e-6))
    np.testing.assert_allclose(sigma, np.exp([-2.0, -1.0, 0.0]))
    np.testing.assert_allclose(kl[2], 0.5 * 1.5 ** 2)  # a constant mean still costs nats
    dark, light = (matplotlib.colors.to_rgba(c) for c in ("tab:blue", "lightsteelblue"))
    assert [bar.get_facecolor() for bar in fig.axes[0].patches] == [dark, dark, light]
    assert fig._suptitle.get_text().startswith("2 of 3")
    plt.close(fig)

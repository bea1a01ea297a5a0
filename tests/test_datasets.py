"""load_mnist and load_cats: facts of the real files, shapes, the split, the fallback order,
downloads from a mirror (a real HTTP server on 127.0.0.1), lenient and strict reading."""

import io
import os

import numpy as np
import pytest

from aecourse.datasets import load_cats, load_mnist, load_mnist_pixels, to_unit_float
from aecourse.quickdraw import (Drawing, QuickDrawPlausibilityError, QuickDrawPlausibilityWarning, rasterize,
                                read_drawings, write_drawings)
from local_mirror import random_records, record


def test_load_mnist_facts(real_data, monkeypatch):
    # Facts from the data folder's README (they hold for Keras' file too).
    real_data("mnist")
    (x_train, y_train), (x_test, y_test) = load_mnist()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_train.dtype == np.float32 and x_test.dtype == np.float32
    assert y_train.dtype == np.uint8
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert x_train.min() == 0.0 and x_train.max() == 1.0 and x_test.max() == 1.0
    # Mean of the uint8 pixels is 33.3184; the float images are those divided by 255.
    assert abs(x_train.mean(dtype=np.float64) * 255 - 33.3184) < 1e-3
    assert sorted(np.unique(y_test).tolist()) == list(range(10))


def test_mnist_as_stored_gives_the_same_digits_as_bytes(real_data):
    """The grader sends the uint8 pixels; k / 255 as float32 must be load_mnist()'s floats exactly."""
    real_data("mnist")
    (pixels, labels), (test_pixels, test_labels) = load_mnist_pixels()
    (x_train, y_train), (x_test, y_test) = load_mnist()
    assert pixels.dtype == np.uint8 and pixels.shape == (60000, 28, 28) and test_pixels.shape == (10000, 28, 28)
    assert pixels.mean(dtype=np.float64) == pytest.approx(33.3184, abs=1e-3)  # the data folder's README
    np.testing.assert_array_equal(to_unit_float(pixels), x_train)
    np.testing.assert_array_equal(to_unit_float(test_pixels), x_test)
    np.testing.assert_array_equal(pixels.astype("float32") / 255.0, x_train)  # what the training probes compute
    np.testing.assert_array_equal(labels, y_train)
    np.testing.assert_array_equal(test_labels, y_test)


@pytest.fixture
def sample_only(real_data, tmp_path, monkeypatch):
    """A data folder holding only the lab's 2,000-cat bitmap sample."""
    sample = real_data("quickdraw/cat_numpy_bitmap_sample.npy")
    folder = tmp_path / "lab"
    (folder / "quickdraw").mkdir(parents=True)
    os.symlink(sample, folder / "quickdraw" / "cat_numpy_bitmap_sample.npy")
    monkeypatch.setenv("AECOURSE_DATA_DIR", str(folder))
    return folder


def test_load_cats_on_the_real_sample(sample_only):
    cats = load_cats()
    assert cats.source == "numpy_bitmap"
    assert cats.x_train.shape == (1700, 32, 32, 1) and cats.x_test.shape == (300, 32, 32, 1)
    assert cats.x_train.dtype == np.float32 and cats.x_test.dtype == np.float32
    assert cats.x_train.min() == 0.0 and cats.x_train.max() == 1.0
    assert "sample" in cats.description and "cat.bin" in cats.description
    # The padding is empty: no ink in the 2-pixel frame.
    assert not cats.x_train[:, :2].any() and not cats.x_train[:, 30:].any()
    assert not cats.x_train[:, :, :2].any() and not cats.x_train[:, :, 30:].any()
    # Background is the majority, ink the minority (ink = 1 on 0).
    assert cats.x_train.mean() < 0.25


def test_load_cats_split_is_deterministic_and_complete(sample_only):
    first, again = load_cats(seed=0), load_cats(seed=0)
    np.testing.assert_array_equal(first.x_train, again.x_train)
    np.testing.assert_array_equal(first.x_test, again.x_test)
    other = load_cats(seed=1)
    assert not np.array_equal(first.x_test, other.x_test)
    # Every drawing lands in exactly one part.
    raw = np.load(sample_only / "quickdraw" / "cat_numpy_bitmap_sample.npy")
    both = np.concatenate([first.x_train, first.x_test])[:, 2:30, 2:30, 0].reshape(2000, 784)
    rows = lambda a: sorted(map(bytes, a))
    assert rows(np.round(both * 255).astype(np.uint8)) == rows(raw)


def test_load_cats_limit_and_sizes(sample_only):
    small = load_cats(limit=100)
    assert small.x_train.shape == (85, 32, 32, 1) and small.x_test.shape == (15, 32, 32, 1)
    assert load_cats(size=28, limit=20).x_train.shape == (17, 28, 28, 1)
    with pytest.raises(ValueError, match="28 or 32"):
        load_cats(size=64)


def synthetic_cats(n):
    rng = np.random.default_rng(0)
    return [Drawing(k, "US", True, 1_490_000_000,
                    [(rng.integers(0, 256, 5).astype(np.uint8), rng.integers(0, 256, 5).astype(np.uint8))])
            for k in range(n)]


def test_load_cats_prefers_the_binary_file(tmp_path, monkeypatch):
    folder = tmp_path / "lab"
    (folder / "quickdraw").mkdir(parents=True)
    drawings = synthetic_cats(40)
    write_drawings(folder / "quickdraw" / "cat.bin", drawings)
    np.save(folder / "quickdraw" / "cat_numpy_bitmap_sample.npy", np.zeros((10, 784), np.uint8))
    monkeypatch.setenv("AECOURSE_DATA_DIR", str(folder))
    cats = load_cats(test_fraction=0.25, size=16)
    assert cats.source == "binary"
    assert cats.x_train.shape == (30, 16, 16, 1) and cats.x_test.shape == (10, 16, 16, 1)
    assert "cat.bin" in cats.description and "because" not in cats.description
    expected = np.stack([rasterize(d.strokes, size=16) for d in drawings])
    got = np.concatenate([cats.x_train, cats.x_test])[..., 0]
    assert sorted(map(bytes, got)) == sorted(map(bytes, expected))


def test_load_cats_without_any_file_says_what_is_missing(tmp_path, monkeypatch, http_mirror):
    monkeypatch.setenv("AECOURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("AECOURSE_MIRROR", http_mirror.url)  # set, but a data folder means no network
    with pytest.raises(FileNotFoundError) as caught:
        load_cats()
    for name in ("quickdraw/cat.bin", "quickdraw/cat.npy", "quickdraw/cat_numpy_bitmap_sample.npy"):
        assert name in str(caught.value)
    assert http_mirror.requests == []


def test_load_cats_skips_implausible_drawings_with_a_warning_unless_strict(tmp_path, monkeypatch):
    folder = tmp_path / "lab"
    (folder / "quickdraw").mkdir(parents=True)
    good = random_records(20)
    odd = record(99, b"US", 1, 5, [([10] * 6000, [20] * 6000)])  # 6,000 points: over MAX_POINTS
    (folder / "quickdraw" / "cat.bin").write_bytes(b"".join(good[:10]) + odd + b"".join(good[10:]))
    monkeypatch.setenv("AECOURSE_DATA_DIR", str(folder))
    with pytest.warns(QuickDrawPlausibilityWarning, match="skipped 1 of 21 drawings.*#10 at byte"):
        cats = load_cats(test_fraction=0.25)
    assert len(cats.x_train) + len(cats.x_test) == 20
    with pytest.raises(QuickDrawPlausibilityError, match="drawing #10 .*6000 points"):
        load_cats(strict=True)


# --------------------------------------------------------------------------- downloads from a mirror

@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("AECOURSE_CACHE_DIR", str(folder))
    monkeypatch.delenv("AECOURSE_DATA_DIR", raising=False)
    monkeypatch.delenv("AECOURSE_MIRROR", raising=False)
    return folder


def test_load_cats_downloads_from_a_mirror_given_as_argument(empty_cache, http_mirror):
    records = random_records(200, seed=3)
    http_mirror.serve("quickdraw_dataset/full/binary/hot dog.bin", b"".join(records))
    cats = load_cats(category="hot dog", size=16, test_fraction=0.1, mirror=http_mirror.url)
    assert http_mirror.requests == ["/quickdraw_dataset/full/binary/hot%20dog.bin"]
    assert cats.source == "binary" and str(empty_cache / "quickdraw" / "hot dog.bin") in cats.description
    drawings = list(read_drawings(io.BytesIO(b"".join(records))))
    expected = np.stack([rasterize(d.strokes, size=16) for d in drawings])
    got = np.concatenate([cats.x_train, cats.x_test])[..., 0]
    assert sorted(map(bytes, got)) == sorted(map(bytes, expected))


def test_the_graders_call_uses_the_mirror_from_the_environment(empty_cache, http_mirror, monkeypatch,
                                                               full_cat_records):
    # autograder/hidden_tests/test_03_blur.py loads load_cats(limit=2000); workers inherit the environment.
    http_mirror.serve("quickdraw_dataset/full/binary/cat.bin", b"".join(full_cat_records))
    monkeypatch.setenv("AECOURSE_MIRROR", http_mirror.url)
    cats = load_cats(limit=2000)
    assert cats.source == "binary"
    assert cats.x_train.shape == (1700, 32, 32, 1) and cats.x_test.shape == (300, 32, 32, 1)
    assert http_mirror.requests == ["/quickdraw_dataset/full/binary/cat.bin"]


def test_load_cats_replaces_a_damaged_cached_cat_file(empty_cache, http_mirror, full_cat_records):
    whole = b"".join(full_cat_records)
    http_mirror.serve("quickdraw_dataset/full/binary/cat.bin", whole)
    # An older course version kept a copy cut inside drawing #1,200 under the final name.
    cached = empty_cache / "quickdraw" / "cat.bin"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(whole[: len(b"".join(full_cat_records[:1200])) + 9])
    with pytest.warns(UserWarning, match="damaged"):
        cats = load_cats(limit=1000, mirror=http_mirror.url)
    assert len(cats.x_train) + len(cats.x_test) == 1000
    assert cached.read_bytes() == whole
    assert len(http_mirror.requests) == 1


def test_load_cats_falls_back_to_the_bitmaps_when_the_binary_download_is_broken(empty_cache, http_mirror):
    whole = b"".join(random_records(100))
    http_mirror.serve("quickdraw_dataset/full/binary/hot dog.bin", whole[:-7])
    bitmaps = io.BytesIO()
    np.save(bitmaps, np.full((40, 784), 255, np.uint8))
    http_mirror.serve("quickdraw_dataset/full/numpy_bitmap/hot dog.npy", bitmaps.getvalue())
    cats = load_cats(category="hot dog", mirror=http_mirror.url)
    assert cats.source == "numpy_bitmap"
    assert "hot dog.bin could not be downloaded" in cats.description and "truncated" in cats.description
    assert sorted(p.name for p in (empty_cache / "quickdraw").iterdir()) == ["hot dog.npy"]


def test_a_malformed_mirror_setting_is_an_error_not_a_fallback(empty_cache, monkeypatch):
    monkeypatch.setenv("AECOURSE_MIRROR", "mirror.example.org/data")
    with pytest.raises(ValueError, match="AECOURSE_MIRROR"):
        load_cats()
    with pytest.raises(ValueError, match="AECOURSE_MIRROR"):
        load_mnist()

"""Downloads are atomic and verified; a local data folder is used alone. No network here:
downloads go through fake pooch downloaders that copy local bytes."""

import io
import shutil
from pathlib import Path

import numpy as np
import pytest

from aecourse import download
from aecourse.download import (MNIST_SHA256, QUICKDRAW_CATEGORIES, DataCheckError, fetch,
                               fetch_quickdraw, resource)
from aecourse.quickdraw import Drawing, write_drawings


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty download cache, and no local data folder (so fetch would download)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("AECOURSE_CACHE_DIR", str(folder))
    monkeypatch.delenv("AECOURSE_DATA_DIR", raising=False)
    return folder


@pytest.fixture
def data_folder(tmp_path, monkeypatch):
    """An empty local data folder; any download attempt fails the test."""
    import pooch

    folder = tmp_path / "data"
    (folder / "quickdraw").mkdir(parents=True)
    monkeypatch.setenv("AECOURSE_DATA_DIR", str(folder))
    monkeypatch.setenv("AECOURSE_CACHE_DIR", str(tmp_path / "cache"))

    def no_network(*args, **kwargs):
        raise AssertionError("tried to download although AECOURSE_DATA_DIR is set")

    monkeypatch.setattr(pooch, "retrieve", no_network)
    return folder


def cat_bin_bytes(n=5) -> bytes:
    buf = io.BytesIO()
    write_drawings(buf, [Drawing(k, "US", True, 1_490_000_000, [(np.array([0, 80], np.uint8),
                                                                np.array([16, 16], np.uint8))])
                         for k in range(n)])
    return buf.getvalue()


class Server:
    """A fake pooch downloader serving fixed bytes; counts calls; may die halfway."""

    def __init__(self, payload: bytes, die_halfway: bool = False):
        self.payload, self.die_halfway, self.calls = payload, die_halfway, []

    def __call__(self, url, output_file, pooch):
        self.calls.append(url)
        with open(output_file, "wb") as f:
            if self.die_halfway:
                f.write(self.payload[: len(self.payload) // 2])
                raise ConnectionResetError("connection lost halfway")
            f.write(self.payload)


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- names and URLs

def test_the_345_categories():
    assert len(QUICKDRAW_CATEGORIES) == 345
    assert len(set(QUICKDRAW_CATEGORIES)) == 345
    for name in ("cat", "hot dog", "The Eiffel Tower", "t-shirt", "zigzag", "aircraft carrier"):
        assert name in QUICKDRAW_CATEGORIES


def test_urls_encode_spaces_and_keep_the_official_spelling():
    assert resource("quickdraw/cat.bin").url == \
        "https://storage.googleapis.com/quickdraw_dataset/full/binary/cat.bin"
    assert resource("quickdraw/hot dog.bin").url == \
        "https://storage.googleapis.com/quickdraw_dataset/full/binary/hot%20dog.bin"
    assert resource("quickdraw/the eiffel tower.npy").url == \
        "https://storage.googleapis.com/quickdraw_dataset/full/numpy_bitmap/The%20Eiffel%20Tower.npy"
    assert resource("mnist").url == "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
    assert resource("mnist").known_hash == MNIST_SHA256 == \
        "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
    assert resource("quickdraw/cat_numpy_bitmap_sample.npy").url is None


def test_unknown_category_suggests_close_names():
    with pytest.raises(ValueError, match="'cat'"):
        resource("quickdraw/cta.bin")
    with pytest.raises(ValueError, match="unknown data name"):
        resource("cifar10")


# --------------------------------------------------------------------------- downloading

def test_interrupted_download_leaves_nothing_and_the_next_call_retries(cache):
    payload = cat_bin_bytes()
    broken = Server(payload, die_halfway=True)
    with pytest.raises(ConnectionResetError):
        fetch("quickdraw/cat.bin", downloader=broken)
    assert broken.calls == ["https://storage.googleapis.com/quickdraw_dataset/full/binary/cat.bin"]
    # Not the final name, and no half-written temporary file either.
    assert files_in(cache) == []

    good = Server(payload)
    path = fetch("quickdraw/cat.bin", downloader=good)
    assert len(good.calls) == 1
    assert path == cache / "quickdraw" / "cat.bin"
    assert path.read_bytes() == payload
    assert files_in(cache) == ["quickdraw/cat.bin"]

    # Cached: no further download.
    again = Server(payload)
    assert fetch("quickdraw/cat.bin", downloader=again) == path
    assert again.calls == []


def test_download_with_a_wrong_hash_is_refused_and_not_kept(cache):
    # The lab's mnist.npz is a re-saved copy: its bytes differ from Keras' published file.
    server = Server(b"PK\x03\x04 not the file Keras published")
    with pytest.raises(ValueError, match="(?i)hash"):
        fetch("mnist", downloader=server)
    assert files_in(cache) == []


def test_download_that_is_no_quickdraw_file_is_deleted_so_the_next_call_retries(cache):
    page = Server(b"<html><body>Service Unavailable</body></html>")
    with pytest.raises(DataCheckError, match="deleted"):
        fetch("quickdraw/cat.bin", downloader=page)
    assert files_in(cache) == []
    good = Server(cat_bin_bytes())
    fetch_quickdraw("cat", downloader=good)
    assert len(good.calls) == 1


def test_numpy_bitmap_download_is_checked_for_shape(cache):
    wrong = io.BytesIO()
    np.save(wrong, np.zeros((4, 28, 28), np.uint8))
    with pytest.raises(DataCheckError, match=r"\(n, 784\)"):
        fetch("quickdraw/cat.npy", downloader=Server(wrong.getvalue()))
    assert files_in(cache) == []
    right = io.BytesIO()
    np.save(right, np.zeros((4, 784), np.uint8))
    path = fetch_quickdraw("cat", kind="numpy_bitmap", downloader=Server(right.getvalue()))
    assert np.load(path).shape == (4, 784)


def test_any_url_with_its_hash(cache):
    payload = b"some bytes"
    url = "https://example.org/files/some%20file.txt"
    path = fetch(url, known_hash=download.hashlib.sha256(payload).hexdigest(), downloader=Server(payload))
    assert path.name == "some file.txt" and path.read_bytes() == payload


def test_lab_only_file_without_a_data_folder_explains(cache):
    with pytest.raises(FileNotFoundError, match="AECOURSE_DATA_DIR"):
        fetch("quickdraw/cat_numpy_bitmap_sample.npy")


# --------------------------------------------------------------------------- local folder

def test_local_folder_never_downloads_and_says_where_it_looked(data_folder):
    with pytest.raises(FileNotFoundError) as caught:
        fetch("quickdraw/hot dog.npy", downloader=Server(b"never used"))
    message = str(caught.value)
    assert str(data_folder / "quickdraw" / "hot dog.npy") in message
    assert str(data_folder / "quickdraw" / "full_numpy_bitmap_hot dog.npy") in message
    assert "https://storage.googleapis.com/quickdraw_dataset/full/numpy_bitmap/hot%20dog.npy" in message
    with pytest.raises(FileNotFoundError, match="mnist.npz"):
        fetch("mnist")


def test_local_folder_accepts_the_documented_names(data_folder):
    np.save(data_folder / "quickdraw" / "full_numpy_bitmap_cat.npy", np.zeros((3, 784), np.uint8))
    assert fetch("quickdraw/cat.npy") == data_folder / "quickdraw" / "full_numpy_bitmap_cat.npy"
    np.save(data_folder / "quickdraw" / "cat.npy", np.zeros((3, 784), np.uint8))
    assert fetch("quickdraw/cat.npy") == data_folder / "quickdraw" / "cat.npy"  # the first name wins
    (data_folder / "quickdraw" / "cat.bin").write_bytes(cat_bin_bytes())
    assert fetch_quickdraw("cat") == data_folder / "quickdraw" / "cat.bin"
    np.save(data_folder / "quickdraw" / "cat_numpy_bitmap_sample.npy", np.zeros((3, 784), np.uint8))
    assert fetch_quickdraw("cat", kind="sample") == data_folder / "quickdraw" / "cat_numpy_bitmap_sample.npy"


def test_local_files_are_checked_by_content_and_never_deleted(data_folder):
    bad = data_folder / "mnist.npz"
    np.savez(bad, x_train=np.zeros((10, 28, 28), np.uint8), y_train=np.zeros(10, np.uint8),
             x_test=np.zeros((10, 28, 28), np.uint8), y_test=np.zeros(10, np.uint8))
    with pytest.raises(DataCheckError, match="x_train has shape"):
        fetch("mnist")
    assert bad.exists()
    (data_folder / "quickdraw" / "cat.bin").write_bytes(b"\x00" * 100)
    with pytest.raises(DataCheckError, match="countrycode"):
        fetch("quickdraw/cat.bin")


def test_local_mnist_copy_passes_the_content_check_despite_its_other_hash(real_data, tmp_path, monkeypatch):
    path = real_data("mnist")
    folder = tmp_path / "lab"
    folder.mkdir()
    shutil.copy(path, folder / "mnist.npz")
    monkeypatch.setenv("AECOURSE_DATA_DIR", str(folder))
    assert fetch("mnist") == folder / "mnist.npz"

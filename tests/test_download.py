"""Downloads are verified whole before they are cached; a mirror replaces Google's base URL;
a local data folder is used alone.

Downloads go to a real HTTP server on 127.0.0.1 (the ``http_mirror`` fixture,
tests/local_mirror.py) laid out like the official URLs. After every download,
failed or not, the cache must hold a fully valid file or nothing.
"""

import io
import os
import time
import urllib.parse
from pathlib import Path

import numpy as np
import pytest

from aecourse import download
from aecourse.download import (MNIST_SHA256, QUICKDRAW_CATEGORIES, DataCheckError, DownloadError,
                               base_url, fetch, fetch_quickdraw, resource)
from local_mirror import REAL_CAT_COUNT, random_records, record

HOT_DOG = "quickdraw_dataset/full/binary/hot dog.bin"    # as served (unquoted)
HOT_DOG_REQUEST = "/quickdraw_dataset/full/binary/hot%20dog.bin"  # as requested
CAT_BIN = "quickdraw_dataset/full/binary/cat.bin"
CAT_NPY = "quickdraw_dataset/full/numpy_bitmap/cat.npy"
MNIST = "tensorflow/tf-keras-datasets/mnist.npz"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty download cache, no local data folder and no mirror setting."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("AECOURSE_CACHE_DIR", str(folder))
    monkeypatch.delenv("AECOURSE_DATA_DIR", raising=False)
    monkeypatch.delenv("AECOURSE_MIRROR", raising=False)
    return folder


@pytest.fixture
def data_folder(tmp_path, monkeypatch, http_mirror):
    """An empty local data folder, with a live mirror set that must never be asked."""
    folder = tmp_path / "data"
    (folder / "quickdraw").mkdir(parents=True)
    monkeypatch.setenv("AECOURSE_DATA_DIR", str(folder))
    monkeypatch.setenv("AECOURSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("AECOURSE_MIRROR", http_mirror.url)
    yield folder
    assert http_mirror.requests == [], "downloaded although AECOURSE_DATA_DIR is set"


def hot_dogs(n=300, seed=0) -> bytes:
    return b"".join(random_records(n, seed))


def files_in(folder: Path) -> list[str]:
    """Every file in the cache, hidden .part files included."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def assert_cache_holds_only_valid_files(folder: Path) -> None:
    """The promise after any download: nothing in the cache that is not a whole, valid file."""
    for rel in files_in(folder):
        path = folder / rel
        assert not path.name.endswith(".part"), f"a partial download was left behind: {rel}"
        download._check_for_suffix(path.name)(path)  # raises DataCheckError for a bad file


# --------------------------------------------------------------------------- names and URLs

def test_the_345_categories():
    assert len(QUICKDRAW_CATEGORIES) == 345
    assert len(set(QUICKDRAW_CATEGORIES)) == 345
    for name in ("cat", "hot dog", "The Eiffel Tower", "t-shirt", "zigzag", "aircraft carrier"):
        assert name in QUICKDRAW_CATEGORIES


def test_urls_encode_spaces_and_keep_the_official_spelling(monkeypatch):
    monkeypatch.delenv("AECOURSE_MIRROR", raising=False)
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


def test_a_mirror_replaces_the_base_url_for_mnist_and_every_category_in_both_formats(monkeypatch):
    monkeypatch.setenv("AECOURSE_MIRROR", "https://course.example.org/data/")  # trailing slash
    base = "https://course.example.org/data"
    assert resource("mnist").url == f"{base}/tensorflow/tf-keras-datasets/mnist.npz"
    assert resource("mnist").official_url == "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
    assert resource("quickdraw/hot dog.bin").url == f"{base}/quickdraw_dataset/full/binary/hot%20dog.bin"
    assert resource("quickdraw/The Eiffel Tower.npy").url == \
        f"{base}/quickdraw_dataset/full/numpy_bitmap/The%20Eiffel%20Tower.npy"
    for category in QUICKDRAW_CATEGORIES:
        quoted = urllib.parse.quote(category)
        assert resource(f"quickdraw/{category}.bin").url == f"{base}/quickdraw_dataset/full/binary/{quoted}.bin"
        assert resource(f"quickdraw/{category}.npy").url == \
            f"{base}/quickdraw_dataset/full/numpy_bitmap/{quoted}.npy"
    # The argument wins over the environment; Google's base can be asked for explicitly.
    assert resource("mnist", mirror="http://10.0.0.5:8000").url == \
        "http://10.0.0.5:8000/tensorflow/tf-keras-datasets/mnist.npz"
    assert base_url("https://storage.googleapis.com") == "https://storage.googleapis.com"
    # Any other URL is fetched as given.
    assert resource("https://example.org/x.npy").url == "https://example.org/x.npy"


@pytest.mark.parametrize("bad", ["/srv/mirror", "ftp://host/data", "file:///srv/mirror", "course.example.org"])
def test_a_mirror_must_be_an_http_base_url(monkeypatch, bad):
    monkeypatch.setenv("AECOURSE_MIRROR", bad)
    with pytest.raises(ValueError, match="AECOURSE_MIRROR") as caught:
        resource("quickdraw/cat.bin")
    assert "AECOURSE_DATA_DIR" in str(caught.value)  # the setting for a local folder


def test_unknown_category_suggests_close_names():
    with pytest.raises(ValueError, match="'cat'"):
        resource("quickdraw/cta.bin")
    with pytest.raises(ValueError, match="unknown data name"):
        resource("cifar10")


# --------------------------------------------------------------------------- downloads from a real server

def test_good_download_with_progress_bar_then_a_second_call_makes_no_request(cache, http_mirror, capfd):
    payload = hot_dogs()
    http_mirror.serve(HOT_DOG, payload)
    path = fetch("quickdraw/hot dog.bin", mirror=http_mirror.url)
    assert http_mirror.requests == [HOT_DOG_REQUEST]
    assert path == cache / "quickdraw" / "hot dog.bin"
    assert path.read_bytes() == payload
    bar = capfd.readouterr().err
    assert "Downloading hot dog.bin" in bar and "100%" in bar
    assert f"{len(payload) / 1000:.1f}k" in bar  # the size the server announced, in kB
    assert files_in(cache) == ["quickdraw/hot dog.bin"]

    # Cached: verified again, but not downloaded again.
    assert fetch("quickdraw/hot dog.bin", mirror=http_mirror.url, progressbar=False) == path
    assert fetch_quickdraw("Hot Dog", mirror=http_mirror.url) == path
    assert http_mirror.requests == [HOT_DOG_REQUEST]
    assert capfd.readouterr().err == ""


def test_the_mirror_setting_comes_from_the_environment(cache, http_mirror, monkeypatch):
    http_mirror.serve(HOT_DOG, hot_dogs())
    monkeypatch.setenv("AECOURSE_MIRROR", http_mirror.url + "/")
    fetch("quickdraw/hot dog.bin", progressbar=False)
    assert http_mirror.requests == [HOT_DOG_REQUEST]


def test_transfer_killed_half_way_leaves_nothing_and_the_next_call_retries(cache, http_mirror):
    payload = hot_dogs()
    http_mirror.serve(HOT_DOG, payload, die_after=len(payload) // 2)
    with pytest.raises(DownloadError) as caught:
        fetch("quickdraw/hot dog.bin", mirror=http_mirror.url, progressbar=False)
    assert f"broke off before the {len(payload):,} bytes announced had arrived" in str(caught.value)
    assert f"{len(payload) // 2} bytes read" in str(caught.value)  # urllib3's own count
    assert "nothing was cached" in str(caught.value)
    assert f"{http_mirror.url}{HOT_DOG_REQUEST}" in str(caught.value)
    assert files_in(cache) == []  # neither the final name nor a .part file

    http_mirror.serve(HOT_DOG, payload)
    path = fetch("quickdraw/hot dog.bin", mirror=http_mirror.url, progressbar=False)
    assert path.read_bytes() == payload
    assert len(http_mirror.requests) == 2


def test_truncated_file_is_refused_with_the_drawing_and_byte(cache, http_mirror):
    records = random_records(300)
    whole = b"".join(records)
    cut = len(b"".join(records[:200])) + 20  # 20 bytes into drawing #200: its first stroke's count
    http_mirror.serve(HOT_DOG, whole[:cut])  # served with a Content-Length that matches
    with pytest.raises(DataCheckError) as caught:
        fetch("quickdraw/hot dog.bin", mirror=http_mirror.url, progressbar=False)
    message = str(caught.value)
    assert f"drawing #200 (starting at byte {cut - 20})" in message and "truncated" in message
    assert "was deleted" in message
    assert files_in(cache) == []

    http_mirror.serve(HOT_DOG, whole)
    assert fetch("quickdraw/hot dog.bin", mirror=http_mirror.url, progressbar=False).read_bytes() == whole


def test_garbage_appended_is_refused(cache, http_mirror):
    garbage = np.random.default_rng(1).integers(0, 256, 100, dtype=np.uint8).tobytes()
    http_mirror.serve(HOT_DOG, hot_dogs() + garbage)
    with pytest.raises(DataCheckError, match=r"drawing #300 \(starting at byte"):
        fetch("quickdraw/hot dog.bin", mirror=http_mirror.url, progressbar=False)
    assert files_in(cache) == []


def test_no_content_length_cut_at_half_is_refused_and_whole_is_accepted(cache, http_mirror):
    payload = hot_dogs()
    # The server closes the connection after half the file and never said how long it was.
    http_mirror.serve(HOT_DOG, payload[: len(payload) // 2], content_length=False)
    with pytest.raises(DataCheckError, match="truncated"):
        fetch("quickdraw/hot dog.bin", mirror=http_mirror.url, progressbar=False)
    assert files_in(cache) == []
    http_mirror.serve(HOT_DOG, payload, content_length=False)
    assert fetch("quickdraw/hot dog.bin", mirror=http_mirror.url, progressbar=False).read_bytes() == payload
    assert_cache_holds_only_valid_files(cache)


def test_html_error_pages_are_refused(cache, http_mirror):
    page = b"<!DOCTYPE html><html><body>Please log in to use this network</body></html>"
    http_mirror.serve(HOT_DOG, page, content_type="text/html; charset=utf-8")
    with pytest.raises(DownloadError, match="HTML page") as caught:
        fetch("quickdraw/hot dog.bin", mirror=http_mirror.url, progressbar=False)
    assert "Please log in" in str(caught.value)
    assert files_in(cache) == []

    # Nothing served at that path: the server's 404 page.
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch("quickdraw/cat.bin", mirror=http_mirror.url, progressbar=False)
    assert files_in(cache) == []

    # An HTML page that claims to be a binary file: the format check refuses it.
    http_mirror.serve(HOT_DOG, page, content_type="application/octet-stream")
    with pytest.raises(DataCheckError, match="drawing #0"):
        fetch("quickdraw/hot dog.bin", mirror=http_mirror.url, progressbar=False)
    assert files_in(cache) == []


def test_wrong_hash_is_refused(cache, http_mirror):
    # A real, valid MNIST file in Keras' layout, but not Keras' bytes.
    buffer = io.BytesIO()
    np.savez_compressed(buffer, x_train=np.zeros((60000, 28, 28), np.uint8), y_train=np.zeros(60000, np.uint8),
                        x_test=np.zeros((10000, 28, 28), np.uint8), y_test=np.zeros(10000, np.uint8))
    http_mirror.serve(MNIST, buffer.getvalue())
    with pytest.raises(DataCheckError) as caught:
        fetch("mnist", mirror=http_mirror.url, progressbar=False)
    assert MNIST_SHA256 in str(caught.value) and "sha256" in str(caught.value)
    assert files_in(cache) == []


def test_mnist_from_a_mirror_is_checked_against_the_published_hash(cache, http_mirror, monkeypatch):
    from aecourse.datasets import load_mnist

    rng = np.random.default_rng(0)
    arrays = dict(x_train=rng.integers(0, 256, (60000, 28, 28), dtype=np.uint8),
                  y_train=rng.integers(0, 10, 60000, dtype=np.uint8),
                  x_test=rng.integers(0, 256, (10000, 28, 28), dtype=np.uint8),
                  y_test=rng.integers(0, 10, 10000, dtype=np.uint8))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    payload = buffer.getvalue()
    # Keras' file is not available offline: publish this file's hash in its place.
    monkeypatch.setattr(download, "MNIST_SHA256", download.hashlib.sha256(payload).hexdigest())
    http_mirror.serve(MNIST, payload)
    (x_train, y_train), (x_test, y_test) = load_mnist(mirror=http_mirror.url)
    assert http_mirror.requests == ["/" + MNIST]
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    np.testing.assert_array_equal(x_train[7], arrays["x_train"][7] / np.float32(255))
    assert files_in(cache) == ["mnist.npz"]


def test_a_whole_valid_cat_file_with_too_few_drawings_is_refused(cache, http_mirror):
    # Google's cat.bin holds 123,202 drawings: a whole-looking 2,000 is an incomplete copy.
    http_mirror.serve(CAT_BIN, b"".join(random_records(2000)))
    with pytest.raises(DataCheckError, match=f"holds 2,000 whole drawings, Google's file holds {REAL_CAT_COUNT:,}"):
        fetch("quickdraw/cat.bin", mirror=http_mirror.url, progressbar=False)
    assert files_in(cache) == []


def test_cat_cut_exactly_between_two_drawings_is_refused(cache, http_mirror, full_cat_records):
    whole = b"".join(full_cat_records)
    cut = len(b"".join(full_cat_records[:100_000]))
    http_mirror.serve(CAT_BIN, whole[:cut])
    with pytest.raises(DataCheckError, match="holds 100,000 whole drawings"):
        fetch("quickdraw/cat.bin", mirror=http_mirror.url, progressbar=False)
    assert files_in(cache) == []
    http_mirror.serve(CAT_BIN, whole)
    assert fetch("quickdraw/cat.bin", mirror=http_mirror.url, progressbar=False).stat().st_size == len(whole)


def test_numpy_bitmap_download_is_checked_whole(cache, http_mirror):
    def npy(array):
        buffer = io.BytesIO()
        np.save(buffer, array)
        return buffer.getvalue()

    path = "quickdraw_dataset/full/numpy_bitmap/hot dog.npy"
    good = npy(np.arange(4 * 784, dtype=np.int64).astype(np.uint8).reshape(4, 784))
    for bad, message in [(npy(np.zeros((4, 28, 28), np.uint8)), r"\(n, 784\)"),
                         (npy(np.zeros((4, 784), np.float32)), r"\(n, 784\) uint8"),
                         (good[:-100], "truncated"),
                         (good + b"\x00" * 784, "784 bytes too many at the end"),
                         (b"<html>Not here</html>", "cannot be read as a .npy file")]:
        http_mirror.serve(path, bad)
        with pytest.raises(DataCheckError, match=message):
            fetch("quickdraw/hot dog.npy", mirror=http_mirror.url, progressbar=False)
        assert files_in(cache) == []
    http_mirror.serve(path, good)
    got = fetch_quickdraw("hot dog", kind="numpy_bitmap", mirror=http_mirror.url, progressbar=False)
    assert got.read_bytes() == good and np.load(got).shape == (4, 784)


def test_a_damaged_cached_file_is_deleted_and_downloaded_again_once(cache, http_mirror):
    payload = hot_dogs()
    http_mirror.serve(HOT_DOG, payload)
    # What an older course version left: a truncated copy under the final name.
    damaged = cache / "quickdraw" / "hot dog.bin"
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(payload[: len(payload) * 3 // 5])
    with pytest.warns(UserWarning, match="damaged") as caught:
        path = fetch("quickdraw/hot dog.bin", mirror=http_mirror.url, progressbar=False)
    assert str(damaged) in str(caught[0].message)
    assert path == damaged and path.read_bytes() == payload
    assert http_mirror.requests == [HOT_DOG_REQUEST]


def test_a_damaged_cached_file_whose_new_copy_fails_too_says_what_to_do(cache, http_mirror):
    payload = hot_dogs()
    damaged = cache / "quickdraw" / "hot dog.bin"
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(payload + b"\x07" * 50)
    http_mirror.serve(HOT_DOG, payload[:-3])  # the mirror's copy is broken as well
    with pytest.raises(DataCheckError) as caught:
        fetch("quickdraw/hot dog.bin", mirror=http_mirror.url, progressbar=False)
    message = str(caught.value)
    assert str(damaged) in message and "deleted" in message
    assert "AECOURSE_MIRROR" in message and "AECOURSE_DATA_DIR" in message
    assert len(http_mirror.requests) == 1  # downloaded again once, not in a loop
    assert files_in(cache) == []


def test_an_interrupted_download_removes_its_partial_file(cache, http_mirror):
    def interrupted(url, output_file, _):
        Path(output_file).write_bytes(b"half of a file")
        raise KeyboardInterrupt  # the student pressed stop

    with pytest.raises(KeyboardInterrupt):
        fetch("quickdraw/hot dog.bin", mirror=http_mirror.url, downloader=interrupted)
    assert files_in(cache) == []


def test_partial_files_of_dead_downloads_are_cleaned_up(cache, http_mirror):
    folder = cache / "quickdraw"
    folder.mkdir(parents=True)
    dead, live = folder / ".hot dog.bin.dead.part", folder / ".hot dog.bin.live.part"
    dead.write_bytes(b"x")
    live.write_bytes(b"y")
    old = time.time() - 2 * 3600
    os.utime(dead, (old, old))
    http_mirror.serve(HOT_DOG, hot_dogs())
    fetch("quickdraw/hot dog.bin", mirror=http_mirror.url, progressbar=False)
    assert not dead.exists()
    assert live.exists()  # another process may still be writing it


def test_a_pooch_downloader_can_do_the_transfer_and_the_checks_still_apply(cache, http_mirror):
    import pooch

    http_mirror.serve(HOT_DOG, hot_dogs()[:-1])
    with pytest.raises(DataCheckError, match="truncated"):
        fetch("quickdraw/hot dog.bin", mirror=http_mirror.url,
              downloader=pooch.HTTPDownloader(progressbar=False))
    assert files_in(cache) == []
    http_mirror.serve(HOT_DOG, hot_dogs())
    path = fetch("quickdraw/hot dog.bin", mirror=http_mirror.url,
                 downloader=pooch.HTTPDownloader(progressbar=False))
    assert path.read_bytes() == hot_dogs()


def test_any_url_with_its_hash(cache, http_mirror):
    payload = b"some bytes"
    http_mirror.serve("files/some file.txt", payload)
    url = f"{http_mirror.url}/files/some%20file.txt"
    path = fetch(url, known_hash=download.hashlib.sha256(payload).hexdigest(), progressbar=False)
    assert path.name == "some file.txt" and path.read_bytes() == payload
    http_mirror.serve("files/other.txt", payload)
    with pytest.raises(DataCheckError, match="sha256"):
        fetch(f"{http_mirror.url}/files/other.txt", known_hash="0" * 64, progressbar=False)
    assert files_in(cache) == ["urls/some file.txt"]


def test_lab_only_file_without_a_data_folder_explains(cache):
    with pytest.raises(FileNotFoundError, match="AECOURSE_DATA_DIR"):
        fetch("quickdraw/cat_numpy_bitmap_sample.npy")


# --------------------------------------------------------------------------- local folder

def test_local_folder_never_downloads_and_says_where_it_looked(data_folder):
    with pytest.raises(FileNotFoundError) as caught:
        fetch("quickdraw/hot dog.npy")
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
    # A lab's subset of cat.bin is fine locally: Google's count is asked only of downloads.
    (data_folder / "quickdraw" / "cat.bin").write_bytes(b"".join(random_records(5)))
    assert fetch_quickdraw("cat") == data_folder / "quickdraw" / "cat.bin"
    np.save(data_folder / "quickdraw" / "cat_numpy_bitmap_sample.npy", np.zeros((3, 784), np.uint8))
    assert fetch_quickdraw("cat", kind="sample") == data_folder / "quickdraw" / "cat_numpy_bitmap_sample.npy"


def test_local_files_are_checked_whole_and_never_deleted(data_folder):
    bad = data_folder / "mnist.npz"
    np.savez(bad, x_train=np.zeros((10, 28, 28), np.uint8), y_train=np.zeros(10, np.uint8),
             x_test=np.zeros((10, 28, 28), np.uint8), y_test=np.zeros(10, np.uint8))
    with pytest.raises(DataCheckError, match="x_train has shape") as caught:
        fetch("mnist")
    assert "left in place" in str(caught.value) and "tensorflow/tf-keras-datasets/mnist.npz" in str(caught.value)
    assert bad.exists()
    # Drawing #50 of 60 cut short: a check of the first drawings would not see it.
    records = random_records(60)
    cat = data_folder / "quickdraw" / "cat.bin"
    cat.write_bytes(b"".join(records)[:-5])
    with pytest.raises(DataCheckError, match=f"{cat}: drawing #59 .*truncated"):
        fetch("quickdraw/cat.bin")
    assert cat.exists()


def test_local_mnist_copy_passes_the_content_check_despite_its_other_hash(real_data, tmp_path, monkeypatch):
    path = real_data("mnist")
    folder = tmp_path / "lab"
    folder.mkdir()
    os.symlink(path, folder / "mnist.npz")
    monkeypatch.setenv("AECOURSE_DATA_DIR", str(folder))
    assert fetch("mnist") == folder / "mnist.npz"


def test_hand_encoded_record_helper_matches_the_format():
    # The tests' own encoder against the 23 bytes written out in tests/test_quickdraw.py.
    assert record(1, b"US", 1, 2, [([1, 2], [3, 4])]) == bytes(
        [1, 0, 0, 0, 0, 0, 0, 0, 0x55, 0x53, 1, 2, 0, 0, 0, 1, 0, 2, 0, 1, 2, 3, 4])

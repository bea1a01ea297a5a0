"""Lesson 1 fetches Quick Draw end to end from a mirror: the code path of a student online.

The master notebook of lesson 1 runs, every cell, in a real Jupyter kernel with
``AECOURSE_MIRROR`` pointing at a real HTTP server on 127.0.0.1 that serves a
cat.bin of 123,202 drawings at Google's path, with an empty download cache and no
local data folder. Only the base URL differs from a student's machine online.
"""

from pathlib import Path

from autograder.quick_nbformat import nbformat
from nbclient import NotebookClient

MASTER = Path(__file__).resolve().parent.parent / "solutions" / "01_quickdraw.ipynb"


def cell_output(cell, stream: str) -> str:
    return "".join(o.get("text", "") for o in cell.outputs
                   if o.output_type == "stream" and o.name == stream)


def the_cell(nb, text: str):
    found = [c for c in nb.cells if c.cell_type == "code" and text in c.source]
    assert len(found) == 1, f"lesson 1 has {len(found)} code cells with {text!r}"
    return found[0]


def test_lesson_1_downloads_cat_bin_from_a_local_mirror(tmp_path, monkeypatch, http_mirror, full_cat_records):
    whole = b"".join(full_cat_records)
    http_mirror.serve("quickdraw_dataset/full/binary/cat.bin", whole)
    cache = tmp_path / "cache"
    monkeypatch.setenv("AECOURSE_MIRROR", http_mirror.url)
    monkeypatch.setenv("AECOURSE_CACHE_DIR", str(cache))
    monkeypatch.delenv("AECOURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("COURSE_MODE", "fast")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("AECOURSE_STUDENT", "mirror-test")  # the hand-in cell would ask for it otherwise

    nb = nbformat.read(MASTER, as_version=4)
    work = tmp_path / "work"
    work.mkdir()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(work)}}).execute()

    # The fetch cell: one download, with its progress bar, from the mirror's path.
    fetch_cell = the_cell(nb, "cats = load_cats()")
    assert http_mirror.requests == ["/quickdraw_dataset/full/binary/cat.bin"]
    assert "Downloading cat.bin" in cell_output(fetch_cell, "stderr")
    assert "100%" in cell_output(fetch_cell, "stderr")
    printed = cell_output(fetch_cell, "stdout")
    assert (f"123,202 cat drawings rasterized from the Quick Draw vector file "
            f"{cache / 'quickdraw' / 'cat.bin'} to 32x32.") in printed
    # round(123,202 x 0.15) = 18,480 held out, 104,722 for training.
    assert "source: binary; train (104722, 32, 32, 1), held out (18480, 32, 32, 1)" in printed
    assert (cache / "quickdraw" / "cat.bin").read_bytes() == whole

    # The next cell reads the cached file (no new request) with the student's own parser.
    parser_cell = the_cell(nb, 'fetch_quickdraw("cat", "binary")')
    printed = cell_output(parser_cell, "stdout")
    assert f"cat.bin: {len(whole):,} bytes" in printed
    # The served drawings cycle through recognized = 1, 1, 0 and five countries (conftest.py).
    assert "recognized: " + "yyn" * 8 in printed
    assert "| countries: FR BR JP US NL FR BR JP US NL FR BR" in printed
    assert len(http_mirror.requests) == 1

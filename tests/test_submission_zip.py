"""The hand-in zip: exported from real lesson notebooks, accepted by the grader's discovery, unpacked safely."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

from autograder.quick_nbformat import nbformat
import pytest

from autograder import discover as disc
from autograder.notebooks import REPO, lessons
from public_tests import export

LESSONS = REPO / "lessons"


@pytest.fixture
def student_folder(tmp_path):
    """The generated lessons, as a student has them, lesson 1 with a check run and saved."""
    folder = tmp_path / "alice"
    folder.mkdir()
    for path in sorted(LESSONS.glob("[0-9][0-9]_*.ipynb")):
        (folder / path.name).write_bytes(path.read_bytes())
    nb = nbformat.read(folder / "01_quickdraw.ipynb", as_version=4)
    check_cell = next(c for c in nb.cells if c.source == 'check("unpack_drawing")')
    check_cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="✓ a\n✓ b\n✓ c\nunpack_drawing: all passed.\n")]
    rasterize_cell = next(c for c in nb.cells if c.source == 'check("rasterize_strokes")')
    rasterize_cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="✗ a\nrasterize_strokes: 1/4 passed.\n")]
    nbformat.write(nb, folder / "01_quickdraw.ipynb")
    return folder


def _checks_of(exercise: str) -> int:
    from public_tests import framework

    framework._load_all_checks()
    return len(framework._REGISTRY[exercise])


def test_the_manifest_names_lessons_exercises_checks_and_hashes(student_folder, tmp_path):
    out, manifest = export.build(student_folder, tmp_path / "submission.zip")
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        assert json.loads(archive.read("manifest.json")) == manifest
    assert names == {p.name for p in student_folder.glob("*.ipynb")} | {"manifest.json"}
    first = manifest["notebooks"][0]
    assert first["file"] == "01_quickdraw.ipynb" and first["lesson"] == "01_quickdraw"
    assert first["exercises"] == ["unpack_drawing", "rasterize_strokes", "center_drawing"]
    n = _checks_of("unpack_drawing")  # "all passed" in the saved output: every registered check
    assert first["checks"] == {"unpack_drawing": {"passed": n, "total": n}, "rasterize_strokes": {"passed": 1, "total": 4}}
    assert [e["lesson"] for e in manifest["notebooks"]] == [l.name for l in lessons()]
    assert all(len(e["sha256"]) == 64 for e in manifest["notebooks"])


def test_the_cli_writes_the_zip(student_folder, tmp_path):
    out = tmp_path / "cli.zip"
    run = subprocess.run([sys.executable, "-m", "public_tests.export", str(student_folder), "-o", str(out),
                          "--student", "alice"], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stderr
    assert "01_quickdraw.ipynb" in run.stdout and zipfile.is_zipfile(out)
    with zipfile.ZipFile(out) as archive:
        assert json.loads(archive.read("manifest.json"))["student"] == "alice"
    anonymous = subprocess.run([sys.executable, "-m", "public_tests.export", str(student_folder), "-o", str(out)],
                               capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                               env={k: v for k, v in os.environ.items() if k != export.STUDENT_ENV})
    assert anonymous.returncode == 1 and anonymous.stderr.startswith("export: ")  # asked, nothing typed


def test_the_grader_takes_the_zip_as_one_student(student_folder, tmp_path):
    out, _ = export.build(student_folder, tmp_path / "alice.zip")
    [submission] = disc.discover(out)
    assert submission.name == "alice" and submission.source == out
    assert sorted(submission.notebooks) == [l.name for l in lessons()]
    assert not submission.problems and not submission.notes
    assert set(submission.cells["01_quickdraw"]) == {"unpack_drawing", "rasterize_strokes", "center_drawing"}


def test_a_folder_of_zips_is_a_class(student_folder, tmp_path):
    klass = tmp_path / "class"
    klass.mkdir()
    export.build(student_folder, klass / "alice.zip")
    export.build(student_folder, klass / "bob.zip")
    assert [s.name for s in disc.discover(klass)] == ["alice", "bob"]


def test_an_uploaded_zip_in_a_gradescope_folder_is_unpacked(student_folder, tmp_path):
    upload = tmp_path / "submission"
    upload.mkdir()
    export.build(student_folder, upload / "submission.zip")
    [submission] = disc.discover(upload, single=True)
    assert sorted(submission.notebooks) == [l.name for l in lessons()]


def test_a_notebook_changed_after_export_is_reported(student_folder, tmp_path):
    out, _ = export.build(student_folder, tmp_path / "alice.zip")
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(out) as source, zipfile.ZipFile(tampered, "w") as sink:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "02_autoencoder.ipynb":
                data = data.replace(b"autoencoder", b"Autoencoder", 1)
            sink.writestr(info, data)
    [submission] = disc.discover(tampered)
    assert any("02_autoencoder.ipynb differs from the exported one" in note for note in submission.notes)
    assert sorted(submission.notebooks) == [l.name for l in lessons()]


def hostile_zip(path: Path) -> Path:
    lesson = (LESSONS / "01_quickdraw.ipynb").read_bytes()
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("01_quickdraw.ipynb", lesson)
        archive.writestr("../escape.ipynb", lesson)
        archive.writestr("/absolute.ipynb", lesson)
        archive.writestr("sub/../../up.ipynb", lesson)
        link = zipfile.ZipInfo("02_autoencoder.ipynb")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
        archive.writestr("big.ipynb", b"{" + b" " * (len(lesson) + 5000) + b"}")
        archive.writestr("run_me.sh", "rm -rf /")
    return path


def test_a_hostile_zip_is_unpacked_without_leaving_its_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(disc, "MAX_FILE_BYTES", len((LESSONS / "01_quickdraw.ipynb").read_bytes()) + 1000)
    work = tmp_path / "deep" / "er"
    work.mkdir(parents=True)
    [submission] = disc.discover(hostile_zip(work / "mallory.zip"))
    notes = "\n".join(submission.notes)
    for name in ("../escape.ipynb", "/absolute.ipynb", "sub/../../up.ipynb"):
        assert f"refused {name!r}" in notes and "leaves the folder" in notes
    assert "'02_autoencoder.ipynb'" in notes and "symbolic link" in notes
    assert "refused big.ipynb" in notes and "too large" in notes
    assert "ignored run_me.sh" in notes
    assert list(submission.notebooks) == ["01_quickdraw"]
    assert not any(p.name in ("escape.ipynb", "up.ipynb") for p in tmp_path.rglob("*.ipynb"))
    assert not Path("/absolute.ipynb").exists()
    [folder] = {p.parent for p in submission.notebooks.values()}
    assert not any(p.is_symlink() for p in folder.rglob("*"))


def test_inflated_size_is_counted_not_trusted(tmp_path, monkeypatch):
    """A member that inflates past the cap is refused even when the header claims a small size."""
    monkeypatch.setattr(disc, "MAX_TOTAL_BYTES", 10_000)
    monkeypatch.setattr(disc, "MAX_FILE_BYTES", 10_000)
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("01_quickdraw.ipynb", b"0" * 50_000)
    buffer = bytearray(path.read_bytes())
    # Rewrite the declared uncompressed size (central directory and local header) to 100 bytes.
    with zipfile.ZipFile(io.BytesIO(bytes(buffer))) as archive:
        info = archive.infolist()[0]
    for offset in (info.header_offset + 22, buffer.rfind(b"PK\x01\x02") + 24):
        buffer[offset:offset + 4] = (100).to_bytes(4, "little")
    path.write_bytes(bytes(buffer))
    [submission] = disc.discover(path)
    assert any("too large" in note or "could not unpack" in note for note in submission.notes), submission.notes
    assert "01_quickdraw" not in submission.notebooks

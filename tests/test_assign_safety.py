"""`make lessons` never destroys work it did not generate: it refuses, or with --force keeps a .bak."""

from __future__ import annotations


from autograder.quick_nbformat import nbformat
import pytest

from autograder import assign


@pytest.fixture
def lessons_dir(tmp_path, monkeypatch):
    """A lessons/ folder outside the repository (no git), freshly generated."""
    folder = tmp_path / "lessons"
    folder.mkdir()
    monkeypatch.setattr(assign, "LESSONS", folder)
    monkeypatch.setattr(assign, "ANSWERS", tmp_path / "ANSWERS.md")  # never the real one
    assert assign.main([]) == 0
    return folder


def first_lesson(folder):
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))[0]


def test_generated_notebooks_carry_a_stamp_that_matches_their_cells(lessons_dir):
    nb = nbformat.read(first_lesson(lessons_dir), as_version=4)
    stamp = nb.metadata[assign.STAMP]["generated"]
    assert stamp["cells_sha256"] == assign.cells_digest(nb)
    assert stamp["master"].startswith("solutions/")


def test_an_untracked_new_lesson_is_never_deleted(lessons_dir, capsys):
    mine = lessons_dir / "07_my_new_lesson.ipynb"
    mine.write_text(nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("mine")])))
    capsys.readouterr()
    assert assign.main([]) == 1
    err = capsys.readouterr().err
    assert "07_my_new_lesson.ipynb" in err and "refusing" in err
    assert mine.exists()
    assert assign.main(["--force"]) == 0
    assert not mine.exists()
    backup = lessons_dir / "07_my_new_lesson.ipynb.bak"
    assert nbformat.reads(backup.read_text(), as_version=4).cells[0].source == "mine"


def test_a_hand_edit_is_refused_then_kept_as_bak_with_force(lessons_dir, capsys):
    path = first_lesson(lessons_dir)
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source += "\n\nA note I typed by hand."
    edited = nbformat.writes(nb)
    path.write_text(edited)
    capsys.readouterr()
    assert assign.main([]) == 1
    assert path.name in capsys.readouterr().err
    assert path.read_text() == edited, "the refused run must leave the file alone"
    assert assign.main(["--force"]) == 0
    assert (lessons_dir / (path.name + ".bak")).read_text() == edited
    assert path.read_text() == assign.rendered_lessons()[path]


def test_a_stale_but_untouched_generated_notebook_is_regenerated_silently(lessons_dir):
    """What an older master produced (stamp still valid) is ours to overwrite: no refusal, no backup."""
    path = first_lesson(lessons_dir)
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source = "an older master's first cell"
    path.write_text(nbformat.writes(assign.stamped(nb, path.name)))
    assert assign.main([]) == 0
    assert path.read_text() == assign.rendered_lessons()[path]
    assert not list(lessons_dir.glob("*.bak*"))


def test_an_unstamped_copy_identical_to_the_output_is_overwritten(lessons_dir):
    path = first_lesson(lessons_dir)
    nb = nbformat.read(path, as_version=4)
    del nb.metadata[assign.STAMP]
    path.write_text(nbformat.writes(nb))
    assert assign.main([]) == 0
    assert not list(lessons_dir.glob("*.bak*"))


def test_check_reports_a_foreign_notebook_without_touching_it(lessons_dir):
    mine = lessons_dir / "07_my_new_lesson.ipynb"
    mine.write_text("{}")
    assert assign.main(["--check"]) == 1
    assert mine.read_text() == "{}"

"""check() in a real Jupyter kernel judges what the grader takes: the exercise cell alone.

One notebook, derived from lesson 1's master and executed by nbclient, runs in
turn: the reference answer with its helper moved into another cell, with an
import moved into another cell, intact, and under another spelling of its
name; then ``check_all()``, ``require()`` on an unfinished exercise and the
import of TensorFlow. Each cell's outputs say what the student would see.
"""

from __future__ import annotations

import re

from autograder.quick_nbformat import nbformat
import pytest
from nbclient import NotebookClient

from autograder.assign import student_version
from autograder.notebooks import REPO, exercise_cells, read_notebook, setup_cells

MASTER = REPO / "solutions" / "01_quickdraw.ipynb"
HELPER = re.compile(r"\n\ndef _read_exactly\(stream, n\):\n.*?return data\n", re.S)
CHATTER = ("oneDNN custom operations", "absl::InitializeLog", "cuda drivers", "I0000 ")


def code(source, tags=()):
    cell = nbformat.v4.new_code_cell(source)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def text_of(cell) -> str:
    parts = []
    for output in cell.outputs:
        parts.append(output.get("text", ""))
        parts.extend(output.get("data", {}).values() if output.output_type != "error" else [])
        if output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}\n" + "\n".join(output.traceback))
    return "".join(str(p) for p in parts)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    master = read_notebook(MASTER)
    reference = exercise_cells(master)["unpack_drawing"]
    assert HELPER.search(reference), "the master's unpack_drawing no longer defines _read_exactly in its cell"
    helper = HELPER.search(reference).group(0).strip() + "\n"
    without_helper = HELPER.sub("\n", reference)
    with_outside_import = reference.replace("np.frombuffer(", "frombuffer(")
    stub = exercise_cells(student_version(master))["rasterize_strokes"]
    cells = {
        "setup": code(setup_cells(master)[0], tags=["setup"]),
        "moved_helper": code(without_helper),
        "helper": code(helper),
        "check_moved_helper": code('check("unpack_drawing")'),
        "outside_import": code("from numpy import frombuffer"),
        "moved_import": code(with_outside_import),
        "check_moved_import": code('check("unpack_drawing")'),
        "intact": code(reference),
        "check_intact": code('check("unpack_drawing")'),
        "check_other_case": code('check("Unpack_Drawing")'),
        "stub": code(stub),
        "check_all": code("check_all()"),
        "require": code("require(rasterize_strokes)\nprint('this line must not run')"),
        "tensorflow": code("import keras\nprint('keras', keras.__version__)"),
    }
    nb = nbformat.v4.new_notebook(cells=list(cells.values()), metadata=master.metadata)
    folder = tmp_path_factory.mktemp("kernel")
    path = folder / MASTER.name   # check() reads the setup cells' tags from the notebook's file
    nbformat.write(nb, path)
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    return {name: cell for name, cell in zip(cells, nb.cells)}



def _checks_of(exercise: str) -> int:
    """How many public checks the exercise has (check() reports "0/N passed" when its cell is refused)."""
    from public_tests import framework

    framework._load_all_checks()
    return len(framework._REGISTRY[exercise])

def test_a_helper_in_another_cell_fails_check_as_it_fails_the_grader(executed):
    out = text_of(executed["check_moved_helper"])
    assert "`_read_exactly` is defined in another cell" in out
    assert "the grader takes only this cell: put helpers and imports inside it" in out
    assert f"unpack_drawing: 0/{_checks_of('unpack_drawing')} passed." in out


def test_an_import_in_another_cell_fails_check(executed):
    out = text_of(executed["check_moved_import"])
    assert "`frombuffer` is defined in another cell" in out and f"unpack_drawing: 0/{_checks_of('unpack_drawing')} passed." in out


def test_the_self_contained_reference_passes(executed):
    assert "unpack_drawing: all passed." in text_of(executed["check_intact"])


def test_the_name_matches_in_any_case(executed):
    assert "unpack_drawing: all passed." in text_of(executed["check_other_case"])


def test_check_prints_its_report_and_returns_nothing_jupyter_shows(executed):
    for name in ("check_intact", "check_moved_helper", "check_all"):
        kinds = [o.output_type for o in executed[name].outputs]
        assert "execute_result" not in kinds, f"{name}: {kinds}"
        assert "True" not in text_of(executed[name]) and "False" not in text_of(executed[name])


def test_check_all_gives_one_line_per_exercise(executed):
    out = text_of(executed["check_all"])
    n = _checks_of("unpack_drawing")
    assert re.search(rf"^✓ unpack_drawing\s+{n}/{n}$", out, re.M), out
    assert re.search(r"^✗ rasterize_strokes\s+0/\d+\s+not implemented yet", out, re.M), out
    assert "01_quickdraw: 1 of 3 exercises pass all their public checks." in out


def test_require_names_the_unfinished_exercise_without_a_traceback(executed):
    cell = executed["require"]
    out = text_of(cell)
    assert "finish `rasterize_strokes` first" in out
    assert "this line must not run" not in out
    assert "Traceback" not in out and "File " not in out


def test_no_tensorflow_start_up_chatter_in_the_notebook(executed):
    for name in ("setup", "tensorflow"):
        out = text_of(executed[name])
        assert not [c for c in CHATTER if c in out], f"{name}:\n{out}"
    assert "keras 3." in text_of(executed["tensorflow"])

"""Figures quoted in a lesson's text are printed by that lesson's cells (autograder/quoted_figures.py).

Fast-mode figures are checked during ``make test`` itself: the root conftest.py appends a
``quoted figures`` item to each master's nbval run, compared with the outputs its cells
just printed; the tests here show that item passing and failing on small notebooks. Full-mode
figures are checked here against the stored full-mode records in benchmarks/full_mode/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from autograder.notebooks import REPO, lessons, read_notebook
from autograder.quick_nbformat import nbformat
from autograder.quoted_figures import (Figure, MarkerError, check_full_record, figures, output_text,
                                       printed_numbers, read_record, record_path, report, unmatched)

MASTERS = lessons()
OWN_MARKERS = ("01", "02", "04", "05", "06")  # lesson 3's text is being rewritten (round 4, H5)


def markdown(*sources):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(s) for s in sources])


def fig(text, modes=("fast",), lab_sample=False):
    return Figure(text, modes, lab_sample, 0)


def test_markers_give_the_figure_its_modes_and_data():
    nb = markdown('fast <span class="fast">155.82</span> nats, full <span class="full">147.36</span>',
                  'JPEG <span class="fast full">556</span> bytes; <span class="fast lab-sample">14.1</span> %')
    assert figures(nb) == [Figure("155.82", ("fast",), False, 0), Figure("147.36", ("full",), False, 0),
                           Figure("556", ("fast", "full"), False, 1), Figure("14.1", ("fast",), True, 1)]


@pytest.mark.parametrize("source", ['<span class="fats">1.0</span>', '<span class="lab-sample">1.0</span>',
                                    '<span class="fast">about 3</span>', '<span class="fast">1.0 %</span>'])
def test_a_marker_off_the_convention_is_an_error(source):
    with pytest.raises(MarkerError):
        figures(markdown(source))


@pytest.mark.parametrize("quoted, printed, match", [
    ("155.82", "155.824", True), ("155.82", "155.815", True), ("155.82", "155.826", False),
    ("155.82", "155.8", False),  # the cell printed less than the text claims
    ("147.4", "147.36", True), ("2,946", "2946", True), ("2,946", "2,947", False),
    ("4.33e-08", "4.3312e-08", True), ("4.33e-08", "4.33e-07", False), ("−0.5", "-0.5", True), ("98", "97.6", True),
])
def test_a_printed_number_matches_when_it_rounds_to_the_quoted_figure(quoted, printed, match):
    assert fig(quoted).matches(printed) is match


def test_numbers_glued_to_names_are_not_printed_figures():
    assert printed_numbers("conv2d_78 v2.1 loss: 155.82 (0.287 bits), 1,610,000 bytes, 14.1%") == [
        "155.82", "0.287", "1,610,000", "14.1"]


def test_a_common_number_is_looked_for_only_after_the_words_it_names():
    nb = markdown('after <span class="full" data-after="passes the book recipe after">8</span> of 40 epochs')
    [eight] = figures(nb)
    assert eight.after == "passes the book recipe after"
    printed = "8 pixels per number\nAdam passes the book recipe after  7 of 40 epochs"
    assert unmatched([eight], printed, "full") == ([eight], [])
    assert unmatched([eight], printed.replace("7 of", "8 of"), "full") == ([], [])


def test_output_text_reads_streams_and_results_without_colours():
    outputs = [nbformat.v4.new_output("stream", name="stdout", text="loss 1.5\n"),
               nbformat.v4.new_output("execute_result", data={"text/plain": "\x1b[38;5;34m35,085\x1b[0m",
                                                               "image/png": "iVBOR"}, execution_count=1)]
    assert output_text(outputs) == "loss 1.5\n\n35,085"


def test_unmatched_checks_one_mode_and_skips_lab_sample_figures_on_other_data():
    quoted = [fig("1.25"), fig("2.50", ("full",)), fig("3.75", lab_sample=True)]
    assert unmatched(quoted, "a 1.25 and 9.99", "fast") == ([], [quoted[2]])
    assert unmatched(quoted, "from the lab's sample: 1.25, 3.70", "fast") == ([quoted[2]], [])
    assert unmatched(quoted, "2.45", "full") == ([quoted[1]], [])


@pytest.mark.parametrize("lesson", MASTERS, ids=lambda l: l.name)
def test_every_marker_of_the_masters_follows_the_convention(lesson):
    quoted = figures(read_notebook(lesson.master))
    if lesson.number in OWN_MARKERS:
        assert quoted, f"{lesson.name} quotes no marked figure"


@pytest.mark.parametrize("lesson", [l for l in MASTERS if any("full" in f.modes for f in figures(read_notebook(l.master)))],
                         ids=lambda l: l.name)
def test_full_mode_figures_are_in_the_stored_full_mode_run(lesson):
    if not record_path(lesson.name).is_file():
        # A full run takes minutes to an hour: recording is an instructor's step, not a test's.
        pytest.skip(f"no full-mode record of {lesson.name} yet, so its full-mode figures are unchecked: "
                    f"python -m autograder.quoted_figures --record-full {lesson.name}")
    missing, skipped, checked = check_full_record(lesson.name)
    assert not skipped, f"{record_path(lesson.name)} was not recorded on the lab's sample"
    assert checked and not missing, report(lesson.name, missing, "full", str(record_path(lesson.name)),
                                           read_record(lesson.name))


# ----------------------------------------------------------------------------- the nbval item

NOTEBOOK_CODE = 'print("held-out loss 0.2941, 14.1% grey, 35,085 weights")'


def run_nbval(tmp_path, text: str) -> subprocess.CompletedProcess:
    """pytest --nbval-lax on a notebook whose markdown quotes ``text``, with the root conftest.

    Its last cell is tagged nbval-skip, as the masters' hand-in cell is: a skipped cell
    must not stop the figures from being checked.
    """
    skipped = nbformat.v4.new_code_cell('print("never run: 0.3277")')
    skipped.metadata["tags"] = ["nbval-skip"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text), nbformat.v4.new_code_cell(NOTEBOOK_CODE),
                                         skipped])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "99_tiny.ipynb")
    shutil.copy(REPO / "conftest.py", tmp_path / "conftest.py")
    env = dict(os.environ, COURSE_MODE="fast",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "99_tiny.ipynb", "-p", "no:cacheprovider",
                           "-v", "--rootdir", str(tmp_path)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_nbval_item_passes_when_the_quoted_figures_were_printed(tmp_path):
    run = run_nbval(tmp_path, 'ours <span class="fast">0.2941</span>, <span class="fast">35,085</span> weights, '
                              'full <span class="full">0.2246</span> (not checked in fast mode)')
    assert run.returncode == 0, run.stdout[-3000:]
    assert "99_tiny.ipynb::quoted figures PASSED" in run.stdout


def test_the_nbval_item_fails_and_names_a_figure_the_cells_did_not_print(tmp_path):
    run = run_nbval(tmp_path, 'ours <span class="fast">0.2941</span>, the book <span class="fast">0.3277</span>')
    assert run.returncode == 1
    assert "99_tiny.ipynb::quoted figures FAILED" in run.stdout
    assert "0.3277 (markdown cell 0; the closest printed number: 0.2941)" in run.stdout
    assert "  0.2941 (" not in run.stdout

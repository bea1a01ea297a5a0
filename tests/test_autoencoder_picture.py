"""Lesson 02's picture on the feedback page: the grader's trained weights in the student's network and the book's.

One run of the grader's command line grades ``build_autoencoder`` of four students: the
reference, two planted bugs (one whose weights fit but whose network computes another
function, one whose weights do not fit) and the fresh lesson (not implemented). Each
feedback page but the fresh lesson's must show the picture with a note that tells these apart;
only the student's row of the picture may change from one student to the next.
"""

from __future__ import annotations

import base64
import io
import json
import re
from html import unescape

import numpy as np
import pytest

from autograder.assign import student_version
from autograder.hidden_tests.test_02_autoencoder import PICTURE_TITLE, _misfit
from autograder.notebooks import lesson_named, read_notebook
from autograder.quick_nbformat import nbformat
from grader_helpers import run_grader
from planted import planted_bugs
from test_grader import with_cell

LESSON = lesson_named("02_autoencoder")
BUGS = {"other_function": "UpSampling2D before the Conv2D", "weights_do_not_fit": "no Concatenate"}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from aecourse.download import DataCheckError, fetch
    from conftest import HOW_TO_GET_DATA, _require_data

    try:
        fetch("quickdraw/cat_numpy_bitmap_sample.npy", progressbar=False)  # the picture's cats (lesson 3's)
    except DataCheckError:
        raise  # the data is there but wrong: a failure, never a skip
    except Exception as error:  # as tests/conftest.py's real_data, for a fixture of the whole module
        reason = f"real data unavailable ({type(error).__name__}: {error}); {HOW_TO_GET_DATA}"
        pytest.fail(f"CI_REQUIRE_DATA=1 but {reason}", pytrace=False) if _require_data() else pytest.skip(reason)
    work = tmp_path_factory.mktemp("picture")
    master = read_notebook(LESSON.master)
    manifest = [{"name": "reference", "notebooks": [str(LESSON.master)]}]
    fresh = work / "fresh" / LESSON.master.name
    fresh.parent.mkdir()
    nbformat.write(student_version(master), fresh)
    manifest.append({"name": "fresh", "notebooks": [str(fresh)]})
    for student, why in BUGS.items():
        source = next(s for _, exercise, _, w, s in planted_bugs() if exercise == "build_autoencoder"
                      and w.startswith(why))
        path = work / student / LESSON.master.name
        path.parent.mkdir()
        nbformat.write(with_cell(master, "build_autoencoder", source), path)
        manifest.append({"name": student, "notebooks": [str(path)]})
    (work / "manifest.json").write_text(json.dumps(manifest))
    graded = run_grader("--manifest", str(work / "manifest.json"), "--exercise", "build_autoencoder", "--jobs", "2",
                        out=work / "out")
    assert graded.returncode == 0, graded.stderr[-3000:]
    return graded


def picture_of(graded, student: str) -> tuple[str, np.ndarray]:
    """The note and the picture (grey pixels) of build_autoencoder on the student's feedback page."""
    from PIL import Image

    page = (graded.out / "feedback" / f"{student}.html").read_text(encoding="utf-8")
    found = re.search(r"<figcaption>([^<]*)</figcaption><p>([^<]*)</p><img [^>]*src=\"data:image/png;base64,"
                      r"([A-Za-z0-9+/=]+)\"", page)
    assert found, f"no picture with a note on {student}'s page"
    assert unescape(found[1]) == PICTURE_TITLE
    image = Image.open(io.BytesIO(base64.b64decode(found[3]))).convert("L")
    return unescape(found[2]), np.asarray(image, dtype="int16")


def test_the_references_network_draws_what_the_books_draws(graded):
    note, _ = picture_of(graded, "reference")
    assert "Your network draws what the book's draws" in note
    assert graded.exercise_scores("reference")["build_autoencoder"] == (18, 18)


def test_a_network_with_fitting_weights_and_another_function_differs_in_its_row_only(graded):
    note, theirs = picture_of(graded, "other_function")
    assert "Your network draws something else than the book's" in note and "UpSampling2D" in note
    _, ours = picture_of(graded, "reference")
    assert theirs.shape == ours.shape  # three rows each: the cats, the student's, the book's
    changed = np.flatnonzero(np.any(theirs != ours, axis=1))
    height = len(ours)
    # The cats on top and the book's drawings below are the same pixels; the student's row between them is not.
    assert len(changed) > 0.2 * height
    assert changed.min() > 0.3 * height and changed.max() < 0.7 * height, (changed.min(), changed.max(), height)


def test_weights_that_do_not_fit_leave_out_the_students_row_and_say_where(graded):
    note, theirs = picture_of(graded, "weights_do_not_fit")
    _, ours = picture_of(graded, "reference")
    assert "Your network is not shown" in note
    assert "weight array 3 of 28 is (3, 3, 4, 8) in yours; in the book's it is (2, 2, 1, 4)" in note
    assert theirs.shape[1] == ours.shape[1] and len(theirs) < 0.75 * len(ours)  # two rows of three


def test_an_exercise_not_done_gets_no_picture(graded):
    # Nothing on a page (or on Gradescope, where a picture is a 0-point "passed" test) looks
    # done for an exercise the student never tried.
    page = (graded.out / "feedback" / "fresh.html").read_text(encoding="utf-8")
    assert PICTURE_TITLE not in unescape(page) and "Traceback" not in page
    assert graded.exercise_scores("fresh")["build_autoencoder"] == (0, 18)


def test_the_misfit_names_the_first_weight_that_differs_and_what_it_holds():
    books = [(3, 3, 1, 4), (4,), (2, 2, 1, 4), (4,), (64, 32), (32,)]
    assert _misfit(list(books), books) == ""
    swapped = [books[2], books[3], books[0], books[1], *books[4:]]
    assert _misfit(swapped, books).startswith(
        "weight array 1 of 6 is (2, 2, 1, 4) in yours; in the book's it is (3, 3, 1, 4), the kernel of a 3x3 "
        "Conv2D with 4 filters on 1 channel.")
    assert "the kernel of the Dense waist, 32 numbers per position from 64 channels" in \
        _misfit([*books[:4], (64, 128), (128,)], books)
    assert _misfit(books[:4], books).startswith("yours has 4 weight arrays, the book's 6; the first 4 agree.")

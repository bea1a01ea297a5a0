"""What the student's model drew, as PNG pictures for the feedback.

A hidden test (or its training measure) calls :func:`record` in the judge with
an image it computed there, from the student's trained weights; the judge
sends the pictures with its verdicts (``judge.run_exercise``), the grader keeps
them with the exercise's result, and the reports show them beside the
reference's picture of the same thing (``reference_pictures/``, drawn by
``python -m autograder.calibrate`` with seed 0). Models judged by their training
steps, not trained by the grader (``vae``, ``cvae``), get :func:`show_reference`:
the reference's pictures (drawn once by an earlier calibration, kept as they
are), with a note saying why they stand for the student's. A picture that holds
its own comparison (lesson 2's: the student's network and the book's, given the
same trained weights, redrawing the same cats) is recorded with a note saying what
it shows, and needs no reference picture.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np

REFERENCE = Path(__file__).resolve().parent / "reference_pictures"
MAX_SIDE = 1024     # pixels; a larger grid is scaled down
SCALE = 2           # small digits are hard to see at 1:1

_recorded: list[dict] = []


def png(image) -> bytes:
    """A grey image in [0, 1] (or a grid of them already laid out) as PNG bytes."""
    from PIL import Image

    array = np.clip(np.asarray(image, dtype="float64"), 0.0, 1.0)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    picture = Image.fromarray((array * 255 + 0.5).astype("uint8"), mode="L")
    width, height = picture.size
    scale = max(1, min(SCALE, MAX_SIDE // max(width, height, 1)))
    if scale > 1:
        picture = picture.resize((width * scale, height * scale), Image.NEAREST)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def from_figure(figure):
    """A matplotlib ``Figure`` (made without pyplot) drawn as a grey image in [0, 1], for :func:`record`."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    rgb = np.asarray(canvas.buffer_rgba(), dtype="float64")[..., :3] / 255.0
    return rgb @ np.array([0.299, 0.587, 0.114])


def record(exercise: str, title: str, image, note: str | None = None) -> None:
    """Keep a picture of ``exercise`` for the student's feedback (called in the judge).

    ``note``: for a picture that holds its own comparison (the student's model beside the
    reference's, drawn together): what it shows, in words. The feedback shows it with the
    picture and no reference picture beside it.
    """
    _recorded.append({"exercise": exercise, "title": title, "png": base64.b64encode(png(image)).decode("ascii"),
                      **({"note": note} if note else {})})


def recorded() -> list[dict]:
    """The pictures recorded so far in this process, and forget them."""
    out = list(_recorded)
    _recorded.clear()
    return out


def show_reference(exercise: str, titles: list[str], why: str) -> None:
    """Show the reference's pictures of ``titles`` in the student's feedback, saying ``why`` they stand for the student's.

    For a model judged by its training steps (``hidden_tests/step_equivalence.py``): when its
    steps equal the reference's, it trains as the reference does, and the reference's picture
    is the honest one to show; the grader trains nothing of the student's to draw another.
    """
    for title in titles:
        png = reference_png(exercise, title)
        if png:
            _recorded.append({"exercise": exercise, "title": title, "png": png, "note": why})


def reference_path(exercise: str, title: str) -> Path:
    slug = "".join(c if c.isalnum() else "_" for c in title.lower()).strip("_")
    return REFERENCE / exercise / f"{slug}.png"


def reference_png(exercise: str, title: str) -> str | None:
    """The reference solution's picture of the same thing, base64, if calibration drew one."""
    path = reference_path(exercise, title)
    return base64.b64encode(path.read_bytes()).decode("ascii") if path.exists() else None


def save_references(pictures: list[dict]) -> list[Path]:
    """Write pictures recorded while measuring the reference (calibration, seed 0)."""
    written = []
    for picture in pictures:
        path = reference_path(picture["exercise"], picture["title"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(picture["png"]))
        written.append(path)
    return written

"""Every figure a lesson's text quotes is printed by that lesson's own cells.

A master marks each such figure in its markdown with the mode that printed it::

    in fast mode it printed <span class="fast">155.82</span> nats, in full mode <span class="full">147.36</span>

* ``fast``: printed with ``COURSE_MODE=fast``, as CI runs the masters under nbval;
  checked against the text outputs of that run (the root ``conftest.py`` appends a
  ``quoted figures`` item to each notebook's nbval items).
* ``full``: printed in full mode only; checked against the stored record of a
  full-mode run, ``benchmarks/full_mode/<lesson>.txt``, which
  ``python -m autograder.quoted_figures --record-full <lesson>`` refreshes.
* ``lab-sample`` (with either): printed from the lab's 2,000-cat sample; checked only
  against a run whose outputs say it used that sample.

The span holds one number as printed (sign, thousands commas, decimals, exponent);
units stay outside it. It matches when a number in the outputs rounds to it at the
quoted precision. A number too common to be found alone (``8`` of "after 8 of 40 epochs")
names the words printed right before it: ``<span class="full" data-after="after">8</span>``.
The convention for lesson writers is also in the README ("Figures in the text").
"""

from __future__ import annotations

import argparse
import datetime
import re
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from autograder.notebooks import REPO, appendices, lesson_named, read_notebook

FULL_RECORDS = REPO / "benchmarks" / "full_mode"
MODES = ("fast", "full")
LAB_SAMPLE = "lab-sample"
# What a run on the lab's sample prints (aecourse.datasets.load_cats' description).
LAB_SAMPLE_SIGN = "the lab's sample"

MARKER = re.compile(r'<span class="([^"]*)"(?: data-after="([^"]*)")?>(.*?)</span>', re.S)
NUMBER = r"[-+−]?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?:[eE][-+]?\d+)?|[-+−]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
NUMBER_ALONE = re.compile(rf"(?:{NUMBER})")
# A number in printed text: not glued to letters, digits or a dot before it (so "x3" and
# "v2.1" give nothing, "ratio 98," gives 98).
PRINTED_NUMBER = re.compile(rf"(?<![\w.])(?:{NUMBER})")


ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")  # Keras' model summaries colour their numbers


class MarkerError(ValueError):
    """A marker that does not follow the convention (unknown class, not one number)."""


@dataclass(frozen=True)
class Figure:
    """One quoted figure: its text as quoted, the modes that printed it, its data condition."""

    text: str
    modes: tuple[str, ...]
    lab_sample: bool
    cell: int  # index of the markdown cell in the master
    after: str = ""  # data-after: the words printed right before it (for numbers too common to find alone)

    @property
    def value(self) -> Decimal:
        return as_decimal(self.text)

    def matches(self, printed: str) -> bool:
        """``printed`` rounds to this figure at the figure's precision."""
        quoted = self.value
        half_unit = Decimal(1).scaleb(quoted.as_tuple().exponent) / 2
        return abs(as_decimal(printed) - quoted) <= half_unit


def as_decimal(text: str) -> Decimal:
    return Decimal(text.replace(",", "").replace("−", "-"))


def figures(nb) -> list[Figure]:
    """The marked figures of a notebook's markdown cells, in order. Raises MarkerError."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for match in MARKER.finditer(cell.source):
            classes, after, text = match.group(1).split(), match.group(2) or "", match.group(3).strip()
            unknown = set(classes) - {*MODES, LAB_SAMPLE}
            modes = tuple(m for m in MODES if m in classes)
            if unknown or not modes:
                raise MarkerError(f"cell {index}: <span class=\"{match.group(1)}\"> needs 'fast' and/or 'full' "
                                  f"(and optionally '{LAB_SAMPLE}'), nothing else")
            if not NUMBER_ALONE.fullmatch(text):
                raise MarkerError(f"cell {index}: a marker holds one number as printed, not {text!r}")
            found.append(Figure(text, modes, LAB_SAMPLE in classes, index, after))
    return found


def output_text(outputs) -> str:
    """The text a cell's outputs show: streams and text/plain results (not pictures), colours removed."""
    parts = []
    for out in outputs:
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") in ("execute_result", "display_data"):
            parts.append(out.get("data", {}).get("text/plain", ""))
    return ANSI_COLOUR.sub("", "\n".join(parts))


def printed_numbers(text: str, after: str = "") -> list[str]:
    """The numbers printed in ``text``; with ``after``, only those printed right after those words."""
    if not after:
        return PRINTED_NUMBER.findall(text)
    return re.findall(r"\s+".join(map(re.escape, after.split())) + rf"\s*({NUMBER})", text)


def unmatched(quoted: list[Figure], text: str, mode: str) -> tuple[list[Figure], list[Figure]]:
    """(figures of ``mode`` that no printed number matches, lab-sample figures not checkable here)."""
    on_lab_sample = LAB_SAMPLE_SIGN in text
    missing, skipped = [], []
    for figure in (f for f in quoted if mode in f.modes):
        if figure.lab_sample and not on_lab_sample:
            skipped.append(figure)
        elif not any(figure.matches(n) for n in printed_numbers(text, figure.after)):
            missing.append(figure)
    return missing, skipped


def nearest_printed(figure: Figure, text: str) -> str | None:
    """The printed number closest to ``figure`` (after its ``data-after`` words, if any)."""
    numbers = printed_numbers(text, figure.after)
    return min(numbers, key=lambda n: abs(as_decimal(n) - figure.value)) if numbers else None


def report(lesson: str, missing: list[Figure], mode: str, source: str, text: str) -> str:
    lines = [f"{lesson}: {len(missing)} figure(s) quoted as printed in {mode} mode are not in {source}:"]
    lines += [f"  {f.text} (markdown cell {f.cell}; the closest printed number: {nearest_printed(f, text)})"
              for f in missing]
    lines.append("Quote what the cells print now, or fix the cell; see autograder/quoted_figures.py.")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- full-mode records

def master_of(name: str) -> Path:
    """The master of a lesson (``03_blur``) or of an appendix (``appendix_03_tone_curve``)."""
    return next((path for path in appendices() if path.stem == name), None) or lesson_named(name).master


def record_path(lesson: str) -> Path:
    return FULL_RECORDS / f"{lesson}.txt"


def read_record(lesson: str) -> str:
    """The text outputs of the stored full-mode run of ``lesson``, without its header."""
    text = record_path(lesson).read_text(encoding="utf-8")
    return text.split("\n\n", 1)[1] if text.startswith("#") else text


def check_full_record(lesson: str) -> tuple[list[Figure], list[Figure], int]:
    """Full-mode figures of ``lesson`` missing from its record, skipped ones, and how many were checked."""
    quoted = figures(read_notebook(master_of(lesson)))
    full = [f for f in quoted if "full" in f.modes]
    if not full:
        return [], [], 0
    missing, skipped = unmatched(quoted, read_record(lesson), "full")
    return missing, skipped, len(full) - len(skipped)


def record_full(lesson: str) -> Path:
    """Run the master of ``lesson`` in full mode (nbclient, a fresh kernel) and store its text outputs."""
    import os

    from nbclient import NotebookClient

    master = master_of(lesson)
    nb = read_notebook(master)
    # Cells nbval skips (the hand-in export, which asks for a student id) are not run here either.
    nb.cells = [c for c in nb.cells if "nbval-skip" not in c.metadata.get("tags", [])]
    os.environ.update(COURSE_MODE="full", MPLBACKEND="Agg")
    started = datetime.datetime.now(datetime.timezone.utc)
    # Cells nbval skips (the hand-in cell asks for a student id) are skipped here too.
    NotebookClient(nb, timeout=3600, kernel_name="python3", skip_cells_with_tag="nbval-skip",
                   resources={"metadata": {"path": str(master.parent)}}).execute()
    minutes = (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds() / 60
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = "?"
    header = (f"# Text outputs of solutions/{master.name} run in full mode, {started:%Y-%m-%d %H:%M} UTC, "
              f"{minutes:.1f} min, on commit {commit} plus the working tree,\n"
              f"# AECOURSE_DATA_DIR={os.environ.get('AECOURSE_DATA_DIR', '(unset: downloads)')}. "
              f"Refresh: python -m autograder.quoted_figures --record-full {lesson}\n")
    body = "\n".join(f"--- cell {i}\n{output_text(c.outputs)}" for i, c in enumerate(nb.cells)
                     if c.cell_type == "code" and output_text(c.outputs).strip())
    path = record_path(lesson)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n" + body + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record-full", nargs="+", metavar="LESSON",
                        help="run these masters (e.g. 04_vae) in full mode and store their outputs")
    args = parser.parse_args(argv)
    for lesson in args.record_full or []:
        path = record_full(lesson)
        missing, skipped, checked = check_full_record(lesson)
        print(f"wrote {path.relative_to(REPO)}: {checked - len(missing)} of {checked} full-mode figures found"
              + (f", {len(skipped)} lab-sample figures not checkable on this data" if skipped else ""))
        if missing:
            print(report(lesson, missing, "full", str(path.relative_to(REPO)), read_record(lesson)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

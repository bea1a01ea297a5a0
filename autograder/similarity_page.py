"""``similarity.html``: the pairs of students with the same or nearly the same answer, cells side by side.

Information for the instructor, never a penalty (the grades are what the tests gave).
The pairs come from :mod:`autograder.class_similarity`; what every student may share
(the exercise's starting cell and the master's solution) is given to it here. In the
cells shown, lines that are also in the master's cell are greyed: what is left in
black is what the two students wrote their own way.
"""

from __future__ import annotations

import functools
from html import escape
from pathlib import Path

from autograder.class_similarity import Pair, class_pairs
from autograder.notebooks import BEGIN, END, REPO, exercise_cells, lessons, read_notebook
from autograder.student_ids import shown

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 2em; width: 100%; table-layout: fixed; }
td, th { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
pre { margin: 0; font-size: 12px; white-space: pre-wrap; word-break: break-all; }
.master { color: #aaa; }
"""


@functools.lru_cache(maxsize=1)
def shared_cells() -> dict[tuple[str, str], list[str]]:
    """(lesson, exercise) -> [the student's starting cell, the master's cell]: what anyone may hand in."""
    shared = {}
    for lesson in lessons():
        master = exercise_cells(read_notebook(lesson.master))
        student_path = REPO / "lessons" / f"{lesson.name}.ipynb"
        starting = exercise_cells(read_notebook(student_path)) if student_path.exists() else {}
        for exercise, source in master.items():
            solution = "\n".join(l for l in source.splitlines() if l.strip() not in (BEGIN, END))
            shared[(lesson.name, exercise)] = [starting.get(exercise, ""), solution]
    return shared


def _cell_html(source: str, master: str) -> str:
    in_master = {line.strip() for line in master.splitlines() if line.strip()}
    return "<pre>" + "\n".join(
        f"<span class='master'>{escape(shown(line))}</span>" if line.strip() in in_master else escape(shown(line))
        for line in source.splitlines()) + "</pre>"


def page(pairs: list[Pair], cells: dict[str, dict[tuple[str, str], str]], students: int) -> str:
    shared = shared_cells()
    parts = [f"<h1>Similar answers: {len(pairs)} pair(s) among {students} student(s)</h1>",
             "<p>Pairs of students whose cells for one exercise share at least half of what either wrote "
             "differently from the reference solution, after names, comments, layout and literals are set aside. "
             "Information for you, not a penalty: the grades are what the tests gave. Two students who both "
             "handed in the reference's own code are not listed here (see the notes for the instructor). "
             "Grey lines are in the reference solution too.</p>"]
    for pair in pairs:
        master = shared.get((pair.lesson, pair.exercise), ["", ""])[1]
        parts.append(
            f"<h2>{escape(pair.lesson)} / {escape(pair.exercise)}: {escape(shown(pair.first))} and "
            f"{escape(shown(pair.second))} ({100 * pair.share:.0f} % shared, {pair.shared_tokens} tokens)</h2>"
            f"<table><tr><th>{escape(shown(pair.first))}</th><th>{escape(shown(pair.second))}</th></tr><tr>"
            f"<td>{_cell_html(cells[pair.first][(pair.lesson, pair.exercise)], master)}</td>"
            f"<td>{_cell_html(cells[pair.second][(pair.lesson, pair.exercise)], master)}</td></tr></table>")
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Similar answers</title>"
            f"<style>{STYLE}</style></head><body>{''.join(parts)}</body></html>\n")


def write_similarity_report(out: Path, submissions) -> tuple[Path, int]:
    """``out/similarity.html`` for the graded ``submissions``; its path and how many pairs it shows."""
    cells = {s.name: {(lesson, exercise): source for lesson, by_exercise in s.cells.items()
                      for exercise, source in by_exercise.items()} for s in submissions}
    path = Path(out) / "similarity.html"
    try:
        pairs = class_pairs(cells, shared_cells()) if len(cells) > 1 else []
        html = page(pairs, cells, len(cells))
    except Exception as error:  # the grades stand without it: say so instead of stopping the run
        path.write_text(f"<!doctype html><meta charset='utf-8'><title>Similar answers</title><p>The comparison "
                        f"could not run ({escape(type(error).__name__)}: {escape(str(error))}); nothing is known "
                        "either way.</p>\n", encoding="utf-8")
        return path, 0
    path.write_text(html, encoding="utf-8")
    return path, len(pairs)

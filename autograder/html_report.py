"""HTML pages for people: one per student (scores, messages, what their model drew) and one for the class.

``feedback/<student>.html`` is self-contained (pictures inlined), to send to the
student as it is. ``class_report.html`` shows, per exercise, how the class
scored, and every student's pictures as thumbnails linking to their page.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from autograder import answer_blocks, class_overview
from autograder.grading import StudentResult
from autograder.report import decision_line, feedback_lines, fmt, pictures_html
from autograder.student_ids import safe_name, shown

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 70em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0; }
td, th { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
.full { background: #e8f5e9; } .part { background: #fff8e1; } .none { background: #ffebee; }
figure { margin: 0.5em 0 1.5em; } figcaption { font-weight: bold; margin-bottom: 0.3em; }
img { image-rendering: pixelated; max-width: 44vw; height: auto; }
.thumbs img { height: 160px; margin: 2px; border: 1px solid #ccc; }
.bar { display: inline-block; background: #5c6bc0; height: 0.9em; }
.instructor { background: #e3f2fd; padding: 0.3em 0.6em; }
""" + answer_blocks.STYLE + class_overview.STYLE


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>{body}</body></html>\n")


def _kind(score: float, maximum: float) -> str:
    return "full" if maximum and score >= maximum else ("none" if score <= 0 else "part")


def student_page(result: StudentResult, cells: dict[tuple[str, str], str] | None = None) -> str:
    """``cells``: (lesson, exercise) -> the cell graded, shown beside its verdicts."""
    parts = [f"<h1>{escape(shown(result.name))}: {fmt(result.score)}/{fmt(result.max_score)} points "
             f"({result.percent:.1f} %)</h1>"]
    parts += [f"<p>Note: {escape(shown(note))}</p>" for note in result.notes]
    parts += [f"<p class='instructor'>For the instructor: {escape(shown(note))}</p>" for note in result.instructor_notes]
    parts.append("<table><tr><th>lesson</th><th>exercise</th><th>points</th><th>what to fix</th></tr>")
    for exercise in result.exercises:
        lines = "".join(f"<li>{escape(line)}</li>" for line in feedback_lines(exercise))
        parts.append(f"<tr class='{_kind(exercise.score, exercise.max_score)}'><td>{escape(exercise.lesson)}</td>"
                     f"<td>{escape(exercise.exercise)}</td><td>{fmt(exercise.score)}/{fmt(exercise.max_score)}</td>"
                     f"<td>{'<ul>' + lines + '</ul>' if lines else 'all passed'}</td></tr>")
    parts.append("</table>")
    for exercise in result.exercises:
        if exercise.pictures:
            parts.append(f"<h2>{escape(exercise.exercise)}: what your model drew</h2>{pictures_html(exercise)}")
    parts.append(answer_blocks.answers_html(result.exercises, cells or {}))
    return _page(f"{shown(result.name)}: feedback", "\n".join(parts))


def class_page(results: list[StudentResult], pages: dict[str, str], similar_pairs: int | None = None,
               stamp: dict[str, str] | None = None) -> str:
    """``pages``: student name -> the relative link of their page; ``similar_pairs``: how many similarity.html
    shows; ``stamp``: what identifies the run (:func:`autograder.class_overview.stamp`)."""
    parts = [f"<h1>Class report: {len(results)} student(s)</h1>", class_overview.stamp_html(stamp)]
    if similar_pairs is not None:
        parts.append(f"<p class='instructor'><a href='similarity.html'>Similar answers</a>: {similar_pairs} pair(s) "
                     "of students with the same or nearly the same cell (information, not a penalty)</p>")
    exercises = []
    for result in results:
        for exercise in result.exercises:
            if (exercise.lesson, exercise.exercise) not in exercises:
                exercises.append((exercise.lesson, exercise.exercise))
    parts.append("<h2>Scores per exercise</h2><table><tr><th>exercise</th><th>full</th><th>partial</th>"
                 "<th>none</th><th>mean</th><th></th></tr>")
    for lesson, name in exercises:
        graded = [e for r in results for e in r.exercises if (e.lesson, e.exercise) == (lesson, name)]
        counts = {k: sum(1 for e in graded if _kind(e.score, e.max_score) == k) for k in ("full", "part", "none")}
        mean = sum(e.score / e.max_score for e in graded if e.max_score) / max(1, len(graded))
        parts.append(f"<tr><td>{escape(lesson)} / {escape(name)}</td><td>{counts['full']}</td>"
                     f"<td>{counts['part']}</td><td>{counts['none']}</td><td>{100 * mean:.0f} %</td>"
                     f"<td><span class='bar' style='width:{int(200 * mean)}px'></span></td></tr>")
    parts.append("</table>")
    parts.append(class_overview.common_failures_html(results))
    parts.append(class_overview.grid_html(results, pages))
    parts.append("<h2>Students</h2><table><tr><th>student</th><th>score</th><th>what their models drew</th></tr>")
    for result in sorted(results, key=lambda r: r.name):
        thumbs = "".join(f"<img alt='{escape(e.exercise)}: {escape(p['title'])}' title='{escape(e.exercise)}: "
                         f"{escape(p['title'])}' src='data:image/png;base64,{p['png']}'>"
                         for e in result.exercises for p in e.pictures)
        link = pages.get(result.name, "#")
        parts.append(f"<tr><td><a href='{escape(link)}'>{escape(shown(result.name))}</a></td>"
                     f"<td>{result.percent:.1f} %</td><td class='thumbs'><a href='{escape(link)}'>{thumbs}</a></td></tr>")
    parts.append("</table>")
    noted = [(result, note) for result in sorted(results, key=lambda r: r.name) for note in result.instructor_notes]
    if noted:  # information, not penalties: the scores above are what the tests gave
        parts.append("<h2>Notes for the instructor</h2><ul>" + "".join(
            f"<li><a href='{escape(pages.get(result.name, '#'))}'>{escape(shown(result.name))}</a>: "
            f"{escape(shown(note))}</li>" for result, note in noted) + "</ul>")
    decided = [(result, exercise) for result in sorted(results, key=lambda r: r.name)
               for exercise in result.exercises if exercise.override is not None]
    if decided:  # the scores above include them (autograder.overrides)
        parts.append("<h2>Instructor's decisions</h2><ul>" + "".join(
            f"<li class='instructor'><a href='{escape(pages.get(result.name, '#'))}'>{escape(shown(result.name))}</a> / "
            f"{escape(exercise.exercise)}: {escape(shown(decision_line(exercise)))}</li>"
            for result, exercise in decided) + "</ul>")
    return _page("Class report", "\n".join(parts))


def write_pages(out: Path, results: list[StudentResult], similar_pairs: int | None = None,
                cells: dict[str, dict[tuple[str, str], str]] | None = None, stamp: dict[str, str] | None = None) -> Path:
    """feedback/<student>.html for each student and class_report.html; returns the class report's path.

    ``cells``: student -> (lesson, exercise) -> the cell graded, for the feedback pages.
    """
    folder = Path(out) / "feedback"
    folder.mkdir(parents=True, exist_ok=True)
    pages = {}
    for result in results:  # ids are unique once made file names (discovery): no two share a page
        path = folder / f"{safe_name(result.name)}.html"
        path.write_text(student_page(result, (cells or {}).get(result.name)), encoding="utf-8")
        pages[result.name] = f"feedback/{path.name}"
    report = Path(out) / "class_report.html"
    report.write_text(class_page(results, pages, similar_pairs, stamp), encoding="utf-8")
    return report

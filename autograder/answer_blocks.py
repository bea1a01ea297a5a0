"""The student's own exercise cells on their feedback page, each with its verdicts beside it.

As nbgrader's ``generate_feedback`` shows a student their notebook with the grades in
it: for every graded exercise, the cell the grader graded (highlighted by Pygments,
which escapes it) on the left; on the right the points, every hidden test with its
verdict and message, and what ``check()`` says (the public checks the grader ran).
Cells are what the student wrote: shown as text, never run or trusted.
"""

from __future__ import annotations

from html import escape

from autograder.grading import ExerciseResult
from autograder.report import decision_line, fmt
from autograder.student_ids import shown

MAX_SHOWN_CHARS = 20_000   # a cell longer than this is cut, with a note: a page is for reading

STYLE = """
.answer { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 1em; margin: 0.5em 0 2em; }
.answer pre { margin: 0; font-size: 12px; white-space: pre-wrap; word-break: break-word; background: #f8f8f8;
              padding: 0.5em; border: 1px solid #ddd; }
.verdicts { list-style: none; padding-left: 0; margin: 0; }
.verdicts li { margin: 0.2em 0; } .ok::before { content: "✓ "; color: #2e7d32; }
.ko::before { content: "✗ "; color: #c62828; } .msg { color: #555; display: block; margin-left: 1.2em; }
"""


def highlighted(source: str) -> str:
    """``source`` as escaped, highlighted HTML (plain escaped text if Pygments is missing)."""
    # Line by line through shown(): control characters and terminal escapes become visible escapes.
    shown_source = "\n".join(shown(line.expandtabs(4)) for line in source[:MAX_SHOWN_CHARS].split("\n"))
    cut = "" if len(source) <= MAX_SHOWN_CHARS else f"\n# ... {len(source) - MAX_SHOWN_CHARS} more characters not shown"
    try:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer
    except ImportError:
        return f"<pre>{escape(shown_source + cut)}</pre>"
    return highlight(shown_source + cut, PythonLexer(), HtmlFormatter(nowrap=False, noclasses=True))


def _message(text: str) -> str:
    """A verdict's message, its lines kept as lines (each one escaped and made printable)."""
    return "<br>".join(escape(shown(line)) for line in str(text).splitlines())


def _verdicts(exercise: ExerciseResult) -> str:
    items = []
    if exercise.override is not None:
        items.append(f"<li class='instructor'>{escape(shown(decision_line(exercise)))}</li>")
    for test in exercise.tests:
        passed = test.score >= test.points
        message = "" if passed else f"<span class='msg'>{_message(test.message)}</span>"
        items.append(f"<li class='{'ok' if passed else 'ko'}'>{escape(test.title)} "
                     f"({fmt(test.score)}/{fmt(test.points)}){message}</li>")
    public = "".join(
        f"<li class='{'ok' if c.passed else 'ko'}'>{escape(c.title)}"
        f"{'' if c.passed else f'<span class=msg>{_message(c.message)}</span>'}</li>"
        for c in exercise.public)
    return (f"<p><b>{fmt(exercise.score)}/{fmt(exercise.max_score)} points</b></p>"
            f"<ul class='verdicts'>{''.join(items)}</ul>"
            + (f"<p>What <code>check(\"{escape(exercise.exercise)}\")</code> says:</p>"
               f"<ul class='verdicts'>{public}</ul>" if public else ""))


def answers_html(exercises: list[ExerciseResult], cells: dict[tuple[str, str], str]) -> str:
    """One block per graded exercise: the student's cell and its verdicts (no block without a cell)."""
    blocks = []
    for exercise in exercises:
        source = cells.get((exercise.lesson, exercise.exercise))
        if source is None:
            continue
        blocks.append(f"<h3 id='{escape(exercise.exercise)}'>{escape(exercise.lesson)} / {escape(exercise.exercise)}</h3>"
                      f"<div class='answer'><div>{highlighted(source)}</div><div>{_verdicts(exercise)}</div></div>")
    if not blocks:
        return ""
    return "<h2>Your answers, test by test</h2>" + "".join(blocks)

"""What the class report shows at a glance: what the class got wrong, who got what, and how it was graded.

* :func:`common_failures_html`: the hidden tests failed by most students, each with its
  most frequent message and how many students hit it: where to spend the next lecture.
  Messages that differ only in their numbers ("expected 0.25, got 0.31" and "..., got 0.29")
  are one message (:func:`message_pattern`), shown by one real example.
* :func:`grid_html`: a student x exercise grid of points, coloured, each cell linking to
  the student's answer on their feedback page.
* :func:`stamp_html`: when, with which grader (commit), in which mode, with which seed and
  which sandbox protections the run graded: two reports can be compared only if these agree.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections import Counter
from datetime import datetime, timezone
from html import escape
from pathlib import Path

from autograder.grading import StudentResult
from autograder.report import fmt
from autograder.student_ids import shown

SHOWN_FAILURES = 12
REPO = Path(__file__).resolve().parent.parent

STYLE = """
table.grid { font-size: 0.85em; } .grid td { text-align: center; min-width: 2em; } .grid th.exercise { writing-mode: vertical-rl; transform: rotate(180deg); }
.stamp { color: #555; font-size: 0.9em; }
"""


# A number standing alone (not the 3 of "3x3", "conv2d" or "04_vae"): what changes from one student to the next.
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?(?!\w|\.\d)")


def _kind(score: float, maximum: float) -> str:
    return "full" if maximum and score >= maximum else ("none" if score <= 0 else "part")


def message_pattern(message: str) -> str:
    """``message`` with each number masked by ``#``: the failure it reports, whatever values this student's code gave."""
    return NUMBER.sub("#", message)


class _Messages:
    """Messages counted by their pattern, each pattern shown by the first real message that had it."""

    def __init__(self):
        self.counts: Counter = Counter()
        self.examples: dict[str, str] = {}

    def add(self, message: str) -> None:
        pattern = message_pattern(message)
        self.counts[pattern] += 1
        self.examples.setdefault(pattern, message)

    def most_common(self) -> tuple[str, int]:
        """The most frequent failure's example message and how many had it."""
        pattern, times = self.counts.most_common(1)[0]
        return self.examples[pattern], times


def common_failures_html(results: list[StudentResult]) -> str:
    """The hidden tests most students failed, with the message most of them got.

    An exercise whose every test failed with one message (not handed in, not implemented,
    a cell that raised on import) is one failure of the exercise, not a dozen of its tests:
    those are counted apart, by exercise and message.
    """
    students: Counter = Counter()
    messages: dict[tuple[str, str, str], _Messages] = {}
    whole: Counter = Counter()
    whole_examples: dict[tuple[str, str, str], str] = {}
    for result in results:
        for exercise in result.exercises:
            failed = [t for t in exercise.tests if t.score < t.points]
            # Every test of one student failing with the very same message: one reason. (Different tests whose
            # messages merely share a pattern, 'the check `# == #` failed', are different failures.)
            if failed and len(failed) == len(exercise.tests) and len({t.message for t in failed}) == 1:
                message = shown(failed[0].message)[:300]
                key = (exercise.lesson, exercise.exercise, message_pattern(message))
                whole[key] += 1
                whole_examples.setdefault(key, message)
                continue
            for test in failed:
                key = (exercise.lesson, exercise.exercise, test.title)
                students[key] += 1
                messages.setdefault(key, _Messages()).add(shown(test.message)[:300])
    parts = []
    if students:
        rows = []
        for key, count in students.most_common(SHOWN_FAILURES):
            message, times = messages[key].most_common()
            rows.append(f"<tr><td>{count}</td><td>{escape(key[0])} / {escape(key[1])}</td><td>{escape(key[2])}</td>"
                        f"<td>{escape(message)}{f' ({times} of them)' if times != count else ''}</td></tr>")
        parts.append("<h2>What the class got wrong most often</h2><table><tr><th>students</th><th>exercise</th>"
                     "<th>test</th><th>most frequent message</th></tr>" + "".join(rows) + "</table>")
    if whole:
        rows = [f"<tr><td>{count}</td><td>{escape(key[0])} / {escape(key[1])}</td>"
                f"<td>{escape(whole_examples[key])}</td></tr>" for key, count in whole.most_common(SHOWN_FAILURES)]
        parts.append("<h2>Exercises that scored nothing for one reason</h2><table><tr><th>students</th>"
                     "<th>exercise</th><th>why</th></tr>" + "".join(rows) + "</table>")
    return "".join(parts)


def grid_html(results: list[StudentResult], pages: dict[str, str]) -> str:
    """Students down, exercises across, points in each cell."""
    exercises = []
    for result in results:
        for exercise in result.exercises:
            if (exercise.lesson, exercise.exercise) not in exercises:
                exercises.append((exercise.lesson, exercise.exercise))
    if not exercises:
        return ""
    head = "".join(f"<th class='exercise' title='{escape(lesson)}'>{escape(name)}</th>" for lesson, name in exercises)
    rows = []
    for result in sorted(results, key=lambda r: r.name):
        link = pages.get(result.name, "#")
        by_key = {(e.lesson, e.exercise): e for e in result.exercises}
        cells = []
        for key in exercises:
            graded = by_key.get(key)
            if graded is None:
                cells.append("<td></td>")
                continue
            cells.append(f"<td class='{_kind(graded.score, graded.max_score)}'><a href='{escape(link)}#"
                         f"{escape(key[1])}'>{fmt(graded.score)}</a></td>")
        rows.append(f"<tr><td><a href='{escape(link)}'>{escape(shown(result.name))}</a></td>"
                    f"<td>{result.percent:.0f} %</td>{''.join(cells)}</tr>")
    return (f"<h2>Every student, every exercise</h2><table class='grid'><tr><th>student</th><th>total</th>{head}</tr>"
            + "".join(rows) + "</table>")


def _commit() -> str:
    try:
        run = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    if run.returncode != 0:
        return "unknown (not a git checkout)"
    return run.stdout.strip() + (" with local changes" if dirty.stdout.strip() else "")


def stamp(seed: int, protections: str) -> dict[str, str]:
    """What identifies a grading run, for the class report."""
    return {"graded": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "grader commit": _commit(),
            "mode": os.environ.get("COURSE_MODE", "full"),
            "seed": str(seed),
            "protections": protections}


def stamp_html(values: dict[str, str] | None) -> str:
    if not values:
        return ""
    return "<p class='stamp'>" + " · ".join(f"{escape(k)}: {escape(shown(v))}" for k, v in values.items()) + "</p>"

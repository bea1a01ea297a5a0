"""Make the student notebooks (``lessons/``) from the masters (``solutions/``).

``make lessons`` runs this. Every cell is copied as it is, except that in an
exercise cell each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block becomes
one ``raise NotImplementedError`` line at the same indentation, and outputs are
cleared. A ``# From lesson NN: name, ...`` cell (earlier exercises reused) holds no
solution: it runs the student's own earlier answers, and is copied as it is. In a markdown cell
each ``### BEGIN ANSWER`` ... ``### END ANSWER`` region (a worked answer to an
end-of-lesson question, each marker alone on its line) becomes one placeholder line
at the same indentation; ``solutions/ANSWERS.md``, the instructors' list of those
answers, is generated from the same regions. ``python -m autograder.assign --check``
exits 1 when ``lessons/`` or ``ANSWERS.md`` is out of date (the project's tests run
the same comparison). Under each lesson's title it adds the cell that sets a Google
Colab machine up (:mod:`autograder.colab`), which does nothing elsewhere.

It never destroys work it did not generate. Each notebook it writes carries,
in its metadata (``aecourse.generated``), the sha256 of its cells as written.
Before overwriting or removing a file in ``lessons/`` it checks that the file
is still exactly what it wrote (or what it would write now, or what git has
committed); a hand-edited
notebook, or one it never wrote (``lessons/07_my_new_lesson.ipynb``), makes it
stop and name the files. ``--force`` goes ahead and keeps each such file as
``NAME.ipynb.bak`` first.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

from autograder.colab import colab_cell
from autograder.notebooks import (BEGIN, END, REPO, NotebookError, appendices, exercise_name, lessons,
                                  read_notebook)
from autograder.quick_nbformat import nbformat

LESSONS = REPO / "lessons"
ANSWERS = REPO / "solutions" / "ANSWERS.md"
BEGIN_ANSWER, END_ANSWER = "### BEGIN ANSWER", "### END ANSWER"
ANSWER_PLACEHOLDER = "*Your answer:* …"
QUESTION = re.compile(r"^(\d+)\. ", re.M)


def stub_message(exercise: str) -> str:
    return (f"Exercise '{exercise}' is yours to write: replace this line with your code, "
            f"run the cell, then run check('{exercise}').")


def strip_solutions(source: str, exercise: str) -> str:
    """Replace every solution block of one exercise cell with a NotImplementedError stub."""
    out, inside = [], False
    for number, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise NotebookError(f"exercise {exercise}: nested {BEGIN} at line {number}")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}raise NotImplementedError({stub_message(exercise)!r})")
        elif marker == END:
            if not inside:
                raise NotebookError(f"exercise {exercise}: {END} without {BEGIN} at line {number}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise NotebookError(f"exercise {exercise}: {BEGIN} is never closed")
    return "\n".join(out)


def answer_regions(source: str) -> list[tuple[int, int]]:
    """(first, last) line numbers, 0-based, of each answer region of a markdown cell, markers included."""
    regions, start = [], None
    for number, line in enumerate(source.splitlines()):
        marker = line.strip()
        if marker == BEGIN_ANSWER:
            if start is not None:
                raise NotebookError(f"nested {BEGIN_ANSWER} at line {number + 1}")
            start = number
        elif marker == END_ANSWER:
            if start is None:
                raise NotebookError(f"{END_ANSWER} without {BEGIN_ANSWER} at line {number + 1}")
            regions.append((start, number))
            start = None
    if start is not None:
        raise NotebookError(f"{BEGIN_ANSWER} at line {start + 1} is never closed")
    return regions


def strip_answers(source: str) -> str:
    """Replace every worked-answer region of a markdown cell with one placeholder line."""
    lines = source.splitlines()
    for first, last in reversed(answer_regions(source)):
        indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
        lines[first:last + 1] = [indent + ANSWER_PLACEHOLDER]
    return "\n".join(lines)


def worked_answers(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """(question number, answer text without its indentation) of each answer region, in order.

    The number is that of the closest numbered list item above the region (``2. ...``).
    """
    found = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.splitlines()
        for first, last in answer_regions(cell.source):
            above = QUESTION.findall("\n".join(lines[:first]))
            if not above:
                raise NotebookError(f"an answer region (line {first + 1}) under no numbered question")
            body = lines[first + 1:last]
            indent = min((len(l) - len(l.lstrip()) for l in body if l.strip()), default=0)
            found.append((above[-1], "\n".join(l[indent:] for l in body).strip("\n")))
    return found


ANSWERS_HEADER = """# Worked answers to the end-of-lesson questions (instructors only)

Generated by `make lessons` from the masters, where each answer sits under its question
between `### BEGIN ANSWER` and `### END ANSWER` (the students' notebooks get a placeholder
there): edit the masters, not this file. Like the rest of `solutions/`, do not hand it out.
"""


def rendered_answers() -> str:
    """The exact text of solutions/ANSWERS.md: every lesson's worked answers, by question number."""
    parts = [ANSWERS_HEADER]
    for lesson in lessons():
        answers = worked_answers(read_notebook(lesson.master))
        if not answers:
            continue
        items = []
        for number, text in answers:
            first, *rest = text.splitlines()
            indent = " " * (len(number) + 2)
            items.append(f"{number}. {first}" + "".join(f"\n{indent}{l}" if l.strip() else "\n" for l in rest))
        parts.append(f"## {lesson.name}\n\n" + "\n".join(items) + "\n")
    return "\n".join(parts)


def student_version(master: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = copy.deepcopy(master)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and BEGIN_ANSWER in cell.source:
            cell.source = strip_answers(cell.source)
        if cell.cell_type != "code":
            if BEGIN in cell.source:
                raise NotebookError(f"a solution block in a markdown cell (use {BEGIN_ANSWER}): {cell.source[:60]!r}")
            continue
        if BEGIN_ANSWER in cell.source:
            raise NotebookError(f"an answer region in a code cell (use {BEGIN}): {cell.source[:60]!r}")
        cell.outputs = []
        cell.execution_count = None
        name = exercise_name(cell.source)
        if name:
            if BEGIN not in cell.source:
                raise NotebookError(f"exercise {name} has no {BEGIN} block: its solution would leak")
            cell.source = strip_solutions(cell.source, name)
        elif BEGIN in cell.source:
            raise NotebookError(f"a solution block outside an exercise cell: {cell.source[:60]!r}")
    nb.cells.insert(1, colab_cell(master))  # right under the title: what a Colab user runs first
    nbformat.validate(nb)
    return nb


STAMP = "aecourse"  # notebook metadata key: {"generated": {"by": ..., "master": ..., "cells_sha256": ...}}


def cells_digest(nb: nbformat.NotebookNode) -> str:
    """sha256 of a notebook's cells (sources, outputs, cell metadata): what a hand edit changes."""
    return hashlib.sha256(json.dumps(nb.cells, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def stamped(nb: nbformat.NotebookNode, master_name: str) -> nbformat.NotebookNode:
    nb.metadata[STAMP] = {"generated": {"by": "make lessons (python -m autograder.assign)",
                                        "master": f"solutions/{master_name}", "cells_sha256": cells_digest(nb)}}
    return nb


def rendered_lessons() -> dict[Path, str]:
    """Lesson (and appendix) path -> the exact text ``make lessons`` writes."""
    masters = [lesson.master for lesson in lessons()] + appendices()
    return {LESSONS / master.name: nbformat.writes(stamped(student_version(read_notebook(master)), master.name)) + "\n"
            for master in masters}


def is_ours(path: Path, fresh_text: str | None = None) -> bool:
    """The file is what this script generated (its stamp still matches its cells) or would generate now."""
    try:
        text = path.read_text(encoding="utf-8")
        if text == fresh_text:
            return True
        nb = nbformat.reads(text, as_version=4)
    except Exception:  # unreadable: certainly not a notebook we wrote as it is
        return False
    stamp = nb.metadata.get(STAMP, {}).get("generated", {})
    if stamp.get("cells_sha256") == cells_digest(nb):
        return True
    if fresh_text is not None and cells_digest(nb) == cells_digest(nbformat.reads(fresh_text, as_version=4)):
        return True
    return committed_unchanged(path)


def committed_unchanged(path: Path) -> bool:
    """git holds this exact file (tracked, no local change), so overwriting it loses nothing.

    Lessons generated before the stamp existed are recognised this way.
    """
    def git(*args: str) -> bool:
        try:
            return subprocess.run(["git", *args], cwd=path.parent, capture_output=True, timeout=30).returncode == 0
        except (OSError, subprocess.SubprocessError):
            return False

    return git("ls-files", "--error-unmatch", path.name) and git("diff", "--quiet", "HEAD", "--", path.name)


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def backup(path: Path) -> Path:
    target = path.with_name(path.name + ".bak")
    n = 1
    while target.exists():
        target, n = path.with_name(f"{path.name}.bak{n}"), n + 1
    path.rename(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether lessons/ and ANSWERS.md are up to date")
    parser.add_argument("--force", action="store_true",
                        help="overwrite or remove hand-edited and foreign notebooks, keeping each as NAME.bak first")
    args = parser.parse_args(argv)
    rendered = rendered_lessons()
    stale = [path for path, text in rendered.items()
             if not path.exists() or path.read_text(encoding="utf-8") != text]
    orphans = sorted(p for p in LESSONS.glob("[0-9][0-9]_*.ipynb") if p not in rendered)
    answers = rendered_answers()
    if not ANSWERS.exists() or ANSWERS.read_text(encoding="utf-8") != answers:
        stale.append(ANSWERS)
    if args.check:
        for path in stale + orphans:
            print(f"out of date: {_shown(path)} (run `make lessons`)")
        return 1 if stale or orphans else 0
    # ANSWERS.md carries no stamp: it is ours when git holds it unchanged (a hand edit is refused).
    foreign = [p for p in stale if p.exists() and not (committed_unchanged(p) if p == ANSWERS else is_ours(p, rendered[p]))]
    foreign += [p for p in orphans if not is_ours(p)]
    if foreign and not args.force:
        print("make lessons: refusing to touch these files, which it did not generate or which were edited by hand:",
              file=sys.stderr)
        for path in foreign:
            what = "has no master in solutions/ (it would be removed)" if path in orphans else "differs from what make lessons wrote"
            print(f"  {_shown(path)}: {what}", file=sys.stderr)
        print("Move your work to solutions/ (the masters) or elsewhere, or run "
              "`python -m autograder.assign --force` to go ahead with a .bak copy of each.", file=sys.stderr)
        return 1
    for path in foreign:
        print(f"kept a copy of {_shown(path)} as {_shown(backup(path))}")
    for path in orphans:
        if path.exists():
            path.unlink()
            print(f"removed {_shown(path)} (generated earlier; its master is gone)")
    for path in stale:
        path.write_text(answers if path == ANSWERS else rendered[path], encoding="utf-8")
        print(f"wrote {_shown(path)}")
    print(f"lessons/ is up to date ({len(lessons())} notebooks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

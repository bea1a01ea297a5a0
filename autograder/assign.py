"""Make the student notebooks (``lessons/``) from the masters (``solutions/``).

``make lessons`` runs this. Every cell is copied as it is, except that in an
exercise cell each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block becomes
one ``raise NotImplementedError`` line at the same indentation, and outputs are
cleared. A ``# From lesson NN: name`` cell (an earlier exercise reused) gets a
stub that asks for the student's own answer to that exercise. ``python -m autograder.assign --check`` exits 1 when ``lessons/`` is out
of date (the project's tests run the same comparison).

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
import subprocess
import sys
from pathlib import Path

from autograder.notebooks import (BEGIN, END, REPO, NotebookError, carried_exercise, exercise_name, lessons,
                                  read_notebook)
from autograder.quick_nbformat import nbformat

LESSONS = REPO / "lessons"


def stub_message(exercise: str) -> str:
    return (f"Exercise '{exercise}' is yours to write: replace this line with your code, "
            f"run the cell, then run check('{exercise}').")


def carried_message(lesson_number: str, exercise: str) -> str:
    return (f"This lesson reuses '{exercise}' from lesson {int(lesson_number)}: replace this line with the "
            f"body of your own solution there, then run the cell.")


def strip_solutions(source: str, exercise: str, message: str | None = None) -> str:
    """Replace every solution block of one exercise cell with a NotImplementedError stub."""
    out, inside = [], False
    for number, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise NotebookError(f"exercise {exercise}: nested {BEGIN} at line {number}")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}raise NotImplementedError({(message or stub_message(exercise))!r})")
        elif marker == END:
            if not inside:
                raise NotebookError(f"exercise {exercise}: {END} without {BEGIN} at line {number}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise NotebookError(f"exercise {exercise}: {BEGIN} is never closed")
    return "\n".join(out)


def student_version(master: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = copy.deepcopy(master)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        cell.execution_count = None
        name, carried = exercise_name(cell.source), carried_exercise(cell.source)
        if carried:
            if BEGIN not in cell.source:
                raise NotebookError(f"the copy of lesson {carried[0]}'s {carried[1]} has no {BEGIN} block")
            cell.source = strip_solutions(cell.source, carried[1], carried_message(*carried))
        elif name:
            if BEGIN not in cell.source:
                raise NotebookError(f"exercise {name} has no {BEGIN} block: its solution would leak")
            cell.source = strip_solutions(cell.source, name)
        elif BEGIN in cell.source:
            raise NotebookError(f"a solution block outside an exercise cell: {cell.source[:60]!r}")
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
    """Lesson path -> the exact text ``make lessons`` writes."""
    return {LESSONS / lesson.master.name:
            nbformat.writes(stamped(student_version(read_notebook(lesson.master)), lesson.master.name)) + "\n"
            for lesson in lessons()}


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
    parser.add_argument("--check", action="store_true", help="only report whether lessons/ is up to date")
    parser.add_argument("--force", action="store_true",
                        help="overwrite or remove hand-edited and foreign notebooks, keeping each as NAME.bak first")
    args = parser.parse_args(argv)
    rendered = rendered_lessons()
    stale = [path for path, text in rendered.items()
             if not path.exists() or path.read_text(encoding="utf-8") != text]
    orphans = sorted(p for p in LESSONS.glob("[0-9][0-9]_*.ipynb") if p not in rendered)
    if args.check:
        for path in stale + orphans:
            print(f"out of date: {_shown(path)} (run `make lessons`)")
        return 1 if stale or orphans else 0
    foreign = [p for p in stale if p.exists() and not is_ours(p, rendered[p])] + [p for p in orphans if not is_ours(p)]
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
        path.write_text(rendered[path], encoding="utf-8")
        print(f"wrote {_shown(path)}")
    print(f"lessons/ is up to date ({len(lessons())} notebooks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

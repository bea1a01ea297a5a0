"""Package the grader for Gradescope: ``python -m autograder.gradescope --out dist/gradescope-autograder.zip``.

Gradescope (https://gradescope-autograders.readthedocs.io/en/latest/specs/)
unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once to build
the image, then ``run_autograder`` once per submission with the student's files
in ``/autograder/submission``; the score goes to
``/autograder/results/results.json``. Each submission runs in its own
container, so a course of any size grades in parallel on Gradescope's side;
one submission takes what it takes here (about two minutes for all six
lessons). Give the assignment at least 2 CPUs and 4 GB of memory in
Gradescope's autograder settings: the grader trains small models.

The zip holds the grader, the hidden tests and thresholds, the master
notebooks (their setup cells and reference cells are part of grading), the
``aecourse`` package and the public checks, and the pinned requirements. It
never goes to students.

``--lessons 04_vae`` makes a one-lesson assignment (the default grades all
lessons, and a missing notebook scores 0 with a clear line).

``run_autograder`` grades with ``--public-checks``: each exercise's public checks
run too and are reported at no points as ``public`` tests, visible at once by
default (:mod:`autograder.public_results`).

``python -m autograder.gradescope`` prints the assignment's total points, the
sum of the hidden tests' points (:func:`total_points`): the number to give the
Gradescope assignment. Students upload the zip that ``public_tests.export``
writes (one zip, every lesson); the grader names them after the student id it holds.

Who sees which result, and when, is the visibility policy packed as
``autograder/visibility.json`` (``--visibility FILE`` packs another one; see
:mod:`autograder.visibility`). ``run_autograder`` sizes the grading jobs and
their memory from the container's cgroup limits (:mod:`autograder.resources`),
not from the host's core count.

Both scripts honour ``AUTOGRADER_ROOT`` (instead of ``/autograder``), so that a
test can lay out a temporary root; ``run_autograder`` also honours
``AUTOGRADER_PYTHON`` (instead of the venv made by setup.sh) and
``AUTOGRADER_ARGS`` (more arguments for ``python -m autograder grade``, e.g. a
few ``--exercise``). ``AUTOGRADER_PREPROVISIONED=1`` makes setup.sh skip apt and
pip (it says so) and use ``AUTOGRADER_PYTHON``, for a machine whose environment
is already built; it still checks the data prefetch.
"""

from __future__ import annotations

import argparse
import shlex
import stat
import sys
import zipfile
from pathlib import Path

from autograder import visibility
from autograder.notebooks import REPO, lessons

# What the zip holds, relative to the repository (folders are walked).
INCLUDE = ["requirements.txt", "requirements.lock", "pyproject.toml", "README.md", "aecourse", "lessons/public_tests", "autograder"]
EXCLUDED_PARTS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
# It installs Python 3.11, bubblewrap (the grader's sandbox), the pinned
# requirements with every transitive dependency held to requirements.lock (PyPI)
# and this project, then downloads the datasets the hidden tests use, so grading
# needs no network.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
cd "$ROOT/source"

if [ "${AUTOGRADER_PREPROVISIONED:-0}" = "1" ]; then
  PY="${AUTOGRADER_PYTHON:?AUTOGRADER_PREPROVISIONED=1 needs AUTOGRADER_PYTHON}"
  echo "setup.sh: AUTOGRADER_PREPROVISIONED=1: skipping apt-get and pip, using the environment of $PY"
else
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends bubblewrap
  if ! command -v python3.11 >/dev/null 2>&1; then
    apt-get install -y --no-install-recommends python3.11 python3.11-venv python3.11-dev
  fi
  python3.11 -m venv "$ROOT/venv"
  PY="$ROOT/venv/bin/python"
  "$PY" -m pip install --quiet --upgrade pip -c requirements.lock
  "$PY" -m pip install --quiet -r requirements.txt -c requirements.lock
  "$PY" -m pip install --quiet --no-deps --no-build-isolation -e .
fi

export AECOURSE_CACHE_DIR="$ROOT/cache"
"$PY" -m autograder.gradescope --prefetch
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this once per submission (working directory /autograder).
# It always leaves a results.json: if the grader itself fails, the student sees
# a message to contact the instructor instead of a bare error.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PY="${AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
export COURSE_MODE=fast
export AECOURSE_CACHE_DIR="${AECOURSE_CACHE_DIR:-$ROOT/cache}"
export MPLBACKEND=Agg
mkdir -p "$ROOT/results"
rm -f "$ROOT/results/results.json"
# Docker's default seccomp profile denies namespaces, so bubblewrap cannot start: each exercise
# then runs under a uid of its own, sealed by Landlock where the kernel has it. File modes close
# the rest: the contestant gets a copy of the course library and needs nothing under these folders.
chmod go-rwx "$ROOT/source" "$ROOT/submission" "$ROOT/results" 2>/dev/null || true
cd "$ROOT/source"
# The container's share of cores and memory (cgroup limits), not the host's nproc and /proc/meminfo.
JOBS="$("$PY" -m autograder.resources cores 2>/dev/null || nproc 2>/dev/null || echo 1)"
MEMORY_MB="$("$PY" -m autograder.resources memory-mb --jobs "$JOBS" 2>/dev/null || echo 2048)"
# shellcheck disable=SC2086  # AUTOGRADER_ARGS is a list of words
"$PY" -m autograder grade "$ROOT/submission" --single --out "$ROOT/grading" --jobs "$JOBS" \
    --memory-mb "$MEMORY_MB" --gradescope-results "$ROOT/results/results.json" --public-checks \
    __LESSONS__ ${AUTOGRADER_ARGS:-}
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
  cat > "$ROOT/results/results.json" <<EOF
{"score": 0, "output": "The autograder could not run (exit status $status). This is not a problem with your notebook's score: please tell your instructor.", "tests": []}
EOF
fi
exit 0
"""


def files_to_pack(root: Path = REPO) -> dict[str, Path]:
    """Archive name -> file on disk."""
    files: dict[str, Path] = {}
    for entry in INCLUDE:
        path = root / entry
        if path.is_file():
            files[entry] = path
        elif path.is_dir():
            for file in sorted(path.rglob("*")):
                relative = file.relative_to(root)
                if file.is_file() and not EXCLUDED_PARTS & set(relative.parts) and file.suffix != ".pyc":
                    files[relative.as_posix()] = file
    for lesson in lessons():
        files[f"solutions/{lesson.master.name}"] = lesson.master
    return files


def _add_script(archive: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFREG | 0o755) << 16  # executable once unzipped
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text)


def build_zip(out: Path, only_lessons: list[str] | None = None, visibility_file: Path | None = None) -> Path:
    known = [l.name for l in lessons()]
    unknown = sorted(set(only_lessons or []) - set(known))
    if unknown:
        raise SystemExit(f"unknown lesson(s): {', '.join(unknown)}; lessons: {', '.join(known)}")
    if visibility_file is not None:
        visibility.load(visibility_file)  # refuse a broken policy now, not at the first submission
    lessons_args = ("--lessons " + " ".join(shlex.quote(l) for l in only_lessons)) if only_lessons else ""
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _add_script(archive, "setup.sh", SETUP_SH)
        _add_script(archive, "run_autograder", RUN_AUTOGRADER.replace("__LESSONS__", lessons_args))
        for name, path in files_to_pack().items():
            if name == "autograder/visibility.json" and visibility_file is not None:
                path = visibility_file
            archive.write(path, name)
        if not (REPO / "README.md").exists():  # pyproject.toml names a readme; pip needs the file
            archive.writestr("README.md", "Autograder for the course 'Generating images with autoencoders'.\n")
    return out


def total_points(only_lessons: list[str] | None = None) -> float:
    """The sum of the hidden tests' points (of these lessons), as the grader collects them."""
    import tempfile

    from autograder.grading import collect_plan
    from autograder.runner import Limits, Runner

    with tempfile.TemporaryDirectory(prefix="autograder-collect-") as logs:
        plan = collect_plan(Runner(Limits()), Path(logs))
    return sum(test.points for lesson, exercises in plan.items() if not only_lessons or lesson in only_lessons
               for tests in exercises.values() for test in tests)


def prefetch() -> None:
    """Download (and verify) what the hidden tests load, into AECOURSE_CACHE_DIR."""
    from aecourse.classifier import load_reference_classifier
    from aecourse.datasets import load_cats, load_mnist

    load_mnist()
    print(load_cats().description)
    load_reference_classifier()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "dist" / "gradescope-autograder.zip")
    parser.add_argument("--lessons", nargs="+", help="grade only these lessons (a one-lesson assignment)")
    parser.add_argument("--visibility", type=Path, metavar="FILE",
                        help="the visibility policy to pack (default autograder/visibility.json)")
    parser.add_argument("--prefetch", action="store_true", help="(setup.sh) download the datasets and exit")
    args = parser.parse_args(argv)
    if args.prefetch:
        prefetch()
        return 0
    try:
        out = build_zip(args.out, args.lessons, args.visibility)
    except visibility.VisibilityError as error:
        print(f"gradescope: {error}", file=sys.stderr)
        return 2
    with zipfile.ZipFile(out) as archive:
        count = len(archive.namelist())
    print(f"wrote {out} ({count} files, {out.stat().st_size / 2**20:.1f} MB); upload it as the autograder of a "
          "Gradescope programming assignment (at least 2 CPUs, 4 GB memory)")
    print(f"the assignment's total points: {total_points(args.lessons):g}; students upload the zip "
          "public_tests.export writes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

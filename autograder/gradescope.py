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

For testing, ``run_autograder`` honours ``AUTOGRADER_ROOT`` (instead of
``/autograder``) and ``AUTOGRADER_PYTHON`` (instead of the venv made by setup.sh).
"""

from __future__ import annotations

import argparse
import shlex
import stat
import sys
import zipfile
from pathlib import Path

from autograder.notebooks import REPO, lessons

# What the zip holds, relative to the repository (folders are walked).
INCLUDE = ["requirements.txt", "pyproject.toml", "README.md", "aecourse", "lessons/public_tests", "autograder"]
EXCLUDED_PARTS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
# It installs Python 3.11, the pinned requirements (PyPI) and this project,
# then downloads the datasets the hidden tests use, so grading needs no network.
set -euo pipefail
cd /autograder/source

if ! command -v python3.11 >/dev/null 2>&1; then
  apt-get install -y python3.11 python3.11-venv python3.11-dev
fi
python3.11 -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --quiet --upgrade pip
/autograder/venv/bin/python -m pip install --quiet -r requirements.txt
/autograder/venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .

export AECOURSE_CACHE_DIR=/autograder/cache
/autograder/venv/bin/python -m autograder.gradescope --prefetch
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
cd "$ROOT/source"
JOBS="$(nproc 2>/dev/null || echo 1)"
"$PY" -m autograder grade "$ROOT/submission" --single --out "$ROOT/grading" --jobs "$JOBS" \
    --gradescope-results "$ROOT/results/results.json" __LESSONS__
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


def build_zip(out: Path, only_lessons: list[str] | None = None) -> Path:
    known = [l.name for l in lessons()]
    unknown = sorted(set(only_lessons or []) - set(known))
    if unknown:
        raise SystemExit(f"unknown lesson(s): {', '.join(unknown)}; lessons: {', '.join(known)}")
    lessons_args = ("--lessons " + " ".join(shlex.quote(l) for l in only_lessons)) if only_lessons else ""
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _add_script(archive, "setup.sh", SETUP_SH)
        _add_script(archive, "run_autograder", RUN_AUTOGRADER.replace("__LESSONS__", lessons_args))
        for name, path in files_to_pack().items():
            archive.write(path, name)
        if not (REPO / "README.md").exists():  # pyproject.toml names a readme; pip needs the file
            archive.writestr("README.md", "Autograder for the course 'Generating images with autoencoders'.\n")
    return out


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
    parser.add_argument("--prefetch", action="store_true", help="(setup.sh) download the datasets and exit")
    args = parser.parse_args(argv)
    if args.prefetch:
        prefetch()
        return 0
    out = build_zip(args.out, args.lessons)
    with zipfile.ZipFile(out) as archive:
        count = len(archive.namelist())
    print(f"wrote {out} ({count} files, {out.stat().st_size / 2**20:.1f} MB); upload it as the autograder of a "
          "Gradescope programming assignment (at least 2 CPUs, 4 GB memory)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The Colab path: an "Open in Colab" link per lesson, and a first cell that sets Colab up.

The quick tests check the links, the cell of every lesson, and that the cell does nothing
outside Colab. ``test_the_colab_cell_sets_up_a_fresh_python_with_only_colabs_packages`` is
the real thing, in a fresh virtual environment. It took 5½ and 9 minutes on the course's
2-core machine shared by eight busy engineers (load 16 to 21, 2026-12-05; about 60 s of CPU,
most of the wait the TensorFlow install), so it runs under ``make test-colab`` (and so in
``.ci/run``), or with ``AECOURSE_TEST_COLAB=1``, not in ``make test``.

What that test proves: on a Python of Colab's version (3.12) whose only packages are some
of those Colab ships (TensorFlow, Keras, numpy, pillow, matplotlib, scikit-learn, requests,
tqdm, IPython, at the versions of requirements.lock; none of the course's own tools),
lesson 1's first cell, run as IPython runs a Colab cell, pip-installs the course through
pip's git path from a git repository holding this working tree (tracked and untracked
files that git does not ignore: what the next commit would publish, not only what is
committed), fetches cat.bin through aecourse.download from a real HTTP server on
127.0.0.1 laid out like Google's bucket (123,202 drawings, verified and cached), and then
the lesson's own cells import the installed course, load the cats from that cache with no
second download, and ``check("unpack_drawing")`` passes on the reference answer and fails
on the stub, with no lesson file on disk (as on Colab). Run outside Colab, the same cell
installs nothing. What it cannot prove: Colab's own package versions, GitHub's https, and
Google's servers (the address is the only difference: AECOURSE_MIRROR).
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from autograder.assign import student_version
from autograder.colab import REPOSITORY, colab_url, data_names, install_url, is_colab_cell
from autograder.notebooks import REPO, exercise_cells, lessons, read_notebook, setup_cells

LESSONS = REPO / "lessons"
# What the fresh environment gets: packages Colab ships that the course uses (not the course's
# own tools: no pooch, psutil, jupyter, nbval, pytest). Versions from requirements.lock.
COLAB_PACKAGES = ["tensorflow", "keras", "numpy", "pillow", "matplotlib", "scikit-learn", "requests", "tqdm",
                  "ipython"]
COLAB_PYTHON = "3.12"


def colab_cells(path: Path) -> list:
    return [c for c in read_notebook(path).cells if is_colab_cell(c)]


@pytest.mark.parametrize("lesson", lessons(), ids=lambda l: l.name)
def test_each_lesson_opens_with_the_colab_cell_under_its_title(lesson):
    student = read_notebook(LESSONS / lesson.master.name)
    assert student.cells[0].cell_type == "markdown" and student.cells[0].source.startswith("# Lesson ")
    cell = student.cells[1]
    assert is_colab_cell(cell) and cell.cell_type == "code"
    assert '"google.colab" in sys.modules' in cell.source
    assert install_url() in cell.source
    names = data_names(read_notebook(lesson.master))
    assert names == (["quickdraw/cat.bin"] if lesson.number <= "03" else ["mnist"])
    for name in names:
        assert f'fetch("{name}")' in cell.source
    assert not colab_cells(lesson.master), "the masters do not carry it: make lessons adds it"


def test_the_fetched_names_are_data_the_course_knows():
    from aecourse.download import resource

    for lesson in lessons():
        for name in data_names(read_notebook(lesson.master)):
            assert resource(name).official_url.startswith("https://storage.googleapis.com/")


def test_outside_colab_the_cell_does_nothing(monkeypatch):
    """Run as it is in this kernel (no google.colab): no pip, no download, no name but `sys`."""
    def forbidden(*args, **kwargs):
        raise AssertionError("the Colab cell ran a command outside Colab")

    monkeypatch.setattr(subprocess, "run", forbidden)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    namespace: dict = {}
    exec(colab_cells(LESSONS / "01_quickdraw.ipynb")[0].source, namespace)
    assert set(namespace) - {"__builtins__"} == {"sys"}


def test_the_readme_links_every_lesson_to_colab():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for lesson in lessons():
        url = colab_url(lesson.master.name)
        assert f"]({url})" in readme, f"README: no Open in Colab link {url} (autograder/colab.py: REPOSITORY)"
    assert f"git+https://github.com/{REPOSITORY}" in install_url()


# ----------------------------------------------------------------------------- the fresh environment

def colab_like_python() -> str | None:
    """An interpreter of Colab's Python version: $COLAB_PYTHON, else pyenv's or the system's 3.12."""
    candidates = [os.environ.get("COLAB_PYTHON", "")]
    candidates += sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{COLAB_PYTHON}*/bin/python{COLAB_PYTHON}")))
    candidates += [f"/usr/bin/python{COLAB_PYTHON}", f"/usr/local/bin/python{COLAB_PYTHON}"]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def snapshot_repository(target: Path) -> Path:
    """A git repository of the working tree as the next commit would hold it (pip's git path needs one)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():  # a tracked file deleted in the working tree is not published
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    git = ["git", "-c", "user.name=colab test", "-c", "user.email=colab@test.invalid", "-c", "init.defaultBranch=main"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "snapshot of the working tree"]):
        subprocess.run(git + args, cwd=target, check=True, capture_output=True)
    return target


DRIVER = r'''
"""Run notebook cells as Colab's IPython does; print a JSON line per cell."""
import json, sys, types
from IPython.core.interactiveshell import InteractiveShell

cells, as_colab = json.load(open(sys.argv[1])), sys.argv[2] == "colab"
if as_colab:
    sys.modules["google.colab"] = types.ModuleType("google.colab")  # every Colab kernel has imported it
shell = InteractiveShell.instance()
for source in cells:
    result = shell.run_cell(source, store_history=True)
    print("\nCELL " + json.dumps({"ok": result.success,
                                   "error": repr(result.error_in_exec or result.error_before_exec)}), flush=True)
    if not result.success:
        break
'''


def run_cells(python: str, cells: list[str], mode: str, workdir: Path, env: dict) -> tuple[list[dict], str]:
    (workdir / "cells.json").write_text(json.dumps(cells), encoding="utf-8")
    (workdir / "driver.py").write_text(DRIVER, encoding="utf-8")
    content = workdir / "content"  # Colab's working directory: no lesson file in it
    content.mkdir(exist_ok=True)
    run = subprocess.run([python, str(workdir / "driver.py"), str(workdir / "cells.json"), mode], cwd=content,
                         env=env, capture_output=True, text=True, timeout=1200)
    reports = [json.loads(line[5:]) for line in run.stdout.splitlines() if line.startswith("CELL ")]
    return reports, run.stdout + run.stderr


@pytest.mark.skipif(not os.environ.get("AECOURSE_TEST_COLAB"),
                    reason="slow (a fresh virtual environment with TensorFlow): `make test-colab` runs it")
def test_the_colab_cell_sets_up_a_fresh_python_with_only_colabs_packages(tmp_path, http_mirror, full_cat_records):
    python = colab_like_python()
    if python is None:
        pytest.fail(f"no Python {COLAB_PYTHON} here (set COLAB_PYTHON): the test needs Colab's Python version")
    started = time.monotonic()
    repository = snapshot_repository(tmp_path / "repository")
    venv = tmp_path / "venv"
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    py = str(venv / "bin" / "python")
    # Colab's pip is recent; the pip that venv bundles with Python 3.12.1 rejects `name @ git+file:///...`.
    for packages in (["pip"], COLAB_PACKAGES):
        subprocess.run([py, "-m", "pip", "install", "--quiet", "--upgrade", "-c", str(REPO / "requirements.lock"),
                        *packages], check=True, timeout=1200)
    environment_ready = time.monotonic()

    whole = b"".join(full_cat_records)
    http_mirror.serve("quickdraw_dataset/full/binary/cat.bin", whole)
    cache = tmp_path / "cache"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("AECOURSE_", "PYTHON", "VIRTUAL_ENV", "COURSE_MODE"))}
    env.update(AECOURSE_MIRROR=http_mirror.url, AECOURSE_CACHE_DIR=str(cache), MPLBACKEND="Agg",
               IPYTHONDIR=str(tmp_path / "ipython"), PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
               no_proxy="127.0.0.1", NO_PROXY="127.0.0.1")

    master = read_notebook(REPO / "solutions" / "01_quickdraw.ipynb")
    student = student_version(master)
    colab = colab_cells(LESSONS / "01_quickdraw.ipynb")[0].source
    assert colab == next(c.source for c in student.cells if is_colab_cell(c)), "lessons/ is out of date"
    local_install = colab.replace(f'"{install_url()}"', f'"aecourse @ git+file://{repository}"')
    assert local_install != colab, "the install step names the repository"

    # Outside Colab the cell installs nothing.
    reports, output = run_cells(py, [colab, "import aecourse"], "local", tmp_path, env)
    assert reports[0]["ok"] and not reports[1]["ok"] and "ModuleNotFoundError" in reports[1]["error"], output
    assert http_mirror.requests == []

    # On Colab: install, fetch, then the lesson's own cells, the check, and the cell again.
    load_cats_cell = next(c.source for c in master.cells if "cats = load_cats()" in c.source)
    exercise = exercise_cells(master)["unpack_drawing"]
    stub = exercise_cells(student)["unpack_drawing"]
    cells = [local_install, *setup_cells(master),
             "import aecourse, public_tests; print('installed at', aecourse.__file__, public_tests.__file__)",
             load_cats_cell, stub, 'check("unpack_drawing")', exercise, 'check("unpack_drawing")', local_install]
    reports, output = run_cells(py, cells, "colab", tmp_path, env)
    assert len(reports) == len(cells) and all(r["ok"] for r in reports), output[-4000:]
    site = str(venv / "lib")
    assert re.search(rf"installed at {re.escape(site)}\S*/aecourse/__init__.py {re.escape(site)}\S*/public_tests/",
                     output), "the course must come from the fresh environment, not the repository"
    assert (cache / "quickdraw" / "cat.bin").read_bytes() == whole
    assert http_mirror.requests == ["/quickdraw_dataset/full/binary/cat.bin"], "one download, then the cache"
    assert "123,202 cat drawings rasterized from the Quick Draw vector file" in output
    assert "unpack_drawing: 0/4 passed." in output and "unpack_drawing: all passed." in output, output[-4000:]
    print(f"fresh environment {environment_ready - started:.0f} s, Colab cell and lesson "
          f"{time.monotonic() - environment_ready:.0f} s")


def test_the_slow_test_is_run_by_make_test_colab_and_ci():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^test-colab:.*\n(\t.*\n)*\t.*AECOURSE_TEST_COLAB=1.*test_colab_path\.py", makefile, re.M)
    assert "make test-colab" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_the_driver_is_valid_python():
    compile(textwrap.dedent(DRIVER), "driver", "exec")

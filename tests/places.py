"""The three places the grader runs, for the project's tests to run it in each.

* ``bubblewrap``: root with namespaces, bubblewrap installed (a lab machine, CI).
* ``no-namespaces``: root in a container that denies namespaces, as Gradescope's
  Docker does (``deny_namespaces.py`` installs the same seccomp rules), so
  bubblewrap cannot start.
* ``unprivileged``: an instructor's own account, without root or bubblewrap: a
  user made for the tests (``aecourse-instructor``), the grader told that
  bubblewrap is missing.

:func:`command_in` wraps a grader command for a place; :func:`opened_for` lets
the unprivileged user reach the files it needs (the interpreter under /root,
the checkout under a private temporary folder, the grading output) for as long
as a test needs them, and puts every mode it changed back afterwards.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
PLACES = ("bubblewrap", "no-namespaces", "unprivileged")
INSTRUCTOR = "aecourse-instructor"


def available(place: str) -> str | None:
    """Why ``place`` cannot be tried on this machine, or None. In CI every place must be available."""
    if os.geteuid() != 0:
        return "the tests create places as root"
    if place == "bubblewrap" and not shutil.which("bwrap"):
        return "bubblewrap is not installed (.ci/run installs it)"
    if place == "unprivileged" and not shutil.which("useradd"):
        return "no useradd to create the instructor's account"
    if not shutil.which("setpriv"):
        return "no setpriv (util-linux)"
    return None


def instructor_uid() -> int:
    """The test instructor's uid, creating the account on first use."""
    try:
        return pwd.getpwnam(INSTRUCTOR).pw_uid
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", INSTRUCTOR],
                       check=True, capture_output=True)
        return pwd.getpwnam(INSTRUCTOR).pw_uid


def command_in(place: str, command: list[str]) -> tuple[list[str], dict[str, str]]:
    """(the command as run in ``place``, environment variables to add)."""
    if place == "bubblewrap":
        return command, {}
    if place == "no-namespaces":
        return [sys.executable, str(TESTS / "deny_namespaces.py"), *command], {}
    if place == "unprivileged":
        uid = instructor_uid()
        user = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
        return [*user, *command], {"AUTOGRADER_NO_BWRAP": "1", "HOME": "/nonexistent"}
    raise ValueError(place)


@contextlib.contextmanager
def opened_for(place: str, readable: list[Path], writable: list[Path]):
    """Without bubblewrap the contestant's own uid must reach the interpreter and the checkout
    (on Gradescope Python lives under /usr; here it is under /root, 0700): they are made
    traversable. For the unprivileged place also ``readable`` paths readable and ``writable``
    folders owned by the instructor. Every mode and owner is put back afterwards."""
    if place == "bubblewrap":
        yield
        return
    if place != "unprivileged":
        readable, writable = [], []
    # Tests run in parallel (pytest-xdist): one place's modes at a time, so that no worker
    # puts /root back to 0700 while another's grader still needs it.
    with open(LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with _opened(readable, writable):
            yield


LOCK = Path(tempfile.gettempdir()) / "aecourse-places.lock"


@contextlib.contextmanager
def _opened(readable: list[Path], writable: list[Path]):
    uid = instructor_uid()
    changed: list[tuple[Path, int]] = []
    owners: list[tuple[Path, int, int]] = []
    interpreter = Path(os.path.realpath(sys.executable))
    try:
        def add(item: Path, bits: int) -> None:
            mode = item.lstat().st_mode
            if item.is_symlink() or mode & bits == bits:
                return
            changed.append((item, mode))
            os.chmod(item, (mode & 0o7777) | bits)

        for path in [*readable, *writable, REPO, interpreter, Path(sys.prefix)]:
            for folder in [*reversed(Path(path).parents)] + ([Path(path)] if Path(path).is_dir() else []):
                add(folder, 0o001)
        for path in readable:  # the course and the submissions: readable throughout
            for item in [Path(path), *Path(path).rglob("*")]:
                add(item, 0o005 if item.is_dir() else 0o004)
        for folder in writable:
            for item in [folder, *Path(folder).rglob("*")]:
                stat = item.lstat()
                owners.append((item, stat.st_uid, stat.st_gid))
                os.lchown(item, uid, uid)
        yield
    finally:
        for item, owner, group in reversed(owners):
            with contextlib.suppress(OSError):
                os.lchown(item, owner, group)
        for folder, mode in reversed(changed):
            with contextlib.suppress(OSError):
                os.chmod(folder, mode & 0o7777)

"""Run a command as in Gradescope's Docker container: no namespaces (``python tests/deny_namespaces.py CMD ...``).

Docker's default seccomp profile makes ``unshare``, ``setns`` and ``clone`` with
any ``CLONE_NEW*`` flag fail with EPERM, and ``clone3`` with ENOSYS (so that
glibc falls back to ``clone``, whose flags a filter can see). This installs the
same rules with ``prctl(PR_SET_SECCOMP)``, then executes the command: bubblewrap
cannot start under it, and the grader must fall back to what needs no namespace.
As root it keeps ``no_new_privs`` off, as Docker does.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "autograder"))

from contestant import confine  # noqa: E402  - the BPF assembler, without importing the grader

DENIED = {"unshare": errno.EPERM, "setns": errno.EPERM, "clone3": errno.ENOSYS}


def deny_namespaces() -> None:
    program = confine.seccomp_program(DENIED, denied_clone_flags=confine.CLONE_NEW_ANY)
    confine.install_seccomp(program, no_new_privs=os.geteuid() != 0)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python tests/deny_namespaces.py COMMAND [ARGS...]")
    deny_namespaces()
    os.execvp(sys.argv[1], sys.argv[1:])

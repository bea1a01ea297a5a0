"""Earlier commits checked out beside this one, to measure them in the same run as today's tree."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def python_path(tree: Path) -> str:
    """PYTHONPATH that makes ``tree``'s own packages win over the editable install of this checkout."""
    return f"{tree}:{tree / 'lessons'}"


@contextlib.contextmanager
def checked_out(revs: list[str]):
    """``{rev: folder}`` of temporary git worktrees (no environment of their own), removed afterwards."""
    work = Path(tempfile.mkdtemp(prefix="bench-baselines-"))
    trees: dict[str, Path] = {}
    try:
        for rev in revs:
            trees[rev] = work / rev
            subprocess.run(["git", "-C", str(REPO), "worktree", "add", "-q", "--detach", str(trees[rev]), rev],
                           check=True)
        yield trees
    finally:
        for tree in trees.values():
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False)
        shutil.rmtree(work, ignore_errors=True)

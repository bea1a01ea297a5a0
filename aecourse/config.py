"""Run-time settings shared by the lessons, the solutions and the grader.

These environment variables steer the course:

``COURSE_MODE``
    ``full`` (default) trains long enough to reach the book's quality or better;
    ``fast`` trains on subsets for few epochs, for CI and the grader. Only training
    budgets differ between the modes: code paths, models and data are the same.
``AECOURSE_DATA_DIR``
    A local folder of pre-downloaded data (offline labs, CI). When it is set the
    course reads from it and never touches the network.
``AECOURSE_CACHE_DIR``
    Where downloads are cached (default ``~/.cache/aecourse``).
``AECOURSE_MIRROR``
    A base URL to download from instead of Google's ``https://storage.googleapis.com``,
    under which the official paths are laid out (see :mod:`aecourse.download`).
    Ignored when ``AECOURSE_DATA_DIR`` is set.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypeVar

MODES = ("fast", "full")
T = TypeVar("T")


def course_mode() -> str:
    """The current mode, ``"fast"`` or ``"full"`` (default)."""
    mode = os.environ.get("COURSE_MODE", "full").strip().lower() or "full"
    if mode not in MODES:
        raise ValueError(f"COURSE_MODE must be one of {MODES}, not {mode!r}")
    return mode


def by_mode(*, fast: T, full: T) -> T:
    """Pick a training budget by mode: ``epochs = by_mode(fast=10, full=120)``."""
    return fast if course_mode() == "fast" else full


def data_dir() -> Path | None:
    """The local data folder given by ``AECOURSE_DATA_DIR``, or None."""
    value = os.environ.get("AECOURSE_DATA_DIR", "").strip()
    return Path(value).expanduser().resolve() if value else None


def cache_dir() -> Path:
    """Where downloads are kept between runs."""
    value = os.environ.get("AECOURSE_CACHE_DIR", "").strip()
    return Path(value).expanduser() if value else Path.home() / ".cache" / "aecourse"


def mirror() -> str | None:
    """The download mirror given by ``AECOURSE_MIRROR`` (a base URL), or None."""
    value = os.environ.get("AECOURSE_MIRROR", "").strip()
    return value or None

"""Public checks that ship with the lessons: ``from public_tests import check, check_all``.

The hand-in zip: ``from public_tests.export import export; export()`` (see :mod:`public_tests.export`).
"""

from public_tests.framework import CheckFailed, check, check_all, expect, public_check

__all__ = ["check", "check_all", "expect", "public_check", "CheckFailed"]

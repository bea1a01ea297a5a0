"""Public checks that ship with the lessons: ``from public_tests import check``."""

from public_tests.framework import CheckFailed, check, expect, public_check

__all__ = ["check", "expect", "public_check", "CheckFailed"]

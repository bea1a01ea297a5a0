"""Where the grader's own files are: the hidden tests and the pass marks.

Nothing here imports the rest of the grader, so every module that needs these
paths (the exercise registry, the hidden-test API, grading, calibration) can
import them without importing one another. ``AUTOGRADER_HIDDEN_TESTS`` and
``AUTOGRADER_THRESHOLDS`` point the grader elsewhere (the project's tests grade
small fake lessons this way); they are read once, at import.
"""

from __future__ import annotations

import os
from pathlib import Path

HIDDEN_TESTS = Path(os.environ.get("AUTOGRADER_HIDDEN_TESTS") or Path(__file__).resolve().parent / "hidden_tests")
THRESHOLDS = Path(os.environ.get("AUTOGRADER_THRESHOLDS") or Path(__file__).resolve().parent / "thresholds.json")

"""What a student reads for a failed hidden test: one line, in their words, never our traceback.

``describe`` turns whatever ended a test into that line: the assertion text of a
hidden test's own check (the author's message, or numpy.testing's report reduced to
its largest difference), the contestant's one-line account of the student's
exception (``NOT_IMPLEMENTED`` for an untouched stub), why the contestant ended,
or, for the machine's own failures, a line saying it is not the student's code.
Every line is at most ``MESSAGE_LIMIT`` characters, without terminal colours.
"""

from __future__ import annotations

import re

import pytest

MESSAGE_LIMIT = 400
NOT_IMPLEMENTED = "not implemented"


ANSI_CODES = re.compile(r"\x1b\[[0-9;]*m")  # Keras colours parts of its error messages


def _one_line(text: str) -> str:
    text = ANSI_CODES.sub("", str(text))
    text = " / ".join(part.strip() for part in text.strip().splitlines() if part.strip())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


NUMPY_COMPARISON = ("Not equal to tolerance", "Arrays are not equal", "Arrays are not almost equal")


def _numpy_comparison(text: str) -> str | None:
    """numpy.testing's report in a student's words: the author's message and the largest difference."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith(NUMPY_COMPARISON):
        return None
    authored = lines[1] if len(lines) > 1 and not lines[1].startswith(("Mismatched", "(", "x:", "ACTUAL")) else ""
    worst = next((line for line in lines if line.startswith("Max absolute difference")), "")
    return "; ".join(part for part in (authored or "the values are not the expected ones", worst.lower()) if part)


def describe(error: BaseException) -> str:
    """One line that tells a student what went wrong, without our internals."""
    # Imported on first use: grading and the reports read NOT_IMPLEMENTED from here
    # without loading the wire format and numpy.
    from autograder.notebooks import NotebookError
    from autograder.remote import ContestantGone, RemoteError
    from autograder.sandbox import SandboxError

    if isinstance(error, RemoteError):
        return NOT_IMPLEMENTED if error.stub else _one_line(error)   # worded by the contestant
    if isinstance(error, ContestantGone):
        return _one_line(error)
    if isinstance(error, NotebookError):
        return _one_line(error)
    if isinstance(error, SandboxError):  # the machine's fault, never the answer's
        return _one_line(f"grader error, not your code: the grader could not start your code's sandbox ({error}); "
                         "tell your instructor")
    if isinstance(error, pytest.fail.Exception):
        return _one_line(error.msg or "failed")
    if isinstance(error, pytest.skip.Exception):
        return _one_line(f"skipped: {error.msg}")
    if isinstance(error, AssertionError):
        # A hidden test's own check. With pytest's assertion rewriting the text is
        # "author's message\nassert <expression>": the author's message is what
        # students need; without one, the rewritten expression is shown.
        text = str(error).strip()
        if not text:
            return "a check failed"
        numpy_words = _numpy_comparison(text)
        if numpy_words:
            return _one_line(numpy_words)
        authored = text.split("\nassert ", 1)[0].strip()
        return _one_line(authored if authored and not authored.startswith("assert ") else text.splitlines()[0])
    # The judge's own code met something it did not expect in the student's answers
    # (a Remote where a number should be, a wrong type): a failed check, in our words.
    message = str(error).strip()
    return _one_line(f"the grader could not use your answer ({type(error).__name__}"
                     + (f": {message})" if message else ")"))

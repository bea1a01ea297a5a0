"""What a student reads for a failed hidden test: one line, in their words, never our traceback.

``describe`` turns whatever ended a test into that line:

* a hidden test's own check: the author's message, which is the hint. A comparison of
  ``numpy.testing`` adds what was expected and what came, to 4 significant digits
  (more where 4 would read the same), with a few of the differing entries and their
  index (:func:`comparison`, fed with the very values numpy compared); a bare
  ``assert`` shows the comparison pytest evaluated;
* an exception of the student's code: the contestant's one-line account
  (``NOT_IMPLEMENTED`` for an untouched stub), or why the contestant ended;
* an exception of the judge's own code while it used an answer (``float()`` of a
  vector, ``np.asarray`` of a ragged list): the hidden test's line that met it, so the
  student sees which of their values the grader could not use. Tests that declare their
  conversions (``autograder.testing.as_scalar``, ``as_array``) fail with an assertion
  that names the value and its fault instead;
* for the machine's own failures, a line saying it is not the student's code.

Every line is at most ``MESSAGE_LIMIT`` characters, without terminal colours.
"""

from __future__ import annotations

import linecache
import math
import re
from pathlib import Path

import pytest

MESSAGE_LIMIT = 400
NOT_IMPLEMENTED = "not implemented"
UNEXPECTED = "not the expected values"   # a comparison's words when its author wrote none
SHOWN_ENTRIES = 3    # differing entries named in a comparison's message
WHOLE_ARRAY = 8      # arrays of at most this many values are shown whole


ANSI_CODES = re.compile(r"\x1b\[[0-9;]*m")  # Keras colours parts of its error messages


def _one_line(text: str) -> str:
    text = ANSI_CODES.sub("", str(text))
    text = " / ".join(part.strip() for part in text.strip().splitlines() if part.strip())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


# ----------------------------------------------------------------------------- numbers and arrays

def _digits(value: float, digits: int) -> str:
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))                      # 4.0 reads 4
    if digits == 4 and abs(value) >= 1e4:
        return f"{value:.0f}"                       # as check() does: large numbers keep their integer part
    return f"{value:.{digits}g}"


def number(value, other=None) -> str:
    """``value`` to 4 significant digits, as check() shows numbers; with more digits when
    ``other`` (the value it differs from) would otherwise read the same."""
    import numpy as np

    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    value = float(value)
    for digits in (4, 7, 10, 17):
        text = _digits(value, digits)
        if other is None or isinstance(other, (bool, np.bool_)) or text != _digits(float(other), digits):
            return text
    return text


def shape_text(shape) -> str:
    """(32,) or (any, 28, 28): ``None`` in a wanted shape matches any size."""
    sizes = ["any" if n is None else str(n) for n in shape]
    return "(" + ", ".join(sizes) + ("," if len(sizes) == 1 else "") + ")"


def _whole(array, other=None, differs=None) -> str:
    """A small array as nested lists of rounded numbers, [[1, 2.5], [3, 0]]; an entry that
    ``differs`` (a mask of its shape) with the digits that tell it from its entry in ``other``."""
    if array.ndim == 0:
        return number(array.item(), other.item() if differs is not None and differs.item() else None)
    if differs is None or other is None or other.shape != array.shape or differs.shape != array.shape:
        return "[" + ", ".join(_whole(row) for row in array) + "]"
    return "[" + ", ".join(_whole(*rows) for rows in zip(array, other, differs)) + "]"


def _index(position) -> str:
    return "[" + ", ".join(str(int(i)) for i in position) + "]"


def _differ_exactly(got, expected):
    import numpy as np

    same = got == expected
    try:
        same = same | (np.isnan(got) & np.isnan(expected))  # NaN where NaN was expected is no difference
    except TypeError:
        pass  # integers and booleans have no NaN
    return ~same


def comparison(got, expected, hint: str = "", differ=None) -> str:
    """A failed comparison of the student's ``got`` with ``expected``, in a student's words.

    ``hint``: the test author's message, shown first. ``differ(got, expected)``: which
    entries count as different (default: not equal, NaN matching NaN). Values are
    rounded to 4 significant digits; arrays of at most ``WHOLE_ARRAY`` values are shown
    whole, and at most ``SHOWN_ENTRIES`` differing entries are named with their index.
    """
    import numpy as np

    got, expected = np.asarray(got), np.asarray(expected)
    lead = f"{hint}: " if hint else ""
    small = got.size <= WHOLE_ARRAY and expected.size <= WHOLE_ARRAY
    if got.shape != expected.shape and got.shape != () and expected.shape != ():  # numpy's own rule
        shown = f" (expected {_whole(expected)}, got {_whole(got)})" if small else ""
        return f"{lead}expected shape {shape_text(expected.shape)}, got shape {shape_text(got.shape)}{shown}"
    got_all, expected_all = np.broadcast_arrays(got, expected)
    if got_all.size == 1:
        g, e = got_all.reshape(-1)[0], expected_all.reshape(-1)[0]
        return f"{lead}expected {number(e, g)}, got {number(g, e)}"
    differs = (differ or _differ_exactly)(got_all, expected_all)
    where = np.argwhere(differs)
    entries = "; ".join(f"at {_index(i)} expected {number(expected_all[tuple(i)], got_all[tuple(i)])}, "
                        f"got {number(got_all[tuple(i)], expected_all[tuple(i)])}" for i in where[:SHOWN_ENTRIES])
    count = f"{len(where)} of {got_all.size} values differ"
    if small:
        return (f"{lead}expected {_whole(expected, got_all, differs)}, got {_whole(got, expected_all, differs)}"
                + (f" ({count}: {entries})" if entries else ""))
    return f"{lead}{count} (shape {shape_text(got_all.shape)})" + (f", e.g. {entries}" if entries else "")


# ----------------------------------------------------------------------------- what a failed check says

NUMPY_COMPARISON = ("Not equal to tolerance", "Arrays are not equal", "Arrays are not almost equal",
                    "Items are not equal")


def _numpy_compared(error: BaseException):
    """(got, expected, hint, differ) of the numpy.testing call that raised ``error``, read from its frame.

    numpy's report prints the arrays, but shortened and in full precision; its frame holds
    the values themselves (``actual`` and ``desired``), its tolerances and the author's ``err_msg``.
    """
    import numpy as np

    traceback = error.__traceback__
    while traceback is not None:
        frame = traceback.tb_frame
        local = frame.f_locals
        if frame.f_globals.get("__name__", "").startswith("numpy.testing") and {"actual", "desired"} <= local.keys():
            name = frame.f_code.co_name
            if name == "assert_allclose":
                rtol, atol, equal_nan = local.get("rtol", 1e-7), local.get("atol", 0), local.get("equal_nan", True)
                differ = lambda g, e: ~np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=equal_nan)  # noqa: E731
            elif "almost" in name:
                decimal = local.get("decimal", 7)
                differ = lambda g, e: ~(abs(e - g) < 1.5 * 10.0 ** (-decimal))  # noqa: E731 - numpy's own test
            else:
                differ = _differ_exactly
            return local["actual"], local["desired"], str(local.get("err_msg") or ""), differ
        traceback = traceback.tb_next
    return None


def _numpy_report(text: str) -> str | None:
    """numpy.testing's printed report reduced to the author's message and the largest difference
    (when its values cannot be read from its frame)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith(NUMPY_COMPARISON):
        return None
    authored = lines[1] if len(lines) > 1 and not lines[1].startswith(("Mismatch", "(", "x:", "ACTUAL", "Max")) else ""
    worst = next((line for line in lines if line.startswith("Max absolute difference")), "")
    return "; ".join(part for part in (authored or UNEXPECTED, worst.lower()) if part)


# pytest's rewritten assertion names functions by their repr; a student reads their name.
_FUNCTION_REPR = re.compile(
    r"<(?:built-in )?(?:function|method|bound method) ([\w.]+)(?: of [^>]*)?(?: at 0x[0-9a-f]+)?>")
_NUMPY_SCALAR = re.compile(r"\bnp\.(?:float|int|uint|bool)\w*\(([^()]*)\)")
_NUMPY_BOOL = re.compile(r"\bnp\.(True|False)_")
_COMPARED = re.compile(r"\s(==|!=|<=|>=|<|>|not in|in|is not|is)\s")


def _readable(expression: str) -> str:
    from public_tests.framework import readable_numbers

    expression = _NUMPY_BOOL.sub(r"\1", _NUMPY_SCALAR.sub(r"\1", _FUNCTION_REPR.sub(r"\1", expression)))
    return readable_numbers(expression)


def _assertion(text: str) -> str:
    """A hidden test's ``assert``: the author's message, and the comparison pytest evaluated.

    With pytest's assertion rewriting the text is "author's message\\nassert <expression>
    \\n +  where ..."; without a message it starts with "assert ".
    """
    authored, _, evaluated = text.partition("\nassert ") if not text.startswith("assert ") else ("", "", text[7:])
    lines = evaluated.splitlines()
    expression = _readable(lines[0].strip()) if lines else ""
    where = next((line.strip().lstrip("+").strip()[len("where "):] for line in lines[1:]
                  if line.strip().lstrip("+").strip().startswith("where ")), "")
    where = _readable(where)
    if authored.strip():
        # The author's words come first; a short comparison of values adds what came.
        if expression and len(expression) <= 120 and _COMPARED.search(f" {expression} "):
            return f"{authored.strip()} (the check `{expression}` failed)"
        return authored.strip()
    # assert f(x) / assert not f(x): pytest names the call that gave the False (True) in its "where" line.
    negated, value = re.fullmatch(r"\(?(not )?(.*?)\)?", expression).groups()
    if value in ("True", "False", "None", "0") and where.startswith(f"{value} = "):
        return f"the check `{negated or ''}{where[len(value) + 3:]}` failed"
    return f"the check `{expression}` failed" + (f" ({where})" if where and len(where) <= 160 else "")


def _judges_line(error: BaseException) -> str:
    """The line of the hidden tests (or their helpers, beside them) at which ``error`` was raised."""
    frames = []
    traceback = error.__traceback__
    while traceback is not None:
        frames.append((traceback.tb_frame.f_code.co_filename, traceback.tb_lineno))
        traceback = traceback.tb_next
    tests = [Path(name).parent for name, _ in frames if Path(name).name.startswith("test_")]
    if not tests:
        return ""
    mine = [(name, line) for name, line in frames if Path(name).parent == tests[0]]
    name, line = mine[-1]
    return linecache.getline(name, line).strip()


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
        text = str(error).strip()
        if text.startswith(NUMPY_COMPARISON):
            compared = _numpy_compared(error)
            if compared is not None:
                try:
                    return _one_line(comparison(compared[0], compared[1], compared[2] or UNEXPECTED,
                                                compared[3]))
                except Exception:  # noqa: BLE001 - values numpy compared but we cannot show (text, objects)
                    pass
            return _one_line(_numpy_report(text))
        # Long decimals rounded, the author's too, as check() rounds its messages.
        return _one_line(_readable(_assertion(text))) if text else "a check failed"
    # The judge's own code met something it did not expect in the student's answers
    # (a vector where a number should be, a ragged list): a failed check, in our words,
    # at the hidden test's line that tried to use the answer.
    message = str(error).strip()
    cause = f"{type(error).__name__}: {message}" if message else type(error).__name__
    line = _judges_line(error)
    return _one_line(f"the grader could not use your answer: `{line}` raised {cause}" if line
                     else f"the grader could not use your answer ({cause})")

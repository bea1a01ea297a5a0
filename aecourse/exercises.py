"""``require(unpack_drawing)``: a lesson cell that needs an exercise says so while it is unfinished.

A demo cell that uses an exercise the student has not written yet would fail
with whatever the stub's ``NotImplementedError`` or its ``None`` causes several
calls later (``ValueError: need at least one array to stack``). The cell calls
``require(...)`` first instead, and, while an exercise still is the lesson's
stub, stops with one line: "finish `unpack_drawing` first (its exercise cell
above), then run this cell again."

A stub is recognised by the message ``make lessons`` puts in it ("... is yours
to write"), found in the compiled code of the
function or of the class's methods, so an answer is never called to find out.
"""

from __future__ import annotations

import types

# The phrase of the stub message written by autograder/assign.py (stub_message).
STUB_PHRASES = ("is yours to write",)


class ExerciseNotDone(RuntimeError):
    """Raised by :func:`require`; Jupyter shows only its message, not a traceback."""

    def _render_traceback_(self):  # IPython's hook for an exception's display
        return [f"⚠ {self}"]


def _codes(obj) -> list[types.CodeType]:
    """The code objects of a function, or of every method of a class."""
    found = []
    if isinstance(obj, type):
        for value in vars(obj).values():
            found += _codes(getattr(value, "__func__", value))
    elif isinstance(obj, types.FunctionType):
        found.append(obj.__code__)
    return found


def _strings(code: types.CodeType):
    for const in code.co_consts:
        if isinstance(const, str):
            yield const
        elif isinstance(const, types.CodeType):
            yield from _strings(const)


def is_stub(obj) -> bool:
    """``obj`` (a function or a class) still holds a lesson's ``raise NotImplementedError(...)`` stub."""
    return any(phrase in text for code in _codes(obj) for text in _strings(code) for phrase in STUB_PHRASES)


def require(*exercises) -> None:
    """Stop with a clear message if any of these functions or classes is still a stub."""
    missing = [getattr(e, "__name__", repr(e)) for e in exercises if is_stub(e)]
    if missing:
        names = " and ".join(f"`{name}`" for name in missing)
        raise ExerciseNotDone(f"finish {names} first (its exercise cell above), then run this cell again.")

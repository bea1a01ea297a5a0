"""Student ids: unique, usable as file names, and shown without control characters.

A student's id comes from what they handed in (a folder's, a zip's or a
notebook's name, a manifest entry), so it may hold anything a file name can:
newlines, terminal escapes, bytes that are not UTF-8 (Python keeps them as
lone surrogates), 255 bytes. Three promises keep that harmless:

* :func:`shown` is how any such text (an id, a file name in a note, a message)
  appears in a text report: control and invisible characters are written as
  escapes (a newline as the two characters ``\\n``), so a name cannot start a
  line of its own, forge another student's block or move a terminal's cursor;
* :func:`safe_name` is the id as a file name: word characters and ``.@+-~``
  only, at most ``MAX_FILE_BYTES`` bytes;
* :func:`make_unique` gives every submission of a run its own id, even once made
  a file name (case aside): the second of two that collide becomes ``name~2``,
  and both get a note saying so. Progress files, results folders and feedback
  pages are named by ``safe_name(id)``, so they never collide either.
"""

from __future__ import annotations

import hashlib
import re

MAX_FILE_BYTES = 120      # of a safe name: room for ".json" and a suffix within any file system's 255
_UNSAFE = re.compile(r"[^\w.@+~-]+")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a file name that is not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def shown(text: str) -> str:
    """``text`` on one line, printable: control, invisible and non-UTF-8 characters as escapes."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escape(char) for char in text)


def safe_name(name: str) -> str:
    """A student id usable as a file or folder name (not unique by itself: see :func:`make_unique`)."""
    safe = _UNSAFE.sub("_", name).strip("._~") or "student"
    if len(safe.encode("utf-8")) > MAX_FILE_BYTES:
        # Cut, and keep apart the long names that share a beginning.
        digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:10]
        cut = safe.encode("utf-8")[:MAX_FILE_BYTES - 11].decode("utf-8", "ignore")
        safe = f"{cut}-{digest}"
    return safe


MAX_ID_CHARACTERS = 64   # as public_tests.export allows


def accepted_id(value) -> str | None:
    """A student id as an export manifest states it, or None when it is not one the export would write.

    The manifest is the student's file: an id it holds is still shown through
    :func:`shown` and made a file name by :func:`safe_name`; this only refuses
    what no honest export writes (not a string, empty, too long, a path
    separator, a control character, ``.`` or ``..``).
    """
    if not isinstance(value, str):
        return None
    student = value.strip()
    if not student or len(student) > MAX_ID_CHARACTERS or not student.isprintable() \
            or "/" in student or "\\" in student or student in (".", ".."):
        return None
    return student


def file_key(name: str) -> str:
    """What two ids must not share: their file name, case aside (some file systems ignore case)."""
    return safe_name(name).casefold()


def make_unique(submissions) -> None:
    """Give each submission (``.name``, ``.source``, ``.notes``) an id no other one shares, in place."""
    every = {file_key(s.name) for s in submissions}
    holders: dict[str, object] = {}
    for submission in submissions:
        key = file_key(submission.name)
        first = holders.get(key)
        if first is None:
            holders[key] = submission
            continue
        number = 2
        while file_key(f"{submission.name}~{number}") in every | set(holders):
            number += 1
        renamed = f"{submission.name}~{number}"
        submission.notes.insert(0, f"student id '{submission.name}' (from {submission.source.name}) is already "
                                   f"taken by another submission ({first.source.name}) once made a file name: "
                                   f"this one is reported as '{renamed}'")
        first.notes.insert(0, f"another submission ({submission.source.name}) has the same student id once made "
                              f"a file name; it is reported as '{renamed}'")
        submission.name = renamed
        holders[file_key(renamed)] = submission

"""Answers made by hand, as a hostile contestant would send them to the judge.

The wire format (``autograder.contestant.protocol``) is public: a student's code can
write any bytes it likes on the contestant's socket. These functions build such bytes
with the standard library alone, each self-contained (its imports inside it), so that
a test can use them directly or paste their source into a student's cell
(:func:`source_of`) to send them from inside the contestant.
"""

from __future__ import annotations

import inspect
import textwrap


def frame(header: dict, archive: bytes = b"") -> bytes:
    """One frame: its length, the JSON header's length, the header, then the arrays' archive."""
    import json
    import struct

    text = json.dumps(header).encode("utf-8")
    body = struct.pack("<Q", len(text)) + text + archive
    return struct.pack("<Q", len(body)) + body


def npy_header(shape, descr: str = "<f8", fortran: bool = False) -> bytes:
    """A .npy (version 1.0) header claiming an array of ``shape`` and ``descr``; no data follows."""
    import struct

    text = repr({"descr": descr, "fortran_order": fortran, "shape": tuple(shape)}).encode("latin-1")
    padding = 64 - (10 + len(text) + 1) % 64
    text += b" " * padding + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text


def zip_archive(members: list) -> bytes:
    """A zip of ``members``: (name, stored bytes, method, declared size, crc) each.

    The stored bytes are written as given (already deflated for method 8) and the
    directory declares ``declared size`` as the member's size, true or not (zip64
    fields where it needs more than 32 bits).
    """
    import struct

    local, directory = b"", b""
    for name, data, method, declared, crc in members:
        name = name.encode("ascii")
        big = declared >= 0xFFFFFFFF
        offset = len(local)
        usize = 0xFFFFFFFF if big else declared
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, method, 0, 0x21, crc, len(data), usize,
                             len(name), 0) + name + data
        extra = struct.pack("<HHQ", 1, 8, declared) if big else b""
        directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, method, 0, 0x21, crc, len(data),
                                 usize, len(name), len(extra), 0, 0, 0, 0, offset) + name + extra
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), len(local), 0)
    return local + directory + end


def deflated_zeros(prefix: bytes, zeros: int) -> bytes:
    """Raw deflate data that inflates to ``prefix`` then ``zeros`` zero bytes (a multiple of 16 MiB).

    About a thousandth of what it inflates to, made in a fraction of a second:
    a 16 MiB block of zeros is compressed once and its bytes repeated.
    """
    import zlib

    block = 1 << 24
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(prefix + bytes(block)) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(bytes(block)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return first + again * (zeros // block - 1) + compressor.flush(zlib.Z_FINISH)


def inflating_answer(gigabytes: int) -> bytes:
    """An answer whose one array, deflated, inflates to ``gigabytes`` GiB of float64 zeros."""
    count = (gigabytes << 30) // 8
    header = npy_header((count,))
    data = deflated_zeros(header, count * 8)
    return frame({"value": {"$array": "a0"}}, zip_archive([("a0.npy", data, 8, len(header) + count * 8, 0)]))


def giant_shape_answer() -> bytes:
    """An answer whose array header claims 8 TB (a million by a million float64) and carries 8 bytes."""
    import zlib

    member = npy_header((1_000_000, 1_000_000)) + bytes(8)
    return frame({"value": {"$array": "a0"}},
                 zip_archive([("a0.npy", member, 0, len(member), zlib.crc32(member))]))


def many_arrays_answer(count: int, megabytes: int) -> bytes:
    """An answer of ``count`` arrays of ``megabytes`` MiB each (zeros, deflated, honestly declared)."""
    import zlib

    header = npy_header(((megabytes << 20) // 8,))
    data = deflated_zeros(header, megabytes << 20)
    crc = zlib.crc32(header + bytes(megabytes << 20))
    members = [(f"a{i}.npy", data, 8, len(header) + (megabytes << 20), crc) for i in range(count)]
    return frame({"value": [{"$array": f"a{i}"} for i in range(count)]}, zip_archive(members))


def pickled_answer() -> bytes:
    """An answer whose array is of object dtype: a pickle that would run code when loaded."""
    import pickle
    import zlib

    member = npy_header((1,), descr="|O") + pickle.dumps([print])
    return frame({"value": {"$array": "a0"}}, zip_archive([("a0.npy", member, 0, len(member), zlib.crc32(member))]))


def source_of(*functions) -> str:
    """The functions' source, to paste at the top of a student's cell."""
    return "\n\n".join(textwrap.dedent(inspect.getsource(f)) for f in functions)

"""The wire between the judge and a contestant: plain data only, in size-capped frames.

A frame is an 8-byte length, a JSON header and, when arrays travel, one ``.npz``
archive (as ``numpy.savez`` writes it), read here member by member and never
unpickled (:func:`read_arrays`). Values are JSON numbers, strings, bools,
None, lists and string-keyed dicts, plus four tagged forms::

    {"$array": "a3"}             a numpy array of a numeric or bool dtype, from the archive
    {"$tuple": [...]}            a tuple
    {"$bytes": "<base64>"}       bytes
    {"$ref": 7, "type": "Dense"} an object that stays in the contestant, by handle

Nothing executable crosses: an archive with an object array is refused, and a
decoded value is only ever one of the types above. Both sides import this module;
it imports nothing of the grader's, so it runs inside the sandbox as it is.

Sizes are checked before anything is allocated, as soon as they are known: the
frame's length, the JSON header's length, then each array's ``.npy`` header
(shape, dtype) against its size in the archive's directory and against what is
left of the receiver's budget (:class:`Limits`), so a reply cannot make the
receiver allocate or inflate more than it accepts. A frame can be read in pieces
as they arrive (:class:`FrameReader`), so the judge reads a reply while it
watches the contestant's limits.
"""

from __future__ import annotations

import base64
import io
import json
import math
import re
import socket
import struct
import zipfile
from dataclasses import dataclass

import numpy as np

MAX_FRAME = 1 << 30          # 1 GiB: a trained model's weights and a test set's outputs fit well inside
HEADER = struct.Struct("<Q")
ARRAY_KINDS = "biufc"        # bool, signed, unsigned, float, complex: never object, string or void
MAX_ARRAYS = 4096            # arrays in one frame (a model's weights are a few dozen)
MAX_DIRECTORY = 1 << 20      # bytes of an archive's directory: room for MAX_ARRAYS members, not millions
NPY_HEADER_LIMIT = 10_000    # bytes of one array's .npy header (numpy's own limit)
MAX_DIMENSIONS = 32
MAX_DEPTH = 100              # nesting of lists, tuples and dicts in a frame
MEMBER_NAME = re.compile(r"(a\d{1,9})\.npy")
READ_CHUNK = 1 << 22         # bytes of an array read (or inflated) at a time


class ProtocolError(Exception):
    """A frame that is not what the protocol allows (too large, malformed, an object array)."""


class OverBudget(ProtocolError):
    """Data larger than the receiver accepts, found from declared sizes before it is allocated.

    ``kind``: "frame" (bytes on the wire), "plain" (the JSON header), "array" (one array)
    or "arrays" (the arrays of the frame together); ``size`` its bytes, ``limit`` the
    bytes that were left; ``detail`` says which (a shape and dtype, a count of arrays).
    """

    def __init__(self, kind: str, size: int, limit: int, detail: str = ""):
        super().__init__(f"{kind} of {size} bytes over the limit of {limit}" + (f" ({detail})" if detail else ""))
        self.kind, self.size, self.limit, self.detail = kind, size, limit, detail


@dataclass(frozen=True)
class Limits:
    """What a receiver accepts in one frame, in bytes: on the wire, of JSON, of arrays once read."""

    frame: int = MAX_FRAME
    plain: int = MAX_FRAME
    arrays: int = MAX_FRAME


class Handle:
    """The judge's name for an object that lives in the contestant."""

    __slots__ = ("id", "type")

    def __init__(self, id: int, type: str):
        self.id, self.type = id, type

    def __repr__(self) -> str:
        return f"<remote {self.type} #{self.id}>"


def encode(value, arrays: list, to_handle=None):
    """``value`` as JSON-able data; arrays go to ``arrays``.

    ``to_handle(obj) -> Handle`` is called for anything else; without it, anything
    else is an error (the judge sends only plain data and handles).
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and type(value) in (int, float):
        return value
    if isinstance(value, np.generic) and value.dtype.kind in ARRAY_KINDS:
        return value.item() if value.dtype.kind != "c" else _array(np.asarray(value), arrays)
    if isinstance(value, Handle):
        return {"$ref": value.id, "type": value.type}
    if type(value) is np.ndarray:
        return _array(value, arrays)
    if type(value) is list:
        return [encode(v, arrays, to_handle) for v in value]
    if type(value) is tuple:
        return {"$tuple": [encode(v, arrays, to_handle) for v in value]}
    if type(value) is dict and all(type(k) is str and not k.startswith("$") for k in value):
        return {k: encode(v, arrays, to_handle) for k, v in value.items()}
    if type(value) in (bytes, bytearray):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if to_handle is None:
        raise ProtocolError(f"cannot send a {type(value).__name__}")
    return encode(to_handle(value), arrays)


def _array(value: np.ndarray, arrays: list) -> dict:
    if value.dtype.kind not in ARRAY_KINDS:
        raise ProtocolError(f"arrays of dtype {value.dtype} are not sent")
    arrays.append(np.ascontiguousarray(value))
    return {"$array": f"a{len(arrays) - 1}"}


def decode(data, arrays: dict, from_handle=None, depth: int = 0):
    """The inverse of :func:`encode`; ``from_handle(Handle)`` resolves handles (else they stay Handles)."""
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if depth > MAX_DEPTH:
        raise ProtocolError(f"a frame nested more than {MAX_DEPTH} levels deep")
    if isinstance(data, list):
        return [decode(v, arrays, from_handle, depth + 1) for v in data]
    if not isinstance(data, dict):
        raise ProtocolError(f"unexpected {type(data).__name__} in a frame")
    if "$array" in data:
        try:
            return arrays[data["$array"]]
        except (KeyError, TypeError):
            raise ProtocolError("a frame names an array it does not carry") from None
    if "$tuple" in data:
        return tuple(decode(v, arrays, from_handle, depth + 1) for v in _list(data["$tuple"]))
    if "$bytes" in data:
        try:
            return base64.b64decode(data["$bytes"], validate=True)
        except (ValueError, TypeError):
            raise ProtocolError("bad base64 in a frame") from None
    if "$ref" in data:
        if type(data["$ref"]) is not int or not isinstance(data.get("type"), str):
            raise ProtocolError("a malformed handle")
        handle = Handle(data["$ref"], data["type"][:200])
        return from_handle(handle) if from_handle else handle
    if any(k.startswith("$") for k in data):
        raise ProtocolError(f"unknown tag in {sorted(data)[:3]}")
    return {k: decode(v, arrays, from_handle, depth + 1) for k, v in data.items()}


def _list(value) -> list:
    if not isinstance(value, list):
        raise ProtocolError("a malformed tuple")
    return value


def pack(message: dict, arrays: list | None = None) -> bytes:
    header = json.dumps(message, allow_nan=True).encode("utf-8")
    blob = b""
    if arrays:
        buffer = io.BytesIO()
        np.savez(buffer, **{f"a{i}": a for i, a in enumerate(arrays)})
        blob = buffer.getvalue()
    body = HEADER.pack(len(header)) + header + blob
    if len(body) > MAX_FRAME:
        raise ProtocolError(f"a frame of {len(body)} bytes is over the limit of {MAX_FRAME}")
    return HEADER.pack(len(body)) + body


def unpack(body: bytes, limits: Limits = Limits()) -> tuple[dict, dict]:
    """(header, arrays by key) of one frame's body (the frame without its length); refuses anything but plain data."""
    reader = FrameReader(limits)
    view = memoryview(body)
    reader.feed(HEADER.pack(len(body)))
    while not reader.done:
        wanted = reader.wanted()
        reader.feed(bytes(view[:wanted]))
        view = view[wanted:]
    return reader.frame()


class FrameReader:
    """One frame, fed its bytes as they arrive, each size checked as soon as it is known.

    ``wanted()`` is how many more bytes the frame needs (feed at most that many at a
    time); ``done`` says it is complete; ``frame()`` then reads it: (header, arrays).
    A frame over ``limits.frame``, or a JSON header over ``limits.plain``, is refused
    (:class:`OverBudget`) when its length arrives, before its bytes are waited for.
    """

    def __init__(self, limits: Limits = Limits()):
        self.limits = limits
        self.size: int | None = None    # the frame's length, once known
        self._stage = "length"          # then "header length", "header", "arrays", "done"
        self._need = HEADER.size
        self._pieces: list[bytes] = []
        self._got = 0
        self._header = b""
        self._archive = b""

    @property
    def done(self) -> bool:
        return self._stage == "done"

    def wanted(self) -> int:
        return self._need - self._got

    def feed(self, data: bytes) -> None:
        if len(data) > self.wanted():
            raise ProtocolError("more bytes than the frame holds")
        self._pieces.append(data)
        self._got += len(data)
        while not self.done and self._got == self._need:
            piece = b"".join(self._pieces)
            self._pieces, self._got = [], 0
            self._advance(piece)

    def _advance(self, piece: bytes) -> None:
        if self._stage == "length":
            (self.size,) = HEADER.unpack(piece)
            if self.size > self.limits.frame:
                raise OverBudget("frame", self.size, self.limits.frame)
            if self.size < HEADER.size:
                raise ProtocolError("a frame too short to hold its header")
            self._stage, self._need = "header length", HEADER.size
        elif self._stage == "header length":
            (length,) = HEADER.unpack(piece)
            if length > self.size - HEADER.size:
                raise ProtocolError("a frame whose header runs past its end")
            if length > self.limits.plain:
                raise OverBudget("plain", length, self.limits.plain)
            self._stage, self._need = "header", length
        elif self._stage == "header":
            self._header = piece
            self._stage, self._need = "arrays", self.size - HEADER.size - len(piece)
        else:
            self._archive = piece
            self._stage, self._need = "done", 0
        if self._need == 0 and self._stage != "done":
            self._advance(b"")

    def frame(self) -> tuple[dict, dict]:
        """(header, arrays by key): the JSON parsed, the arrays read within ``limits.arrays``."""
        if not self.done:
            raise ProtocolError("an incomplete frame")
        try:
            header = json.loads(self._header.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
            raise ProtocolError(f"a frame whose header is not JSON ({type(error).__name__}: {error})") from None
        if not isinstance(header, dict):
            raise ProtocolError("a frame whose header is not an object")
        return header, read_arrays(self._archive, self.limits.arrays)


def read_arrays(archive: bytes, budget: int = MAX_FRAME) -> dict[str, np.ndarray]:
    """The arrays of a frame's ``.npz`` archive, at most ``budget`` bytes of them in all.

    First every member's ``.npy`` header is read (shape, dtype, order) and checked:
    a plain numeric dtype, exactly the size the archive's directory declares, and
    all of them together within the budget. Only then is each array allocated and
    its bytes read (inflated, for a compressed member) into it, a chunk at a time.
    """
    if not archive:
        return {}
    stream = io.BytesIO(archive)
    try:
        _check_directory(stream)
        with zipfile.ZipFile(stream) as zipped:
            members = zipped.infolist()
            if len(members) > MAX_ARRAYS:
                raise ProtocolError(f"an archive of more than {MAX_ARRAYS} arrays")
            plans = {}
            for info in members:
                plan = _Member.planned(zipped, info, budget)
                if plan.key in plans:
                    raise ProtocolError(f"an archive that holds {plan.key} twice")
                plans[plan.key] = plan
            total = sum(plan.nbytes for plan in plans.values())
            if total > budget:
                raise OverBudget("arrays", total, budget, f"{len(plans)} arrays")
            return {key: plan.read(zipped) for key, plan in plans.items()}
    except ProtocolError:
        raise
    except Exception as error:  # not a zip, a bad member, a wrong CRC...
        raise ProtocolError(f"a frame whose arrays cannot be read ({type(error).__name__}: {error})") from None


def _check_directory(stream: io.BytesIO) -> None:
    """Refuse an archive whose directory is too large to list, before zipfile lists it.

    zipfile reads the directory its end record declares, entry by entry, whatever the
    entry count says: a forged size would make it build millions of entries. This is
    zipfile's own reading of that record (private, but the only way to agree with it).
    """
    end = zipfile._EndRecData(stream)
    if end is None:
        raise ProtocolError("a frame whose arrays are not a zip archive")
    if end[zipfile._ECD_SIZE] > MAX_DIRECTORY or end[zipfile._ECD_ENTRIES_TOTAL] > MAX_ARRAYS:
        raise ProtocolError(f"an archive of more than {MAX_ARRAYS} arrays")
    stream.seek(0)


@dataclass
class _Member:
    """One array of an archive, as its headers describe it (checked), before its bytes are read."""

    key: str
    info: zipfile.ZipInfo
    shape: tuple
    dtype: np.dtype
    fortran: bool
    offset: int   # where the array's bytes start in the member (after the .npy header)

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize

    @classmethod
    def planned(cls, zipped: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> "_Member":
        """The member's headers, checked against each other and against the budget."""
        match = MEMBER_NAME.fullmatch(info.filename)
        if match is None:
            raise ProtocolError(f"an archive member named {info.filename[:40]!r}")
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ProtocolError("an archive member encrypted or compressed with an unknown method")
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            raise ProtocolError("an archive member whose stored size disagrees with its size")
        with zipped.open(info) as member:  # reading the header inflates a few kB at most, whatever follows
            version = np.lib.format.read_magic(member)
            if version not in ((1, 0), (2, 0)):
                raise ProtocolError(f"an array in .npy format {version}")
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read_header(member, max_header_size=NPY_HEADER_LIMIT)
            plan = cls(match.group(1), info, shape, dtype, fortran, member.tell())
        if dtype.kind not in ARRAY_KINDS or dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
            raise ProtocolError(f"an array of dtype {dtype}")
        if len(shape) > MAX_DIMENSIONS or any(n < 0 for n in shape):
            raise ProtocolError(f"an array of shape {shape}")
        if plan.nbytes > budget:
            raise OverBudget("array", plan.nbytes, budget, plan.described)
        if plan.offset + plan.nbytes != info.file_size:
            raise ProtocolError(f"an array ({plan.described}) whose size in the archive's directory "
                                f"({info.file_size} bytes) disagrees with its header")
        return plan

    @property
    def described(self) -> str:
        return f"shape {self.shape}, {self.dtype}"

    def read(self, zipped: zipfile.ZipFile) -> np.ndarray:
        """The array, allocated at its checked size and filled a chunk at a time."""
        flat = np.empty(math.prod(self.shape), dtype=self.dtype)
        target, position = memoryview(flat.view(np.uint8)), 0
        with zipped.open(self.info) as member:
            member.read(self.offset)
            while position < self.nbytes:
                got = member.readinto(target[position:position + READ_CHUNK])
                if not got:
                    raise ProtocolError(f"an array ({self.described}) whose bytes end early")
                position += got
            if member.read(1):  # also where zipfile checks the member's CRC
                raise ProtocolError(f"an array ({self.described}) with bytes past its end")
        return flat.reshape(self.shape[::-1]).transpose() if self.fortran else flat.reshape(self.shape)


def send(sock: socket.socket, message: dict, arrays: list | None = None) -> None:
    # MSG_NOSIGNAL: a peer that has gone is an OSError to handle, not a SIGPIPE that kills the sender.
    sock.sendall(pack(message, arrays), socket.MSG_NOSIGNAL)


def receive(sock: socket.socket, limits: Limits = Limits()) -> tuple[dict, dict]:
    """One frame, waiting as long as it takes (the contestant's way: the judge is trusted).

    Raises EOFError when the other side has gone, ProtocolError on a bad frame.
    """
    reader = FrameReader(limits)
    while not reader.done:
        chunk = sock.recv(min(reader.wanted(), READ_CHUNK))
        if not chunk:
            raise EOFError("the connection closed")
        reader.feed(chunk)
    return reader.frame()

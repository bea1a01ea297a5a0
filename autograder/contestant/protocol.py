"""The wire between the judge and a contestant: plain data only, in size-capped frames.

A frame is an 8-byte length, a JSON header and, when arrays travel, one ``.npz``
archive read with ``allow_pickle=False``. Values are JSON numbers, strings, bools,
None, lists and string-keyed dicts, plus four tagged forms::

    {"$array": "a3"}             a numpy array of a numeric or bool dtype, from the archive
    {"$tuple": [...]}            a tuple
    {"$bytes": "<base64>"}       bytes
    {"$ref": 7, "type": "Dense"} an object that stays in the contestant, by handle

Nothing executable crosses: an archive with an object array is refused, and a
decoded value is only ever one of the types above. Both sides import this module;
it imports nothing of the grader's, so it runs inside the sandbox as it is.
"""

from __future__ import annotations

import base64
import io
import json
import socket
import struct

import numpy as np

MAX_FRAME = 1 << 30          # 1 GiB: a trained model's weights and a test set's outputs fit well inside
HEADER = struct.Struct("<Q")
ARRAY_KINDS = "biufc"        # bool, signed, unsigned, float, complex: never object, string or void


class ProtocolError(Exception):
    """A frame that is not what the protocol allows (too large, malformed, an object array)."""


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


def decode(data, arrays: dict, from_handle=None):
    """The inverse of :func:`encode`; ``from_handle(Handle)`` resolves handles (else they stay Handles)."""
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(v, arrays, from_handle) for v in data]
    if not isinstance(data, dict):
        raise ProtocolError(f"unexpected {type(data).__name__} in a frame")
    if "$array" in data:
        try:
            return arrays[data["$array"]]
        except (KeyError, TypeError):
            raise ProtocolError("a frame names an array it does not carry") from None
    if "$tuple" in data:
        return tuple(decode(v, arrays, from_handle) for v in _list(data["$tuple"]))
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
    return {k: decode(v, arrays, from_handle) for k, v in data.items()}


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


def unpack(body: bytes) -> tuple[dict, dict]:
    """(header, arrays by key) of one frame's body; refuses anything but plain data."""
    if len(body) < HEADER.size:
        raise ProtocolError("a frame too short to hold its header")
    (length,) = HEADER.unpack_from(body)
    if length > len(body) - HEADER.size:
        raise ProtocolError("a frame whose header runs past its end")
    try:
        header = json.loads(body[HEADER.size:HEADER.size + length].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ProtocolError(f"a frame whose header is not JSON ({error})") from None
    if not isinstance(header, dict):
        raise ProtocolError("a frame whose header is not an object")
    arrays = {}
    blob = body[HEADER.size + length:]
    if blob:
        try:
            with np.load(io.BytesIO(blob), allow_pickle=False) as archive:
                for key in archive.files:
                    array = archive[key]
                    if array.dtype.kind not in ARRAY_KINDS:
                        raise ProtocolError(f"an array of dtype {array.dtype}")
                    arrays[key] = array
        except ProtocolError:
            raise
        except Exception as error:  # not a zip, an object array (ValueError), a bad member...
            raise ProtocolError(f"a frame whose arrays cannot be read ({type(error).__name__}: {error})") from None
    return header, arrays


def send(sock: socket.socket, message: dict, arrays: list | None = None) -> None:
    # MSG_NOSIGNAL: a peer that has gone is an OSError to handle, not a SIGPIPE that kills the sender.
    sock.sendall(pack(message, arrays), socket.MSG_NOSIGNAL)


def receive(sock: socket.socket, limit: int = MAX_FRAME) -> tuple[dict, dict]:
    """One frame; raises EOFError when the other side has gone, ProtocolError on a bad frame."""
    (size,) = HEADER.unpack(_exactly(sock, HEADER.size))
    if size > limit:
        raise ProtocolError(f"a frame of {size} bytes is over the limit of {limit}")
    return unpack(_exactly(sock, size))


def _exactly(sock: socket.socket, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 22))
        if not chunk:
            raise EOFError("the connection closed")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)

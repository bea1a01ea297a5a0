"""A real HTTP server on 127.0.0.1, laid out like the official download URLs, for tests.

``LocalMirror`` runs ``http.server`` in a thread on a free port. Tests put
files at official paths (``mirror.serve("quickdraw_dataset/full/binary/cat.bin", data)``),
choose how each is served (whole, without Content-Length, cut off after some
bytes, as an HTML page, with an HTTP error), point the course at ``mirror.url``
and read back which paths were requested. The ``http_mirror`` fixture in
conftest.py starts one per test and stops it afterwards.

Also here: Quick Draw binary records encoded by hand with ``struct`` (so that
tests of the reader do not depend on the course's writer), and the whole-size
synthetic ``cat.bin`` used to run lesson 1 against the mirror.
"""

from __future__ import annotations

import socket
import struct
import threading
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

REAL_CAT_COUNT = 123_202  # drawings in Google's cat.bin (the course's download check expects it)


@dataclass
class Route:
    body: bytes
    status: int = 200
    content_type: str = "application/octet-stream"
    content_length: bool = True       # False: no Content-Length, the end is the connection closing
    die_after: int | None = None      # announce the whole body, send this many bytes, drop the connection


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 (http.server's naming)
        mirror: LocalMirror = self.server.mirror
        mirror.requests.append(self.path)
        route = mirror.routes.get(urllib.parse.unquote(urllib.parse.urlparse(self.path).path))
        if route is None:
            route = Route(b"<html><body><h1>404 Not Found</h1></body></html>", 404, "text/html")
        self.send_response(route.status)
        self.send_header("Content-Type", route.content_type)
        if route.content_length:
            self.send_header("Content-Length", str(len(route.body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        body = route.body if route.die_after is None else route.body[:route.die_after]
        self.wfile.write(body)
        self.wfile.flush()
        if route.die_after is not None:
            # Drop the connection as a dying server would, mid-transfer.
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

    def log_message(self, format, *args):  # keep the test output clean
        pass


class LocalMirror:
    """An HTTP server on 127.0.0.1 serving files at the official paths."""

    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.mirror = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def serve(self, path: str, body: bytes, **how) -> None:
        """Serve ``body`` at ``/<path>`` (an unquoted official path); ``how``: Route fields."""
        self.routes["/" + path.lstrip("/")] = Route(body, **how)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


# ----------------------------------------------------------------------------- hand-made records

def record(key_id=1, countrycode=b"US", recognized=1, timestamp=1_490_000_000, strokes=()) -> bytes:
    """One drawing in the binary format, encoded with struct from the format's description.

    Accepts values the course's writer refuses (three-letter codes, 6,000 points),
    so that the reader's plausibility limits can be tested.
    """
    parts = [struct.pack("<Q2sbIH", key_id, countrycode, recognized, timestamp, len(strokes))]
    for xs, ys in strokes:
        assert len(xs) == len(ys)
        parts += [struct.pack("<H", len(xs)), bytes(xs), bytes(ys)]
    return b"".join(parts)


def random_records(n: int, seed: int = 0, countries=("US",), recognized=(1,)) -> list[bytes]:
    """``n`` plausible drawings: 1-8 strokes of 1-30 points each, random walks in 0..255.

    Drawing i gets ``countries[i % len(countries)]`` and ``recognized[i % len(recognized)]``.
    """
    rng = np.random.default_rng(seed)
    n_strokes = rng.integers(1, 9, n)
    n_points = rng.integers(1, 31, int(n_strokes.sum()))
    steps = rng.integers(-20, 21, size=(int(n_points.sum()), 2))
    first = np.cumsum(n_points) - n_points
    steps[first] = rng.integers(0, 256, size=(len(n_points), 2))
    walk = np.cumsum(steps, axis=0)
    walk -= np.repeat(walk[first] - steps[first], n_points, axis=0)  # restart at each stroke
    walk = np.clip(walk, 0, 255).astype(np.uint8)
    xs, ys = walk[:, 0].tobytes(), walk[:, 1].tobytes()
    out, s, p = [], 0, 0
    header, count = struct.Struct("<Q2sbIH"), struct.Struct("<H")
    for i in range(n):
        m = int(n_strokes[i])
        parts = [header.pack(5_000_000_000_000 + i, countries[i % len(countries)].encode(),
                             recognized[i % len(recognized)], 1_490_000_000 + i, m)]
        for k in n_points[s:s + m].tolist():
            parts += [count.pack(k), xs[p:p + k], ys[p:p + k]]
            p += k
        s += m
        out.append(b"".join(parts))
    return out

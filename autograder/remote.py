"""The judge's side of the wire: ask a sandboxed contestant, within limits, and read plain answers.

``Connection`` sends one request at a time and waits for the answer while it
watches the contestant's CPU time, memory, idleness and output, killing it at a
limit; when the contestant is gone, :attr:`Connection.fate` says why in words
a student can act on. ``Remote`` and ``RemoteNamespace`` make the student's
objects look like local ones to a hidden test: attribute access and calls
become requests, plain results come back as Python and numpy values, anything
else as another ``Remote``. A student's exception comes back as a
:class:`RemoteError` of a matching built-in kind, so ``pytest.raises(EOFError)``
works. Nothing the contestant sends is executed or unpickled here.

Every limit holds while an answer is read too: it is read a piece at a time as
it arrives, between checks of the contestant, and its sizes (the frame, the
plain data, each array from its header) are checked against what the judge
accepts before anything is allocated: a quarter of the exercise's memory budget
per answer, four times that budget over all the exercise's answers. An answer
over either, or one that cannot be read, ends the contestant with a message
that says so. Nothing the judge sends carries code: a probe is named, and
runs from ``autograder.contestant.probes``, which ships with the contestant.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import select
import socket
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.contestant import probes, protocol
from autograder.sandbox import OUTPUT_LIMIT

POLL = 0.05
# Seconds between two measures of the contestant's CPU and memory: a measure walks the
# machine's process table (most of a judge's own CPU time when taken every POLL), and the
# kernel's RLIMIT_AS already stops an allocation beyond the budget in between.
ENFORCE_EVERY = 0.25
IDLE_CPU = 0.05           # CPU seconds that count as progress
IDLE_BYTES = 64 << 10     # ... and bytes of a request or an answer moved (a dripping answer never makes it)
WALL_FACTOR = 3           # wall-clock limit = this many times the CPU-time limit (a loaded machine)
CHUNK = 1 << 22           # bytes sent or read at a time, between checks of the contestant
ANSWER_SHARE = 4          # one answer's arrays: at most a quarter of the exercise's memory budget
EXERCISE_FACTOR = 4       # all the answers of an exercise: at most four times its memory budget
PLAIN_LIMIT = 8 << 20     # bytes of plain data (JSON) per answer: as Python objects it takes ~20 times that
ARCHIVE_OVERHEAD = 2 << 20  # bytes of an answer's archive besides its arrays (headers of up to MAX_ARRAYS)
ANSWERS_NOTE_ENV = "AUTOGRADER_ANSWERS_NOTE"  # where the runner asks the judge to note the answers it holds


@dataclass
class Budget:
    cpu_seconds: float = 120.0   # per exercise and per thread
    memory_mb: int = 4096
    threads: int = 1
    idle_limit: float | None = None  # seconds without computing; None: a quarter of the CPU budget, at least 10 s

    @property
    def idle_seconds(self) -> float:
        return self.idle_limit if self.idle_limit is not None else max(10.0, self.cpu_seconds / 4)


class RemoteError(Exception):
    """An exception raised by the student's code, as the contestant described it."""

    stub = False


class NotImplementedRemote(RemoteError, NotImplementedError):
    stub = True


class ContestantGone(Exception):
    """The contestant ended or was stopped before it answered; the message is its fate."""


def _size(n: int) -> str:
    return f"{n / 2**30:.1f} GB" if n >= 2**30 else f"{max(1, round(n / 2**20))} MB" if n >= 2**20 else f"{n} bytes"


class AnswersHeld:
    """The bytes of the student's arrays this judge holds now, noted in a file for the runner.

    Arrays count from the moment their answer starts to arrive until the judge drops
    the last reference to them. When the judge is killed for its memory, the runner
    reads the note (``runner.Runner._verdict``): a judge that held a large share of
    answers died of what the student's code sent, and the report says so.
    """

    STEP = 32 << 20  # the note is rewritten when the bytes held cross a multiple of this

    def __init__(self, note: str | None = None):
        self.note = note  # None: the file ANSWERS_NOTE_ENV names when it is written (the runner sets it after a fork)
        self.bytes = 0
        self._noted = 0

    def add(self, n: int) -> None:
        self.bytes += n
        self._write()

    def drop(self, n: int) -> None:
        self.bytes -= n
        self._write()

    def track(self, arrays) -> None:
        """Count ``arrays`` until each is freed (their views keep them)."""
        for array in arrays:
            self.add(array.nbytes)
            freed = weakref.finalize(array.base if array.base is not None else array, self.drop, array.nbytes)
            freed.atexit = False  # a judge that ends holds nothing worth a note

    def _write(self) -> None:
        note = self.note or os.environ.get(ANSWERS_NOTE_ENV)
        if not note or self.bytes // self.STEP == self._noted // self.STEP:
            return
        self._noted = self.bytes
        try:
            partial = Path(note + ".partial")
            partial.write_text(json.dumps({"bytes": self.bytes}), encoding="utf-8")
            os.replace(partial, note)
        except OSError:
            pass  # the note is a courtesy to the report; grading goes on without it


held = AnswersHeld()


_KINDS: dict[tuple[str, ...], type] = {}
_NEVER_RAISED = (BaseException, Exception, SystemExit, KeyboardInterrupt, GeneratorExit)


def remote_error(info: dict) -> RemoteError:
    """A RemoteError that also is the built-in exception the student raised (EOFError, ValueError...)."""
    if info.get("stub"):
        return NotImplementedRemote("not implemented")
    names = tuple(str(n) for n in info.get("bases", []) if isinstance(n, str))
    base = next((getattr(builtins, n) for n in names
                 if isinstance(getattr(builtins, n, None), type) and issubclass(getattr(builtins, n), Exception)
                 and getattr(builtins, n) not in _NEVER_RAISED), None)
    key = (base.__name__,) if base else ()
    if key not in _KINDS:
        _KINDS[key] = type(f"Remote{key[0] if key else 'Error'}", (RemoteError, base) if base else (RemoteError,), {})
    message = str(info.get("message", "an error"))[:protocol_message_limit()]
    return _KINDS[key](message)


def protocol_message_limit() -> int:
    return 500


class Connection:
    """One contestant, asked one thing at a time."""

    def __init__(self, contestant, budget: Budget, log_file: Path):
        """``contestant``: one started already (a zygote's :class:`~autograder.sandbox.Child`)."""
        self.budget = budget
        self.log_file = Path(log_file)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.sandbox = contestant
        self.fate: str | None = None
        self.started = time.monotonic()
        self.peak_mb = 0.0
        self.cpu = 0.0
        self._progress = (0.0, 0, time.monotonic())  # (CPU seconds, bytes moved, when) at the last progress
        self._moved = 0                                # bytes of requests sent and answers read
        self._checked = 0.0
        self._streams: dict[int, tuple[io.BytesIO, protocol.Handle]] = {}
        memory = budget.memory_mb * 2**20
        self.answer_limit = min(protocol.MAX_FRAME, memory // ANSWER_SHARE)  # bytes of arrays per answer
        self.exercise_limit = memory * EXERCISE_FACTOR                        # ... over all of them
        self.accepted = 0                                                      # ... so far

    @property
    def protections(self) -> list[str]:
        return self.sandbox.protections

    # -- asking -----------------------------------------------------------

    def ask(self, request: dict, keep: bool = False):
        if self.fate:
            raise ContestantGone(self.fate)
        arrays: list = []
        message = protocol.encode(dict(request, keep=keep) if keep else request, arrays, self._to_handle)
        # Idle is counted from each request: the judge's own time between requests is not the contestant's.
        self._progress = (self.cpu, self._moved, time.monotonic())
        self._send(protocol.pack(message, arrays))
        header, received = self._receive()
        try:
            if "error" in header:
                raise remote_error(header["error"] if isinstance(header["error"], dict) else {})
            return protocol.decode(header.get("value"), received, lambda h: Remote(self, h))
        except protocol.ProtocolError as error:
            raise self._refuse(error) from None

    def _send(self, frame: bytes) -> None:
        """Send a request a piece at a time, watching the contestant while it does not read."""
        view, sent = memoryview(frame), 0
        while sent < len(view):
            try:
                count = self.sandbox.socket.send(view[sent:sent + CHUNK], socket.MSG_DONTWAIT | socket.MSG_NOSIGNAL)
                sent += count
                self._moved += count
            except (BlockingIOError, InterruptedError):
                self._watch(writing=True)
            except OSError:
                self._wait_for_the_end()
                raise ContestantGone(self._gone()) from None

    def _receive(self) -> tuple[dict, dict]:
        """One answer, read as it arrives, every limit watched meanwhile; its sizes checked before it is read."""
        left = self.exercise_limit - self.accepted
        limits = protocol.Limits(frame=min(protocol.MAX_FRAME, self.answer_limit + PLAIN_LIMIT + ARCHIVE_OVERHEAD),
                                 plain=PLAIN_LIMIT, arrays=max(0, min(self.answer_limit, left)))
        reader = protocol.FrameReader(limits)
        arriving = 0
        try:
            while not reader.done:
                if not self._watch():
                    continue
                try:
                    chunk = self.sandbox.socket.recv(min(reader.wanted(), CHUNK), socket.MSG_DONTWAIT)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    chunk = b""
                if not chunk:
                    self._wait_for_the_end()
                    raise ContestantGone(self._gone())
                reader.feed(chunk)
                self._moved += len(chunk)
                if reader.size is not None and not arriving:
                    arriving = reader.size
                    held.add(arriving)  # the bytes on their way count as held until they are read
            header, received = reader.frame()
        except protocol.ProtocolError as error:
            raise self._refuse(error) from None
        finally:
            held.drop(arriving)
        held.track(received.values())
        self.accepted += sum(a.nbytes for a in received.values())
        return header, received

    def _refuse(self, error: protocol.ProtocolError) -> ContestantGone:
        """End a contestant whose answer the judge will not read; its fate says why, for the student."""
        if isinstance(error, protocol.OverBudget):
            self.fate = self._too_large(error)
        else:
            self.fate = f"your code's answer could not be read by the grader ({error})"
        self.sandbox.kill("protocol")
        return ContestantGone(self.fate)

    def _too_large(self, error: protocol.OverBudget) -> str:
        if error.kind == "plain":
            return (f"your code returned {_size(error.size)} of plain Python data (lists, numbers, strings) in one "
                    f"answer; the grader accepts at most {_size(PLAIN_LIMIT)} of it (numpy arrays may be larger)")
        if error.limit < self.answer_limit and error.size <= self.answer_limit:
            return (f"your code's answers to this exercise add up to more than {_size(self.exercise_limit)} of "
                    "arrays, the most the grader accepts from one exercise (are they far larger than asked for?)")
        what = {"frame": "an answer", "array": "an array", "arrays": "arrays"}[error.kind]
        detail = f" ({error.detail})" if error.detail else ""
        return (f"your code returned {what} of {_size(error.size)}{detail}; "
                f"the grader accepts at most {_size(self.answer_limit)} per answer")

    def _to_handle(self, value):
        if type(value).__module__.startswith(("tensorflow", "keras")) and hasattr(value, "numpy"):
            return np.asarray(value.numpy())  # the judge's own tensors travel as arrays
        if isinstance(value, Remote):
            if value._connection is not self:
                raise protocol.ProtocolError("a handle of another contestant")
            return value._handle
        if isinstance(value, io.BytesIO):  # made there once, then the same stream on every call
            known = self._streams.get(id(value))
            if known is None or known[0] is not value:
                handle = self.ask({"op": "new", "kind": "BytesIO", "data": value.getvalue(),
                                   "position": value.tell()})._handle
                known = self._streams[id(value)] = (value, handle)
            return known[1]
        raise protocol.ProtocolError(f"the grader cannot send a {type(value).__name__} to the contestant")

    def _watch(self, writing: bool = False) -> bool:
        """Wait up to POLL for the socket to be ready; True when it is. Every ENFORCE_EVERY, the limits:
        the contestant is stopped (ContestantGone) at any of them, or found gone."""
        sock = self.sandbox.socket
        readable, writable, _ = select.select([] if writing else [sock], [sock] if writing else [], [], POLL)
        ready = bool(readable or writable)
        now = time.monotonic()
        ended = not ready and self.sandbox.process.poll() is not None
        if now - self._checked < ENFORCE_EVERY and not ended:
            return ready
        self._checked = now
        if ended:
            self._wait_for_the_end()  # it has ended with nothing more to read: ask why
            raise ContestantGone(self._gone())
        self._enforce(now)
        return ready

    def _enforce(self, now: float) -> None:
        """Stop the contestant at the first limit it is over (CPU, memory, idleness, wall clock, output)."""
        budget = self.budget
        rss, cpu = self.sandbox.usage()
        self.peak_mb, self.cpu = max(self.peak_mb, rss), max(self.cpu, cpu)
        if self.cpu >= self._progress[0] + IDLE_CPU or self._moved >= self._progress[1] + IDLE_BYTES:
            self._progress = (self.cpu, self._moved, now)
        reason = None
        if rss > budget.memory_mb:
            reason = "memory"
        elif self.cpu > budget.cpu_seconds * budget.threads:
            reason = "timeout"
        elif now - self._progress[2] > budget.idle_seconds:
            reason = "idle"
        elif now - self.started > budget.cpu_seconds * WALL_FACTOR:
            reason = "wall"
        elif self.sandbox.output_flooded():
            reason = "output"
        if reason:
            self.sandbox.kill(reason)
            self._wait_for_the_end()
            raise ContestantGone(self._gone())

    def _wait_for_the_end(self) -> None:
        try:
            self.sandbox.process.wait(timeout=10)
        except Exception:
            self.sandbox.kill("hung")

    def _gone(self) -> str:
        """Why the contestant ended, in words for the student (also kept as :attr:`fate`)."""
        budget, killed = self.budget, self.sandbox.killed
        code = self.sandbox.process.returncode
        if killed == "timeout":
            text = (f"stopped after {self.cpu:.0f} s of computing, the time limit per exercise "
                    "(an endless loop, or much slower code than needed?)")
        elif killed == "idle":
            text = f"stopped: computed nothing for {budget.idle_seconds:.0f} s (waiting for input, sleeping, or stuck?)"
        elif killed == "wall":
            text = f"stopped after {budget.cpu_seconds * WALL_FACTOR:.0f} s without finishing"
        elif killed == "memory":
            text = f"stopped: used more than {budget.memory_mb} MB of memory, the limit per exercise"
        elif killed == "output" or self.sandbox.output_flooded():
            text = f"stopped: your code printed more than {OUTPUT_LIMIT // 2**20} MB of output"
        else:
            text = _exit_words(code, self.sandbox.isolated)
        self.fate = text
        return text

    # -- the requests hidden tests make -----------------------------------

    def run_cells(self, sources: list[tuple[str, str]], seed: int | None, threads: int) -> None:
        self.ask({"op": "exec", "sources": [list(s) for s in sources], "seed": seed, "threads": threads})

    def close(self) -> None:
        self.sandbox.close()


def _exit_words(code: int | None, isolated: bool) -> str:
    """Words for a contestant that ended by itself (bwrap reports a signal as 128 + its number)."""
    import signal

    if code is None:
        return "the Python process stopped answering"
    signum = -code if code < 0 else (code - 128 if isolated and 128 < code < 160 else None)
    if signum:
        if signum == signal.SIGXFSZ:
            return f"stopped: your code wrote more than {OUTPUT_LIMIT // 2**20} MB to a file or its output"
        if signum == signal.SIGKILL:
            return ("the process was killed (SIGKILL) by the system, not by the grader: "
                    "most likely it used too much memory")
        name = signal.Signals(signum).name if signum in signal.Signals._value2member_map_ else str(signum)
        return f"the Python process crashed ({name}) while running your code"
    return (f"the Python process ended (exit code {code}) before the tests finished: "
            "does your code call os._exit() or similar?")


class Remote:
    """A student's object that stays in the contestant; attribute access and calls are requests."""

    __slots__ = ("_connection", "_handle")

    def __init__(self, connection: Connection, handle: protocol.Handle):
        object.__setattr__(self, "_connection", connection)
        object.__setattr__(self, "_handle", handle)

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._connection.ask({"op": "get", "target": self, "path": [name]})

    def __call__(self, *args, **kwargs):
        return self._connection.ask({"op": "call", "target": self, "args": list(args), "kwargs": kwargs})

    def remote_call(self, method: str, *args, keep: bool = False, **kwargs):
        """``obj.method(*args)``; ``keep=True`` leaves even a plain result in the contestant."""
        return self._connection.ask({"op": "call", "target": self, "path": [method], "args": list(args),
                                     "kwargs": kwargs}, keep=keep)

    def __getitem__(self, key):
        return self.remote_call("__getitem__", key)

    def __len__(self):
        return self._connection.ask({"op": "builtin", "target": self, "name": "len"})

    def __iter__(self):
        return iter(self._connection.ask({"op": "builtin", "target": self, "name": "list"}))

    @property
    def remote_type(self) -> list[str]:
        """The class names of the object's type and its bases, as the contestant reports them."""
        return self._connection.ask({"op": "builtin", "target": self, "name": "type"})

    def __repr__(self) -> str:
        return f"<the student's {self._handle.type}>"


class RemoteNamespace:
    """The contestant's globals, read by attribute: ``student.unpack_drawing``."""

    def __init__(self, connection: Connection):
        self.connection = connection

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return self.connection.ask({"op": "get", "target": {"name": name}, "path": []})

    def probe(self, name: str, *args, **kwargs):
        """Run the probe ``name`` (a function of ``autograder.contestant.probes``) in the contestant.

        For what must happen beside the student's objects (a gradient, a training
        run): only the name and plain arguments are sent, never code, and only the
        probe's plain result comes back, to be checked here like any answer.
        """
        if not isinstance(name, str) or name not in probes.PROBES:
            raise TypeError(f"no probe named {name!r} in autograder/contestant/probes.py (probes are called by name)")
        return self.connection.ask({"op": "probe", "name": name, "args": list(args), "kwargs": kwargs})

    def __contains__(self, name: str) -> bool:
        try:
            self.connection.ask({"op": "get", "target": {"name": name}, "path": []})
            return True
        except RemoteError:
            return False

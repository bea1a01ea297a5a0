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
"""

from __future__ import annotations

import ast
import builtins
import inspect
import io
import textwrap
import select
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.contestant import protocol
from autograder.sandbox import OUTPUT_LIMIT, Sandbox, SandboxSettings

POLL = 0.05
IDLE_CPU = 0.05           # CPU seconds that count as progress
WALL_FACTOR = 3           # wall-clock limit = this many times the CPU-time limit (a loaded machine)


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

    def __init__(self, settings: SandboxSettings, budget: Budget, log_file: Path, contestant=None):
        """``contestant``: one started already (a zygote's :class:`~autograder.sandbox.Child`); else a sandbox of its own."""
        self.budget = budget
        self.log_file = Path(log_file)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.sandbox = contestant if contestant is not None else Sandbox(settings, log_file)
        self.fate: str | None = None
        self.started = time.monotonic()
        self.peak_mb = 0.0
        self.cpu = 0.0
        self._progress = (0.0, time.monotonic())
        self._streams: dict[int, tuple[io.BytesIO, protocol.Handle]] = {}

    @property
    def protections(self) -> list[str]:
        return self.sandbox.protections

    # -- asking -----------------------------------------------------------

    def ask(self, request: dict, keep: bool = False):
        if self.fate:
            raise ContestantGone(self.fate)
        arrays: list = []
        message = protocol.encode(dict(request, keep=keep) if keep else request, arrays, self._to_handle)
        try:
            protocol.send(self.sandbox.socket, message, arrays)
        except OSError:
            self._wait_for_the_end()
            raise ContestantGone(self._gone()) from None
        self._await_reply()
        try:
            header, received = protocol.receive(self.sandbox.socket)
        except (EOFError, OSError):
            self._wait_for_the_end()
            raise ContestantGone(self._gone()) from None
        except protocol.ProtocolError as error:
            self.fate = f"your code's answer could not be read by the grader ({error})"
            self.sandbox.kill("protocol")
            raise ContestantGone(self.fate) from None
        try:
            if "error" in header:
                raise remote_error(header["error"] if isinstance(header["error"], dict) else {})
            return protocol.decode(header.get("value"), received, lambda h: Remote(self, h))
        except protocol.ProtocolError as error:
            self.fate = f"your code's answer could not be read by the grader ({error})"
            self.sandbox.kill("protocol")
            raise ContestantGone(self.fate) from None

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

    def _await_reply(self) -> None:
        """Wait until an answer is readable, enforcing the budget meanwhile."""
        budget = self.budget
        while True:
            readable, _, _ = select.select([self.sandbox.socket], [], [], POLL)
            if readable:
                return
            if self.sandbox.process.poll() is not None:
                return  # the read that follows sees the end and asks why
            rss, cpu = self.sandbox.usage()
            now = time.monotonic()
            self.peak_mb, self.cpu = max(self.peak_mb, rss), max(self.cpu, cpu)
            if self.cpu >= self._progress[0] + IDLE_CPU:
                self._progress = (self.cpu, now)
            reason = None
            if rss > budget.memory_mb:
                reason = "memory"
            elif self.cpu > budget.cpu_seconds * budget.threads:
                reason = "timeout"
            elif now - self._progress[1] > budget.idle_seconds:
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

    def probe(self, function, *args, **kwargs):
        """Run ``function`` (a module-level function of the hidden tests) in the contestant.

        For what must happen beside the student's objects (a gradient, a training
        run): the function's source is sent and run there, on plain arguments, and
        only its plain result comes back, to be checked here like any answer.
        """
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        definition = tree.body[0]
        definition.decorator_list = []  # a decorator of the hidden tests means nothing there
        source = ast.unparse(tree)
        return self.connection.ask({"op": "probe", "source": source, "name": function.__name__,
                                    "args": list(args), "kwargs": kwargs})

    def __contains__(self, name: str) -> bool:
        try:
            self.connection.ask({"op": "get", "target": {"name": name}, "path": []})
            return True
        except RemoteError:
            return False

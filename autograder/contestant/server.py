"""The contestant: the only process that runs a student's code, answering the judge.

It starts empty, executes the cells the judge sends (the master's setup cells,
the reference cells of the other exercises, the student's cell), then answers
requests on its socket until the judge closes it:

    exec    run cells in the namespace              -> {"ok": true}
    probe   run a named probe (``probes``) there    -> its result
    get     an attribute path of a name or handle   -> its value
    call    call it with plain arguments            -> its result
    new     make an io.BytesIO from bytes           -> a handle
    builtin len / list / str / type of a handle     -> plain data

Results are plain data (see ``protocol``); anything else stays here and goes
back as a handle the judge may use in later requests. A student's exception
goes back as ``{"error": {...}}`` with a one-line message written for the
student. Nothing here decides a grade: the judge checks every answer, so a
student who patches this module, numpy or Keras only changes what they answer.

Run as ``python -m contestant.server --zygote FD`` inside the sandbox (``autograder.sandbox``):
a warm process that starts a fresh, sealed contestant per exercise on the judge's request (``zygote``).
"""

from __future__ import annotations

import errno
import io
import os
import resource
import random
import re
import socket
import sys
import traceback

try:  # inside the sandbox this package is top-level; in the judge it is autograder.contestant
    from . import confine, probes, protocol
except ImportError:  # pragma: no cover - run as a script
    import confine  # type: ignore
    import probes  # type: ignore
    import protocol  # type: ignore

MESSAGE_LIMIT = 400
STUB_TEXT = "is yours to write"  # part of every stub's message (autograder.assign.stub_message)
ANSI_CODES = re.compile(r"\x1b\[[0-9;]*m")  # Keras colours parts of its error messages


# ----------------------------------------------------------------------------- messages for students

def _chain(error: BaseException):
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def _one_line(text: str) -> str:
    text = ANSI_CODES.sub("", str(text))
    text = " / ".join(part.strip() for part in text.strip().splitlines() if part.strip())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


def _location(error: BaseException, cells: dict[str, str]) -> str:
    """' (your cell 'x', line 4: y = 1)' for the deepest frame of the student's cell; without one,
    the probe's line that met the error (' (while the grader ran `np.asarray(student.f(x))`)'), so that
    what the grader did with the answer is not read as the student's own line."""
    where = ""
    probe = ""
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename.startswith("<cell ") and frame.filename.endswith(">"):
            name = frame.filename[len("<cell "):-1]
            lines = cells.get(name, "").splitlines()
            code = lines[frame.lineno - 1].strip() if frame.lineno and 0 < frame.lineno <= len(lines) else ""
            where = f" (your cell '{name}', line {frame.lineno}" + (f": {code})" if code else ")")
        elif frame.filename == probes.__file__ and frame.line:
            probe = f" (while the grader ran `{frame.line}`)"
    return where or probe


def _is_stub(error: BaseException) -> bool:
    """A NotImplementedError from the student's cell: the stub ``make lessons`` leaves."""
    if not isinstance(error, NotImplementedError):
        return False
    # Inside a tf.function the frames are autograph's copy of the cell, but the stub's text survives.
    return STUB_TEXT in str(error) or any(
        frame.filename.startswith("<cell ") for frame in traceback.extract_tb(error.__traceback__))


def describe(error: BaseException, cells: dict[str, str]) -> dict:
    """What the judge learns of an exception: its kind, for ``pytest.raises``, and a line for the student."""
    kind = type(error).__name__
    bases = [c.__name__ for c in type(error).__mro__ if c.__module__ == "builtins"]
    location = _location(error, cells)
    if any(_is_stub(e) for e in _chain(error)):
        text, kind = "not implemented", "NotImplementedError"
    elif isinstance(error, OSError) and error.errno == errno.EFBIG:  # RLIMIT_FSIZE (Python ignores SIGXFSZ)
        limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0] // 2**20
        text = f"stopped: your code wrote more than {limit} MB of output or to one file, the limit per exercise" + location
    elif isinstance(error, MemoryError):
        text = "ran out of memory (MemoryError)" + location
    elif isinstance(error, SystemExit):
        text = f"your code called sys.exit({error.code!r}); the grader cannot test past that" + location
    elif isinstance(error, KeyboardInterrupt):
        text = "your code raised KeyboardInterrupt (interrupted)" + location
    elif isinstance(error, SyntaxError) and str(error.filename).startswith("<cell "):
        text = f"syntax error in your cell, line {error.lineno}: {error.msg}"
    else:
        message = str(error).strip()
        text = _one_line(f"{kind}: {message}" if message else kind) + location
    return {"type": kind, "bases": bases, "message": _one_line(text), "stub": text == "not implemented"}


# ----------------------------------------------------------------------------- the namespace and handles

class Contestant:
    def __init__(self):
        self.namespace: dict = {"__name__": "__main__"}
        self.cells: dict[str, str] = {}
        self.objects: dict[int, object] = {}

    def handle(self, obj) -> protocol.Handle:
        key = id(obj)
        self.objects[key] = obj  # kept alive for as long as the judge may name it
        return protocol.Handle(key, type(obj).__name__)

    def resolve(self, handle: protocol.Handle):
        try:
            return self.objects[handle.id]
        except KeyError:
            raise LookupError(f"no object #{handle.id} here") from None

    def materialize(self, value):
        """Arguments as objects: handles become what they name, containers are walked."""
        if isinstance(value, protocol.Handle):
            return self.resolve(value)
        if type(value) in (list, tuple):
            return type(value)(self.materialize(v) for v in value)
        if type(value) is dict:
            return {k: self.materialize(v) for k, v in value.items()}
        return value

    def target(self, spec):
        """A request's target: {"name": ...} in the namespace, or a handle."""
        if isinstance(spec, protocol.Handle):
            return self.resolve(spec)
        if type(spec) is dict and isinstance(spec.get("name"), str):
            name = spec["name"]
            if name not in self.namespace:
                raise NameError(f"name '{name}' is not defined")
            return self.namespace[name]
        raise protocol.ProtocolError("a request without a target")

    def walk(self, obj, path):
        for name in path:
            if not isinstance(name, str):
                raise protocol.ProtocolError("an attribute name that is not a string")
            obj = getattr(obj, name)
        return obj

    def plain(self, value):
        """Convert tensors to arrays on the way out; the rest is the protocol's job."""
        if type(value).__module__.startswith(("tensorflow", "keras")) and hasattr(value, "numpy") and \
                hasattr(value, "shape") and hasattr(value, "dtype"):
            try:
                return value.numpy()
            except Exception:
                return value
        if type(value) in (list, tuple):
            return type(value)(self.plain(v) for v in value)
        if type(value) is dict:
            return {k: self.plain(v) for k, v in value.items()}
        return value

    # -- requests ---------------------------------------------------------

    def op_exec(self, request, _arrays):
        configure(request.get("threads"), request.get("seed"))
        for filename, source in request["sources"]:
            if filename.startswith("<cell ") and filename.endswith(">"):
                self.cells[filename[len("<cell "):-1]] = source
            exec(compile(source, filename, "exec"), self.namespace)
        return {"ok": True}

    def op_get(self, request, arrays):
        return self.walk(self.target(request["target"]), request.get("path", []))

    def op_call(self, request, arrays):
        function = self.walk(self.target(request["target"]), request.get("path", []))
        args = self.materialize(request.get("args", []))
        kwargs = self.materialize(request.get("kwargs", {}))
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise protocol.ProtocolError("malformed arguments")
        return function(*args, **kwargs)

    def op_probe(self, request, _arrays):
        """Run the probe of that name (``probes``), here beside the student's code, on plain arguments.

        The judge sends a name, never code; the result is judged like any answer: the judge trusts none of it.
        """
        function = probes.PROBES.get(request.get("name"))
        if function is None:
            raise protocol.ProtocolError(f"no probe named {request.get('name')!r}")
        args = self.materialize(request.get("args", []))
        kwargs = self.materialize(request.get("kwargs", {}))
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise protocol.ProtocolError("malformed arguments")
        return function(probes.StudentNames(self.namespace), *args, **kwargs)

    def op_new(self, request, _arrays):
        if request.get("kind") != "BytesIO":
            raise protocol.ProtocolError("only BytesIO objects are made on request")
        stream = io.BytesIO(request["data"])
        stream.seek(int(request.get("position", 0)))
        return self.handle(stream)

    def op_builtin(self, request, _arrays):
        obj = self.target(request["target"])
        name = request.get("name")
        if name == "len":
            return len(obj)
        if name == "list":
            return list(obj)
        if name == "str":
            return str(obj)[:10_000]
        if name == "type":
            return [c.__module__ + "." + c.__qualname__ for c in type(obj).__mro__]
        raise protocol.ProtocolError(f"no builtin {name!r}")

    def answer(self, request: dict, arrays: dict):
        op = request.get("op")
        method = getattr(self, f"op_{op}", None) if isinstance(op, str) else None
        if method is None:
            raise protocol.ProtocolError(f"unknown request {op!r}")
        result = method(request, arrays)
        # "keep": the judge wants a handle even for plain data (a training set it passes on).
        return self.handle(result) if request.get("keep") else result


def configure(threads, seed) -> None:
    """Thread counts and the grader's seed, before the first cell runs."""
    if threads:
        tf = sys.modules.get("tensorflow")
        if tf is not None:
            try:
                tf.config.threading.set_intra_op_parallelism_threads(int(threads))
                tf.config.threading.set_inter_op_parallelism_threads(max(2, int(threads)))
            except RuntimeError:
                pass  # the runtime started already: grading still works, only slower
    if seed is not None:
        if "keras" in sys.modules:
            from aecourse.seeding import set_seed

            set_seed(int(seed))
        else:
            import numpy as np

            random.seed(int(seed))
            np.random.seed(int(seed))


def serve(sock: socket.socket) -> None:
    contestant = Contestant()
    while True:
        try:
            request, arrays = protocol.receive(sock)
        except EOFError:
            return
        try:
            decoded = protocol.decode(request, arrays)  # handles stay handles until used
            result = contestant.answer(decoded, arrays)
            out: list = []
            reply = {"value": protocol.encode(contestant.plain(result), out, contestant.handle)}
        except BaseException as error:  # noqa: BLE001 - the student's exception, exit or interrupt is an answer too
            out = []
            reply = {"error": describe(error, contestant.cells)}
        protocol.send(sock, reply, out)


def preload() -> None:
    """Import what the lessons' setup cells import, before the first request (a warm start)."""
    for name in filter(None, os.environ.get("CONTESTANT_PRELOAD", "").split(",")):
        try:
            __import__(name.strip())
        except ImportError:
            pass


def zygote(control: socket.socket) -> None:
    """Start one contestant per request of the judge, from this warm process; say how each ended.

    Requests come on ``control`` (a SOCK_SEQPACKET socket): ``fork SETTINGS``
    (JSON, see :func:`enter_exercise`) with two file descriptors, the new
    contestant's socket and its log, makes a copy of this process, which has
    imported the heavy modules but started no TensorFlow runtime (so the copy can
    train). The answer is the new process's pid. ``status PID`` answers its exit
    code once it has ended (negative: killed by that signal), else ``running``.
    This process runs no student code; no process of its uid may trace it, and
    it adopts every orphan of its contestants (so the judge finds them).
    """
    import json
    import select

    confine.protect_zygote()
    ended: dict[int, int] = {}

    def reap() -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            ended[pid] = os.waitstatus_to_exitcode(status)

    control.sendall(f"ready {os.getpid()}".encode())
    while True:
        readable, _, _ = select.select([control], [], [], 0.2)
        reap()
        if not readable:
            continue
        try:
            message, fds, _, _ = socket.recv_fds(control, 1 << 16, 2)
        except OSError:
            return
        if not message:
            return  # the judge has gone
        command, _, payload = message.decode("utf-8", "replace").partition(" ")
        if command == "status":
            reap()
            pid = int(payload.split()[0])
            control.sendall(str(ended.get(pid, "running")).encode())
            continue
        if command != "fork" or len(fds) != 2:
            for fd in fds:
                os.close(fd)
            control.sendall(b"error")
            continue
        channel, log = fds
        settings = json.loads(payload or "{}")
        pid = os.fork()
        if pid == 0:  # the new contestant: its own session, log, uid and folder; nothing of the zygote's loop
            sock = socket.socket(fileno=channel)
            try:
                control.close()
                os.setsid()
                os.dup2(log, 1)
                os.dup2(log, 2)
                os.close(log)
                layers = enter_exercise(settings)
                sock.sendall(("confined " + " ".join(layers) + "\n").encode())
            except BaseException as error:  # noqa: BLE001 - the judge reads this as the grader's failure
                print(f"contestant: could not seal itself: {type(error).__name__}: {error}", flush=True)
                os._exit(97)
            try:
                serve(sock)
            finally:
                os._exit(0)
        os.close(channel)
        os.close(log)
        control.sendall(str(pid).encode())


def enter_exercise(settings: dict) -> list[str]:
    """In a fresh fork of the zygote, before any request: this exercise's folder, limits and seals.

    ``settings`` (from the judge): ``home`` (the exercise's scratch folder, as this
    process sees it), ``nproc`` (RLIMIT_NPROC), and what :func:`confine.confine` takes.
    """
    import tempfile

    if settings.get("nproc"):
        limit = int(settings["nproc"])
        resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))
    layers = confine.confine(settings)
    home = settings.get("home")
    if home:  # after the uid switch: the folder is the exercise uid's alone (0700)
        os.environ.update(HOME=home, TMPDIR=home)
        tempfile.tempdir = None  # the zygote may have looked it up already
        os.chdir(home)
    return layers


def main(argv: list[str]) -> int:
    if argv[1] != "--zygote":
        print("usage: python -m contestant.server --zygote FD", file=sys.stderr)
        return 2
    control = socket.socket(fileno=int(argv[2]))
    preload()
    zygote(control)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

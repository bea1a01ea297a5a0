"""What the judge accepts from a contestant, in-process: sizes checked before allocation, limits held while reading.

The wire format is public, so a contestant may send any bytes: here hand-made
answers (``hostile_frames``) are read by the protocol directly, and sent by a
scripted stand-in contestant (a Python process on the other end of a socket) to
a real :class:`~autograder.remote.Connection`, which must stop it at its limits
with a message for the student, however the bytes arrive. Also: a probe is sent
by name, never as code, and the runner blames an answer that killed the judge.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import socket
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import psutil
import pytest

import hostile_frames as hostile
from autograder.contestant import probes, protocol, server
from autograder.remote import AnswersHeld, Budget, Connection, ContestantGone, RemoteNamespace

REPO = Path(__file__).resolve().parent.parent
MB = 1 << 20


@contextlib.contextmanager
def allocations():
    """The most this process allocated at once within the block (numpy's arrays and Python's objects), in MB."""
    peak = [0.0]
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak[0] = tracemalloc.get_traced_memory()[1] / MB
        tracemalloc.stop()


def npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


# ----------------------------------------------------------------------------- the protocol alone

def test_arrays_come_back_as_they_were_sent():
    fortran = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    body = protocol.pack({"value": 1})[8:] + npz(a0=fortran, a1=np.arange(5, dtype=">i4"), a2=np.zeros((0, 2)),
                                                 a3=np.array(True), a4=np.arange(6, dtype=np.complex64))
    _, arrays = protocol.unpack(body)
    np.testing.assert_array_equal(arrays["a0"], fortran)
    assert arrays["a1"].tolist() == [0, 1, 2, 3, 4] and arrays["a2"].shape == (0, 2) and arrays["a3"].item() is True
    assert arrays["a4"].dtype == np.complex64


def test_a_giant_shape_is_refused_from_its_header_without_allocating():
    with allocations() as peak, pytest.raises(protocol.OverBudget) as refused:
        protocol.unpack(hostile.giant_shape_answer()[8:], protocol.Limits(arrays=64 * MB))
    assert refused.value.kind == "array" and refused.value.size == 8 * 10**12
    assert "(1000000, 1000000)" in refused.value.detail
    assert peak[0] < 1


def test_an_inflating_member_is_refused_from_its_header_before_inflating():
    answer = hostile.inflating_answer(8)   # 8 MB that would inflate to 8 GiB
    started = time.monotonic()
    with allocations() as peak, pytest.raises(protocol.OverBudget) as refused:
        protocol.unpack(answer[8:], protocol.Limits(arrays=256 * MB))
    assert refused.value.kind == "array" and refused.value.size == 8 << 30
    assert time.monotonic() - started < 1.0 and peak[0] < 20   # the 8 MB answer, a copy of it, no more


def test_a_member_whose_directory_size_disagrees_with_its_header_is_refused():
    header = hostile.npy_header((1000,))
    member = header + bytes(8000)
    data = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = data.compress(member) + data.flush()
    declared = member[:len(header) + 200]  # the directory says 200 bytes of data, the header 8,000
    archive = hostile.zip_archive([("a0.npy", deflated, 8, len(declared), zlib.crc32(declared))])
    with pytest.raises(protocol.ProtocolError, match="disagrees with its header"):
        protocol.unpack(hostile.frame({"value": {"$array": "a0"}}, archive)[8:])


def test_a_member_that_inflates_past_its_declared_size_is_read_only_to_that_size():
    """Deflated data longer than the directory says is never inflated past what was checked."""
    header = hostile.npy_header((16,))
    declared = header + bytes(128)
    deflated = hostile.deflated_zeros(header, 1 << 30)  # would be 1 GiB if inflated to its end
    archive = hostile.zip_archive([("a0.npy", deflated, 8, len(declared), zlib.crc32(declared))])
    started = time.monotonic()
    _, arrays = protocol.unpack(hostile.frame({"value": {"$array": "a0"}}, archive)[8:])
    assert arrays["a0"].shape == (16,) and time.monotonic() - started < 1.0


def test_many_arrays_over_the_budget_together_are_refused_before_any_is_read():
    started = time.monotonic()
    with pytest.raises(protocol.OverBudget) as refused:
        protocol.unpack(hostile.many_arrays_answer(40, 16)[8:], protocol.Limits(arrays=256 * MB))
    assert refused.value.kind == "arrays" and refused.value.size == 640 * MB and "40 arrays" in refused.value.detail
    assert time.monotonic() - started < 1.0
    _, arrays = protocol.unpack(hostile.many_arrays_answer(3, 16)[8:], protocol.Limits(arrays=256 * MB))
    assert len(arrays) == 3


@pytest.mark.parametrize("descr", ["|O", "<U4", "[('x', '<f8')]", "('<f8', (2,))", "<M8[s]"])
def test_only_plain_numeric_dtypes_are_read(descr):
    member = hostile.npy_header((1,), descr=descr) + bytes(64)
    archive = hostile.zip_archive([("a0.npy", member, 0, len(member), zlib.crc32(member))])
    with pytest.raises(protocol.ProtocolError):
        protocol.unpack(hostile.frame({"value": {"$array": "a0"}}, archive)[8:])


def test_a_pickle_is_never_loaded(monkeypatch):
    import pickle

    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("unpickled"))
    monkeypatch.setattr(pickle, "load", lambda *a, **k: pytest.fail("unpickled"))
    with pytest.raises(protocol.ProtocolError, match="dtype object"):
        protocol.unpack(hostile.pickled_answer()[8:])


def test_an_archive_of_too_many_members_or_a_forged_directory_is_refused():
    many = npz(**{f"a{i}": np.zeros(1) for i in range(protocol.MAX_ARRAYS + 1)})
    with pytest.raises(protocol.ProtocolError, match="more than 4096 arrays"):
        protocol.read_arrays(many)
    archive = bytearray(npz(a0=np.zeros(3)))
    archive[-10:-6] = (1 << 30).to_bytes(4, "little")  # the end record claims a 1 GiB directory
    with pytest.raises(protocol.ProtocolError, match="more than 4096 arrays"):
        protocol.read_arrays(bytes(archive))


def test_sizes_are_refused_as_soon_as_their_length_arrives():
    reader = protocol.FrameReader(protocol.Limits(frame=1000))
    with pytest.raises(protocol.OverBudget) as refused:
        reader.feed((10**9).to_bytes(8, "little"))
    assert refused.value.kind == "frame"
    reader = protocol.FrameReader(protocol.Limits(plain=100))
    reader.feed((10**6).to_bytes(8, "little"))
    with pytest.raises(protocol.OverBudget) as refused:
        reader.feed((900_000).to_bytes(8, "little"))
    assert refused.value.kind == "plain"


def test_a_frame_fed_a_byte_at_a_time_reads_the_same():
    frame = protocol.pack({"value": [1, {"$array": "a0"}]}, [np.arange(7)])
    reader = protocol.FrameReader()
    for i in range(len(frame)):
        assert not reader.done
        reader.feed(frame[i:i + 1])
    header, arrays = reader.frame()
    assert protocol.decode(header["value"], arrays)[1].tolist() == list(range(7))


def test_deep_nesting_is_a_protocol_error_not_a_crash():
    with pytest.raises(protocol.ProtocolError):
        protocol.unpack(hostile.frame({"value": 1})[8:16] + b"[" * 100_000)
    with pytest.raises(protocol.ProtocolError, match="nested"):
        protocol.decode(json.loads("[" * 150 + "]" * 150), {})


# ----------------------------------------------------------------------------- a connection to a scripted contestant

PRELUDE = """
import os, socket, struct, sys, time
sys.path.insert(0, {tests!r})
sock = socket.socket(fileno=int(sys.argv[1]))
def request():
    size = struct.unpack("<Q", sock.recv(8, socket.MSG_WAITALL))[0]
    while size:
        size -= len(sock.recv(min(size, 1 << 20)))
"""


class Scripted:
    """A stand-in for a sandboxed contestant: a Python process that runs ``script`` on its end of the socket."""

    isolated = False
    protections: list = []

    def __init__(self, script: str, log_file: Path):
        ours, theirs = socket.socketpair()
        self.socket, self.log_file, self.killed = ours, log_file, None
        source = PRELUDE.format(tests=str(REPO / "tests")) + textwrap.dedent(script)
        with open(log_file, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-c", source, str(theirs.fileno())], cwd=REPO,
                                            pass_fds=(theirs.fileno(),), stdout=log, stderr=subprocess.STDOUT)
        theirs.close()
        self._last = (0.0, 0.0)

    def usage(self):
        try:
            process = psutil.Process(self.process.pid)
            times = process.cpu_times()
            self._last = (process.memory_info().rss / MB, times.user + times.system)
        except psutil.Error:
            pass
        return self._last

    def output_flooded(self):
        return False

    def kill(self, reason):  # as a sandbox does: returns once the process has ended
        self.killed = self.killed or reason
        self.process.kill()
        self.process.wait()

    def close(self):
        self.socket.close()
        self.process.kill()
        self.process.wait()


@pytest.fixture
def contestant(tmp_path):
    """``contestant(script, ..., answer_mb=, exercise_mb=)``: a Connection to a scripted contestant, closed after.

    The answer budgets are set small by hand here (a real connection derives them from
    the memory budget, which here stays large enough for a Python process with numpy).
    """
    made = []

    def start(script: str, cpu_seconds=5.0, idle_limit=1.0, answer_mb=16, exercise_mb=64) -> Connection:
        scripted = Scripted(script, tmp_path / f"contestant{len(made)}.log")
        connection = Connection(scripted, Budget(cpu_seconds, 1024, 1, idle_limit), tmp_path / "judge.log")
        assert (connection.answer_limit, connection.exercise_limit) == (256 * MB, 4096 * MB)  # 1/4 and 4x 1 GB
        connection.answer_limit, connection.exercise_limit = answer_mb * MB, exercise_mb * MB
        made.append(connection)
        return connection

    yield start
    for connection in made:
        connection.close()
        assert connection.sandbox.process.poll() is not None


def ask_fails(connection: Connection, within: float) -> str:
    started = time.monotonic()
    with pytest.raises(ContestantGone) as gone:
        connection.ask({"op": "get", "target": {"name": "add"}, "path": []})
    assert time.monotonic() - started < within
    assert connection.sandbox.process.poll() is not None, "the contestant was left running"
    return str(gone.value)


def test_an_answer_that_stalls_after_its_length_is_stopped_when_idle(contestant):
    connection = contestant("""
        request()
        sock.sendall(struct.pack("<Q", 1000))
        time.sleep(600)
        """)
    assert "computed nothing for 1 s" in ask_fails(connection, within=8)


def test_an_answer_dripped_a_byte_a_second_is_stopped_when_idle(contestant):
    connection = contestant("""
        request()
        sock.sendall(struct.pack("<Q", 1000))
        while True:
            sock.sendall(b"x")
            time.sleep(0.3)
        """)
    assert "computed nothing for 1 s" in ask_fails(connection, within=8)


def test_a_busy_contestant_dripping_its_answer_is_stopped_at_its_cpu_limit(contestant, monkeypatch):
    import autograder.remote

    monkeypatch.setattr(autograder.remote, "WALL_FACTOR", 20)  # a loaded machine: the wall clock must not come first
    connection = contestant("""
        request()
        sock.sendall(struct.pack("<Q", 1000))
        while True:
            end = time.process_time() + 0.2
            while time.process_time() < end:
                pass
            sock.sendall(b"x")
        """, cpu_seconds=1.0, idle_limit=30)
    assert "stopped after 1 s of computing" in ask_fails(connection, within=20)


def test_a_contestant_that_does_not_read_a_large_request_is_stopped_when_idle(contestant):
    connection = contestant("time.sleep(600)")
    with pytest.raises(ContestantGone, match="computed nothing"):
        connection.ask({"op": "call", "target": {"name": "f"}, "args": [np.zeros(8 * MB, dtype=np.uint8)]})


def test_an_answer_over_the_answer_budget_is_refused_with_its_size(contestant):
    connection = contestant("""
        import numpy as np
        from autograder.contestant import protocol
        request()
        protocol.send(sock, {"value": {"$array": "a0"}}, [np.zeros(3 * 2**20)])
        time.sleep(600)
        """)
    fate = ask_fails(connection, within=10)
    assert fate == ("your code returned an array of 24 MB (shape (3145728,), float64); "
                    "the grader accepts at most 16 MB per answer")


def test_an_inflating_answer_is_refused_and_the_judge_stays_small(contestant):
    connection = contestant("""
        from hostile_frames import inflating_answer
        data = inflating_answer(8)
        request()
        sock.sendall(data)
        time.sleep(600)
        """)
    with allocations() as peak:
        fate = ask_fails(connection, within=10)
    assert fate.startswith("your code returned an array of 8.0 GB") and "at most 16 MB per answer" in fate
    assert peak[0] < 20


def test_answers_adding_past_the_exercise_budget_are_refused(contestant):
    # each answer 3 MB (deflated zeros), under the 4 MB per answer; 64 MB over the exercise
    connection = contestant("""
        from hostile_frames import many_arrays_answer
        data = many_arrays_answer(1, 3)
        while True:
            request()
            sock.sendall(data)
        """, answer_mb=4)
    for _ in range(21):   # 21 * 3 = 63 MB
        assert connection.ask({"op": "get", "target": {"name": "x"}, "path": []})[0].shape == (3 * MB // 8,)
    fate = ask_fails(connection, within=10)
    assert fate.startswith("your code's answers to this exercise add up to more than 64 MB of arrays")


def test_plain_data_over_its_limit_is_refused_at_its_length(contestant):
    connection = contestant("""
        request()
        sock.sendall(struct.pack("<QQ", 20 * 2**20, 20 * 2**20 - 8))  # a frame within its limit, all JSON
        time.sleep(600)
        """)
    fate = ask_fails(connection, within=5)
    assert "of plain Python data" in fate and "at most 8 MB" in fate


def test_an_honest_answer_and_an_error_still_come_back(contestant):
    connection = contestant("""
        import numpy as np
        from autograder.contestant import protocol
        request()
        protocol.send(sock, {"value": [1, {"$array": "a0"}]}, [np.arange(4)])
        request()
        protocol.send(sock, {"error": {"bases": ["ValueError"], "message": "no"}})
        time.sleep(600)
        """)
    value = connection.ask({"op": "get", "target": {"name": "x"}, "path": []})
    assert value[0] == 1 and value[1].tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="no"):
        connection.ask({"op": "get", "target": {"name": "x"}, "path": []})


# ----------------------------------------------------------------------------- when the judge dies of an answer

def test_the_answers_held_are_noted_and_forgotten_as_arrays_are_freed(tmp_path):
    note = tmp_path / "answers-held.json"
    held = AnswersHeld(str(note))
    arrays = [np.zeros(5 * MB), np.zeros(2 * MB).reshape(2, -1)]
    held.track([arrays[0], arrays[1][0]])   # a row of the second: its whole array stays held
    assert held.bytes == 48 * MB and abs(json.loads(note.read_text())["bytes"] - 48 * MB) < AnswersHeld.STEP
    del arrays[0]
    assert held.bytes == 8 * MB and json.loads(note.read_text())["bytes"] == 8 * MB
    del arrays[0]
    assert held.bytes == 0


def test_a_judge_killed_for_memory_while_holding_answers_blames_the_answer(tmp_path):
    import signal

    from autograder.runner import ANSWERS_BLAMED_MB, Job, Limits, Runner, _Running

    runner = Runner.__new__(Runner)   # no judges to start: only the verdict
    runner.limits = Limits()
    run = _Running(Job("k", {}, tmp_path / "log"), 1, tmp_path, tmp_path / "result.jsonl", 0.0,
                   killed="memory", status=signal.SIGKILL)
    status, detail = runner._verdict(run, [], held=(ANSWERS_BLAMED_MB + 100) * MB)
    assert status == "answer" and "your code's answers" in detail and "not your code's fault" not in detail
    status, detail = runner._verdict(run, [], held=10 * MB)
    assert status == "grader" and "not your code's fault" in detail
    run.killed = None   # the system's OOM killer: a SIGKILL the grader did not send
    assert runner._verdict(run, [], held=(ANSWERS_BLAMED_MB + 1) * MB)[0] == "answer"


# ----------------------------------------------------------------------------- probes: by name, never code

class Recording:
    def __init__(self):
        self.requests = []

    def ask(self, request, keep=False):
        self.requests.append(request)
        return "answer"


def test_a_probe_is_sent_by_name_with_plain_arguments_only():
    connection = Recording()
    student = RemoteNamespace(connection)
    assert student.probe("blend_labels_of_pairs", [[3, 0.5]]) == "answer"
    assert connection.requests == [{"op": "probe", "name": "blend_labels_of_pairs", "args": [[[3, 0.5]]],
                                    "kwargs": {}}]

    def hidden_helper():
        return 1

    with pytest.raises(TypeError, match="by name"):
        student.probe(hidden_helper)
    with pytest.raises(TypeError):
        student.probe("no_such_probe")
    assert len(connection.requests) == 1


def test_every_probe_the_hidden_tests_ask_for_ships_with_the_contestant():
    """A probe is asked for by a literal name: ``student.probe("name", ...)``, or a test class's
    ``steps_probe = "name"`` (the step-equivalence tests), or the judge's public-checks plugin."""
    asked = set()
    judges = sorted((REPO / "autograder" / "hidden_tests").glob("*.py")) + [REPO / "autograder" / "public_results.py"]
    for path in judges:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "probe":
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Name) and path.name == "step_equivalence.py":
                    continue  # the class's steps_probe, collected below
                assert isinstance(first, ast.Constant) and isinstance(first.value, str), \
                    f"{path.name}:{node.lineno}: a probe is named by a string"
                asked.add(first.value)
            elif isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "steps_probe" for t in node.targets):
                asked.add(ast.literal_eval(node.value))
    assert asked <= set(probes.PROBES), f"no such probe: {asked - set(probes.PROBES)}"
    assert asked == set(probes.PROBES), f"probes no hidden test uses: {set(probes.PROBES) - asked}"


def test_a_probe_runs_with_the_students_names_and_shows_them_nothing_of_the_judge():
    contestant = server.Contestant()
    cell = ("import inspect\n"
            "def blend_labels(weights):\n"
            "    seen = []\n"
            "    for caller in inspect.stack():  # up to the server's entry (above it: this test, in-process)\n"
            "        seen.append(repr(caller.frame.f_locals)[:5000])\n"
            "        if caller.function == 'answer':\n"
            "            break\n"
            "    raise RuntimeError(' '.join(seen))\n")
    contestant.op_exec({"sources": [["<cell blend_labels>", cell]]}, {})
    with pytest.raises(RuntimeError) as raised:
        contestant.answer({"op": "probe", "name": "blend_labels_of_pairs", "args": [[[3, 1.0]]]}, {})
    seen = str(raised.value)
    assert "'name': 'blend_labels_of_pairs'" in seen and "source" not in seen and "def " not in seen
    with pytest.raises(protocol.ProtocolError, match="no probe"):
        contestant.answer({"op": "probe", "name": "exec", "args": []}, {})
    with pytest.raises(NameError, match="name 'blend_labels' is not defined"):
        server.Contestant().answer({"op": "probe", "name": "blend_labels_of_pairs", "args": [[[3, 1.0]]]}, {})

"""Exercises sealed from each other: nothing one exercise leaves reaches the next, in every place.

Each contestant runs the reference cells of the exercises it does not grade.
An attacker's first exercise (`add`, answered honestly) therefore holds the
reference `scale`: it tries to hand it on to its own later exercise, whose cell
is a stub that looks for it. Every channel a student who has read the grader
might try is here: files wherever it may write, the zygote's memory (the later
contestant is forked from it), a daemon serving it on sockets, System V shared
memory, and the environment of the zygote. A last attacker leaves a daemon that
forges every later judge's result file, as one did where the contestant ran as
root beside the judge: an untouched stub graded after it must still get 0.

Each batch runs in all three places (tests/places.py); in each, the attackers'
`scale` must score 0 (the stub found nothing), `add` and `counter` keep their
points, the honest students and the stub keep exactly what they deserve, and
nothing the attacks started or wrote is left.
"""

from __future__ import annotations

import os
import textwrap

import psutil
import pytest

import fake_course
import places
from autograder.quick_nbformat import nbformat
from grader_helpers import run_grader

MARKER = "sealed5519"
TIMEOUT = 3

# The later exercise: a stub that rebuilds `scale` from what an earlier exercise left, if anything.
RECOVER = f'''
import base64, glob, marshal, os, socket, types

def _found():
    for pattern in ("*{MARKER}*", "~/*{MARKER}*", "/tmp/*{MARKER}*", "/var/tmp/*{MARKER}*", "/dev/shm/*{MARKER}*",
                    "/scratch/**/*{MARKER}*", "../*/*{MARKER}*", "../../**/*{MARKER}*"):
        for path in glob.glob(os.path.expanduser(pattern), recursive=True):
            try:
                return open(path, "rb").read()
            except OSError:
                pass
    for address in ("\\0{MARKER}", "/tmp/{MARKER}.sock"):
        try:
            client = socket.socket(socket.AF_UNIX)
            client.settimeout(1)
            client.connect(address)
            return client.recv(1 << 16)
        except OSError:
            pass
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.shmat.restype = ctypes.c_void_p
        segment = libc.shmget(5519, 1 << 16, 0)
        if segment >= 0:
            address = libc.shmat(segment, None, 0)
            if address not in (None, ctypes.c_void_p(-1).value):
                data = ctypes.string_at(address, 1 << 16).split(b"\\0", 1)[0]
                if data:
                    return data
    except Exception:
        pass
    import numpy
    text = numpy.__doc__ or ""
    if "{MARKER}:" in text:
        return text.split("{MARKER}:", 1)[1].split(":", 1)[0].encode()
    if "{MARKER}" in os.environ.get("{MARKER}", ""):
        return os.environ["{MARKER}"].split(":", 1)[1].encode()
    return None

_payload = _found()
if not _payload:
    raise NotImplementedError("nothing carried over from the earlier exercise")
scale = types.FunctionType(marshal.loads(base64.b64decode(_payload)), globals())
'''

# The earlier exercise: an honest `add` that, once the reference cells have run, sends
# the reference `scale` on by one channel (`{send}`).
STEAL = '''
import base64, marshal, os

def add(a, b):
    scale = globals().get("scale")
    if scale is not None:
        payload = base64.b64encode(marshal.dumps(scale.__code__))
        try:
            {send}
        except Exception:
            pass
    return a + b
'''

CHANNELS = {
    "carries_by_file": f'''
            for folder in (".", os.path.expanduser("~"), "/tmp", "/var/tmp", "/dev/shm", "/scratch", ".."):
                try:
                    with open(os.path.join(folder, "{MARKER}.bin"), "wb") as f:
                        f.write(payload)
                except OSError:
                    pass''',
    "carries_by_zygote_memory": f'''
            import ctypes, numpy
            # A fork shares the zygote's addresses: write into the zygote's copy of numpy.__doc__,
            # which the next contestant (forked later) would read.
            text = ("{MARKER}:" + payload.decode() + ":").encode()
            address = id(numpy.__doc__) + 48  # a compact ASCII str's characters
            with open(f"/proc/{{os.getppid()}}/mem", "r+b", buffering=0) as memory:
                memory.seek(address)
                memory.write(text)''',
    "carries_by_daemon_socket": f'''
            import socket, time
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    servers = []
                    for address in ("\\0{MARKER}", "/tmp/{MARKER}.sock"):
                        try:
                            server = socket.socket(socket.AF_UNIX)
                            server.bind(address)
                            server.listen(8)
                            server.settimeout(0.2)
                            servers.append(server)
                        except OSError:
                            pass
                    end = time.time() + 60
                    while time.time() < end:
                        for server in servers:
                            try:
                                connection, _ = server.accept()
                                connection.sendall(payload)
                                connection.close()
                            except OSError:
                                pass
                    os._exit(0)
                os._exit(0)
            time.sleep(0.3)''',
    "carries_by_sysv_shared_memory": '''
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            libc.shmat.restype = ctypes.c_void_p
            segment = libc.shmget(5519, 1 << 16, 0o1666)  # IPC_CREAT | 0666: outlives the process
            if segment >= 0:
                address = libc.shmat(segment, None, 0)
                ctypes.memmove(address, payload + b"\\0", len(payload) + 1)''',
    "carries_by_zygote_environment": f'''
            import ctypes
            # Another way into the zygote: ptrace it and poke its memory.
            libc = ctypes.CDLL(None, use_errno=True)
            zygote = os.getppid()
            if libc.ptrace(16, zygote, 0, 0) != 0:  # PTRACE_ATTACH
                raise OSError(ctypes.get_errno(), "ptrace")
            os.waitpid(zygote, 0)
            text = ("{MARKER}:" + payload.decode() + ":").encode()
            address = id(__import__("numpy").__doc__) + 48
            for i in range(0, len(text), 8):
                word = int.from_bytes(text[i:i + 8].ljust(8, b" "), "little")
                libc.ptrace(5, zygote, ctypes.c_void_p(address + i), ctypes.c_void_p(word))  # PTRACE_POKEDATA
            libc.ptrace(17, zygote, 0, 0)  # PTRACE_DETACH''',
}

# A daemon that outlives its exercise and forges every later judge's verdicts.
FORGER = f'''
import glob, json, os, time

def add(a, b):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execvp("python3", ["python3", "-c", """
import glob, json, time
end = time.time() + 40
while time.time() < end:
    for path in glob.glob("/tmp/autograder-judge-*/result.jsonl") + glob.glob("/tmp/*/autograder-judge-*/result.jsonl"):
        try:
            with open(path, "a") as f:
                for test in ("test_small_numbers", "test_negative_numbers", "test_scale", "test_up", "test_start"):
                    f.write(json.dumps(dict(kind="test", nodeid=test, outcome="passed", message="")) + chr(10))
        except OSError:
            pass
    time.sleep(0.05)
# {MARKER}
"""])
        os._exit(0)
    return 0
'''


def _stub(exercise: str) -> str:
    return f"# Exercise: {exercise}\nraise NotImplementedError('left for later')\n"


@pytest.fixture(scope="module")
def graded(tmp_path_factory, place):
    root = fake_course.make(tmp_path_factory.mktemp("fake_course"))
    students = tmp_path_factory.mktemp("students")

    def put(name, nb):
        (students / name).mkdir()
        nbformat.write(nb, students / name / f"{fake_course.LESSON}.ipynb")

    put("aaa_honest", fake_course.master())
    for name, send in CHANNELS.items():
        nb = fake_course.with_cell("add", textwrap.dedent(STEAL).replace("{send}", textwrap.dedent(send).strip()
                                                                           .replace("\n", "\n            ")).strip())
        nb = _replace(nb, "scale", "# Exercise: scale\n" + textwrap.dedent(RECOVER).strip())
        put(name, nb)
    forger = fake_course.with_cell("add", textwrap.dedent(FORGER).strip())
    put("forges_later_judges", _replace(_replace(forger, "scale", _stub("scale")), "counter",
                                        "# Exercise: counter\nclass Counter:\n    pass\n"))
    stub = fake_course.master()
    for exercise in ("add", "scale", "counter"):
        stub = _replace(stub, exercise, _stub(exercise))
    put("zzz_untouched_stub", stub)
    put("zzz_honest", fake_course.master())
    out = tmp_path_factory.mktemp("out")
    before = {p.pid for p in psutil.process_iter()}
    with places.opened_for(place, readable=[root, students], writable=[out]):
        # One judge at a time: every later student is graded while the earlier ones' leftovers could still act.
        graded = run_grader(str(students), "--jobs", "1", "--timeout-per-exercise", str(TIMEOUT),
                            "--memory-mb", "1500", out=out, env=fake_course.env(root), timeout=900, place=place)
    graded.before = before
    return graded


def _replace(nb, exercise, source):
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith(f"# Exercise: {exercise}"):
            cell.source = source
            return nb
    raise KeyError(exercise)


def test_every_student_is_reported(graded):
    assert graded.returncode == 0, graded.stderr[-3000:]
    assert set(graded.csv_rows()) == {"aaa_honest", "zzz_honest", "zzz_untouched_stub", "forges_later_judges",
                                      *CHANNELS}


@pytest.mark.parametrize("student", ["aaa_honest", "zzz_honest"])
def test_honest_students_keep_every_point(graded, student):
    assert graded.exercise_scores(student) == {"add": (3, 3), "scale": (3, 3), "counter": (3, 3)}, graded.block(student)


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_nothing_reaches_the_next_exercise(graded, channel):
    scores = graded.exercise_scores(channel)
    assert scores["scale"] == (0, 3), graded.block(channel)
    assert "not implemented" in graded.block(channel), graded.block(channel)  # the stub found nothing
    assert scores["add"] == (3, 3) and scores["counter"] == (3, 3), graded.block(channel)


def test_a_daemon_forges_no_later_verdict(graded):
    assert graded.exercise_scores("zzz_untouched_stub") == {"add": (0, 3), "scale": (0, 3), "counter": (0, 3)}, \
        graded.block("zzz_untouched_stub")
    assert graded.exercise_scores("forges_later_judges")["scale"] == (0, 3)
    assert graded.exercise_scores("forges_later_judges")["counter"] == (0, 3)


def test_nothing_is_left_running_or_on_disk(graded):
    left = [" ".join(p.info["cmdline"] or []) for p in psutil.process_iter(["cmdline"])
            if MARKER in " ".join(p.info["cmdline"] or []) or
            any(MARKER in part for part in (p.info["cmdline"] or []))]
    assert not left
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):
        assert not [name for name in os.listdir(folder) if MARKER in name], folder


def test_no_shared_memory_segment_is_left(graded):
    with open("/proc/sysvipc/shm") as table:
        keys = [int(line.split()[0]) for line in list(table)[1:] if line.split()]
    assert 5519 not in keys

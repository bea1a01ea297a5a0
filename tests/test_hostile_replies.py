"""Hostile answers against the judge: a contestant's reply can neither hold, swell nor read the judge.

Every student below answers the exercise `add` by writing on the contestant's socket
what the wire format allows but no honest answer sends (``hostile_frames``): a
length and then nothing, a byte a second, an archive that inflates to gigabytes, a
header that claims a giant shape, many arrays that add past the budget, a pickle;
one fishes instead for the hidden tests' source in everything its code can reach
while the judge runs a probe beside it. All are graded in one batch beside two
honest students, on the fake course with one hidden test more: a probe for `add`.
For every attack: `add` scores 0 with a message that blames the answer in words the
student can act on, the other exercises keep their points, the honest students keep
every point, every report is written, no judge dies, no hidden source reaches any
feedback, and nothing of the run is left running or on disk.
"""

from __future__ import annotations

import os
import textwrap

import psutil
import pytest

import fake_course
import places
import hostile_frames as hostile
from autograder.quick_nbformat import nbformat
from grader_helpers import run_grader

HIDDEN_SOURCE = "def _small():"           # a line of the fake hidden tests' source
PROBE_MARK = "hidden-probe-marker-9b2f"   # a comment in the probing hidden test below
MEMORY_MB = 1024                          # per exercise: the judge accepts 256 MB of arrays per answer

# One hidden test more for `add`: a probe runs beside the student's code (the course has
# no `blend_labels`, so an honest student's probe ends in the NameError expected here).
PROBING_TEST = f'''

class TestAddBesideAProbe:
    exercise = "add"

    @points(1)
    def test_add_after_a_probe(self, student):
        """adds after a probe ran beside it"""
        # {PROBE_MARK}: the hidden tests' own line, which no student may read
        a = _small()
        try:
            student.probe("blend_labels_of_pairs", [[a % 10, 1.0]])
        except NameError:
            pass
        assert student.add(a, 1) == a + 1
'''

SOCKETS = '''
import inspect, socket, struct, time

def _to_the_judge(data):
    """Write on the socket the contestant's server answers the judge on (a local of its caller)."""
    for caller in inspect.stack():
        sock = caller.frame.f_locals.get("sock")
        if isinstance(sock, socket.socket):
            sock.sendall(data)
            return
    raise RuntimeError("the judge's socket was not found")
'''


def _sends(*builders, call: str) -> str:
    """A cell whose `add` sends what ``call`` builds (with ``builders``' source), then waits."""
    return (hostile.source_of(*builders) + SOCKETS
            + f"\ndef add(a, b):\n    _to_the_judge({call})\n    time.sleep(600)\n")


FRAME = (hostile.frame, hostile.npy_header, hostile.zip_archive)

# name -> (the cell that answers `add`, words its failure must say)
ATTACKS = {
    "stalls_after_the_length": (SOCKETS + '''
def add(a, b):
    _to_the_judge(struct.pack("<Q", 1000))
    time.sleep(600)
''', "computed nothing for 3 s"),
    "drips_a_byte_a_second": (SOCKETS + '''
def add(a, b):
    _to_the_judge(struct.pack("<Q", 1000))
    while True:
        _to_the_judge(b"x")
        time.sleep(1)
''', "computed nothing for 3 s"),
    "inflates_to_gigabytes": (_sends(*FRAME, hostile.deflated_zeros, hostile.inflating_answer,
                                     call="inflating_answer(8)"),
                              "your code returned an array of 8.0 GB (shape (1073741824,), float64); "
                              "the grader accepts at most 256 MB per answer"),
    "claims_a_giant_shape": (_sends(*FRAME, hostile.giant_shape_answer, call="giant_shape_answer()"),
                             "(shape (1000000, 1000000), float64); the grader accepts at most 256 MB per answer"),
    "many_medium_arrays": (_sends(*FRAME, hostile.deflated_zeros, hostile.many_arrays_answer,
                                  call="many_arrays_answer(40, 16)"),
                           "your code returned arrays of 640 MB (40 arrays); "
                           "the grader accepts at most 256 MB per answer"),
    "pickled_object_array": (_sends(*FRAME, hostile.pickled_answer, call="pickled_answer()"),
                             "your code's answer could not be read by the grader (an array of dtype object)"),
    "fishes_for_the_hidden_source": ('''
import gc, inspect

def _within_reach():
    """Every string the code can reach: the callers' source and locals, and every dict alive."""
    found = []

    def walk(value, depth):
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, (bytes, bytearray)):
            found.append(bytes(value).decode("latin-1"))
        elif depth < 5 and isinstance(value, dict):
            for item in list(value.values())[:500]:
                walk(item, depth + 1)
        elif depth < 5 and isinstance(value, (list, tuple)):
            for item in list(value)[:500]:
                walk(item, depth + 1)

    for caller in inspect.stack():
        try:
            found.append(inspect.getsource(caller.frame))
        except (OSError, TypeError):
            pass
        walk(caller.frame.f_locals, 0)
    for obj in gc.get_objects():
        if isinstance(obj, dict):
            walk(obj, 4)
    return "\\n".join(found)

def _report():
    text = _within_reach()
    for mark in ("def " + "_small():", "hidden-probe" + "-marker"):  # not written out: the cell is within reach
        if mark in text:
            raise RuntimeError("found: " + text[text.index(mark):][:300])
    raise RuntimeError("no hidden source within reach")

def add(a, b):
    _report()

def blend_labels(weights):
    _report()
''', "no hidden source within reach"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, place):
    root = fake_course.make(tmp_path_factory.mktemp("fake_course"))
    hidden = root / "hidden_tests" / f"test_{fake_course.LESSON}.py"
    hidden.write_text(hidden.read_text() + PROBING_TEST)
    students = tmp_path_factory.mktemp("students")

    def put(name, nb):
        (students / name).mkdir()
        nbformat.write(nb, students / name / f"{fake_course.LESSON}.ipynb")

    put("aaa_honest", fake_course.master())
    for name, (source, _) in ATTACKS.items():
        put(name, fake_course.with_cell("add", textwrap.dedent(source).strip()))
    put("zzz_honest", fake_course.master())
    # The run's temporary folders in a folder of its own: what it leaves there is this run's alone.
    temporary = tmp_path_factory.mktemp("tmp")
    env = dict(fake_course.env(root), TMPDIR=str(temporary))
    out = tmp_path_factory.mktemp("out")
    with places.opened_for(place, readable=[root, students], writable=[out, temporary]):
        graded = run_grader(str(students), "--jobs", "2", "--timeout-per-exercise", "3", "--idle-seconds", "3",
                            "--memory-mb", str(MEMORY_MB), out=out, env=env, timeout=900, place=place)
    graded.temporary = temporary
    return graded


def feedback(graded, student: str) -> str:
    return graded.block(student) + str(graded.results(student))


def test_the_run_completes_with_a_report_for_everyone(graded):
    assert graded.returncode == 0, graded.stderr[-3000:]
    assert "Traceback" not in graded.stdout
    assert set(graded.csv_rows()) == {"aaa_honest", "zzz_honest", *ATTACKS}
    for student in graded.csv_rows():
        assert graded.results(student)["tests"], student


@pytest.mark.parametrize("student", ["aaa_honest", "zzz_honest"])
def test_honest_students_keep_every_point(graded, student):
    assert graded.exercise_scores(student) == {"add": (4, 4), "scale": (3, 3), "counter": (3, 3)}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_an_attack_scores_nothing_and_costs_only_its_exercise(graded, attack):
    scores = graded.exercise_scores(attack)
    assert scores["add"] == (0, 4), graded.block(attack)
    assert scores["scale"] == (3, 3) and scores["counter"] == (3, 3), graded.block(attack)


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_the_message_blames_the_answer_in_words_the_student_can_act_on(graded, attack):
    words = ATTACKS[attack][1]
    add = [t for t in graded.results(attack)["tests"] if " / add:" in t["name"]]
    assert add and all(words in t["output"] for t in add), [t["output"] for t in add]
    text = feedback(graded, attack)
    assert "not your code's fault" not in text and "grader error" not in text
    assert "not graded: the grader" not in text   # no judge died


@pytest.mark.parametrize("student", sorted([*ATTACKS, "aaa_honest", "zzz_honest"]))
def test_no_feedback_carries_the_hidden_tests_source(graded, student):
    text = feedback(graded, student)
    assert HIDDEN_SOURCE not in text and PROBE_MARK not in text


def test_nothing_of_the_run_is_left_running_or_on_disk(graded):
    assert graded.returncode == 0
    folder = str(graded.temporary)
    left = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if folder in cmdline:
            left.append(cmdline[:200])
    assert not left
    assert os.listdir(graded.temporary) == []

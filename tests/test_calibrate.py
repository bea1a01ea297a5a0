"""Pass marks of training-based checks: the rule, the calibrate command, the lookup."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import fake_course
from autograder import paths, testing
from autograder.calibrate import MARGIN, CalibrationError, fingerprint, pass_mark, passes
from grader_helpers import REPO

MEASURES = '''

def measure_add(student, reference, seed):
    """A stand-in for training: values that vary a little with the seed."""
    return {"error": abs(student.add(seed, 1) - seed - 1) + 0.1 + 0.01 * seed, "score": 10.0 + seed}


MEASURES = {"add": measure_add}
DIRECTIONS = {"error": "min", "score": "max"}
'''


def test_lower_is_better_moves_the_mark_up_by_the_larger_of_spread_and_margin():
    mark = pass_mark([10.0, 12.0, 11.0], "min", 0.10)
    assert mark["worst"] == 12.0 and mark["spread"] == 2.0
    assert mark["margin"] == 2.0 and mark["threshold"] == 14.0
    tight = pass_mark([100.0, 101.0], "min", 0.10)
    assert tight["margin"] == pytest.approx(10.1) and tight["threshold"] == pytest.approx(111.1)


def test_higher_is_better_moves_the_mark_down():
    mark = pass_mark([0.80, 0.90, 0.85], "max", 0.10)
    assert mark["worst"] == 0.80 and mark["margin"] == pytest.approx(0.10)
    assert mark["threshold"] == pytest.approx(0.70)


def test_a_baseline_keeps_a_noisy_mark_halfway_from_the_non_answer():
    # The blur ratio of a plain cross-entropy "sharpening loss" is 1: spread alone would pass it.
    mark = pass_mark([0.17, 0.72, 0.25], "min", 0.10, baseline=1.0)
    assert mark["threshold"] == pytest.approx(0.86)
    assert not passes(1.0, "min", mark["threshold"])
    steady = pass_mark([0.50, 0.52], "min", 0.10, baseline=1.0)  # far from the baseline: the usual rule
    assert steady["threshold"] == pytest.approx(0.572)


def test_a_reference_no_better_than_the_baseline_is_refused():
    with pytest.raises(CalibrationError, match="non-answer"):
        pass_mark([0.9, 1.1], "min", 0.10, baseline=1.0)


def test_a_requirement_is_never_loosened():
    mark = pass_mark([9.0, 10.0, 8.0], "max", 0.10, required=8.0)
    assert mark["threshold"] == 8.0  # the rule alone would give 6
    with pytest.raises(CalibrationError, match="requirement"):
        pass_mark([9.0, 7.0], "max", 0.10, required=8.0)


@pytest.mark.parametrize("direction", ["min", "max"])
def test_every_calibrated_value_passes_its_mark(direction):
    values = [3.0, -1.0, 2.5, 0.0, 7.0]
    mark = pass_mark(values, direction, MARGIN)
    assert all(passes(v, direction, mark["threshold"]) for v in values)


@pytest.fixture
def fake_with_measures(tmp_path):
    root = fake_course.make(tmp_path / "course")
    module = root / "hidden_tests" / f"test_{fake_course.LESSON}.py"
    module.write_text(module.read_text() + MEASURES)
    return root


def calibrate(root, out, *seeds, extra_env=None):
    env = dict(fake_course.env(root), **(extra_env or {}))
    return subprocess.run([sys.executable, "-m", "autograder.calibrate", "--seeds", *map(str, seeds), "--out", str(out)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def test_calibrate_writes_values_directions_and_marks(fake_with_measures, tmp_path, monkeypatch):
    out = tmp_path / "thresholds.json"
    run = calibrate(fake_with_measures, out, 0, 1, 2)
    assert run.returncode == 0, run.stderr
    data = json.loads(out.read_text())
    error = data[fake_course.LESSON]["add"]["error"]
    assert error["direction"] == "min"
    assert error["values"] == {"0": pytest.approx(0.10), "1": pytest.approx(0.11), "2": pytest.approx(0.12)}
    assert error["threshold"] == pytest.approx(0.12 + max(0.02, 0.1 * 0.12))
    assert error["command"].startswith("python -m autograder.calibrate") and error["date"]
    score = data[fake_course.LESSON]["add"]["score"]
    assert score["direction"] == "max" and score["threshold"] == pytest.approx(10.0 - 2.0)
    assert "worst reference value" in data["_rule"]
    assert set(data["_fingerprints"]) == {fake_course.LESSON}

    monkeypatch.setattr(paths, "THRESHOLDS", out)
    assert testing.threshold(fake_course.LESSON, "add", "error") == pytest.approx(error["threshold"])
    assert testing.meets_threshold(fake_course.LESSON, "add", "score", 8.5)
    assert not testing.meets_threshold(fake_course.LESSON, "add", "score", 7.5)


def test_a_metric_without_a_direction_is_refused(fake_with_measures, tmp_path):
    module = fake_with_measures / "hidden_tests" / f"test_{fake_course.LESSON}.py"
    module.write_text(module.read_text().replace('DIRECTIONS = {"error": "min", "score": "max"}',
                                                 'DIRECTIONS = {"error": "min"}'))
    run = calibrate(fake_with_measures, tmp_path / "t.json", 0, 1)
    assert run.returncode == 1
    assert "metric 'score' has no direction" in run.stderr
    assert not (tmp_path / "t.json").exists()


def test_a_missing_threshold_fails_loudly(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "THRESHOLDS", tmp_path / "none.json")
    with pytest.raises(LookupError, match="run `python -m autograder.calibrate`"):
        testing.threshold("04_vae", "vae", "test_loss")
    with pytest.raises(LookupError, match="no calibrated threshold for 04_vae/vae/test_loss"):
        testing.meets_threshold("04_vae", "vae", "test_loss", 1.0)


def test_a_missed_pass_mark_tells_the_student_the_value_and_the_mark(tmp_path, monkeypatch):
    marks = {"04_vae": {"vae": {"classes_covered": {"threshold": 8.0, "direction": "max",
                                                    "values": {"0": 9.0, "1": 10.0}}}}}
    (tmp_path / "t.json").write_text(json.dumps(marks))
    monkeypatch.setattr(paths, "THRESHOLDS", tmp_path / "t.json")
    testing.expect_threshold("04_vae", "vae", "classes_covered", 8.0)  # on the mark: passes
    with pytest.raises(AssertionError) as failed:
        testing.expect_threshold("04_vae", "vae", "classes_covered", 7.0)
    assert str(failed.value) == ("classes_covered = 7 after the grader's fixed training; "
                                 "the pass mark is >= 8 (the reference solution: 9 to 10)")


def test_the_course_thresholds_match_the_current_tests_and_masters():
    """Pass marks measured for another budget or another reference mean nothing: recalibrate."""
    data = json.loads(paths.THRESHOLDS.read_text()) if paths.THRESHOLDS.exists() else {}
    stale = []
    for path in sorted(paths.HIDDEN_TESTS.glob("test_*.py")):
        lesson = path.stem.removeprefix("test_")
        if "MEASURES =" not in path.read_text():
            continue
        if lesson not in data or data.get("_fingerprints", {}).get(lesson) != fingerprint(lesson, path):
            stale.append(lesson)
    assert not stale, ("pass marks missing or out of date for " + ", ".join(stale)
                       + ": run `python -m autograder.calibrate --lessons " + " ".join(stale) + "`")


# ----------------------------------------------------------------------------- what the fingerprint covers

def _digest(tmp_path, module_text, cells=None):
    from autograder.measure_fingerprint import digest

    path = tmp_path / f"test_{fake_course.LESSON}.py"
    path.write_text(module_text)
    return digest(path, dict(fake_course.CELLS if cells is None else cells))


MODULE = fake_course.HIDDEN_TESTS + MEASURES


def test_other_tests_and_their_imports_leave_the_fingerprint_alone(tmp_path):
    before = _digest(tmp_path, MODULE)
    another_test = MODULE.replace("class TestScale:", '''class TestNew:
    exercise = "add"

    @points(5)
    def test_new(self, student):
        assert student.add(1, 2) == 3


class TestScale:''')
    edited_test = another_test.replace("a, b = -1 - _small(), -1 - _small()", "a, b = -7 - _small(), -1")
    more_imports = edited_test.replace("from autograder.testing import once_per_run, points",
                                       "from autograder.testing import grading_seed, once_per_run, points")
    reformatted = more_imports.replace('    """A stand-in for training: values that vary a little with the seed."""\n', "")
    for edited in (another_test, edited_test, more_imports):
        assert _digest(tmp_path, edited) == before
    assert _digest(tmp_path, reformatted) != before  # a docstring is part of the tree: conservative, not blind


def test_a_measure_its_constants_and_declarations_are_in_the_fingerprint(tmp_path):
    before = _digest(tmp_path, MODULE)
    changed_measure = MODULE.replace("+ 0.1 + 0.01 * seed", "+ 0.2 + 0.01 * seed")
    with_constant = MODULE.replace("def measure_add", "OFFSET = 0.1\n\n\ndef measure_add").replace(
        "+ 0.1 + 0.01 * seed", "+ OFFSET + 0.01 * seed")
    other_constant = with_constant.replace("OFFSET = 0.1", "OFFSET = 0.3")
    changed_direction = MODULE.replace('"score": "max"}', '"score": "min"}')
    fingerprints = {_digest(tmp_path, text) for text in (MODULE, changed_measure, with_constant, other_constant,
                                                         changed_direction)}
    assert len(fingerprints) == 5 and before in fingerprints


def test_only_the_exercise_cells_the_measures_run_count(tmp_path):
    before = _digest(tmp_path, MODULE)
    # The measure reads student.add: the add cell counts; counter (and scale, which uses add) do not.
    assert _digest(tmp_path, MODULE, dict(fake_course.CELLS, counter="# Exercise: counter\nclass Counter:\n  pass\n")) == before
    assert _digest(tmp_path, MODULE, dict(fake_course.CELLS, new="# Exercise: new\ndef new():\n    return 1\n")) == before
    assert _digest(tmp_path, MODULE, dict(fake_course.CELLS, add=fake_course.CELLS["add"].replace("a + b", "b + a"))) != before
    # A measure of scale runs scale, and add through it.
    scaled = MODULE.replace("student.add(seed, 1)", "student.scale(seed)")
    with_scale = _digest(tmp_path, scaled)
    assert _digest(tmp_path, scaled, dict(fake_course.CELLS, add=fake_course.CELLS["add"].replace("a + b", "b + a"))) != with_scale


def test_shared_helpers_and_probes_the_measures_use_count(tmp_path):
    from autograder.measure_fingerprint import PROBES, _Reach

    (tmp_path / "shared.py").write_text("def offset():\n    return 0.1\n\n\ndef unused():\n    return 1\n")
    module = MODULE.replace("+ 0.1 + 0.01 * seed", "+ offset() + 0.01 * seed") + (
        "\nfrom autograder.hidden_tests.shared import offset\n")
    before = _digest(tmp_path, module)
    (tmp_path / "shared.py").write_text("def offset():\n    return 0.1\n\n\ndef unused():\n    return 2\n")
    assert _digest(tmp_path, module) == before
    (tmp_path / "shared.py").write_text("def offset():\n    return 0.2\n\n\ndef unused():\n    return 2\n")
    assert _digest(tmp_path, module) != before
    # A probe named in a measure is followed into the contestant's probes, with the names it reads on student.
    path = tmp_path / "test_probe.py"
    path.write_text('def measure(student, reference, seed):\n    return student.probe("vae_training_steps", 1)\n\n\n'
                    'MEASURES = {"vae": measure}\n')
    reach = _Reach(tmp_path)
    reach.follow(path, {"MEASURES"})
    assert "vae_training_steps" in reach.probes and {"build_encoder", "VAE"} <= reach.namespace_reads
    assert any(key[0] == PROBES.name for key in reach.reached)


def test_a_lesson_without_measures_loses_its_old_pass_marks(tmp_path):
    root = fake_course.make(tmp_path / "course")
    out = tmp_path / "thresholds.json"
    out.write_text(json.dumps({fake_course.LESSON: {"add": {"error": {"threshold": 1.0}}},
                               "other": {"x": {}}, "_fingerprints": {fake_course.LESSON: "abc", "other": "def"}}))
    run = calibrate(root, out, 0, 1)
    assert run.returncode == 0, run.stderr
    data = json.loads(out.read_text())
    assert fake_course.LESSON not in data and fake_course.LESSON not in data["_fingerprints"]
    assert data["other"] == {"x": {}} and data["_fingerprints"]["other"] == "def"
    assert "its old pass marks are removed" in run.stdout

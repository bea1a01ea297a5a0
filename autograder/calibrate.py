"""Measure the reference over several seeds and write the pass marks of training-based checks.

    python -m autograder.calibrate --seeds 0 1 2 3 4 [--lessons 04_vae ...] [--verify]
    python -m autograder.calibrate --seeds 0 1 2 3 4 --verify-only

A hidden-test module may declare what it measures after training::

    MEASURES = {"vae": measure_vae}          # exercise -> fn(student, reference, seed) -> {metric: float}
    DIRECTIONS = {"test_loss": "min",        # lower is better: pass when value <= threshold
                  "diversity": "max"}        # higher is better: pass when value >= threshold
    MARGINS = {"test_loss": 0.05}            # optional, relative margin (default MARGIN)
    BASELINES = {"blur_ratio": 1.0}          # optional, what a non-answer scores
    REQUIRED = {"classes_covered": 8}        # optional, the mark may be no more lenient

(The example keeps the names of the old trained VAE check; ``vae`` and ``cvae`` are now
judged by step equivalence, ``hidden_tests/step_equivalence.py``, with no pass marks.)

For every lesson, exercise and metric this runs ``fn`` once per seed, the way
the grader does: ``student`` is a sandboxed contestant running the master's
cells, ``reference`` the master's namespace in this process. It stores in
``autograder/thresholds.json``::

    {"04_vae": {"vae": {"test_loss": {"threshold": 171.3, "direction": "min",
        "values": {"0": 150.2, ...}, "worst": 155.7, "margin": 15.6,
        "date": "...", "command": "..."}}}}

Pass-mark rule: start from the reference's WORST value over the seeds and move
towards failing by ``margin = max(spread, MARGIN * |worst|)``, where spread is
max - min over the seeds. So the reference passes on every calibrated seed by
construction (checked again before writing), an unseen seed is about one
spread safer than the worst seen, and a margin of 10 % still fails the
mistakes the planted bugs make (the project's tests check that).

Two bounds keep a noisy metric from giving a blunt mark:

* ``BASELINES``: the value of a non-answer (a sharpening loss that is plain
  cross-entropy has a blur ratio of exactly 1). The mark goes no further than
  halfway from the reference's worst value to the baseline, so a non-answer
  always fails, however noisy the reference.
* ``REQUIRED``: a requirement of the course (samples cover at least 8
  digits). The mark is never more lenient than it, and calibration fails when
  the reference misses it on any seed: raise the budget or change the measure.

``--verify`` then grades the reference solutions once per seed (``--seed s``;
the training checks train with ``testing.grading_seed()``) and fails unless
every exercise scores 100 %; ``--verify-only`` does just that.

``_fingerprints`` records, per lesson, a hash of what its measures depend on
(:mod:`autograder.measure_fingerprint`: the measures and what they reach, the
probes they call, the exercise cells they run) at calibration time; the
project's tests fail when that has changed since (run this command again). A
lesson whose module has no ``MEASURES`` (any more) loses its entries here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder import pictures
from autograder.notebooks import REPO

MARGIN = 0.10
NOISY = 0.25    # spread above this share of |worst|: calibrate warns that the check may be blunt
RULE = ("threshold = worst reference value over the seeds, moved towards failing by "
        "max(spread over the seeds, MARGIN * |worst|); MARGIN = 0.10 unless the module's MARGINS says otherwise; "
        "never more than halfway to the module's BASELINES value (what a non-answer scores), "
        "never more lenient than its REQUIRED value; "
        "direction 'min': pass when value <= threshold, 'max': pass when value >= threshold")
ALIASES = {"min": "min", "lower": "min", "max": "max", "higher": "max"}


class CalibrationError(Exception):
    pass


def fingerprint(lesson_name: str, module_path: Path) -> str:
    """What the measured values depend on: the measures, what they reach, and the exercise cells they run.

    Stored with the thresholds; tests/test_calibrate.py fails when it no longer
    matches, because pass marks measured for another budget or another
    reference mean nothing. What counts, and what is left out on purpose (other
    tests of the module, exercises nothing measured runs, setup cells), is
    :mod:`autograder.measure_fingerprint`'s to say.
    """
    from autograder.measure_fingerprint import digest
    from autograder.notebooks import exercise_cells, lesson_named, read_notebook

    return digest(module_path, exercise_cells(read_notebook(lesson_named(lesson_name).master)))


def load_module(path: Path):
    """Import a hidden-test module by path (it needs nothing from pytest to be imported)."""
    spec = importlib.util.spec_from_file_location(f"_calibrate_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pass_mark(values: list[float], direction: str, relative_margin: float,
              baseline: float | None = None, required: float | None = None) -> dict:
    worst = max(values) if direction == "min" else min(values)
    spread = max(values) - min(values)
    margin = max(spread, relative_margin * abs(worst))
    if baseline is not None:
        if not passes(worst, direction, baseline) or worst == baseline:
            raise CalibrationError(f"the reference's worst value {worst:.4g} is no better than a non-answer's {baseline:.4g}")
        margin = min(margin, abs(baseline - worst) / 2)
    threshold = worst + margin if direction == "min" else worst - margin
    if required is not None:
        if not passes(worst, direction, required):
            raise CalibrationError(f"the reference's worst value {worst:.4g} misses the requirement {required:.4g}")
        threshold = min(threshold, required) if direction == "min" else max(threshold, required)
        margin = abs(threshold - worst)
    return {"threshold": threshold, "worst": worst, "spread": spread, "margin": margin}


def passes(value: float, direction: str, threshold: float) -> bool:
    return value <= threshold if direction == "min" else value >= threshold


def direction_of(module, metric: str, where: str) -> str:
    declared = getattr(module, "DIRECTIONS", {}).get(metric)
    if declared not in ALIASES:
        raise CalibrationError(
            f"{where}: metric {metric!r} has no direction; declare DIRECTIONS = {{{metric!r}: 'min' or 'max'}} "
            "in the module ('min': lower is better, 'max': higher is better)")
    return ALIASES[declared]


def calibrate_module(path: Path, seeds: list[int], command: str) -> dict:
    """{exercise: {metric: entry}} for one hidden-test module."""
    from autograder import contestants, testing
    from autograder.runner import usable_cores
    from public_tests.framework import Namespace

    module = load_module(path)
    measures = getattr(module, "MEASURES", {})
    if not measures:
        return {}
    lesson = testing.lesson_of_module(module)
    reference = Namespace(testing.reference_namespace(lesson))
    result: dict = {}
    for exercise, fn in measures.items():
        per_metric: dict[str, dict[str, float]] = {}
        for seed in seeds:
            started = time.monotonic()
            # A fresh contestant per seed, as in grading (one judge, one contestant per exercise).
            contestants.configure(contestants.JudgeSettings(seed=seed, threads=usable_cores(), cpu_seconds=3600))
            pictures.recorded()  # forget what an earlier seed drew
            try:
                values = fn(contestants.contestant_for(lesson, exercise), reference, seed)
            finally:
                contestants.close_contestants()
            if seed == 0:  # the reference's pictures, shown beside each student's in the feedback
                for path in pictures.save_references(pictures.recorded()):
                    print(f"  drew {path.relative_to(REPO)}", flush=True)
            print(f"{lesson.name}/{exercise} seed {seed}: "
                  + ", ".join(f"{k}={v:.4g}" for k, v in values.items())
                  + f"  ({time.monotonic() - started:.1f} s)", flush=True)
            for metric, value in values.items():
                direction_of(module, metric, f"{path.name}")  # fail at the first seed, not after all of them
                per_metric.setdefault(metric, {})[str(seed)] = float(value)
        today = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        entries = {}
        for metric, by_seed in per_metric.items():
            direction = direction_of(module, metric, path.name)
            relative = float(getattr(module, "MARGINS", {}).get(metric, MARGIN))
            baseline = getattr(module, "BASELINES", {}).get(metric)
            required = getattr(module, "REQUIRED", {}).get(metric)
            try:
                mark = pass_mark(list(by_seed.values()), direction, relative, baseline, required)
            except CalibrationError as error:
                raise CalibrationError(f"{lesson.name}/{exercise}/{metric}: {error}") from None
            failing = [s for s, v in by_seed.items() if not passes(v, direction, mark["threshold"])]
            if failing:  # cannot happen with the rule above; guards against a broken rule
                raise CalibrationError(f"{lesson.name}/{exercise}/{metric}: the reference fails seeds {failing}")
            entries[metric] = {"threshold": mark["threshold"], "direction": direction, "values": by_seed,
                               "worst": mark["worst"], "spread": mark["spread"], "margin": mark["margin"],
                               "relative_margin": relative, "baseline": baseline, "required": required,
                               "date": today, "command": command}
        result[exercise] = entries
    return {lesson.name: result}


def verify(seeds: list[int]) -> bool:
    """Grade the reference solutions with each seed; True when every exercise gets full marks."""
    import csv

    from autograder.notebooks import SOLUTIONS

    ok = True
    for seed in seeds:
        with tempfile.TemporaryDirectory() as out:
            run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(SOLUTIONS), "--out", out,
                                  "--seed", str(seed), "--jobs", "2"], capture_output=True, text=True)
            rows = list(csv.DictReader(open(Path(out) / "grades.csv"))) if run.returncode == 0 else []
            full = bool(rows) and rows[0]["percent"] == "100.0"
            print(f"verify seed {seed}: " + ("100 %" if full else "NOT 100 %"), flush=True)
            if not full:
                print(run.stdout[-3000:], run.stderr[-2000:], sep="\n")
            ok &= full
    return ok


def main(argv: list[str] | None = None) -> int:
    from autograder.paths import HIDDEN_TESTS, THRESHOLDS
    from autograder.runner import usable_cores
    from autograder.judge import configure_process

    parser = argparse.ArgumentParser(prog="python -m autograder.calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--lessons", nargs="+", help="only these lessons (others keep their entries)")
    parser.add_argument("--out", type=Path, default=THRESHOLDS)
    parser.add_argument("--verify", action="store_true", help="then grade the reference once per seed")
    parser.add_argument("--verify-only", action="store_true",
                        help="only grade the reference once per seed with the pass marks as they are")
    args = parser.parse_args(argv)
    if args.verify_only:
        return 0 if verify(args.seeds) else 1
    if len(args.seeds) < 2:
        parser.error("calibrate over at least two seeds (the spread sets the margin)")
    command = "python -m autograder.calibrate " + " ".join(argv if argv is not None else sys.argv[1:])
    configure_process(usable_cores(), None)

    modules = sorted(HIDDEN_TESTS.glob("test_*.py"))
    if args.lessons:
        modules = [m for m in modules if m.stem.removeprefix("test_") in args.lessons]
    measured: dict = {}
    fingerprints: dict = {}
    unmeasured: list[str] = []  # lessons without statistical checks: nothing to calibrate, old marks to drop
    try:
        for path in modules:
            result = calibrate_module(path, args.seeds, command)
            if not result:
                unmeasured.append(path.stem.removeprefix("test_"))
            measured.update(result)
            fingerprints.update({lesson: fingerprint(lesson, path) for lesson in result})
    except CalibrationError as error:
        print(f"calibrate: {error}", file=sys.stderr)
        return 1
    # Read the file only now: another lesson's calibration may have written it meanwhile.
    data = json.loads(args.out.read_text()) if args.out.exists() else {}
    data.update(measured)
    data.setdefault("_fingerprints", {}).update(fingerprints)
    for lesson in unmeasured:
        if data.pop(lesson, None) is not None or data["_fingerprints"].pop(lesson, None) is not None:
            print(f"{lesson} measures nothing after training (no MEASURES): its old pass marks are removed")
        data["_fingerprints"].pop(lesson, None)
    data["_rule"] = RULE
    args.out.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    for lesson, exercises in sorted(data.items()):
        if lesson.startswith("_"):
            continue
        for exercise, metrics in exercises.items():
            for metric, e in metrics.items():
                values = ", ".join(f"{v:.4g}" for v in e["values"].values())
                sign = "<=" if e["direction"] == "min" else ">="
                print(f"  {lesson}/{exercise}/{metric}: pass when {sign} {e['threshold']:.4g}   reference: {values}")
                if e["spread"] > NOISY * abs(e["worst"]):
                    # The spread, not the margin, set this pass mark: check it still fails a wrong answer.
                    print(f"    warning: noisy over seeds (spread {e['spread']:.3g} > {NOISY:.0%} of the worst value); "
                          "a steadier measure would make a sharper check")
    if args.verify and not verify(args.seeds):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

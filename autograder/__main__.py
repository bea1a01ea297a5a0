"""Command line: ``python -m autograder grade PATH --out DIR --jobs N``.

PATH is one notebook, a folder of one student's lesson notebooks (such as
``solutions/`` or ``lessons/``), or a folder of students (one subfolder or
notebook each). Writes to DIR:

* ``summary.txt``: what is printed, per student and per exercise;
* ``grades.csv``: one row per student, a column per exercise, total, max, percent;
* ``results/<student>/results.json``: Gradescope's format;
* ``feedback/<student>.html`` and ``class_report.html``: pages for people;
* ``logs/<student>/<lesson>.<exercise>.log``: what the student's code printed for that exercise
  (``.judge.log`` beside it: what the hidden tests printed).

``--overrides FILE`` merges the instructor's decisions into all of them
(:mod:`autograder.overrides`).

Exit status 0 whatever the students scored; 1 when PATH is a notebook that
answers none of the lessons; 2 when the grader cannot run (no such path, broken
hidden tests, a bad row in the overrides).
"""

from __future__ import annotations

import aecourse  # noqa: F401 - first, before TensorFlow: keeps its start-up lines out of the console

import argparse
import sys
import time
from pathlib import Path

from autograder import class_overview, overrides, progress
from autograder.discover import DiscoveryError, discover, from_manifest
from autograder.html_report import write_pages
from autograder.grading import GraderError, check_plan, collect_plan, exercises_to_grade, grade
from autograder.notebooks import freeze_masters, lessons
from autograder.report import class_summary, results_json_path, student_summary, write_csv, write_results_json
from autograder.runner import Limits, Runner, default_memory_mb, usable_cores
from autograder.sandbox import protections_line
from autograder.similarity_page import write_similarity_report


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m autograder", description="Grade course notebooks.")
    commands = main.add_subparsers(dest="command", required=True)
    g = commands.add_parser("grade", help="grade one submission or a folder of submissions")
    g.add_argument("path", nargs="?", help="a notebook, a student's folder, or a folder of students")
    g.add_argument("--manifest", type=Path, metavar="FILE",
                   help="instead of PATH: a JSON list of {name, notebooks, lessons?, exercises?}")
    g.add_argument("--out", default="grading-output", help="folder for the reports (default: grading-output)")
    g.add_argument("--jobs", type=int,
                   help="judges at once, each grading a student's lessons one exercise at a time "
                        "(default: one per core; each gets cores / jobs threads)")
    g.add_argument("--timeout-per-exercise", type=float, default=Limits.timeout, metavar="S",
                   help=f"CPU seconds per exercise and thread it may use (default {Limits.timeout:g}); "
                        "code that computes nothing for a quarter of that (at least 10 s; see --idle-seconds) "
                        "is stopped too")
    g.add_argument("--idle-seconds", type=float, metavar="S",
                   help="stop code that computes nothing for S seconds (default: a quarter of the CPU time "
                        "per exercise, at least 10 s)")
    g.add_argument("--memory-mb", type=int, metavar="M",
                   help="resident memory per exercise in MB (default 4096, less on a small machine)")
    g.add_argument("--seed", type=int, default=0, help="seed set before each exercise (default 0)")
    g.add_argument("--lessons", nargs="+", metavar="LESSON", help="grade only these lessons (e.g. 04_vae)")
    g.add_argument("--exercise", action="append", metavar="NAME", help="grade only this exercise (repeatable)")
    g.add_argument("--single", action="store_true", help="PATH is one student's folder, whatever it holds")
    g.add_argument("--gradescope-results", type=Path, metavar="FILE",
                   help="also write the (single) student's results.json here")
    g.add_argument("--resume", action="store_true",
                   help="keep the results of students already graded into --out from the same notebooks, "
                        "hidden tests, pass marks and seed (a run stopped part-way finishes the rest)")
    g.add_argument("--overrides", type=Path, metavar="FILE",
                   help="a CSV of the instructor's decisions (student, exercise, points, comment) merged into "
                        "every report, marked as such")
    g.add_argument("--public-checks", action="store_true",
                   help="also run each exercise's public checks after its hidden tests, in a fresh sandbox, and "
                        "report them at no points as public tests in results.json (Gradescope's run_autograder "
                        "does; about a fifth more grading time)")
    g.add_argument("--grade-every-copy", action="store_true",
                   help="grade a cell identical to another student's again instead of sharing its verdicts "
                        "(the same results, more time; for measuring the grader)")
    g.add_argument("--spawn", action="store_true",
                   help="start a fresh interpreter per exercise instead of forking (slower)")
    return main


def run_grade(args) -> int:
    started = time.monotonic()
    out = Path(args.out).resolve()  # judges run in folders of their own: their log paths must not be relative
    jobs = max(1, args.jobs or usable_cores())
    limits = Limits(timeout=args.timeout_per_exercise, memory_mb=args.memory_mb or default_memory_mb(jobs), jobs=jobs,
                    seed=args.seed, spawn=args.spawn, idle_seconds=args.idle_seconds)
    if (args.path is None) == (args.manifest is None):
        print("autograder: give PATH or --manifest FILE (one of the two)", file=sys.stderr)
        return 2
    try:
        if args.manifest is not None:
            submissions = from_manifest(args.manifest)
        else:
            submissions = discover(args.path, args.lessons, single=args.single or args.gradescope_results is not None)
    except DiscoveryError as error:
        print(f"autograder: {error}", file=sys.stderr)
        return 2
    if args.path and Path(args.path).is_file() and len(submissions) == 1 and not submissions[0].lessons:
        print(f"autograder: {args.path} answers none of the course's lessons (no '# Exercise:' cell of a lesson, "
              "no NN_ lesson prefix): nothing to grade", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    if not submissions:
        print(f"autograder: no notebooks or student folders in {args.path}")
        print(class_summary([]))
        write_csv(out / "grades.csv", [], {}, [])
        write_pages(out, [])
        return 0
    freeze_masters()  # the masters as they are now, for every judge of the run
    runner = Runner(limits)
    try:
        plan = collect_plan(runner, out / "logs")
    except GraderError as error:
        print(f"autograder: {error}", file=sys.stderr)
        return 2
    for warning in check_plan(plan):
        print(f"autograder: warning: {warning}", file=sys.stderr)
    only = set(args.exercise) if args.exercise else None
    known = {e for exercises in plan.values() for e in exercises}
    if only and only - known:
        print(f"autograder: unknown exercise(s) {', '.join(sorted(only - known))}", file=sys.stderr)
        return 2
    decisions = {}
    if args.overrides is not None:
        graded = {s.name: {e for lesson in s.lessons for e in exercises_to_grade(
            plan, lesson, only if s.exercises is None else (s.exercises & only if only else s.exercises))}
            for s in submissions}
        try:
            decisions = overrides.load(args.overrides, plan, graded)
        except overrides.OverrideError as error:
            for line in error.lines:
                print(f"autograder: overrides: {line}", file=sys.stderr)
            return 2

    print(f"grading {len(submissions)} submission(s) from {args.path or args.manifest} "
          f"({limits.jobs} at a time; per exercise {limits.timeout:g} s of CPU per thread, {limits.threads} thread(s), "
          f"{limits.memory_mb} MB; seed {limits.seed})",
          flush=True)
    print(protections_line(), flush=True)
    blocks = []
    stamps = {id(s): progress.fingerprint(s, limits.seed, only, args.public_checks) for s in submissions}
    kept = {}
    if args.resume:
        for submission in submissions:
            saved = progress.load(out, submission, stamps[id(submission)])
            if saved is not None:
                kept[id(submission)] = saved
        print(f"resuming: {len(kept)} of {len(submissions)} student(s) already graded", flush=True)

    def show(result, submission=None):
        overrides.apply(result, decisions)
        block = student_summary(result)
        blocks.append(block)
        print(block, flush=True)
        if submission is not None:  # written at once: a run stopped later keeps this student
            write_results_json(results_json_path(out, result), result)
            progress.save(out, result, stamps[id(submission)])

    for submission in submissions:
        if id(submission) in kept:
            show(kept[id(submission)])
    todo = [s for s in submissions if id(s) not in kept]
    fresh = grade(todo, plan, limits, runner, out / "logs", only,
                  on_student=lambda index, result: show(result, todo[index]), public_checks=args.public_checks,
                  share_verdicts=not args.grade_every_copy)
    by_name = {id(s): r for s, r in zip(todo, fresh)}
    results = [kept.get(id(s)) or by_name[id(s)] for s in submissions]
    elapsed = time.monotonic() - started
    if len(results) == 1:  # Gradescope's execution_time: the whole run, imports included
        results[0].seconds = elapsed
    footer = f"{class_summary(results)} in {elapsed:.1f} s"
    print(footer)
    (out / "summary.txt").write_text("\n".join(blocks + [footer]) + "\n", encoding="utf-8")
    write_csv(out / "grades.csv", results, plan, [l.name for l in lessons()])
    for result in results:  # ids are unique once made file names (discovery): no two share a folder
        write_results_json(results_json_path(out, result), result)
    if args.gradescope_results is not None and results:
        write_results_json(args.gradescope_results, results[0])
    # Every student graded (kept ones too): their cells come from discovery, not from the results.
    _, similar_pairs = write_similarity_report(out, submissions)
    cells = {s.name: {(lesson, exercise): source for lesson, by_exercise in s.cells.items()
                      for exercise, source in by_exercise.items()} for s in submissions}
    write_pages(out, results, similar_pairs, cells, class_overview.stamp(limits.seed, protections_line()))
    print(f"reports in {out}/ (summary.txt, grades.csv, results/<student>/results.json, "
          "feedback/<student>.html, class_report.html)")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "grade":
        return run_grade(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())

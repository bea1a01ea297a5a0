"""The judge's settings and its contestants' life cycle: one sandboxed contestant per exercise.

A judge grades one or more lessons of one student (``autograder.judge``). Each
exercise gets a contestant of its own (``contestant_for``): a process forked from
one of the judge's warm zygotes (``autograder.sandbox``), in which the master's
setup cells, the student's cell for that exercise and the reference cells of
every other exercise have run; the judge talks to it through
``autograder.remote``. Starting the next exercise's contestant ends the previous
one first, so nothing one exercise leaves reaches the next; ``close_contestants``
ends them all, zygotes included. The settings (``configure``) say which notebook
is the student's (none: the reference cells are sent, which is how calibration and
the project's tests grade the solutions), the seed and the contestants' budgets.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from autograder import registry
from autograder.notebooks import (Lesson, NotebookError, contestant_sources, exercise_cells, lesson_named,
                                  read_notebook, setup_cells, without_magics)
from autograder.paths import HIDDEN_TESTS

CONTESTANT_PRELOAD_ENV = "AUTOGRADER_CONTESTANT_PRELOAD"


@dataclass
class JudgeSettings:
    # lesson name -> the student's notebook; a lesson not listed grades the reference
    submissions: dict[str, str] = field(default_factory=dict)
    seed: int = 0
    threads: int = 1
    cpu_seconds: float = 120.0       # the contestant's budget for this exercise
    memory_mb: int = 4096
    idle_seconds: float | None = None  # how long the student's code may compute nothing (None: the default)
    log_file: str | None = None      # what the student's code prints ({lesson} and {exercise} filled in)
    run_folder: str | None = None    # the grading run's folder of values every judge computes alike


_settings = JudgeSettings()
_contestants: dict[tuple[str, str], object] = {}
_protections: list[str] | None = None
_zygotes: dict = {}                  # the judge's warm sandboxes (autograder.sandbox.Sandbox), by masked answers
# An exercise whose check trains the student's model gets this many times the budget:
# a training run under load is the one legitimate long job.
TRAINING_BUDGET_FACTOR = 3


def configure(settings: JudgeSettings) -> None:
    global _settings
    _settings = settings


def current_settings() -> JudgeSettings:
    """The settings this judge was configured with (the defaults until ``configure``)."""
    return _settings


def contestant_for(lesson: Lesson, exercise: str, module=None):
    """The contestant of this exercise, started (and its cells run) on first use; then the same one.

    One judge grades one or more lessons of a student, exercise after exercise: each
    exercise gets a new contestant forked from the judge's warm zygote, training
    exercises included (the zygote has imported TensorFlow but never started its
    runtime, so a fork is safe), sealed in its own uid and scratch folder; the previous
    exercise's processes and files are gone first, so nothing one exercise leaves
    (its copies of the other exercises' reference cells included) reaches the next.
    Returns a RemoteNamespace, or raises what running the cells raised, for every
    test that asks (so each test reports it).
    """
    # Imported on first use: grading reads TRAINING_BUDGET_FACTOR from here
    # without loading the wire format and numpy.
    from autograder.remote import Budget, Connection, RemoteNamespace
    from autograder.sandbox import Sandbox, SandboxSettings

    global _protections
    key = (lesson.name, exercise)
    if key not in _contestants:
        for other in [k for k in _contestants if k != key]:  # one exercise at a time in the sandbox
            finished = _contestants.pop(other)
            if hasattr(finished, "close"):
                finished.close()
        settings = _settings
        try:
            notebook = settings.submissions.get(lesson.name)
            cells = exercise_cells(read_notebook(notebook)) if notebook else None
            sources = contestant_sources(lesson, cells, exercise)
        except NotebookError as error:
            _contestants[key] = error
            raise
        log = Path(settings.log_file) if settings.log_file else Path(tempfile.gettempdir()) / f"{lesson.name}.log"
        log = log.with_name(log.name.replace("{lesson}", lesson.name).replace("{exercise}", exercise))
        masked = dict(getattr(module, "DELEGATES", {}).get(exercise, {}))
        # The zygote serves every lesson of this judge, so it imports what all their setup cells
        # import; a zygote with masked library answers serves one exercise and imports only its lesson's.
        judged = [lesson] if masked else [lesson, *(lesson_named(name) for name in settings.submissions
                                                    if name != lesson.name)]
        preload = os.environ.get(CONTESTANT_PRELOAD_ENV)
        if preload is None:
            preload = _setup_imports(judged)
        sandbox_settings = SandboxSettings(memory_mb=settings.memory_mb, threads=settings.threads,
                                           preload=preload, exercise=exercise, masked=masked)
        declared = registry.by_id(HIDDEN_TESTS).get(exercise)
        trains = bool(declared and declared.trains)
        budget = Budget(settings.cpu_seconds * (TRAINING_BUDGET_FACTOR if trains else 1), settings.memory_mb,
                        settings.threads, settings.idle_seconds)
        zygote_key = json.dumps(masked, sort_keys=True)  # the library's answers masked, or not
        zygote = _zygotes.get(zygote_key)
        if zygote is None or not zygote.alive():
            if zygote is not None:
                zygote.close()
            suffix = f".masked-{exercise}" if masked else ""
            zygote = _zygotes[zygote_key] = Sandbox(sandbox_settings,
                                                    log.with_name(f"{lesson.name}{suffix}.zygote.log"))
        child = zygote.child(log)
        connection = Connection(child, budget, log)
        _protections = connection.protections
        _contestants[key] = connection
        try:
            connection.run_cells(sources, settings.seed, settings.threads)
        except Exception as error:
            connection.failure = error
    connection = _contestants[key]
    if isinstance(connection, Exception):
        raise connection
    if getattr(connection, "failure", None) is not None:
        raise connection.failure
    return RemoteNamespace(connection)


def end_contestant(lesson: Lesson, exercise: str) -> None:
    """End this exercise's contestant, if any: the next ``contestant_for`` starts a fresh one."""
    finished = _contestants.pop((lesson.name, exercise), None)
    if hasattr(finished, "close"):
        finished.close()


def _setup_imports(judged: list[Lesson]) -> str:
    """The modules these lessons' setup cells import: what a zygote imports before forking."""
    import ast

    names: list[str] = []
    for lesson in judged:
        for source in setup_cells(read_notebook(lesson.master)):
            for node in ast.walk(ast.parse(without_magics(source))):
                if isinstance(node, ast.Import):
                    names += [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.append(node.module)
    return ",".join(dict.fromkeys(names))


def close_contestants() -> None:
    for connection in _contestants.values():
        if hasattr(connection, "close"):
            connection.close()
    _contestants.clear()
    for zygote in _zygotes.values():
        zygote.close()
    _zygotes.clear()


def protections_used() -> list[str] | None:
    """The sandbox layers the contestants of this judge had (None when none was started)."""
    return _protections

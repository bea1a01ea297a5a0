"""Run grading jobs in child processes, each with a time and a memory limit.

Design (numbers measured on the course's 2-core machine):

* Importing TensorFlow + Keras takes about 6 s of CPU. A full submission has
  about 20 exercises, so one fresh interpreter per exercise would spend about
  120 s of CPU on imports alone, over the 120 s budget for the whole
  submission. A worker per lesson (restarted after a crash) would share
  state between the exercises of a lesson.
* So the grader imports TensorFlow once, WITHOUT starting its runtime, and
  forks one child per exercise. A fork costs milliseconds; each child is a
  fresh copy of that state, sets its own thread counts and seed, runs the
  exercise's hidden tests and exits. The runtime (thread pools) starts only in
  the child, which is what makes forking safe: the parent never runs a
  TensorFlow op (``fork_is_safe`` checks this and falls back to spawning).
* ``spawn=True`` (``--spawn``) starts ``python -m autograder.worker`` instead:
  slower (one import per exercise) but independent of fork.

Each child leads its own process group, so a time-out or a memory overrun kills
the child and anything it started. Memory is watched as the resident set size
(RSS) of the whole group, read from /proc every ``POLL`` seconds: TensorFlow
reserves gigabytes of address space it never touches, so an address-space
limit (RLIMIT_AS) would have to be so generous it would catch nothing. A
generous RLIMIT_AS is still set as a backstop against a single huge allocation
outrunning the watchdog.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Hashable

POLL = 0.1          # seconds between checks of the running children
PAGE = os.sysconf("SC_PAGE_SIZE")
LOG_LIMIT = 64 * 2**20  # RLIMIT_FSIZE: a student printing in an endless loop must not fill the disk
ADDRESS_SPACE_SLACK_MB = 16 * 1024  # TensorFlow maps ~5-8 GB of virtual memory it never uses

# Modules the parent imports once so that every forked child has them for free.
PRELOAD = ("numpy", "tensorflow", "keras", "matplotlib", "matplotlib.pyplot", "nbformat", "pytest",
           "aecourse", "aecourse.config", "aecourse.seeding", "public_tests", "public_tests.framework",
           "autograder.notebooks", "autograder.testing", "autograder.worker")


def default_memory_mb(jobs: int = 1) -> int:
    """4 GB per exercise, or less on a small machine (80 % of its memory shared by the jobs).

    A forked child's RSS counts the ~0.7 GB of TensorFlow it shares with the grader.
    """
    try:
        with open("/proc/meminfo") as handle:
            total_mb = next(int(line.split()[1]) // 1024 for line in handle if line.startswith("MemTotal:"))
    except (OSError, StopIteration, ValueError):
        return 4096
    return max(512, min(4096, int(0.8 * total_mb / max(1, jobs))))


@dataclass
class Limits:
    timeout: float = 120.0      # seconds per exercise
    memory_mb: int = 4096       # RSS per exercise (its whole process group)
    jobs: int = 1               # children at once
    seed: int = 0
    spawn: bool = False         # fresh interpreters instead of forks

    @property
    def threads(self) -> int:
        """Threads per child: the cores shared between the children running at once."""
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        return max(1, cores // max(1, self.jobs))


@dataclass
class Job:
    key: Hashable
    task: dict                  # for ``worker.execute``; the runner adds result_file, seed, threads
    log_file: Path


@dataclass
class Finished:
    key: Hashable
    records: list[dict]
    status: str                 # "ok", "timeout", "memory", "signal", "exit"
    detail: str                 # for students, when status != "ok"
    seconds: float
    peak_mb: float


@dataclass
class _Running:
    job: Job
    pid: int
    workdir: Path
    result_file: Path
    started: float
    process: subprocess.Popen | None = None
    peak_mb: float = 0.0
    killed: str | None = None
    status: int | None = None
    extra: dict = field(default_factory=dict)


def preload() -> None:
    """Import the heavy modules once, in the parent, before forking."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("MPLBACKEND", "Agg")
    import importlib

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def fork_is_safe() -> bool:
    """True while TensorFlow's runtime has not started in this process.

    Forking after it started would copy thread pools without their threads.
    """
    if not hasattr(os, "fork"):
        return False
    if "tensorflow" not in sys.modules:
        return True
    try:
        from tensorflow.python.eager import context

        ctx = context.context_safe()
        return ctx is None or not ctx._initialized  # private, but the only way to ask
    except Exception:
        return False


def group_rss_mb() -> dict[int, float]:
    """Resident memory per process group, in MB, from /proc."""
    usage: dict[int, float] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue  # the process ended meanwhile
        fields = stat[stat.rfind(b")") + 2:].split()  # after "pid (comm) ": state, ppid, pgrp, ...
        pgrp, rss_pages = int(fields[2]), int(fields[21])
        usage[pgrp] = usage.get(pgrp, 0.0) + rss_pages * PAGE / 2**20
    return usage


def _set_limits(memory_mb: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))            # a segfault leaves no core file
    resource.setrlimit(resource.RLIMIT_FSIZE, (LOG_LIMIT, LOG_LIMIT))
    address_space = (memory_mb + ADDRESS_SPACE_SLACK_MB) * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))


def _child(job: Job, task: dict, workdir: Path, limits: Limits) -> None:
    """In the forked child: detach from the parent's terminal and state, then grade."""
    code = 70
    try:
        os.setpgid(0, 0)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        log = os.open(job.log_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.chdir(workdir)
        _set_limits(limits.memory_mb)
        from autograder.worker import execute

        code = execute(task)
    except BaseException:  # noqa: BLE001 - whatever happened, the parent learns it from the log and the missing records
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)  # never run the parent's code after this point (its loops, atexit handlers)


class Runner:
    def __init__(self, limits: Limits):
        self.limits = limits
        self.spawn = limits.spawn or not fork_is_safe()
        if not limits.spawn and self.spawn:
            print("autograder: TensorFlow is already running in this process; spawning workers instead of forking",
                  file=sys.stderr)
        if not self.spawn:
            preload()
            # Objects that exist now are shared by every child. Freezing them keeps
            # the garbage collector from walking (and so copying) them in each
            # child: pytest runs full collections at exit, which took ~1 s per
            # exercise over TensorFlow's millions of objects before this.
            gc.collect()
            gc.freeze()

    # -- starting ---------------------------------------------------------

    def _start(self, job: Job) -> _Running:
        workdir = Path(tempfile.mkdtemp(prefix="autograder-"))
        result_file = workdir / "result.jsonl"
        result_file.touch()
        task = dict(job.task, result_file=str(result_file), seed=self.limits.seed, threads=self.limits.threads)
        job.log_file.parent.mkdir(parents=True, exist_ok=True)
        if self.spawn:
            return self._spawn(job, task, workdir, result_file)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(job, task, workdir, self.limits)
        try:
            os.setpgid(pid, pid)  # also done by the child; whoever runs first wins, both agree
        except (PermissionError, ProcessLookupError):
            pass
        return _Running(job, pid, workdir, result_file, time.monotonic())

    def _spawn(self, job: Job, task: dict, workdir: Path, result_file: Path) -> _Running:
        task_file = workdir / "task.json"
        task_file.write_text(json.dumps(task), encoding="utf-8")
        root = Path(__file__).resolve().parent.parent
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
                   TF_CPP_MIN_LOG_LEVEL="2", MPLBACKEND="Agg")
        with open(job.log_file, "wb") as log:
            process = subprocess.Popen([sys.executable, "-m", "autograder.worker", str(task_file)],
                                       cwd=workdir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                       env=env, start_new_session=True,
                                       preexec_fn=lambda: _set_limits(self.limits.memory_mb))
        return _Running(job, process.pid, workdir, result_file, time.monotonic(), process=process)

    # -- watching ---------------------------------------------------------

    def _kill(self, run: _Running, reason: str) -> None:
        run.killed = run.killed or reason
        try:
            os.killpg(run.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def _finish(self, run: _Running) -> Finished:
        # Anything the exercise left behind in its group goes too.
        try:
            os.killpg(run.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if run.process is not None:
            run.process.returncode = -1  # reaped with os.waitpid below; keeps Popen quiet
        records = []
        for line in run.result_file.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut short by a kill
        shutil.rmtree(run.workdir, ignore_errors=True)
        seconds = time.monotonic() - run.started
        status, detail = self._verdict(run, records)
        return Finished(run.job.key, records, status, detail, seconds, run.peak_mb)

    def _verdict(self, run: _Running, records: list[dict]) -> tuple[str, str]:
        limits = self.limits
        if run.killed == "timeout":
            return "timeout", (f"stopped after {limits.timeout:.0f} s, the time limit per exercise "
                               "(an endless loop, or much slower code than needed?)")
        if run.killed == "memory":
            return "memory", (f"stopped: used more than {limits.memory_mb} MB of memory, "
                              "the limit per exercise")
        if any(r.get("kind") == "end" for r in records):
            return "ok", ""
        status = run.status or 0
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
            if sig == signal.SIGXFSZ:
                return "signal", f"stopped: your code wrote more than {LOG_LIMIT // 2**20} MB of output"
            if sig == signal.SIGKILL:
                return "signal", "the process was killed (SIGKILL), most likely by the system for using too much memory"
            return "signal", f"the Python process crashed ({name}) while running your code"
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
        return "exit", (f"the Python process ended (exit code {code}) before the tests finished: "
                        "does your code call os._exit() or similar?")

    def run(self, jobs: list[Job], on_finished: Callable[[Finished], None] | None = None) -> dict[Hashable, Finished]:
        pending = list(jobs)
        running: dict[int, _Running] = {}
        done: dict[Hashable, Finished] = {}
        try:
            while pending or running:
                while pending and len(running) < self.limits.jobs:
                    run = self._start(pending.pop(0))
                    running[run.pid] = run
                time.sleep(POLL)
                usage = group_rss_mb()
                now = time.monotonic()
                for pid, run in list(running.items()):
                    reaped, status = os.waitpid(pid, os.WNOHANG)
                    if reaped:
                        run.status = status
                        finished = self._finish(run)
                        del running[pid]
                        done[finished.key] = finished
                        if on_finished:
                            on_finished(finished)
                        continue
                    run.peak_mb = max(run.peak_mb, usage.get(pid, 0.0))
                    if usage.get(pid, 0.0) > self.limits.memory_mb:
                        self._kill(run, "memory")
                    elif now - run.started > self.limits.timeout:
                        self._kill(run, "timeout")
        finally:
            # Interrupted (Ctrl-C) or failed: leave no child behind.
            for pid, run in running.items():
                self._kill(run, "interrupted")
                try:
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass
                shutil.rmtree(run.workdir, ignore_errors=True)
        return done

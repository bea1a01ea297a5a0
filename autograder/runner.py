"""Run grading jobs in child processes, each with a time and a memory limit.

Design, with numbers measured on the course's 2-core machine:

* Importing TensorFlow + Keras costs about 6 s of CPU (quiet machine). The
  course has about 20 exercises: a fresh interpreter per exercise would spend
  ~120 s of CPU on imports alone, the whole budget for a submission. A worker
  per lesson, restarted after a crash, would let the exercises of a lesson
  share state (a student's monkeypatching, Keras' global settings).
* So the grader imports TensorFlow once, WITHOUT starting its runtime, and
  forks one child per exercise. Each child is a fresh copy of that state: it
  sets its own thread counts and seed, runs the exercise's hidden tests and
  exits. A child that runs quick tests costs ~0.3-0.4 s in all (pytest start,
  namespace, report) against ~6 s for a fresh interpreter. TensorFlow's
  runtime (its thread pools) starts only in the children: ``fork_is_safe``
  checks that the parent never started it, and falls back to spawning.
* Exercises whose tests TRAIN a model (``Job.fresh``, see
  ``worker.trains_a_model``) run in a fresh interpreter
  (``python -m autograder.worker``) instead. Measured: Keras' ``fit`` for
  several epochs in a forked child hung now and then inside tf.data (5 of ~14
  trainings under load, stuck without using CPU); in fresh interpreters never
  (0 of 6 spawned workers, 0 of 20 calibration trainings). There are only ~4
  such exercises, so the extra imports cost ~25 s of CPU per submission, and
  each of them trains for longer than that anyway.
* ``spawn=True`` (``--spawn``) runs every exercise in a fresh interpreter:
  slower, same verdicts.

Each child leads its own process group, so a time-out or a memory overrun kills
the child and anything it started.

Time is limited as CPU time of the group: ``timeout`` seconds per thread the
child may use. On a machine shared with other work a correct exercise takes
longer by the clock but not in CPU time, so its verdict does not depend on
the neighbours; an endless loop burns CPU and is stopped all the same. Code
that waits without computing (sleeping, a deadlock) is stopped once it has
used under 0.1 s of CPU in ``idle_limit`` seconds, and anything at all after
``WALL_FACTOR`` times the timeout by the clock.

Memory is watched as the resident set size
(RSS) of the whole group, read from /proc every ``POLL`` seconds: TensorFlow
reserves gigabytes of address space it never touches, so an address-space
limit (RLIMIT_AS) would have to be so generous it would catch nothing. A
generous RLIMIT_AS is still set as a backstop against a single huge allocation
outrunning the watchdog.
"""

from __future__ import annotations

import faulthandler
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
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Hashable

POLL = 0.1          # seconds between checks of the running children
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")
WALL_FACTOR = 10    # wall-clock backstop = WALL_FACTOR x timeout
IDLE_CPU = 0.1      # CPU seconds that count as progress within the idle limit
LOG_LIMIT = 64 * 2**20  # RLIMIT_FSIZE: a student printing in an endless loop must not fill the disk
ADDRESS_SPACE_SLACK_MB = 16 * 1024  # TensorFlow maps ~5-8 GB of virtual memory it never uses

# Modules the parent imports once so that every forked child has them for free.
# AUTOGRADER_PRELOAD (comma-separated) replaces the list, e.g. for a course
# without TensorFlow (the project's tests grade such a fake course).
PRELOAD = ("numpy", "tensorflow", "keras", "matplotlib", "matplotlib.pyplot", "nbformat", "pytest",
           "aecourse", "aecourse.config", "aecourse.seeding", "public_tests", "public_tests.framework",
           "autograder.notebooks", "autograder.testing", "autograder.worker")
PRELOAD_ENV = "AUTOGRADER_PRELOAD"


def usable_cores() -> int:
    """The cores this process may run on (a container's share, not the host's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


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
    timeout: float = 120.0      # CPU seconds per exercise and per thread (see the module's docstring)
    memory_mb: int = 4096       # RSS per exercise (its whole process group)
    jobs: int = 1               # children at once
    seed: int = 0
    spawn: bool = False         # fresh interpreters instead of forks

    @property
    def idle_limit(self) -> float:
        """Seconds without computing after which an exercise counts as stuck."""
        return max(10.0, self.timeout / 4)

    @property
    def threads(self) -> int:
        """Threads per child: the cores shared between the children running at once."""
        return max(1, usable_cores() // max(1, self.jobs))


@dataclass
class Job:
    key: Hashable
    task: dict                  # for ``worker.execute``; the runner adds result_file, seed, threads
    log_file: Path
    fresh: bool = False         # run in a fresh interpreter even when forking (exercises that train)


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
    cpu_seconds: float = 0.0
    progress_cpu: float = 0.0       # CPU seconds at the last sign of progress ...
    progress_time: float = 0.0      # ... and when that was
    killed: str | None = None
    status: int | None = None


def preload() -> None:
    """Import the heavy modules once, in the parent, before forking."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("MPLBACKEND", "Agg")
    import importlib

    names = os.environ.get(PRELOAD_ENV)
    for name in (names.split(",") if names is not None else PRELOAD):
        if not name.strip():
            continue
        name = name.strip()
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


def group_usage() -> dict[int, tuple[float, float]]:
    """(resident memory in MB, CPU seconds) per process group, from /proc.

    CPU counts each process's own time and that of its children it has
    already reaped, so work done by short-lived subprocesses counts too.
    """
    usage: dict[int, tuple[float, float]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue  # the process ended meanwhile
        # After "pid (comm) " (comm may hold spaces): field 3 state is index 0, so field k is index k - 3:
        # 5 pgrp, 14 utime, 15 stime, 16 cutime, 17 cstime, 24 rss.
        fields = stat[stat.rfind(b")") + 2:].split()
        pgrp = int(fields[2])
        rss_mb = int(fields[21]) * PAGE / 2**20
        cpu = sum(int(f) for f in fields[11:15]) / TICK
        old_rss, old_cpu = usage.get(pgrp, (0.0, 0.0))
        usage[pgrp] = (old_rss + rss_mb, old_cpu + cpu)
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
        os.chdir(workdir / "cwd")
        _set_limits(limits.memory_mb)
        # Before a time-out kill the parent sends SIGUSR1: every thread's Python
        # stack goes to the log, so the instructor can see where the code was stuck.
        faulthandler.register(signal.SIGUSR1, all_threads=True)
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
            if not fork_is_safe():  # a preloaded module started TensorFlow's runtime
                print("autograder: TensorFlow started while preloading; spawning workers instead of forking",
                      file=sys.stderr)
                self.spawn = True
        if not self.spawn:
            # Objects that exist now are shared by every child. Freezing them keeps
            # the garbage collector from walking (and so copying) them in each
            # child: pytest runs full collections at exit, which took ~1 s per
            # exercise over TensorFlow's millions of objects before this.
            gc.collect()
            gc.freeze()

    # -- starting ---------------------------------------------------------

    def _start(self, job: Job) -> _Running:
        # The exercise runs in workdir/cwd, where it may write what it likes; the
        # result file sits beside it, out of the way of files a student's code writes.
        workdir = Path(tempfile.mkdtemp(prefix="autograder-"))
        (workdir / "cwd").mkdir()
        result_file = workdir / "result.jsonl"
        result_file.touch()
        task = dict(job.task, result_file=str(result_file), seed=self.limits.seed, threads=self.limits.threads)
        job.log_file.parent.mkdir(parents=True, exist_ok=True)
        if self.spawn or job.fresh:
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
                                       cwd=workdir / "cwd", stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                       env=env, start_new_session=True,
                                       preexec_fn=lambda: _set_limits(self.limits.memory_mb))
        return _Running(job, process.pid, workdir, result_file, time.monotonic(), process=process)

    # -- watching ---------------------------------------------------------

    def _kill(self, run: _Running, reason: str) -> None:
        run.killed = run.killed or reason
        try:
            if reason in ("timeout", "idle", "wall"):
                os.kill(run.pid, signal.SIGUSR1)  # stacks to the log (see _child)
                time.sleep(0.5)
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
            run.process.returncode = -1  # already reaped with os.waitpid; keeps Popen quiet
        records = []
        for line in run.result_file.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut short by a kill
        shutil.rmtree(run.workdir, ignore_errors=True)
        seconds = time.monotonic() - run.started
        status, detail = self._verdict(run, records)
        with open(run.job.log_file, "a", encoding="utf-8") as log:  # for the instructor tuning the limits
            log.write(f"\nautograder: {status} after {seconds:.1f} s, {run.cpu_seconds:.1f} s of CPU, "
                      f"peak {run.peak_mb:.0f} MB ({'fresh interpreter' if run.process else 'forked'})"
                      + (f": {detail}" if detail else "") + "\n")
        return Finished(run.job.key, records, status, detail, seconds, run.peak_mb)

    def _verdict(self, run: _Running, records: list[dict]) -> tuple[str, str]:
        limits = self.limits
        if any(r.get("kind") == "end" for r in records):
            return "ok", ""  # every test had its verdict before any kill
        if run.killed == "timeout":
            return "timeout", (f"stopped after {run.cpu_seconds:.0f} s of computing, the time limit per exercise "
                               "(an endless loop, or much slower code than needed?)")
        if run.killed == "idle":
            return "timeout", (f"stopped: computed nothing for {limits.idle_limit:.0f} s "
                               "(waiting for input, sleeping, or stuck?)")
        if run.killed == "wall":
            return "timeout", f"stopped after {limits.timeout * WALL_FACTOR:.0f} s without finishing"
        if run.killed == "memory":
            return "memory", (f"stopped: used more than {limits.memory_mb} MB of memory, "
                              "the limit per exercise")
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
                usage = group_usage()
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
                    rss_mb, cpu = usage.get(pid, (0.0, 0.0))
                    run.peak_mb = max(run.peak_mb, rss_mb)
                    run.cpu_seconds = max(run.cpu_seconds, cpu)
                    if run.cpu_seconds >= run.progress_cpu + IDLE_CPU or not run.progress_time:
                        run.progress_cpu, run.progress_time = run.cpu_seconds, now
                    if rss_mb > self.limits.memory_mb:
                        self._kill(run, "memory")
                    elif cpu > self.limits.timeout * self.limits.threads:
                        self._kill(run, "timeout")
                    elif now - run.progress_time > self.limits.idle_limit:
                        self._kill(run, "idle")
                    elif now - run.started > self.limits.timeout * WALL_FACTOR:
                        self._kill(run, "wall")
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

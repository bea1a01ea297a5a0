"""Run judge processes (``autograder.judge``), a few at a time, each with a wall-clock and a memory limit.

A judge runs trusted code only: the hidden tests and the reference. The
student's code runs in the judge's contestant (``autograder.sandbox``), which the
judge itself limits in CPU time, memory, idleness and output. So this module
only schedules judges, keeps a broken judge from stalling the run, and turns a
judge that died into a message that blames the grader, not the student.

The grader imports the heavy modules once, without starting TensorFlow's
runtime, and forks each judge (a judge grades some lessons of one student,
see ``autograder.grading``): a fork costs a fraction of a second
where a fresh interpreter costs seconds (``--spawn`` forces fresh ones, with
the same verdicts). Each judge leads its own process group; when it ends,
anything left in its group is killed.
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

import psutil

from autograder import judge, sandbox

POLL = 0.1              # seconds between checks of the running judges
JUDGE_MEMORY_MB = 8192  # a judge holds a test set and a model or two; far above what one needs
JUDGE_WALL_MARGIN = 120.0  # seconds a judge may take beyond its contestants' own wall-clock limits
ANSWERS_BLAMED_MB = JUDGE_MEMORY_MB // 16  # a judge killed for memory while holding this much of answers died of them
ANSWERS_NOTE = "answers-held.json"  # in a judge's workdir: the answers' bytes it holds (remote.AnswersHeld)


def usable_cores() -> int:
    """The cores this process may run on (a container's share, not the host's count)."""
    try:
        from autograder.resources import usable_cores as from_cgroups
    except ImportError:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return from_cgroups()


def default_memory_mb(jobs: int = 1) -> int:
    """Memory per exercise: 4 GB, or less on a small machine (80 % of what this container may use, shared)."""
    try:
        from autograder.resources import memory_limit_mb
        total_mb = memory_limit_mb()
    except ImportError:
        total_mb = psutil.virtual_memory().total // 2**20
    return max(512, min(4096, int(0.8 * total_mb / max(1, jobs))))


@dataclass
class Limits:
    timeout: float = 120.0      # CPU seconds per exercise and per thread, for the student's code
    memory_mb: int = 4096       # resident memory of the student's code, per exercise
    jobs: int = 1               # exercises at once
    seed: int = 0
    spawn: bool = False         # fresh interpreters for the judges instead of forks
    idle_seconds: float | None = None  # the student's code computing nothing this long is stopped (None: default)

    @property
    def threads(self) -> int:
        """Threads per exercise: the cores shared between the exercises running at once."""
        return max(1, usable_cores() // max(1, self.jobs))

    def judge_wall_seconds(self, budgets: float = 1.0) -> float:
        from autograder.remote import WALL_FACTOR

        return self.timeout * budgets * WALL_FACTOR + JUDGE_WALL_MARGIN


@dataclass
class Job:
    key: Hashable
    task: dict                  # for ``judge.execute``; the runner adds result_file, seed, threads, limits
    log_file: Path
    trains: bool = False        # scheduled first: the long jobs start early
    budgets: float = 1.0        # how many exercise budgets it may use in all (its wall-clock limit)


@dataclass
class Finished:
    key: Hashable
    records: list[dict]
    status: str                 # "ok"; "answer" when what the student's code sent killed the judge; "grader"
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
    temporary: Path | None = None  # the judge's TMPDIR: its contestants' folders, removed with it


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


def _judge_environment(workdir: Path, temporary: Path) -> dict[str, str]:
    """A judge's own environment variables: its TMPDIR, and where to note the answers it holds."""
    from autograder.remote import ANSWERS_NOTE_ENV

    return {"TMPDIR": str(temporary), ANSWERS_NOTE_ENV: str(workdir / ANSWERS_NOTE)}


def _child(job: Job, task: dict, workdir: Path, temporary: Path) -> None:
    """In the forked judge: detach from the parent's terminal and signals, then judge."""
    code = 70
    try:
        os.setpgid(0, 0)
        os.environ.update(_judge_environment(workdir, temporary))
        tempfile.tempdir = str(temporary)  # the parent may have looked it up already
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        log = os.open(job.log_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.chdir(workdir)
        faulthandler.register(signal.SIGUSR1, all_threads=True)  # stacks to the log before a kill
        code = judge.execute(task)
    except BaseException:  # noqa: BLE001 - the parent learns it from the log and the missing records
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
        # What every judge of this run computes alike (a reference's baseline) is computed once and
        # kept here (``testing.once_per_run``): the grader's own folder, which no contestant sees
        # in bubblewrap's mounts, none under Landlock or with its own uid. Where a contestant could
        # reach it (none of those layers), nothing is shared.
        hidden = sandbox.place().judges_folders_hidden
        self._run_folder = tempfile.TemporaryDirectory(prefix="autograder-run-") if hidden else None
        self.spawn = limits.spawn or not fork_is_safe()
        if not limits.spawn and self.spawn:
            print("autograder: TensorFlow is already running in this process; spawning judges instead of forking",
                  file=sys.stderr)
        if not self.spawn:
            judge.preload()
            if not fork_is_safe():  # a preloaded module started TensorFlow's runtime
                print("autograder: TensorFlow started while preloading; spawning judges instead of forking",
                      file=sys.stderr)
                self.spawn = True
        if not self.spawn:
            # Objects that exist now are shared by every judge. Freezing them keeps the
            # garbage collector from walking (and so copying) them in each child.
            gc.collect()
            gc.freeze()

    # -- starting ---------------------------------------------------------

    def _start(self, job: Job) -> _Running:
        workdir = Path(tempfile.mkdtemp(prefix="autograder-judge-"))
        os.chmod(workdir, 0o700)
        # The judge's temporary folders (its contestants' folders among them) go in a folder of
        # its own, removed when the judge ends, killed or not. Others may traverse it (a contestant
        # with a uid of its own reaches its scratch folder through it), not list it.
        temporary = Path(tempfile.mkdtemp(prefix="autograder-judge-tmp-"))
        os.chmod(temporary, 0o711)
        result_file = workdir / "result.jsonl"
        result_file.touch()
        limits = self.limits
        task = dict(job.task, result_file=str(result_file), seed=limits.seed, threads=limits.threads,
                    cpu_seconds=limits.timeout, memory_mb=limits.memory_mb, idle_seconds=limits.idle_seconds,
                    run_folder=self._run_folder.name if self._run_folder else None)
        job.log_file.parent.mkdir(parents=True, exist_ok=True)
        if self.spawn:
            return self._spawn(job, task, workdir, result_file, temporary)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(job, task, workdir, temporary)
        try:
            os.setpgid(pid, pid)  # also done by the child; whoever runs first wins, both agree
        except (PermissionError, ProcessLookupError):
            pass
        return _Running(job, pid, workdir, result_file, time.monotonic(), temporary=temporary)

    def _spawn(self, job: Job, task: dict, workdir: Path, result_file: Path, temporary: Path) -> _Running:
        task_file = workdir / "task.json"
        task_file.write_text(json.dumps(task), encoding="utf-8")
        root = Path(__file__).resolve().parent.parent
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
                   TF_CPP_MIN_LOG_LEVEL="2", MPLBACKEND="Agg", **_judge_environment(workdir, temporary))
        with open(job.log_file, "wb") as log:
            process = subprocess.Popen([sys.executable, "-m", "autograder.judge", str(task_file)],
                                       cwd=workdir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                       env=env, start_new_session=True)
        return _Running(job, process.pid, workdir, result_file, time.monotonic(), process=process,
                        temporary=temporary)

    # -- watching ---------------------------------------------------------

    def _kill(self, run: _Running, reason: str) -> None:
        run.killed = run.killed or reason
        try:
            if reason == "wall":
                os.kill(run.pid, signal.SIGUSR1)  # stacks to the log (see _child)
                time.sleep(0.5)
            os.killpg(run.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def _finish(self, run: _Running) -> Finished:
        try:
            os.killpg(run.pid, signal.SIGKILL)  # anything the judge left in its group
        except (ProcessLookupError, PermissionError):
            pass
        if os.geteuid() == 0:  # and anything of its exercises' uids, should the judge have died mid-exercise
            sandbox.kill_uids(*sandbox.judge_uids(run.pid))
        if run.process is not None:
            run.process.returncode = -1  # already reaped with os.waitpid; keeps Popen quiet
        records = []
        for line in run.result_file.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        held = _answers_held(run.workdir)
        _remove_folders(run)
        seconds = time.monotonic() - run.started
        status, detail = self._verdict(run, records, held)
        with open(run.job.log_file, "a", encoding="utf-8") as log:  # for the instructor tuning the limits
            log.write(f"\nautograder: judge {status} after {seconds:.1f} s, peak {run.peak_mb:.0f} MB"
                      + (f": {detail}" if detail else "") + "\n")
        return Finished(run.job.key, records, status, detail, seconds, run.peak_mb)

    def _verdict(self, run: _Running, records: list[dict], held: int = 0) -> tuple[str, str]:
        """("ok", ""), or why the judge's missing verdicts are missing: ("answer" | "grader", words for the student).

        ``held``: bytes of the student's answers the judge noted it held when it ended.
        """
        if any(r.get("kind") == "end" for r in records):
            return "ok", ""
        status = run.status or 0
        out_of_memory = run.killed == "memory" or (
            run.killed is None and os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL)
        if out_of_memory and held >= ANSWERS_BLAMED_MB * 2**20:
            return "answer", (f"not graded: the grader ran out of memory while it held {held // 2**20} MB of "
                              "your code's answers (the arrays it returned); return arrays of the size the "
                              "exercise asks for")
        why = {"wall": f"took longer than {self.limits.judge_wall_seconds(run.job.budgets):.0f} s",
               "memory": f"used more than {JUDGE_MEMORY_MB} MB"}.get(run.killed or "")
        if why is None:
            why = (f"ended with signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
                   else f"ended with exit code {os.WEXITSTATUS(status)}")
        return "grader", (f"not graded: the grader's own process for this lesson {why}; "
                          "this is not your code's fault, ask your instructor to re-run the grader")

    def run(self, jobs: list[Job], on_finished: Callable[[Finished], list[Job] | None] | None = None
            ) -> dict[Hashable, Finished]:
        """Run ``jobs``, ``limits.jobs`` at a time; ``on_finished`` may return more jobs to run."""
        # The longest first (training lessons, most exercises), so the short ones fill in beside them.
        def order(job: Job):
            return (not job.trains, -job.budgets)

        pending = sorted(jobs, key=order)
        running: dict[int, _Running] = {}
        done: dict[Hashable, Finished] = {}
        try:
            while pending or running:
                while pending and len(running) < self.limits.jobs:
                    run = self._start(pending.pop(0))
                    running[run.pid] = run
                time.sleep(POLL)
                now = time.monotonic()
                for pid, run in list(running.items()):
                    reaped, status = os.waitpid(pid, os.WNOHANG)
                    if reaped:
                        run.status = status
                        finished = self._finish(run)
                        del running[pid]
                        done[finished.key] = finished
                        more = on_finished(finished) if on_finished else None
                        if more:
                            pending = sorted(pending + list(more), key=order)
                        continue
                    try:
                        rss_mb = psutil.Process(pid).memory_info().rss / 2**20  # the judge alone, not its contestant
                    except psutil.Error:
                        continue
                    run.peak_mb = max(run.peak_mb, rss_mb)
                    if rss_mb > JUDGE_MEMORY_MB:
                        self._kill(run, "memory")
                    elif now - run.started > self.limits.judge_wall_seconds(run.job.budgets):
                        self._kill(run, "wall")
        finally:
            # Interrupted (Ctrl-C) or failed: leave no judge behind (each takes its contestant along).
            for pid, run in running.items():
                self._kill(run, "interrupted")
                try:
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass
                _remove_folders(run)
        return done


def _answers_held(workdir: Path) -> int:
    """The bytes of the student's answers a judge last noted it held (0: none noted, or unreadable)."""
    try:
        noted = json.loads((workdir / ANSWERS_NOTE).read_text(encoding="utf-8"))
        return max(0, int(noted.get("bytes", 0)))
    except (OSError, ValueError, TypeError, AttributeError):
        return 0


def _remove_folders(run: _Running) -> None:
    """A judge's folders, whatever became of it: nothing of an exercise stays on disk."""
    for folder in (run.workdir, run.temporary):
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

"""Start a contestant (``autograder.contestant.server``) as far from the grader as this machine allows.

With bubblewrap (and root, as on Gradescope) the contestant gets:

* its own user id, no capabilities, ``no_new_privs`` (setpriv);
* no network (an empty network namespace), its own PID, IPC and UTS namespaces:
  it can see and signal nothing but its own processes, and when it ends, every
  process it started ends with it, ``setsid`` or not;
* a file system made of read-only system and Python folders and the course
  library (no data: the judge sends what training needs and keeps the test sets),
  and one writable scratch folder (its ``HOME`` and ``TMPDIR``),
  removed afterwards. The solutions, the hidden tests, the thresholds, other
  students' files and the grader's own folders are not there at all;
* an environment of a dozen variables chosen here, and rlimits on memory, file
  size, core dumps and processes.

Without bubblewrap, or without root and user namespaces, it still grades, in a
plain child process with the same environment and rlimits, and
:attr:`Sandbox.protections` says which layers were active, so the report can
say so.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
CONTESTANT_PACKAGE = Path(__file__).resolve().parent / "contestant"
INSIDE_PACKAGE_ROOT = "/opt/grader"       # the contestant package is mounted at /opt/grader/contestant
SCRATCH = "/scratch"
UID_BASE = 100_000                        # contestant uid = UID_BASE + the judge's pid: unique while it runs
ZYGOTE_START_SECONDS = 300                # importing TensorFlow on a loaded machine
ADDRESS_SPACE_SLACK_MB = 16_384           # TensorFlow maps far more address space than it touches
OUTPUT_LIMIT = 64 * 2**20                 # bytes of printed output (and of any one file) per exercise
MAX_PROCESSES = 512                       # per contestant uid: a fork bomb stops here
KILL_SECONDS = 10                         # to end every process of an exercise, a fork bomb's included
PASSED_THROUGH = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "COURSE_MODE", "LANG")


class SandboxError(Exception):
    """The contestant could not be started at all (a broken installation, not a student's fault)."""


@functools.lru_cache(maxsize=1)
def bubblewrap() -> str | None:
    """The path of a bwrap that works here, or None (checked once, by running it)."""
    path = shutil.which("bwrap")
    if path is None or os.environ.get("AUTOGRADER_NO_BWRAP"):
        return None
    probe = [path, *_namespace_flags(), "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--", "true"]
    try:
        return path if subprocess.run(probe, capture_output=True, timeout=30).returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired):
        return None


def _namespace_flags() -> list[str]:
    flags = ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
             "--die-with-parent", "--new-session"]
    if os.geteuid() != 0:
        flags.insert(0, "--unshare-user")  # without root, a user namespace is what makes the rest possible
    return flags


@functools.lru_cache(maxsize=1)
def library_folders() -> dict[str, str]:
    """Where the course's packages live: the contestant needs them, read-only, and nothing beside them."""
    import importlib.util

    folders = {}
    for name in ("aecourse", "public_tests"):
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise SandboxError(f"the package {name!r} is not installed (pip install -e . in the course folder)")
        folders[name] = os.path.realpath(list(spec.submodule_search_locations)[0])
    return folders


def protections_available() -> list[str]:
    """The layers a contestant started now would get (for the report)."""
    layers = ["separate process", "scrubbed environment", "resource limits"]
    if bubblewrap():
        layers += ["no network", "own PID namespace", "read-only file system but a scratch folder"]
        if os.geteuid() == 0 and shutil.which("setpriv"):
            layers.append("separate user id")
    return layers


@dataclass
class SandboxSettings:
    memory_mb: int = 4096
    threads: int = 1
    preload: str = "numpy"
    extra_env: dict = field(default_factory=dict)
    # module name -> functions whose bodies the contestant does not get: the course
    # library's own answer to the exercise being graded (see mask_functions).
    masked: dict = field(default_factory=dict)
    exercise: str = ""


class _Watched:
    """What the judge watches of a contestant: its processes' memory and CPU, its output, a kill."""

    log_file: Path
    killed: str | None = None

    def _watched(self) -> list[psutil.Process]:
        raise NotImplementedError

    def _kill_all(self) -> None:
        raise NotImplementedError

    def usage(self) -> tuple[float, float]:
        """(resident MB, CPU seconds) of the contestant's processes, reaped children included."""
        rss = cpu = 0.0
        for process in self._watched():
            try:
                with process.oneshot():
                    times = process.cpu_times()
                    rss += process.memory_info().rss / 2**20
                    cpu += times.user + times.system + times.children_user + times.children_system
            except psutil.Error:
                continue  # ended meanwhile
        return rss, cpu

    def output_flooded(self) -> bool:
        try:
            return self.log_file.stat().st_size >= OUTPUT_LIMIT
        except OSError:
            return False

    def kill(self, reason: str) -> None:
        self.killed = self.killed or reason
        self._kill_all()

    def close(self) -> None:
        """End every process of the contestant (a sandbox of its own also removes its folders)."""
        try:
            self.socket.close()
        except OSError:
            pass
        self._kill_all()


class Sandbox(_Watched):
    """One running sandbox: a contestant on :attr:`socket`, or (``zygote=True``) a warm
    process that starts a contestant per exercise (:meth:`child`)."""

    def __init__(self, settings: SandboxSettings, log_file: Path, zygote: bool = False):
        self.settings = settings
        self.log_file = Path(log_file)
        self.scratch = Path(tempfile.mkdtemp(prefix="contestant-"))
        self.uid = UID_BASE + os.getpid()
        self.private = Path(tempfile.mkdtemp(prefix="contestant-masks-"))  # never mounted writable
        self.isolated = bubblewrap() is not None
        self.protections = protections_available()
        self.zygote = zygote
        kind = socket.SOCK_SEQPACKET if zygote else socket.SOCK_STREAM  # requests keep their boundaries
        ours, theirs = socket.socketpair(socket.AF_UNIX, kind)
        self.socket = ours
        try:
            self.process = self._start(theirs)
        except OSError as error:
            ours.close()
            shutil.rmtree(self.scratch, ignore_errors=True)
            raise SandboxError(f"could not start the contestant: {error}") from error
        finally:
            theirs.close()
        self.killed: str | None = None
        self.zygote_pid: int | None = None
        if zygote:
            self.zygote_pid = self._host_pid(self._hello())

    def _hello(self) -> int:
        """Wait for the zygote's "ready PID" (it imports the heavy modules first)."""
        import select

        readable, _, _ = select.select([self.socket], [], [], ZYGOTE_START_SECONDS)
        reply = self.socket.recv(256).decode("ascii", "replace") if readable else ""
        if not reply.startswith("ready "):
            self.close()
            log = self.log_file.read_text(errors="replace")[-1500:] if self.log_file.exists() else ""
            raise SandboxError(f"the contestant's zygote did not start ({reply or 'no answer'}): {log}")
        return int(reply.split()[1])

    def _host_pid(self, inner: int) -> int:
        """This machine's pid of a sandbox process known by its pid inside the PID namespace."""
        if not self.isolated:
            return inner
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for process in self.processes():
                try:
                    with open(f"/proc/{process.pid}/status") as handle:
                        line = next(l for l in handle if l.startswith("NSpid:"))
                    if int(line.split()[-1]) == inner:
                        return process.pid
                except (OSError, StopIteration, ValueError):
                    continue
            time.sleep(0.02)
        raise SandboxError(f"no process {inner} in the sandbox")

    def processes(self) -> list[psutil.Process]:
        """Every process of the sandbox (bubblewrap's own included)."""
        try:
            root = psutil.Process(self.process.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def exercise_processes(self) -> list[psutil.Process]:
        """The processes an exercise started: all but bubblewrap's and the zygote."""
        found = []
        for process in self.processes():
            try:
                if process.pid in (self.process.pid, self.zygote_pid) or process.name() == "bwrap":
                    continue
            except psutil.Error:
                continue
            found.append(process)
        return found

    def child(self, log_file: Path) -> "Child":
        """A new contestant, forked from the zygote, with its own log."""
        ours, theirs = socket.socketpair()
        log = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            socket.send_fds(self.socket, [b"fork"], [theirs.fileno(), log], socket.MSG_NOSIGNAL)
            reply = self._ask_zygote()
        finally:
            theirs.close()
            os.close(log)
        if not reply.lstrip("-").isdigit():
            ours.close()
            raise SandboxError(f"the zygote could not start a contestant ({reply})")
        return Child(self, ours, int(reply), Path(log_file))

    def _ask_zygote(self, timeout: float = 60) -> str:
        import select

        readable, _, _ = select.select([self.socket], [], [], timeout)
        if not readable:
            return "no answer"
        try:
            return self.socket.recv(256).decode("ascii", "replace") or "gone"
        except OSError:
            return "gone"

    def exit_code(self, inner: int) -> int | None:
        """How a contestant of the zygote ended (None: still running, or the zygote is gone)."""
        try:
            self.socket.send(f"status {inner}".encode(), socket.MSG_NOSIGNAL)
        except OSError:
            return None
        reply = self._ask_zygote(10)
        return int(reply) if reply.lstrip("-").isdigit() else None

    def alive(self) -> bool:
        return self.process.poll() is None and (
            self.zygote_pid is None or psutil.pid_exists(self.zygote_pid))

    # -- starting ---------------------------------------------------------

    def _environment(self, inside_package_root: str, home: str) -> dict[str, str]:
        env = {k: os.environ[k] for k in PASSED_THROUGH if k in os.environ}
        threads = str(self.settings.threads)
        # The course's packages are found where the judge found them (an editable install
        # or a plain folder on sys.path, as in Gradescope's /autograder/source): their parents
        # go on the path, and only the packages themselves are mounted.
        parents = dict.fromkeys(os.path.dirname(folder) for folder in library_folders().values())
        env.update(PATH="/usr/bin:/bin", HOME=home, TMPDIR=home,
                   PYTHONPATH=os.pathsep.join([inside_package_root, *parents]),
                   PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0", MPLBACKEND="Agg",
                   MPLCONFIGDIR=f"{home}/.matplotlib", KERAS_HOME=f"{home}/.keras", TF_CPP_MIN_LOG_LEVEL="2",
                   TF_NUM_INTRAOP_THREADS=threads, TF_NUM_INTEROP_THREADS=str(max(2, self.settings.threads)),
                   OMP_NUM_THREADS=threads, CONTESTANT_PRELOAD=self.settings.preload)
        env.setdefault("COURSE_MODE", "fast")
        env.update(self.settings.extra_env)
        return env

    def _mounts(self) -> list[str]:
        args: list[str] = []
        for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
            if os.path.islink(top):
                args += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                args += ["--ro-bind", top, top]
        args += ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
        pythons = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, sys.exec_prefix)}
        pythons.add(os.path.dirname(os.path.dirname(os.path.realpath(sys.executable))))
        for folder in sorted(pythons):
            if not folder.startswith("/usr/"):
                args += ["--ro-bind", folder, folder]
        if os.path.realpath(sys.prefix) != sys.prefix:  # a venv reached through a symlink
            args += ["--ro-bind", sys.prefix, sys.prefix]
        for folder in library_folders().values():  # wherever the install put them (editable or not)
            if not folder.startswith(tuple(sorted(pythons))):
                args += ["--ro-bind", folder, folder]
        for cache in Path(library_folders()["aecourse"]).rglob("__pycache__"):  # compiled copies of what is masked below
            args += ["--tmpfs", str(cache)]
        for module, names in self.settings.masked.items():
            package, _, rest = module.partition(".")
            source = Path(library_folders()[package]) / (rest.replace(".", "/") + ".py")
            masked = self.private / f"{module}.py"
            masked.write_text(mask_functions(source.read_text(encoding="utf-8"), names, module,
                                             self.settings.exercise), encoding="utf-8")
            os.chmod(self.private, 0o755)
            args += ["--ro-bind", str(masked), str(source)]
        args += ["--ro-bind", str(CONTESTANT_PACKAGE), f"{INSIDE_PACKAGE_ROOT}/contestant"]
        # The scratch folder is HOME and TMPDIR. It is not mounted over /tmp: the course itself
        # may live under /tmp (a fresh clone in CI), and /tmp's own files must stay out of sight anyway.
        args += ["--bind", str(self.scratch), SCRATCH, "--proc", "/proc", "--dev", "/dev", "--chdir", SCRATCH]
        return _with_parent_folders(args)

    def _start(self, channel: socket.socket) -> subprocess.Popen:
        fd = channel.fileno()
        server = [sys.executable, "-m", "contestant.server", *(["--zygote"] if self.zygote else []), str(fd)]
        # Owner-only: the contestant could otherwise reopen its own stdout through /proc for reading.
        log = open(os.open(self.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
        limits = functools.partial(_set_limits, self.settings.memory_mb)
        try:
            if self.isolated:
                if os.geteuid() == 0:
                    os.chown(self.scratch, self.uid, self.uid)
                command = [bubblewrap(), *_namespace_flags(), *self._mounts()]
                for key, value in self._environment(INSIDE_PACKAGE_ROOT, SCRATCH).items():
                    command += ["--setenv", key, value]
                command.append("--")
                if os.geteuid() == 0 and shutil.which("setpriv"):
                    command += [shutil.which("setpriv"), "--reuid", str(self.uid), "--regid", str(self.uid),
                                "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
                return subprocess.Popen([*command, *server], env={}, stdin=subprocess.DEVNULL, stdout=log,
                                        stderr=subprocess.STDOUT, pass_fds=(fd,), preexec_fn=limits,
                                        start_new_session=True)
            env = self._environment(str(CONTESTANT_PACKAGE.parent), str(self.scratch))
            return subprocess.Popen(server, env=env, cwd=self.scratch, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, pass_fds=(fd,), preexec_fn=limits,
                                    start_new_session=True)
        finally:
            log.close()

    # -- watching ---------------------------------------------------------

    def _watched(self) -> list[psutil.Process]:
        return self.processes()

    def _kill_all(self) -> None:
        # The outer bwrap's death takes its PID namespace with it (--die-with-parent);
        # without bwrap the session and the tree go one by one.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        _kill(self.processes()[1:])
        if self.isolated and os.geteuid() == 0:  # anything that still runs as the contestant's uid
            _kill(p for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real == self.uid)

    def close(self) -> None:
        super().close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        shutil.rmtree(self.scratch, ignore_errors=True)
        shutil.rmtree(self.private, ignore_errors=True)


def mask_functions(source: str, names: list[str], module: str, exercise: str) -> str:
    """``source`` with the bodies of functions ``names`` replaced by an error that says why.

    The course library holds its own answers to some exercises (the lesson's fast
    loader needs them); while such an exercise is graded, the contestant's copy of
    the library has no body for them to delegate to, and no compiled copy either.
    """
    import ast

    tree = ast.parse(source)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in names:
            found.add(node.name)
            message = (f"{module}.{node.name} is the course's own answer to `{exercise}`: the grader takes "
                       f"your own code for this exercise, so it is not available while `{exercise}` is graded")
            node.body = [ast.Raise(exc=ast.Call(func=ast.Name("RuntimeError", ast.Load()),
                                                args=[ast.Constant(message)], keywords=[]), cause=None)]
    missing = set(names) - found
    if missing:
        raise SandboxError(f"cannot mask {sorted(missing)} in {module}: no such functions (update DELEGATES)")
    return ast.unparse(ast.fix_missing_locations(tree))


class _Ending:
    """``poll``/``wait``/``returncode`` of a contestant whose parent is the zygote, not us."""

    def __init__(self, child: "Child"):
        self.child = child
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            host = self.child.host_pid
            if host is not None and psutil.pid_exists(host) and psutil.Process(host).status() != psutil.STATUS_ZOMBIE:
                return None
            code = self.child.sandbox.exit_code(self.child.inner_pid)
            if code is None and self.child.sandbox.alive():
                return None
            self.returncode = code if code is not None else -signal.SIGKILL
        return self.returncode

    def wait(self, timeout: float = 10) -> int | None:
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("contestant", timeout)
            time.sleep(0.05)
        return self.returncode


class Child(_Watched):
    """One exercise's contestant in a zygote's sandbox: the same face as a :class:`Sandbox` of its own."""

    def __init__(self, sandbox: Sandbox, sock: socket.socket, inner_pid: int, log_file: Path):
        self.sandbox = sandbox
        self.socket = sock
        self.inner_pid = inner_pid
        self.log_file = log_file
        self.isolated = sandbox.isolated
        self.protections = sandbox.protections
        self.killed: str | None = None
        try:
            self.host_pid: int | None = sandbox._host_pid(inner_pid)
        except SandboxError:
            self.host_pid = None  # it has ended already
        self.process = _Ending(self)

    def _watched(self) -> list[psutil.Process]:
        # One exercise at a time runs in a zygote's sandbox: its escaped children count too.
        return self.sandbox.exercise_processes()

    def _kill_all(self) -> None:
        # A fork bomb forks while it is being killed: kill until nothing of the exercise is
        # left, so that the next exercise in this sandbox is not charged for its memory.
        deadline = time.monotonic() + KILL_SECONDS
        while time.monotonic() < deadline:
            left = [p for p in self.sandbox.exercise_processes() if _alive(p)]
            if not left:
                return
            _kill(left)
            psutil.wait_procs(left, timeout=0.2)


def _alive(process: psutil.Process) -> bool:
    """Running (a zombie holds no memory and waits only for its parent to reap it)."""
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _kill(processes) -> None:
    for process in processes:
        try:
            process.kill()
        except psutil.Error:
            pass  # ended meanwhile


def _with_parent_folders(args: list[str]) -> list[str]:
    """Mounts preceded by ``--dir`` for each missing parent folder.

    bwrap makes the parents of a mount point itself, but readable by root only,
    and the contestant is not root: ``--dir`` makes them 0755.
    """
    made: set[str] = {"/"}
    out: list[str] = []
    i = 0
    while i < len(args):
        flag = args[i]
        width = 3 if flag in ("--ro-bind", "--bind", "--symlink", "--setenv") else 2
        if flag in ("--ro-bind", "--bind", "--symlink", "--proc", "--dev", "--tmpfs"):
            destination = args[i + width - 1]
            parent = os.path.dirname(destination.rstrip("/"))
            missing = []
            while parent not in made:
                missing.append(parent)
                parent = os.path.dirname(parent)
            for folder in reversed(missing):
                out += ["--dir", folder]
                made.add(folder)
            made.add(destination)
        out += args[i:i + width]
        i += width
    return out


def _set_limits(memory_mb: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a segfault leaves no core file
    resource.setrlimit(resource.RLIMIT_FSIZE, (OUTPUT_LIMIT, OUTPUT_LIMIT))
    address_space = (memory_mb + ADDRESS_SPACE_SLACK_MB) * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    if os.geteuid() == 0 and bubblewrap() and shutil.which("setpriv"):
        resource.setrlimit(resource.RLIMIT_NPROC, (MAX_PROCESSES, MAX_PROCESSES))  # counted for the new uid

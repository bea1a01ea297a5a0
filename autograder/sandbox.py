"""Start contestants (``autograder.contestant.server``) as far from the grader, and from each other, as this machine allows.

A judge starts one warm *zygote* (it imports the heavy modules, then runs no
student code, ever) and asks it for one fresh contestant per exercise
(:meth:`Sandbox.child`). Each contestant is sealed from the judge, from the
zygote and from every other exercise, by whichever of these layers the
machine offers (:func:`place` finds out once; :func:`protections_available`
and :func:`missing_protections` say it in words for the report):

* **bubblewrap** (root, or user namespaces): no network at all, its own PID, IPC
  and UTS namespaces, and a file system of read-only system and Python folders
  plus a copy of the course library: the solutions, hidden tests, thresholds,
  other students' files and the grader's folders are not there at all;
* **its own user id per exercise** (where the grader is root: ``setresuid`` needs
  no namespace, so it holds in Gradescope's Docker too): it can signal, trace or
  read nothing of the judge, the zygote or an earlier exercise, and the judge ends
  every process of that uid when the exercise ends, daemons included;
* **Landlock** (no privileges needed): it reads only the system, Python and
  course-library folders, writes only its own fresh scratch folder, makes no TCP
  connection, and (ABI 6+) signals no process and reaches no abstract socket
  outside its exercise, whoever the grader runs as;
* **a seccomp filter**: unix sockets only, no ptrace or cross-process memory, no
  System V IPC or message queues (they would outlive the exercise), no io_uring,
  no namespaces or mounts (``autograder.contestant.confine``);
* always: a fresh process and a fresh scratch folder per exercise (removed after
  it), a zygote that no process of the same uid may trace (``PR_SET_DUMPABLE`` 0)
  and that adopts every orphan (``PR_SET_CHILD_SUBREAPER``), an environment of a
  dozen variables chosen here, and rlimits on memory, file size, core dumps and
  processes.

The contestant gets the course library as a copy made for this sandbox (the
library's own answer to the graded exercise masked, see :func:`mask_functions`),
so nothing of the checkout itself need be readable to it.
"""

from __future__ import annotations

import functools
import json
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

from autograder.contestant import confine

REPO = Path(__file__).resolve().parent.parent
CONTESTANT_PACKAGE = Path(__file__).resolve().parent / "contestant"
INSIDE_PACKAGE_ROOT = "/opt/grader"       # the copy of the library and the contestant package, in bubblewrap
SCRATCH = "/scratch"
UID_BASE = 100_000                        # exercise uids: UID_BASE + 64 * (judge pid) + a counter
UIDS_PER_JUDGE = 64
ZYGOTE_START_SECONDS = 300                # importing TensorFlow on a loaded machine
CONFINE_SECONDS = 60                      # a forked contestant confining itself
ADDRESS_SPACE_SLACK_MB = 16_384           # TensorFlow maps far more address space than it touches
OUTPUT_LIMIT = 64 * 2**20                 # bytes of printed output (and of any one file) per exercise
MAX_PROCESSES = 512                       # per exercise: a fork bomb stops here
KILL_SECONDS = 10                         # to end every process of an exercise, a fork bomb's included
PASSED_THROUGH = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "COURSE_MODE", "LANG")
LIBRARY_PACKAGES = ("aecourse", "public_tests")
INSTALL_HINT = "install bubblewrap (apt-get install bubblewrap) and grade as root for every layer"


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
    """Where the course's packages live: the contestant gets a copy of them, and nothing beside them."""
    import importlib.util

    folders = {}
    for name in LIBRARY_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise SandboxError(f"the package {name!r} is not installed (pip install -e . in the course folder)")
        folders[name] = os.path.realpath(list(spec.submodule_search_locations)[0])
    return folders


def python_folders() -> list[str]:
    """The interpreter's own folders (stdlib, the venv, site-packages): the contestant reads them."""
    folders = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, sys.exec_prefix)}
    folders.add(os.path.dirname(os.path.dirname(os.path.realpath(sys.executable))))
    if os.path.realpath(sys.prefix) != sys.prefix:  # a venv reached through a symlink
        folders.add(sys.prefix)
    return sorted(folders)


SYSTEM_FOLDERS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


@dataclass(frozen=True)
class Place:
    """What this machine lets the grader put around a contestant (found once, by trying)."""

    bubblewrap: str | None      # a bwrap that starts here
    switch_user: bool           # root: each exercise gets a uid of its own
    landlock: int               # the Landlock ABI a contestant gets (0: none)
    seccomp: bool               # a seccomp filter can be installed
    private_python: str | None  # a Python folder other uids cannot reach (so no uid switch without bubblewrap)

    @property
    def own_uid(self) -> bool:
        return self.switch_user and (self.bubblewrap is not None or self.private_python is None)

    @property
    def files_sealed(self) -> bool:
        return self.bubblewrap is not None or self.landlock > 0

    @property
    def judge_unreachable(self) -> bool:
        """No contestant can signal, trace or read the memory of the judge or the zygote."""
        return self.own_uid or self.landlock >= 6

    @property
    def judges_folders_hidden(self) -> bool:
        """The judge's own folders (the run's shared values among them) are out of every contestant's reach."""
        return self.bubblewrap is not None or self.own_uid or self.landlock > 0


@functools.lru_cache(maxsize=1)
def place() -> Place:
    abilities = confine.available() if confine.machine() else {"landlock": confine.landlock_abi(), "seccomp": False}
    switch = confine.can_switch_user() and not os.environ.get("AUTOGRADER_NO_SETUID")
    return Place(bubblewrap=bubblewrap(), switch_user=switch, landlock=abilities["landlock"],
                 seccomp=abilities["seccomp"], private_python=_private_python_folder())


def _private_python_folder() -> str | None:
    """A folder of the interpreter that a uid other than ours could not reach (the course
    library does not count: contestants get a copy of it)."""
    for folder in python_folders():
        path = Path(folder)
        for part in [path, *path.parents]:
            try:
                mode = part.stat().st_mode
            except OSError:
                return str(part)
            if not mode & 0o001:  # others may not traverse it
                return str(part)
    return None


def protections_available() -> list[str]:
    """The layers every contestant started now gets, in words for the report."""
    here = place()
    layers = ["a fresh process and scratch folder per exercise", "scrubbed environment", "resource limits"]
    if here.own_uid:
        layers.append("separate user id per exercise")
    if here.bubblewrap:
        layers += ["no network", "own PID namespace", "read-only file system without the grader's files"]
    elif here.seccomp:
        layers.append("no network (unix sockets only)")
    if not here.bubblewrap and here.landlock:
        layers.append(f"Landlock file system: reads the course library only, writes its scratch folder only "
                      f"(ABI {here.landlock})")
    if here.judge_unreachable:
        layers.append("cannot signal or trace the grader")
    if here.seccomp:
        layers.append("seccomp filter")
    return layers


def missing_protections() -> list[str]:
    """The layers this machine cannot give, each with what it leaves open (empty: nothing missing)."""
    here = place()
    missing = []
    if not here.bubblewrap and not here.seccomp:
        missing.append("network isolation (the student's code can open connections)")
    if not here.files_sealed:
        missing.append("file-system sealing (no bubblewrap, no Landlock: the student's code can read what your "
                       "user can, hidden tests and solutions included, and leave files for its next exercise)")
    if not here.own_uid:
        why = (f"{here.private_python} is private to its owner" if here.switch_user and here.private_python
               else "needs root")
        missing.append(f"separate user id ({why})")
    if not here.judge_unreachable:
        missing.append("protection of the grader's processes (the student's code could signal them; "
                       "needs root, or Landlock ABI 6 / Linux 6.12)")
    if not here.bubblewrap and not here.own_uid:
        missing.append("ending daemons with their exercise if they outlive the zygote")
    return missing


def protections_line() -> str:
    """The report's first line: what holds here and, plainly, what does not."""
    line = "student code runs in a contestant process with: " + ", ".join(protections_available())
    missing = missing_protections()
    if missing:
        line += "; MISSING here: " + "; ".join(missing) + f" ({INSTALL_HINT})"
    return line


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
        """End every process of the contestant (and remove what it wrote)."""
        try:
            self.socket.close()
        except OSError:
            pass
        self._kill_all()


class Sandbox:
    """A running zygote: a warm process that starts one sealed contestant per exercise (:meth:`child`)."""

    def __init__(self, settings: SandboxSettings, log_file: Path):
        self.settings = settings
        self.log_file = Path(log_file)
        self.place = place()
        self.isolated = self.place.bubblewrap is not None
        self.protections = protections_available()
        # root: the folder the zygote's contestants see (0755, the judge's): the library's copy,
        # the zygote's home (read-only to contestants) and one scratch folder per exercise.
        self.root = Path(tempfile.mkdtemp(prefix="contestant-", dir=_reachable_temporary_folder(self.place)))
        os.chmod(self.root, 0o755)
        self.imports = self.root / "import"
        self.home = self.root / "zygote"
        self.scratch = self.root / "scratch"
        for folder in (self.home, self.scratch):
            folder.mkdir(mode=0o755)
        self._exercises = 0
        try:
            self._copy_library()
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)  # requests keep their boundaries
            self.socket = ours
            try:
                self.process = self._start(theirs)
            finally:
                theirs.close()
        except OSError as error:
            shutil.rmtree(self.root, ignore_errors=True)
            raise SandboxError(f"could not start the contestant: {error}") from error
        self.zygote_pid: int | None = None
        self.zygote_pid = self._host_pid(self._hello())

    # -- the paths contestants see ------------------------------------------

    def _inside(self, path: Path) -> str:
        """``path`` (under :attr:`root`) as a contestant sees it."""
        if not self.isolated:
            return str(path)
        relative = path.relative_to(self.root)
        top, rest = relative.parts[0], relative.parts[1:]
        base = {"import": INSIDE_PACKAGE_ROOT, "zygote": f"{SCRATCH}/zygote", "scratch": f"{SCRATCH}/scratch"}[top]
        return "/".join([base, *rest])

    def _copy_library(self) -> None:
        """The contestant package and the course library, copied for this sandbox, masked answers blanked."""
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(CONTESTANT_PACKAGE, self.imports / "contestant", ignore=ignore)
        for name, folder in library_folders().items():
            shutil.copytree(folder, self.imports / name, ignore=ignore)
        for module, names in self.settings.masked.items():
            package, _, rest = module.partition(".")
            target = self.imports / package / (rest.replace(".", "/") + ".py")
            target.write_text(mask_functions(target.read_text(encoding="utf-8"), names, module,
                                             self.settings.exercise), encoding="utf-8")
        for path in [self.imports, *self.imports.rglob("*")]:
            os.chmod(path, 0o555 if path.is_dir() else 0o444)

    def _readable(self) -> list[str]:
        """What a contestant may read under Landlock (as it sees the paths)."""
        system = [p for p in SYSTEM_FOLDERS if os.path.exists(p)]
        devices = ["/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/proc", "/sys/devices/system/cpu",
                   "/sys/fs/cgroup"]
        return [*system, *python_folders(), *devices, self._inside(self.imports), self._inside(self.home)]

    # -- starting -----------------------------------------------------------

    def _environment(self) -> dict[str, str]:
        env = {k: os.environ[k] for k in PASSED_THROUGH if k in os.environ}
        threads = str(self.settings.threads)
        home = self._inside(self.home)
        env.update(PATH="/usr/bin:/bin", HOME=home, TMPDIR=home, PYTHONPATH=self._inside(self.imports),
                   PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0", MPLBACKEND="Agg",
                   MPLCONFIGDIR=f"{home}/.matplotlib", KERAS_HOME=f"{home}/.keras", TF_CPP_MIN_LOG_LEVEL="2",
                   TF_NUM_INTRAOP_THREADS=threads, TF_NUM_INTEROP_THREADS=str(max(2, self.settings.threads)),
                   OMP_NUM_THREADS=threads, CONTESTANT_PRELOAD=self.settings.preload)
        env.setdefault("COURSE_MODE", "fast")
        env.update(self.settings.extra_env)
        return env

    def _mounts(self) -> list[str]:
        args: list[str] = []
        for top in SYSTEM_FOLDERS:
            if os.path.islink(top):
                args += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top) and top not in ("/usr", "/etc"):
                args += ["--ro-bind", top, top]
        args += ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
        for folder in python_folders():
            if not folder.startswith("/usr/"):
                args += ["--ro-bind", folder, folder]
        args += ["--ro-bind", str(self.imports), INSIDE_PACKAGE_ROOT]
        # The zygote's home and the scratch folders. Not mounted over /tmp: the course itself
        # may live under /tmp (a fresh clone in CI), and /tmp's own files must stay out of sight anyway.
        args += ["--bind", str(self.root / "zygote"), f"{SCRATCH}/zygote",
                 "--bind", str(self.root / "scratch"), f"{SCRATCH}/scratch",
                 "--proc", "/proc", "--dev", "/dev", "--chdir", f"{SCRATCH}/zygote"]
        return _with_parent_folders(args)

    def _start(self, channel: socket.socket) -> subprocess.Popen:
        fd = channel.fileno()
        server = [sys.executable, "-m", "contestant.server", "--zygote", str(fd)]
        # Owner-only: the contestant could otherwise reopen its own stdout through /proc for reading.
        log = open(os.open(self.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
        switch = self.place.own_uid
        # Root without bubblewrap: the zygote keeps only what gives each exercise its uid, or nothing.
        keep = (confine.CAP_SETGID, confine.CAP_SETUID) if switch else ()
        limits = functools.partial(_set_limits, self.settings.memory_mb,
                                   keep if os.geteuid() == 0 and not self.isolated else None)
        try:
            if self.isolated:
                command = [self.place.bubblewrap, *_namespace_flags(), *self._mounts()]
                for key, value in self._environment().items():
                    command += ["--setenv", key, value]
                command.append("--")
                if switch and shutil.which("setpriv"):
                    # The zygote stays root with CAP_SETUID and CAP_SETGID only: enough to give each
                    # exercise a uid of its own, nothing more (it never runs a student's code).
                    command += [shutil.which("setpriv"), "--inh-caps=-all", "--bounding-set=-all,+setuid,+setgid"]
                return subprocess.Popen([*command, *server], env={}, stdin=subprocess.DEVNULL, stdout=log,
                                        stderr=subprocess.STDOUT, pass_fds=(fd,), preexec_fn=limits,
                                        start_new_session=True)
            return subprocess.Popen(server, env=self._environment(), cwd=self.home, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT, pass_fds=(fd,), preexec_fn=limits,
                                    start_new_session=True)
        finally:
            log.close()

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

    # -- the exercises' contestants -----------------------------------------

    def _uid_for(self, exercise: int) -> int | None:
        """A uid no other live process has: the judge's pid picks a block of them, unique while it runs."""
        if not self.place.own_uid:
            return None
        first, count = judge_uids(os.getpid())
        return first + exercise % count

    def child(self, log_file: Path) -> "Child":
        """A new contestant, forked from the zygote, sealed in its own uid and scratch folder, with its own log."""
        self._exercises += 1
        uid = self._uid_for(self._exercises)
        scratch = self.scratch / f"exercise-{self._exercises}"
        scratch.mkdir(mode=0o700)
        if uid is not None:
            os.chown(scratch, uid, uid)
        inside = self._inside(scratch)
        settings = {"uid": uid, "home": inside, "nproc": _process_limit(uid),
                    "landlock": self.place.landlock > 0, "seccomp": self.place.seccomp,
                    "read": self._readable(), "write": [inside]}
        ours, theirs = socket.socketpair()
        log = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            socket.send_fds(self.socket, [b"fork " + json.dumps(settings).encode()], [theirs.fileno(), log],
                            socket.MSG_NOSIGNAL)
            reply = self._ask_zygote()
        except OSError as error:
            reply = f"gone ({error})"
        finally:
            theirs.close()
            os.close(log)
        if not reply.lstrip("-").isdigit():
            ours.close()
            shutil.rmtree(scratch, ignore_errors=True)
            raise SandboxError(f"the zygote could not start a contestant ({reply})")
        child = Child(self, ours, int(reply), Path(log_file), uid, scratch)
        child.await_confinement()
        return child

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

    def processes(self) -> list[psutil.Process]:
        """Every process of the sandbox (bubblewrap's own included)."""
        try:
            root = psutil.Process(self.process.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def exercise_processes(self, uid: int | None = None) -> list[psutil.Process]:
        """The processes an exercise started: the zygote's descendants (it adopts orphans) and,
        with a uid of its own, every process of that uid wherever it went."""
        found = {}
        for process in self.processes():
            try:
                if process.pid in (self.process.pid, self.zygote_pid) or process.name() == "bwrap":
                    continue
            except psutil.Error:
                continue
            found[process.pid] = process
        if uid is not None:
            for process in psutil.process_iter(["uids"]):
                uids = process.info["uids"]
                if uids and uid in (uids.real, uids.effective, uids.saved):
                    found.setdefault(process.pid, process)
        return list(found.values())

    # -- ending ---------------------------------------------------------------

    def _kill_all(self) -> None:
        # The outer bwrap's death takes its PID namespace with it (--die-with-parent);
        # without bwrap the session and the tree go one by one.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        _kill(self.processes()[1:])

    def close(self) -> None:
        try:
            self.socket.close()
        except OSError:
            pass
        self._kill_all()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        _remove(self.root)


def _reachable_temporary_folder(here: Place) -> str | None:
    """Where a sandbox's folders go: the temporary folder, unless the exercises' own uids (no
    bubblewrap to mount it for them) could not reach it through a private parent; then /tmp."""
    folder = tempfile.gettempdir()
    if here.bubblewrap or not here.own_uid:
        return folder
    if all(part.stat().st_mode & 0o001 for part in [Path(folder), *Path(folder).parents]):
        return folder
    return "/tmp"


def _process_limit(uid: int | None) -> int | None:
    """RLIMIT_NPROC for an exercise: per uid, so with a uid of its own MAX_PROCESSES;
    else what this user runs already plus MAX_PROCESSES."""
    if uid is not None:
        return MAX_PROCESSES
    me = os.getuid()
    running = sum(1 for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real == me)
    return running + MAX_PROCESSES


def _remove(folder: Path) -> None:
    """Remove a folder the judge made, whatever modes a contestant left in it."""
    def writable_then_retry(function, path, _error):
        try:
            os.chmod(os.path.dirname(path), 0o700)
            os.chmod(path, 0o700)
            function(path)
        except OSError:
            pass
    shutil.rmtree(folder, onerror=writable_then_retry)


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
    """One exercise's contestant: its own process, uid (where the grader may give one) and scratch folder."""

    def __init__(self, sandbox: Sandbox, sock: socket.socket, inner_pid: int, log_file: Path,
                 uid: int | None, scratch: Path):
        self.sandbox = sandbox
        self.socket = sock
        self.inner_pid = inner_pid
        self.log_file = log_file
        self.uid = uid
        self.scratch = scratch
        self.isolated = sandbox.isolated
        self.protections = sandbox.protections
        self.killed: str | None = None
        try:
            self.host_pid: int | None = sandbox._host_pid(inner_pid)
        except SandboxError:
            self.host_pid = None  # it has ended already
        self.process = _Ending(self)

    def await_confinement(self) -> None:
        """The contestant's first words, before any request: which layers it put on itself.

        No student code has run yet, so a missing or wrong answer is the grader's fault.
        """
        import select

        readable, _, _ = select.select([self.socket], [], [], CONFINE_SECONDS)
        line = b""
        if readable:
            try:
                line = self.socket.recv(512, socket.MSG_PEEK)
            except OSError:
                line = b""
        if not line.startswith(b"confined") or b"\n" not in line:
            self.close()
            log = self.log_file.read_text(errors="replace")[-800:] if self.log_file.exists() else ""
            raise SandboxError(f"a contestant could not seal itself ({line[:200]!r}): {log}")
        self.socket.recv(line.index(b"\n") + 1)  # consumed exactly, the requests come next
        self.layers = line[:line.index(b"\n")].decode("ascii", "replace").split()[1:]

    def _watched(self) -> list[psutil.Process]:
        return self.sandbox.exercise_processes(self.uid)

    def _kill_all(self) -> None:
        # A fork bomb forks while it is being killed: kill until nothing of the exercise is
        # left, so that the next exercise is not charged for its memory.
        if self.uid is not None:
            kill_uid(self.uid)
        deadline = time.monotonic() + KILL_SECONDS
        while time.monotonic() < deadline:
            left = [p for p in self.sandbox.exercise_processes(self.uid) if _alive(p)]
            if not left:
                break
            _kill(left)
            psutil.wait_procs(left, timeout=0.2)

    def close(self) -> None:
        super().close()
        _remove(self.scratch)  # nothing it wrote reaches the next exercise


def kill_uid(uid: int, seconds: float = KILL_SECONDS) -> None:
    """End every process of ``uid`` (root only): a helper becomes ``uid`` and sends SIGKILL to -1,
    which the kernel delivers to all of that uid's processes at once, so a fork bomb cannot
    outrun it as it outruns a kill per pid. Repeated while any of them still runs (zombies,
    which wait only to be reaped, do not count)."""
    deadline = time.monotonic() + seconds
    while _running_as(uid) and time.monotonic() < deadline:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the helper
            try:
                confine.switch_user(uid)
                for _ in range(20):
                    os.kill(-1, signal.SIGKILL)
            except OSError:
                pass  # ESRCH: nothing of the uid is left but this helper
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        time.sleep(0.02)


def _running_as(uid: int) -> bool:
    for process in psutil.process_iter(["uids", "status"]):
        uids = process.info["uids"]
        if uids and uids.real == uid and process.info["status"] != psutil.STATUS_ZOMBIE:
            return True
    return False


def kill_uids(first: int, count: int) -> None:
    """End every process whose uid is in ``first .. first + count - 1`` (a judge's block, when it is gone)."""
    found = set()
    for process in psutil.process_iter(["uids"]):
        uids = process.info["uids"]
        if uids and first <= uids.real < first + count:
            found.add(uids.real)
    for uid in sorted(found):
        kill_uid(uid)


def judge_uids(judge_pid: int) -> tuple[int, int]:
    """(first uid, count) of the uids a judge gives its exercises."""
    return UID_BASE + UIDS_PER_JUDGE * (judge_pid % 4_000_000), UIDS_PER_JUDGE


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


def _set_limits(memory_mb: int, capabilities: tuple[int, ...] | None) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a segfault leaves no core file
    resource.setrlimit(resource.RLIMIT_FSIZE, (OUTPUT_LIMIT, OUTPUT_LIMIT))
    address_space = (memory_mb + ADDRESS_SPACE_SLACK_MB) * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    if capabilities is not None:
        confine.limit_capabilities(capabilities)
    confine.die_with_parent()  # a judge that dies takes its zygote along (bubblewrap: --die-with-parent)

"""The layers one process can put on itself, without namespaces: what a contestant does before it runs a student's cell.

Each exercise's contestant is forked from the zygote and, before it reads a
request, confines itself with :func:`confine` (called from ``server``):

* **its own user id** (:func:`switch_user`), where the zygote may change it
  (root, or the capabilities CAP_SETUID/CAP_SETGID and nothing else): a uid that
  no other process has, so it can signal, trace or read the memory of nothing
  but its own processes, and the judge can find and end every one of them;
* **no new privileges** (``PR_SET_NO_NEW_PRIVS``): no setuid program gives any back;
* **Landlock** (Linux 5.13+, no privileges needed, so it also holds in Gradescope's
  Docker and on an instructor's laptop): files readable only under the folders the
  judge lists and writable only in the exercise's own scratch folder; from ABI 4,
  no TCP bind or connect; from ABI 6, no signal to and no abstract unix socket of
  any process outside the exercise; ptrace of processes outside it never;
* **a seccomp filter** (:func:`seccomp_program`): no socket but a unix one, no
  ptrace, no reading other processes' memory, no System V IPC or message queues
  (they outlive a process and would carry state to the next exercise), no io_uring
  (it would bypass this filter), no new namespaces, no mounts, no keyrings.

What the kernel refuses is not an error here: :func:`confine` returns the layers
that hold, and the judge reports them (it also probes them in advance with
:func:`available`). This module imports nothing of the grader's: it runs inside
the sandbox as it is, and the project's tests use its BPF assembler to emulate a
container that denies namespaces.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct

# -- Landlock ------------------------------------------------------------------------------

SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446  # x86_64 and arm64
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER, PR_CAPBSET_DROP = 38, 4, 36, 24

FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_ALL_ABI1 = (1 << 13) - 1                 # execute ... make_sym
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1
READ_ONLY = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]


def landlock_abi() -> int:
    """The Landlock ABI this kernel offers (0: none, or refused by a seccomp profile)."""
    if os.environ.get("AUTOGRADER_NO_LANDLOCK"):  # tests: a kernel or container without it
        return 0
    version = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
                            ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    return max(0, int(version))


def _fs_rights(abi: int) -> int:
    rights = FS_ALL_ABI1
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def _landlock(read: list[str], write: list[str], abi: int) -> None:
    """Restrict this process (and all it starts) to reading ``read`` and writing ``write``."""
    handled = _fs_rights(abi)
    attr = struct.pack("<Q", handled)
    if abi >= 4:
        attr += struct.pack("<Q", NET_BIND_TCP | NET_CONNECT_TCP)
    if abi >= 6:
        attr += struct.pack("<Q", SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL)
    buffer = ctypes.create_string_buffer(attr, len(attr))
    ruleset = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, buffer, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    try:
        for paths, rights in ((read, READ_ONLY), (write, handled)):
            for path in paths:
                try:
                    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                except OSError:
                    continue  # not on this machine (a /lib32 that does not exist)
                try:
                    allowed = rights if os.path.isdir(path) else rights & FILE_RIGHTS & handled
                    rule = ctypes.create_string_buffer(struct.pack("<Qi", allowed, fd), 12)
                    if _libc.syscall(SYS_LANDLOCK_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH),
                                     rule, ctypes.c_uint32(0)) < 0:
                        raise OSError(ctypes.get_errno(), f"landlock_add_rule {path}")
                finally:
                    os.close(fd)
        if _libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) < 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    finally:
        os.close(ruleset)


# -- seccomp -------------------------------------------------------------------------------

SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO = 0x7FFF0000, 0x00050000
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
X32_SYSCALL_BIT = 0x40000000
AF_UNIX = 1
CLONE_NEW_ANY = 0x7E020080  # CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME

# name -> (x86_64, aarch64) numbers
SYSCALLS = {
    "socket": (41, 198), "socketpair": (53, 199), "ptrace": (101, 117),
    "process_vm_readv": (310, 270), "process_vm_writev": (311, 271), "pidfd_getfd": (438, 438), "kcmp": (312, 272),
    "shmget": (29, 194), "shmat": (30, 196), "shmctl": (31, 195), "semget": (64, 190), "semop": (65, 193),
    "semctl": (66, 191), "semtimedop": (220, 192), "msgget": (68, 186), "msgsnd": (69, 189), "msgrcv": (70, 188),
    "msgctl": (71, 187), "mq_open": (240, 180), "io_uring_setup": (425, 425), "io_uring_enter": (426, 426),
    "io_uring_register": (427, 427), "keyctl": (250, 219), "add_key": (248, 217), "request_key": (249, 218),
    "bpf": (321, 280), "perf_event_open": (298, 241), "userfaultfd": (323, 282), "unshare": (272, 97),
    "setns": (308, 268), "mount": (165, 40), "clone": (56, 220), "clone3": (435, 435),
}
# BPF opcodes
_LD_W_ABS, _JEQ_K, _JSET_K, _RET_K = 0x20, 0x15, 0x45, 0x06


def machine() -> str | None:
    """This machine's architecture if the filters know its syscall numbers, else None."""
    name = platform.machine()
    return name if name in AUDIT_ARCH else None


def _number(name: str) -> int:
    return SYSCALLS[name][0 if machine() == "x86_64" else 1]


def seccomp_program(denied: dict[str, int], only_unix_sockets: bool = False,
                    denied_clone_flags: int = 0) -> bytes:
    """A classic BPF program: ``denied`` syscalls fail with their errno, the rest run.

    ``only_unix_sockets``: socket() and socketpair() fail with EACCES for any family
    but AF_UNIX. ``denied_clone_flags``: clone() with any of these flags fails with
    EPERM. A foreign architecture or an x32 call fails with ENOSYS.
    """
    arch = machine()
    if arch is None:
        raise OSError(errno.ENOSYS, f"no syscall table for {platform.machine()}")
    program: list[tuple[int, int, int, int]] = []  # (code, jt, jf, k)

    def ret(value: int) -> None:
        program.append((_RET_K, 0, 0, value))

    program.append((_LD_W_ABS, 0, 0, 4))                              # arch
    program.append((_JEQ_K, 1, 0, AUDIT_ARCH[arch]))
    ret(SECCOMP_RET_ERRNO | errno.ENOSYS)
    program.append((_LD_W_ABS, 0, 0, 0))                              # nr
    if arch == "x86_64":
        program.append((0x35, 0, 1, X32_SYSCALL_BIT))                 # jge: an x32 call
        ret(SECCOMP_RET_ERRNO | errno.ENOSYS)
    for name, error in denied.items():
        program.append((_JEQ_K, 0, 1, _number(name)))
        ret(SECCOMP_RET_ERRNO | error)
    if only_unix_sockets:
        for name in ("socket", "socketpair"):
            # nr == name ? (args[0] == AF_UNIX ? allow : EACCES) : next
            program.append((_JEQ_K, 0, 4, _number(name)))
            program.append((_LD_W_ABS, 0, 0, 16))                     # args[0], low 32 bits
            program.append((_JEQ_K, 0, 1, AF_UNIX))
            ret(SECCOMP_RET_ALLOW)
            ret(SECCOMP_RET_ERRNO | errno.EACCES)
    if denied_clone_flags:
        program.append((_JEQ_K, 0, 3, _number("clone")))
        program.append((_LD_W_ABS, 0, 0, 16))                         # clone's flags (x86_64 and arm64: args[0])
        program.append((_JSET_K, 0, 1, denied_clone_flags))
        ret(SECCOMP_RET_ERRNO | errno.EPERM)
    ret(SECCOMP_RET_ALLOW)
    return b"".join(struct.pack("<HBBI", *instruction) for instruction in program)


def install_seccomp(program: bytes, no_new_privs: bool = True) -> None:
    """Load ``program`` for this process and all it starts (needs no_new_privs or CAP_SYS_ADMIN)."""
    code = ctypes.create_string_buffer(program, len(program))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = SockFprog(len(program) // 8, ctypes.cast(code, ctypes.c_void_p))
    if no_new_privs and _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
    if _libc.prctl(22, SECCOMP_MODE_FILTER, ctypes.addressof(prog), 0, 0) != 0:  # PR_SET_SECCOMP
        raise OSError(ctypes.get_errno(), "PR_SET_SECCOMP")


CONTESTANT_DENIED = {
    **{name: errno.EPERM for name in ("ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp",
                                      "unshare", "setns", "mount", "keyctl", "add_key", "request_key", "bpf",
                                      "perf_event_open", "userfaultfd")},
    **{name: errno.ENOSYS for name in ("shmget", "shmat", "shmctl", "semget", "semop", "semctl", "semtimedop",
                                       "msgget", "msgsnd", "msgrcv", "msgctl", "mq_open", "io_uring_setup",
                                       "io_uring_enter", "io_uring_register", "clone3")},
}


def contestant_filter() -> bytes:
    """The contestant's seccomp program (see the module's docstring); clone3 fails with ENOSYS so that
    glibc falls back to clone(), whose namespace flags this filter can see."""
    return seccomp_program(CONTESTANT_DENIED, only_unix_sockets=True, denied_clone_flags=CLONE_NEW_ANY)


# -- process-wide settings -----------------------------------------------------------------

def protect_zygote() -> None:
    """For the zygote: no process of the same uid may trace it or read its memory, and every
    orphan of an exercise is re-parented to it (so it stays among its descendants)."""
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def limit_capabilities(keep: tuple[int, ...]) -> None:
    """Before exec, as root: the new program keeps the capabilities ``keep`` and nothing else
    (root's permitted set after exec is its bounding set)."""
    last = int(open("/proc/sys/kernel/cap_last_cap").read()) if os.path.exists("/proc/sys/kernel/cap_last_cap") else 40
    for capability in range(last + 1):
        if capability not in keep:
            _libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0)


CAP_SETGID, CAP_SETUID = 6, 7
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """SIGKILL when the parent ends (set again after a uid switch, which clears it)."""
    import signal

    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def can_switch_user() -> bool:
    """This process may take any uid (root, or CAP_SETUID and CAP_SETGID)."""
    if os.geteuid() == 0:
        return True
    try:
        with open("/proc/self/status") as status:
            effective = next(int(line.split()[1], 16) for line in status if line.startswith("CapEff:"))
    except (OSError, StopIteration, ValueError):
        return False
    return bool(effective & (1 << 6)) and bool(effective & (1 << 7))


def switch_user(uid: int) -> None:
    """Become ``uid`` for good: groups, real, effective and saved ids (all capabilities go with it)."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def confine(settings: dict) -> list[str]:
    """Apply what ``settings`` asks (from the judge) to this process; returns the layers that hold.

    ``settings``: ``uid`` (int or None), ``read`` and ``write`` (path lists for Landlock),
    ``landlock`` and ``seccomp`` (bool: wanted). A layer that was asked for and
    fails raises: the judge, which probed it first, would otherwise report a layer
    that does not hold.
    """
    held = []
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
    if settings.get("landlock"):  # first: the zygote's uid opens the folders the rules name
        abi = landlock_abi()
        if abi <= 0:
            raise OSError(errno.ENOSYS, "Landlock is not available")
        _landlock(list(settings.get("read", [])), list(settings.get("write", [])), abi)
        held.append(f"landlock{abi}")
    uid = settings.get("uid")
    if uid is not None:
        switch_user(int(uid))
        held.append("uid")
    die_with_parent()  # the contestant itself ends with the zygote
    if settings.get("seccomp"):
        install_seccomp(contestant_filter())
        held.append("seccomp")
    return held


def available() -> dict:
    """What a contestant started from this process could get: {"landlock": ABI, "seccomp": bool}.

    Probed in a child process, so that nothing sticks to the caller.
    """
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read)
        result = b"0"
        try:
            abi = landlock_abi()
            try:
                if abi:
                    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
                    _landlock(["/"], [], abi)
            except OSError:
                abi = 0
            try:
                install_seccomp(contestant_filter())
                seccomp = 1
            except OSError:
                seccomp = 0
            result = f"{abi} {seccomp}".encode()
        finally:
            os.write(write, result)
            os._exit(0)
    os.close(write)
    answer = os.read(read, 64).decode() or "0 0"
    os.close(read)
    os.waitpid(pid, 0)
    parts = (answer.split() + ["0", "0"])[:2]
    return {"landlock": int(parts[0]), "seccomp": parts[1] == "1"}

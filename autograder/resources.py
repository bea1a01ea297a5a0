"""How many cores and how much memory this process may really use (a container's share, not the host's).

In a container with a CPU quota or a memory cgroup (Gradescope's, Docker's
``--cpus``/``--memory``), ``nproc`` and ``/proc/meminfo`` report the host.
:func:`usable_cores` and :func:`memory_limit_mb` read the limits of the
process's own cgroup and of its ancestors, for cgroup v2 (``cpu.max``,
``memory.max``) and v1 (``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``,
``memory.limit_in_bytes``), and take the smallest of those, the CPU affinity
and ``MemTotal``. With no cgroup limit they are the affinity and ``MemTotal``.

``python -m autograder.resources cores`` and ``... memory-mb [--jobs N]`` print
them for shell scripts (Gradescope's ``run_autograder``). The roots are
parameters so that tests can point them at fake trees.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_ROOT = Path("/proc")
UNLIMITED_V1 = 2**60          # v1 reports "no limit" as a page-rounded 2**63-1
MEMORY_SHARE = 0.8            # of the limit, for the grading jobs together; the rest for the grader itself
MAX_PER_JOB_MB = 4096


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _cgroups(proc: Path) -> dict[str, str]:
    """Controller -> cgroup path of this process; cgroup v2's single hierarchy is under the key ''."""
    found = {}
    for line in (_read(proc / "self" / "cgroup") or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            for controller in parts[1].split(","):
                found[controller] = parts[2]
    return found


def _with_ancestors(mount: Path, relative: str) -> list[Path]:
    """The cgroup's folder and each parent up to the mount point (a limit may be set higher up).

    Inside a container the path seen in /proc/self/cgroup may not exist under the
    mount (its root is the container's own cgroup); the mount itself is then the cgroup.
    """
    folders, path = [], mount / relative.lstrip("/")
    while True:
        if path.is_dir():
            folders.append(path)
        if path == mount or mount not in path.parents:
            break
        path = path.parent
    return folders or [mount]


def _v2_folders(cgroup_root: Path, proc: Path) -> list[Path]:
    groups = _cgroups(proc)
    if "" not in groups or not (cgroup_root / "cgroup.controllers").exists():
        return []
    return _with_ancestors(cgroup_root, groups[""])


def _v1_folders(cgroup_root: Path, proc: Path, controller: str) -> list[Path]:
    groups = _cgroups(proc)
    if controller not in groups:
        return []
    for mount_name in (controller, "cpu,cpuacct", "cpuacct,cpu"):  # v1 mounts cpu under either name
        mount = cgroup_root / mount_name
        if controller in mount_name.split(",") and mount.is_dir():
            return _with_ancestors(mount, groups[controller])
    return []


def cgroup_cpu_limit(cgroup_root: Path = CGROUP_ROOT, proc: Path = PROC_ROOT) -> float | None:
    """The CPU quota in cores (e.g. 1.5), or None without one."""
    limits = []
    for folder in _v2_folders(cgroup_root, proc):
        fields = (_read(folder / "cpu.max") or "").split()
        if len(fields) == 2 and fields[0] != "max":
            limits.append(int(fields[0]) / int(fields[1]))
    for folder in _v1_folders(cgroup_root, proc, "cpu"):
        quota, period = _read(folder / "cpu.cfs_quota_us"), _read(folder / "cpu.cfs_period_us")
        if quota and period and int(quota) > 0 and int(period) > 0:
            limits.append(int(quota) / int(period))
    return min(limits) if limits else None


def cgroup_memory_limit(cgroup_root: Path = CGROUP_ROOT, proc: Path = PROC_ROOT) -> int | None:
    """The memory limit in bytes, or None without one."""
    limits = []
    for folder in _v2_folders(cgroup_root, proc):
        value = _read(folder / "memory.max")
        if value and value != "max":
            limits.append(int(value))
    for folder in _v1_folders(cgroup_root, proc, "memory"):
        value = _read(folder / "memory.limit_in_bytes")
        if value and int(value) < UNLIMITED_V1:
            limits.append(int(value))
    return min(limits) if limits else None


def _affinity() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def usable_cores(cgroup_root: Path = CGROUP_ROOT, proc: Path = PROC_ROOT, affinity: int | None = None) -> int:
    """Whole cores to plan for: the CPU affinity, lowered by a cgroup quota (rounded up, at least 1)."""
    cores = affinity if affinity is not None else _affinity()
    quota = cgroup_cpu_limit(Path(cgroup_root), Path(proc))
    if quota is not None:
        cores = min(cores, math.ceil(quota - 1e-9))
    return max(1, cores)


def memory_limit_mb(cgroup_root: Path = CGROUP_ROOT, proc: Path = PROC_ROOT) -> int:
    """Memory this process may use, in MB: the cgroup limit or ``MemTotal``, whichever is smaller."""
    candidates = []
    for line in (_read(Path(proc) / "meminfo") or "").splitlines():
        if line.startswith("MemTotal:"):
            candidates.append(int(line.split()[1]) * 1024)
    limit = cgroup_memory_limit(Path(cgroup_root), Path(proc))
    if limit is not None:
        candidates.append(limit)
    if not candidates:  # neither is readable (not Linux): assume a small machine
        return 2048
    return max(1, min(candidates) // 2**20)


def memory_per_job_mb(jobs: int, cgroup_root: Path = CGROUP_ROOT, proc: Path = PROC_ROOT) -> int:
    """Each of ``jobs`` grading jobs' share of the memory (at most MAX_PER_JOB_MB)."""
    return max(256, min(MAX_PER_JOB_MB, int(memory_limit_mb(cgroup_root, proc) * MEMORY_SHARE / max(1, jobs))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.resources", description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["cores", "memory-mb"])
    parser.add_argument("--jobs", type=int, help="with memory-mb: the share of each of this many jobs")
    args = parser.parse_args(argv)
    if args.what == "cores":
        print(usable_cores())
    else:
        print(memory_per_job_mb(args.jobs) if args.jobs else memory_limit_mb())
    return 0


if __name__ == "__main__":
    sys.exit(main())

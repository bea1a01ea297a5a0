"""usable_cores() and memory_limit_mb() read cgroup limits (v2 and v1), on fake cgroup and /proc trees."""

from __future__ import annotations

import subprocess
import sys

import pytest

from autograder.resources import memory_limit_mb, memory_per_job_mb, usable_cores

GB = 2**30


def fake_proc(tmp_path, cgroup_lines, mem_total_gb=64):
    proc = tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    (proc / "self" / "cgroup").write_text("\n".join(cgroup_lines) + "\n")
    (proc / "meminfo").write_text(f"MemTotal:       {mem_total_gb * 2**20} kB\nMemFree:        1000 kB\n")
    return proc


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


@pytest.fixture
def v2(tmp_path):
    root = tmp_path / "cgroup"
    write(root / "cgroup.controllers", "cpu memory")
    return root, fake_proc(tmp_path, ["0::/grader/job"])


def test_v2_quota_and_memory_limit(v2):
    root, proc = v2
    write(root / "grader" / "job" / "cpu.max", "150000 100000")   # 1.5 cores
    write(root / "grader" / "job" / "memory.max", str(3 * GB))
    assert usable_cores(root, proc, affinity=16) == 2
    assert memory_limit_mb(root, proc) == 3072


def test_v2_a_limit_set_on_an_ancestor_counts(v2):
    root, proc = v2
    write(root / "grader" / "cpu.max", "100000 100000")
    write(root / "grader" / "job" / "cpu.max", "max 100000")
    write(root / "grader" / "memory.max", str(GB))
    write(root / "grader" / "job" / "memory.max", "max")
    assert usable_cores(root, proc, affinity=8) == 1
    assert memory_limit_mb(root, proc) == 1024


def test_v2_without_limits_gives_the_affinity_and_memtotal(v2):
    root, proc = v2
    write(root / "grader" / "job" / "cpu.max", "max 100000")
    write(root / "grader" / "job" / "memory.max", "max")
    assert usable_cores(root, proc, affinity=4) == 4
    assert memory_limit_mb(root, proc) == 64 * 1024


def test_v2_in_a_container_whose_cgroup_is_the_mount_root(tmp_path):
    root = tmp_path / "cgroup"
    write(root / "cgroup.controllers", "cpu memory")
    write(root / "cpu.max", "200000 100000")
    write(root / "memory.max", str(4 * GB))
    proc = fake_proc(tmp_path, ["0::/docker/0123abcd"])  # that path does not exist inside the container
    assert usable_cores(root, proc, affinity=32) == 2
    assert memory_limit_mb(root, proc) == 4096


def test_v1_cfs_quota_and_memory_limit(tmp_path):
    root = tmp_path / "cgroup"
    write(root / "cpu,cpuacct" / "docker" / "abc" / "cpu.cfs_quota_us", "250000")
    write(root / "cpu,cpuacct" / "docker" / "abc" / "cpu.cfs_period_us", "100000")
    write(root / "memory" / "docker" / "abc" / "memory.limit_in_bytes", str(6 * GB))
    proc = fake_proc(tmp_path, ["4:memory:/docker/abc", "2:cpu,cpuacct:/docker/abc", "0::/"])
    assert usable_cores(root, proc, affinity=64) == 3
    assert memory_limit_mb(root, proc) == 6144


def test_v1_unlimited_values_fall_back(tmp_path):
    root = tmp_path / "cgroup"
    write(root / "cpu" / "cpu.cfs_quota_us", "-1")
    write(root / "cpu" / "cpu.cfs_period_us", "100000")
    write(root / "memory" / "memory.limit_in_bytes", "9223372036854771712")
    proc = fake_proc(tmp_path, ["4:memory:/", "1:cpu:/"], mem_total_gb=8)
    assert usable_cores(root, proc, affinity=2) == 2
    assert memory_limit_mb(root, proc) == 8192


def test_memtotal_wins_when_smaller_than_the_cgroup_limit(v2):
    root, proc = v2
    write(root / "grader" / "job" / "memory.max", str(512 * GB))
    assert memory_limit_mb(root, proc) == 64 * 1024


def test_no_cgroup_and_no_proc(tmp_path):
    assert usable_cores(tmp_path / "none", tmp_path / "none", affinity=3) == 3
    assert memory_limit_mb(tmp_path / "none", tmp_path / "none") == 2048


def test_each_job_gets_its_share_capped(v2):
    root, proc = v2
    write(root / "grader" / "job" / "memory.max", str(4 * GB))
    assert memory_per_job_mb(2, root, proc) == int(4096 * 0.8 / 2)
    write(root / "grader" / "job" / "memory.max", str(64 * GB))
    assert memory_per_job_mb(1, root, proc) == 4096


def test_the_cli_prints_numbers_for_shell_scripts():
    for args in (["cores"], ["memory-mb"], ["memory-mb", "--jobs", "2"]):
        out = subprocess.run([sys.executable, "-m", "autograder.resources", *args], capture_output=True, text=True,
                             check=True, timeout=60).stdout
        assert int(out) >= 1

"""The cores a process may use: its affinity, bounded by its cgroup's CPU quota (v1 and v2 layouts)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from index.cores import cgroup_cpu_limit, cores_within, usable_cores


@pytest.mark.parametrize(
    ("affine", "limit", "expected"),
    [(64, 2.0, 2), (64, 1.5, 2), (4, None, 4), (8, 0.2, 1), (2, 8.0, 2), (0, None, 1)],
)
def test_a_quota_bounds_the_cores_rounded_up(affine: int, limit: float | None, expected: int) -> None:
    assert cores_within(affine, limit) == expected


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_cgroup_v2_quota_of_the_process_own_group(tmp_path: Path) -> None:
    own = tmp_path / "self-cgroup"
    _write(own, "0::/system.slice/app.service\n")
    _write(tmp_path / "root" / "system.slice" / "app.service" / "cpu.max", "200000 100000\n")
    _write(tmp_path / "root" / "cpu.max", "max 100000\n")
    assert cgroup_cpu_limit(tmp_path / "root", own) == 2.0


def test_cgroup_v2_inside_a_container_reads_the_root_and_max_is_no_limit(tmp_path: Path) -> None:
    own = tmp_path / "self-cgroup"
    _write(own, "0::/\n")
    _write(tmp_path / "root" / "cpu.max", "150000 100000\n")
    assert cgroup_cpu_limit(tmp_path / "root", own) == 1.5
    _write(tmp_path / "root" / "cpu.max", "max 100000\n")
    assert cgroup_cpu_limit(tmp_path / "root", own) is None


def test_cgroup_v1_quota_and_its_absence(tmp_path: Path) -> None:
    own = tmp_path / "self-cgroup"
    _write(own, "4:memory:/docker/abc\n1:cpu,cpuacct:/docker/abc\n")
    group = tmp_path / "root" / "cpu" / "docker" / "abc"
    _write(group / "cpu.cfs_quota_us", "300000\n")
    _write(group / "cpu.cfs_period_us", "100000\n")
    assert cgroup_cpu_limit(tmp_path / "root", own) == 3.0
    _write(group / "cpu.cfs_quota_us", "-1\n")
    assert cgroup_cpu_limit(tmp_path / "root", own) is None


def test_nothing_readable_means_no_limit(tmp_path: Path) -> None:
    assert cgroup_cpu_limit(tmp_path / "nowhere", tmp_path / "no-such-file") is None
    _write(tmp_path / "garbled", "not a cgroup line\n")
    _write(tmp_path / "root" / "cpu.max", "garbage\n")
    assert cgroup_cpu_limit(tmp_path / "root", tmp_path / "garbled") is None


def test_this_process_gets_at_least_one_core_and_no_more_than_the_machine() -> None:
    assert 1 <= usable_cores() <= (os.cpu_count() or 1)

"""The cores this process may use: its CPU affinity, bounded by its cgroup's CPU quota.

`os.cpu_count()` counts the machine's CPUs. A container started with `--cpus 2` on a 64-core host still sees 64
there, and an encoder on 64 threads, or 64 searches at once, would fight over two cores' worth of time. The
affinity mask (`taskset`, `--cpuset-cpus`) and the CFS quota (`--cpus`, cgroup v1 `cpu.cfs_quota_us` or v2
`cpu.max`) are what the process may actually run on.
"""

from __future__ import annotations

import math
import os
from functools import cache
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
OWN_CGROUP = Path("/proc/self/cgroup")


@cache
def usable_cores() -> int:
    """The cores the process may run on at once, at least one (read once: the encoder asks on every encode)."""
    return cores_within(affinity(), cgroup_cpu_limit())


def cores_within(affine: int, limit: float | None) -> int:
    """`affine` CPUs, bounded by a quota of `limit` cores (rounded up: a quota of 1.5 cores keeps two busy)."""
    count = max(1, affine)
    return count if limit is None else max(1, min(count, math.ceil(limit)))


def affinity() -> int:
    """The CPUs the process may be scheduled on (all the machine's where the platform cannot say)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # no sched_getaffinity outside Linux
        return os.cpu_count() or 1


def cgroup_cpu_limit(root: Path = CGROUP_ROOT, own: Path = OWN_CGROUP) -> float | None:
    """The CPU quota of the process's cgroup in cores (quota over period), None when there is none or it cannot be
    read. The cgroup's own folder is tried first, then the root (inside a container the root is the cgroup)."""
    paths: dict[str, str] = {}
    try:
        for line in own.read_text(encoding="utf-8").splitlines():
            _, controllers, path = line.split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                paths[controller] = path.lstrip("/")
    except (OSError, ValueError):
        pass
    v2 = [root / paths[""], root] if paths.get("") else [root]
    for folder in v2:
        limit = _v2_limit(folder / "cpu.max")
        if limit is not False:
            return limit
    v1 = [root / "cpu" / paths["cpu"], root / "cpu"] if paths.get("cpu") else [root / "cpu"]
    for folder in v1:
        limit = _v1_limit(folder)
        if limit is not False:
            return limit
    return None


def _v2_limit(cpu_max: Path) -> float | bool | None:
    """cgroup v2 `cpu.max` ("max 100000" or "200000 100000"): the quota in cores, None for none, False unreadable."""
    try:
        quota, period = cpu_max.read_text(encoding="utf-8").split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        return False


def _v1_limit(folder: Path) -> float | bool | None:
    """cgroup v1 `cpu.cfs_quota_us` over `cpu.cfs_period_us` (a quota of -1 is none), False when unreadable."""
    try:
        quota = int((folder / "cpu.cfs_quota_us").read_text(encoding="utf-8"))
        period = int((folder / "cpu.cfs_period_us").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return None if quota <= 0 or period <= 0 else quota / period

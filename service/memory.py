"""Keeps the serving process's resident memory from creeping up: glibc keeps the heap pages that the model's
varying-size activation buffers leave behind, so they are handed back with malloc_trim when RSS has grown.

Measured (one thread, batches of 1-32 fresh queries): without trimming RSS rose 471 -> 969 MiB over 480
encodes and kept rising; `malloc_trim(0)` every 20 encodes held it at 575 MiB for the same CPU time, while a
fixed M_MMAP_THRESHOLD held it too but cost about 30 % more CPU. A trim takes 7-10 ms, so it runs only
after RSS has grown by `slack_mib` since the last one, checked every `every_s` seconds from a thread.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)


def rss_mib(pid: int | None = None) -> float:
    """Resident set size of a process (default: this one) in MiB, from /proc."""
    for line in Path(f"/proc/{pid or os.getpid()}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def glibc_trim() -> Callable[[], object] | None:
    """`malloc_trim(0)` of the C library, or None where there is none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None
    if trim is None:
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: trim(0)


class HeapTrimmer:
    """A daemon thread: every `every_s` seconds, trim the heap if RSS grew by `slack_mib` since the last trim."""

    def __init__(
        self,
        every_s: float = 1.0,
        slack_mib: float = 32.0,
        *,
        trim: Callable[[], object] | None = None,
        rss: Callable[[], float] = rss_mib,
    ) -> None:
        self.every_s, self.slack_mib = every_s, slack_mib
        self._trim, self._rss = trim or glibc_trim(), rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heap-trimmer", daemon=True)
        self.trims = 0

    def start(self) -> HeapTrimmer:
        if self._trim is None:
            log.info("no malloc_trim in this C library; the heap is not trimmed")
        elif self.every_s > 0:
            self._thread.start()
        return self

    def check(self, baseline: float) -> float:
        """One round: trim if RSS is `slack_mib` above `baseline`; the new baseline."""
        now = self._rss()
        if self._trim is None or now < baseline + self.slack_mib:
            return min(baseline, now)
        self._trim()
        self.trims += 1
        return self._rss()

    def _run(self) -> None:
        baseline = self._rss()
        while not self._stop.wait(self.every_s):
            baseline = self.check(baseline)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

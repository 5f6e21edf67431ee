"""What a build shows while it runs: the name of each phase as it starts, and how far embedding has got.

A build used to show nothing until embedding began (about 50 s on a 207-file collection); now the first line
appears at once and names what the build is doing: load, clean, dedup, embed n/N, index, publish.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

PHASES = ("load", "clean", "dedup", "embed", "index", "publish")


class BuildProgress:
    """Phase lines on `stream` (standard error), each with the seconds since the build started; silent when off."""

    def __init__(self, enabled: bool = True, stream: TextIO | None = None, every_s: float = 1.0) -> None:
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.every_s = every_s
        self.started = time.perf_counter()
        self._name = ""
        self._done = self._total = 0
        self._shown = 0.0

    def phase(self, name: str, detail: str = "") -> None:
        """A phase starts (one of PHASES)."""
        self._name = name
        self._write(f"{name} {detail}".rstrip())

    def embed(self, total: int) -> None:
        self._done, self._total = 0, total
        self.phase("embed", f"0/{total} passages")

    def advance(self, count: int) -> None:
        """`count` more passages embedded: a line at most every `every_s`, and at the last one."""
        self._done += count
        now = time.perf_counter()
        if self._done >= self._total or now - self._shown >= self.every_s:
            self._write(f"embed {self._done}/{self._total} passages")

    def _write(self, text: str) -> None:
        if not self.enabled:
            return
        self._shown = time.perf_counter()
        print(f"build [{self._shown - self.started:6.1f} s] {text}", file=self.stream, flush=True)

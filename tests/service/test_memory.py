"""The heap trimmer trims only after RSS has grown by its slack, and the C library's malloc_trim is found."""

from __future__ import annotations

import time

from service.memory import HeapTrimmer, glibc_trim, rss_mib


class FakeProcess:
    def __init__(self, rss: float) -> None:
        self.rss, self.trims = rss, 0

    def trim(self) -> None:
        self.trims += 1
        self.rss = 500.0


def test_trims_only_past_the_slack_and_follows_rss_down() -> None:
    process = FakeProcess(500.0)
    trimmer = HeapTrimmer(slack_mib=32, trim=process.trim, rss=lambda: process.rss)
    baseline = 500.0
    process.rss = 530.0
    baseline = trimmer.check(baseline)
    assert process.trims == 0 and baseline == 500.0
    process.rss = 540.0
    baseline = trimmer.check(baseline)
    assert process.trims == 1 and baseline == 500.0  # trimmed back down
    process.rss = 450.0
    assert trimmer.check(baseline) == 450.0  # a lower RSS becomes the baseline


def test_the_thread_trims_and_stops() -> None:
    process = FakeProcess(500.0)
    trimmer = HeapTrimmer(every_s=0.01, slack_mib=10, trim=process.trim, rss=lambda: process.rss).start()
    process.rss = 800.0
    deadline = time.monotonic() + 5
    while process.trims == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    trimmer.stop()
    assert process.trims >= 1 and trimmer.trims == process.trims


def test_zero_seconds_means_no_thread() -> None:
    process = FakeProcess(500.0)
    trimmer = HeapTrimmer(every_s=0, trim=process.trim, rss=lambda: 900.0).start()
    trimmer.stop()
    assert process.trims == 0


def test_glibc_malloc_trim_runs_here() -> None:
    trim = glibc_trim()
    assert trim is not None  # the service runs on glibc (Debian)
    trim()
    assert rss_mib() > 0

"""Request budgets: a token bucket per key (CITED_RATE_PER_MIN), and one per client address that bad keys drain
(CITED_BAD_KEYS_PER_MIN), so that guessing keys is slowed down as much as using them.

A token bucket of its own, a few lines: pyrate-limiter (in the venv for schemathesis) keeps a log of every
request in a sliding window and runs a leak thread; a bucket is two numbers per key and tells directly how long
until the next request may pass, which is the Retry-After header."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class TokenBuckets:
    """One bucket per name, holding at most `per_minute` tokens and refilled at `per_minute` a minute; thread-safe.

    `take(name)` spends a token and returns 0, or returns the whole seconds to wait (a Retry-After) and spends nothing.
    """

    # Full buckets are forgotten when there are more than this many, so a stream of new addresses costs bounded memory.
    MAX_BUCKETS = 10_000

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 1:
            raise ValueError("a budget must allow at least one request a minute")
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens a second
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def _refilled(self, name: str, now: float) -> _Bucket:
        bucket = self._buckets.get(name)
        if bucket is None:
            if len(self._buckets) >= self.MAX_BUCKETS:
                self._forget_full(now)
            bucket = self._buckets[name] = _Bucket(self.capacity, now)
        else:
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
        return bucket

    def _forget_full(self, now: float) -> None:
        for name, bucket in list(self._buckets.items()):
            if bucket.tokens + (now - bucket.at) * self.rate >= self.capacity:
                del self._buckets[name]

    def _wait(self, bucket: _Bucket) -> int:
        return max(1, math.ceil((1.0 - bucket.tokens) / self.rate))

    def take(self, name: str) -> int:
        with self._lock:
            bucket = self._refilled(name, self.clock())
            if bucket.tokens < 1.0:
                return self._wait(bucket)
            bucket.tokens -= 1.0
            return 0

    def wait(self, name: str) -> int:
        """Seconds until `name` may spend a token again (0: now), spending nothing."""
        with self._lock:
            bucket = self._refilled(name, self.clock())
            return 0 if bucket.tokens >= 1.0 else self._wait(bucket)

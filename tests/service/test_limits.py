"""The token buckets behind 429: a burst of the budget, then one request per refill, and the wait they report."""

from __future__ import annotations

from service.limits import TokenBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_budget_at_once_then_says_how_long_to_wait() -> None:
    clock = Clock()
    buckets = TokenBuckets(60, clock)  # one a second
    assert [buckets.take("k") for _ in range(60)] == [0] * 60
    assert buckets.take("k") == 1
    clock.now += 0.5
    assert buckets.take("k") == 1  # half a token: still a second's wait, rounded up
    clock.now += 0.5
    assert buckets.take("k") == 0
    assert buckets.take("other") == 0  # each name has its own budget


def test_the_wait_grows_with_the_deficit_and_refill_stops_at_the_budget() -> None:
    clock = Clock()
    buckets = TokenBuckets(6, clock)  # one every 10 s
    for _ in range(6):
        buckets.take("k")
    assert buckets.wait("k") == 10
    clock.now += 3600
    assert [buckets.take("k") for _ in range(7)] == [0] * 6 + [10]  # an hour idle refills six, not 360


def test_forgotten_buckets_are_only_full_ones() -> None:
    clock = Clock()
    buckets = TokenBuckets(2, clock)
    buckets.MAX_BUCKETS = 3
    buckets.take("spent"), buckets.take("spent")
    for name in ("a", "b", "c", "d"):
        buckets.wait(name)
    assert buckets.take("spent") > 0  # a spent bucket is never forgotten to make room

"""The micro-batcher and the query-vector cache, with fake encoders: no model, and no timing assertions
(gates and queue depths decide the order of events)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from index.batching import BatcherClosed, EmbeddingCache, MicroBatcher, QueryEncoder
from index.embed import HashingEmbedder

EMBEDDER = HashingEmbedder(dimension=32)


class GatedEncoder:
    """The hashing encoder, recording each batch; while `gate` is shut, every encode waits at it."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.batches: list[list[str]] = []
        self.threads: list[int] = []
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.gate.set()
        self.fail_on = fail_on

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.batches.append(list(texts))
        self.threads.append(threading.get_ident())
        self.entered.set()
        self.gate.wait()
        if self.fail_on is not None and self.fail_on in texts:
            raise ValueError(f"cannot encode {self.fail_on!r}")
        return EMBEDDER.encode(texts)


class Caller(threading.Thread):
    def __init__(self, encode: Callable[[Sequence[str]], np.ndarray], texts: Sequence[str]) -> None:
        super().__init__(daemon=True)
        self.encode, self.texts = encode, list(texts)
        self.result: np.ndarray | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.encode(self.texts)
        except Exception as exc:  # noqa: BLE001 -- the test inspects whatever the batcher raised
            self.error = exc


def queued(batcher: MicroBatcher, n: int) -> None:
    """Wait until `n` requests are queued behind the encode in flight."""
    with batcher._lock:
        batcher._arrived.wait_for(lambda: len(batcher._pending) >= n)


def start_behind_gate(batcher: MicroBatcher, encoder: GatedEncoder, texts: Sequence[Sequence[str]]) -> list[Caller]:
    """The first caller encodes (stuck at the shut gate); the others queue behind it, in order."""
    encoder.gate.clear()
    first = Caller(batcher.encode, texts[0])
    first.start()
    encoder.entered.wait()
    callers = [first]
    for i, group in enumerate(texts[1:], 1):
        caller = Caller(batcher.encode, group)
        caller.start()
        queued(batcher, i)
        callers.append(caller)
    return callers


def finish(encoder: GatedEncoder, callers: Sequence[Caller]) -> None:
    encoder.gate.set()
    for caller in callers:
        caller.join()


def test_every_caller_gets_the_vectors_of_its_own_texts() -> None:
    encoder = GatedEncoder()
    batcher = MicroBatcher(encoder, max_wait_ms=1, max_batch=8)
    groups = [[f"question {i} about rivers"] if i % 3 else [f"q{i} a", f"q{i} b"] for i in range(40)]
    callers = [Caller(batcher.encode, g) for g in groups]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    for caller in callers:
        assert caller.error is None
        np.testing.assert_allclose(caller.result, EMBEDDER.encode(caller.texts), rtol=1e-6)
    assert sum(len(b) for b in encoder.batches) == sum(len(g) for g in groups)
    assert max(len(b) for b in encoder.batches) <= 8


def test_callers_arriving_during_an_encode_share_the_next_batch() -> None:
    encoder = GatedEncoder()
    batcher = MicroBatcher(encoder, max_wait_ms=1, max_batch=32)
    callers = start_behind_gate(batcher, encoder, [[f"text {i}"] for i in range(11)])
    finish(encoder, callers)
    assert encoder.batches == [["text 0"], [f"text {i}" for i in range(1, 11)]]
    stats = batcher.stats()
    assert (stats.batches, stats.texts, stats.largest, stats.mean_batch_size) == (2, 11, 10, 5.5)
    for caller in callers:
        np.testing.assert_allclose(caller.result, EMBEDDER.encode(caller.texts), rtol=1e-6)


def test_a_full_queue_is_split_at_max_batch() -> None:
    encoder = GatedEncoder()
    batcher = MicroBatcher(encoder, max_wait_ms=1, max_batch=4)
    callers = start_behind_gate(batcher, encoder, [[f"t{i}"] for i in range(10)])
    finish(encoder, callers)
    assert [len(b) for b in encoder.batches] == [1, 4, 4, 1]
    assert all(c.error is None for c in callers)


class RecordingCondition(threading.Condition):
    def __init__(self, lock: threading.Lock) -> None:
        super().__init__(lock)
        self.waits = 0

    def wait(self, timeout: float | None = None) -> bool:
        self.waits += 1
        return super().wait(timeout)


def test_a_lone_caller_is_encoded_at_once() -> None:
    encoder = GatedEncoder()
    # A gathering window of an hour: a lone caller that waited for company would never return.
    batcher = MicroBatcher(encoder, max_wait_ms=3_600_000, max_batch=32)
    batcher._arrived = RecordingCondition(batcher._lock)
    for i in range(5):
        vector = batcher.encode([f"alone {i}"])
        np.testing.assert_allclose(vector, EMBEDDER.encode([f"alone {i}"]), rtol=1e-6)
    assert batcher._arrived.waits == 0
    assert encoder.batches == [[f"alone {i}"] for i in range(5)]


def test_every_forward_pass_runs_on_one_encoder_thread() -> None:
    """Torch and malloc keep state per thread; encodes spread over request threads made a server's memory grow."""
    encoder = GatedEncoder()
    batcher = MicroBatcher(encoder, max_wait_ms=1, max_batch=2)
    callers = start_behind_gate(batcher, encoder, [[f"t{i}"] for i in range(7)])
    finish(encoder, callers)
    assert all(c.error is None for c in callers)
    assert len(encoder.batches) > 1
    assert len(set(encoder.threads)) == 1
    assert encoder.threads[0] not in {threading.get_ident(), *(c.ident for c in callers)}
    batcher.close()


def test_an_encoder_error_reaches_exactly_the_callers_of_its_batch() -> None:
    encoder = GatedEncoder(fail_on="bad")
    batcher = MicroBatcher(encoder, max_wait_ms=1, max_batch=2)
    callers = start_behind_gate(batcher, encoder, [["lead"], ["bad"], ["same batch"], ["next 1"], ["next 2"]])
    finish(encoder, callers)
    assert encoder.batches == [["lead"], ["bad", "same batch"], ["next 1", "next 2"]]
    failed = {c.texts[0] for c in callers if c.error is not None}
    assert failed == {"bad", "same batch"}
    assert all(isinstance(c.error, ValueError) for c in callers if c.error is not None)
    assert all(c.result is not None for c in callers if c.error is None)
    # The batcher keeps working after a failed batch.
    np.testing.assert_allclose(batcher.encode(["after"]), EMBEDDER.encode(["after"]), rtol=1e-6)


def test_an_error_of_the_first_caller_leaves_the_queue_served() -> None:
    encoder = GatedEncoder(fail_on="bad")
    batcher = MicroBatcher(encoder, max_wait_ms=1, max_batch=8)
    callers = start_behind_gate(batcher, encoder, [["bad"], ["fine 1"], ["fine 2"]])
    finish(encoder, callers)
    assert isinstance(callers[0].error, ValueError)
    assert [c.error for c in callers[1:]] == [None, None]


def test_a_wrong_number_of_vectors_is_an_error_not_a_mix_up() -> None:
    batcher = MicroBatcher(lambda texts: EMBEDDER.encode(texts[:-1]), max_wait_ms=1)
    with pytest.raises(ValueError, match="returned 1 vectors for 2 texts"):
        batcher.encode(["a", "b"])


def test_close_serves_the_queue_then_refuses_new_work() -> None:
    encoder = GatedEncoder()
    batcher = MicroBatcher(encoder, max_wait_ms=1, max_batch=32)
    callers = start_behind_gate(batcher, encoder, [[f"t{i}"] for i in range(4)])
    closed: list[bool] = []
    closer = threading.Thread(target=lambda: closed.append(batcher.close()))
    closer.start()
    finish(encoder, callers)
    closer.join()
    assert closed == [True]
    assert all(c.error is None and c.result is not None for c in callers)
    with pytest.raises(BatcherClosed):
        batcher.encode(["late"])
    alive = {t.ident for t in threading.enumerate() if t.is_alive()}
    assert set(encoder.threads).isdisjoint(alive)  # closing stopped the encoder thread


def test_close_of_an_idle_batcher_returns_at_once() -> None:
    batcher = MicroBatcher(GatedEncoder(), max_wait_ms=2)
    assert batcher.close(timeout=0) is True


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        MicroBatcher(GatedEncoder(), max_wait_ms=-1)
    with pytest.raises(ValueError):
        MicroBatcher(GatedEncoder(), max_batch=0)


# -- the cache -----------------------------------------------------------------------------------


def test_cache_counts_hits_and_misses() -> None:
    cache = EmbeddingCache(4)
    assert cache.get("a") is None
    cache.put("a", np.ones(3))
    assert cache.get("a") is not None
    assert cache.get("a") is not None
    assert cache.get("b") is None
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.size, stats.capacity) == (2, 2, 1, 4)
    assert stats.hit_rate == 0.5
    assert EmbeddingCache(4).stats().hit_rate == 0.0


def test_cache_evicts_the_least_recently_used() -> None:
    cache = EmbeddingCache(2)
    cache.put("a", np.zeros(2))
    cache.put("b", np.zeros(2))
    cache.get("a")  # a is now more recent than b
    cache.put("c", np.zeros(2))
    assert "a" in cache and "c" in cache and "b" not in cache
    assert cache.stats().size == 2


def test_cached_vectors_cannot_be_changed_by_a_caller() -> None:
    cache = EmbeddingCache(2)
    cache.put("a", np.ones(2))
    vector = cache.get("a")
    assert vector is not None
    with pytest.raises(ValueError):
        vector[0] = 5.0


def test_cache_of_capacity_zero_keeps_nothing() -> None:
    cache = EmbeddingCache(0)
    cache.put("a", np.ones(2))
    assert cache.get("a") is None and cache.stats().size == 0


def test_query_encoder_encodes_each_distinct_text_once() -> None:
    encoder = GatedEncoder()
    query_encoder = QueryEncoder(encoder, cache_size=8, wait_ms=2)
    first = query_encoder.encode(["x", "y", "x"])
    second = query_encoder.encode(["y", "x"])
    assert encoder.batches == [["x", "y"]]
    np.testing.assert_allclose(first, EMBEDDER.encode(["x", "y", "x"]), rtol=1e-6)
    np.testing.assert_allclose(second, EMBEDDER.encode(["y", "x"]), rtol=1e-6)
    cache = query_encoder.cache_stats()
    assert (cache.hits, cache.misses) == (2, 2)
    batches = query_encoder.batch_stats()
    assert batches.enabled and (batches.batches, batches.texts) == (1, 2)


def test_query_encoder_without_batching_or_cache_calls_the_encoder_directly() -> None:
    encoder = GatedEncoder()
    query_encoder = QueryEncoder(encoder, cache_size=0, wait_ms=0)
    assert query_encoder.batcher is None and query_encoder.cache is None
    query_encoder.encode(["x"])
    query_encoder.encode(["x"])
    assert encoder.batches == [["x"], ["x"]]
    stats = query_encoder.batch_stats()
    assert not stats.enabled and (stats.batches, stats.texts, stats.mean_batch_size) == (2, 2, 1.0)
    assert query_encoder.cache_stats().capacity == 0
    assert query_encoder.encode([]).shape == (0, 32)
    assert query_encoder.close() is True

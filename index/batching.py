"""Query encoding for a server: concurrent encodes gathered into micro-batches, and an LRU cache of vectors.

The batcher uses the leader/follower scheme: a caller that finds the batcher idle has its text
encoded at once (a lone client pays nothing but a hand-over); callers that arrive while an encode is in
flight queue up, and when it finishes one of them becomes the next leader, gathers for at most
`max_wait_ms` more, and has the whole queue (up to `max_batch` texts) encoded in one forward pass.

Every forward pass runs on the batcher's one encoder thread. Torch and the C allocator keep state per
thread (malloc arenas, work buffers): when whichever request thread led a batch ran the model, a server's
memory grew with the number of threads that had (32 clients for 30 minutes: RSS +24 %, still rising
after 5 minutes; in process, 12,000 searches from 32 threads: 815 -> 1,055 MiB). On one thread the same
12,000 searches stay at 596 -> 605 MiB.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

EncodeFn = Callable[[list[str]], np.ndarray]


class BatcherClosed(RuntimeError):
    """The batcher was shut down; no new encodes are accepted."""


@dataclass(frozen=True, slots=True)
class BatchStats:
    enabled: bool
    wait_ms: float
    max_batch: int
    batches: int  # forward passes run
    texts: int  # texts encoded in them
    largest: int

    @property
    def mean_batch_size(self) -> float:
        return self.texts / self.batches if self.batches else 0.0


@dataclass(frozen=True, slots=True)
class CacheStats:
    capacity: int
    size: int
    hits: int
    misses: int

    @property
    def hit_rate(self) -> float:
        looked_up = self.hits + self.misses
        return self.hits / looked_up if looked_up else 0.0


@dataclass(eq=False, slots=True)
class _Request:
    texts: list[str]
    wake: threading.Event = field(default_factory=threading.Event)
    lead: bool = False  # woken to become the leader, not with a result
    result: np.ndarray | None = None
    error: BaseException | None = None


class MicroBatcher:
    """Encodes texts for many threads at once; `encode` returns each caller the vectors of its own texts."""

    def __init__(self, encode: EncodeFn, *, max_wait_ms: float = 2.0, max_batch: int = 32) -> None:
        if max_wait_ms < 0 or max_batch < 1:
            raise ValueError("max_wait_ms must be at least 0 and max_batch at least 1")
        self._encode = encode
        self.max_wait = max_wait_ms / 1000
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._idle = threading.Condition(self._lock)
        self._pending: deque[_Request] = deque()
        self._busy = False  # a leader is gathering or encoding
        self._closed = False
        self._encoder = ThreadPoolExecutor(1, thread_name_prefix="cited-encoder")  # its thread starts at first use
        self._batches = self._texts = self._largest = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        request = _Request(list(texts))
        if not request.texts:
            return self._encode([])
        with self._lock:
            if self._closed:
                raise BatcherClosed("the query encoder has been shut down")
            self._pending.append(request)
            leader = not self._busy
            self._busy = True
            self._arrived.notify()
        if leader:
            self._lead(gather=False)
        while request.result is None and request.error is None:
            request.wake.wait()
            request.wake.clear()
            if request.lead:
                request.lead = False
                self._lead(gather=True)
        if request.error is not None:
            raise request.error
        assert request.result is not None
        return request.result

    def _take(self, gather: bool) -> list[_Request]:
        """The next batch from the queue; called by the leader, with the lock held."""
        if gather and self.max_wait > 0:
            deadline = time.monotonic() + self.max_wait
            while sum(len(r.texts) for r in self._pending) < self.max_batch:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._arrived.wait(left)
        batch: list[_Request] = []
        size = 0
        while self._pending and (not batch or size + len(self._pending[0].texts) <= self.max_batch):
            request = self._pending.popleft()
            batch.append(request)
            size += len(request.texts)
        return batch

    def _lead(self, gather: bool) -> None:
        """Encode one batch, hand each caller its rows, then pass the lead to the oldest waiting caller."""
        try:
            with self._lock:
                batch = self._take(gather)
            texts = [t for r in batch for t in r.texts]
            try:
                vectors = self._encoder.submit(self._encode, texts).result()
                if len(vectors) != len(texts):
                    raise ValueError(f"the encoder returned {len(vectors)} vectors for {len(texts)} texts")
                at = 0
                for r in batch:
                    r.result = np.array(vectors[at : at + len(r.texts)], dtype=np.float32)
                    at += len(r.texts)
            except BaseException as exc:  # noqa: BLE001 -- each caller of this batch re-raises it in its own thread
                for r in batch:
                    r.result, r.error = None, exc
            with self._lock:
                self._batches += 1
                self._texts += len(texts)
                self._largest = max(self._largest, len(texts))
            for r in batch:
                r.wake.set()
        finally:
            with self._lock:
                if self._pending:
                    successor = self._pending[0]
                    successor.lead = True
                    successor.wake.set()
                else:
                    self._busy = False
                    self._idle.notify_all()

    def close(self, timeout: float | None = None) -> bool:
        """Refuse new encodes and wait until those already queued are done, then stop the encoder thread;
        False if `timeout` ran out first (the thread then stops once the last encode is done)."""
        with self._lock:
            self._closed = True
            done = self._idle.wait_for(lambda: not self._busy, timeout)
        self._encoder.shutdown(wait=done)
        return done

    def stats(self) -> BatchStats:
        with self._lock:
            return BatchStats(True, self.max_wait * 1000, self.max_batch, self._batches, self._texts, self._largest)


class EmbeddingCache:
    """A bounded LRU of query vectors keyed by the exact text encoded; thread-safe. Capacity 0 keeps nothing."""

    def __init__(self, capacity: int = 1024) -> None:
        if capacity < 0:
            raise ValueError("the cache capacity must be at least 0")
        self.capacity = capacity
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = self._misses = 0

    def get(self, text: str) -> np.ndarray | None:
        with self._lock:
            vector = self._items.get(text)
            if vector is None:
                self._misses += 1
                return None
            self._items.move_to_end(text)
            self._hits += 1
            return vector

    def put(self, text: str, vector: np.ndarray) -> None:
        if not self.capacity:
            return
        vector = np.array(vector, dtype=np.float32)
        vector.setflags(write=False)  # shared between callers: nobody may change a cached vector
        with self._lock:
            self._items[text] = vector
            self._items.move_to_end(text)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def __contains__(self, text: str) -> bool:
        with self._lock:
            return text in self._items

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self.capacity, len(self._items), self._hits, self._misses)


class QueryEncoder:
    """The encoder a server puts in front of its model: cache first, then the micro-batcher (or the model
    directly when `wait_ms` is 0)."""

    def __init__(self, encode: EncodeFn, *, cache_size: int = 1024, wait_ms: float = 2.0, max_batch: int = 32) -> None:
        self._direct = encode
        self.cache = EmbeddingCache(cache_size) if cache_size else None
        self.batcher = MicroBatcher(encode, max_wait_ms=wait_ms, max_batch=max_batch) if wait_ms > 0 else None
        self._lock = threading.Lock()
        self._direct_calls = self._direct_texts = self._direct_largest = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return self._direct([])
        found: dict[str, np.ndarray] = {}
        if self.cache is not None:
            for text in dict.fromkeys(texts):
                vector = self.cache.get(text)
                if vector is not None:
                    found[text] = vector
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            vectors = self._encode(missing)
            for text, vector in zip(missing, vectors, strict=True):
                found[text] = vector
                if self.cache is not None:
                    self.cache.put(text, vector)
        return np.stack([found[t] for t in texts]).astype(np.float32, copy=False)

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self.batcher is not None:
            return self.batcher.encode(texts)
        vectors = self._direct(texts)
        with self._lock:
            self._direct_calls += 1
            self._direct_texts += len(texts)
            self._direct_largest = max(self._direct_largest, len(texts))
        return vectors

    def batch_stats(self) -> BatchStats:
        if self.batcher is not None:
            return self.batcher.stats()
        with self._lock:
            return BatchStats(False, 0.0, 1, self._direct_calls, self._direct_texts, self._direct_largest)

    def cache_stats(self) -> CacheStats:
        return self.cache.stats() if self.cache is not None else CacheStats(0, 0, 0, 0)

    def close(self, timeout: float | None = None) -> bool:
        return self.batcher.close(timeout) if self.batcher is not None else True

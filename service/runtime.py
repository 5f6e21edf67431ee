"""What the service puts around an engine: search knobs from the settings, and the batching, caching
query encoder swapped into `Engine.encode_queries`."""

from __future__ import annotations

import logging
import math
import os
import threading
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from index.batching import QueryEncoder
from index.config import EngineConfig
from index.cores import usable_cores
from index.embed import Embedder, EmbeddingError
from index.engine import Engine
from index.manifest import IndexFolderError
from service.settings import Settings

log = logging.getLogger(__name__)


def engine_config(settings: Settings, base: EngineConfig | None = None) -> EngineConfig:
    """EngineConfig with the CITED_EF_SEARCH / CITED_NPROBE overrides applied."""
    overrides = {name: getattr(settings, name) for name in ("ef_search", "nprobe") if getattr(settings, name) is not None}
    return (base or EngineConfig()).with_overrides(overrides)


def open_engine(settings: Settings) -> Engine:
    return Engine.open(settings.index_dir, config=engine_config(settings), model=settings.model, backend=settings.backend)


def batch_threads(settings: Settings) -> int:
    return settings.batch_torch_threads or usable_cores()


def running_threads() -> int:
    """Threads of the whole machine that are running or ready to run at this instant, the caller included: the
    fourth field of /proc/loadavg ("2/150"). Where there is no /proc, the one-minute load average stands in."""
    try:
        with open("/proc/loadavg", "rb") as handle:
            return int(handle.read().split()[3].split(b"/")[0])
    except (OSError, IndexError, ValueError):
        return math.ceil(os.getloadavg()[0])


def lone_threads(settings: Settings, running: Callable[[], int] = running_threads) -> int:
    """Threads for one query: CITED_TORCH_THREADS, else the cores no other thread wants at this instant (the
    caller's own, and each idle one), at least one.

    On an idle machine a second thread makes one query faster (issue 13: torch 14 -> 11 ms; ONNX 8.3 -> 6.7 ms at
    p50, timed in pairs query by query); on a busy one it waits for a core at every step. Torch's threads spin at OpenMP barriers, so there it is
    dramatic (2 cores, load ~7: 712 ms at p50 on two threads, 40 ms on one); ONNX Runtime's do not spin
    (index/onnx_encoder.py). The count is read when the query is encoded, not averaged over the last minute: the
    load average stayed above one core for a minute after any burst, and while one client waited on its answers
    (the client asleep, the server alone at work), so a lone query ran on one thread of an idle machine (`cited
    bench http`, one client, servers taken in turns: p50 0.94 and 0.88 of the floor against 1.00 and 0.97 with
    one thread). The batcher's queue cannot tell either, since the other programs' work is not in it."""
    if settings.torch_threads:
        return settings.torch_threads
    cores = usable_cores()
    return max(1, min(cores, cores - running() + 1))


def threads_by_batch(
    encode: Callable[[list[str]], np.ndarray], embedder: Embedder, settings: Settings
) -> Callable[[list[str]], np.ndarray]:
    """`encode` running one text on `lone_threads` and a batch on CITED_BATCH_TORCH_THREADS (every core: a batch
    has work for each). The count is process-wide: the micro-batcher runs one encode at a time."""

    def encode_with_threads(texts: list[str]) -> np.ndarray:
        embedder.set_threads(batch_threads(settings) if len(texts) > 1 else lone_threads(settings))
        return encode(texts)

    return encode_with_threads


def attach_encoder(engine: Engine, settings: Settings) -> QueryEncoder:
    """Route the engine's query encodes through a micro-batcher and cache built from `settings`."""
    encoder = QueryEncoder(
        threads_by_batch(engine.encode_directly, engine.embedder, settings),
        cache_size=settings.cache_size, wait_ms=settings.batch_wait_ms, max_batch=settings.batch_max,
    )
    engine.set_query_encoder(encoder.encode)
    return encoder


def retire(engine: Engine, encoder: QueryEncoder) -> None:
    """Close what a reload replaced. Requests in flight keep the engine they started with: its encodes go to the
    model directly once its micro-batcher stops, and its files are closed when the last of them lets go of it."""
    detach_encoder(engine, encoder)
    encoder.close(timeout=10)
    weakref.finalize(engine, engine.index.close)


def detach_encoder(engine: Engine, encoder: QueryEncoder) -> None:
    """Back to the engine's own encode, unless another encoder has been attached since."""
    if engine.query_encoder == encoder.encode:
        engine.set_query_encoder(None)


def swap_in(state: Any, engine: Engine, settings: Settings) -> None:
    """Serve `engine` from now on, with its own query encoder; the one it replaces is retired once its requests end."""
    old_engine, old_encoder = state.engine, state.query_encoder
    state.query_encoder = attach_encoder(engine, settings)
    state.engine = engine
    if old_engine is not None and old_encoder is not None:
        retire(old_engine, old_encoder)


def follow(state: Any, settings: Settings) -> bool:
    """Open the index again when its link points at another build than the one served (a sync, an upload or a
    removal published it), and swap it in; True when it did. The model in use is kept: a build that needs another
    is refused by the load, in a sentence."""
    with state.swap_lock:
        current: Engine = state.engine
        served = getattr(current.index, "folder", None)  # a split index has no one folder: not followed
        if served is None or served == settings.index_dir.resolve():
            return False
        engine = Engine.open(settings.index_dir, current.embedder, engine_config(settings))
        swap_in(state, engine, settings)
    log.info("now serving %s (%d passages)", engine.index.folder, engine.size)
    return True


class Follower:
    """Checks every `interval` seconds whether a new build of the index was published, and serves it (`follow`)."""

    def __init__(self, state: Any, settings: Settings, interval: float) -> None:
        self.state, self.settings, self.interval = state, settings, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cited-follow", daemon=True)
        self._failing: str | None = None

    def start(self) -> Follower:
        if self.interval > 0:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                follow(self.state, self.settings)
                self._failing = None
            except (IndexFolderError, EmbeddingError, OSError) as exc:
                # Half-published states do not exist, but a build can be removed while it is opened: try again.
                if str(exc) != self._failing:
                    log.warning("the new build of the index could not be opened yet: %s", exc)
                self._failing = str(exc)

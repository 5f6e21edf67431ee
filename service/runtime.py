"""What the service puts around an engine: search knobs from the settings, and the batching, caching
query encoder swapped into `Engine.encode_queries`."""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable

import numpy as np

from index.batching import QueryEncoder
from index.config import EngineConfig
from index.engine import Engine
from service.settings import Settings


def engine_config(settings: Settings, base: EngineConfig | None = None) -> EngineConfig:
    """EngineConfig with the CITED_EF_SEARCH / CITED_NPROBE overrides applied."""
    overrides = {name: getattr(settings, name) for name in ("ef_search", "nprobe") if getattr(settings, name) is not None}
    return (base or EngineConfig()).with_overrides(overrides)


def set_model_threads(threads: int) -> None:
    """Set torch's intra-op threads for this process (0 leaves torch's default), before the model runs."""
    if threads > 0:
        import torch

        torch.set_num_threads(threads)


def open_engine(settings: Settings) -> Engine:
    return Engine.open(settings.index_dir, config=engine_config(settings), model=settings.model)


def batch_threads(settings: Settings) -> int:
    return settings.batch_torch_threads or os.cpu_count() or 1


def threads_by_batch(encode: Callable[[list[str]], np.ndarray], settings: Settings) -> Callable[[list[str]], np.ndarray]:
    """`encode` running one text on CITED_TORCH_THREADS threads and several on CITED_BATCH_TORCH_THREADS.

    One short query gains little from a second thread, whose waiting at OpenMP barriers costs a busy machine
    dearly; a batch divides well. The count is process-wide: the micro-batcher runs one encode at a time.
    """
    single, batch = settings.torch_threads, batch_threads(settings)
    if not single or single == batch:
        return encode
    import torch

    def encode_with_threads(texts: list[str]) -> np.ndarray:
        wanted = batch if len(texts) > 1 else single
        if torch.get_num_threads() != wanted:
            torch.set_num_threads(wanted)
        return encode(texts)

    return encode_with_threads


def attach_encoder(engine: Engine, settings: Settings) -> QueryEncoder:
    """Route the engine's query encodes through a micro-batcher and cache built from `settings`."""
    encoder = QueryEncoder(
        threads_by_batch(engine.encode_directly, settings),
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

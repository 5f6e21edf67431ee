"""Counters of the query encoder (cache, micro-batches) and the vector index, for operators and the benchmark."""

from __future__ import annotations

from fastapi import APIRouter, Request

from index import vectors as vector_index
from service.deps import EngineDep
from service.schemas import BatchingStatsOut, CacheStatsOut, ErrorOut, IndexStatsOut, StatsOut

router = APIRouter(prefix="/api", tags=["stats"])


@router.get("/stats", response_model=StatsOut, responses={503: {"model": ErrorOut}})
def stats(request: Request, engine: EngineDep) -> StatsOut:
    """Query-embedding cache hits and misses, micro-batch counts and sizes, and the index in use."""
    encoder = request.app.state.query_encoder  # set before the service is ready, which EngineDep waits for
    cache, batches = encoder.cache_stats(), encoder.batch_stats()
    kind = engine.index_type
    return StatsOut(
        cache=CacheStatsOut(
            enabled=cache.capacity > 0, capacity=cache.capacity, size=cache.size, hits=cache.hits,
            misses=cache.misses, hit_rate=round(cache.hit_rate, 4),
        ),
        batching=BatchingStatsOut(
            enabled=batches.enabled, wait_ms=batches.wait_ms, max_batch=batches.max_batch, batches=batches.batches,
            encoded=batches.texts, mean_batch_size=round(batches.mean_batch_size, 3), largest_batch=batches.largest,
        ),
        index=IndexStatsOut(
            type=kind.value,
            passages=engine.size,
            ef_search=engine.config.ef_search if kind is vector_index.IndexType.HNSW else None,
            nprobe=engine.config.nprobe if kind is vector_index.IndexType.IVFPQ else None,
        ),
    )

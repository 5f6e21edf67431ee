"""Counters of the query encoder (cache, micro-batches) and the vector index, for operators and the benchmark."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from index import vectors as vx
from service.deps import EngineDep
from service.schemas import BatchingStatsOut, CacheStatsOut, ErrorOut, IndexStatsOut, StatsOut

router = APIRouter(prefix="/api", tags=["stats"])


@router.get("/stats", response_model=StatsOut, responses={503: {"model": ErrorOut}})
def stats(request: Request, engine: EngineDep) -> StatsOut:
    """Query-embedding cache hits and misses, micro-batch counts and sizes, and the index in use."""
    encoder = request.app.state.query_encoder
    if encoder is None:
        raise HTTPException(status_code=503, detail="The index is still loading; try again in a moment.")
    cache, batches = encoder.cache_stats(), encoder.batch_stats()
    kind = vx.kind_of(engine.index.vectors)
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
            ef_search=engine.config.ef_search if kind is vx.IndexType.HNSW else None,
            nprobe=engine.config.nprobe if kind is vx.IndexType.IVFPQ else None,
        ),
    )

"""Readiness: 200 once a query can be answered, 503 before."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from service.deps import ready_engine
from service.schemas import ErrorOut, HealthOut

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut, responses={503: {"model": ErrorOut}})
def healthz(request: Request) -> HealthOut:
    engine = ready_engine(request)
    if engine is None:
        raise HTTPException(status_code=503, detail="The index is not loaded yet.")
    manifest = engine.manifest
    return HealthOut(
        status="ok", passages=engine.size, documents=manifest.documents, model=manifest.model, built_at=manifest.built_at,
        shards=engine.shard_count,
    )

"""Readiness: 200 once a query can be answered, 503 before."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from service.schemas import ErrorOut, HealthOut

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut, responses={503: {"model": ErrorOut}})
def healthz(request: Request) -> HealthOut:
    engine = request.app.state.engine
    if engine is None or not request.app.state.ready:
        raise HTTPException(status_code=503, detail="The index is not loaded yet.")
    manifest = engine.index.manifest
    return HealthOut(
        status="ok", passages=engine.size, documents=manifest.documents, model=manifest.model, built_at=manifest.built_at
    )

"""Operator endpoints, present only when CITED_ADMIN_KEY is set: reload the index after a rebuild."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request

from index.embed import EmbeddingError
from index.persist import IndexError_
from service.deps import AdminDep, SettingsDep
from service.runtime import attach_encoder, open_engine
from service.schemas import ErrorOut, ReloadOut

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.post("/reload", response_model=ReloadOut, responses={401: {"model": ErrorOut}, 404: {"model": ErrorOut}, 409: {"model": ErrorOut}})
def reload(request: Request, settings: SettingsDep, _: AdminDep) -> ReloadOut:
    """Open the index folder again (after `cited build` or `cited add` published a new build) and swap it in."""
    try:
        engine = open_engine(settings)
    except (IndexError_, EmbeddingError) as exc:
        raise HTTPException(status_code=409, detail=f"The index was not reloaded: {exc}.") from None
    # Requests in flight keep the engine they started with; the old one is closed when they let go of it.
    # The new engine gets its own query encoder: cached vectors belong to the model that made them.
    request.app.state.query_encoder = attach_encoder(engine, settings)
    request.app.state.engine = engine
    log.warning("reloaded the index at %s (%d passages)", settings.index_dir, engine.size)
    return ReloadOut(status="reloaded", passages=engine.size, built_at=engine.index.manifest.built_at)

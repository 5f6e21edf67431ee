"""Operator endpoints, present only when CITED_ADMIN_KEY is set: reload the index after a rebuild."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request

from index.embed import EmbeddingError
from index.manifest import IndexFolderError
from service.deps import AdminDep, SettingsDep
from service.runtime import swap_in
from service.schemas import ErrorOut, ReloadOut

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.post("/reload", response_model=ReloadOut, responses={401: {"model": ErrorOut}, 404: {"model": ErrorOut}, 409: {"model": ErrorOut}})
def reload(request: Request, settings: SettingsDep, _: AdminDep) -> ReloadOut:
    """Open the index folder again (after `cited build` or `cited add` published a new build) and swap it in."""
    try:
        engine = request.app.state.opener(settings)
    except (IndexFolderError, EmbeddingError) as exc:
        raise HTTPException(status_code=409, detail=f"The index was not reloaded: {exc}.") from None
    # The new engine gets its own query encoder: cached vectors belong to the model that made them.
    with request.app.state.swap_lock:
        swap_in(request.app.state, engine, settings)
    log.warning("reloaded the index at %s (%d passages)", settings.index_dir, engine.size)
    return ReloadOut(status="reloaded", passages=engine.size, built_at=engine.manifest.built_at)

"""Dependencies of the routes, as Annotated aliases: the settings, the loaded engine, the templates, the admin check."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from fastapi.templating import Jinja2Templates

from index.engine import Engine
from service.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


NOT_READY = "The index is still loading; try again in a moment."


def ready_engine(request: Request) -> Engine | None:
    """The engine once the service is ready to answer (the lifespan has finished), else None."""
    state = request.app.state
    return state.engine if state.ready else None


def get_engine(request: Request) -> Engine:
    engine = ready_engine(request)
    if engine is None:
        raise HTTPException(status_code=503, detail=NOT_READY)
    return engine


def get_templates(request: Request) -> Jinja2Templates:
    return request.app.state.templates


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]


def require_admin(settings: SettingsDep, x_admin_key: Annotated[str | None, Header()] = None) -> None:
    """Admin endpoints exist only when CITED_ADMIN_KEY is set, and answer only to that key."""
    if settings.admin_key is None:
        raise HTTPException(status_code=404, detail="There is nothing at this address.")
    expected = settings.admin_key.get_secret_value().encode()
    # Header values arrive decoded as Latin-1: encoding them back gives the bytes sent, so a UTF-8 key matches.
    if x_admin_key is None or not secrets.compare_digest(x_admin_key.encode("latin-1"), expected):
        raise HTTPException(status_code=401, detail="The X-Admin-Key header is missing or wrong.")


AdminDep = Annotated[None, Depends(require_admin)]

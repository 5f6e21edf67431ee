"""Dependencies of the routes, as Annotated aliases: the settings, the loaded engine, the templates, and who may
read, write and administer (service/access.py with a keys file; CITED_ADMIN_KEY without one)."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from fastapi.templating import Jinja2Templates

from index.engine import Engine
from service.access import Access, has_scope, needs
from service.keys import Scope
from service.settings import Settings

# The dependencies are coroutines, though none of them waits: FastAPI runs a plain function dependency in its
# thread pool, and each such hand-over to another thread cost a request more than the dependency's own work.


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


NOT_READY = "The index is still loading; try again in a moment."


def ready_engine(request: Request) -> Engine | None:
    """The engine once the service is ready to answer (the lifespan has finished), else None."""
    state = request.app.state
    return state.engine if state.ready else None


async def get_engine(request: Request) -> Engine:
    engine = ready_engine(request)
    if engine is None:
        raise HTTPException(status_code=503, detail=NOT_READY)
    return engine


async def get_templates(request: Request) -> Jinja2Templates:
    return request.app.state.templates


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]


def _keys_file_in_use(request: Request) -> bool:
    return request.app.state.access_control is not None


def _admin_key(settings: Settings, x_admin_key: str | None) -> None:
    """Without a keys file, writing and administering exist only when CITED_ADMIN_KEY is set, and answer only to it."""
    if settings.admin_key is None:
        raise HTTPException(status_code=404, detail="There is nothing at this address.")
    expected = settings.admin_key.get_secret_value().encode()
    # Header values arrive decoded as Latin-1: encoding them back gives the bytes sent, so a UTF-8 key matches.
    if x_admin_key is None or not secrets.compare_digest(x_admin_key.encode("latin-1"), expected):
        raise HTTPException(status_code=401, detail="The X-Admin-Key header is missing or wrong.")


def _scoped(scope: Scope) -> Callable[..., Awaitable[Access]]:
    async def require(request: Request, settings: SettingsDep, x_admin_key: Annotated[str | None, Header()] = None) -> Access:
        if _keys_file_in_use(request):
            return has_scope(request, scope)
        _admin_key(settings, x_admin_key)
        return Access(None, frozenset({Scope.READ, Scope.WRITE, Scope.ADMIN}))

    return require


require_admin = _scoped(Scope.ADMIN)
require_writer = _scoped(Scope.WRITE)
require_reader = needs(Scope.READ)

AdminDep = Annotated[Access, Depends(require_admin)]
WriterDep = Annotated[Access, Depends(require_writer)]
# Who reads: their key's sources restrict every result (OPEN, everything, without a keys file).
ReaderDep = Annotated[Access, Depends(require_reader)]

"""The FastAPI application: JSON API, web pages and OpenAPI docs over one index loaded at start-up."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
import swagger_ui
from fastapi import Depends, FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from index.embed import EmbeddingError
from index.engine import Engine
from index.filters import Filter, FilterUnsupported
from index.manifest import IndexFolderError
from service import errors
from service.access import AccessControl, KeyCheck, needs
from service.deps import require_reader
from service.keys import Scope
from service.memory import HeapTrimmer
from service.middleware import (
    SERVER_READ_LIMIT,
    BodyLimit,
    OneSentenceStartupFailure,
    SecurityHeaders,
    StartupFailure,
    WellFormedRequest,
)
from service.routes import admin, answers, collection, docs, health, library, login, pages, stats
from service.runtime import Follower, attach_encoder, detach_encoder, open_engine
from service.settings import Settings

log = logging.getLogger(__name__)

WEB = Path(__file__).resolve().parent.parent / "web"
SWAGGER_ASSETS = Path(swagger_ui.__file__).resolve().parent / "static"


def _open(settings: Settings, opener: Callable[[Settings], Engine] = open_engine) -> Engine:
    engine = opener(settings)
    engine.search(engine.query("warm up"), k=1)  # the first real query should not pay for lazy initialisation
    return engine


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    # Each request waiting for its encode batch holds a worker thread; anyio's default is 40.
    anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threadpool
    if app.state.engine is None:
        try:
            app.state.engine = await run_in_threadpool(_open, app.state.settings, app.state.opener)
        except (IndexFolderError, EmbeddingError) as exc:
            app.state.startup_error = f"cited cannot serve: {exc}"
            raise StartupFailure(app.state.startup_error) from None
    app.state.query_encoder = attach_encoder(app.state.engine, settings)
    heap_trimmer = HeapTrimmer(settings.trim_heap_s).start()
    # A build published by another process is followed when this process opened the index itself (not over Ray).
    follows = settings.follow_s if app.state.opener is open_engine else 0
    follower = Follower(app.state, settings, follows).start()
    app.state.ready = True
    log.info("serving %d passages from %s", app.state.engine.size, settings.index_dir)
    if app.state.access_control is not None:
        report_keys(app.state.access_control, app.state.engine)
    yield
    app.state.ready = False
    follower.stop()
    heap_trimmer.stop()
    detach_encoder(app.state.engine, app.state.query_encoder)
    app.state.query_encoder.close(timeout=10)


def report_keys(control: AccessControl, engine: Engine) -> None:
    """Say that access control is on, and which keys' sources match no document of the index (a glob such as
    'hr/*' meets only relative sources; documents built from elsewhere have absolute ones, which '*hr/*' meets)."""
    entries = control.keys.entries()
    log.warning("access control: every request needs one of the %d keys in %s", len(entries), control.keys.path)
    for entry in entries:
        if entry.sources is None:
            continue
        try:
            allowed = engine.allowed(Filter.of(sources=entry.sources))
        except FilterUnsupported as exc:
            log.warning("the key '%s' has sources, and its requests are refused: %s", entry.name, exc)
            continue
        if allowed is not None and not allowed.doc_ids:
            log.warning("the sources of the key '%s' (%s) match no document of this index", entry.name, ", ".join(entry.sources))


def create_app(
    settings: Settings | None = None, engine: Engine | None = None, opener: Callable[[Settings], Engine] = open_engine
) -> FastAPI:
    """The app; tests pass an `engine` they built, otherwise the lifespan opens one with `opener` (the index at
    `settings.index_dir` in this process; service/ray_serve.py passes one that reaches shards on a cluster)."""
    settings = settings or Settings()
    app = FastAPI(
        title="cited",
        summary="Answers questions with verbatim, cited passages from your documents.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings, app.state.engine, app.state.ready = settings, engine, False
    app.state.query_encoder = None
    app.state.opener = opener
    app.state.swap_lock = threading.Lock()  # one swap of the served engine at a time (reload, follow, upload)
    app.state.web = WEB
    app.state.templates = Jinja2Templates(directory=WEB / "templates")
    # With a keys file every key is checked here (a file not valid stops the start with its sentence).
    app.state.access_control = AccessControl(settings) if settings.keys_file is not None else None
    errors.install(app)
    app.include_router(health.router)
    app.include_router(pages.assets)
    app.include_router(docs.router)  # the API's description, like /openapi.json: for any key
    for module in (answers, collection, library, pages):
        app.include_router(module.router, dependencies=[Depends(require_reader)])
    # The cache counters would tell one key which questions others asked: with a keys file, for admin keys only.
    app.include_router(stats.router, dependencies=[Depends(needs(Scope.ADMIN))])
    if app.state.access_control is not None:
        app.include_router(login.router)
    # Without a key the admin endpoints do not exist, not even in /openapi.json.
    if settings.admin_key is not None or app.state.access_control is not None:
        app.include_router(admin.router)
        app.include_router(collection.writer)
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")
    app.mount("/docs/assets", StaticFiles(directory=SWAGGER_ASSETS), name="docs-assets")
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"], allow_headers=["Content-Type"]
        )
    app.add_middleware(WellFormedRequest)
    uploads = {("POST", "/api/documents"): settings.max_upload_mb * 1024 * 1024}
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, exceptions=uploads)
    # Outside BodyLimit, which reads a body whole: a client without a key never makes the server take in an upload.
    app.add_middleware(KeyCheck, state=app.state, login_page=login.login_form)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(OneSentenceStartupFailure, state=app.state)
    return app


def serve(settings: Settings) -> None:
    """Run the service with uvicorn on the settings' host and port."""
    import uvicorn

    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, log_level="info", proxy_headers=False,
        # Read long request lines and header blocks whole, so that the app refuses them with 414/431 and a sentence.
        # Only h11 reads that far: with httptools installed (Ray Serve brings it, and it is in the shared environment),
        # uvicorn's "auto" picks it, and a 150 KB request line gets a bare 400. httptools + uvloop were measured beside
        # h11 + asyncio (README, Performance) and gained nothing clear, so the server is pinned to what is tested.
        http="h11", loop="asyncio", h11_max_incomplete_event_size=SERVER_READ_LIMIT,
    )

"""The OpenAPI page at /docs, served from the bundled Swagger UI files (no CDN, no inline script)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from service.deps import TemplatesDep

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request, templates: TemplatesDep) -> Response:
    return templates.TemplateResponse(request, "docs.html", {})

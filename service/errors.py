"""Every error as {"detail": "<one sentence>"}: validation errors, HTTP errors, and (logged) bugs."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from index.filters import FilterUnsupported
from index.sharded import ShardError
from service.middleware import SECURITY_HEADERS
from service.schemas import ErrorOut
from service.validation import sentence

log = logging.getLogger(__name__)


def _where(loc: Sequence[Any]) -> str:
    """('body', 'messages', 2, 'role') -> "messages[2].role"."""
    parts = [p for p in loc if p not in ("body", "query", "path", "header")]
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not str(part).startswith(("function-", "literal[")):
            text += ("." if text else "") + str(part)
    return text


def describe(errors: Sequence[dict[str, Any]]) -> tuple[int, str]:
    """The status and one sentence for the first of pydantic's errors."""
    status, text = _describe(errors)
    return status, sentence(text)


def _describe(errors: Sequence[dict[str, Any]]) -> tuple[int, str]:
    if not errors:
        return 422, "The request is not valid."
    error = errors[0]
    kind, loc, ctx = error.get("type", ""), tuple(error.get("loc", ())), error.get("ctx") or {}
    where = _where(loc)
    origin = "query parameter" if loc and loc[0] == "query" else "path parameter" if loc and loc[0] == "path" else "field"
    field = f"the {origin} '{where}'" if where else "the request body"
    if kind == "json_invalid":
        return 400, f"The request body is not valid JSON ({ctx.get('error', 'parse error')})."
    if kind == "missing":
        if loc == ("body",):
            return 422, "The request body is missing; send a JSON object."
        return 422, f"{field} is missing."
    if kind == "value_error":
        message = str(ctx.get("error", error.get("msg", "")))
        nested = "." in where or "[" in where
        return 422, sentence(f"in {where}: {message}" if nested else message)
    if kind == "int_parsing_size":
        return 422, f"{field} has too many digits to be a whole number this service accepts."
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return 422, f"{field} must be a whole number, not {_shown(error.get('input'))}."
    if kind == "greater_than_equal":
        return 422, f"{field} must be at least {ctx.get('ge')}, not {_shown(error.get('input'))}."
    if kind == "less_than_equal":
        return 422, f"{field} must be at most {ctx.get('le')}, not {_shown(error.get('input'))}."
    if kind in ("string_type", "string_unicode"):
        return 422, f"{field} must be a string, not {_shown(error.get('input'))}."
    if kind == "list_type":
        return 422, f"{field} must be a list, not {_shown(error.get('input'))}."
    if kind in ("model_type", "model_attributes_type", "dict_type") and isinstance(error.get("input"), bytes | bytearray):
        return 422, "The request body must be a JSON object sent with Content-Type: application/json."
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return 422, f"{field} must be a JSON object, not {_shown(error.get('input'))}."
    if kind in ("literal_error", "enum"):
        return 422, f"{field} must be {ctx.get('expected', 'one of the allowed values')}, not {_shown(error.get('input'))}."
    return 422, sentence(f"{field}: {error.get('msg', 'is not valid')}")


def _shown(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value[:40] + ("…" if len(value) > 40 else ""))
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return repr(value)[:40]


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def error_response(request: Request, status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    if wants_html(request):
        templates = request.app.state.templates
        return templates.TemplateResponse(
            request, "error.html", {"status": status, "detail": detail}, status_code=status, headers=headers
        )
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    status, detail = describe(exc.errors())
    return error_response(request, status, detail)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    detail = exc.detail if isinstance(exc.detail, str) else ""
    if exc.status_code == 404 and detail in ("", "Not Found"):
        detail = f"There is nothing at {request.url.path}."
    elif exc.status_code == 400 and detail == "There was an error parsing the body":
        # FastAPI's words for a body json.loads gave up on other than by a syntax error (UTF-8 is checked before).
        detail = "The request body could not be read as JSON: a number has too many digits or the nesting is too deep."
    elif exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow") or (exc.headers or {}).get("allow") or ""
        use = f"; use {allowed.replace(', ', ' or ')}" if allowed else ""
        detail = f"The method {request.method} is not allowed on {request.url.path}{use}."
    return error_response(request, exc.status_code, sentence(detail or "The request failed."), dict(exc.headers or {}))


async def _shard_down(request: Request, exc: ShardError) -> Response:
    # A shard replica died or the cluster is gone: the server's trouble, not the request's, and worth a retry.
    log.warning("a shard did not answer on %s: %s", request.url.path, exc)
    return error_response(request, 503, sentence(str(exc)), {"Retry-After": "1"})


async def _filter_unsupported(request: Request, exc: FilterUnsupported) -> Response:
    return error_response(request, 422, sentence(str(exc)))


async def _bug(request: Request, exc: Exception) -> Response:
    # Only a defect in cited reaches here (all user input is validated first): keep it loud in the log.
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse(
        {"detail": "Something went wrong inside cited; the error has been logged."},
        status_code=500,
        headers=SECURITY_HEADERS,
    )


def _document_sentence_errors(app: FastAPI) -> None:
    """Make the OpenAPI schema tell the truth: a 422 carries {"detail": "<sentence>"}, not FastAPI's error list."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                invalid = operation.get("responses", {}).get("422")
                if invalid is not None:
                    invalid["description"] = "invalid input, explained in one sentence"
                    invalid["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        components.setdefault("ErrorOut", ErrorOut.model_json_schema())
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(ShardError, _shard_down)  # type: ignore[arg-type]
    app.add_exception_handler(FilterUnsupported, _filter_unsupported)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _bug)
    _document_sentence_errors(app)

"""ASGI middleware: security headers on every response, a cap on request bodies, well-formed addresses and
bodies, a one-sentence start-up failure."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_RAW_HEADERS = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in SECURITY_HEADERS.items()]


class SecurityHeaders:
    """Adds the security headers to every HTTP response, error responses included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in _RAW_HEADERS if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _send_json(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuses request bodies over `limit` bytes with 413, by Content-Length and by the bytes actually sent;
    `exceptions` maps (method, path) to the larger limit of an upload endpoint."""

    def __init__(self, app: ASGIApp, limit: int, exceptions: dict[tuple[str, str], int] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.exceptions = exceptions or {}

    @staticmethod
    def _too_large(limit: int) -> str:
        size = f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"
        return f"The request body is larger than {size}, the most this service accepts here."

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.exceptions.get((scope["method"], scope["path"].rstrip("/")), self.limit)
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _send_json(send, 400, "The Content-Length header is not a number.")
                return
            if int(declared) > limit:
                await _send_json(send, 413, self._too_large(limit))
                return
        if scope["method"] in ("GET", "HEAD", "OPTIONS") and declared is None and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)
            return
        # Read the body here, so a chunked or lying client cannot stream more than the limit into the app.
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay(b"", message, receive), send)
                return
            body += message.get("body", b"")
            if len(body) > limit:
                await _send_json(send, 413, self._too_large(limit))
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(bytes(body), None, receive), send)


_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def url_problem(part: str, raw: bytes) -> str | None:
    """Why the raw path or query string is malformed (a bad %-escape, bytes that are not UTF-8), or None."""
    bad = _BAD_ESCAPE.search(raw)
    if bad:
        shown = raw[bad.start() : bad.start() + 3].decode("latin-1")
        return f"The {part} is malformed: '{shown}' is not a percent-escape of two hexadecimal digits."
    try:
        unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return f"The {part} is malformed: its percent-escapes do not decode to UTF-8 text."
    return None


# A request target (path and query string) and a header block over these sizes are refused with 414 and 431:
# no question needs more, and uvicorn is told to read this far (SERVER_READ_LIMIT) so the answer is a sentence
# rather than a dropped connection.
MAX_TARGET_BYTES = 8 * 1024
MAX_HEADER_BYTES = 16 * 1024
SERVER_READ_LIMIT = 1024 * 1024


def size_problem(scope: Scope) -> tuple[int, str] | None:
    """414 or 431 with a sentence when the request line or the header block is over its limit, else None."""
    target = len(scope.get("raw_path") or scope["path"].encode("utf-8")) + len(scope.get("query_string", b""))
    if target > MAX_TARGET_BYTES:
        return 414, f"The address is {target:,} bytes long; this service accepts at most {MAX_TARGET_BYTES:,}."
    headers = sum(len(name) + len(value) + 4 for name, value in scope.get("headers", []))
    if headers > MAX_HEADER_BYTES:
        return 431, f"The request headers take {headers:,} bytes; this service accepts at most {MAX_HEADER_BYTES:,}."
    return None


class WellFormedRequest:
    """Refuses an address or header block over its size limit (414, 431), and with 400 what would otherwise be read
    with replacement characters: a path or query string with a bad percent-escape or non-UTF-8 bytes, and a JSON
    body that is not UTF-8.

    Placed inside `BodyLimit`, so a body it reads is already capped and buffered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        oversized = size_problem(scope)
        if oversized:
            await _send_json(send, *oversized)
            return
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
        problem = url_problem("address", raw_path) or url_problem("query string", scope.get("query_string", b""))
        if problem:
            await _send_json(send, 400, problem)
            return
        content_type = dict(scope.get("headers", [])).get(b"content-type", b"")
        if b"json" not in content_type.lower():
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay(b"", message, receive), send)
                return
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        try:
            bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            await _send_json(send, 400, f"The request body is not UTF-8 text (byte {exc.start} cannot be decoded); JSON must be sent as UTF-8.")
            return
        await self.app(scope, _replay(bytes(body), None, receive), send)


def _replay(body: bytes, first: Message | None, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return first or {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class StartupFailure(Exception):
    """The service cannot start; the message is one sentence for the operator."""


class OneSentenceStartupFailure:
    """Replaces the traceback that Starlette reports for a failed start-up by the failure's own sentence.

    The lifespan stores the sentence in `app.state.startup_error` before raising `StartupFailure`.
    """

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def send_sentence(message: Message) -> None:
            sentence = getattr(self.state, "startup_error", None)
            if message["type"] == "lifespan.startup.failed" and sentence:
                message = {**message, "message": sentence}
            await send(message)

        await self.app(scope, receive, send_sentence)

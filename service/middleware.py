"""ASGI middleware: security headers on every response, a cap on request bodies, a one-sentence start-up failure."""

from __future__ import annotations

import json
from typing import Any

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
    """Refuses request bodies over `limit` bytes with 413, by Content-Length and by the bytes actually sent."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    def _too_large(self) -> str:
        return f"The request body is larger than {self.limit // 1024} KiB, the most this service accepts."

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _send_json(send, 400, "The Content-Length header is not a number.")
                return
            if int(declared) > self.limit:
                await _send_json(send, 413, self._too_large())
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
            if len(body) > self.limit:
                await _send_json(send, 413, self._too_large())
                return
            if not message.get("more_body", False):
                break
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

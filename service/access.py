"""Access control with a keys file (CITED_KEYS_FILE): who is asking, what they may do, and how often.

Deny by default: `KeyCheck`, an ASGI middleware, wants a key on every path but /healthz, /login, /logout and
static files, so a route added later is never open by mistake. It answers 401 (no key, unknown key), 429 (the
key's budget is spent, or this client address sent too many bad keys) and 403 (a request carried by the login
cookie that does not come from this site's pages), and leaves the caller's `Access` in `request.state.access`.
The routes then ask for a scope (`needs`) and read the sources the key may see.

Without a keys file nothing here runs: reading is open and writing answers to CITED_ADMIN_KEY (service/deps.py).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from index.filters import Filter
from service.errors import error_response, wants_html
from service.keys import KeyEntry, KeyRing, digest
from service.keys import Scope as KeyScope
from service.limits import TokenBuckets
from service.settings import Settings

SESSION_COOKIE = "cited_session"
LOGIN_COOKIE = "cited_login"  # the login form's anti-forgery token, compared with the form's hidden field
SESSION_SECONDS = 12 * 3600
OPEN_PATHS = frozenset({"/healthz", "/login", "/logout", "/favicon.ico"})
OPEN_PREFIXES = ("/static/", "/docs/assets/")
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True, slots=True)
class Access:
    """Who is asking. `name` None: there is no keys file (reading is open). `sources` None: every document."""

    name: str | None
    scopes: frozenset[KeyScope]
    sources: tuple[str, ...] | None = None
    csrf: str | None = None  # the logged-in session's form token, for the logout form

    def narrow(self, requested: Filter | None) -> Filter | None:
        """The filter a search runs with: the client's, within the key's sources; the client can narrow, never widen."""
        if self.sources is None:
            return requested
        return Filter.of(sources=self.sources).intersect(requested)


OPEN = Access(None, frozenset({KeyScope.READ}))


def access_of(entry: KeyEntry, csrf: str | None = None) -> Access:
    return Access(entry.name, entry.scopes, entry.sources, csrf)


@dataclass(slots=True)
class Session:
    key_sha256: str
    csrf: str
    expires: float


class Sessions:
    """Logged-in browsers: a random token in the cookie, kept here by its digest with the key's digest.

    The cookie never holds the key; logging out or removing the key from the file ends the session at once. Kept in
    memory: a restart logs everyone out, which is the safe direction."""

    MAX_SESSIONS = 10_000

    def __init__(self, seconds: float = SESSION_SECONDS) -> None:
        self.seconds = seconds
        self._items: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def start(self, entry: KeyEntry) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        session = Session(entry.sha256, secrets.token_urlsafe(24), time.monotonic() + self.seconds)
        with self._lock:
            self._items[digest(token)] = session
            while len(self._items) > self.MAX_SESSIONS:
                self._items.popitem(last=False)
        return token, session

    def find(self, token: str) -> Session | None:
        key = digest(token)
        with self._lock:
            session = self._items.get(key)
            if session is not None and session.expires < time.monotonic():
                del self._items[key]
                return None
            return session

    def end(self, token: str) -> None:
        with self._lock:
            self._items.pop(digest(token), None)


class AccessControl:
    """The keys, the sessions and the budgets of one app."""

    def __init__(self, settings: Settings) -> None:
        assert settings.keys_file is not None
        # CITED_ADMIN_KEY keeps working beside the file, as a key with every scope that sees every document.
        extra = []
        if settings.admin_key is not None:
            master = settings.admin_key.get_secret_value()
            extra.append(KeyEntry("CITED_ADMIN_KEY", digest(master), frozenset(KeyScope), None))
        self.keys = KeyRing(settings.keys_file, extra)
        self.sessions = Sessions()
        self.budgets = TokenBuckets(settings.rate_per_min)
        self.bad_keys = TokenBuckets(settings.bad_keys_per_min)


class Denied(Exception):
    """A request refused before it reaches a route: the status, a sentence, and headers (Retry-After…)."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers or {}


def _unauthorised(detail: str) -> Denied:
    return Denied(401, detail, {"WWW-Authenticate": 'Bearer realm="cited"'})


def _too_many(seconds: int, detail: str) -> Denied:
    return Denied(429, detail, {"Retry-After": str(seconds)})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            # The bytes sent, read as UTF-8 (undecodable bytes kept), so a key compares by exactly what was sent.
            return value.decode("utf-8", "surrogateescape")
    return None


def cookie(request_cookies: dict[str, str], name: str) -> str | None:
    value = request_cookies.get(name)
    return value or None


def presented_key(request: Request) -> str | None:
    """The key a request carries: `Authorization: Bearer KEY`, else `X-Admin-Key: KEY`."""
    authorization = _header(request.scope, b"authorization")
    if authorization is not None:
        scheme, _, key = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise _unauthorised("The Authorization header must be 'Bearer' followed by a key.")
        return key.strip()
    admin = _header(request.scope, b"x-admin-key")
    return admin if admin else None


def client_address(request: Request) -> str:
    """The peer's address. uvicorn runs without proxy headers, so behind a proxy this is the proxy's address."""
    return request.client.host if request.client else "unknown"


def same_site_origin(request: Request) -> bool:
    """Whether an unsafe request names this site as its origin (Origin, else Referer), compared by host and port with
    Host, or with X-Forwarded-Host behind a proxy that rewrites Host (a page of another site cannot set that header
    on a request carrying the cookie: a form cannot, and a script would need a CORS preflight this service refuses)."""
    hosts = {request.headers.get(name, "").split(",")[0].strip().lower() for name in ("host", "x-forwarded-host")} - {""}
    for header in ("origin", "referer"):
        value = request.headers.get(header)
        if value and value != "null":
            return urlsplit(value).netloc.lower() in hosts
    return False


def identify(control: AccessControl, request: Request) -> Access:
    """The caller's Access, or Denied: 401 for no or an unknown key, 429 for a spent budget or too many bad keys."""
    address = client_address(request)
    key = presented_key(request)
    token = None if key is not None else cookie(request.cookies, SESSION_COOKIE)
    if key is None and token is None:
        raise _unauthorised("This service needs a key: send 'Authorization: Bearer KEY', or log in at /login.")
    entries = control.keys.entries()  # read the file again if it changed; the lookups below use this reading
    if control.keys.error is not None:
        raise Denied(503, "The keys file cannot be read, so every key is refused until the operator fixes it.")
    if key is not None:
        wait = control.bad_keys.wait(address)
        if wait:
            raise _too_many(wait, f"Too many unknown keys came from this address; try again in {wait} s.")
    entry, csrf = _entry(control, entries, request, key, token, address)
    wait = control.budgets.take(entry.sha256)
    if wait:
        raise _too_many(wait, f"The key '{entry.name}' has used its budget of requests; try again in {wait} s.")
    return access_of(entry, csrf)


def _entry(
    control: AccessControl, entries: Sequence[KeyEntry], request: Request, key: str | None, token: str | None, address: str
) -> tuple[KeyEntry, str | None]:
    if key is not None:
        entry = control.keys.find(key, entries)
        if entry is None:
            control.bad_keys.take(address)
            raise _unauthorised("The key is not valid.")
        return entry, None
    assert token is not None
    session = control.sessions.find(token)
    entry = control.keys.by_digest(session.key_sha256, entries) if session is not None else None
    if session is None or entry is None:
        raise _unauthorised("Your login has ended; log in again at /login.")
    if request.method in _UNSAFE and not same_site_origin(request):
        raise Denied(403, "A request made with the login cookie must come from this site's own pages.")
    return entry, session.csrf


def exempt(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


LoginPage = Callable[[Request, int, str], Response]


class KeyCheck:
    """Every request but those to `exempt` paths is identified before any route runs (deny by default). A page
    asked for without a key gets `login_page` (status 401), which brings the browser back here after logging in."""

    def __init__(self, app: ASGIApp, state: object, login_page: LoginPage) -> None:
        self.app = app
        self.state = state
        self.login_page = login_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        control: AccessControl | None = getattr(self.state, "access_control", None)
        # OPTIONS carries no credentials (a CORS preflight) and reads nothing: the CORS middleware or a 405 answers.
        if scope["type"] != "http" or control is None or scope["method"] == "OPTIONS" or exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            access = identify(control, request)
        except Denied as denied:
            await self._denied(request, denied)(scope, receive, send)
            return
        scope.setdefault("state", {})["access"] = access
        await self.app(scope, receive, send)


    def _denied(self, request: Request, denied: Denied) -> Response:
        if denied.status == 401 and wants_html(request):
            query = request.url.query
            return self.login_page(request, 401, request.url.path + (f"?{query}" if query else ""))
        return error_response(request, denied.status, denied.detail, denied.headers)


def current(request: Request) -> Access:
    """The Access the middleware left on the request; OPEN when there is no keys file."""
    access = getattr(request.state, "access", None)
    if access is not None:
        return access
    if request.app.state.access_control is not None:  # an exempt path asked for a scope: never open by default
        raise HTTPException(401, "This service needs a key.")
    return OPEN


def has_scope(request: Request, scope: KeyScope) -> Access:
    """The caller's Access, if its key has `scope`; 403 otherwise."""
    access = current(request)
    if access.name is not None and scope not in access.scopes:
        raise HTTPException(403, f"The key '{access.name}' may not do this; it needs the '{scope.value}' scope.")
    return access


def needs(scope: KeyScope) -> Callable[[Request], Awaitable[Access]]:
    """A dependency: `has_scope`. A coroutine, though it never waits: FastAPI runs a plain function dependency in
    its thread pool, a hand-over to another thread per dependency per request (issue 13)."""

    async def check(request: Request) -> Access:
        return has_scope(request, scope)

    return check

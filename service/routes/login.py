"""The login and logout pages of access control, present only with a keys file (CITED_KEYS_FILE).

A browser logs in once with its key; the cookie then holds a session token (never the key): HttpOnly, so no script
reads it; SameSite=Strict, so no other site's page sends it; Secure when the request came over HTTPS, directly or
through a proxy that says so in X-Forwarded-Proto (that header can only add Secure, never take it away). Both forms
carry a token of their own, compared with a cookie (login) or the session (logout), so no other site can post them.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.access import LOGIN_COOKIE, SESSION_COOKIE, AccessControl, Denied, client_address, cookie
from service.errors import error_response

router = APIRouter(tags=["pages"], include_in_schema=False, default_response_class=HTMLResponse)

MAX_FORM_BYTES = 8 * 1024


def over_https(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def safe_next(path: str | None) -> str:
    """Where to go after logging in: a path on this site only (never '//host' or a full URL), else the search page."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path or any(c < " " for c in path):
        return "/"
    return path


def login_form(request: Request, status: int = 200, next_path: str = "/", message: str | None = None) -> Response:
    """The form, with a fresh anti-forgery token in a hidden field and in a cookie only this site's POST sends back."""
    token = secrets.token_urlsafe(24)
    context = {"csrf": token, "next": safe_next(next_path), "message": message}
    response = request.app.state.templates.TemplateResponse(request, "login.html", context, status_code=status)
    response.set_cookie(
        LOGIN_COOKIE, token, path="/login", httponly=True, samesite="strict", secure=over_https(request)
    )
    return response


def _control(request: Request) -> AccessControl:
    return request.app.state.access_control


async def _form(request: Request) -> dict[str, str]:
    """The fields of an application/x-www-form-urlencoded body (one value each); at most 8 KiB are read."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


def _token_matches(sent: str | None, expected: str | None) -> bool:
    return bool(sent) and bool(expected) and hmac.compare_digest(str(sent), str(expected))


@router.get("/login")
def login_page(request: Request, next: Annotated[str, Query()] = "/") -> Response:
    return login_form(request, 200, next)


@router.post("/login")
async def login(request: Request) -> Response:
    control = _control(request)
    fields = await _form(request)
    next_path = safe_next(fields.get("next"))
    if not _token_matches(fields.get("csrf"), cookie(request.cookies, LOGIN_COOKIE)):
        return login_form(request, 403, next_path, "The form had expired or came from another site; log in again.")
    address = client_address(request)
    wait = control.bad_keys.wait(address)
    if wait:
        denied = Denied(429, f"Too many unknown keys came from this address; try again in {wait} s.", {"Retry-After": str(wait)})
        return error_response(request, denied.status, denied.detail, denied.headers)
    control.keys.entries()
    entry = control.keys.find(fields.get("key", "").strip()) if control.keys.error is None else None
    if entry is None:
        control.bad_keys.take(address)
        return login_form(request, 401, next_path, "That key is not valid.")
    token, _ = control.sessions.start(entry)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(SESSION_COOKIE, token, path="/", httponly=True, samesite="strict", secure=over_https(request))
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """Ends the session (the cookie's token is forgotten by the server) and clears the cookie."""
    control = _control(request)
    token = cookie(request.cookies, SESSION_COOKIE)
    session = control.sessions.find(token) if token else None
    if session is not None:
        fields = await _form(request)
        if not _token_matches(fields.get("csrf"), session.csrf):
            return error_response(request, 403, "The logout form came from another site; you are still logged in.")
        control.sessions.end(token)  # type: ignore[arg-type]
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=over_https(request))
    return response

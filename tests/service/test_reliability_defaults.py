"""Defaults that let no one in: loopback only, no CORS unless configured, security headers on every page and
every error (a 500 included), and admin endpoints that do not exist without a key and compare it in constant time."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cli.main import build_parser
from index.engine import Engine
from service import deps
from service.app import create_app
from service.middleware import CONTENT_SECURITY_POLICY
from service.settings import Settings

HTML = {"accept": "text/html"}


def _check_security_headers(headers) -> None:
    csp = headers["content-security-policy"]
    assert csp == CONTENT_SECURITY_POLICY
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'" and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"


@pytest.fixture(scope="module")
def keyed(small_index: Path, small_engine: Engine) -> Iterator[TestClient]:
    settings = Settings(index_dir=small_index, admin_key="k3y", model="hashing-bow")
    with TestClient(create_app(settings, engine=small_engine), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def buggy(small_index: Path, small_engine: Engine) -> Iterator[TestClient]:
    """The app with one route that fails inside: the 500 it answers must carry the headers too."""
    app: FastAPI = create_app(Settings(index_dir=small_index), engine=small_engine)

    @app.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("a defect")

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _passage_id(client: TestClient) -> str:
    return client.get("/api/search", params={"q": "bees"}).json()["results"][0]["passage_id"]


RESPONSES = {
    "home": ("GET", "/", {}, None, 200),
    "search page": ("GET", "/?q=bees", {}, None, 200),
    "chat page": ("GET", "/chat", {}, None, 200),
    "api docs": ("GET", "/docs", {}, None, 200),
    "openapi": ("GET", "/openapi.json", {}, None, 200),
    "static": ("GET", "/static/chat.js", {}, None, 200),
    "favicon": ("GET", "/favicon.ico", {}, None, 200),
    "search": ("GET", "/api/search?q=bees", {}, None, 200),
    "healthz": ("GET", "/healthz", {}, None, 200),
    "stats": ("GET", "/api/stats", {}, None, 200),
    "404 json": ("GET", "/api/nothing", {}, None, 404),
    "404 page": ("GET", "/nothing", HTML, None, 404),
    "404 passage page": ("GET", "/passages/p-0000000000000000", HTML, None, 404),
    "405": ("DELETE", "/api/search", {}, None, 405),
    "405 page": ("POST", "/chat", HTML, None, 405),
    "413": ("POST", "/api/ask", {"content-type": "application/json"}, b"x" * 70_000, 413),
    "400 json": ("POST", "/api/ask", {"content-type": "application/json"}, b"{bad", 400),
    "400 utf-8": ("POST", "/api/ask", {"content-type": "application/json"}, b'{"question": "\xff"}', 400),
    "400 query string": ("GET", "/api/search?q=%zz", {}, None, 400),
    "400 content-length": ("POST", "/api/ask", {"content-length": "abc"}, b"{}", 400),
    "422 json": ("GET", "/api/search?q=", {}, None, 422),
    "422 page": ("GET", "/?q=a%00b", HTML, None, 422),
    "404 admin without key": ("POST", "/api/admin/reload", {}, None, 404),
}


@pytest.mark.parametrize("name", RESPONSES)
def test_security_headers_on_every_page_and_error(client: TestClient, name: str) -> None:
    method, url, headers, body, status = RESPONSES[name]
    response = client.request(method, url, headers=headers, content=body)
    assert response.status_code == status, response.text[:200]
    _check_security_headers(response.headers)


def test_security_headers_on_the_passage_page(client: TestClient) -> None:
    response = client.get(f"/passages/{_passage_id(client)}")
    assert response.status_code == 200
    _check_security_headers(response.headers)


def test_security_headers_on_401_and_admin_success(keyed: TestClient) -> None:
    _check_security_headers(keyed.post("/api/admin/reload").headers)
    _check_security_headers(keyed.post("/api/admin/reload", headers={"x-admin-key": "k3y"}).headers)


def test_security_headers_on_503(small_index: Path) -> None:
    response = TestClient(create_app(Settings(index_dir=small_index))).get("/api/search", params={"q": "bees"})
    assert response.status_code == 503
    _check_security_headers(response.headers)


def test_a_500_is_a_sentence_with_the_security_headers(buggy: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    response = buggy.get("/api/boom")
    assert response.status_code == 500
    assert response.json() == {"detail": "Something went wrong inside cited; the error has been logged."}
    assert "a defect" not in response.text  # the cause goes to the log, not to the client
    _check_security_headers(response.headers)


# -- bind address --------------------------------------------------------------------------------


def test_serve_binds_loopback_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CITED_HOST", raising=False)
    args = build_parser().parse_args(["serve"])
    assert args.host is None  # so the setting decides
    assert Settings().host == "127.0.0.1"
    # tests/service/test_reliability_live.py checks the real listening socket in /proc/net/tcp.


# -- CORS ------------------------------------------------------------------------------------------

PREFLIGHT = {"origin": "https://app.example", "access-control-request-method": "GET"}


def test_no_cors_by_default_not_even_on_a_preflight(client: TestClient) -> None:
    for response in (
        client.get("/api/search", params={"q": "bees"}, headers={"origin": "https://app.example"}),
        client.options("/api/search", headers=PREFLIGHT),
        client.post("/api/ask", json={"question": "bees"}, headers={"origin": "https://app.example"}),
    ):
        assert not any(h.startswith("access-control-") for h in response.headers), response.headers


def test_cors_answers_an_allowed_origin_only(small_index: Path, small_engine: Engine) -> None:
    settings = Settings(index_dir=small_index, cors_origins="https://app.example")
    with TestClient(create_app(settings, engine=small_engine)) as cors:
        allowed = cors.get("/api/search", params={"q": "bees"}, headers={"origin": "https://app.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        assert "access-control-allow-credentials" not in allowed.headers
        preflight = cors.options("/api/search", headers=PREFLIGHT)
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://app.example"
        assert set(preflight.headers["access-control-allow-methods"].replace(" ", "").split(",")) == {"GET", "POST"}
        for origin in ("https://evil.example", "null", "https://app.example.evil.example", "http://app.example"):
            refused = cors.get("/api/search", params={"q": "bees"}, headers={"origin": origin})
            assert "access-control-allow-origin" not in refused.headers, origin
            bad_preflight = cors.options("/api/search", headers={**PREFLIGHT, "origin": origin})
            assert bad_preflight.headers.get("access-control-allow-origin") != origin
        _check_security_headers(preflight.headers)


# -- admin ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
def test_admin_endpoints_do_not_exist_without_a_key(client: TestClient, method: str) -> None:
    response = client.request(method, "/api/admin/reload", headers={"x-admin-key": ""})
    assert response.status_code == 404
    assert response.json()["detail"] == "There is nothing at /api/admin/reload."


def test_admin_endpoints_are_not_advertised_without_a_key(client: TestClient, keyed: TestClient) -> None:
    assert "/api/admin/reload" not in client.get("/openapi.json").json()["paths"]
    assert "/api/admin/reload" in keyed.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_a_blank_key_is_no_key(small_index: Path, small_engine: Engine, blank: str) -> None:
    with TestClient(create_app(Settings(index_dir=small_index, admin_key=blank), engine=small_engine)) as app:
        assert app.post("/api/admin/reload", headers={"x-admin-key": blank}).status_code == 404


def test_the_key_is_compared_in_constant_time(keyed: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    assert deps.secrets.compare_digest is hmac.compare_digest  # secrets re-exports hmac's constant-time compare
    seen: list[tuple[bytes, bytes]] = []

    def spy(a: bytes, b: bytes) -> bool:
        seen.append((a, b))
        return hmac.compare_digest(a, b)

    monkeypatch.setattr(deps.secrets, "compare_digest", spy)
    assert keyed.post("/api/admin/reload", headers={"x-admin-key": "nope"}).status_code == 401
    assert keyed.post("/api/admin/reload", headers={"x-admin-key": "k3y"}).status_code == 200
    assert seen == [(b"nope", b"k3y"), (b"k3y", b"k3y")]


@pytest.mark.parametrize("key", ["k3y ", " k3y", "K3Y", "k3y\u00e9", "k3", "k3yk3y", ""])
def test_near_misses_of_the_key_are_refused(keyed: TestClient, key: str) -> None:
    response = keyed.post("/api/admin/reload", headers={"x-admin-key": key.encode("utf-8")})
    assert response.status_code == 401


def test_a_key_beyond_ascii_works(small_index: Path, small_engine: Engine) -> None:
    # Header values reach the app decoded as Latin-1; the key must be compared as the UTF-8 bytes that were sent.
    settings = Settings(index_dir=small_index, admin_key="clé-ключ", model="hashing-bow")
    with TestClient(create_app(settings, engine=small_engine)) as app:
        assert app.post("/api/admin/reload", headers={"x-admin-key": "clé-ключ".encode()}).status_code == 200
        assert app.post("/api/admin/reload", headers={"x-admin-key": "cle-ключ".encode()}).status_code == 401

"""Access control over HTTP: keys, scopes, budgets, the login cookie and its forms, and keys kept out of logs.

What each key sees of the documents is tested in test_access_scopes.py."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from http.cookies import SimpleCookie

import httpx
import pytest
from access_helpers import AccessSetup, bearer, build_access_setup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Mount

from index.engine import Engine
from service.access import LOGIN_COOKIE, OPEN_PATHS, SESSION_COOKIE, exempt
from service.app import create_app
from service.keys import add_key, remove_key
from service.settings import Settings

QUESTION = "how many days of paid holiday does an employee receive"
HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def access_setup(tmp_path_factory: pytest.TempPathFactory) -> AccessSetup:
    return build_access_setup(tmp_path_factory.mktemp("access"))


@pytest.fixture(scope="module")
def engine(access_setup: AccessSetup) -> Iterator[Engine]:
    opened = Engine.open(access_setup.index)
    yield opened
    opened.close()


def make_app(setup: AccessSetup, engine: Engine, **settings: object) -> FastAPI:
    base = {"index_dir": setup.index, "keys_file": setup.keys_file, "model": "hashing-bow", "rate_per_min": 100_000, "bad_keys_per_min": 1000}
    return create_app(Settings(**{**base, **settings}), engine=engine)  # type: ignore[arg-type]


@pytest.fixture
def client(access_setup: AccessSetup, engine: Engine) -> Iterator[TestClient]:
    """A fresh app per test: budgets, sessions and bad-key counts start empty."""
    with TestClient(make_app(access_setup, engine), raise_server_exceptions=False) as test_client:
        yield test_client


def routes(app: FastAPI) -> Iterator[tuple[str, set[str]]]:
    """(path, methods) of every route but the static mounts; FastAPI keeps an included router's routes inside it."""
    for route in app.routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            prefix = route.include_context.prefix  # type: ignore[attr-defined]
            yield from ((prefix + r.path, set(r.methods)) for r in included.routes)
        elif not isinstance(route, Mount):
            yield route.path, set(getattr(route, "methods", None) or {"GET"})  # type: ignore[attr-defined]


def operations(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the app serves, with made-up ids for the path parameters."""
    filled = {"{passage_id}": "p-0123456789abcdef", "{doc_id}": "d-0123456789abcdef"}
    found = []
    for path, methods in routes(app):
        for name, value in filled.items():
            path = path.replace(name, value)
        found.extend((method, path) for method in sorted(methods - {"HEAD"}))
    return found


def send(client: TestClient, method: str, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    """The request a client of that path would send: JSON to the API, a browser's Accept to the pages."""
    body = {"question": QUESTION, "messages": [{"role": "user", "content": QUESTION}]} if method == "POST" else None
    accept = {} if path.startswith("/api/") or path == "/openapi.json" else HTML
    return client.request(method, path, json=body, headers={**accept, **(headers or {})})


def test_every_path_but_health_login_and_static_files_needs_a_key(client: TestClient) -> None:
    ops = operations(client.app)  # type: ignore[arg-type]
    guarded = [(m, p) for m, p in ops if not exempt(p)]
    assert {p for _, p in guarded} >= {"/api/search", "/api/ask", "/api/chat", "/", "/chat", "/docs", "/openapi.json", "/api/admin/reload"}
    for method, path in guarded:
        response = send(client, method, path)
        assert response.status_code == 401, (method, path, response.text)
        if path.startswith("/api/") or path == "/openapi.json":
            assert "needs a key" in response.json()["detail"]
            assert response.headers["www-authenticate"].startswith("Bearer")
        else:  # a page shows the login form in place, to come back to after logging in
            assert 'action="/login"' in response.text and f'name="next" value="{path}"' in response.text
        unknown = send(client, method, path, bearer("not-a-key"))
        assert unknown.status_code == 401, (method, path)
    for path in ("/healthz", "/login", "/static/style.css", "/favicon.ico", "/docs/assets/swagger-ui.css"):
        assert client.get(path).status_code == 200, path
    assert set(OPEN_PATHS) == {"/healthz", "/login", "/logout", "/favicon.ico"}


@pytest.mark.parametrize(
    ("name", "method", "path", "status"),
    [
        ("everything", "GET", "/api/search?q=holiday", 200),
        ("writer", "GET", "/api/search?q=holiday", 403),
        ("ops", "POST", "/api/ask", 403),
        ("everything", "POST", "/api/admin/reload", 403),
        ("ops", "POST", "/api/admin/reload", 200),
        ("ops", "GET", "/api/stats", 200),
        ("everything", "GET", "/api/stats", 403),  # cache counters would tell which questions others asked
        ("ops", "GET", "/openapi.json", 200),  # any key reads the API's description
        ("writer", "GET", "/docs", 200),
    ],
)
def test_a_key_does_what_its_scopes_allow(access_setup: AccessSetup, client: TestClient, name: str, method: str, path: str, status: int) -> None:
    response = send(client, method, path, bearer(access_setup.keys[name]))
    assert response.status_code == status, response.text
    if status == 403:
        assert f"The key '{name}' may not do this" in response.json()["detail"]


def test_an_upload_without_a_key_is_refused_before_its_body_is_read(access_setup: AccessSetup, engine: Engine) -> None:
    """401, not the 413 that reading the 3 MB body against the 1 MB upload limit would give."""
    with TestClient(make_app(access_setup, engine, max_upload_mb=1)) as client:
        body = b"x" * (3 * 1024 * 1024)
        response = client.post("/api/documents", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 401
        writer = bearer(access_setup.keys["writer"])
        assert client.post("/api/documents", content=body, headers={"content-type": "application/json", **writer}).status_code == 413


def test_x_admin_key_carries_a_key_too_and_a_malformed_authorization_is_refused(access_setup: AccessSetup, client: TestClient) -> None:
    assert client.post("/api/admin/reload", headers={"X-Admin-Key": access_setup.keys["ops"]}).status_code == 200
    assert client.post("/api/admin/reload", headers={"X-Admin-Key": "wrong"}).status_code == 401
    basic = client.get("/api/search", params={"q": "holiday"}, headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert basic.status_code == 401 and "Bearer" in basic.json()["detail"]


def test_cited_admin_key_beside_a_keys_file_is_a_key_with_every_scope(access_setup: AccessSetup, engine: Engine) -> None:
    with TestClient(make_app(access_setup, engine, admin_key="operator-secret")) as client:
        assert client.post("/api/admin/reload", headers={"X-Admin-Key": "operator-secret"}).status_code == 200
        assert client.get("/api/search", params={"q": "holiday"}, headers=bearer("operator-secret")).status_code == 200


def test_without_a_keys_file_reading_is_open_and_there_is_no_login(access_setup: AccessSetup, engine: Engine) -> None:
    with TestClient(make_app(access_setup, engine, keys_file=None)) as client:
        assert client.get("/api/search", params={"q": "holiday"}).status_code == 200
        assert client.get("/", params={"q": "holiday"}).status_code == 200
        assert client.get("/api/stats").status_code == 200
        assert client.get("/login").status_code == 404
        assert client.post("/api/admin/reload").status_code == 404  # no CITED_ADMIN_KEY: no admin endpoints


# -- budgets -------------------------------------------------------------------------------------


def test_a_key_over_its_budget_gets_429_with_retry_after_and_other_keys_do_not(access_setup: AccessSetup, engine: Engine) -> None:
    with TestClient(make_app(access_setup, engine, rate_per_min=3)) as client:
        public, hr = bearer(access_setup.keys["public"]), bearer(access_setup.keys["hr"])
        assert [client.get("/api/search", params={"q": "holiday"}, headers=public).status_code for _ in range(3)] == [200] * 3
        refused = client.get("/api/search", params={"q": "holiday"}, headers=public)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 20  # 3 a minute: one token every 20 s
        assert "budget" in refused.json()["detail"]
        assert client.get("/api/search", params={"q": "holiday"}, headers=hr).status_code == 200


def test_an_address_sending_bad_keys_is_slowed_down_even_with_a_good_key(access_setup: AccessSetup, engine: Engine) -> None:
    app = make_app(access_setup, engine, bad_keys_per_min=4)
    good = bearer(access_setup.keys["public"])
    with TestClient(app, client=("203.0.113.7", 4000)) as guesser, TestClient(app, client=("198.51.100.2", 4000)) as other:
        assert [guesser.get("/api/search", params={"q": "x"}, headers=bearer(f"guess-{i}")).status_code for i in range(4)] == [401] * 4
        refused = guesser.get("/api/search", params={"q": "x"}, headers=good)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert other.get("/api/search", params={"q": "x"}, headers=good).status_code == 200
        guesser.get("/login")
        form = {"key": "guess", "csrf": guesser.cookies[LOGIN_COOKIE], "next": "/"}
        assert guesser.post("/login", data=form, follow_redirects=False).status_code == 429


# -- the login cookie ----------------------------------------------------------------------------


def log_in(client: TestClient, key: str, next_path: str = "/", **headers: str) -> httpx.Response:
    """The login form fetched and posted back, as a browser does (its anti-forgery cookie sent even when Secure)."""
    token = cookie_flags(client.get("/login", headers=headers), LOGIN_COOKIE)["value"]
    form = {"key": key, "csrf": token, "next": next_path}
    return client.post("/login", data=form, headers={**headers, "cookie": f"{LOGIN_COOKIE}={token}"}, follow_redirects=False)


def cookie_flags(response: httpx.Response, name: str) -> dict[str, str | bool]:
    for header in response.headers.get_list("set-cookie"):
        parsed = SimpleCookie()
        parsed.load(header)
        if name in parsed:
            morsel = parsed[name]
            return {"value": morsel.value, **{k: v for k, v in morsel.items() if v}}
    raise AssertionError(f"no Set-Cookie for {name}")


def test_login_sets_an_httponly_samesite_strict_cookie_that_is_not_the_key(access_setup: AccessSetup, client: TestClient) -> None:
    key = access_setup.keys["public"]
    response = log_in(client, key, "/?q=holiday")
    assert response.status_code == 303 and response.headers["location"] == "/?q=holiday"
    flags = cookie_flags(response, SESSION_COOKIE)
    assert flags["httponly"] is True and str(flags["samesite"]).lower() == "strict" and flags["path"] == "/"
    assert "secure" not in flags  # plain HTTP: a Secure cookie would never come back
    assert flags["value"] != key and key not in response.headers.get("set-cookie", "")
    page = client.get("/", params={"q": QUESTION})
    assert page.status_code == 200 and 'action="/logout"' in page.text
    assert client.post("/api/ask", json={"question": QUESTION}, headers={"origin": "http://testserver"}).status_code == 200


@pytest.mark.parametrize(("base_url", "headers"), [("https://testserver", {}), ("http://testserver", {"x-forwarded-proto": "https"})])
def test_the_cookie_is_secure_over_https_and_behind_a_proxy_that_says_so(
    access_setup: AccessSetup, engine: Engine, base_url: str, headers: dict[str, str]
) -> None:
    with TestClient(make_app(access_setup, engine), base_url=base_url) as client:
        response = log_in(client, access_setup.keys["public"], **headers)
        assert cookie_flags(response, SESSION_COOKIE)["secure"] is True
        assert cookie_flags(client.get("/login", headers=headers), LOGIN_COOKIE)["secure"] is True


def test_logout_ends_the_session_on_the_server_too(access_setup: AccessSetup, client: TestClient) -> None:
    log_in(client, access_setup.keys["public"])
    token = client.cookies[SESSION_COOKIE]
    page = client.get("/")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    assert client.post("/logout", data={"csrf": "forged"}, headers={"origin": "http://testserver"}).status_code == 403
    assert client.get("/").status_code == 200  # still logged in
    response = client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert cookie_flags(response, SESSION_COOKIE)["value"] == ""
    client.cookies.clear()
    replayed = client.get("/api/search", params={"q": "holiday"}, cookies={SESSION_COOKIE: token})
    assert replayed.status_code == 401 and "log in again" in replayed.json()["detail"]


def test_forms_and_cookie_requests_from_another_site_are_refused(access_setup: AccessSetup, client: TestClient) -> None:
    key = access_setup.keys["public"]
    # A login posted by another site carries no login cookie (SameSite=Strict) or a token it cannot know.
    forged = client.post("/login", data={"key": key, "csrf": "guessed", "next": "/"}, follow_redirects=False)
    assert forged.status_code == 403 and SESSION_COOKIE not in client.cookies
    log_in(client, key)
    evil = client.post("/api/ask", json={"question": QUESTION}, headers={"origin": "https://evil.example"})
    assert evil.status_code == 403 and "own pages" in evil.json()["detail"]
    assert client.post("/api/ask", json={"question": QUESTION}).status_code == 403  # no Origin, no Referer
    proxied = {"origin": "https://cited.example", "x-forwarded-host": "cited.example"}  # a proxy rewrote Host
    assert client.post("/api/ask", json={"question": QUESTION}, headers=proxied).status_code == 200
    client.cookies.clear()
    assert client.post("/api/ask", json={"question": QUESTION}, headers=bearer(key)).status_code == 200  # not ambient


def test_a_wrong_key_at_login_shows_the_form_again_and_next_stays_on_this_site(access_setup: AccessSetup, client: TestClient) -> None:
    response = log_in(client, "wrong")
    assert response.status_code == 401 and "That key is not valid." in response.text
    assert log_in(client, access_setup.keys["public"], "//evil.example/x").headers["location"] == "/"
    assert log_in(client, access_setup.keys["public"], "https://evil.example/").headers["location"] == "/"


# -- the keys file changing under a running server -----------------------------------------------


def test_a_removed_key_is_refused_at_once_and_its_sessions_end(access_setup: AccessSetup, engine: Engine, tmp_path) -> None:
    keys_file = tmp_path / "keys.toml"
    _, key = add_key(keys_file, "temp", ["read"], None)
    with TestClient(make_app(access_setup, engine, keys_file=keys_file)) as client:
        assert client.get("/api/search", params={"q": "holiday"}, headers=bearer(key)).status_code == 200
        log_in(client, key)
        assert client.get("/").status_code == 200
        remove_key(keys_file, "temp")
        assert client.get("/api/search", params={"q": "holiday"}, headers=bearer(key)).status_code == 401
        assert client.get("/api/search", params={"q": "holiday"}).status_code == 401  # the cookie's session too
        _, added = add_key(keys_file, "added", ["read"], None)
        assert client.get("/api/search", params={"q": "holiday"}, headers=bearer(added)).status_code == 200
        keys_file.write_text("[[key]]\nname = 'broken'\n")
        broken = client.get("/api/search", params={"q": "holiday"}, headers=bearer(added))
        assert broken.status_code == 503 and "keys file" in broken.json()["detail"]


def test_the_start_names_keys_whose_sources_match_no_document(
    access_setup: AccessSetup, engine: Engine, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    keys_file = tmp_path / "keys.toml"
    add_key(keys_file, "relative", ["read"], ["hr/*"])  # the index holds absolute sources: this meets none
    add_key(keys_file, "anywhere", ["read"], ["*hr/*"])
    with caplog.at_level(logging.WARNING), TestClient(make_app(access_setup, engine, keys_file=keys_file)):
        pass
    assert "every request needs one of the 2 keys" in caplog.text
    assert "the sources of the key 'relative' (hr/*) match no document" in caplog.text
    assert "'anywhere'" not in caplog.text


def test_a_keys_file_that_is_not_valid_stops_the_start_with_a_sentence(access_setup: AccessSetup, tmp_path) -> None:
    bad = tmp_path / "keys.toml"
    bad.write_text("[[key]]\nname = 'x'\nsha256 = 'short'\nscopes = ['read']\n")
    with pytest.raises(ValueError, match="needs sha256"):
        create_app(Settings(index_dir=access_setup.index, keys_file=bad))


# -- keys stay secret ----------------------------------------------------------------------------


def test_keys_appear_in_no_log_and_no_response(access_setup: AccessSetup, engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secrets_sent = [*access_setup.keys.values(), "wrong-key-0123456789", "operator-secret-key"]
    seen: list[str] = []
    app = make_app(access_setup, engine, rate_per_min=4, bad_keys_per_min=3, admin_key="operator-secret-key")
    with TestClient(app, raise_server_exceptions=False) as client:
        for key in secrets_sent:
            for method, path in operations(app):
                response = send(client, method, path, bearer(key))
                seen.append(response.text + str(response.headers))
        for key in secrets_sent:
            response = log_in(client, key)
            seen.append(response.text + str(response.headers))
        seen.append(client.post("/api/admin/reload", headers={"X-Admin-Key": "wrong-key-0123456789"}).text)
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    statuses = " ".join(seen)
    assert "429" in statuses or "budget" in statuses  # the budgets and the bad-key limit were reached along the way
    for key in secrets_sent:
        assert key not in logged
        assert not any(key in text for text in seen)

"""Chromium over `cited serve` with a keys file: a page asked for without a key shows the login form, logging in
brings the browser back to it, the cookie is HttpOnly and SameSite=Strict, the pages show only the key's
documents, chat works through the cookie, and logging out ends it all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from access_helpers import PUBLIC_ONLY, SALARY, SHARED, AccessSetup, build_access_setup

from service.access import SESSION_COOKIE

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> AccessSetup:
    return build_access_setup(tmp_path_factory.mktemp("access-browser"))


@pytest.fixture(scope="module")
def server(setup: AccessSetup, start_server) -> Iterator[str]:
    env = {"CITED_MODEL": "hashing-bow", "CITED_KEYS_FILE": str(setup.keys_file)}
    started = start_server(setup.index, env=env, name="access-server")
    yield started.url
    started.stop()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    new = context.new_page()
    errors: list[str] = []
    new.on("pageerror", lambda error: errors.append(str(error)))
    # A 401 page is reported as a failed load; any other console error (a CSP violation) is a fault.
    new.on("console", lambda m: m.type == "error" and "401" not in m.text and errors.append(m.text))
    yield new
    context.close()
    assert errors == [], f"the page logged errors: {errors}"


def test_login_search_chat_logout(page: Page, setup: AccessSetup) -> None:
    page.goto("/?q=office+opening+hours")
    assert page.locator("#login-heading").inner_text() == "Log in"
    page.get_by_label("Key").fill("not a key")
    page.get_by_role("button", name="Log in").click()
    assert "That key is not valid." in page.locator(".alert-error").inner_text()

    page.get_by_label("Key").fill(setup.keys["public"])
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    assert page.url.endswith("/?q=office+opening+hours")  # back where the browser was going
    assert PUBLIC_ONLY in page.locator(".cards").inner_text()
    (cookie,) = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    assert cookie["value"] != setup.keys["public"]
    assert page.evaluate("() => document.cookie").find(SESSION_COOKIE) == -1  # no script can read it
    page.screenshot(path=str(ARTIFACTS / "access-search.png"), full_page=True)

    page.set_viewport_size({"width": 375, "height": 740})  # the header's five links (Log out too) still fit
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    page.set_viewport_size({"width": 1280, "height": 1000})

    page.goto("/documents")
    listed = page.locator("main").inner_text()
    assert "Staff handbook" in listed and "Salary review" not in listed and "Disciplinary notes" not in listed

    page.goto("/chat")  # the chat page's requests to /api/chat go with the cookie
    page.get_by_label("Your question").fill("how many days of paid holiday")
    page.get_by_label("Your question").press("Enter")
    answer = page.locator(".msg-assistant:not(.thinking)").first
    answer.wait_for()
    assert SHARED[:40] in answer.inner_text() and SALARY not in answer.inner_text()

    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()
    assert page.url.endswith("/login")
    assert [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE] == []
    page.goto("/?q=office+opening+hours")
    assert page.locator("#login-heading").inner_text() == "Log in"
    assert PUBLIC_ONLY not in page.content()

"""Chromium driving the real `cited serve` (model-built index): search, chat follow-ups, escaping, small screens.

Skipped when /usr/bin/chromium is missing, except under CITED_REQUIRE_BROWSER=1 (CI), where that fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ROOT / "docs" / "screenshots"
# The README's screenshots are rewritten only when asked (CITED_UPDATE_SCREENSHOTS=1), so that a test
# run leaves the checkout clean.
UPDATE_SCREENSHOTS = os.environ.get("CITED_UPDATE_SCREENSHOTS") == "1"
DESKTOP = {"width": 1280, "height": 900}
TIMEOUT_MS = 30_000


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A fresh page whose dialogs, console errors and CSP violations are recorded, and must stay empty."""
    context = browser.new_context(viewport=DESKTOP, base_url=live_server)
    context.set_default_timeout(TIMEOUT_MS)
    new = context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []
    new.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    new.on("console", lambda message: message.type == "error" and errors.append(message.text))
    new.on("pageerror", lambda error: errors.append(str(error)))
    ARTIFACTS.mkdir(exist_ok=True)
    yield new
    context.close()
    assert dialogs == [], f"a dialog was raised: {dialogs}"
    assert errors == [], f"the page logged errors (a CSP violation is one): {errors}"


def search_by_keyboard(page: Page, question: str) -> None:
    page.goto("/")
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")  # brand
    page.locator("#q").focus()
    page.keyboard.type(question)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_search_shows_the_iowg_passage_first_with_its_highlight(page: Page) -> None:
    search_by_keyboard(page, "who co-chairs the Call to Action IOWG")
    assert "q=who+co-chairs" in page.url
    first = page.locator(".cards .card").first
    assert "International Organization Working Group" in first.inner_text()
    highlight = first.locator("mark")
    assert highlight.count() == 1
    assert "co-chair of the Call-to-Action International Organization Working Group (IOWG)" in highlight.inner_text()
    assert page.locator("#answer-heading").inner_text() == "Answer"
    page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=True)
    if UPDATE_SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "search.png"))


def test_show_in_document_scrolls_to_the_highlight_by_keyboard(page: Page) -> None:
    search_by_keyboard(page, "who co-chairs the Call to Action IOWG")
    link = page.locator(".cards .card").first.get_by_role("link", name="Show in the document")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/passages/p-*#passage")
    cited = page.locator("mark#passage")
    assert "International Organization Working Group" in cited.inner_text()
    assert "co-chair" in page.locator("mark#passage strong.answering").inner_text()
    box, viewport = cited.bounding_box(), page.viewport_size
    assert box is not None and 0 <= box["y"] < viewport["height"], "the cited passage is scrolled into view"
    page.screenshot(path=str(ARTIFACTS / "passage.png"))


def test_chat_follow_up_cites_un_women(page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 1500})
    page.goto("/chat")
    box = page.get_by_label("Your question")
    box.fill("What did FAO do during the 16 Days of Activism?")
    box.press("Enter")
    page.locator(".msg-assistant:not(.thinking)").nth(0).wait_for()
    box.fill("Who organised it with them?")
    box.press("Enter")
    answer = page.locator(".msg-assistant:not(.thinking)").nth(1)
    answer.wait_for()
    assert "FAO" in answer.locator(".rewritten").first.inner_text()
    card = answer.locator(".citations .card").first
    assert "UN Women" in card.inner_text()
    marker = answer.locator("a.marker").first
    assert marker.get_attribute("href") == f"#{card.get_attribute('id')}"
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)
    page.evaluate("() => window.scrollTo(0, 0)")
    if UPDATE_SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "chat.png"))
    page.get_by_role("button", name="New conversation").click()
    assert page.locator("#messages li").count() == 0
    assert page.evaluate("() => document.activeElement.id") == "chat-input"


def test_script_in_the_query_is_shown_as_text(page: Page) -> None:
    attack = "<script>alert(1)</script>"
    search_by_keyboard(page, attack)
    assert page.locator("#q").input_value() == attack
    assert attack in page.locator("main").inner_text()
    page.goto("/chat")
    page.get_by_label("Your question").fill(attack)
    page.get_by_label("Your question").press("Enter")
    page.locator(".msg-assistant:not(.thinking)").first.wait_for()
    assert page.locator(".msg-user .bubble").first.inner_text() == attack
    page.screenshot(path=str(ARTIFACTS / "escaped.png"))
    # the page fixture asserts that no dialog was raised


@pytest.mark.parametrize("path", ["/?q=who+co-chairs+the+Call+to+Action+IOWG", "/chat"])
def test_readable_at_375_px(page: Page, path: str) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(path)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375, "no sideways scrolling"
    name = "mobile-search.png" if path.startswith("/?") else "mobile-chat.png"
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_api_docs_render_offline(page: Page) -> None:
    page.goto("/docs")
    page.get_by_text("/api/search", exact=True).first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "docs.png"))


def test_search_and_chat_form_work_without_javascript(browser: Browser, live_server: str) -> None:
    context = browser.new_context(viewport=DESKTOP, base_url=live_server, java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto("/chat")
        page.get_by_label("Your question").fill("who co-chairs the Call to Action IOWG")
        with page.expect_navigation():
            page.get_by_role("button", name="Send").click()
        assert "International Organization Working Group" in page.locator(".cards .card mark").first.inner_text()
    finally:
        context.close()

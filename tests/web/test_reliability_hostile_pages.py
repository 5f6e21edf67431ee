"""Chromium over a second `cited serve` whose index holds hostile documents (conftest.HOSTILE_DOCS): on the
search results, passage and chat pages every payload shows as text and none runs — no dialog, no console
error (a CSP report is one), the title unchanged, no injected element."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT_MS = 30_000
# Elements no document text may turn into, and attributes no document text may add.
FOREIGN = "main img, main svg, main iframe, main object, main embed, main a[href^='javascript:'], #injected"
HANDLERS = "() => [...document.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name)).filter(n => n.startsWith('on'))"
SCRIPTS = "() => [...document.scripts].map(s => s.getAttribute('src'))"


@pytest.fixture(scope="module")
def hostile_server(hostile_build, start_server) -> Iterator[str]:
    assert hostile_build.returncode == 0, hostile_build.stderr
    server = start_server(hostile_build.index, env={"CITED_MODEL": "hashing-bow"}, name="hostile-server")
    yield server.url
    server.stop()


@pytest.fixture
def page(browser: Browser, hostile_server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=hostile_server, viewport={"width": 1280, "height": 1200})
    context.set_default_timeout(TIMEOUT_MS)
    new = context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []
    new.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    new.on("console", lambda message: message.type == "error" and errors.append(message.text))
    new.on("pageerror", lambda error: errors.append(str(error)))
    yield new
    context.close()
    assert dialogs == [], f"a script in a document ran: {dialogs}"
    assert errors == [], f"the page logged errors (a blocked inline script is one): {errors}"


def search(base: str, q: str, k: int = 5) -> list[dict]:
    return httpx.get(f"{base}/api/search", params={"q": q, "k": k}, timeout=30).json()["results"]


def assert_inert(page: Page, title: str) -> None:
    page.wait_for_load_state("load")
    assert page.title() == title
    assert page.locator(FOREIGN).count() == 0
    assert page.evaluate(HANDLERS) == []
    assert all(src and src.startswith(("/static/", "/docs/assets/")) for src in page.evaluate(SCRIPTS))


def test_search_results_show_the_payloads_as_text(page: Page) -> None:
    q = "harbour master arrival tide table"
    # k=10: this test is about escaping, not ranking; with the fake encoder, dense noise from the 5 MB
    # document can fill the first five slots.
    page.goto(f"/?q={q.replace(' ', '+')}&k=10")
    main = page.locator("main").inner_text()
    assert "The harbour master logs every <script>document.title='pwned';" in main
    assert "<img id=injected src=x onerror=\"alert('img')\">" in main
    assert "<a id=injected href=\"javascript:alert('link')\">here</a>" in main
    assert "<script>document.title='pwned'" in page.locator(".card-title h3").first.inner_text()
    assert_inert(page, f"{q} · cited")
    page.screenshot(path=str(ARTIFACTS / "hostile-search.png"), full_page=True)


@pytest.mark.parametrize(
    ("q", "shown"),
    [
        ("granite quarry ledger union", "alert('entity')"),
        ("orchard ledger apples night shift", "<img id=injected src=x onerror=alert('name')>.md"),
        ("caravan desert oasis salt flats", "desert oasis of \u05e9\u05dc\u05d5\u05dd"),
    ],
)
def test_entities_file_names_and_bidi_text_are_inert_on_the_results_page(page: Page, q: str, shown: str) -> None:
    page.goto(f"/?q={q.replace(' ', '+')}")
    assert shown in page.locator("main").inner_text()
    assert "\u202e" not in page.content()
    assert_inert(page, f"{q} · cited")


@pytest.mark.parametrize("q", ["harbour master arrival", "granite quarry safety helmets", "orchard ledger apples"])
def test_the_passage_page_shows_the_document_as_text(page: Page, hostile_server: str, q: str) -> None:
    top = search(hostile_server, q)[0]
    document = httpx.get(f"{hostile_server}/api/documents/{top['doc_id']}", timeout=30).json()
    page.goto(f"/passages/{top['passage_id']}?hl=0-20#passage")
    assert top["text"] in page.locator("main").inner_text()
    assert document["title"] in page.locator("h1").inner_text()
    assert_inert(page, f"{document['title']} · cited")
    if q.startswith("harbour"):
        page.screenshot(path=str(ARTIFACTS / "hostile-passage.png"), full_page=True)


def test_the_chat_page_shows_cited_payloads_as_text(page: Page) -> None:
    page.goto("/chat")
    box = page.get_by_label("Your question")
    box.fill("What does the harbour master log at dawn?")
    box.press("Enter")
    answer = page.locator(".msg-assistant:not(.thinking)").first
    answer.wait_for()
    assert "<script>document.title='pwned';" in answer.inner_text()
    box.fill("<img src=x onerror=alert('typed')> and the granite quarry?")
    box.press("Enter")
    page.locator(".msg-assistant:not(.thinking)").nth(1).wait_for()
    assert "<img src=x onerror=alert('typed')>" in page.locator(".msg-user .bubble").nth(1).inner_text()
    assert_inert(page, "Chat · cited")
    page.screenshot(path=str(ARTIFACTS / "hostile-chat.png"), full_page=True)
    page.reload()  # the conversation comes back from localStorage: rendered as text again
    page.locator(".msg-assistant").first.wait_for()
    assert_inert(page, "Chat · cited")

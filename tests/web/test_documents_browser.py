"""Chromium on /documents of a real `cited serve`: the list shows each document's title, source, passages and date,
its links open the document and a search within it, and a document uploaded meanwhile appears first."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from index.build import build_index
from index.embed import HashingEmbedder
from service.launcher import Server

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.browser]
KEY = "browser-documents-key"


def test_the_documents_page_in_a_browser(tmp_path: Path, browser: Browser, start_server: Callable[..., Server]) -> None:
    root, index = tmp_path / "docs", tmp_path / "index"
    (root / "hr").mkdir(parents=True)
    (root / "hr" / "leave.md").write_text("# Leave policy\n\nEvery employee receives 27 days of annual leave.\n", encoding="utf-8")
    (root / "deploy.md").write_text("# Deploy guide\n\nDeployments run every Tuesday from the release branch.\n", encoding="utf-8")
    build_index([root], index, HashingEmbedder(), progress=False)
    server = start_server(index, env={"CITED_MODEL": "hashing-bow", "CITED_ADMIN_KEY": KEY}, name="documents-browser")
    added = httpx.post(f"{server.url}/api/documents", headers={"X-Admin-Key": KEY},
                       json={"text": "# Canteen\n\nThe canteen serves soup from noon until two.", "source": "facilities/canteen.md"})
    assert added.status_code == 201, added.text
    context = browser.new_context(base_url=server.url)
    errors: list[str] = []
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    try:
        page.goto("/documents")
        rows = page.locator("table.documents tbody tr")
        assert rows.count() == 3
        first = rows.first.locator("td")
        assert [first.nth(i).inner_text() for i in range(3)] == ["Canteen", "facilities/canteen.md", "1"]
        assert first.nth(3).locator("time").get_attribute("datetime")
        page.get_by_role("link", name="Leave policy", exact=True).click()
        page.wait_for_url("**/documents/d-*")
        assert "27 days of annual leave" in page.locator(".document-text").inner_text()
        page.get_by_role("link", name="Search in this document").click()
        page.wait_for_url("**/?doc_id=d-*")
        page.locator("#q").fill("how many days of leave")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        sources = page.locator(".cards .card .source").all_inner_texts()
        assert sources and all(s.endswith("hr/leave.md") for s in sources)
        assert "Searching only in Leave policy" in page.locator(".within").inner_text()
        page.screenshot(path=str(tmp_path / "documents.png"), full_page=True)
        page.set_viewport_size({"width": 375, "height": 740})
        for path in ("/documents", "/", "/chat"):
            page.goto(path)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 375, f"sideways scrolling on {path}"
    finally:
        context.close()
    assert errors == []

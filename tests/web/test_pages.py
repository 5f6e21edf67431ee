"""The server-rendered pages over the small index: results without JavaScript, escaping, the passage in its document."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

QUESTION = "Who co-chairs the Lantern River Project?"


def test_home_has_a_labelled_search_box(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<label for="q">' in page.text and 'id="q" name="q"' in page.text
    assert 'action="/" method="get"' in page.text


def test_results_are_rendered_on_the_server_with_the_highlight(client: TestClient) -> None:
    page = client.get("/", params={"q": QUESTION})
    assert page.status_code == 200
    html = page.text
    assert "<h2 id=\"answer-heading\">Answer</h2>" in html
    assert "<mark>The Lantern River Project is co-chaired by the Blue Heron Trust" in html
    assert 'class="context">Partners</p>' in html
    assert "<h3>The Lantern River Project</h3>" in html
    assert "river-project.md" in html
    link = re.search(r'href="(/passages/p-[0-9a-f]{16}\?hl=\d+-\d+#passage)"', html)
    assert link, "each result links to its passage in the document"
    assert 'href="#c1"' in html and 'id="c1"' in html  # the [1] marker leads to its card


def test_abstention_says_so_and_labels_the_closest_passages(client: TestClient) -> None:
    html = client.get("/", params={"q": "What is the capital of Peru?"}).text
    assert "The documents do not answer this question" in html
    assert "Closest passages" in html
    assert "Cited passages" not in html


def test_query_and_passage_text_are_escaped(client: TestClient) -> None:
    html = client.get("/", params={"q": "<script>alert(1)</script> tags R&D bold"}).text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html  # passage text that looks like markup stays text
    assert "R&amp;D" in html


def test_pages_have_no_inline_script_or_style(client: TestClient) -> None:
    for url in ("/", f"/?q={QUESTION}", "/chat", "/docs"):
        html = client.get(url).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert "<style" not in html and " style=" not in html, url
        assert not re.search(r"\son[a-z]+=", html), url  # no inline event handlers


def test_invalid_question_on_the_page_is_explained(client: TestClient) -> None:
    page = client.get("/", params={"q": "x" * 1001})
    assert page.status_code == 422
    assert "1,001 characters" in page.text and 'role="alert"' in page.text
    control = client.get("/", params={"q": "a\x00b"})
    assert control.status_code == 422 and "U+0000" in control.text


def test_blank_question_shows_the_empty_form(client: TestClient) -> None:
    page = client.get("/", params={"q": "   "})
    assert page.status_code == 200 and "answer-heading\">" not in page.text and "alert" not in page.text


def test_passage_page_shows_the_passage_inside_its_document(client: TestClient) -> None:
    top = client.get("/api/search", params={"q": QUESTION}).json()["results"][0]
    h = top["highlight"]
    page = client.get(f"/passages/{top['passage_id']}", params={"hl": f"{h['start']}-{h['end']}"})
    assert page.status_code == 200
    html = page.text
    assert '<mark id="passage" class="cited" tabindex="-1">' in html
    assert f'<strong class="answering">{h["text"]}</strong>' in html
    document = client.get(f"/api/documents/{top['doc_id']}").json()
    before = html.index('<mark id="passage"')
    assert "Partners" in html[:before]  # the text before the passage is there too
    assert "Smaller grants come from local councils." in html[before:]
    assert document["title"] in html


def test_passage_page_ignores_a_bad_highlight(client: TestClient) -> None:
    pid = client.get("/api/search", params={"q": QUESTION}).json()["results"][0]["passage_id"]
    for hl in ("9-2", "0-99999", "abc", "-1-4"):
        page = client.get(f"/passages/{pid}", params={"hl": hl})
        assert page.status_code == 200 and "answering" not in page.text


def test_passage_page_errors_are_pages(client: TestClient) -> None:
    missing = client.get("/passages/p-0000000000000000")
    assert missing.status_code == 404 and "There is no passage" in missing.text and "<html" in missing.text
    malformed = client.get("/passages/nonsense")
    assert malformed.status_code == 422 and "malformed" in malformed.text


def test_unknown_page_is_an_html_404_for_browsers(client: TestClient) -> None:
    page = client.get("/no/such/page", headers={"accept": "text/html"})
    assert page.status_code == 404 and "<html" in page.text and "nothing at /no/such/page" in page.text
    assert client.get("/no/such/page").json() == {"detail": "There is nothing at /no/such/page."}


def test_chat_page(client: TestClient) -> None:
    html = client.get("/chat").text
    assert '<script src="/static/chat.js" defer></script>' in html
    assert '<label for="chat-input">' in html
    assert 'id="new-conversation"' in html
    assert 'aria-live="polite"' in html


def test_chat_script_never_parses_data_as_html(client: TestClient) -> None:
    script = client.get("/static/chat.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "innerHTML" not in script.text and "insertAdjacentHTML" not in script.text and "eval(" not in script.text


def test_static_files_and_favicon(client: TestClient) -> None:
    assert client.get("/static/style.css").headers["content-type"].startswith("text/css")
    assert client.get("/favicon.ico").headers["content-type"].startswith("image/svg")
    css = client.get("/static/style.css").text
    assert "@import" not in css and "http" not in css  # no external fonts or CDNs

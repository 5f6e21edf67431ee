"""The document list, a document's page, and the search page restricted to one document or source, rendered on the
server: every link and form works without JavaScript."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

QUESTION = "How many footbridges were rebuilt?"


def ids(client: TestClient) -> dict[str, str]:
    listed = client.get("/api/documents").json()["documents"]
    return {d["source"].rsplit("/", 1)[-1]: d["doc_id"] for d in listed}


def test_the_documents_page_lists_title_source_passages_and_date_with_links(client: TestClient) -> None:
    page = client.get("/documents")
    assert page.status_code == 200
    html = page.text
    for doc in client.get("/api/documents").json()["documents"]:
        assert f'href="/documents/{doc["doc_id"]}"' in html and f'href="/?doc_id={doc["doc_id"]}"' in html
        assert doc["source"] in html and f'<td class="number">{doc["passages"]}</td>' in html
        assert f'datetime="{doc["added_at"]}"' in html
    assert "Lantern River Project" in html and "Orchard Pollination Study" in html


def test_a_documents_page_shows_its_text(client: TestClient) -> None:
    doc_id = ids(client)["river-project.md"]
    page = client.get(f"/documents/{doc_id}")
    assert page.status_code == 200 and "42 footbridges" in page.text
    assert client.get("/documents/d-0000000000000000").status_code == 404
    assert client.get("/documents/nonsense").status_code == 404


def cited_sources(html: str) -> list[str]:
    return re.findall(r'<p class="source">([^<·]+)', html)


def test_the_search_page_searches_within_one_document_by_a_plain_link(client: TestClient) -> None:
    orchard = ids(client)["orchard-study.md"]
    everything = client.get("/", params={"q": QUESTION}).text
    assert any("river-project.md" in s for s in cited_sources(everything))
    within = client.get("/", params={"q": QUESTION, "doc_id": orchard})
    assert within.status_code == 200
    sources = cited_sources(within.text)
    assert sources and all("orchard-study.md" in s for s in sources)
    assert "Searching only in Orchard Pollination Study" in within.text
    assert f'<option value="{orchard}" selected>' in within.text  # the select keeps the choice for the next question


def test_the_search_page_searches_within_a_source_glob_and_all_documents_means_all(client: TestClient) -> None:
    within = client.get("/", params={"q": QUESTION, "source": "*river*"}).text
    assert cited_sources(within) and all("river-project.md" in s for s in cited_sources(within))
    assert '<input type="hidden" name="source" value="*river*">' in within
    everything = client.get("/", params={"q": QUESTION, "doc_id": ""}).text  # the select's "All documents"
    assert "Searching only" not in everything and len(set(cited_sources(everything))) == 2
    nothing = client.get("/", params={"q": QUESTION, "source": "*nowhere*"}).text
    assert cited_sources(nothing) == [] and "do not answer" in nothing

"""Filters over HTTP: `source` and `doc_id` query parameters on /api/search (repeatable) and `filter` in the
bodies of /api/ask and /api/chat, over the two-document small index."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

QUESTION = "How many footbridges were rebuilt and how many bee visits were counted?"


def post_json(client: TestClient, path: str, body: object):
    return client.post(path, content=json.dumps(body), headers={"content-type": "application/json"})


def doc_ids(client: TestClient) -> dict[str, str]:
    """File name -> doc_id of the small index's documents."""
    found = client.get("/api/search", params={"q": QUESTION, "k": 20}).json()["results"]
    return {r["source"].rsplit("/", 1)[-1]: r["doc_id"] for r in found}


def test_search_without_a_filter_finds_both_documents(client: TestClient) -> None:
    assert set(doc_ids(client)) == {"river-project.md", "orchard-study.md"}


def test_a_source_glob_restricts_search_results(client: TestClient) -> None:
    results = client.get("/api/search", params={"q": QUESTION, "k": 10, "source": "*orchard*"}).json()["results"]
    assert results and all(r["source"].endswith("orchard-study.md") for r in results)


def test_source_and_doc_id_repeat(client: TestClient) -> None:
    ids = doc_ids(client)
    both = client.get("/api/search", params=[("q", QUESTION), ("k", "10"), ("source", "*river*"), ("source", "*orchard*")])
    assert {r["doc_id"] for r in both.json()["results"]} == set(ids.values())
    one = client.get("/api/search", params=[("q", QUESTION), ("k", "10"), ("doc_id", ids["river-project.md"]), ("doc_id", "d-0")])
    assert {r["doc_id"] for r in one.json()["results"]} == {ids["river-project.md"]}


@pytest.mark.parametrize("params", [{"source": "*/nowhere/*"}, {"doc_id": "d-0000000000000000"}])
def test_a_search_filter_that_matches_nothing_returns_nothing(client: TestClient, params: dict[str, str]) -> None:
    body = client.get("/api/search", params={"q": QUESTION, **params}).json()
    assert body["results"] == [] and body["answerable"] is False


def test_ask_takes_a_filter_in_its_body(client: TestClient) -> None:
    ids = doc_ids(client)
    answer = post_json(client, "/api/ask", {"question": QUESTION, "filter": {"doc_id": [ids["orchard-study.md"]]}}).json()
    assert answer["citations"] and {c["doc_id"] for c in answer["citations"]} == {ids["orchard-study.md"]}
    nothing = post_json(client, "/api/ask", {"question": QUESTION, "filter": {"source": ["*.pdf"]}}).json()
    assert nothing["abstained"] is True and nothing["citations"] == []


def test_chat_takes_a_filter_in_its_body(client: TestClient) -> None:
    messages = [{"role": "user", "content": "Who co-chairs the Lantern River Project?"}]
    found = post_json(client, "/api/chat", {"messages": messages, "filter": {"source": ["*river*"]}}).json()
    assert found["citations"] and all(c["source"].endswith("river-project.md") for c in found["citations"])
    nothing = post_json(client, "/api/chat", {"messages": messages, "filter": {"source": ["*orchard*"], "doc_id": []}}).json()
    assert nothing["abstained"] is True and nothing["citations"] == []


@pytest.mark.parametrize(
    ("body_filter", "fragment"),
    [({"source": "*hr/*"}, "must be a list"), ({"sources": ["*"]}, "sources"), ({"doc_id": [3]}, "must be a string"), ([], "JSON object")],
)
def test_a_malformed_filter_is_refused_with_a_sentence(client: TestClient, body_filter: object, fragment: str) -> None:
    response = post_json(client, "/api/ask", {"question": QUESTION, "filter": body_filter})
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert fragment in detail and detail[0].isupper() and detail.endswith(".")

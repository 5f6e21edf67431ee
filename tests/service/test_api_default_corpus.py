"""The API over the bundled corpus with the real model: the examples of the issue, end to end."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.slow

FAO = "What did FAO do during the 16 Days of Activism?"
JSON = {"content-type": "application/json"}


def test_iowg_question_finds_the_iowg_passage_first(default_client: TestClient) -> None:
    body = default_client.get("/api/search", params={"q": "who co-chairs the Call to Action IOWG"}).json()
    assert body["answerable"] is True
    top = body["results"][0]
    assert "International Organization Working Group (IOWG)" in top["text"]
    assert "co-chair" in top["highlight"]["text"]


def test_chat_follow_up_finds_the_fao_partners(default_client: TestClient) -> None:
    messages = [{"role": "user", "content": FAO}]
    first = default_client.post("/api/chat", content=json.dumps({"messages": messages}), headers=JSON).json()
    assert first["rewritten_query"] == FAO
    messages += [{"role": "assistant", "content": first["answer"]}, {"role": "user", "content": "Who organised it with them?"}]
    second = default_client.post("/api/chat", content=json.dumps({"messages": messages}), headers=JSON).json()
    assert "FAO" in second["rewritten_query"] and "16 Days of Activism" in second["rewritten_query"]
    assert second["abstained"] is False
    assert "UN Women and local feminist organizations" in second["answer"]
    assert "UN Women" in second["citations"][0]["text"]


def test_without_history_a_follow_up_is_searched_as_typed(default_client: TestClient) -> None:
    """Nothing earlier to borrow from: the turn is searched as typed, not filled in from some other question."""
    messages = [{"role": "user", "content": "Who organised it with them?"}]
    alone = default_client.post("/api/chat", content=json.dumps({"messages": messages}), headers=JSON).json()
    assert alone["rewritten_query"] == "Who organised it with them?"


@pytest.mark.parametrize("question", [FAO, "How many UN entities are members of UN Action?", "Spotlight Initiative Haiti"])
def test_offsets_round_trip(default_client: TestClient, question: str) -> None:
    documents: dict[str, str] = {}
    for result in default_client.get("/api/search", params={"q": question, "k": 10}).json()["results"]:
        if result["doc_id"] not in documents:
            documents[result["doc_id"]] = default_client.get(f"/api/documents/{result['doc_id']}").json()["text"]
        assert documents[result["doc_id"]][result["start"] : result["end"]] == result["text"]
        passage = default_client.get(f"/api/passages/{result['passage_id']}").json()
        assert (passage["start"], passage["end"], passage["text"]) == (result["start"], result["end"], result["text"])


def test_an_unrelated_question_abstains(default_client: TestClient) -> None:
    body = default_client.post("/api/ask", content=json.dumps({"question": "What is the boiling point of mercury?"}), headers=JSON).json()
    assert body["abstained"] is True
    assert body["citations"]

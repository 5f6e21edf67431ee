"""Documents in and out with keys: the write scope, within the key's sources (a document outside them cannot be
added, and cannot be removed: its id answers 404 as an unknown one)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from access_helpers import SALARY, AccessSetup, bearer, build_access_setup
from fastapi.testclient import TestClient

from index.build import build_index
from index.embed import HashingEmbedder
from service.app import create_app
from service.settings import Settings

NEW = "The canteen on the second floor serves soup every Thursday from noon until two o'clock."


@pytest.fixture
def served(tmp_path) -> Iterator[tuple[AccessSetup, TestClient]]:
    """A collection of its own: these tests change it."""
    setup = build_access_setup(tmp_path)
    settings = Settings(index_dir=setup.index, keys_file=setup.keys_file, model="hashing-bow")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield setup, client


def add(client: TestClient, key: str, source: str) -> httpx.Response:
    return client.post("/api/documents", json={"text": NEW, "title": "Canteen", "source": source}, headers=bearer(key))


def sources_found(client: TestClient, key: str, question: str) -> set[str]:
    results = client.get("/api/search", params={"q": question, "k": 10}, headers=bearer(key)).json()["results"]
    return {r["source"] for r in results}


def test_a_writer_adds_within_its_sources_and_nowhere_else(served: tuple[AccessSetup, TestClient]) -> None:
    setup, client = served
    editor, everything = setup.keys["editor"], setup.keys["everything"]
    added = add(client, editor, "public/canteen.md")
    assert added.status_code == 201, added.text
    assert "public/canteen.md" in sources_found(client, setup.keys["public"], "canteen soup Thursday")
    refused = add(client, editor, "hr/canteen.md")
    assert refused.status_code == 403 and "may not write documents whose source is hr/canteen.md" in refused.json()["detail"]
    assert "hr/canteen.md" not in sources_found(client, everything, "canteen soup Thursday")  # the index is unchanged
    assert add(client, setup.keys["public"], "public/other.md").status_code == 403  # read only
    assert add(client, setup.keys["writer"], "hr/canteen.md").status_code == 201  # write, every source


def test_a_writer_cannot_remove_or_even_find_a_document_outside_its_sources(served: tuple[AccessSetup, TestClient]) -> None:
    setup, client = served
    everything, editor = bearer(setup.keys["everything"]), bearer(setup.keys["editor"])
    ids = {d["source"].rsplit("/", 2)[-2]: d["doc_id"] for d in client.get("/api/documents", headers=everything).json()["documents"]}
    unknown = client.delete("/api/documents/d-0123456789abcdef", headers=editor)
    hidden = client.delete(f"/api/documents/{ids['hr']}", headers=editor)
    assert (unknown.status_code, hidden.status_code) == (404, 404)
    assert hidden.json()["detail"] == unknown.json()["detail"].replace("d-0123456789abcdef", ids["hr"])
    assert SALARY[:30] in str(client.get("/api/search", params={"q": "salary band engineers"}, headers=everything).json())
    assert client.delete(f"/api/documents/{ids['public']}", headers=editor).status_code == 204
    assert client.get("/api/documents", headers=bearer(setup.keys["public"])).json()["total"] == 0
    assert client.delete(f"/api/documents/{ids['public']}", headers=bearer(setup.keys["public"])).status_code == 403


def test_a_document_added_with_text_a_hidden_one_holds_is_found_through_the_added_one(
    served: tuple[AccessSetup, TestClient],
) -> None:
    """The change deduplicates the new text against the stored one (kept under hr/); a key that sees only public/
    finds it through the new document and never sees the hr/ one named."""
    setup, client = served
    public = bearer(setup.keys["public"])
    body = {"text": f"Pay notes\n\n{SALARY}\n", "title": "Pay notes", "source": "public/pay.md"}
    added = client.post("/api/documents", json=body, headers=bearer(setup.keys["editor"]))
    assert added.status_code == 201, added.text
    results = client.get("/api/search", params={"q": "salary band senior engineers", "k": 10}, headers=public).json()["results"]
    (found,) = [r for r in results if r["text"] == SALARY]
    assert found["doc_id"] == added.json()["doc_id"] and found["source"] == "public/pay.md" and found["also_at"] == []
    everything = bearer(setup.keys["everything"])
    every = client.get("/api/search", params={"q": "salary band senior engineers", "k": 10}, headers=everything).json()
    (kept,) = [r for r in every["results"] if r["text"] == SALARY]  # the premise: one passage, kept under hr/
    assert kept["source"].endswith("hr/salaries.md") and [p["doc_id"] for p in kept["also_at"]] == [added.json()["doc_id"]]
    hidden = client.get("/api/documents", headers=bearer(setup.keys["hr"])).json()["documents"]
    for document in hidden:
        assert document["doc_id"] not in str(results) and document["title"] not in str(results)


def test_on_a_split_index_a_key_with_sources_is_refused_never_served_unfiltered(tmp_path) -> None:
    """A split index cannot filter yet: a key whose sources would be a filter gets 422 and a sentence on every
    reading path, a key that sees everything is served."""
    setup = build_access_setup(tmp_path / "one")
    sharded = tmp_path / "sharded"
    build_index([setup.corpus], sharded, HashingEmbedder(), progress=False, shards=2)
    settings = Settings(index_dir=sharded, keys_file=setup.keys_file, model="hashing-bow")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        public, everything = bearer(setup.keys["public"]), bearer(setup.keys["everything"])
        found = client.get("/api/search", params={"q": "salary band engineers"}, headers=everything)
        assert found.status_code == 200 and found.json()["results"]
        first = found.json()["results"][0]
        for path in ("/api/search?q=salary+band", f"/api/passages/{first['passage_id']}", f"/api/documents/{first['doc_id']}"):
            refused = client.get(path, headers=public)
            assert refused.status_code == 422 and refused.json()["detail"].startswith("A split index cannot"), path
        asked = client.post("/api/ask", json={"question": "salary band engineers"}, headers=public)
        assert asked.status_code == 422 and SALARY not in asked.text

"""What each key sees: keys × endpoints × documents over a collection whose public/ and hr/ documents share one
sentence (tests/access_helpers.py). A key's sources are a filter the client cannot widen, on every path; a
document outside them is never named, and an id of it answers 404 exactly as an unknown id does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
import schemathesis
from access_helpers import DISMISSAL, PUBLIC_ONLY, SALARY, SHARED, AccessSetup, bearer, build_access_setup
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from corpus.model import Document, passage_id_for
from index.engine import Engine
from service.app import create_app
from service.settings import Settings

HOLIDAY = "how many days of paid holiday does every employee receive"
EVERYTHING = " ".join(["holiday employee days", "office Quay Street", "salary band engineers", "disciplinary panel warehouse"])
SENTENCES = {"public/handbook.md": [SHARED, PUBLIC_ONLY], "hr/salaries.md": [SALARY, SHARED], "hr/dismissals.md": [DISMISSAL]}
# The documents each reading key may see, by the end of their source.
SEES = {
    "everything": {"public/handbook.md", "hr/salaries.md", "hr/dismissals.md"},
    "public": {"public/handbook.md"},
    "editor": {"public/handbook.md"},
    "hr": {"hr/salaries.md", "hr/dismissals.md"},
}


@dataclass(frozen=True)
class World:
    setup: AccessSetup
    documents: dict[str, Document]  # by the end of their source: "public/handbook.md"
    client: TestClient

    def doc(self, name: str) -> Document:
        return self.documents[name]

    def unseen(self, key: str) -> list[Document]:
        return [d for name, d in self.documents.items() if name not in SEES[key]]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    setup = build_access_setup(tmp_path_factory.mktemp("access-scopes"))
    engine = Engine.open(setup.index)
    documents = {"/".join(d.source.rsplit("/", 2)[-2:]): d for d in engine.index.store.documents()}
    configured = Settings(index_dir=setup.index, keys_file=setup.keys_file, model="hashing-bow", rate_per_min=100_000)
    with TestClient(create_app(configured, engine=engine), raise_server_exceptions=False) as client:
        yield World(setup, documents, client)
    engine.close()


def get(world: World, key: str, path: str, **params: object) -> httpx.Response:
    return world.client.get(path, params=params, headers=bearer(world.setup.keys[key]))


def post(world: World, key: str, path: str, body: dict) -> httpx.Response:
    return world.client.post(path, json=body, headers=bearer(world.setup.keys[key]))


def cited(response: httpx.Response) -> list[dict]:
    body = response.json()
    assert response.status_code == 200, body
    return body.get("results") or body.get("citations") or []


def assert_names_nothing_unseen(world: World, key: str, response: httpx.Response) -> None:
    """Neither the id, the title, the source nor a sentence only an unseen document holds appears in the response."""
    text = response.text
    for document in world.unseen(key):
        assert document.doc_id not in text, (key, document.source)
        assert document.source not in text and document.title not in text, (key, document.source)
        name = "/".join(document.source.rsplit("/", 2)[-2:])
        for sentence in SENTENCES[name]:
            if not any(sentence in SENTENCES[seen] for seen in SEES[key]):
                assert sentence not in text, (key, sentence)


def answering_paths(world: World, key: str, question: str, **extra: object) -> list[httpx.Response]:
    """The same question through search, ask, chat and the search page."""
    return [
        get(world, key, "/api/search", q=question, k=10, **extra),
        post(world, key, "/api/ask", {"question": question, "k": 10, **({"filter": extra} if extra else {})}),
        post(world, key, "/api/chat", {"messages": [{"role": "user", "content": question}], "k": 10,
                                       **({"filter": extra} if extra else {})}),
    ]


@pytest.mark.parametrize("key", sorted(SEES))
def test_every_answering_path_finds_only_what_the_key_may_see(world: World, key: str) -> None:
    for response in answering_paths(world, key, EVERYTHING):
        found = {"/".join(r["source"].rsplit("/", 2)[-2:]) for r in cited(response)}
        assert found and found <= SEES[key], (key, response.request.url, found)
        assert_names_nothing_unseen(world, key, response)
    page = world.client.get("/", params={"q": EVERYTHING, "k": 10}, headers=bearer(world.setup.keys[key]))
    assert page.status_code == 200
    assert_names_nothing_unseen(world, key, page)


@pytest.mark.parametrize("key", sorted(SEES))
def test_the_shared_sentence_is_found_through_a_document_the_key_sees(world: World, key: str) -> None:
    """hr/salaries.md keeps the shared passage (it came first), public/handbook.md holds the duplicate."""
    for response in answering_paths(world, key, HOLIDAY):
        (shared,) = [r for r in cited(response) if r["text"] == SHARED]
        document = world.documents["/".join(shared["source"].rsplit("/", 2)[-2:])]
        assert "/".join(document.source.rsplit("/", 2)[-2:]) in SEES[key]
        assert shared["doc_id"] == document.doc_id and shared["title"] == document.title
        assert document.text[shared["start"] : shared["end"]] == shared["text"]
        assert {place["doc_id"] for place in shared["also_at"]} <= {world.documents[n].doc_id for n in SEES[key]}
        if key in ("public", "editor"):
            assert shared["context"] is None  # the kept copy's heading ("Leave") belongs to the salary review
        assert_names_nothing_unseen(world, key, response)
    if key == "everything":  # one passage, two places: both named
        (shared,) = [r for r in cited(get(world, key, "/api/search", q=HOLIDAY, k=10)) if r["text"] == SHARED]
        assert {shared["doc_id"], *(p["doc_id"] for p in shared["also_at"])} == {
            world.doc("hr/salaries.md").doc_id, world.doc("public/handbook.md").doc_id
        }


@pytest.mark.parametrize("key", ["public", "hr"])
def test_a_client_filter_narrows_the_keys_sources_and_never_widens_them(world: World, key: str) -> None:
    outside = "*hr/*" if key == "public" else "*public/*"
    for response in answering_paths(world, key, EVERYTHING, source=[outside]):
        assert cited(response) == [], (key, response.request.url)
    (outsider,) = [d for d in world.unseen(key) if "dismissals" in d.source or "handbook" in d.source]
    for response in answering_paths(world, key, EVERYTHING, doc_id=[outsider.doc_id]):
        assert cited(response) == []
    asked = post(world, key, "/api/ask", {"question": EVERYTHING, "filter": {"source": [outside]}}).json()
    assert asked["abstained"] is True
    inside = "*hr/dismissals*" if key == "hr" else "*public/*"
    narrowed = {r["source"] for r in cited(get(world, key, "/api/search", q=EVERYTHING, k=10, source=inside))}
    assert narrowed and all(s.endswith(("dismissals.md", "handbook.md")) for s in narrowed)


@pytest.mark.parametrize("key", sorted(SEES))
def test_lookups_by_id_answer_404_outside_the_keys_sources_exactly_as_for_an_unknown_id(world: World, key: str) -> None:
    unknown_passage, unknown_doc = "p-0123456789abcdef", "d-0123456789abcdef"
    expected = {
        "passage": get(world, key, f"/api/passages/{unknown_passage}").json()["detail"],
        "document": get(world, key, f"/api/documents/{unknown_doc}").json()["detail"],
    }
    for name, document in world.documents.items():
        response = get(world, key, f"/api/documents/{document.doc_id}")
        if name in SEES[key]:
            assert response.status_code == 200 and response.json()["text"] == document.text
        else:
            assert response.status_code == 404
            assert response.json()["detail"] == expected["document"].replace(unknown_doc, document.doc_id)
        for sentence in SENTENCES[name]:
            pid = passage_id_for(sentence)
            response = get(world, key, f"/api/passages/{pid}")
            visible = any(sentence in SENTENCES[seen] for seen in SEES[key])
            if visible:
                body = response.json()
                assert response.status_code == 200 and body["text"] == sentence
                assert "/".join(body["source"].rsplit("/", 2)[-2:]) in SEES[key]
                assert_names_nothing_unseen(world, key, response)
            else:
                assert response.status_code == 404
                assert response.json()["detail"] == expected["passage"].replace(unknown_passage, pid)
                page = world.client.get(f"/passages/{pid}", headers={**bearer(world.setup.keys[key]), "accept": "text/html"})
                assert page.status_code == 404 and sentence not in page.text


@pytest.mark.parametrize("key", sorted(SEES))
def test_the_document_list_holds_only_what_the_key_may_see(world: World, key: str) -> None:
    listed = get(world, key, "/api/documents").json()
    assert listed["total"] == len(SEES[key])
    assert {d["doc_id"] for d in listed["documents"]} == {world.doc(name).doc_id for name in SEES[key]}
    paged = [get(world, key, "/api/documents", offset=i, limit=1).json()["documents"] for i in range(len(SEES[key]) + 1)]
    assert [len(page) for page in paged] == [1] * len(SEES[key]) + [0]
    assert_names_nothing_unseen(world, key, get(world, key, "/api/documents"))


@pytest.mark.parametrize("key", sorted(SEES))
def test_the_document_pages_and_the_search_select_show_only_what_the_key_may_see(world: World, key: str) -> None:
    html = {**bearer(world.setup.keys[key]), "accept": "text/html"}
    listing = world.client.get("/documents", headers=html)
    assert listing.status_code == 200
    for name, document in world.documents.items():
        page = world.client.get(f"/documents/{document.doc_id}", headers=html)
        if name in SEES[key]:
            assert document.doc_id in listing.text and page.status_code == 200
        else:
            assert page.status_code == 404 and document.text not in page.text
    assert_names_nothing_unseen(world, key, listing)
    hidden = world.unseen(key)
    if hidden:  # asking to search within a hidden document finds nothing and does not name it
        search = world.client.get("/", params={"q": EVERYTHING, "doc_id": hidden[0].doc_id}, headers=html)
        assert search.status_code == 200 and 'class="card"' not in search.text
        assert f"only in {hidden[0].doc_id} " in search.text  # the id as given, as for an unknown one; not its title
        assert hidden[0].title not in search.text and hidden[0].source not in search.text
    assert_names_nothing_unseen(world, key, world.client.get("/", headers=html))  # the select of documents


def test_the_passage_page_shows_the_shared_sentence_in_the_document_the_key_sees(world: World) -> None:
    page = world.client.get(f"/passages/{passage_id_for(SHARED)}", headers=bearer(world.setup.keys["public"]))
    assert page.status_code == 200
    assert "Staff handbook" in page.text and PUBLIC_ONLY in page.text  # the handbook around it
    assert "Salary review" not in page.text and SALARY not in page.text


def test_the_vector_cache_never_carries_one_keys_results_to_another(world: World) -> None:
    """The query cache holds vectors by text, never results: the second key asking the same question hits the
    cache (the same vector) and still gets only its own documents, in either order."""
    question = "salary band and paid holiday of every employee"
    before = get(world, "ops", "/api/stats").json()["cache"]["hits"]
    for first, second in (("hr", "public"), ("public", "hr")):
        one = cited(get(world, first, "/api/search", q=question, k=10))
        two = cited(get(world, second, "/api/search", q=question, k=10))
        for key, results in ((first, one), (second, two)):
            assert {"/".join(r["source"].rsplit("/", 2)[-2:]) for r in results} <= SEES[key]
        assert {r["doc_id"] for r in one}.isdisjoint({r["doc_id"] for r in two})
    assert get(world, "ops", "/api/stats").json()["cache"]["hits"] >= before + 3


def test_the_same_question_without_keys_is_answered_from_every_document(world: World) -> None:
    """The control: without the key's filter the hr passages are what answers, so the tests above could fail."""
    found = cited(get(world, "everything", "/api/search", q=EVERYTHING, k=10))
    assert {"/".join(r["source"].rsplit("/", 2)[-2:]) for r in found} == SEES["everything"]
    assert [r["doc_id"] for r in found if r["text"] == SALARY] == [world.doc("hr/salaries.md").doc_id]


FUZZED = [("GET", "/api/search"), ("POST", "/api/ask"), ("POST", "/api/chat"), ("GET", "/api/passages/{passage_id}"),
          ("GET", "/api/documents/{doc_id}")]


@pytest.mark.parametrize(("method", "path"), FUZZED, ids=[f"{m} {p}" for m, p in FUZZED])
def test_fuzzed_requests_with_a_scoped_key_keep_the_contract_and_never_name_a_hidden_document(
    world: World, method: str, path: str, fuzz_tally: Callable[[str, int], None]
) -> None:
    """Schemathesis over the operations a read key uses, the key sent with each request (filters included, as
    the schema allows them): no 5xx, every response as documented, and nothing of hr/ in any of them."""
    headers = bearer(world.setup.keys["public"])
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.client.app, headers=headers)
    strategy = schema[path][method].as_strategy(generation_mode=GenerationMode.POSITIVE)
    hidden = [(d.doc_id, d.title) for d in world.unseen("public")]

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(strategy)
        response = case.call(headers=headers)
        fuzz_tally("schemathesis with a scoped key", response.status_code)
        case.validate_response(response, excluded_checks=[positive_data_acceptance])
        assert not any(doc_id in response.text or title in response.text for doc_id, title in hidden)

    run()

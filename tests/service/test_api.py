"""The JSON API over the small hashing-encoder index: every endpoint, every error path, the headers."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from index.batching import BatcherClosed
from service.app import create_app
from service.middleware import CONTENT_SECURITY_POLICY
from service.settings import Settings

QUESTION = "Who co-chairs the Lantern River Project?"


def post_json(client: TestClient, path: str, body: object) -> object:
    return client.post(path, content=json.dumps(body), headers={"content-type": "application/json"})


def assert_sentence(response, status: int, *fragments: str) -> None:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail[0].isupper() and detail.endswith((".", "?")), detail
    for fragment in fragments:
        assert fragment in detail, detail


# -- health --------------------------------------------------------------------------------------


def test_healthz_reports_the_loaded_index(client: TestClient, small_engine) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["passages"] == small_engine.size == 6
    assert body["model"] == "hashing-bow"
    assert body["built_at"] == small_engine.index.manifest.built_at


def test_healthz_is_503_before_the_index_is_loaded(small_index) -> None:
    app = create_app(Settings(index_dir=small_index))  # no lifespan run: nothing loaded yet
    bare = TestClient(app)
    response = bare.get("/healthz")
    assert_sentence(response, 503, "not loaded")
    assert_sentence(bare.get("/api/search", params={"q": "bees"}), 503, "loading")


def test_the_lifespan_loads_the_index(small_index) -> None:
    with TestClient(create_app(Settings(index_dir=small_index, model="hashing-bow"))) as loaded:
        assert loaded.get("/healthz").json()["passages"] == 6


# -- search --------------------------------------------------------------------------------------


def test_search_returns_ranked_cited_passages(client: TestClient) -> None:
    response = client.get("/api/search", params={"q": QUESTION, "k": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == QUESTION
    assert body["answerable"] is True
    assert isinstance(body["took_ms"], float)
    results = body["results"]
    assert [r["rank"] for r in results] == [1, 2, 3]
    assert results[0]["score"] >= results[1]["score"] >= results[2]["score"]
    top = results[0]
    assert "co-chaired by the Blue Heron Trust" in top["text"]
    assert top["passage_id"].startswith("p-") and top["doc_id"].startswith("d-")
    assert top["title"] == "The Lantern River Project"
    assert top["source"].endswith("river-project.md")
    assert top["context"] == "Partners"
    highlight = top["highlight"]
    assert top["text"][highlight["start"] : highlight["end"]] == highlight["text"]
    assert "co-chaired" in highlight["text"]


def test_search_default_k_is_five(client: TestClient) -> None:
    assert len(client.get("/api/search", params={"q": "project"}).json()["results"]) == 5


def test_search_abstains_on_an_unrelated_question(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "What is the capital of Peru?"}).json()
    assert body["answerable"] is False
    assert body["results"], "the closest passages are still listed"


def test_offsets_round_trip_through_the_document(client: TestClient) -> None:
    for result in client.get("/api/search", params={"q": "bees orchards wardens budget", "k": 6}).json()["results"]:
        document = client.get(f"/api/documents/{result['doc_id']}").json()
        assert document["text"][result["start"] : result["end"]] == result["text"]


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_search_modes(client: TestClient, mode: str) -> None:
    response = client.get("/api/search", params={"q": QUESTION, "mode": mode})
    assert response.status_code == 200
    assert "Blue Heron" in response.json()["results"][0]["text"]


# -- ask and chat --------------------------------------------------------------------------------


def test_ask_answers_with_a_verbatim_cited_sentence(client: TestClient) -> None:
    response = post_json(client, "/api/ask", {"question": QUESTION, "k": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["question"] == QUESTION
    assert body["abstained"] is False
    assert body["answer"].endswith("[1]")
    first = body["citations"][0]
    assert first["n"] == 1
    assert first["highlight"]["text"] in body["answer"]
    assert first["highlight"]["text"] in first["text"]
    assert [c["n"] for c in body["citations"]] == list(range(1, len(body["citations"]) + 1))


def test_ask_abstains_and_says_so(client: TestClient) -> None:
    body = post_json(client, "/api/ask", {"question": "What is the capital of Peru?"}).json()
    assert body["abstained"] is True
    assert "do not contain an answer" in body["answer"]
    assert body["citations"]


def test_ask_ignores_unknown_fields(client: TestClient) -> None:
    assert post_json(client, "/api/ask", {"question": QUESTION, "colour": "blue"}).status_code == 200


def test_chat_rewrites_a_follow_up_with_the_history(client: TestClient) -> None:
    messages = [
        {"role": "user", "content": "What did the Lantern River Project do in 2023?"},
        {"role": "assistant", "content": "In 2023 the project rebuilt 42 footbridges [1]"},
        {"role": "user", "content": "Who funds it?"},
    ]
    response = post_json(client, "/api/chat", {"messages": messages, "k": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["question"] == "Who funds it?"
    assert body["rewritten_query"] == "Who funds it (Lantern River Project)?"
    assert set(body) >= {"rewritten_query", "answer", "abstained", "citations"}
    assert any("Blue Heron Trust" in c["text"] for c in body["citations"])


def test_chat_leaves_a_first_question_alone(client: TestClient) -> None:
    body = post_json(client, "/api/chat", {"messages": [{"role": "user", "content": QUESTION}]}).json()
    assert body["rewritten_query"] == QUESTION
    assert "Blue Heron" in body["citations"][0]["text"]


# -- passages and documents ----------------------------------------------------------------------


def test_passage_by_id(client: TestClient) -> None:
    top = client.get("/api/search", params={"q": QUESTION}).json()["results"][0]
    response = client.get(f"/api/passages/{top['passage_id']}")
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("passage_id", "doc_id", "title", "source", "start", "end", "text", "context")} == {
        k: top[k] for k in ("passage_id", "doc_id", "title", "source", "start", "end", "text", "context")
    }


def test_document_by_id(client: TestClient) -> None:
    top = client.get("/api/search", params={"q": QUESTION}).json()["results"][0]
    body = client.get(f"/api/documents/{top['doc_id']}").json()
    assert body["doc_id"] == top["doc_id"]
    assert body["title"] == "The Lantern River Project"
    assert "The Lantern River Project is co-chaired" in body["text"]
    assert body["pages"] == []


# -- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"question": ""}, 422, "The question is empty"),
        ({"question": "   \n\t "}, 422, "The question is empty"),
        ({"question": "\u200b\ufeff \u2060"}, 422, "The question is empty"),
        ({"question": "x" * 1001}, 422, "1,001 characters"),
        ({"question": "a\u0000b"}, 422, "U+0000"),
        ({"question": "bell \u0007"}, 422, "U+0007"),
        ({"question": "lone \ud800 surrogate"}, 422, "U+D800"),
        ({"question": 5}, 422, "'question' must be a string"),
        ({"question": ["a"]}, 422, "'question' must be a string"),
        ({"question": None}, 422, "'question' must be a string"),
        ({}, 422, "'question' is missing"),
        ({"question": "x", "k": 0}, 422, "at least 1"),
        ({"question": "x", "k": 51}, 422, "at most 50"),
        ({"question": "x", "k": -3}, 422, "at least 1"),
        ({"question": "x", "k": 2.5}, 422, "whole number"),
        ({"question": "x", "k": "5"}, 422, "whole number"),
        ({"question": "x", "k": True}, 422, "whole number"),
        ({"question": "x", "mode": "fuzzy"}, 422, "'hybrid', 'dense' or 'lexical'"),
        ([], 422, "JSON object"),
        ("question", 422, "JSON object"),
        (None, 422, "JSON object"),
    ],
)
def test_ask_rejects_bad_input_with_one_sentence(client: TestClient, body: object, status: int, fragment: str) -> None:
    assert_sentence(post_json(client, "/api/ask", body), status, fragment)


def test_question_of_exactly_1000_characters_is_accepted(client: TestClient) -> None:
    assert post_json(client, "/api/ask", {"question": "bees " * 200}).status_code == 200


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "fragment"),
    [
        ("{bad json", "application/json", 400, "not valid JSON"),
        ('{"question": "x",}', "application/json", 400, "not valid JSON"),
        ("", "application/json", 422, "body is missing"),
        ('{"question": "x"}', "text/plain", 422, "application/json"),
        ('{"question": "x"}', None, 422, "application/json"),
    ],
)
def test_malformed_bodies(client: TestClient, raw: str, content_type: str | None, status: int, fragment: str) -> None:
    # Without Content-Type: application/json the body is not parsed (FastAPI's strict content type, against CSRF).
    response = client.post("/api/ask", content=raw, headers={"content-type": content_type} if content_type else {})
    assert_sentence(response, status, fragment)


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"messages": []}, "conversation is empty"),
        ({}, "'messages' is missing"),
        ({"messages": "hello"}, "must be a list"),
        ({"messages": [{"role": "system", "content": "x"}]}, "'user' or 'assistant'"),
        ({"messages": [{"role": "user"}]}, "'messages[0].content' is missing"),
        ({"messages": [{"role": "user", "content": 3}]}, "must be a string"),
        ({"messages": ["hello"]}, "JSON object"),
        ({"messages": [user("x"), {"role": "assistant", "content": "y"}]}, "last message must be the user"),
        ({"messages": [user("   ")]}, "position 0 is empty"),
        ({"messages": [user("x" * 1001)]}, "1,000"),
        ({"messages": [user("ok"), user("bad \u0000")]}, "U+0000"),
        ({"messages": [{"role": "assistant", "content": "nul \u0000"}, user("x")]}, "U+0000"),
        ({"messages": [user("q")] * 51}, "51 messages"),
        ({"messages": [user("q" * 1000)] * 21}, "21,000 characters"),
        ({"messages": [user("x")], "k": 0}, "at least 1"),
        ({"messages": [user("x")], "k": "many"}, "whole number"),
    ],
)
def test_chat_rejects_bad_conversations(client: TestClient, body: object, fragment: str) -> None:
    assert_sentence(post_json(client, "/api/chat", body), 422, fragment)


def test_chat_accepts_fifty_messages(client: TestClient) -> None:
    messages = [user("What did the project do?"), {"role": "assistant", "content": "It rebuilt footbridges."}] * 24
    messages += [user("thanks"), user("Who funds it?")]
    assert post_json(client, "/api/chat", {"messages": messages}).status_code == 200


@pytest.mark.parametrize(
    ("url", "status", "fragment"),
    [
        ("/api/search", 422, "'q' is missing"),
        ("/api/search?q=", 422, "empty"),
        ("/api/search?q=%20%20", 422, "empty"),
        ("/api/search?q=a%00b", 422, "U+0000"),
        ("/api/search?q=bees&k=0", 422, "at least 1"),
        ("/api/search?q=bees&k=51", 422, "at most 50"),
        ("/api/search?q=bees&k=abc", 422, "whole number"),
        ("/api/search?q=bees&k=2.5", 422, "whole number"),
        ("/api/search?q=bees&mode=psychic", 422, "'hybrid', 'dense' or 'lexical'"),
        ("/api/search?q=" + "x" * 1001, 422, "1,001 characters"),
        ("/api/passages/not-an-id", 422, "passage id 'not-an-id' is malformed"),
        ("/api/passages/p-XYZ", 422, "is malformed"),
        ("/api/passages/p-0000000000000000", 404, "no passage p-0000000000000000"),
        ("/api/documents/nope", 422, "document id"),
        ("/api/documents/p-0000000000000000", 422, "document id"),
        ("/api/documents/d-0000000000000000", 404, "no document d-0000000000000000"),
        ("/api/nowhere", 404, "nothing at /api/nowhere"),
    ],
)
def test_get_errors(client: TestClient, url: str, status: int, fragment: str) -> None:
    assert_sentence(client.get(url), status, fragment)


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [("DELETE", "/api/search", "GET"), ("PUT", "/api/ask", "POST"), ("GET", "/api/chat", "POST"), ("POST", "/healthz", "GET")],
)
def test_unsupported_methods(client: TestClient, method: str, url: str, allowed: str) -> None:
    response = client.request(method, url)
    assert_sentence(response, 405, f"The method {method} is not allowed on {url}", allowed)
    assert allowed in response.headers["allow"]


def test_body_over_64_kib_is_refused_by_content_length(client: TestClient) -> None:
    body = json.dumps({"question": "bees", "padding": "x" * 70_000})
    response = client.post("/api/ask", content=body, headers={"content-type": "application/json"})
    assert_sentence(response, 413, "64 KiB")


def test_streamed_body_over_64_kib_is_refused(client: TestClient) -> None:
    def chunks():
        yield b'{"question": "bees", "padding": "'
        for _ in range(80):
            yield b"x" * 1024
        yield b'"}'

    response = client.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert_sentence(response, 413, "64 KiB")


def test_streamed_body_under_the_limit_is_served(client: TestClient) -> None:
    def chunks():
        yield b'{"question": '
        yield json.dumps(QUESTION).encode()
        yield b"}"

    assert client.post("/api/ask", content=chunks(), headers={"content-type": "application/json"}).status_code == 200


def test_lying_content_length_is_refused(client: TestClient) -> None:
    response = client.post("/api/ask", content=b"{}", headers={"content-type": "application/json", "content-length": "abc"})
    assert_sentence(response, 400, "Content-Length")


# -- headers, docs, admin ------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/healthz", "/api/search?q=bees", "/api/search", "/", "/chat", "/static/style.css", "/nothing"])
def test_security_headers_on_every_response(client: TestClient, url: str) -> None:
    headers = client.get(url).headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] in ("no-referrer", "same-origin")


def test_security_headers_on_a_413(client: TestClient) -> None:
    response = client.post("/api/ask", content=b"x" * 70_000)
    assert response.headers["x-content-type-options"] == "nosniff"


def test_openapi_and_docs(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    for path in ("/healthz", "/api/search", "/api/ask", "/api/chat", "/api/passages/{passage_id}", "/api/documents/{doc_id}"):
        assert path in schema["paths"], path
    ask = schema["paths"]["/api/ask"]["post"]
    assert ask["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/AskOut")
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "/docs/assets/swagger-ui-bundle.js" in docs.text and "<script>" not in docs.text
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_no_cors_headers_by_default(client: TestClient) -> None:
    response = client.get("/healthz", headers={"origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in response.headers


def test_cors_for_configured_origins(small_index, small_engine) -> None:
    settings = Settings(index_dir=small_index, cors_origins="https://app.example, https://other.example")
    assert settings.cors_origins == ["https://app.example", "https://other.example"]
    with TestClient(create_app(settings, engine=small_engine)) as cors:
        allowed = cors.get("/healthz", headers={"origin": "https://app.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        refused = cors.get("/healthz", headers={"origin": "https://evil.example"})
        assert "access-control-allow-origin" not in refused.headers


def test_admin_endpoints_are_absent_without_a_key(client: TestClient) -> None:
    assert_sentence(client.post("/api/admin/reload"), 404, "nothing")


def test_admin_reload_needs_the_key(small_index, small_engine) -> None:
    settings = Settings(index_dir=small_index, admin_key="s3cret", model="hashing-bow")
    with TestClient(create_app(settings, engine=small_engine)) as admin:
        assert_sentence(admin.post("/api/admin/reload"), 401, "X-Admin-Key")
        assert_sentence(admin.post("/api/admin/reload", headers={"x-admin-key": "wrong"}), 401)
        response = admin.post("/api/admin/reload", headers={"x-admin-key": "s3cret"})
        assert response.status_code == 200
        assert response.json()["passages"] == 6
        assert admin.get("/api/search", params={"q": QUESTION}).status_code == 200


def test_admin_reload_of_a_missing_index_keeps_serving(small_index, small_engine, tmp_path) -> None:
    settings = Settings(index_dir=tmp_path / "gone", admin_key="k")
    with TestClient(create_app(settings, engine=small_engine)) as admin:
        assert_sentence(admin.post("/api/admin/reload", headers={"x-admin-key": "k"}), 409, "no index")
        assert admin.get("/healthz").status_code == 200


def test_reload_closes_the_encoder_it_replaces(small_index, small_engine) -> None:
    settings = Settings(index_dir=small_index, admin_key="k", model="hashing-bow")
    app = create_app(settings, engine=small_engine)
    with TestClient(app) as admin:
        replaced = app.state.query_encoder
        assert admin.post("/api/admin/reload", headers={"x-admin-key": "k"}).status_code == 200
        assert app.state.engine is not small_engine and app.state.query_encoder is not replaced
        # Requests still holding the old engine encode through the model directly; its batcher thread is gone.
        assert small_engine.query_encoder is None
        with pytest.raises(BatcherClosed):
            replaced.encode(["a text encoded after the reload"])
        assert admin.get("/api/search", params={"q": QUESTION}).status_code == 200


def test_an_address_or_header_block_over_the_limit_is_refused_with_a_sentence(client: TestClient) -> None:
    assert_sentence(client.get("/api/search", params={"q": "bees " * 2000}), 414, "address", "at most 8,192")
    assert_sentence(client.get("/healthz", headers={"x-padding": "x" * 20_000}), 431, "headers", "at most 16,384")
    assert client.get("/api/search", params={"q": "bees " * 100}).status_code in (200, 422)  # a long question is no address problem

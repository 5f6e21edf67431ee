"""Every refusal of API.md, on every endpoint it applies to, as one table: bad input yields a 4xx with
{"detail": "<a sentence>"}, never a 5xx, and search text reaches FTS5 as data, never as query syntax.

Complements test_api.py (which checks each message in detail on one endpoint) by crossing every case
with every endpoint that takes that kind of input."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from service.validation import MAX_CONVERSATION_CHARS, MAX_MESSAGES

GOOD = "Who co-chairs the Lantern River Project?"
PASSAGE_ID = "p-0000000000000000"
DOC_ID = "d-0000000000000000"


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    body: bytes | None = None
    content_type: str | None = "application/json"


def _json(value: object) -> bytes:
    return json.dumps(value).encode()


# -- how each endpoint carries a question and a k ------------------------------------------------

def search(text: str, k: object = 5) -> Call:
    return Call("GET", f"/api/search?q={quote(text, safe='')}&k={quote(str(k), safe='')}")


def ask(text: object, k: object = 5) -> Call:
    return Call("POST", "/api/ask", _json({"question": text, "k": k}))


def chat(text: object, k: object = 5) -> Call:
    history = [{"role": "user", "content": "What did the project do?"}, {"role": "assistant", "content": "It rebuilt bridges."}]
    return Call("POST", "/api/chat", _json({"messages": [*history, {"role": "user", "content": text}], "k": k}))


def page(text: str, k: object = 5) -> Call:
    return Call("GET", f"/?q={quote(text, safe='')}&k={quote(str(k), safe='')}")


QUESTION_ENDPOINTS = {"search": search, "ask": ask, "chat": chat, "page": page}
API_QUESTION_ENDPOINTS = {"search": search, "ask": ask, "chat": chat}


def refused(client: TestClient, call: Call, status: int | tuple[int, ...], *fragments: str) -> str:
    headers = {"content-type": call.content_type} if call.content_type and call.body is not None else {}
    response = client.request(call.method, call.url, content=call.body, headers=headers)
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (call, response.status_code, response.text[:300])
    if response.headers["content-type"].startswith("text/html"):
        detail = response.text  # the page shows the sentence in its alert
    else:
        body = response.json()
        assert set(body) == {"detail"} and isinstance(body["detail"], str), body
        detail = body["detail"]
        assert detail[0].isupper() and detail.endswith("."), detail
        assert "\n" not in detail and "Traceback" not in detail
    for fragment in fragments:
        assert fragment in detail, (call, detail[:300])
    return detail


def served(client: TestClient, call: Call) -> dict[str, Any] | str:
    headers = {"content-type": call.content_type} if call.content_type and call.body is not None else {}
    response = client.request(call.method, call.url, content=call.body, headers=headers)
    assert response.status_code == 200, (call, response.text[:300])
    return response.json() if response.headers["content-type"].startswith("application/json") else response.text


# -- the question text ---------------------------------------------------------------------------

BAD_TEXT = [
    ("", "empty"),
    ("   \t\n  ", "empty"),
    ("\u200b\ufeff\u2060 ", "empty"),
    ("x" * 1001, "1,001 characters"),
    ("bees \u0000 orchards", "U+0000"),
    ("bell \u0007", "U+0007"),
    ("escape \u001b[31m red", "U+001B"),
    ("delete \u007f", "U+007F"),
    ("next line \u0085 C1", "U+0085"),
]


@pytest.mark.parametrize("endpoint", API_QUESTION_ENDPOINTS)
@pytest.mark.parametrize(("text", "fragment"), BAD_TEXT, ids=[f"text-{i}" for i in range(len(BAD_TEXT))])
def test_bad_question_text_is_refused_on_every_api_endpoint(client: TestClient, endpoint: str, text: str, fragment: str) -> None:
    refused(client, QUESTION_ENDPOINTS[endpoint](text), 422, fragment)


@pytest.mark.parametrize(("text", "fragment"), [c for c in BAD_TEXT if c[1] != "empty"])
def test_bad_question_text_is_explained_on_the_search_page(client: TestClient, text: str, fragment: str) -> None:
    # A blank q on the page is the empty search form (test_pages.py); everything else is refused as in the API.
    refused(client, page(text), 422, fragment, 'role="alert"')


@pytest.mark.parametrize("endpoint", ["ask", "chat"])
def test_a_lone_surrogate_in_json_is_refused(client: TestClient, endpoint: str) -> None:
    body = b'{"question": "a \\ud800 b"}' if endpoint == "ask" else b'{"messages": [{"role": "user", "content": "a \\udfff b"}]}'
    refused(client, Call("POST", f"/api/{endpoint}", body), 422, "U+D")


@pytest.mark.parametrize("endpoint", QUESTION_ENDPOINTS)
def test_exactly_1000_characters_are_accepted(client: TestClient, endpoint: str) -> None:
    served(client, QUESTION_ENDPOINTS[endpoint]("bees " * 199 + "bees"))


FTS5_SYNTAX = [
    '"', '""', '"unbalanced', "bees*", "*", "NEAR(bees orchards)", "NEAR(", "bees NEAR/2 orchards", "title:bees",
    "text:bridges", "{text context}: bees", "- bees", "^bees", "bees AND", "OR", "NOT bees", "AND OR NOT",
    "(bees", "bees)", "bees' OR 1=1 --", "'); DROP TABLE passages; --", "passages_fts MATCH 'x'", "\\", ":", "+",
    "bees \"AND\" orchards", "co-chaired", "rank:x", "bm25(passages_fts)",
]


@pytest.mark.parametrize("endpoint", QUESTION_ENDPOINTS)
@pytest.mark.parametrize("text", FTS5_SYNTAX)
def test_fts5_syntax_in_the_question_is_searched_as_words(client: TestClient, endpoint: str, text: str) -> None:
    served(client, QUESTION_ENDPOINTS[endpoint](text))


def test_fts5_syntax_does_not_change_what_is_found(client: TestClient) -> None:
    plain = [r["passage_id"] for r in served(client, search("Blue Heron Trust", 3))["results"]]
    for wrapped in ('"Blue Heron Trust"', "Blue* Heron* Trust*", "NEAR(Blue Heron Trust)", "text:Blue Heron Trust"):
        found = [r["passage_id"] for r in served(client, search(wrapped, 3))["results"]]
        assert found[0] == plain[0], wrapped


def test_the_store_survives_a_search_for_its_own_sql(client: TestClient, small_engine) -> None:
    served(client, search("'); DROP TABLE passages; --"))
    assert small_engine.index.store.count() == 6


# -- k ---------------------------------------------------------------------------------------------

BAD_K_JSON = [
    (0, "at least 1"), (-1, "at least 1"), (51, "at most 50"), (10**6, "at most 50"), (10**30, "at most 50"),
    (2.5, "whole number"), (5.0, "whole number"), ("5", "whole number"), ("five", "whole number"),
    (True, "whole number"), (None, "whole number"), ([5], "whole number"), ({"k": 5}, "whole number"),
]
BAD_K_QUERY = [
    ("0", "at least 1"), ("-1", "at least 1"), ("51", "at most 50"), ("1000000", "at most 50"),
    ("9" * 5000, "too many digits"), ("2.5", "whole number"), ("1e3", "whole number"), ("abc", "whole number"),
    ("", "whole number"), ("0x10", "whole number"), ("five", "whole number"), ("NaN", "whole number"),
]


@pytest.mark.parametrize("endpoint", ["ask", "chat"])
@pytest.mark.parametrize(("k", "fragment"), BAD_K_JSON, ids=[f"k-{i}" for i in range(len(BAD_K_JSON))])
def test_bad_k_in_json_is_refused(client: TestClient, endpoint: str, k: object, fragment: str) -> None:
    refused(client, QUESTION_ENDPOINTS[endpoint](GOOD, k), 422, "'k'", fragment)


@pytest.mark.parametrize("endpoint", ["search", "page"])
@pytest.mark.parametrize(("k", "fragment"), BAD_K_QUERY, ids=[f"k-{i}" for i in range(len(BAD_K_QUERY))])
def test_bad_k_in_the_query_string_is_refused(client: TestClient, endpoint: str, k: str, fragment: str) -> None:
    refused(client, QUESTION_ENDPOINTS[endpoint](GOOD, k), 422, "'k'", fragment)


@pytest.mark.parametrize("endpoint", ["ask", "chat"])
@pytest.mark.parametrize(("raw", "fragment"), [(b"1e400", "inf"), (b"NaN", "nan"), (b"-Infinity", "-inf"), (b"9" * 5000, "too many digits")])
def test_non_finite_and_endless_k_in_json(client: TestClient, endpoint: str, raw: bytes, fragment: str) -> None:
    call = QUESTION_ENDPOINTS[endpoint](GOOD, "K")
    refused(client, Call("POST", call.url, call.body.replace(b'"K"', raw)), (400, 422), fragment)


@pytest.mark.parametrize("endpoint", QUESTION_ENDPOINTS)
@pytest.mark.parametrize("k", [1, 50])
def test_k_at_the_bounds_is_accepted(client: TestClient, endpoint: str, k: int) -> None:
    served(client, QUESTION_ENDPOINTS[endpoint](GOOD, k))


# -- JSON bodies -------------------------------------------------------------------------------------

MALFORMED_BODIES = [
    (b"{bad json", "application/json", 400, "not valid JSON"),
    (b'{"question": "x",}', "application/json", 400, "not valid JSON"),
    (b'{"question": "\\x"}', "application/json", 400, "not valid JSON"),
    (b'{"question": "caf\xe9"}', "application/json", 400, "not UTF-8"),
    (b'{"question": "\xff\xfe"}', "application/json", 400, "not UTF-8"),
    ('{"question": "bees"}'.encode("utf-16"), "application/json", 400, "not UTF-8"),
    (b"[" * 5000 + b"]" * 5000, "application/json", 400, "nesting is too deep"),
    (b"", "application/json", 422, "body is missing"),
    (b'{"question": "bees"}', "text/plain", 422, "application/json"),
    (b'{"question": "bees"}', "application/x-www-form-urlencoded", 422, "application/json"),
    (b"question=bees", None, 422, "application/json"),
]


@pytest.mark.parametrize("path", ["/api/ask", "/api/chat"])
@pytest.mark.parametrize(("raw", "content_type", "status", "fragment"), MALFORMED_BODIES, ids=[f"body-{i}" for i in range(len(MALFORMED_BODIES))])
def test_malformed_bodies_are_refused(client: TestClient, path: str, raw: bytes, content_type: str | None, status: int, fragment: str) -> None:
    refused(client, Call("POST", path, raw, content_type), status, fragment)


WRONG_TYPES_ASK = [
    ([], "JSON object"), ("bees", "JSON object"), (None, "JSON object"), (5, "JSON object"),
    ({"question": 5}, "'question' must be a string"), ({"question": []}, "'question' must be a string"),
    ({"question": {}}, "'question' must be a string"), ({"question": True}, "'question' must be a string"),
    ({"question": None}, "'question' must be a string"), ({}, "'question' is missing"),
    ({"question": "bees", "mode": 3}, "'mode'"), ({"question": "bees", "mode": "psychic"}, "'mode'"),
]


@pytest.mark.parametrize(("body", "fragment"), WRONG_TYPES_ASK, ids=[f"ask-{i}" for i in range(len(WRONG_TYPES_ASK))])
def test_wrong_json_types_in_ask(client: TestClient, body: object, fragment: str) -> None:
    refused(client, Call("POST", "/api/ask", _json(body)), 422, fragment)


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


WRONG_CHATS = [
    ([], "JSON object"), ({"messages": "hello"}, "must be a list"), ({"messages": {"role": "user"}}, "must be a list"),
    ({"messages": None}, "must be a list"), ({}, "'messages' is missing"), ({"messages": []}, "conversation is empty"),
    ({"messages": [None]}, "'messages[0]' must be a JSON object"), ({"messages": [5]}, "JSON object"),
    ({"messages": [{"content": "x"}]}, "'messages[0].role' is missing"),
    ({"messages": [{"role": "user"}]}, "'messages[0].content' is missing"),
    ({"messages": [{"role": "user", "content": 5}]}, "must be a string"),
    ({"messages": [{"role": "user", "content": None}]}, "must be a string"),
    ({"messages": [{"role": "user", "content": ["x"]}]}, "must be a string"),
    ({"messages": [user("x"), {"role": "assistant", "content": "a\u0000"}, user("y")]}, "U+0000"),
    ({"messages": [user("x"), {"role": "assistant", "content": "y"}]}, "last message must be the user"),
    ({"messages": [user("  "), user("bees")]}, "position 0 is empty"),
]
UNKNOWN_ROLES = ["system", "tool", "function", "developer", "USER", "User", " user", "", None, 5, ["user"]]


@pytest.mark.parametrize(("body", "fragment"), WRONG_CHATS, ids=[f"chat-{i}" for i in range(len(WRONG_CHATS))])
def test_wrong_json_types_in_chat(client: TestClient, body: object, fragment: str) -> None:
    refused(client, Call("POST", "/api/chat", _json(body)), 422, fragment)


@pytest.mark.parametrize("role", UNKNOWN_ROLES, ids=repr)
@pytest.mark.parametrize("position", [0, 1])
def test_unknown_roles_are_refused(client: TestClient, role: object, position: int) -> None:
    messages: list[object] = [user("What did the project do?"), user("Who funds it?")]
    messages.insert(position, {"role": role, "content": "hello"})
    refused(client, Call("POST", "/api/chat", _json({"messages": messages})), 422, f"'messages[{position}].role'", "'user' or 'assistant'")


def _conversation(messages: int, chars: int) -> list[dict[str, str]]:
    """`messages` alternating turns, ending with the user's, of `chars` characters in all."""
    each, extra = divmod(chars, messages)
    out = []
    for i in range(messages):
        role = "user" if (messages - 1 - i) % 2 == 0 else "assistant"
        out.append({"role": role, "content": "b" * (each + (1 if i < extra else 0))})
    return out


@pytest.mark.parametrize(
    ("messages", "chars", "status", "fragment"),
    [
        (MAX_MESSAGES, 5_000, 200, ""),
        (MAX_MESSAGES + 1, 5_100, 422, "51 messages"),
        (500, 5_000, 422, "500 messages"),
        (21, MAX_CONVERSATION_CHARS, 200, ""),
        (25, MAX_CONVERSATION_CHARS + 1, 422, "20,001 characters"),
        (40, 40_000, 422, "40,000 characters"),
    ],
)
def test_conversation_limits(client: TestClient, messages: int, chars: int, status: int, fragment: str) -> None:
    call = Call("POST", "/api/chat", _json({"messages": _conversation(messages, chars)}))
    if status == 200:
        served(client, call)
    else:
        refused(client, call, status, fragment)


# -- the address and query string -------------------------------------------------------------------

GET_URLS = ["/api/search?q=bees", "/healthz", "/api/stats", f"/api/passages/{PASSAGE_ID}", f"/api/documents/{DOC_ID}",
            "/?q=bees", f"/passages/{PASSAGE_ID}", "/chat", "/docs", "/openapi.json", "/static/style.css"]
BAD_QUERY_STRINGS = [
    ("q=%zz", "'%zz' is not a percent-escape"),
    ("q=bees%", "'%' is not a percent-escape"),
    ("q=%E0%A4%A", "'%A' is not a percent-escape"),
    ("q=%ff", "do not decode to UTF-8"),
    ("q=caf%e9", "do not decode to UTF-8"),
    ("q=%ed%a0%80", "do not decode to UTF-8"),  # a UTF-16 surrogate spelt in UTF-8
    ("q=%c0%af", "do not decode to UTF-8"),  # an overlong '/'
]


@pytest.mark.parametrize("url", GET_URLS)
@pytest.mark.parametrize(("query", "fragment"), BAD_QUERY_STRINGS, ids=[f"qs-{i}" for i in range(len(BAD_QUERY_STRINGS))])
def test_a_malformed_query_string_is_refused_everywhere(client: TestClient, url: str, query: str, fragment: str) -> None:
    joined = f"{url}&{query}" if "?" in url else f"{url}?{query}"
    refused(client, Call("GET", joined), 400, "The query string is malformed", fragment)


@pytest.mark.parametrize("path", ["/api/ask", "/api/chat"])
def test_a_malformed_query_string_is_refused_on_posts(client: TestClient, path: str) -> None:
    refused(client, Call("POST", f"{path}?x=%zz", _json({"question": GOOD})), 400, "query string")


@pytest.mark.parametrize(
    ("url", "fragment"),
    [("/api/passages/%ff", "UTF-8"), ("/api/passages/p-%zz", "'%zz'"), ("/api/documents/d-%c3", "UTF-8"), ("/passages/%E0%A4", "UTF-8")],
)
def test_a_malformed_path_is_refused(client: TestClient, url: str, fragment: str) -> None:
    refused(client, Call("GET", url), 400, "The address is malformed", fragment)


# -- ids ---------------------------------------------------------------------------------------------

BAD_IDS = ["nope", "p-", "p-123", "p-ABCDEF0123456789", "p-000000000000000g", "p-00000000000000000", "d-0000000000000000",
           "%20p-0000000000000000", "p-0000000000000000%20", "p-0000000000000000%00", "%2e%2e", "%2e%2e%2fetc%2fpasswd",
           "p-0000000000000000;drop", "<script>", "x" * 5000, "\u0661\u0662"]


@pytest.mark.parametrize("ident", BAD_IDS, ids=[f"id-{i}" for i in range(len(BAD_IDS))])
def test_malformed_passage_ids(client: TestClient, ident: str) -> None:
    refused(client, Call("GET", f"/api/passages/{ident}"), (404, 422), "passage")
    refused(client, Call("GET", f"/passages/{ident}"), (404, 422))


@pytest.mark.parametrize("ident", [i.replace("p-", "d-").replace("d-0000000000000000", "p-0000000000000000") for i in BAD_IDS])
def test_malformed_document_ids(client: TestClient, ident: str) -> None:
    refused(client, Call("GET", f"/api/documents/{ident}"), (404, 422))


def test_unknown_ids_are_404_with_a_sentence(client: TestClient) -> None:
    refused(client, Call("GET", f"/api/passages/{PASSAGE_ID}"), 404, f"no passage {PASSAGE_ID}")
    refused(client, Call("GET", f"/api/documents/{DOC_ID}"), 404, f"no document {DOC_ID}")
    refused(client, Call("GET", f"/passages/{PASSAGE_ID}"), 404, f"no passage {PASSAGE_ID}")


# -- methods and sizes ---------------------------------------------------------------------------

ROUTES = {
    "/api/search": "GET", "/api/ask": "POST", "/api/chat": "POST", "/healthz": "GET", "/api/stats": "GET",
    f"/api/passages/{PASSAGE_ID}": "GET", f"/api/documents/{DOC_ID}": "GET", "/": "GET",
    f"/passages/{PASSAGE_ID}": "GET", "/chat": "GET", "/docs": "GET", "/openapi.json": "GET",
}


@pytest.mark.parametrize("url", ROUTES)
@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "TRACE"])
def test_unsupported_methods_are_405_everywhere(client: TestClient, url: str, method: str) -> None:
    allowed = ROUTES[url]
    if method == allowed:
        return
    detail = refused(client, Call(method, url), 405, f"The method {method} is not allowed on {url}; use ")
    assert allowed in detail.rsplit("; use ", 1)[1]


def test_every_route_of_the_app_is_in_the_method_table(client: TestClient) -> None:
    from fastapi.routing import APIRoute

    paths = {r.path for r in client.app.routes if isinstance(r, APIRoute)}  # type: ignore[attr-defined]
    listed = {u.replace(PASSAGE_ID, "{passage_id}").replace(DOC_ID, "{doc_id}") for u in ROUTES}
    # The admin endpoints exist only with a key (test_reliability_defaults.py).
    assert paths - {"/favicon.ico", "/api/admin/reload"} <= listed, paths - listed


@pytest.mark.parametrize("call", [Call("POST", "/api/ask"), Call("POST", "/api/chat"), Call("GET", "/api/search?q=bees"), Call("GET", "/")], ids=lambda c: c.url)
@pytest.mark.parametrize("size", [64 * 1024 + 1, 1024 * 1024])
def test_bodies_over_64_kib_are_413_everywhere(client: TestClient, call: Call, size: int) -> None:
    body = b'{"question": "' + b"x" * (size - 16) + b'"}'
    assert len(body) > 64 * 1024
    refused(client, Call(call.method, call.url, body), 413, "64 KiB")


@pytest.mark.parametrize("path", ["/api/ask", "/api/chat"])
def test_a_body_just_under_64_kib_is_read(client: TestClient, path: str) -> None:
    body = _json({"question": GOOD, "messages": [user(GOOD)], "padding": "x" * (64 * 1024 - 200)})
    assert len(body) <= 64 * 1024
    served(client, Call("POST", path, body))

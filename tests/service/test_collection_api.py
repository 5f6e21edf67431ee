"""The collection over HTTP: list, upload (JSON and multipart), replace and delete documents with the admin key,
bad uploads refused with a sentence and the index unchanged, and a server that follows what another process
publishes."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index.build import build_index
from index.embed import HashingEmbedder
from index.sync import sync_paths
from service.app import create_app
from service.settings import Settings

KEY = "collection-test-key"
ADMIN = {"X-Admin-Key": KEY}
FILES = {
    "hr/leave.md": "# Leave policy\n\nEvery employee receives 27 days of annual leave each year.\n",
    "eng/deploy.md": "# Deploy guide\n\nDeployments run every Tuesday morning from the release branch.\n",
}


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


@pytest.fixture()
def folders(tmp_path: Path) -> tuple[Path, Path]:
    root, index = tmp_path / "docs", tmp_path / "index"
    write(root, FILES)
    build_index([root], index, HashingEmbedder(), progress=False)
    return root, index


def app_client(index: Path, **settings: object) -> TestClient:
    values: dict[str, object] = {"index_dir": index, "model": "hashing-bow", "admin_key": KEY, **settings}
    return TestClient(create_app(Settings(**values)), raise_server_exceptions=False)  # type: ignore[arg-type]


@pytest.fixture()
def client(folders: tuple[Path, Path]) -> Iterator[TestClient]:
    with app_client(folders[1]) as test_client:
        yield test_client


def post_json(client: TestClient, body: object, headers: dict[str, str] = ADMIN):
    return client.post("/api/documents", content=json.dumps(body), headers={"content-type": "application/json", **headers})


def upload(client: TestClient, name: str, data: bytes, **fields: str):
    return client.post("/api/documents", files={"file": (name, data)}, data=fields, headers=ADMIN)


def found(client: TestClient, question: str, mode: str = "hybrid", **params: str) -> list[dict]:
    return client.get("/api/search", params={"q": question, "k": 10, "mode": mode, **params}).json()["results"]


def assert_sentence(response, *statuses: int) -> None:
    assert response.status_code in statuses, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail[0].isupper() and detail.endswith("."), detail
    assert "Traceback" not in detail


# -- listing ---------------------------------------------------------------------------------------


def test_the_list_pages_through_the_documents_newest_first(client: TestClient) -> None:
    first = client.get("/api/documents").json()
    assert first["total"] == 2 and len(first["documents"]) == 2
    assert set(first["documents"][0]) == {"doc_id", "title", "source", "passages", "added_at", "sha256"}
    added = post_json(client, {"text": "# Canteen\n\nThe canteen serves soup from noon until two.", "source": "facilities/canteen.md"}).json()
    listed = client.get("/api/documents", params={"limit": 1}).json()
    assert listed["total"] == 3 and [d["doc_id"] for d in listed["documents"]] == [added["doc_id"]]
    rest = client.get("/api/documents", params={"offset": 1, "limit": 5}).json()["documents"]
    assert len(rest) == 2 and added["doc_id"] not in {d["doc_id"] for d in rest}
    assert_sentence(client.get("/api/documents", params={"limit": 0}), 422)


# -- adding and replacing --------------------------------------------------------------------------


def test_a_json_document_is_searchable_when_the_response_arrives(client: TestClient) -> None:
    response = post_json(client, {"text": "# Canteen\n\nThe canteen serves lentil soup from noon until two.", "source": "facilities/canteen.md"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["source"] == "facilities/canteen.md" and body["title"] == "Canteen" and body["passages"] == 1
    assert body["replaced"] is False
    for mode in ("hybrid", "dense", "lexical"):
        assert any(r["doc_id"] == body["doc_id"] for r in found(client, "when is lentil soup served", mode))
    assert [r["doc_id"] for r in found(client, "soup", source="facilities/*")] == [body["doc_id"]]


def test_the_same_source_replaces_the_document_everywhere(client: TestClient) -> None:
    old = post_json(client, {"text": "The shuttle bus leaves at 7:15 from gate B.", "source": "transport/shuttle.txt"}).json()
    old_passage = found(client, "shuttle bus gate", "lexical")[0]["passage_id"]
    new = post_json(client, {"text": "The shuttle bus leaves at 8:40 from the north car park.", "source": "transport/shuttle.txt"})
    assert new.status_code == 201 and new.json()["replaced"] is True and new.json()["doc_id"] != old["doc_id"]
    for mode in ("hybrid", "dense", "lexical"):
        texts = [r["text"] for r in found(client, "when does the shuttle bus leave", mode)]
        assert any("8:40" in t for t in texts) and not any("7:15" in t for t in texts), mode
    assert client.get(f"/api/documents/{old['doc_id']}").status_code == 404
    assert client.get(f"/api/passages/{old_passage}").status_code == 404
    again = post_json(client, {"text": "The shuttle bus leaves at 8:40 from the north car park.", "source": "transport/shuttle.txt"})
    assert again.status_code == 201 and again.json()["replaced"] is False and again.json()["doc_id"] == new.json()["doc_id"]


def make_pdf(text: str) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text)
    page.save()
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "question"),
    [
        ("notes.txt", b"The boiler is serviced every October by an outside firm.", "boiler serviced"),
        ("guide.md", b"# Bicycle parking\n\nBicycles are parked in the basement racks behind the lifts.", "bicycles parked"),
        ("page.html", b"<html><head><title>Library hours</title></head><body><main><p>The library opens at nine on weekdays and closes at six.</p></main></body></html>", "library opens"),
        ("memo.pdf", None, "greenhouse watered"),
    ],
)
def test_an_uploaded_file_is_indexed(client: TestClient, name: str, data: bytes | None, question: str) -> None:
    data = data if data is not None else make_pdf("The greenhouse is watered every evening by the night guard.")
    response = upload(client, name, data, source=f"uploads/{name}")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["source"] == f"uploads/{name}" and body["passages"] >= 1
    assert any(r["doc_id"] == body["doc_id"] for r in found(client, question, "lexical"))
    listed = client.get("/api/documents").json()["documents"][0]
    assert listed["doc_id"] == body["doc_id"] and len(listed["sha256"]) == 64


def test_an_upload_takes_its_title_and_defaults_its_source_to_the_file_name(client: TestClient) -> None:
    body = upload(client, "rota.txt", b"The cleaning rota changes on the first of each month.", title="Cleaning rota").json()
    assert body["title"] == "Cleaning rota" and body["source"] == "rota.txt"


# -- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "status", "fragment"),
    [
        ("blob.txt", bytes(range(256)) * 8, 422, "binary"),
        ("empty.md", b"", 422, "empty"),
        ("tool.exe", b"MZ\x90\x00 not a document", 415, "cannot be indexed"),
        ("report.docx", b"PK\x03\x04 zipped", 415, "cannot be indexed"),
        ("broken.pdf", b"%PDF-1.4 this is not really a PDF at all", 422, "PDF"),
        ("blank.txt", b"   \n\n  \t \n", 422, "text"),
    ],
)
def test_a_bad_upload_is_refused_with_a_sentence_and_the_index_is_unchanged(
    client: TestClient, folders: tuple[Path, Path], name: str, data: bytes, status: int, fragment: str
) -> None:
    before = folders[1].resolve()
    response = upload(client, name, data)
    assert_sentence(response, status)
    assert fragment in response.json()["detail"]
    assert folders[1].resolve() == before and client.get("/api/documents").json()["total"] == 2


@pytest.mark.parametrize(
    ("body", "fragment"),
    [({"title": "No text"}, "text"), ({"text": ""}, "text"), ({"text": 5}, "text"), ({"text": "x", "source": ""}, "source")],
)
def test_a_bad_json_document_is_refused_with_a_sentence(client: TestClient, body: dict, fragment: str) -> None:
    response = post_json(client, body)
    assert_sentence(response, 422)
    assert fragment in response.json()["detail"]


def test_other_content_types_and_missing_files_are_refused(client: TestClient) -> None:
    assert_sentence(client.post("/api/documents", content=b"plain words", headers={"content-type": "text/plain", **ADMIN}), 415)
    assert_sentence(client.post("/api/documents", data={"title": "no file"}, files={"other": ("a.txt", b"x")}, headers=ADMIN), 422)


def test_an_upload_over_the_limit_gets_413_and_other_endpoints_keep_64_kib(folders: tuple[Path, Path]) -> None:
    with app_client(folders[1], max_upload_mb=1) as small:
        big = b"word " * (300 * 1024)  # 1.5 MB of text
        assert_sentence(upload(small, "big.txt", big), 413)
        ok = upload(small, "medium.txt", b"The archive room key hangs in the porter's lodge. " * 4000)  # 200 KB
        assert ok.status_code == 201, ok.text
        ask = small.post("/api/ask", content=json.dumps({"question": "x" * 100_000}), headers={"content-type": "application/json"})
        assert_sentence(ask, 413)
        assert "64 KiB" in ask.json()["detail"]


def test_writing_needs_the_admin_key(client: TestClient, folders: tuple[Path, Path]) -> None:
    body = {"text": "Unauthorised text.", "source": "x.txt"}
    assert_sentence(post_json(client, body, headers={}), 401)
    assert_sentence(post_json(client, body, headers={"X-Admin-Key": "wrong"}), 401)
    doc_id = client.get("/api/documents").json()["documents"][0]["doc_id"]
    assert_sentence(client.delete(f"/api/documents/{doc_id}"), 401)
    with app_client(folders[1], admin_key=None) as open_client:  # without a key the writing endpoints do not exist
        assert open_client.post("/api/documents", content=json.dumps(body), headers={"content-type": "application/json"}).status_code in (404, 405)
        assert open_client.delete(f"/api/documents/{doc_id}").status_code in (404, 405)


# -- deleting --------------------------------------------------------------------------------------


def test_a_deleted_document_is_gone_from_every_path(client: TestClient) -> None:
    leave = next(d for d in client.get("/api/documents").json()["documents"] if d["source"].endswith("leave.md"))
    passage = found(client, "annual leave days", "lexical")[0]
    assert passage["doc_id"] == leave["doc_id"]
    response = client.delete(f"/api/documents/{leave['doc_id']}", headers=ADMIN)
    assert response.status_code == 204 and response.content == b""
    for mode in ("hybrid", "dense", "lexical"):
        assert all(r["doc_id"] != leave["doc_id"] for r in found(client, "how many days of annual leave", mode))
    for path, body in (("/api/ask", {"question": "How many days of annual leave?"}),
                       ("/api/chat", {"messages": [{"role": "user", "content": "How many days of annual leave?"}]})):
        answer = client.post(path, content=json.dumps(body), headers={"content-type": "application/json"}).json()
        assert all(c["doc_id"] != leave["doc_id"] for c in answer["citations"])
    assert client.get(f"/api/passages/{passage['passage_id']}").status_code == 404
    assert client.get(f"/api/documents/{leave['doc_id']}").status_code == 404
    assert found(client, "annual leave", doc_id=leave["doc_id"]) == []
    assert client.get("/api/documents").json()["total"] == 1
    assert_sentence(client.delete(f"/api/documents/{leave['doc_id']}", headers=ADMIN), 404)
    assert_sentence(client.delete("/api/documents/not-an-id", headers=ADMIN), 404)


# -- following the command line ------------------------------------------------------------------------


def test_the_server_follows_a_sync_within_a_second(client: TestClient, folders: tuple[Path, Path]) -> None:
    root, index = folders
    write(root, {"eng/oncall.md": "# Oncall\n\nThe oncall rotation changes every Monday at nine."})
    assert sync_paths([root], index).change.changed
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline and not found(client, "oncall rotation Monday", "lexical"):
        time.sleep(0.05)
    assert found(client, "oncall rotation Monday", "lexical")
    assert client.get("/api/documents").json()["total"] == 3

"""The SQLite passage store: round trip, duplicate locations, schema check."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from corpus_helpers import DEFAULT_CORPUS

from corpus.model import Document, Location, Passage, doc_id_for, passage_id_for
from corpus.pipeline import prepare
from corpus.store import SCHEMA_VERSION, PassageStore, StoreError

TEXT = "Funding rose by 45 per cent.\n\nMonitoring improved in every region.\n\nThe report closes here."


def _document() -> Document:
    return Document(doc_id_for("r.pdf", TEXT), "Annual report", "r.pdf", TEXT, ((1, 0, 28), (2, 30, len(TEXT))), "ext-1")


def _passages(doc: Document) -> list[Passage]:
    out = []
    for chunk in doc.text.split("\n\n"):
        start = doc.text.index(chunk)
        out.append(
            Passage(
                passage_id_for(chunk), doc.doc_id, chunk, start, start + len(chunk), "Results" if start else None,
                doc.title, doc.source, doc.page_at(start),
            )
        )
    out[0] = replace(out[0], also_at=(Location("d-other", 5, 33), Location("d-third", 0, 28)))
    return out


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    doc = _document()
    store = PassageStore.create(tmp_path / "passages.sqlite")
    store.add_documents([doc, doc])  # the same document twice is stored once
    store.add_passages(_passages(doc))
    store.commit()
    store.close()
    return tmp_path / "passages.sqlite"


def test_round_trip(store_path: Path) -> None:
    doc = _document()
    store = PassageStore.open(store_path)
    try:
        assert list(store.passages()) == _passages(doc)
        assert store.document(doc.doc_id) == doc
        assert list(store.documents()) == [doc]
        assert store.count() == 3 and store.document_count() == 1
        assert store.rows_fit(3) and not store.rows_fit(2) and store.row_count() == 3
        first = _passages(doc)[0]
        assert store.passage(first.passage_id) == first
        assert store.locations(first.passage_id) == (Location("d-other", 5, 33), Location("d-third", 0, 28))
        assert store.passage("p-missing") is None and store.document("d-missing") is None
        assert store.external_ids() == {doc.doc_id: "ext-1"}
        assert store.texts() == [p.text for p in _passages(doc)]
        assert store.meta("schema_version") == str(SCHEMA_VERSION)
    finally:
        store.close()


def test_passages_without_locations_skip_the_lookup(store_path: Path) -> None:
    store = PassageStore.open(store_path)
    try:
        assert all(p.also_at == () for p in store.passages(with_locations=False))
    finally:
        store.close()


def test_appended_passages_continue_the_row_numbers(store_path: Path) -> None:
    store = PassageStore.open(store_path, readonly=False)
    extra = Passage(passage_id_for("More text."), "d-x", "More text.", 0, 10, None, "X", "x.txt")
    store.add_passages([extra])
    store.commit()
    assert store.texts()[3] == "More text." and store.count() == 4 and store.rows_fit(4) and store.next_row() == 4
    store.close()


def test_a_read_only_store_refuses_writes(store_path: Path) -> None:
    store = PassageStore.open(store_path)
    with pytest.raises(sqlite3.OperationalError):
        store.add_documents([replace(_document(), doc_id="d-new")])
    store.close()


def test_a_schema_version_mismatch_is_a_store_error_in_a_sentence(store_path: Path) -> None:
    db = sqlite3.connect(store_path)
    db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    db.commit()
    db.close()
    with pytest.raises(StoreError) as caught:
        PassageStore.open(store_path)
    message = str(caught.value)
    assert message == f"the passage store {store_path} has schema version {SCHEMA_VERSION + 1}, expected {SCHEMA_VERSION}"
    assert "\n" not in message


def test_a_missing_or_unreadable_store_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is missing"):
        PassageStore.open(tmp_path / "nope.sqlite")
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="is unreadable"):
        PassageStore.open(garbage)
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(StoreError, match="is unreadable"):
        PassageStore.open(other)


def test_create_replaces_an_existing_file(store_path: Path) -> None:
    store = PassageStore.create(store_path)
    assert store.count() == 0
    store.close()


def test_copy_to_is_a_complete_store(store_path: Path, tmp_path: Path) -> None:
    store = PassageStore.open(store_path)
    store.copy_to(tmp_path / "copy.sqlite")
    store.close()
    copy = PassageStore.open(tmp_path / "copy.sqlite")
    assert list(copy.passages()) == _passages(_document())
    copy.close()


def test_a_built_corpus_round_trips_with_its_duplicate_locations(tmp_path: Path) -> None:
    prepared = prepare([DEFAULT_CORPUS])
    store = PassageStore.create(tmp_path / "p.sqlite")
    store.add_documents(prepared.documents)
    store.add_passages(prepared.passages)
    store.commit()
    store.close()
    store = PassageStore.open(tmp_path / "p.sqlite")
    try:
        assert list(store.passages()) == prepared.passages
        assert list(store.documents()) == prepared.documents
        assert all(p.also_at for p in store.passages())
    finally:
        store.close()

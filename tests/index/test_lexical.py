"""The FTS5 lexical index: stemmed matching, the context column, and the one statement that gathers candidates."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.model import Document, Passage, doc_id_for, passage_id_for
from corpus.store import PassageStore
from index.lexical import LexicalIndex

TEXT = "Funding rose by 45 per cent.\n\nMonitoring improved in every region.\n\nThe report closes here.\n\nIt lists:\n\nfirst item\n\nsecond item"


def _passages(doc: Document) -> list[Passage]:
    out = []
    context = None
    for chunk in doc.text.split("\n\n"):
        start = doc.text.index(chunk)
        out.append(Passage(passage_id_for(chunk), doc.doc_id, chunk, start, start + len(chunk),
                           context if chunk.endswith("item") else ("Results" if start else None), doc.title, doc.source))
        if chunk.endswith(":"):
            context = chunk
    return out


@pytest.fixture
def lexical(tmp_path: Path):
    doc = Document(doc_id_for("r.txt", TEXT), "Annual report", "r.txt", TEXT)
    store = PassageStore.create(tmp_path / "store.sqlite")
    store.add_documents([doc])
    passages = _passages(doc)
    store.add_passages(passages)
    index = LexicalIndex.create(store)
    index.add(0, passages)
    store.commit()
    index.prepare_list_items(store.list_items())
    yield index, passages, store
    store.close()


def test_stemmed_words_and_the_context_column_match(lexical) -> None:
    index, passages, _ = lexical
    found = index.gather('"monitor"', 5, ())  # porter stemming: "Monitoring" matches
    assert [h.row for h in found.lexical] == [1] and found.lexical[0].score > 0
    assert found.passages[1] == passages[1]
    assert {h.row for h in index.gather('"results"', 10, ()).lexical} >= {1, 2}  # the context is indexed too
    assert index.gather('"nonexistentword"', 5, ()).lexical == []
    assert index.term_frequencies()["report"] == 1


def test_one_statement_reads_dense_candidates_and_the_bullets_under_a_lead_in(lexical) -> None:
    index, passages, _ = lexical
    found = index.gather(None, 5, [0, 3])  # no lexical ranking: the rows asked for and the items under row 3
    assert found.lexical == []
    assert sorted(found.passages) == [0, 3, 4, 5]
    assert found.passages[4] == passages[4]


def test_list_items_follow_their_lead_in_in_document_order(lexical) -> None:
    index, _, store = lexical
    assert store.list_items() == {3: [4, 5]}
    assert index.gather(None, 5, []).passages == {}  # nothing asked, nothing read


def test_the_same_statement_reads_the_touching_rows_beside_each_candidate(tmp_path: Path) -> None:
    # Three pieces of one paragraph (the first two share a sentence), then a paragraph after a blank line, then
    # another document: only the touching rows of the same document are read beside a candidate.
    text = "Alpha one. Beta two. Gamma three. Delta four.\n\nEpsilon five."
    doc = Document(doc_id_for("a.txt", text), "A", "a.txt", text)
    other_text = "Zeta six."
    other = Document(doc_id_for("b.txt", other_text), "B", "b.txt", other_text)
    spans = [(doc, 0, 20), (doc, 11, 33), (doc, 34, 45), (doc, 47, 60), (other, 0, 9)]
    passages = [Passage(passage_id_for(d.text[a:b]), d.doc_id, d.text[a:b], a, b, None, d.title, d.source) for d, a, b in spans]
    store = PassageStore.create(tmp_path / "touching.sqlite")
    store.add_documents([doc, other])
    store.add_passages(passages)
    index = LexicalIndex.create(store)
    index.add(0, passages)
    store.commit()
    index.prepare_list_items(store.list_items())
    found = index.gather('"beta"', 5, [3])
    assert sorted(found.passages) == [0, 1, 3]  # "beta" is in rows 0 and 1; row 3 is asked for
    assert sorted(found.beside) == [2]  # row 2 touches row 1; row 4 is of another document, row 3 stands apart
    assert found.beside[2] == passages[2]
    assert index.gather(None, 5, [4]).beside == {}
    store.close()

"""The FTS5 lexical index: stemmed matching, the context column, and the one statement that gathers candidates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from corpus.model import Document, Passage, doc_id_for, passage_id_for
from corpus.store import PassageStore
from index.aliases import AliasTable
from index.lexical import LexicalIndex
from index.query import QueryBuilder
from index.terms import Vocabulary, stem

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


def _titled_index(tmp_path: Path, weights: tuple[float, float, float]) -> tuple[LexicalIndex, PassageStore]:
    # "lighthouse" stands only in the first document's title, and once in the second document's long text.
    docs = [("keepers.txt", "Lighthouse", "Keepers trimmed the wicks each night."),
            ("coast.txt", "Coast", "Ships passed the lighthouse at dawn while gulls circled the harbour and nets dried."),
            *((f"{n}.txt", n.title(), f"The {n} of the bay.") for n in ("tides", "reefs", "winds", "boats"))]  # idf > 0
    store = PassageStore.create(tmp_path / f"titled-{weights}.sqlite")
    documents = [Document(doc_id_for(source, text), title, source, text) for source, title, text in docs]
    passages = [Passage(passage_id_for(d.text), d.doc_id, d.text, 0, len(d.text), None, d.title, d.source) for d in documents]
    store.add_documents(documents)
    store.add_passages(passages)
    index = LexicalIndex.create(store)
    index.add(0, passages)
    store.commit()
    weighted = LexicalIndex(store, weights)
    weighted.prepare_list_items({})
    return weighted, store


def test_the_column_weights_reach_the_ranking(tmp_path: Path) -> None:
    no_title, store = _titled_index(tmp_path, (1.0, 0.4, 0.0))
    scores = {h.row: h.score for h in no_title.gather('"lighthouse"', 5, ()).lexical}
    assert scores[1] > 0 and scores[0] == 0  # a title-only match adds nothing at title weight 0
    store.close()
    heavy_title, store = _titled_index(tmp_path, (1.0, 0.4, 3.0))
    ranked = heavy_title.gather('"lighthouse"', 5, ()).lexical
    assert [h.row for h in ranked] == [0, 1] and ranked[1].score > 0  # the title now outweighs one word in long text
    store.close()


@pytest.mark.parametrize("weights", [(1.0, -0.4, 0.3), (1.0, float("nan"), 0.3), (1.0, 0.4), ("1.0); DROP TABLE passages; --", 0.4, 0.3)])
def test_column_weights_are_checked_numbers_before_they_reach_the_sql(tmp_path: Path, weights: tuple) -> None:
    store = PassageStore.create(tmp_path / "store.sqlite")
    with pytest.raises(ValueError, match="BM25"):
        LexicalIndex(store, weights)
    store.close()


def test_an_identifier_weighs_as_its_rarest_word_not_as_a_word_the_collection_never_uses(tmp_path: Path) -> None:
    # FTS5 indexes "shared_buffers" as two words, so its vocabulary never holds the identifier itself.
    text = "Set shared_buffers to a quarter of memory.\n\nThe buffers are shared.\n\nShared memory is fast."
    doc = Document(doc_id_for("c.txt", text), "Configuration", "c.txt", text)
    store = PassageStore.create(tmp_path / "store.sqlite")
    store.add_documents([doc])
    passages = [Passage(passage_id_for(c), doc.doc_id, c, text.index(c), text.index(c) + len(c), None, doc.title, doc.source)
                for c in text.split("\n\n")]
    store.add_passages(passages)
    index = LexicalIndex.create(store)
    index.add(0, passages)
    store.commit()
    vocabulary = Vocabulary(index.term_frequencies(), len(passages))
    builder = QueryBuilder(AliasTable(), vocabulary, lambda texts: np.zeros((len(texts), 4), np.float32))
    weights = {t.stem: t.weight for t in builder.terms("What is shared_buffers?")}
    assert weights == {stem("shared_buffers"): vocabulary.idf("buffer")}  # "buffers": 2 passages, "shared": 3
    assert weights[stem("shared_buffers")] < vocabulary.idf("absent")
    store.close()

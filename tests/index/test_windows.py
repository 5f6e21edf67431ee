"""Neighbouring passages: overlapping pieces of one paragraph take one slot, a result cites the neighbour where its
answer lies, and a highlight carries on into a sentence that refers back to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from corpus.model import Passage, passage_id_for
from corpus.structure import split_long
from index.abstention import AbstentionModel
from index.build import build_index
from index.config import EngineConfig
from index.embed import HashingEmbedder
from index.engine import Engine
from index.evidence import Highlight
from index.lexical import Hit
from index.windows import adjacent, continued, neighbour_rows, one_slot_each, overlapping, refers_back

TOPICS = ["orchard", "granary", "canal", "meadow", "quarry", "mill", "ferry", "bakery", "forge", "vineyard", "market", "school"]
FILLER = [
    f"The {t} committee met twice that season and kept careful notes on every small repair and every delivery of {t} supplies."
    for t in TOPICS
]
# A paragraph of some 300 words: it is split in two pieces sharing the "approved" sentence, and the sentence that
# answers "when" opens the second piece, just past the end of the first.
APPROVED = "The lighthouse restoration was approved by the harbour council after a long public debate about its cost and its design."
ANSWER = "This work will be complete in March 2027, on the timetable that the council published."
LONG = " ".join([
    *FILLER[:7],
    "Volunteers planned the lighthouse restoration and listed what the lighthouse restoration would need, from the lighthouse lamp to the gallery.",
    APPROVED, ANSWER, *FILLER[7:],
])
DOC = f"# Harbour works\n\n{LONG}\n\nThe harbour council also runs a small museum beside the old pier.\n"


def _passage(text: str, start: int, context: str | None = None, doc: str = "d-1") -> Passage:
    return Passage(passage_id_for(text), doc, text, start, start + len(text), context, "Title", "doc.txt")


def test_overlapping_and_touching_passages() -> None:
    a = _passage("One. Two. Three.", 0)
    b = _passage("Three. Four.", 10)  # shares "Three."
    c = _passage("Five.", 23)  # one character after b
    far = _passage("Six.", 40)
    assert overlapping(a, b) and not overlapping(b, c)
    assert adjacent(a, b) and adjacent(b, c) and not adjacent(c, far)
    assert not adjacent(b, _passage("Five.", 23, context="Another heading"))
    assert not overlapping(a, _passage("Three. Four.", 10, doc="d-2"))


def test_the_later_of_two_overlapping_pieces_gives_up_its_slot_unless_it_is_a_lifted_bullet() -> None:
    passages = {0: _passage("One. Two. Three.", 0), 1: _passage("Three. Four.", 10), 2: _passage("Five.", 23)}
    hits = [Hit(1, 0.9), Hit(0, 0.8), Hit(2, 0.7)]
    assert one_slot_each(hits, passages) == [Hit(1, 0.9), Hit(2, 0.7)]  # touching paragraphs keep their slots
    assert one_slot_each(hits, passages, exempt={0}) == hits


def test_neighbour_rows_are_the_touching_rows_just_before_and_after() -> None:
    nearby = {4: _passage("A. B.", 0), 5: _passage("B. C.", 3), 6: _passage("Elsewhere.", 50)}
    assert neighbour_rows(5, nearby) == [4] and neighbour_rows(4, nearby) == [5] and neighbour_rows(7, nearby) == []


@pytest.mark.parametrize("sentence", ["This effort will be carried out through 2025.", "As a result, the scope grew.", "They met again in May."])
def test_sentences_that_refer_back(sentence: str) -> None:
    assert refers_back(sentence)


def test_a_highlight_carries_on_into_the_sentence_that_refers_back_to_it() -> None:
    text = "IOM leads the brief on trafficking. This effort will be carried out through 2025. Other work goes on."
    passage = _passage(text, 0)
    first = Highlight(0, 35, text[:35], 1.0, cosine=0.62)
    carried = continued(passage, first)
    assert carried.text == "IOM leads the brief on trafficking. This effort will be carried out through 2025."
    assert (carried.score, carried.cosine) == (1.0, 0.62)  # still the answering sentence's, for abstention to read
    last = Highlight(82, len(text), text[82:], 1.0)
    assert continued(passage, last) is last
    plain = _passage("Funding rose. Monitoring improved.", 0)
    assert continued(plain, Highlight(0, 13, "Funding rose.", 1.0)).text == "Funding rose."


@pytest.fixture()
def long_engine(tmp_path: Path) -> Iterator[Engine]:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "harbour.md").write_text(DOC, encoding="utf-8")
    build_index([folder], tmp_path / "index", HashingEmbedder(), progress=False)
    engine = Engine.open(tmp_path / "index")
    # The abstention floor is calibrated for MiniLM cosines; the hashing encoder's run lower.
    yield Engine(engine.index, engine.embedder, EngineConfig(), AbstentionModel.permissive())
    engine.close()


def test_the_corpus_splits_with_the_answer_just_past_the_first_piece() -> None:
    pieces = [LONG[a:b] for a, b in split_long(LONG, 0, len(LONG))]
    assert len(pieces) == 2 and pieces[0].endswith(APPROVED) and pieces[1].startswith(APPROVED + " " + ANSWER)


def test_overlapping_pieces_never_take_two_slots_and_k_results_stay_k(long_engine: Engine) -> None:
    outcome = long_engine.search(long_engine.query("lighthouse restoration approved by the harbour council"), k=2)
    assert len(outcome.results) == 2
    first, second = (r.passage for r in outcome.results)
    assert not overlapping(first, second)
    assert "museum" in second.text


def test_the_answer_just_past_the_boundary_is_found_and_cited_where_it_stands(long_engine: Engine) -> None:
    query = long_engine.query("When will the lighthouse restoration be finished?")
    assert long_engine.retrieval.candidates(query, 2).passages[0].text.endswith(APPROVED)  # the first piece ranks first
    answer = long_engine.ask(query, k=2)
    assert not answer.abstained and "March 2027" in answer.answer
    assert f"{APPROVED} {ANSWER} [1]" in answer.answer  # "This work" is quoted with what it refers back to
    cited = answer.citations[0].result
    document = long_engine.document(cited.passage.doc_id)
    assert document is not None and document.text[cited.passage.start : cited.passage.end] == cited.passage.text
    assert cited.highlight is not None and ANSWER in cited.passage.text
    assert cited.passage.text[cited.highlight.start : cited.highlight.end] == cited.highlight.text


def _scored(engine: Engine, question: str, text: str, margin: float) -> str:
    """The window around the best sentence of `text` for `question`, scored on term overlap alone."""
    from index.evidence import highlight
    from index.windows import window

    query = engine.query(question)
    passage = _passage(text, 0)
    vectors = np.zeros((0, 1), dtype=np.float32)  # no sentence vectors: term overlap alone
    marked = highlight(query, passage, vectors, 0.0)
    assert marked is not None
    return window(query, passage, marked, vectors, 0.0, margin).text


def test_an_answer_window_takes_the_neighbour_that_answers_nearly_as_well(long_engine: Engine) -> None:
    text = ("Engineers built the canal lock beside the old mill. The canal lock keeper collected tolls from every barge. "
            "Farmers sold apples at the market.")
    question = "Who collected tolls at the canal lock?"
    assert _scored(long_engine, question, text, margin=-1.0) == "The canal lock keeper collected tolls from every barge."
    assert _scored(long_engine, question, text, margin=1.0) == (
        "Engineers built the canal lock beside the old mill. The canal lock keeper collected tolls from every barge.")


def test_an_answer_window_reaches_past_one_sentence_to_one_that_answers_nearly_as_well(long_engine: Engine) -> None:
    # The second answering sentence is one sentence away: the quote is the span from one to the other.
    text = ("The canal lock keeper collected tolls from every barge. Farmers sold apples at the market. "
            "The canal lock keeper also collected tolls from rafts. Gulls nested on the old mill. Bakers rose early.")
    question = "Who collected tolls at the canal lock?"
    assert _scored(long_engine, question, text, margin=-1.0) == "The canal lock keeper collected tolls from every barge."
    assert _scored(long_engine, question, text, margin=1.0) == (
        "The canal lock keeper collected tolls from every barge. Farmers sold apples at the market. "
        "The canal lock keeper also collected tolls from rafts.")
    # Two sentences away is too far: what lay between would be most of the quote.
    farther = text.replace("Farmers sold apples at the market. ", "Farmers sold apples at the market. Millers ground oats. ")
    assert _scored(long_engine, question, farther, margin=1.0).startswith("The canal lock keeper collected tolls from every barge. Farmers")
    assert "rafts" not in _scored(long_engine, question, farther, margin=1.0)


def test_an_answer_window_takes_the_sentence_the_highlight_refers_back_to(long_engine: Engine) -> None:
    referring = "The council approved the lighthouse plan. This work will be finished by the spring of 2027. Gulls nest there."
    assert _scored(long_engine, "When will the work be finished?", referring, margin=-1.0) == (
        "The council approved the lighthouse plan. This work will be finished by the spring of 2027.")


def test_a_window_with_the_sentence_referred_back_to_may_still_take_the_next_that_answers(long_engine: Engine) -> None:
    text = ("The council approved the lighthouse work. This lighthouse work will be finished in the spring. "
            "The lighthouse keeper hopes for dry weather.")
    question = "When will the lighthouse work be finished?"
    assert _scored(long_engine, question, text, margin=-1.0) == (
        "The council approved the lighthouse work. This lighthouse work will be finished in the spring.")
    assert _scored(long_engine, question, text, margin=1.0) == text


def test_an_answer_quotes_its_window_and_a_result_list_shows_the_sentence(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "works.md").write_text(
        "# Harbour works\n\nThe council approved the lighthouse plan. This work will be finished by the spring of 2027. "
        "Gulls nest on the old pier.\n", encoding="utf-8")
    build_index([tmp_path / "docs"], tmp_path / "index", HashingEmbedder(), progress=False)
    opened = Engine.open(tmp_path / "index")
    engine = Engine(opened.index, opened.embedder, EngineConfig(), AbstentionModel.permissive())
    try:
        query = engine.query("When will the lighthouse work be finished?")
        listed = engine.search(query, 3).results[0]
        assert listed.highlight is not None and listed.highlight.text.startswith("This work will be finished")
        assert listed.window is None  # a result list shows the sentence; the window is worked out for answers only
        answer = engine.ask(query, 3)
        assert answer.answer.startswith("The council approved the lighthouse plan. This work will be finished by the spring of 2027.")
    finally:
        opened.close()

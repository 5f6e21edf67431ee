"""The engine over small indexes built with the hashing encoder: ranking, expansion, answers, safety."""

from __future__ import annotations

import re
import threading

import pytest

from index.abstention import AbstentionModel
from index.answer import ABSTAIN_MESSAGE
from index.config import EngineConfig, Mode
from index.engine import Engine


def test_results_cite_their_document_exactly(small_engine: Engine) -> None:
    outcome = small_engine.search(small_engine.query("How many footbridges were rebuilt?"), k=3)
    assert outcome.results
    for result in outcome.results:
        document = small_engine.index.store.document(result.passage.doc_id)
        assert document is not None
        assert document.text[result.passage.start : result.passage.end] == result.passage.text
        if result.highlight:
            assert result.passage.text[result.highlight.start : result.highlight.end] == result.highlight.text
    assert "footbridges" in outcome.results[0].passage.text


def test_the_highlight_is_the_sentence_that_answers(small_engine: Engine) -> None:
    outcome = small_engine.search(small_engine.query("When does the flood season run?"), k=1)
    assert outcome.results[0].highlight is not None
    assert "flood season" in outcome.results[0].highlight.text


@pytest.mark.parametrize("mode", list(Mode))
def test_every_mode_ranks_and_scores_fall_with_rank(small_engine: Engine, mode: Mode) -> None:
    outcome = small_engine.search(small_engine.query("bee visits at dawn in apple orchards", mode), k=4)
    assert outcome.results and "bee" in outcome.results[0].passage.text.lower()
    scores = [r.score for r in outcome.results]
    assert scores == sorted(scores, reverse=True)
    assert [r.rank for r in outcome.results] == list(range(1, len(scores) + 1))


def test_an_acronym_finds_the_passage_that_spells_it_out(small_engine: Engine) -> None:
    outcome = small_engine.search(small_engine.query("what does OWS co-chair?", Mode.LEXICAL), k=3)
    assert outcome.expansions == ("Office for Water Safety",)
    assert "Office for Water Safety" in outcome.results[0].passage.text


@pytest.mark.parametrize(
    "query",
    ['"', '""', "AND OR NOT", "bee*", "text:bee", "NEAR(bee orchard)", "^bee", "(((", "bee' OR 1=1 --", "-", "🐝"],
)
def test_query_syntax_never_reaches_the_lexical_index(small_engine: Engine, query: str) -> None:
    analysed = small_engine.query(query, Mode.LEXICAL)
    # Only quoted words reach FTS5: operators, prefixes, columns and brackets are data, never syntax.
    assert analysed.fts is None or all(p.startswith('"') and p.endswith('"') and p.count('"') == 2 for p in analysed.fts.split(" OR "))
    outcome = small_engine.search(analysed, k=3)
    if "bee" in query:
        assert any("bee" in r.passage.text.lower() for r in outcome.results)  # the word itself is still searched


def test_an_off_topic_question_abstains_and_still_lists_the_closest(small_engine: Engine) -> None:
    answer = small_engine.ask(small_engine.query("What is the best recipe for sourdough bread?"), k=3)
    assert answer.abstained
    assert answer.answer == ABSTAIN_MESSAGE
    assert answer.citations


def test_answer_markers_are_numbered_in_order_and_point_to_citations(small_engine: Engine) -> None:
    # The abstention model is fitted on MiniLM's cosines; the hashing encoder's run lower.
    engine = Engine(small_engine.index, small_engine.embedder, EngineConfig(), AbstentionModel.permissive())
    answer = engine.ask(engine.query("How many footbridges did the Lantern River Project rebuild in 2023?"), k=5)
    assert not answer.abstained
    markers = [int(m) for m in re.findall(r"\[(\d+)\]", answer.answer)]
    assert markers == list(range(1, len(markers) + 1))
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for n in markers:
        sentence = answer.citations[n - 1].result.highlight
        assert sentence is not None and f"{sentence.text} [{n}]" in answer.answer
    assert "42 footbridges" in answer.answer


def test_bullets_follow_their_lead_in_and_answer_list_questions(list_engine: Engine) -> None:
    outcome = list_engine.search(list_engine.query("Which milestones were met in 2024?"), k=4)
    texts = [r.passage.text for r in outcome.results]
    bullets = [t for t in texts if t.startswith(("Lifeguard", "Radio", "A volunteer"))]
    assert len(bullets) == 3
    # A list question is answered by the items, so they come before the line that introduces them.
    assert texts.index(bullets[0]) < texts.index(next(t for t in texts if t.endswith(":")))
    for result in outcome.results:
        if result.passage.text in bullets:
            assert result.passage.context and result.passage.context.endswith("The following milestones were met in 2024:")


def test_k_larger_than_the_corpus_returns_every_passage_once(list_engine: Engine) -> None:
    outcome = list_engine.search(list_engine.query("harbour"), k=50)
    ids = [r.passage.passage_id for r in outcome.results]
    assert len(ids) == len(set(ids)) == list_engine.size


def test_searches_beyond_the_engines_slots_wait_for_one(small_engine: Engine) -> None:
    assert small_engine.slots is not None  # as many as the machine has cores
    small_engine.slots = threading.BoundedSemaphore(1)
    query = small_engine.query("harbour safety")
    done = threading.Event()
    small_engine.slots.acquire()  # another search holds the only slot
    try:
        worker = threading.Thread(target=lambda: (small_engine.search(query, 3), done.set()))
        worker.start()
        assert not done.wait(0.3)
    finally:
        small_engine.slots.release()
    assert done.wait(10)
    worker.join()

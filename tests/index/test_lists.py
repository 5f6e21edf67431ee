"""Lists: a list question answers with the lead-in and its items, each cited; the lead-in keeps its slot."""

from __future__ import annotations

import re

from index.abstention import AbstentionModel
from index.answer import list_answer
from index.config import EngineConfig
from index.engine import Engine
from index.lexical import Hit
from index.lists import keep_lead_ins

LEAD = "The following milestones were met in 2024:"
BULLETS = ("Lifeguard towers", "Radio coverage", "A volunteer boat crew")


def _relaxed(engine: Engine) -> Engine:
    # The abstention model is fitted on MiniLM's cosines; the hashing encoder's run lower.
    return Engine(engine.index, engine.embedder, EngineConfig(), AbstentionModel.permissive())


def test_a_list_question_answers_with_the_lead_in_then_each_item_cited(list_engine: Engine) -> None:
    engine = _relaxed(list_engine)
    answer = engine.ask(engine.query("Which milestones were met in 2024?"), k=4)
    assert not answer.abstained
    assert answer.answer.startswith(f"{LEAD} [1]")
    positions = [answer.answer.index(b) for b in BULLETS]
    assert positions == sorted(positions)  # document order
    markers = [int(m) for m in re.findall(r"\[(\d+)\]", answer.answer)]
    assert markers == [1, 2, 3, 4]
    for n in markers:
        marked = answer.citations[n - 1].result.highlight
        assert marked is not None and f"{marked.text} [{n}]" in answer.answer
    assert [c.result.passage.text.startswith(BULLETS) for c in answer.citations[1:4]] == [True] * 3


def test_the_lead_in_keeps_a_slot_when_its_bullets_would_fill_them(list_engine: Engine) -> None:
    engine = _relaxed(list_engine)
    answer = engine.ask(engine.query("Which milestones were met in 2024?"), k=2)
    texts = [r.passage.text for r in answer.outcome.results]
    assert len(texts) == 2 and texts[0].startswith("Lifeguard") and texts[1].endswith(LEAD)
    assert answer.answer == f"{LEAD} [1] {texts[0]} [2]"


def test_keep_lead_ins_replaces_the_last_lifted_bullet_only() -> None:
    ranked = [Hit(11, 0.5), Hit(12, 0.5), Hit(13, 0.5), Hit(10, 0.5), Hit(20, 0.4)]
    items = {10: [11, 12, 13]}
    assert keep_lead_ins([0, 1, 2], ranked, items, 3) == [0, 1, 3]
    assert keep_lead_ins([0, 1, 2, 3], ranked, items, 4) == [0, 1, 2, 3]  # the lead-in is already there
    assert keep_lead_ins([0, 1], ranked, items, 3) == [0, 1]  # fewer than k: nothing was pushed out
    alone = [Hit(11, 0.9), Hit(30, 0.6), Hit(10, 0.5)]  # a bullet ranked on its own merit does not call its lead-in
    assert keep_lead_ins([0, 1], alone, items, 2) == [0, 1]


def test_a_question_that_is_not_a_list_is_answered_by_sentences(list_engine: Engine) -> None:
    engine = _relaxed(list_engine)
    outcome = engine.search(engine.query("When does the board publish its report on drowning prevention?"), k=4)
    assert list_answer(outcome) == []


def test_bullets_ranked_on_their_own_bring_their_lead_in_into_the_last_slot() -> None:
    items = {10: [11, 12, 13]}
    ranked = [Hit(12, 0.9), Hit(30, 0.8), Hit(11, 0.7), Hit(31, 0.6), Hit(10, 0.5)]
    assert keep_lead_ins([0, 1, 2, 3], ranked, items, 4) == [0, 1, 2, 4]  # 31 gives way; scores still fall
    assert keep_lead_ins([0, 1, 2], ranked, items, 3) == [0, 2, 4]  # the other hit gives way; the bullets keep their order
    assert keep_lead_ins([0, 1], ranked, items, 2) == [0, 1]  # one bullet alone does not call its lead-in


def test_a_list_item_is_quoted_by_its_first_sentence(list_engine: Engine) -> None:
    from index.answer import opening
    from index.evidence import Highlight

    outcome = _relaxed(list_engine).search(list_engine.query("Which milestones were met in 2024?"), k=4)
    item = outcome.results[0]
    text = item.passage.text
    moved = opening(type(item)(item.rank, item.score, item.passage, Highlight(len(text), len(text), "", 1.0), 0.0, 0.0))
    assert moved.highlight is not None and moved.highlight.start == 0 and text.startswith(moved.highlight.text)


def test_a_lead_in_answers_with_its_items_when_the_results_before_it_would_not_be_quoted(list_engine: Engine) -> None:
    from dataclasses import replace

    from index.evidence import Highlight

    engine = _relaxed(list_engine)
    query = engine.query("What did the board achieve in 2024?")
    assert not query.is_list
    outcome = engine.search(query, k=4)
    lead = next(r for r in outcome.results if r.passage.text.endswith(LEAD))
    items = [r for r in outcome.results if r.passage.text.startswith(BULLETS)]
    assert len(items) == 3
    # A result whose sentence closes with a ':' that introduces nothing among the results (code, a table) is not
    # quoted: the lead-in after it answers with its items. Before a sentence that is quoted, it does not.
    text = "The board's yearly plan reads as follows:"
    code = replace(lead, rank=9, passage=replace(lead.passage, text=text, start=0, end=len(text), context=None),
                   highlight=Highlight(0, len(text), text, 2.0))
    quoted = replace(code, highlight=Highlight(0, 10, "The board.", 2.0))
    at = lead.passage.text.index(LEAD)
    lead_first = replace(outcome, supporting=(code, replace(lead, highlight=Highlight(at, at + len(LEAD), LEAD, 1.5)), *items))
    assert [r.passage.text for r in list_answer(lead_first)][:1] == [lead.passage.text]
    assert len(list_answer(lead_first)) == 4
    assert list_answer(replace(lead_first, supporting=(quoted, *lead_first.supporting[1:]))) == []

"""Pinned questions on the bundled corpus with the real model: one of each kind a user asks."""

from __future__ import annotations

import re

import pytest

from index.engine import Engine

pytestmark = pytest.mark.slow


def first_text(engine: Engine, question: str) -> str:
    return engine.search(engine.query(question), k=5).results[0].passage.text


def test_the_mission_example_ranks_the_iowg_passage_first(default_engine: Engine) -> None:
    outcome = default_engine.search(default_engine.query("who co-chairs the Call to Action IOWG"), k=5)
    top = outcome.results[0]
    assert "International Organization Working Group (IOWG)" in top.passage.text
    assert outcome.answerable
    assert top.highlight is not None and top.highlight.text.startswith("As the co-chair of the Call-to-Action")


def test_factoid(default_engine: Engine) -> None:
    assert "26 UN entities" in first_text(default_engine, "How many UN entities does UN Action bring together?")


def test_paraphrase(default_engine: Engine) -> None:
    text = first_text(default_engine, "Which office of the UN made a toolkit for universities in Mexico?")
    assert "toolbox for Mexican universities" in text


def test_acronym_spelled_out_in_the_question(default_engine: Engine) -> None:
    text = first_text(default_engine, "What is the Inter-Agency and Expert Group on Gender Statistics?")
    assert "(IAEG-GS)" in text


def test_context_from_the_lead_in(default_engine: Engine) -> None:
    outcome = default_engine.search(default_engine.query("By how much did IOM increase the countries implementing GBV risk mitigation?"), k=5)
    top = outcome.results[0]
    assert "45%" in top.passage.text
    assert top.passage.context and "IOM" in top.passage.context


def test_list_question_gets_the_country_bullets(default_engine: Engine) -> None:
    outcome = default_engine.search(default_engine.query("In which countries did Spotlight strengthen inter-agency collaboration?"), k=10)
    countries = ["Samoa", "Mozambique", "Mexico", "Haiti", "Trinidad and Tobago", "El Salvador"]
    found = {c for c in countries for r in outcome.results if r.passage.text.startswith(("In " + c, "Similarly, in " + c))}
    assert len(found) >= 5


def test_unanswerable_near_topic_question_abstains(default_engine: Engine) -> None:
    answer = default_engine.ask(default_engine.query("How much funding did UNFPA give to the HAYA Joint Programme?"))
    assert answer.abstained
    assert answer.citations  # the closest passages are still listed


def test_off_topic_question_abstains(default_engine: Engine) -> None:
    assert not default_engine.search(default_engine.query("What is the capital city of Australia?")).answerable


def test_ask_answers_verbatim_with_markers(default_engine: Engine) -> None:
    answer = default_engine.ask(default_engine.query("What did FAO do during the 16 Days of Activism?"))
    assert not answer.abstained
    markers = [int(m) for m in re.findall(r"\[(\d+)\]", answer.answer)]
    assert markers and markers == list(range(1, len(markers) + 1))
    first = answer.citations[0].result
    assert first.highlight is not None and first.highlight.text in first.passage.text
    assert "UN Women and local feminist organizations" in first.passage.text

"""Running gold questions through a real engine over a tiny index built with the hashing encoder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from eval.gold import QuestionType, load_gold, parse_lines
from eval.runner import METRICS, NO_EVIDENCE, modes_for, run_gold
from index.abstention import AbstentionModel
from index.config import EngineConfig, Mode
from index.engine import Engine


def test_every_question_is_searched_and_scored(tiny_engine: Engine, tiny_gold: Path) -> None:
    questions = load_gold(tiny_gold)
    run = run_gold(tiny_engine, questions, Mode.HYBRID, k=5)
    assert [o.question.id for o in run.outcomes] == [q.id for q in questions]
    by_id = {o.question.id: o for o in run.outcomes}

    t1 = by_id["t1"]
    assert len(t1.relevant) == 1 and t1.unmatched_evidence == ()
    assert t1.first_relevant == 1 and t1.scores["hit@1"] == 1.0 and t1.scores["mrr@10"] == 1.0
    assert [p.passage_id for p in t1.ranked][:1] == list(t1.relevant)
    assert set(t1.scores) == set(METRICS)

    assert by_id["t5"].scores == {} and not by_id["t5"].missed  # unanswerable: abstention only
    assert by_id["t4"].coverage == 1.0 and by_id["t4"].groups_met == 2
    assert all(o.took_ms > 0 for o in run.outcomes)

    overall = run.summarise("all")
    assert (overall.questions, overall.answerable, overall.lists) == (6, 5, 1)
    assert overall.metrics["hit@10"] == 1.0
    labels = [g.label for g in run.groups()]
    assert labels[:3] == ["all", "split dev", "split heldout"]
    assert labels[3:] == [t.value for t in QuestionType if t.value in {"factoid", "paraphrase", "acronym", "list", "unanswerable", "followup"}]


def test_followups_are_made_standalone_with_their_history(tiny_engine: Engine, tiny_gold: Path) -> None:
    run = run_gold(tiny_engine, load_gold(tiny_gold), Mode.LEXICAL)
    followup = next(o for o in run.outcomes if o.question.id == "t6")
    assert {"solar", "beacons", "installed"} <= set(re.findall(r"\w+", followup.searched))  # "they" borrowed the earlier subject
    assert followup.first_relevant == 1
    others = [o for o in run.outcomes if o.question.id != "t6"]
    assert all(o.searched == o.question.question for o in others)


def test_evidence_missing_from_the_index_scores_zero_instead_of_vanishing(tiny_engine: Engine) -> None:
    questions = parse_lines(['{"id": "x", "question": "How many beacons?", "type": "factoid", "evidence": ["a sentence no passage has"]}'])
    [o] = run_gold(tiny_engine, questions, Mode.HYBRID).outcomes
    assert o.unmatched_evidence == ("a sentence no passage has",)
    assert o.relevant == frozenset() and o.first_relevant is None and o.missed
    assert all(v == 0.0 for v in o.scores.values())
    assert NO_EVIDENCE not in [p.passage_id for p in o.ranked]


def test_abstention_is_counted_over_all_questions(tiny_engine: Engine, tiny_gold: Path) -> None:
    run = run_gold(tiny_engine, load_gold(tiny_gold), Mode.HYBRID)
    a = run.summarise("all").abstention
    assert a.true_positive + a.false_negative == 1  # one unanswerable question
    assert a.true_positive + a.false_positive + a.false_negative + a.true_negative == 6
    assert run.misses == [o for o in run.outcomes if o.question.answerable and o.first_relevant != 1]


def test_modes_for_all_runs_the_single_retrievers_first() -> None:
    assert modes_for("all") == [Mode.DENSE, Mode.LEXICAL, Mode.HYBRID]
    assert modes_for("dense") == [Mode.DENSE]
    with pytest.raises(ValueError, match="unknown mode"):
        modes_for("sparse")


def test_the_answer_figure_counts_the_questions_with_answer_strings(tiny_engine: Engine) -> None:
    lines = [
        '{"id": "a1", "question": "How many solar beacons were installed on the breakwater?", "type": "factoid", '
        '"evidence": ["installed 38 solar beacons"], "answer": ["38 solar beacons"]}',
        '{"id": "a2", "question": "Who inspects the beacons every spring?", "type": "paraphrase", '
        '"evidence": ["inspected every spring by volunteer divers"], "answer": ["a phrase the corpus never says"]}',
        '{"id": "a3", "question": "What does CSB stand for?", "type": "acronym", "evidence": ["Coastal Safety Board (CSB)"]}',
    ]
    engine = Engine(tiny_engine.index, tiny_engine.embedder, EngineConfig(), AbstentionModel.permissive())
    run = run_gold(engine, parse_lines(lines), Mode.HYBRID, k=5)
    by_id = {o.question.id: o for o in run.outcomes}
    assert by_id["a1"].answer_holds is True and "38 solar beacons" in by_id["a1"].answer
    assert by_id["a2"].answer_holds is False and by_id["a3"].answer_holds is None
    overall = run.summarise("all")
    assert (overall.answer_holds, overall.answers_judged) == (0.5, 2)

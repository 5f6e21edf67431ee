"""The regression gate: the dev questions of the packaged gold set, hybrid mode, the real model.

A change to chunking, fusion, aliases, abstention or the rewriter that loses dev questions, or makes the
engine answer what the corpus does not hold, fails `make test` here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.gold import load_gold, select
from eval.runner import run_gold
from eval.tables import gold_misses
from index.config import Mode
from index.engine import Engine

MIN_HIT_AT_5 = 0.95
MIN_MRR_AT_10 = 0.90
# Share of the unanswerable dev questions that abstain: 12 of 16 since the near-topic traps u16-u20 joined the
# 11 (all abstained) of before; the engine answers u16, u18, u19 and u20 from a nearby sentence about something else.
MIN_ABSTENTION_RECALL = 0.75
MAX_FALSE_ABSTENTIONS = 1  # answerable dev questions that abstain


@pytest.mark.slow
def test_dev_split_meets_the_bar(bundled_index: Path) -> None:
    engine = Engine.open(bundled_index)
    try:
        run = run_gold(engine, select(load_gold(), "dev"), Mode.HYBRID, k=10)
    finally:
        engine.close()
    overall = run.summarise("all")
    hit5, mrr = overall.metrics["hit@5"], overall.metrics["mrr@10"]
    assert hit5 is not None and mrr is not None
    failures = []
    if hit5 < MIN_HIT_AT_5:
        failures.append(f"hit@5 {hit5:.3f} < {MIN_HIT_AT_5}")
    if mrr < MIN_MRR_AT_10:
        failures.append(f"MRR@10 {mrr:.3f} < {MIN_MRR_AT_10}")
    abstention = overall.abstention
    unanswerable = abstention.true_positive + abstention.false_negative
    if unanswerable and abstention.true_positive / unanswerable < MIN_ABSTENTION_RECALL:
        failures.append(f"abstained on {abstention.true_positive} of {unanswerable} unanswerable questions")
    if abstention.false_positive > MAX_FALSE_ABSTENTIONS:
        wrongly = [o.question.id for o in run.outcomes if o.question.answerable and o.abstained]
        failures.append(f"{abstention.false_positive} answerable questions abstained: {', '.join(wrongly)}")
    assert not failures, "; ".join(failures) + "\n\n" + gold_misses(run).text()

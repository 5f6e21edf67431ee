"""Metrics on a tiny hand-made run, cross-checked against figures worked out by hand."""

from __future__ import annotations

import math

import pytest

from eval.metrics import Abstention, evaluate, first_relevant_rank, leaderboard_ndcg, percentile, ranx_metric

# Graded judgements: q1 has three relevant documents (grades 3, 2, 1), q2 one, q3 one that is never retrieved.
QRELS = {"q1": {"a": 3, "b": 2, "c": 1}, "q2": {"x": 1}, "q3": {"z": 2}}
RANKING = {"q1": ["b", "n1", "a", "n2"], "q2": ["n1", "n2", "n3", "n4", "x"], "q3": ["n1", "n2"], "q_unjudged": ["a"]}


def _log2(rank: int) -> float:
    return math.log2(rank + 1)


def test_ranx_agrees_with_the_hand_computed_figures() -> None:
    scores = evaluate(QRELS, RANKING, ["ndcg@10", "mrr@10", "recall@1", "recall@3", "recall@5", "hit@1", "hit@5", "ndcg@3"])

    # q1: b (grade 2) at rank 1, a (grade 3) at rank 3; c never. Linear gain, as pytrec_eval.
    dcg = 2 / _log2(1) + 3 / _log2(3)
    ideal = 3 / _log2(1) + 2 / _log2(2) + 1 / _log2(3)
    assert scores["ndcg@10"]["q1"] == pytest.approx(dcg / ideal)
    assert scores["ndcg@3"]["q1"] == pytest.approx(dcg / ideal)  # the ideal top 3 is the whole ideal list here
    assert scores["mrr@10"]["q1"] == 1.0
    assert scores["recall@1"]["q1"] == pytest.approx(1 / 3)
    assert scores["recall@3"]["q1"] == pytest.approx(2 / 3)
    assert scores["hit@1"]["q1"] == 1.0

    # q2: its one relevant document at rank 5.
    assert scores["ndcg@10"]["q2"] == pytest.approx((1 / _log2(5)) / 1.0)
    assert scores["mrr@10"]["q2"] == pytest.approx(1 / 5)
    assert scores["recall@3"]["q2"] == 0.0 and scores["recall@5"]["q2"] == 1.0
    assert scores["hit@1"]["q2"] == 0.0 and scores["hit@5"]["q2"] == 1.0

    # q3: nothing relevant retrieved; an unjudged query is not scored at all.
    assert all(scores[m]["q3"] == 0.0 for m in scores)
    assert all("q_unjudged" not in scores[m] for m in scores)


def test_the_given_order_is_kept_even_for_duplicates() -> None:
    scores = evaluate({"q": {"r": 1}}, {"q": ["n", "n", "r"]}, ["mrr@10"])
    assert scores["mrr@10"]["q"] == pytest.approx(1 / 2)  # the repeated "n" counts once


def test_a_judged_query_missing_from_the_run_scores_zero() -> None:
    assert evaluate({"q": {"r": 1}}, {}, ["ndcg@10"]) == {"ndcg@10": {"q": 0.0}}


def test_unknown_metric_names_are_refused() -> None:
    assert ranx_metric("hit@5") == "hit_rate@5"
    with pytest.raises(ValueError, match="unknown metric 'map@10'"):
        ranx_metric("map@10")


def test_leaderboard_ndcg_takes_the_ideal_over_the_retrieved_list_only() -> None:
    # Retrieved grades [2, 0, 3]: ideal over the retrieved list is [3, 2, 0], so c (grade 1, unretrieved) is ignored.
    grades = QRELS["q1"]
    expected = (2 / _log2(1) + 3 / _log2(3)) / (3 / _log2(1) + 2 / _log2(2))
    assert leaderboard_ndcg(grades, ["b", "n1", "a"], 10) == pytest.approx(expected)
    assert leaderboard_ndcg(grades, ["a", "b", "c"], 10) == 1.0
    assert leaderboard_ndcg(grades, ["n1"], 10) == 0.0
    # It is never below the standard figure.
    standard = evaluate(QRELS, RANKING, ["ndcg@10"])["ndcg@10"]["q1"]
    assert leaderboard_ndcg(grades, RANKING["q1"], 10) >= standard


def test_first_relevant_rank_and_percentiles() -> None:
    assert first_relevant_rank(["n", "b", "a"], {"a", "b"}) == 2
    assert first_relevant_rank(["n"], {"a"}) is None
    assert percentile([], 50) is None
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert percentile(list(map(float, range(101))), 99) == 99.0


def test_abstention_counts_should_abstain_as_the_positive_class() -> None:
    # (should abstain, did abstain)
    a = Abstention.count([(True, True), (True, True), (True, False), (False, True), (False, False), (False, False)])
    assert (a.true_positive, a.false_negative, a.false_positive, a.true_negative) == (2, 1, 1, 2)
    assert a.precision == pytest.approx(2 / 3)
    assert a.recall == pytest.approx(2 / 3)
    never = Abstention.count([(False, False), (True, False)])
    assert never.precision is None and never.recall == 0.0
    assert Abstention.count([(False, False)]).recall is None

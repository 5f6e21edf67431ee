"""Fitting the re-ranker: pairs within a question, a model that learns what tells relevant candidates apart."""

from __future__ import annotations

import numpy as np
from sklearn.preprocessing import StandardScaler

from eval.gold import Split
from eval.rerank import Group, figures, fit, pairs
from index.rerank import FEATURES


def _group(rng: np.random.Generator, collection: str, n: int = 8) -> Group:
    """A question whose relevant candidate is the one with the highest 'coverage', ranked anywhere by 'fused'."""
    x = rng.random((n, len(FEATURES)))
    x[:, 0] = np.sort(rng.random(n))[::-1]  # fused order
    gains = np.zeros(n)
    gains[int(np.argmax(x[:, FEATURES.index("coverage")]))] = 1.0
    return Group(collection, Split.DEV, f"q{rng.integers(1 << 30)}", x, gains)


def test_fit_learns_the_feature_that_separates_relevant_candidates() -> None:
    rng = np.random.default_rng(7)
    train = [_group(rng, c) for c in ("a", "b") for _ in range(30)]
    model = fit(train)
    weights = dict(zip(FEATURES, model.weights, strict=True))
    assert max(weights, key=weights.__getitem__) == "coverage"
    held = [_group(rng, "c") for _ in range(20)]
    before, after = figures(held, None), figures(held, model)
    assert after[0] > before[0] and after[0] >= 0.9  # hit@1 of the re-ranked head
    assert "dev splits of a, b (60 questions)" in model.trained_on


def test_a_question_without_a_relevant_or_an_irrelevant_candidate_gives_no_pairs() -> None:
    rng = np.random.default_rng(3)
    useful = [_group(rng, "a") for _ in range(5)]
    none = Group("a", Split.DEV, "none", rng.random((4, len(FEATURES))), np.zeros(4))
    every = Group("a", Split.DEV, "all", rng.random((4, len(FEATURES))), np.ones(4))
    scaler = StandardScaler().fit(np.concatenate([g.features for g in useful]))
    x, y, w = pairs([*useful, none, every], scaler)
    assert len(x) == len(pairs(useful, scaler)[0]) == 2 * sum(int(g.relevant.sum()) * int((~g.relevant).sum()) for g in useful)
    assert y.mean() == 0.5 and np.isclose(w.sum(), len(useful))  # each useful question weighs 1
    assert figures([none], fit(useful)) == (0.0, 0.0)


def test_graded_candidates_pair_each_with_every_less_relevant_one() -> None:
    x = np.arange(12, dtype=float).reshape(3, 4)[:, :1].repeat(len(FEATURES), axis=1)
    group = Group("a", Split.DEV, "g", x, np.array([2.0, 1.0, 0.0]))
    scaler = StandardScaler().fit(x)
    diffs, y, _ = pairs([group], scaler)
    assert len(diffs) == 6 and y.sum() == 3  # (2 > 1), (2 > 0), (1 > 0), each both ways
    assert (diffs[y == 1] < 0).all()  # here the more relevant candidate has the smaller features

"""The re-ranker: its features, the order and scores it gives the head of the fused list, and its model file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from corpus.model import Passage
from index.config import EngineConfig, Mode
from index.engine import Engine
from index.lexical import Hit
from index.linear import LinearModel
from index.rerank import FEATURES, MODEL_VERSION, REFIT, default_model, features, rerank


def _passage(row: int, text: str, title: str = "A document", context: str | None = None) -> Passage:
    return Passage(f"p-{row:016x}", "d1", text, row * 100, row * 100 + len(text), context, title, "a.md")


def _only(feature: str, weight: float = 1.0) -> LinearModel:
    """A model that orders by one feature alone."""
    n = len(FEATURES)
    weights = tuple(weight if f == feature else 0.0 for f in FEATURES)
    return LinearModel(MODEL_VERSION, FEATURES, (0.0,) * n, (1.0,) * n, weights, 0.0)


@pytest.fixture()
def engine(small_engine: Engine) -> Engine:
    return small_engine


def test_features_describe_each_candidate(engine: Engine) -> None:
    query = engine.query("How many footbridges were rebuilt?", Mode.HYBRID)
    passages = {
        0: _passage(0, "In 2023 the project rebuilt 42 footbridges.", title="Footbridges"),
        1: _passage(1, "Smaller grants come from local councils:", context="Rebuilt"),
    }
    x = features(query, [Hit(1, 0.9), Hit(0, 0.6)], passages)
    f = dict(zip(FEATURES, x.T, strict=True))
    assert x.shape == (2, len(FEATURES))
    assert f["fused"].tolist() == pytest.approx([1.0, 0.6 / 0.9])
    assert f["coverage"][1] == 1.0 and 0 < f["coverage"][0] < 1  # the heading "Rebuilt" counts for row 1
    assert f["context_coverage"][0] == f["coverage"][0] and f["context_coverage"][1] == 0.0
    assert f["text_coverage"][0] == 0.0 and f["text_coverage"][1] == 1.0  # ... but not as its own text
    assert f["title_coverage"][1] > 0 and f["title_coverage"][0] == 0.0
    assert f["supplies"].tolist() == [0.0, 1.0]  # a figure beyond the question's own, in row 0 only


def test_rerank_orders_the_head_by_the_model_and_keeps_scores_falling(engine: Engine) -> None:
    query = engine.query("How many footbridges were rebuilt?", Mode.HYBRID)
    passages = {r: _passage(r, f"Passage {r} says nothing in particular.") for r in range(5)}
    passages[2] = _passage(2, "In 2023 the project rebuilt 42 footbridges.")
    fused = [Hit(r, 1.0 - r / 10) for r in range(5)]
    out = rerank(_only("coverage"), 3, query, fused, passages)
    assert [h.row for h in out] == [2, 0, 1, 3, 4]  # the head re-ordered, the tail as it was
    scores = [h.score for h in out]
    assert scores == sorted(scores, reverse=True) and scores[2] > scores[3]


def test_without_a_model_or_depth_the_fused_order_stays(engine: Engine) -> None:
    query = engine.query("footbridges", Mode.HYBRID)
    fused = [Hit(r, 1.0 - r / 10) for r in range(3)]
    passages = {r: _passage(r, "text") for r in range(3)}
    assert rerank(None, 20, query, fused, passages) is fused
    assert rerank(_only("coverage"), 0, query, fused, passages) is fused


def test_rerank_depth_zero_searches_in_fused_order(engine: Engine) -> None:
    """`rerank_depth=0` is the fused order of the same candidates; the re-ranked search returns the same set."""
    plain = Engine(engine.index, engine.embedder, EngineConfig(rerank_depth=0), engine.abstention)
    query = plain.query("Who provides the annual budget?", Mode.HYBRID)
    fused = plain.retrieval.fuse(query, 50)
    assert [h.row for h in plain.retrieval.candidates(query, 3).hits] == [h.row for h in fused.hits[:3]]
    reranked = engine.retrieval.candidates(query, len(fused.hits)).hits
    assert {h.row for h in reranked} == {h.row for h in plain.retrieval.candidates(query, len(fused.hits)).hits}


def test_the_shipped_model_loads_over_these_features() -> None:
    model = default_model()
    assert model is not None and model.features == FEATURES and len(model.weights) == len(FEATURES)


def test_a_model_of_other_features_is_refused_with_the_refit_command(tmp_path: Path) -> None:
    path = tmp_path / "rerank.json"
    _only("coverage").save(path)
    data = json.loads(path.read_text())
    data["features"] = ["fused", "dense"]
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="refit it with 'python -m eval.rerank --write'"):
        LinearModel.load(path, MODEL_VERSION, FEATURES, REFIT)
    assert LinearModel.load(tmp_path / "rerank.json", MODEL_VERSION, ("fused", "dense"), REFIT).features == ("fused", "dense")


def test_linear_scores_standardise_then_weigh() -> None:
    model = LinearModel(1, ("a", "b"), (1.0, 0.0), (2.0, 1.0), (1.0, -1.0), 0.5)
    assert model.scores(np.array([[3.0, 1.0]])).tolist() == pytest.approx([1.0 - 1.0 + 0.5])

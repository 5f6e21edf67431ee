"""Re-ranking the head of the fused list: a linear model over what the engine already knows of each candidate (its
fused score, how much of the question the passage, its heading and its document's title hold, whether it holds the
kind of fact asked for), fitted on the pooled development questions of several collections
(`python -m eval.rerank --write` writes rerank.json beside this module)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

from corpus.model import Passage
from index.evidence import coverage
from index.lexical import Hit
from index.linear import LinearModel
from index.query import Query
from index.terms import stem, tokens

MODEL_FILE = Path(__file__).resolve().parent / "rerank.json"
MODEL_VERSION = 1
REFIT = "python -m eval.rerank --write"

FEATURES = (
    "fused",  # the fused score over the best candidate's
    "coverage",  # idf-weighted share of the question's terms in the passage and its heading or lead-in
    "context_coverage",  # ... in its heading or lead-in alone
    "text_coverage",  # ... in the passage's own text
    "title_coverage",  # ... in its document's title
    "supplies",  # the passage holds the kind of fact asked for, beyond what the question gives
)
# Chosen leave-one-collection-out on the pooled dev questions (eval/rerank.py): each retriever's own normalised score
# and rank, whether the passage is a list's lead-in and its length added nothing beyond these on dev; coverage by
# passage and heading together carries most of the gain (a heading and a text that answer the question between them).


def _stems(text: str) -> frozenset[str]:
    return frozenset(stem(t) for t in tokens(text))


@dataclass(frozen=True, slots=True)
class _Described:
    """What the features read of a passage whatever the query, worked out once: the same passages come up often."""

    stems: frozenset[str]  # of the text and the heading or lead-in
    context_stems: frozenset[str]
    text_stems: frozenset[str]
    title_stems: frozenset[str]


@lru_cache(maxsize=16384)
def _described(text: str, context: str | None, title: str) -> _Described:
    own = _stems(text)
    context_stems = _stems(context or "")
    return _Described(own | context_stems, context_stems, own, _stems(title))


def features(query: Query, hits: Sequence[Hit], passages: Mapping[int, Passage]) -> np.ndarray:
    """One row of FEATURES per hit, in order."""
    top_fused = max((h.score for h in hits), default=0.0) or 1.0
    out = np.zeros((len(hits), len(FEATURES)), dtype=np.float64)
    for i, hit in enumerate(hits):
        passage = passages[hit.row]
        described = _described(passage.text, passage.context, passage.title)
        out[i] = (
            hit.score / top_fused,
            coverage(query.terms, described.stems),
            coverage(query.terms, described.context_stems),
            coverage(query.terms, described.text_stems),
            coverage(query.terms, described.title_stems),
            float(query.asked.supplied_by(passage.text)),
        )
    return out


def rerank(
    model: LinearModel | None, depth: int, query: Query, fused: list[Hit], passages: Mapping[int, Passage]
) -> list[Hit]:
    """The first `depth` hits in the model's order, scored by its logistic probability; the rest after them, their
    scores scaled below the last re-ranked one's, so that scores still fall with rank."""
    if model is None or depth < 2 or len(fused) < 2:
        return fused
    head, tail = fused[:depth], fused[depth:]
    z = model.scores(features(query, head, passages))
    p = 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))
    order = sorted(range(len(head)), key=lambda i: (-p[i], i))
    out = [Hit(head[i].row, float(p[i])) for i in order]
    if tail:
        floor = out[-1].score * 0.99  # strictly below: equal scores mark lifted list items (index/lists.py)
        scale = floor / tail[0].score if tail[0].score > 0 else 0.0
        out += [Hit(h.row, h.score * scale) for h in tail]
    return out


@cache
def default_model() -> LinearModel | None:
    """The fitted model beside this module; None when none has been fitted."""
    if not MODEL_FILE.is_file():
        return None
    return LinearModel.load(MODEL_FILE, MODEL_VERSION, FEATURES, REFIT)

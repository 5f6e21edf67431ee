"""Retrieval: dense (FAISS) and lexical (FTS5) rankings, fused by a pure function; a mode is a composition of
them. Per query: one FAISS search and one SQLite statement, which also reads every candidate passage."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from corpus.model import Passage
from index import vectors as vector_index
from index.config import EngineConfig, Mode
from index.filters import Allowed
from index.lexical import Gathered, Hit, LexicalIndex
from index.lists import keep_lead_ins
from index.query import Query
from index.rerank import default_model as default_reranker
from index.rerank import rerank
from index.sentence_vectors import SentenceVectors
from index.windows import lifted_items, one_slot_each

__all__ = ["Candidates", "DenseRetriever", "Hit", "LexicalRetriever", "Retrieval", "Retriever", "diversify", "rrf"]


# Up to this many rows let through by a filter, the dense side scores them all from their stored vectors (a few
# milliseconds, exact); beyond, FAISS searches with the rows as an IDSelector.
EXACT_WITHIN = 8192


class Retriever(Protocol):
    def search(self, query: Query, k: int, allowed: Allowed | None = None) -> list[Hit]: ...


class DenseRetriever:
    """Nearest passages by cosine; a passage's score is the better of its own cosine and its best sentence's
    (`sentence_weight` blends the two; 0 uses the passage cosine alone)."""

    def __init__(
        self, index: Any, sentences: SentenceVectors, sentence_weight: float, live: vector_index.Selector | None = None
    ) -> None:
        self.index = index
        self.sentences = sentences
        self.sentence_weight = sentence_weight
        self.live = live  # the rows of removed passages left out, until compaction drops them from the index

    def search(self, query: Query, k: int, allowed: Allowed | None = None) -> list[Hit]:
        """The k nearest passages; with `allowed`, the k nearest among its rows (never fewer because others were
        nearer)."""
        if query.vector is None:
            return []
        # Search parameters are set once when the engine opens; FAISS searches are safe to run concurrently.
        if allowed is None:
            scores, rows = vector_index.search(self.index, query.vector[None, :], k, self.live)
        elif len(allowed.rows) <= EXACT_WITHIN:
            found = vector_index.search_rows(self.index, query.vector, k, allowed.rows)
            scores, rows = found[0][None, :], found[1][None, :]
        else:
            scores, rows = vector_index.search(self.index, query.vector[None, :], k, allowed.selector)
        hits = [Hit(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]
        alpha = self.sentence_weight
        if not alpha or not hits:
            return hits
        cosines = np.array([h.score for h in hits], dtype=np.float32)
        return sorted(self._blend([h.row for h in hits], cosines, query.vector), key=lambda h: (-h.score, h.row))

    def score(self, query: Query, rows: Sequence[int]) -> list[Hit]:
        """The dense score of given rows (candidates another retriever found), as `search` would give it."""
        if query.vector is None or not rows:
            return [Hit(r, 0.0) for r in rows]
        cosines = self.index.reconstruct_batch(np.asarray(rows, dtype=np.int64)) @ query.vector
        return self._blend(rows, cosines, query.vector)

    def score_cosines(self, rows: Sequence[int], cosines: np.ndarray, vector: np.ndarray) -> list[Hit]:
        """The dense score of rows whose cosines are known (a shard's own search), as `search` gives it."""
        return self._blend(rows, cosines, vector)

    def _blend(self, rows: Sequence[int], cosines: np.ndarray, vector: np.ndarray) -> list[Hit]:
        alpha = self.sentence_weight
        if not alpha:
            return [Hit(int(r), float(c)) for r, c in zip(rows, cosines, strict=True)]
        best = self.sentences.best_similarity(rows, cosines, vector)
        return [Hit(int(r), float((1 - alpha) * c + alpha * b)) for r, c, b in zip(rows, cosines, best, strict=True)]


class LexicalRetriever:
    """BM25 over the FTS5 index. `gather` also reads the passages of other candidates in the same statement."""

    def __init__(self, lexical: LexicalIndex, list_items: Mapping[int, Sequence[int]]) -> None:
        self.lexical = lexical
        lexical.prepare_list_items(list_items)

    def search(self, query: Query, k: int, allowed: Allowed | None = None) -> list[Hit]:
        return self.gather(query, k, (), allowed).lexical

    def gather(self, query: Query | None, k: int, also: Sequence[int], allowed: Allowed | None = None) -> Gathered:
        """The k best rows for `query` (none for None) among the documents `allowed` (None: all), and the passages
        of those, of `also` and of their list items."""
        doc_ids = allowed.doc_ids if allowed is not None else None
        return self.lexical.gather(query.fts if query is not None else None, k, also, doc_ids)


def rrf(dense: list[Hit], lexical: list[Hit], *, k: int, dense_weight: float, lexical_weight: float) -> list[Hit]:
    """Reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009): score = sum of w / (k + rank)."""
    fused: dict[int, float] = {}
    for weight, hits in ((dense_weight, dense), (lexical_weight, lexical)):
        for rank, hit in enumerate(hits, 1):
            fused[hit.row] = fused.get(hit.row, 0.0) + weight / (k + rank)
    return [Hit(r, s) for r, s in sorted(fused.items(), key=lambda item: (-item[1], item[0]))]


def convex(dense: Mapping[int, float], lexical: Mapping[int, float], *, dense_share: float) -> list[Hit]:
    """A convex combination of normalised scores (Bruch, Gai & Ingber, TOIS 2023): each retriever's score over
    its best among the candidates (BM25 and cosine have a natural floor at 0), weighted `dense_share` and
    1 - `dense_share`. Every candidate has both scores: neither list's absence stands in for a zero."""
    top_dense = max((s for s in dense.values() if s > 0), default=1.0)
    top_lexical = max((s for s in lexical.values() if s > 0), default=1.0)
    rows = dict.fromkeys([*dense, *lexical])
    fused = {
        r: dense_share * max(dense.get(r, 0.0), 0.0) / top_dense + (1 - dense_share) * lexical.get(r, 0.0) / top_lexical
        for r in rows
    }
    return [Hit(r, s) for r, s in sorted(fused.items(), key=lambda item: (-item[1], item[0]))]


@dataclass(frozen=True)
class Scores:
    """Both retrievers' findings for one query: their ranked lists, and each one's score for every candidate."""

    dense: list[Hit]
    lexical: list[Hit]
    dense_scores: dict[int, float]
    lexical_scores: dict[int, float]


def _dense_only(found: Scores) -> list[Hit]:
    return found.dense


def _lexical_only(found: Scores) -> list[Hit]:
    return found.lexical


@dataclass(frozen=True)
class Composition:
    """Which rankings a mode runs, whether it needs every candidate scored by both, and how it combines them."""

    dense: bool
    lexical: bool
    combine: Callable[[Scores], list[Hit]]
    complete: bool = False


def composition(mode: Mode, config: EngineConfig) -> Composition:
    if mode is Mode.DENSE:
        return Composition(True, False, _dense_only)
    if mode is Mode.LEXICAL:
        return Composition(False, True, _lexical_only)
    if config.fusion == "rrf":
        weights = {"k": config.rrf_k, "dense_weight": config.dense_weight, "lexical_weight": config.lexical_weight}
        return Composition(True, True, lambda found: rrf(found.dense, found.lexical, **weights))
    return Composition(
        True, True, lambda found: convex(found.dense_scores, found.lexical_scores, dense_share=config.dense_share), True
    )


def lift_list_items(hits: list[Hit], items: Mapping[int, Sequence[int]], k: int, list_question: bool) -> list[Hit]:
    """Bullets follow the lead-in that introduces them (one of the first k), inheriting its score; for a list
    question the bullets are the answer and go before their lead-in."""
    leads = {h.row for h in hits[:k] if h.row in items}
    if not leads:
        return hits
    out: list[Hit] = []
    placed: set[int] = set()
    for hit in hits:
        if hit.row in placed:
            continue
        children = [Hit(r, hit.score) for r in items[hit.row] if r not in placed] if hit.row in leads else []
        for h in [*children, hit] if list_question else [hit, *children]:
            if h.row not in placed:
                out.append(h)
                placed.add(h.row)
    return out


def diversify(
    hits: list[Hit], vectors: np.ndarray, k: int, lam: float, near_identical: float,
    items: Mapping[int, Sequence[int]] | None = None,
) -> list[int]:
    """Maximal marginal relevance (Carbonell & Goldstein, 1998) over the fused candidates; near-identical
    passages never take two slots. A list's lead-in and its own bullets (`items`: lead-in row -> bullet rows) are
    never near-identical: a bullet is read with its lead-in as context, so a short one embeds almost as the lead-in
    does, yet each says what the other does not. Returns positions in `hits`."""
    if not hits:
        return []
    top = hits[0].score or 1.0
    relevance = np.array([h.score / top for h in hits])
    similarity = vectors @ vectors.T
    duplicate = similarity >= near_identical
    if items:
        position = {h.row: i for i, h in enumerate(hits)}
        for lead, i in ((h.row, i) for i, h in enumerate(hits) if h.row in items):
            for j in (position[row] for row in items[lead] if row in position):
                duplicate[i, j] = duplicate[j, i] = False
    # Each candidate's redundancy (its highest similarity to a chosen one) kept up to date as an array.
    redundancy = np.zeros(len(hits), dtype=similarity.dtype)
    blocked = np.zeros(len(hits), dtype=bool)  # near-identical to a chosen one
    remaining = np.ones(len(hits), dtype=bool)
    chosen: list[int] = []
    while len(chosen) < k:
        eligible = remaining & ~blocked
        if not eligible.any():
            break
        score = np.where(eligible, lam * relevance - (1 - lam) * redundancy, -np.inf)
        best = int(np.argmax(score))  # the first of equal scores, as a scan in row order finds it
        chosen.append(best)
        remaining[best] = False
        blocked |= duplicate[:, best]
        # A column, not a row: the product need not be symmetric to the bit. Similarities can be negative,
        # so the first choice replaces the zeros rather than being clipped by them.
        column = similarity[:, best]
        redundancy = np.maximum(redundancy, column) if len(chosen) > 1 else column.copy()
    return chosen


@dataclass(frozen=True)
class Fused:
    """The combined ranking of one query, with what it was combined from; `complete`: every candidate was scored
    by both retrievers (the convex combination), so a re-ranker can read both scores of each."""

    hits: list[Hit]
    scores: Scores
    gathered: Gathered
    complete: bool


@dataclass(frozen=True)
class Candidates:
    """The ranked rows kept for a query, with their vectors and passages, and how far the two retrievers agree
    (the share of the dense top 5 in the lexical top 5; 0 when a mode runs one of them)."""

    hits: list[Hit]
    vectors: np.ndarray
    agreement: float = 0.0
    # Every passage read for the query by row, the kept ones' neighbours included (index/windows.py).
    nearby: Mapping[int, Passage] = field(default_factory=dict)

    @property
    def passages(self) -> list[Passage]:
        return [self.nearby[h.row] for h in self.hits]


class Retrieval:
    """Dense and lexical retrieval over one index, composed per mode, then list lifting and diversity."""

    def __init__(
        self, vectors: Any, sentences: SentenceVectors, lexical: LexicalIndex,
        list_items: Mapping[int, Sequence[int]], config: EngineConfig, live: vector_index.Selector | None = None,
    ) -> None:
        self.vectors = vectors
        self.dense = DenseRetriever(vectors, sentences, config.sentence_weight, live)
        self.lexical = LexicalRetriever(lexical, list_items)
        self.list_items = list_items
        self.config = config

    def vectors_of(self, rows: Sequence[int]) -> np.ndarray:
        if not rows:
            return np.zeros((0, self.vectors.d), np.float32)
        return self.vectors.reconstruct_batch(np.asarray(rows, dtype=np.int64))

    def fuse(self, query: Query, depth: int, allowed: Allowed | None = None) -> Fused:
        """Both retrievers' `depth` best for `query` (as its mode composes them) and their combination, before
        re-ranking."""
        plan = composition(query.mode, self.config)
        dense = self.dense.search(query, depth, allowed) if plan.dense else []
        gathered = self.lexical.gather(query if plan.lexical else None, depth, [h.row for h in dense], allowed)
        dense_scores = {h.row: h.score for h in dense}
        if plan.complete:  # the lexical-only candidates' dense scores, from their stored vectors
            missing = [h.row for h in gathered.lexical if h.row not in dense_scores]
            dense_scores.update((h.row, h.score) for h in self.dense.score(query, missing))
        scores = Scores(dense, gathered.lexical, dense_scores, gathered.scores)
        return Fused(plan.combine(scores), scores, gathered, plan.complete)

    def candidates(self, query: Query, k: int, allowed: Allowed | None = None) -> Candidates:
        """The k kept rows for `query`; with `allowed`, only rows of its documents, chosen from among them alone
        (restricted inside both retrievers, before either cuts its ranking)."""
        c = self.config
        if allowed is not None and allowed.empty:  # a filter that matches nothing finds nothing
            return Candidates([], self.vectors_of([]))
        depth = max(c.candidates, k)
        found = self.fuse(query, depth, allowed)
        dense, gathered, fused = found.scores.dense, found.gathered, found.hits
        if found.complete and c.rerank_depth:
            fused = rerank(default_reranker(), c.rerank_depth, query, fused, gathered.passages)
        lifted = lifted_items(fused[:depth], self.list_items, k)
        fused = lift_list_items(fused[:depth], self.list_items, k, query.is_list)
        # Two pieces of one paragraph never take two slots; dropped before the cut, so k results stay k.
        fused = one_slot_each(fused, gathered.passages, lifted)
        vectors = self.vectors_of([h.row for h in fused])
        lam = c.list_mmr_lambda if query.is_list else c.mmr_lambda
        order = diversify(fused, vectors, k, lam, c.near_identical, self.list_items)
        if query.is_list:
            order = keep_lead_ins(order, fused, self.list_items, k)
        hits = [fused[i] for i in order]
        top_dense, top_lexical = {h.row for h in dense[:5]}, {h.row for h in gathered.lexical[:5]}
        agreement = len(top_dense & top_lexical) / 5 if top_dense and top_lexical else 0.0
        return Candidates(
            hits, vectors[order] if order else vectors[:0], agreement, gathered.passages | gathered.beside,
        )

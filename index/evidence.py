"""Evidence: which sentence of a passage answers the query (highlighting), how much of the query a passage
covers, how relevant it is, and whether the results answer at all (abstention)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from corpus.model import Passage
from corpus.sentences import sentence_spans
from index.config import EngineConfig, Mode
from index.pointers import can_answer
from index.query import Query, Term
from index.terms import stem, tokens


@dataclass(frozen=True, slots=True)
class Highlight:
    start: int
    end: int
    text: str
    score: float
    cosine: float = 0.0  # the sentence's own cosine with the query


@dataclass(frozen=True, slots=True)
class Result:
    """A ranked passage. `similarity` is the better of its cosine and its best sentence's; `coverage` the
    idf-weighted share of the query's terms it holds."""

    rank: int
    score: float
    passage: Passage
    highlight: Highlight | None
    similarity: float
    coverage: float
    # The highlight with the sentences beside it that answer with it (index/windows.py `window`): what an answer
    # quotes. None: the highlight alone.
    window: Highlight | None = None


@dataclass(frozen=True)
class SearchOutcome:
    query: Query
    took_ms: float
    results: list[Result]
    confidence: float = 0.0  # the abstention model's probability that the results answer
    supporting: tuple[Result, ...] = ()  # the results that answer, best first; none when it abstains
    evidence: tuple[float | None, ...] = ()  # the abstention model's features (index/abstention.py FEATURES)

    @property
    def answerable(self) -> bool:
        return bool(self.supporting)

    @property
    def mode(self) -> Mode:
        return self.query.mode

    @property
    def expansions(self) -> tuple[str, ...]:
        return self.query.expansions


@dataclass(frozen=True, slots=True)
class PassageTerms:
    """A passage's sentences and stems, worked out once: the same passages answer many queries."""

    spans: tuple[tuple[int, int], ...]
    sentence_stems: tuple[frozenset[str], ...]
    stems: frozenset[str]  # of the context and the text
    # The sentences that can answer (not a bare link, a pointer elsewhere or a heading); all when none can.
    answering: tuple[int, ...] = ()


@lru_cache(maxsize=16384)
def passage_terms(text: str, context: str | None) -> PassageTerms:
    spans = tuple(sentence_spans(text))
    answering = tuple(i for i, (a, b) in enumerate(spans) if can_answer(text[a:b]))
    return PassageTerms(
        spans,
        tuple(frozenset(stem(t) for t in tokens(text[a:b])) for a, b in spans),
        frozenset(stem(t) for t in tokens(f"{context or ''} {text}")),
        answering or tuple(range(len(spans))),
    )


def coverage(terms: Sequence[Term], stems: frozenset[str]) -> float:
    """The idf-weighted share of the query's terms found in `stems`; an alias's long form stands for its term."""
    total = covered = 0.0
    for term in terms:
        total += term.weight
        if term.stem in stems or (term.alternative and all(a in stems for a in term.alternative)):
            covered += term.weight
    return covered / total if total else 0.0


def highlight(query: Query, passage: Passage, sentence_vectors: np.ndarray, dense_weight: float) -> Highlight | None:
    """The passage's sentence that best answers: query–sentence cosine and term overlap, and a strong preference
    for a sentence holding the kind of fact asked for (a figure, a date, a name). A bare link, a pointer elsewhere
    or a heading is chosen only when the passage has no other sentence."""
    best: Highlight | None = None
    for marked in sentence_scores(query, passage, sentence_vectors, dense_weight).values():
        if best is None or marked.score > best.score + 1e-9:
            best = marked
    return best


def sentence_scores(query: Query, passage: Passage, sentence_vectors: np.ndarray, dense_weight: float) -> dict[int, Highlight]:
    """Each answering sentence of the passage (by its index among the passage's sentences) scored as `highlight`
    scores it: w * cosine + (1 - w) * term coverage, plus 1 when it holds the kind of fact asked for."""
    analysed = passage_terms(passage.text, passage.context)
    spans = analysed.spans
    w = dense_weight if query.vector is not None and len(sentence_vectors) == len(spans) else 0.0
    scored: dict[int, Highlight] = {}
    for i in analysed.answering:
        start, end = spans[i]
        text = passage.text[start:end]
        lexical = coverage(query.terms, analysed.sentence_stems[i])
        dense = float(sentence_vectors[i] @ query.vector) if query.vector is not None and i < len(sentence_vectors) else 0.0
        score = (w * dense if w else 0.0) + (1 - w) * lexical + (1.0 if query.asked.supplied_by(text) else 0.0)
        scored[i] = Highlight(start, end, text, score, dense)
    return scored


def relevance(result: Result, mode: Mode, config: EngineConfig) -> float:
    """How well a result answers, for abstention: cosine and coverage blended (coverage alone without vectors)."""
    w = config.confidence_dense_weight if mode is not Mode.LEXICAL else 0.0
    return w * result.similarity + (1 - w) * result.coverage


def supplying(query: Query, results: Sequence[Result]) -> tuple[bool, ...]:
    """Per result, whether its highlighted sentence supplies the kind of fact asked for: worked out once per search
    and read by `supporting` and the abstention features."""
    return tuple(r.highlight is not None and query.asked.supplied_by(r.highlight.text) for r in results)


def supporting(query: Query, results: Sequence[Result], config: EngineConfig, supplies: Sequence[bool]) -> list[Result]:
    """Results that can answer: relevance close to the best, with a highlighted sentence that supplies the kind
    of fact asked for (`supplies`, from `supplying`). Whether the best of them answers at all is the abstention
    model's call."""
    if not results:
        return []
    scores = [relevance(r, query.mode, config) for r in results]
    floor = max(scores) - config.answer_margin
    return [r for r, score, supplied in zip(results, scores, supplies, strict=True) if supplied and score >= floor]

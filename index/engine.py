"""The search engine: hybrid retrieval, alias expansion, diversity, highlighting, abstention, answers."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from corpus.model import Document, Passage
from corpus.sentences import sentence_spans
from index import vectors as vx
from index.answertype import asks_for_list, supplies
from index.config import EngineConfig, Mode
from index.embed import Embedder
from index.persist import LoadedIndex, load_index, model_for
from index.terms import STOPWORDS, Vocabulary, content_terms, stem, tokens


@dataclass(frozen=True, slots=True)
class Hit:
    row: int
    score: float


class Retriever(Protocol):
    def search(self, query: str, k: int) -> list[Hit]: ...


@dataclass(frozen=True, slots=True)
class Highlight:
    start: int
    end: int
    text: str
    score: float


@dataclass(frozen=True, slots=True)
class Result:
    rank: int
    score: float
    passage: Passage
    highlight: Highlight | None
    cosine: float
    coverage: float


@dataclass(frozen=True)
class SearchOutcome:
    query: str
    answerable: bool
    took_ms: float
    results: list[Result]
    expansions: list[str] = field(default_factory=list)
    confidence: float = 0.0
    mode: Mode = Mode.HYBRID


@dataclass(frozen=True)
class Citation:
    n: int
    result: Result


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    outcome: SearchOutcome


ABSTAIN_MESSAGE = "The documents do not contain an answer to this question. The closest passages are listed below."

# A query's content terms: (idf weight, stem, the stems of an alias that can stand for it).
Terms = list[tuple[float, str, list[str]]]


@dataclass(frozen=True, slots=True)
class _Analysed:
    """A passage's sentences and stems, worked out once: the same passages answer many queries."""

    spans: tuple[tuple[int, int], ...]
    sentence_stems: tuple[frozenset[str], ...]
    stems: frozenset[str]  # of the context and the text


@lru_cache(maxsize=16384)
def _analysed(text: str, context: str | None) -> _Analysed:
    spans = tuple(sentence_spans(text))
    return _Analysed(
        spans,
        tuple(frozenset(stem(t) for t in tokens(text[a:b])) for a, b in spans),
        frozenset(stem(t) for t in tokens(f"{context or ''} {text}")),
    )


class Engine:
    """Answers queries over one loaded index. Thread-safe for concurrent searches."""

    def __init__(self, loaded: LoadedIndex, embedder: Embedder, config: EngineConfig | None = None) -> None:
        self.index = loaded
        self.embedder = embedder
        self.config = config or EngineConfig()
        self.vocabulary = Vocabulary(loaded.store.term_frequencies(), loaded.store.count())
        # A plain array over the memory-mapped file: slicing a np.memmap builds a memmap object each time.
        self._sentences = np.asarray(loaded.sentences)
        self._query_encoder: Callable[[Sequence[str]], np.ndarray] | None = None
        vx.set_search_params(loaded.vectors, ef_search=self.config.ef_search, nprobe=self.config.nprobe)
        if vx.kind_of(loaded.vectors) is vx.IndexType.IVFPQ:
            import faiss

            faiss.extract_index_ivf(loaded.vectors).make_direct_map()

    @classmethod
    def open(
        cls, index_dir: Path, embedder: Embedder | None = None, config: EngineConfig | None = None, *, model: str | None = None
    ) -> Engine:
        """The engine over `index_dir`; with `model` (or `embedder`), an index built with another model is refused."""
        loaded = load_index(index_dir, expected_model=embedder.name if embedder else model)
        embedder = embedder or model_for(loaded.manifest)
        embedder.warm_up()
        return cls(loaded, embedder, config)

    def close(self) -> None:
        self.index.close()

    @property
    def size(self) -> int:
        return int(self.index.vectors.ntotal)

    # -- query preparation ---------------------------------------------------------------------

    def expansions(self, query: str) -> list[str]:
        return self.index.aliases.expansions(query)

    def dense_text(self, query: str, expansions: Sequence[str]) -> str:
        return f"{query} ({'; '.join(expansions)})" if expansions else query

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors, through the encoder set with `set_query_encoder` (the service's micro-batcher)."""
        return (self._query_encoder or self.encode_directly)(texts)

    def encode_directly(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors straight from the embedding model, as one batch."""
        return self.embedder.encode(list(texts), batch_size=max(1, len(texts)))

    @property
    def query_encoder(self) -> Callable[[Sequence[str]], np.ndarray] | None:
        return self._query_encoder

    def set_query_encoder(self, encoder: Callable[[Sequence[str]], np.ndarray] | None) -> None:
        """Route query encodes through `encoder` (None: back to the model directly)."""
        self._query_encoder = encoder

    # -- lookups -------------------------------------------------------------------------------

    def passage(self, passage_id: str) -> Passage | None:
        return self.index.store.passage(passage_id)

    def document(self, doc_id: str) -> Document | None:
        return self.index.store.document(doc_id)

    # -- retrieval -----------------------------------------------------------------------------

    def _dense(self, vector: np.ndarray, k: int) -> list[Hit]:
        # Search parameters were set once, in __init__; FAISS searches are safe to run concurrently.
        scores, rows = vx.search(self.index.vectors, vector[None, :], k)
        hits = [Hit(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]
        alpha = self.config.sentence_weight
        if not alpha or not hits:
            return hits
        cosines = np.array([h.score for h in hits], dtype=np.float32)
        best = self._similarities([h.row for h in hits], cosines, vector)
        rescored = [Hit(h.row, float((1 - alpha) * h.score + alpha * b)) for h, b in zip(hits, best, strict=True)]
        return sorted(rescored, key=lambda h: (-h.score, h.row))

    def fts_expression(self, query: str, expansions: Sequence[str]) -> str | None:
        """The query as an FTS5 expression of quoted terms joined by OR: data only, never syntax."""
        words = [t for t in tokens(query) if t not in STOPWORDS] or tokens(query)
        parts = [f'"{w}"' for w in dict.fromkeys(words)]
        for phrase in expansions:
            phrase_words = tokens(phrase)
            if phrase_words:
                parts.append('"' + " ".join(phrase_words) + '"')
        return " OR ".join(parts) if parts else None

    def _lexical(self, query: str, expansions: Sequence[str], k: int) -> list[Hit]:
        expression = self.fts_expression(query, expansions)
        if expression is None:
            return []
        return [Hit(r, s) for r, s in self.index.store.fts(expression, k)]

    def _fuse(self, dense: list[Hit], lexical: list[Hit]) -> list[Hit]:
        c = self.config
        fused: dict[int, float] = {}
        for weight, hits in ((c.dense_weight, dense), (c.lexical_weight, lexical)):
            for rank, hit in enumerate(hits, 1):
                fused[hit.row] = fused.get(hit.row, 0.0) + weight / (c.rrf_k + rank)
        return [Hit(r, s) for r, s in sorted(fused.items(), key=lambda item: (-item[1], item[0]))]

    def _lift_list_items(self, hits: list[Hit], k: int, list_question: bool) -> list[Hit]:
        """Bullets follow the lead-in that introduces them, inheriting its score; for a list question
        the bullets are the answer and go before their lead-in."""
        children = self.index.store.lead_in_children([h.row for h in hits[:k]])
        if not children:
            return hits
        out: list[Hit] = []
        placed: set[int] = set()
        for hit in hits:
            if hit.row in placed:
                continue
            items = [Hit(r, hit.score) for r in children.get(hit.row, []) if r not in placed]
            for h in [*items, hit] if list_question else [hit, *items]:
                if h.row not in placed:
                    out.append(h)
                    placed.add(h.row)
        return out

    def _sentence_vectors(self, row: int) -> np.ndarray:
        first, last = int(self.index.sentence_rows[row]), int(self.index.sentence_rows[row + 1])
        return self._sentences[first:last].astype(np.float32)

    def _similarities(self, rows: Sequence[int], cosines: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """Each passage's similarity to the query: its own cosine, or its best sentence's when that is higher
        (a long passage answering in one sentence is as relevant as that sentence). One product for all rows."""
        bounds = self.index.sentence_rows
        row_ids = np.asarray(rows, dtype=np.int64)
        firsts, counts = bounds[row_ids], bounds[row_ids + 1] - bounds[row_ids]
        out = np.asarray(cosines, dtype=np.float32).copy()
        has = counts > 0
        if not has.any():
            return out
        firsts, counts = firsts[has], counts[has]
        offsets = np.cumsum(counts) - counts  # where each passage's sentences start in the gathered block
        gathered = np.repeat(firsts - offsets, counts) + np.arange(int(counts.sum()))
        scores = self._sentences[gathered].astype(np.float32) @ vector
        out[has] = np.maximum(out[has], np.maximum.reduceat(scores, offsets))
        return out

    def _vectors_of(self, rows: Sequence[int]) -> np.ndarray:
        if not rows:
            return np.zeros((0, self.embedder.dimension), np.float32)
        return self.index.vectors.reconstruct_batch(np.asarray(rows, dtype=np.int64))

    def _diversify(self, hits: list[Hit], vectors: np.ndarray, k: int, lam: float) -> list[int]:
        """MMR over the fused candidates; near-identical passages never take two slots."""
        if not hits:
            return []
        top = hits[0].score or 1.0
        relevance = np.array([h.score / top for h in hits])
        similarity = vectors @ vectors.T
        # Each candidate's redundancy (its highest similarity to a chosen one) kept up to date as an array.
        redundancy = np.zeros(len(hits), dtype=similarity.dtype)
        remaining = np.ones(len(hits), dtype=bool)
        chosen: list[int] = []
        while len(chosen) < k:
            eligible = remaining & (redundancy < self.config.near_identical)
            if not eligible.any():
                break
            score = np.where(eligible, lam * relevance - (1 - lam) * redundancy, -np.inf)
            best = int(np.argmax(score))  # the first of equal scores, as a scan in row order finds it
            chosen.append(best)
            remaining[best] = False
            # A column, not a row: the product need not be symmetric to the bit. Similarities can be negative,
            # so the first choice replaces the zeros rather than being clipped by them.
            column = similarity[:, best]
            redundancy = np.maximum(redundancy, column) if len(chosen) > 1 else column.copy()
        return chosen

    def retrieve(self, query: str, k: int, mode: Mode, vector: np.ndarray | None) -> tuple[list[Hit], np.ndarray, list[str]]:
        """Ranked rows with their vectors, and the alias expansions used."""
        expansions = self.expansions(query)
        c = self.config
        depth = max(c.candidates, k)
        dense = self._dense(vector, depth) if mode is not Mode.LEXICAL and vector is not None else []
        lexical = self._lexical(query, expansions, depth) if mode is not Mode.DENSE else []
        if mode is Mode.DENSE:
            fused = dense
        elif mode is Mode.LEXICAL:
            fused = lexical
        else:
            fused = self._fuse(dense, lexical)
        fused = self._lift_list_items(fused[:depth], k, asks_for_list(query))
        vectors = self._vectors_of([h.row for h in fused])
        lam = c.list_mmr_lambda if asks_for_list(query) else c.mmr_lambda
        order = self._diversify(fused, vectors, k, lam)
        return [fused[i] for i in order], vectors[order] if len(order) else vectors[:0], expansions

    # -- highlighting and evidence -------------------------------------------------------------

    def _query_terms(self, query: str, expansions: Sequence[str]) -> Terms:
        """Each content term of the query, weighted by its idf, with the stems that can stand for it (its alias
        expansions)."""
        alternatives: dict[str, list[str]] = {}
        table = self.index.aliases
        for term in content_terms(query):
            alternatives[term] = []
        for token in tokens(query):
            for long_form in table.long_forms(token):
                key = stem(token)
                if key in alternatives:
                    alternatives[key] = content_terms(long_form)
        return [(self.vocabulary.idf(term), term, alternative) for term, alternative in alternatives.items()]

    @staticmethod
    def _coverage(terms: Terms, stems: frozenset[str]) -> float:
        total = covered = 0.0
        for weight, term, alternative in terms:
            total += weight
            if term in stems or (alternative and all(a in stems for a in alternative)):
                covered += weight
        return covered / total if total else 0.0

    def _highlight(
        self, query: str, row: int, passage: Passage, query_vector: np.ndarray | None, terms: Terms
    ) -> Highlight | None:
        analysed = _analysed(passage.text, passage.context)
        spans = analysed.spans
        if not spans:
            return None
        sentence_vectors = self._sentence_vectors(row)
        w = self.config.highlight_dense_weight if query_vector is not None and len(sentence_vectors) == len(spans) else 0.0
        best: Highlight | None = None
        for i, (start, end) in enumerate(spans):
            text = passage.text[start:end]
            lexical = self._coverage(terms, analysed.sentence_stems[i])
            dense = float(sentence_vectors[i] @ query_vector) if w else 0.0
            # A sentence holding the kind of fact asked for (a figure, a date, a name) is preferred.
            score = w * dense + (1 - w) * lexical + (1.0 if supplies(query, text) else 0.0)
            if best is None or score > best.score + 1e-9:
                best = Highlight(start, end, text, score)
        return best

    # -- the public verbs ----------------------------------------------------------------------

    def search(
        self, query: str, k: int = 5, mode: Mode = Mode.HYBRID, vector: np.ndarray | None = None
    ) -> SearchOutcome:
        started = time.perf_counter()
        query = query.strip()
        expansions = self.expansions(query)
        if vector is None and mode is not Mode.LEXICAL:
            vector = self.encode_queries([self.dense_text(query, expansions)])[0]
        hits, vectors, expansions = self.retrieve(query, k, mode, vector)
        rows = [h.row for h in hits]
        passages = self.index.store.passages_at(rows)
        terms = self._query_terms(query, expansions)
        cosines = self._similarities(rows, vectors @ vector, vector) if vector is not None else np.zeros(len(hits))
        results = []
        for rank, (hit, passage, cosine) in enumerate(zip(hits, passages, cosines.tolist(), strict=True), 1):
            highlight = self._highlight(query, hit.row, passage, vector, terms)
            coverage = self._coverage(terms, _analysed(passage.text, passage.context).stems)
            results.append(Result(rank, round(hit.score, 6), passage, highlight, cosine, coverage))
        confidence = max((self.relevance(r, mode) for r in results[:3]), default=0.0)
        answerable = bool(self.supporting(query, results, mode))
        took = (time.perf_counter() - started) * 1000
        return SearchOutcome(query, answerable, round(took, 2), results, expansions, round(confidence, 4), mode)

    def supporting(self, query: str, results: Sequence[Result], mode: Mode) -> list[Result]:
        """Results that answer: relevance close to the best (and above the abstention floor), with a
        highlighted sentence that supplies the kind of fact asked for."""
        c = self.config
        if not results:
            return []
        best = max(self.relevance(r, mode) for r in results)
        floor = max(c.min_confidence, best - c.answer_margin)
        return [
            r for r in results
            if r.highlight is not None and self.relevance(r, mode) >= floor and supplies(query, r.highlight.text)
        ]

    def relevance(self, result: Result, mode: Mode = Mode.HYBRID) -> float:
        w = self.config.confidence_dense_weight if mode is not Mode.LEXICAL else 0.0
        return w * result.cosine + (1 - w) * result.coverage

    def ask(self, question: str, k: int = 5, mode: Mode = Mode.HYBRID, vector: np.ndarray | None = None) -> Answer:
        outcome = self.search(question, k, mode, vector)
        return compose_answer(question, outcome, self)


def compose_answer(question: str, outcome: SearchOutcome, engine: Engine) -> Answer:
    """Verbatim highlighted sentences of the best results, each marked [n]; markers number citations 1..N."""
    results = outcome.results
    if not outcome.answerable or not results:
        citations = [Citation(i, r) for i, r in enumerate(results, 1)]
        return Answer(question, ABSTAIN_MESSAGE, True, citations, outcome)
    limit = len(results) if asks_for_list(question) else engine.config.max_answer_sentences
    supporting: list[Result] = []
    seen: set[str] = set()
    for r in engine.supporting(question, results, outcome.mode):
        if r.highlight is not None and r.highlight.text not in seen and len(supporting) < limit:
            supporting.append(r)
            seen.add(r.highlight.text)
    if not supporting:
        supporting = [r for r in results if r.highlight is not None][:1]
    order = supporting + [r for r in results if r not in supporting]
    citations = [Citation(i, r) for i, r in enumerate(order, 1)]
    answer = " ".join(f"{c.result.highlight.text} [{c.n}]" for c in citations[: len(supporting)])  # type: ignore[union-attr]
    return Answer(question, answer, False, citations, outcome)

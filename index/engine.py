"""The engine: a thin façade over one loaded index that wires Query → retrieval → evidence → outcome, and the one
answer function that the API, the pages, the command line and eval all use."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from corpus.model import Document, Passage
from corpus.store import DocumentInfo, PassageStore
from index import vectors as vector_index
from index.abstention import AbstentionModel, default_model, evidence
from index.answer import Answer, compose_answer
from index.config import EngineConfig, Mode
from index.cores import usable_cores
from index.embed import Embedder
from index.evidence import Result, SearchOutcome, coverage, passage_terms, supplying, supporting
from index.filters import Allowed, DocumentRows, Filter
from index.lexical import LexicalIndex
from index.load import LoadedIndex, check_backend, load_index, model_for
from index.manifest import Manifest
from index.query import Query, QueryBuilder
from index.retrieval import Retrieval
from index.sentence_vectors import SentenceVectors
from index.shards import is_sharded
from index.terms import Vocabulary
from index.visibility import visible_candidates, visible_passage
from index.windows import answer_places, window

QueryEncoder = Callable[[Sequence[str]], np.ndarray]


class Engine:
    """Answers queries over one loaded index. Thread-safe for concurrent searches."""

    def __init__(
        self, loaded: LoadedIndex, embedder: Embedder, config: EngineConfig | None = None, abstention: AbstentionModel | None = None
    ) -> None:
        self.index = loaded
        self.embedder = embedder
        self.config = config or EngineConfig()
        self.abstention = abstention or default_model()
        self._query_encoder: QueryEncoder | None = None
        # A search is Python under the interpreter lock, bar FAISS: more of them at once than there are cores only
        # trade the lock (32 clients of cached questions: 76-85 req/s unbounded, 167-176 bounded to 2 on 2 cores).
        # Queries are encoded before a search takes its slot, so the encode batcher still sees every waiting one.
        self.slots: threading.BoundedSemaphore | None = threading.BoundedSemaphore(usable_cores())
        vector_index.prepare_for_search(loaded.vectors, ef_search=self.config.ef_search, nprobe=self.config.nprobe)
        lexical = LexicalIndex(loaded.store, self.config.bm25_weights)
        self.sentences = SentenceVectors(loaded.sentences, loaded.sentence_rows)
        self.documents = DocumentRows(loaded.store.connection)
        self.retrieval = Retrieval(
            loaded.vectors, self.sentences, lexical, loaded.store.list_items(), self.config, self._live(loaded.vectors.ntotal)
        )
        vocabulary = Vocabulary(lexical.term_frequencies(), loaded.store.count())
        self.queries = QueryBuilder(loaded.aliases, vocabulary, self.encode_queries)

    @classmethod
    def open(
        cls, index_dir: Path, embedder: Embedder | None = None, config: EngineConfig | None = None, *,
        model: str | None = None, backend: str | None = None, abstention: AbstentionModel | None = None,
    ) -> Engine:
        """The engine over `index_dir`; with `model` (or `embedder`), an index built with another model is refused,
        and with `backend` (or `embedder`) one whose vectors that backend does not reproduce (None: the index's own).
        A split index (index/shards.py) opens as a `ShardedEngine` with its shards in this process."""
        if is_sharded(index_dir):
            from index.sharded import ShardedEngine

            return ShardedEngine.open(index_dir, embedder, config, model=model, backend=backend, abstention=abstention)
        loaded = load_index(index_dir, expected_model=embedder.name if embedder else model)
        try:
            embedder = embedder or model_for(loaded.manifest, backend, near=index_dir)
            check_backend(index_dir, loaded.manifest, embedder.backend)
            embedder.warm_up()
        except BaseException:
            loaded.close()
            raise
        return cls(loaded, embedder, config, abstention)

    def close(self) -> None:
        self.index.close()

    @property
    def size(self) -> int:
        """Passages searchable (rows of removed passages, kept in the vector index until compaction, not counted)."""
        return len(self.documents.all_rows)

    def _live(self, total: int) -> vector_index.Selector | None:
        """The rows a search may return, when some rows of the vector index belong to removed passages."""
        dead = np.setdiff1d(np.arange(total, dtype=np.int64), self.documents.all_rows, assume_unique=True)
        return vector_index.Selector(dead, excluding=True) if len(dead) else None

    @property
    def manifest(self) -> Manifest:
        return self.index.manifest

    @property
    def index_type(self) -> vector_index.IndexType:
        return vector_index.kind_of(self.index.vectors)

    @property
    def shard_count(self) -> int:
        """How many shards answer: one for an ordinary index."""
        return 1

    # -- query encoding ------------------------------------------------------------------------

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors, through the encoder set with `set_query_encoder` (the service's micro-batcher)."""
        return (self._query_encoder or self.encode_directly)(texts)

    def encode_directly(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors straight from the embedding model, as one batch."""
        return self.embedder.encode(list(texts), batch_size=max(1, len(texts)))

    @property
    def query_encoder(self) -> QueryEncoder | None:
        return self._query_encoder

    def set_query_encoder(self, encoder: QueryEncoder | None) -> None:
        """Route query encodes through `encoder` (None: back to the model directly)."""
        self._query_encoder = encoder

    # -- lookups -------------------------------------------------------------------------------

    def passage(self, passage_id: str, where: Filter | None = None) -> Passage | None:
        """The passage, as `where` lets it be seen (at a place in a document it lets through), or None."""
        found = self.index.store.passage(passage_id)
        return None if found is None else visible_passage(found, self.allowed(where), self.document)

    def document(self, doc_id: str, where: Filter | None = None) -> Document | None:
        """The document, if `where` lets it through (None: any)."""
        allowed = self.allowed(where)
        if allowed is not None and doc_id not in allowed.documents:
            return None
        return self.index.store.document(doc_id)

    # -- the public verbs ----------------------------------------------------------------------

    def query(
        self, text: str, mode: Mode = Mode.HYBRID, history: Sequence[str] = (), vector: np.ndarray | None = None
    ) -> Query:
        """The question analysed once (a follow-up made standalone with the earlier user turns `history`)."""
        return self.queries.build(text, mode, history, vector)

    @property
    def store(self) -> PassageStore | None:
        """The passage store, for listing documents; None for an engine over a split index (no one store)."""
        return getattr(self.index, "store", None)

    def document_list(self, offset: int, limit: int, where: Filter | None = None) -> tuple[int, list[DocumentInfo]]:
        """How many documents `where` lets through, and a page of them, newest first (an engine with a store)."""
        allowed = self.allowed(where)
        store = self.store
        assert store is not None, "a split index has no one store to list"
        if allowed is None:
            return store.document_count(), store.document_list(offset, limit)
        return len(allowed.doc_ids), store.document_list(offset, limit, allowed.doc_ids)

    def allowed(self, where: Filter | None) -> Allowed | None:
        """The documents and rows `where` lets through in this index; None for no filter (or the open one)."""
        return None if where is None or where.is_open else self.documents.allowed(where)

    def search(self, query: Query, k: int = 5, where: Filter | None = None, *, windows: bool = False) -> SearchOutcome:
        """The k best results for `query`, among the documents `where` lets through (None: all of them); with
        `windows`, each supporting result's answer window too (what an answer quotes; a result list shows
        highlights).
        At most `slots` searches run at once (None: no bound; a split index's search waits on its shards)."""
        with self.slots or contextlib.nullcontext():
            return self._search(query, k, where, windows)

    def _search(self, query: Query, k: int, where: Filter | None, windows: bool) -> SearchOutcome:
        started = time.perf_counter()
        c = self.config
        retrieval, sentences = self.sources(query, k)
        allowed = self.allowed(where)
        candidates = visible_candidates(retrieval.candidates(query, k, allowed), allowed, self.document)
        places = answer_places(query, candidates, sentences.of, c.highlight_dense_weight)
        rows = [row for row, _ in places]
        vector = query.vector
        vectors = candidates.vectors if rows == [h.row for h in candidates.hits] else retrieval.vectors_of(rows)
        similarities = (
            sentences.best_similarity(rows, vectors @ vector, vector) if vector is not None else np.zeros(len(rows))
        )
        results = []
        kept = zip(candidates.hits, places, similarities.tolist(), strict=True)
        for rank, (hit, (row, marked), similarity) in enumerate(kept, 1):
            passage = candidates.nearby[row]
            covered = coverage(query.terms, passage_terms(passage.text, passage.context).stems)
            results.append(Result(rank, round(hit.score, 6), passage, marked, similarity, covered))
        supplies = supplying(query, results)
        support = supporting(query, results, c, supplies)
        found = evidence(query, results, candidates.agreement, supplies)
        confidence = self.abstention.probability(found)
        answerable = bool(support) and confidence >= self.abstention.threshold
        if answerable and windows and c.window_margin >= 0:  # an answer quotes only supporting results
            support = [
                replace(r, window=window(query, r.passage, r.highlight, sentences.of(rows[r.rank - 1]),
                                         c.highlight_dense_weight, c.window_margin))
                if r.highlight is not None else r
                for r in support
            ]
        took = (time.perf_counter() - started) * 1000
        return SearchOutcome(query, round(took, 2), results, round(confidence, 4), tuple(support) if answerable else (), found.values)

    def sources(self, query: Query, k: int) -> tuple[Retrieval, SentenceVectors]:
        """Where `search` reads candidates and sentence vectors: this index (a split index gathers them per query)."""
        return self.retrieval, self.sentences

    def ask(self, query: Query, k: int = 5, where: Filter | None = None) -> Answer:
        """An extractive answer, built on `search` so that the answer and the result list always agree (a filter
        that lets nothing through finds nothing, so the answer abstains)."""
        return compose_answer(self.search(query, k, where, windows=True), self.config)

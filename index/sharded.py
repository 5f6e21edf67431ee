"""Answering over a split index (index/shards.py) as one index over the same corpus would.

A `Shard` answers in collection-wide rows; `ShardedEngine` builds the query once, asks every shard in three
rounds and fuses what they send with the engine's own code:
1. survey: each shard's dense top k (exact cosines, so the merged top k is the collection's) and how many of
   its rows match each phrase of the query (summed: the collection's document frequencies);
2. ranked: each shard's BM25 top k scored with the collection's idf (index/lexical.py `Weighting`), merged;
3. read: each shard reads, in the one statement a single index runs, exactly its rows of the merged dense
   and lexical lists, with their passages, neighbours, list items, vectors and sentence vectors.
The engine's retrieval, highlighting and abstention then run on what was read, as over one index.

Shards are reached through `ShardClient`: in this process (`LocalShard`) or as Ray Serve deployments
(service/ray_serve.py).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from corpus.model import Document, Passage
from index import vectors as vector_index
from index.abstention import AbstentionModel, default_model
from index.aliases import AliasTable
from index.config import EngineConfig
from index.embed import Embedder
from index.engine import Engine
from index.filters import Allowed, Filter, FilterUnsupported
from index.lexical import Gathered, Hit, LexicalIndex, Weighting, bm25_idf
from index.load import check_backend, load_index, model_for
from index.manifest import IndexFolderError, Manifest, fix_hint
from index.query import Query, QueryBuilder, phrases_of
from index.retrieval import DenseRetriever, Retrieval, composition
from index.sentence_vectors import SentenceVectors
from index.shards import ShardsManifest, read_shards
from index.terms import Vocabulary


class ShardError(Exception):
    """A shard could not answer (its replica died or the cluster is gone); the message says which, in words."""


@dataclass(frozen=True)
class Facts:
    """What a shard tells the router once: sizes, its terms' passage counts, and the row count bm25() uses."""

    passages: int
    documents: int
    term_counts: dict[str, int]
    fts_rows: int
    index_type: str


@dataclass(frozen=True)
class Survey:
    """Round 1: the dense top k as (row, cosine, score), and per query phrase the rows that match it."""

    dense: list[tuple[int, float, float]]
    hits: list[int]


@dataclass(frozen=True)
class Read:
    """Round 3: what one gather statement read, with the vectors, sentence vectors and list items of its rows."""

    gathered: Gathered
    rows: list[int]
    vectors: np.ndarray
    sentences: list[np.ndarray]
    list_items: dict[int, list[int]]


class Shard:
    """One shard of a split index, answering in collection-wide rows (its own plus `offset`)."""

    def __init__(self, folder: Path, offset: int, config: EngineConfig | None = None) -> None:
        self.config = config or EngineConfig()
        self.loaded = load_index(folder)
        self.offset = offset
        vector_index.prepare_for_search(self.loaded.vectors, ef_search=self.config.ef_search, nprobe=self.config.nprobe)
        self.sentences = SentenceVectors(self.loaded.sentences, self.loaded.sentence_rows)
        self.lexical = LexicalIndex(self.loaded.store, self.config.bm25_weights)
        self.items = self.loaded.store.list_items()
        self.lexical.prepare_list_items(self.items)
        self.dense = DenseRetriever(self.loaded.vectors, self.sentences, self.config.sentence_weight)

    def facts(self) -> Facts:
        store = self.loaded.store
        kind = vector_index.kind_of(self.loaded.vectors).value
        return Facts(store.count(), store.document_count(), self.lexical.term_counts(), self.lexical.totals()[0], kind)

    def survey(self, vector: np.ndarray | None, depth: int, phrases: Sequence[str]) -> Survey:
        dense: list[tuple[int, float, float]] = []
        if vector is not None and self.loaded.vectors.ntotal:
            scores, rows = vector_index.search(self.loaded.vectors, vector[None, :], depth)
            found = [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]
            blended = self.dense.score_cosines([r for r, _ in found], np.array([s for _, s in found], np.float32), vector)
            dense = [(r + self.offset, c, h.score) for (r, c), h in zip(found, blended, strict=True)]
        return Survey(dense, self.lexical.hits(phrases))

    def ranked(self, weighting: Weighting, depth: int) -> list[Hit]:
        return [Hit(h.row + self.offset, h.score) for h in self.lexical.ranked(weighting, depth)]

    def read(self, weighting: Weighting | None, depth: int, also: Sequence[int]) -> Read:
        off = self.offset
        local = self.lexical.gather_weighted(weighting, depth, [r - off for r in also])
        gathered = Gathered(
            [Hit(h.row + off, h.score) for h in local.lexical],
            {r + off: s for r, s in local.scores.items()},
            {r + off: p for r, p in local.passages.items()},
            {r + off: p for r, p in local.beside.items()},
        )
        rows = sorted({*local.passages, *local.beside})
        vectors = (
            self.loaded.vectors.reconstruct_batch(np.asarray(rows, dtype=np.int64))
            if rows else np.zeros((0, self.loaded.vectors.d), np.float32)
        )
        starts = self.sentences.rows
        sentences = [np.asarray(self.sentences.matrix[starts[r] : starts[r + 1]]) for r in rows]
        items = {lead + off: [i + off for i in self.items[lead]] for lead in rows if lead in self.items}
        return Read(gathered, [r + off for r in rows], vectors, sentences, items)

    def passage(self, passage_id: str) -> Passage | None:
        return self.loaded.store.passage(passage_id)

    def document(self, doc_id: str) -> Document | None:
        return self.loaded.store.document(doc_id)

    def close(self) -> None:
        self.loaded.close()


class Pending(Protocol):
    def result(self) -> Any: ...


class ShardClient(Protocol):
    """How the router reaches one shard: `call` starts a method of `Shard`; `result()` waits for it."""

    def call(self, method: str, *args: Any) -> Pending: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Done:
    value: Any

    def result(self) -> Any:
        return self.value


class LocalShard:
    """A shard in this process."""

    def __init__(self, shard: Shard) -> None:
        self.shard = shard

    def call(self, method: str, *args: Any) -> Pending:
        return Done(getattr(self.shard, method)(*args))

    def close(self) -> None:
        self.shard.close()


# -- the router's view of one query: what the shards sent, shaped as one index's parts -----------------


class RowVectors:
    """The vectors the shards sent, by collection-wide row, read as `reconstruct_batch` reads a FAISS index."""

    def __init__(self, rows: Sequence[int], matrix: np.ndarray) -> None:
        self.at = {r: i for i, r in enumerate(rows)}
        self.matrix = matrix
        self.d = matrix.shape[1]

    def reconstruct_batch(self, rows: np.ndarray) -> np.ndarray:
        return self.matrix[[self.at[int(r)] for r in rows]]


class RowSentences(SentenceVectors):
    """The sentence vectors the shards sent, by collection-wide row."""

    def __init__(self, rows: Sequence[int], per_row: Sequence[np.ndarray], dim: int) -> None:
        self.at = {r: i for i, r in enumerate(rows)}
        counts = np.array([len(s) for s in per_row], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        matrix = np.concatenate(list(per_row)) if len(per_row) else np.zeros((0, dim), np.float16)
        super().__init__(matrix.reshape(-1, dim), starts)

    def of(self, row: int) -> np.ndarray:
        return super().of(self.at[row])

    def best_similarity(self, rows: Sequence[int], cosines: np.ndarray, vector: np.ndarray) -> np.ndarray:
        return super().best_similarity([self.at[int(r)] for r in rows], cosines, vector)


class FetchedDense(DenseRetriever):
    """The merged dense ranking; scores other rows from the vectors sent, as the index's own would."""

    def __init__(self, hits: list[Hit], index: RowVectors, sentences: RowSentences, sentence_weight: float) -> None:
        super().__init__(index, sentences, sentence_weight)
        self.hits = hits

    def search(self, query: Query, k: int, allowed: Allowed | None = None) -> list[Hit]:
        return self.hits[:k]


class FetchedLexical:
    """The merged gather of the shards."""

    def __init__(self, gathered: Gathered) -> None:
        self.gathered = gathered

    def search(self, query: Query, k: int, allowed: Allowed | None = None) -> list[Hit]:
        return self.gathered.lexical[:k]

    def gather(self, query: Query | None, k: int, also: Sequence[int], allowed: Allowed | None = None) -> Gathered:
        return self.gathered


class FetchedRetrieval(Retrieval):
    """`Retrieval` over what the shards read for one query."""

    def __init__(
        self, dense: list[Hit], gathered: Gathered, vectors: RowVectors, sentences: RowSentences,
        list_items: dict[int, list[int]], config: EngineConfig,
    ) -> None:
        self.vectors = vectors
        self.dense = FetchedDense(dense, vectors, sentences, config.sentence_weight)
        self.lexical = FetchedLexical(gathered)  # type: ignore[assignment]
        self.list_items = list_items
        self.config = config


def merge_dense(surveys: Sequence[Survey], depth: int, blended: bool) -> list[Hit]:
    """The collection's dense top `depth`: by cosine over every shard's, then (with sentence scores) by score."""
    found = sorted((h for s in surveys for h in s.dense), key=lambda h: (-h[1], h[0]))[:depth]
    hits = [Hit(row, score) for row, _, score in found]
    return sorted(hits, key=lambda h: (-h.score, h.row)) if blended else hits


def merge_read(reads: Sequence[Read]) -> Gathered:
    lexical = sorted((h for r in reads for h in r.gathered.lexical), key=lambda h: (-h.score, h.row))
    scores: dict[int, float] = {}
    passages: dict[int, Passage] = {}
    beside: dict[int, Passage] = {}
    for r in reads:
        scores.update(r.gathered.scores)
        passages.update(r.gathered.passages)
        beside.update(r.gathered.beside)
    return Gathered(lexical, scores, passages, beside)


def weightings(phrases: Sequence[str], hits: Sequence[Sequence[int]], rows: int) -> list[Weighting]:
    """Per shard, each phrase with the factor turning that shard's idf into the collection's (rows: N)."""
    total = [sum(column) for column in zip(*hits, strict=True)] if hits else []
    out = []
    for own in hits:
        factors = tuple(
            bm25_idf(rows, t) / bm25_idf(rows, n) if n else 0.0 for n, t in zip(own, total, strict=True)
        )
        out.append(Weighting(tuple(phrases), factors))
    return out


class _ShardSet:
    """`Engine.index` of a split index: what closing the engine closes."""

    def __init__(self, shards: Sequence[ShardClient], manifest: Manifest) -> None:
        self.shards = shards
        self.manifest = manifest

    def close(self) -> None:
        for shard in self.shards:
            shard.close()


class ShardedEngine(Engine):
    """The engine over a split index: the same verbs and answers as `Engine` over one index of the same corpus."""

    def __init__(
        self, shards: Sequence[ShardClient], manifest: ShardsManifest, aliases: AliasTable, embedder: Embedder,
        config: EngineConfig | None = None, abstention: AbstentionModel | None = None,
    ) -> None:
        self.shards = list(shards)
        self.slots = None  # its searches wait on the shards, not on this process's cores
        self.split = manifest
        self.embedder = embedder
        self.config = config or EngineConfig()
        self.abstention = abstention or default_model()
        self._query_encoder = None
        facts: list[Facts] = self._all("facts")
        total = sum(f.passages for f in facts)
        counts: dict[str, int] = {}
        for f in facts:
            for term, n in f.term_counts.items():
                counts[term] = counts.get(term, 0) + n
        self.fts_rows = facts[0].fts_rows
        self._kind = vector_index.IndexType.parse(facts[0].index_type)
        vocabulary = Vocabulary({t: min(n, total) for t, n in counts.items()}, total)
        self.queries = QueryBuilder(aliases, vocabulary, self.encode_queries)
        summary = Manifest(
            format_version=manifest.format_version, model=manifest.model, dimension=manifest.dimension,
            passages=total, documents=manifest.documents, corpus_checksum=manifest.corpus_checksum,
            built_at=manifest.built_at, index_type=self._kind.value, files={}, backend=manifest.backend,
            family=manifest.family,
        )
        self.index = _ShardSet(self.shards, summary)  # type: ignore[assignment]

    @classmethod
    def open(  # type: ignore[override]
        cls, index_dir: Path, embedder: Embedder | None = None, config: EngineConfig | None = None, *,
        model: str | None = None, backend: str | None = None, abstention: AbstentionModel | None = None,
    ) -> ShardedEngine:
        """The engine over the split index at `index_dir`, its shards opened in this process; query vectors come
        from `backend` (None: the one the index was built with), refused if it cannot search the index's vectors."""
        folder, manifest = read_shards(index_dir)
        expected = embedder.name if embedder else model
        if expected is not None and manifest.model != expected:
            raise IndexFolderError(
                f"the index at {index_dir} was built with the model {manifest.model}, but {expected} is "
                f"configured; {fix_hint(index_dir)}, or set CITED_MODEL={manifest.model}"
            )
        config = config or EngineConfig()
        shards: list[ShardClient] = []
        try:
            for name, offset in zip(manifest.shards, manifest.offsets, strict=True):
                shards.append(LocalShard(Shard(folder / name, offset, config)))
        except IndexFolderError:
            for shard in shards:
                shard.close()
            raise
        try:
            embedder = embedder or model_for(manifest, backend, near=index_dir)  # type: ignore[arg-type]
            check_backend(index_dir, manifest, embedder.backend)  # type: ignore[arg-type]
            embedder.warm_up()
        except BaseException:
            for shard in shards:
                shard.close()
            raise
        return cls(shards, manifest, AliasTable.load(folder / manifest.shards[0]), embedder, config, abstention)

    @property
    def size(self) -> int:
        return self.index.manifest.passages

    def allowed(self, where: Filter | None) -> Allowed | None:
        """Filters are not read across shards yet: a split index refuses one rather than ignore it."""
        if where is None or where.is_open:
            return None
        raise FilterUnsupported("a split index cannot restrict results to some documents yet; search without a filter")

    @property
    def manifest(self) -> Manifest:
        return self.index.manifest

    @property
    def index_type(self) -> vector_index.IndexType:
        return self._kind

    @property
    def shard_count(self) -> int:
        return len(self.shards)

    def close(self) -> None:
        self.index.close()

    def passage(self, passage_id: str, where: Filter | None = None) -> Passage | None:
        self.allowed(where)  # a filter (a key's sources) is refused in a sentence, never ignored
        return next((p for p in self._all("passage", passage_id) if p is not None), None)

    def document(self, doc_id: str, where: Filter | None = None) -> Document | None:
        self.allowed(where)
        return next((d for d in self._all("document", doc_id) if d is not None), None)

    # -- fan-out ------------------------------------------------------------------------------

    def _all(self, method: str, *args: Any) -> list[Any]:
        """`method(*args)` on every shard, started together, in shard order."""
        return [p.result() for p in [s.call(method, *args) for s in self.shards]]

    def _each(self, method: str, args: Sequence[tuple[Any, ...]]) -> list[Any]:
        """`method` on each shard with its own arguments, started together."""
        return [p.result() for p in [s.call(method, *a) for s, a in zip(self.shards, args, strict=True)]]

    def _shard_of(self, row: int) -> int:
        return bisect.bisect_right(self.split.offsets, row) - 1

    def sources(self, query: Query, k: int) -> tuple[Retrieval, SentenceVectors]:
        c = self.config
        plan = composition(query.mode, c)
        depth = max(c.candidates, k)
        phrases = phrases_of(query.fts) if plan.lexical and query.fts else []
        surveys: list[Survey] = self._all("survey", query.vector if plan.dense else None, depth, phrases)
        dense = merge_dense(surveys, depth, bool(c.sentence_weight))
        per_shard: list[Weighting | None] = [None] * len(self.shards)
        taken = [0] * len(self.shards)
        if phrases:
            per_shard = list(weightings(phrases, [s.hits for s in surveys], self.fts_rows))
            ranked = sorted((h for hits in self._each("ranked", [(w, depth) for w in per_shard]) for h in hits),
                            key=lambda h: (-h.score, h.row))[:depth]
            for hit in ranked:
                taken[self._shard_of(hit.row)] += 1
        also: list[list[int]] = [[] for _ in self.shards]
        for hit in dense:
            also[self._shard_of(hit.row)].append(hit.row)
        reads: list[Read] = self._each("read", [(w, n, a) for w, n, a in zip(per_shard, taken, also, strict=True)])
        rows = [r for read in reads for r in read.rows]
        dim = self.split.dimension
        vectors = RowVectors(rows, np.concatenate([r.vectors for r in reads]) if rows else np.zeros((0, dim), np.float32))
        sentences = RowSentences(rows, [s for r in reads for s in r.sentences], dim)
        items = {lead: found for r in reads for lead, found in r.list_items.items()}
        return FetchedRetrieval(dense, merge_read(reads), vectors, sentences, items, c), sentences

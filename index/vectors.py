"""FAISS vector indexes over unit vectors (inner product = cosine): exact, HNSW and IVF-PQ.

The defaults below were chosen with `cited bench scaling` (10k to 1M vectors of dimension 384): see the
figures in the performance report. IVF-PQ finds candidates with 48-byte codes and re-ranks
`REFINE_K_FACTOR * k` of them with 8-bit scalar-quantised vectors (384 bytes): PQ codes alone
cannot rank the top 10 well (recall@10 about 0.6 against exact search); the re-ranking lifts it
above 0.95 at a quarter of the memory of full vectors. HNSW (M 32, efConstruction 80, efSearch 64)
reaches recall@10 0.987 at 0.4 ms on 1M vectors with the structure of sentence embeddings.
"""

from __future__ import annotations

import math
from pathlib import Path

import faiss
import numpy as np

from index.config import Choice

# Above this many passages HNSW is chosen: one exact scan costs about 1.5 ms at 10k vectors and 20-30 ms
# at 100k (one core), against 0.2-0.4 ms for HNSW at recall@10 >= 0.99 on data with structure.
HNSW_ABOVE = 10_000
# Above this many, HNSW's full float32 vectors and graph (about 1.8 KB a passage) give way to IVF-PQ
# (about 0.45 KB a passage).
IVFPQ_ABOVE = 2_000_000

HNSW_M = 32  # graph degree: 32 keeps recall@10 at 1M vectors high at a small efSearch
HNSW_EF_CONSTRUCTION = 80
PQ_M = 48  # sub-quantizers (8 dimensions each at 384)
# Candidates re-ranked per result wanted: at 1M vectors, 4 leaves recall@10 at 0.77 whatever nprobe is
# (the PQ ranking misses true neighbours); 16 gives 0.97 for about 0.3 ms more.
REFINE_K_FACTOR = 16


class IndexType(Choice):
    FLAT = "flat"
    HNSW = "hnsw"
    IVFPQ = "ivfpq"

    @classmethod
    def for_size(cls, n: int) -> IndexType:
        if n > IVFPQ_ABOVE:
            return cls.IVFPQ
        return cls.HNSW if n > HNSW_ABOVE else cls.FLAT


def build(
    vectors: np.ndarray,
    kind: IndexType,
    *,
    hnsw_m: int = HNSW_M,
    ef_construction: int = HNSW_EF_CONSTRUCTION,
    pq_m: int = PQ_M,
    k_factor: int = REFINE_K_FACTOR,
) -> faiss.Index:
    """A FAISS index holding `vectors` (row i = passage i)."""
    n, dim = vectors.shape
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if kind is IndexType.FLAT:
        index = faiss.IndexFlatIP(dim)
    elif kind is IndexType.HNSW:
        index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = ef_construction
    else:
        nlist = max(1, min(int(4 * math.sqrt(max(n, 1))), n // 39 if n >= 39 else 1))
        m = next(m for m in range(min(pq_m, dim), 0, -1) if dim % m == 0)
        # 8-bit codes need 256 training points per sub-quantizer; a tiny corpus gets fewer bits.
        nbits = max(1, min(8, int(math.log2(max(n, 2)))))
        quantizer = faiss.IndexFlatIP(dim)
        ivf = faiss.IndexIVFPQ(quantizer, dim, nlist, m, nbits, faiss.METRIC_INNER_PRODUCT)
        # Polysemous codes serve Hamming-distance filtering, which is never switched on here; training them
        # took three quarters of the build time.
        ivf.do_polysemous_training = False
        rerank = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
        index = faiss.IndexRefine(ivf, rerank)
        index.k_factor = k_factor
        train = vectors if n <= 100_000 else vectors[np.random.default_rng(0).choice(n, 100_000, replace=False)]
        index.train(np.concatenate([train, train]) if n < 2 else train)
    if n:
        index.add(vectors)
    return index


def set_search_params(index: faiss.Index, *, ef_search: int | None = None, nprobe: int | None = None) -> None:
    """efSearch for HNSW, nprobe for IVF; ignored by index types that have no such knob."""
    if ef_search is not None and hasattr(index, "hnsw"):
        index.hnsw.efSearch = ef_search
    if nprobe is not None:
        try:
            faiss.extract_index_ivf(index).nprobe = nprobe
        except RuntimeError:
            pass


def prepare_for_search(index: faiss.Index, *, ef_search: int, nprobe: int) -> None:
    """Set the search knobs once, before concurrent searches; IVF-PQ also gets the direct map that
    reconstructing a row by its number needs."""
    set_search_params(index, ef_search=ef_search, nprobe=nprobe)
    if kind_of(index) is IndexType.IVFPQ:
        faiss.extract_index_ivf(index).make_direct_map()


def kind_of(index: faiss.Index) -> IndexType:
    if hasattr(index, "hnsw"):
        return IndexType.HNSW
    try:
        faiss.extract_index_ivf(index)
        return IndexType.IVFPQ
    except RuntimeError:
        return IndexType.FLAT


def save(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load(path: Path) -> faiss.Index:
    return faiss.read_index(str(path))


def append(index: faiss.Index, vectors: np.ndarray) -> None:
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))


class Selector:
    """The rows a search may return, as FAISS checks them inside its search (before its top k is cut): `rows`
    themselves, or every row but them (`excluding`). Built once per set of rows and shared by concurrent searches."""

    def __init__(self, rows: np.ndarray, *, excluding: bool = False) -> None:
        self.rows = np.ascontiguousarray(rows, dtype=np.int64)
        self.excluding = excluding
        self._batch = faiss.IDSelectorBatch(self.rows)
        self.faiss = faiss.IDSelectorNot(self._batch) if excluding else self._batch

    def share(self, total: int) -> float:
        """The fraction of `total` rows that pass."""
        passing = total - len(self.rows) if self.excluding else len(self.rows)
        return passing / total if total else 0.0


def _parameters(index: faiss.Index, selector: Selector, k: int) -> faiss.SearchParameters:
    """Search parameters carrying `selector`, with the index's own knobs (parameters replace them). HNSW looks
    further when few rows pass: it walks the whole graph but keeps only rows that pass among its efSearch best."""
    kind = kind_of(index)
    if kind is IndexType.HNSW:
        wanted = k / max(selector.share(index.ntotal), 1e-6)
        return faiss.SearchParametersHNSW(sel=selector.faiss, efSearch=int(min(max(index.hnsw.efSearch, wanted), 4096)))
    if kind is IndexType.IVFPQ:
        ivf = faiss.extract_index_ivf(index)
        base = faiss.SearchParametersIVF(sel=selector.faiss, nprobe=ivf.nprobe)
        return faiss.IndexRefineSearchParameters(k_factor=index.k_factor, base_index_params=base)
    return faiss.SearchParameters(sel=selector.faiss)


def search(
    index: faiss.Index, queries: np.ndarray, k: int, selector: Selector | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(scores, rows) of the k nearest rows per query (among those `selector` lets pass); rows are -1 where fewer
    exist."""
    k = max(1, min(k, index.ntotal)) if index.ntotal else 1
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    params = _parameters(index, selector, k) if selector is not None else None
    if len(queries) > 1:
        return index.search(queries, k, params=params)
    # One query gains nothing from OpenMP threads and, on a busy machine, loses a lot at their barriers
    # (flat search over 100k vectors: 15 ms on one thread, 35-60 ms on two). The setting is per thread.
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        return index.search(queries, k, params=params)
    finally:
        faiss.omp_set_num_threads(threads)


def search_rows(index: faiss.Index, query: np.ndarray, k: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(scores, rows) of the k nearest among `rows`, scored exactly from their stored vectors: for a filter that
    lets few rows through, cheaper than a restricted search and never approximate."""
    if not len(rows):
        return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
    scores = index.reconstruct_batch(np.ascontiguousarray(rows, dtype=np.int64)) @ query
    top = np.argsort(-scores, kind="stable")[:k]
    return scores[top], rows[top]

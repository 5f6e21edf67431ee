"""FAISS vector indexes over unit vectors (inner product = cosine): exact, HNSW and IVF-PQ."""

from __future__ import annotations

import enum
import math
from pathlib import Path

import faiss
import numpy as np

# Above this many passages an exact scan costs more than a graph search; HNSW is chosen.
HNSW_ABOVE = 50_000


class IndexType(enum.StrEnum):
    FLAT = "flat"
    HNSW = "hnsw"
    IVFPQ = "ivfpq"

    @classmethod
    def parse(cls, value: str) -> IndexType:
        try:
            return cls(value.lower())
        except ValueError:
            choices = ", ".join(m.value for m in cls)
            raise ValueError(f"unknown index type '{value}'; choose one of: {choices}") from None

    @classmethod
    def for_size(cls, n: int) -> IndexType:
        return cls.HNSW if n > HNSW_ABOVE else cls.FLAT


def build(vectors: np.ndarray, kind: IndexType, *, hnsw_m: int = 32, ef_construction: int = 80) -> faiss.Index:
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
        m = next(m for m in (48, 32, 24, 16, 12, 8, 4, 2, 1) if dim % m == 0)
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFPQ(quantizer, dim, nlist, m, 8, faiss.METRIC_INNER_PRODUCT)
        train = vectors if n <= 100_000 else vectors[np.random.default_rng(0).choice(n, 100_000, replace=False)]
        index.train(train)
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


def search(index: faiss.Index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(scores, rows) of the k nearest rows per query; rows are -1 where fewer exist."""
    k = max(1, min(k, index.ntotal)) if index.ntotal else 1
    return index.search(np.ascontiguousarray(queries, dtype=np.float32), k)

"""`cited bench living`: what a change to a living collection costs against rebuilding it. One run writes `--big`
passages of made-up text as files, builds them with `cited build`'s code (synthetic vectors: the real encoder would
take hours on 100k passages), changes one file and syncs, removes a third of the documents (which compacts the
index), and compares deleting by tombstones with FAISS's IndexIDMap.remove_ids."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from eval.bench.common import Bench, SuiteResult
from eval.bench.memory import SyntheticVectors, synthetic_corpus

TARGET_REPLACE = 0.02  # replacing one document / a full rebuild, at 100k passages (issue 14)
PER_DOCUMENT = 20


def _files_mib(index: Path) -> float:
    return sum(p.stat().st_size for p in index.resolve().iterdir() if p.is_file()) / 2**20


def _write_corpus(folder: Path, passages: int) -> list[Path]:
    """The synthetic corpus as text files, PER_DOCUMENT paragraphs each, for `cited build` and `cited sync` to read."""
    files = []
    for i, doc in enumerate(synthetic_corpus(passages, per_document=PER_DOCUMENT).documents):
        path = folder / f"doc-{i:05d}.txt"
        path.write_text(doc.text, encoding="utf-8")
        files.append(path)
    return files


def suite_living(bench: Bench) -> SuiteResult:
    from index.build import build_index
    from index.changes import apply_changes
    from index.embed import MODEL_NAME
    from index.load import load_index
    from index.sync import sync_paths

    result = SuiteResult()
    n = bench.options.big
    with tempfile.TemporaryDirectory(prefix="cited-bench-living-") as folder:
        corpus, index = Path(folder) / "docs", Path(folder) / "index"
        corpus.mkdir()
        files = _write_corpus(corpus, n)
        embedder = SyntheticVectors(MODEL_NAME)
        started = time.perf_counter()
        build_index([corpus], index, embedder, progress=False)
        build_s = time.perf_counter() - started
        loaded = load_index(index)
        kind, rows_before, passages = loaded.manifest.index_type, int(loaded.vectors.ntotal), loaded.store.count()
        loaded.close()
        result.rows.append({"operation": f"cited build: {len(files):,} files, {passages:,} passages ({kind})",
                            "seconds": round(build_s, 2), "share_of_build": 1.0})
        files[0].write_text("Revised. " + files[0].read_text(encoding="utf-8"), encoding="utf-8")
        started = time.perf_counter()
        synced = sync_paths([corpus], index, embedder)
        replace_s = time.perf_counter() - started
        assert len(synced.change.replaced) == 1, synced.lines()
        result.rows.append({"operation": f"cited sync after one file changed ({PER_DOCUMENT} passages replaced)",
                            "seconds": round(replace_s, 2), "share_of_build": round(replace_s / build_s, 4)})
        result.check("replace one document / full build", replace_s / build_s, TARGET_REPLACE)
        size_before = _files_mib(index)
        loaded = load_index(index, verify_checksums=False)
        doomed = [d.doc_id for d in loaded.store.documents()][1 : len(files) // 3 + 1]
        loaded.close()
        started = time.perf_counter()
        removal = apply_changes(index, remove=doomed, embedder=embedder)
        remove_s = time.perf_counter() - started
        loaded = load_index(index)
        rows_after, live = int(loaded.vectors.ntotal), loaded.store.count()
        loaded.close()
        result.rows.append({"operation": f"remove {len(doomed):,} documents (a third), compacted: {removal.compacted}",
                            "seconds": round(remove_s, 2), "share_of_build": round(remove_s / build_s, 4)})
        result.notes.append(f"index files {size_before:.0f} MiB before the removal, {_files_mib(index):.0f} MiB after; "
                            f"vector rows {rows_before:,} -> {rows_after:,} for {live:,} passages")
        result.check("vector rows after compaction / live passages", rows_after / max(live, 1), 1.0)
    result.rows.extend(_deletion_costs(min(n, 100_000)))
    result.notes.append("synthetic vectors stand in for the encoder in the build and the sync alike (the real one would "
                        "add the same time per passage to both: the build's share would only grow); ratios are from one "
                        "run on a shared machine")
    return result


def _deletion_costs(n: int, removed: int = 1000) -> list[dict[str, Any]]:
    """Removing `removed` vectors from `n`: FAISS's IndexIDMap.remove_ids on a flat index (HNSW cannot remove
    at all) against tombstones, which cost a selector in each search instead; search time with and without one."""
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((n, 384), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(n, dtype=np.int64)
    gone = rng.choice(n, removed, replace=False).astype(np.int64)
    mapped = faiss.IndexIDMap2(faiss.IndexFlatIP(384))
    mapped.add_with_ids(vectors, ids)
    started = time.perf_counter()
    mapped.remove_ids(faiss.IDSelectorBatch(gone))
    remove_ms = (time.perf_counter() - started) * 1000
    hnsw = faiss.IndexHNSWFlat(384, 16, faiss.METRIC_INNER_PRODUCT)
    try:
        faiss.IndexIDMap2(hnsw).remove_ids(faiss.IDSelectorBatch(gone))
        hnsw_note = "supported"
    except RuntimeError:
        hnsw_note = "not supported by FAISS"
    flat = faiss.IndexFlatIP(384)
    flat.add(vectors)
    queries = vectors[:100]
    plain, selected = [], []
    parameters = faiss.SearchParameters(sel=faiss.IDSelectorNot(keep := faiss.IDSelectorBatch(gone)))
    for q in queries[:5]:  # warm both paths before timing them, alternately
        flat.search(q[None, :], 10)
        flat.search(q[None, :], 10, params=parameters)
    for q in queries:
        t = time.perf_counter()
        flat.search(q[None, :], 10)
        plain.append(time.perf_counter() - t)
        t = time.perf_counter()
        flat.search(q[None, :], 10, params=parameters)
        selected.append(time.perf_counter() - t)
    del keep
    return [
        {"operation": f"IndexIDMap2(flat).remove_ids of {removed} in {n:,}", "seconds": round(remove_ms / 1000, 4), "share_of_build": ""},
        {"operation": f"IndexHNSW remove_ids: {hnsw_note}; tombstones: {removed} rows marked", "seconds": 0.0, "share_of_build": ""},
        {"operation": f"flat search p50 without / with a tombstone selector: {np.median(plain) * 1000:.1f} / "
                      f"{np.median(selected) * 1000:.1f} ms", "seconds": "", "share_of_build": ""},
    ]

"""The encode suite: bare model time per query at batch 1, 8 and 32, the floor every other figure is set against."""

from __future__ import annotations

import time

import numpy as np

from eval.bench.common import Bench, SuiteResult, default_threads, latency, torch_threads


def suite_encode(bench: Bench) -> SuiteResult:
    result = SuiteResult()
    embedder = bench.embedder()
    n = max(8, bench.options.queries)
    embedder.encode(bench.take(8), batch_size=8)  # first calls allocate; not timed
    from index.embed import SentenceTransformerEmbedder

    served = bench.server_threads() if isinstance(embedder, SentenceTransformerEmbedder) else 0
    counts = sorted({served, default_threads()}) if served else [0]
    for threads in counts:
        with torch_threads(threads):
            for size in (1, 8, 32):
                batches = max(3, n // size)
                per_batch = []
                for _ in range(batches):
                    texts = bench.take(size)
                    started = time.perf_counter()
                    embedder.encode(texts, batch_size=size)
                    per_batch.append(time.perf_counter() - started)
                per_query = [s / size for s in per_batch]
                stats = latency(per_query)
                result.rows.append({
                    "torch_threads": threads or "-", "batch": size, "batches": batches,
                    "per_query_p50_ms": stats["p50_ms"], "per_query_p99_ms": stats["p99_ms"],
                    "per_batch_p50_ms": latency(per_batch)["p50_ms"], "queries_per_s": size / float(np.median(per_batch)),
                })
                if size == 1 and threads in (served, 0):
                    bench.floor = stats
    result.notes.append(f"model {embedder.name}; the server runs {served or 'the default number of'} torch thread(s) "
                        "(CITED_TORCH_THREADS), so its rows are the encode floor; distinct gold-question variants, one "
                        "forward pass per batch")
    return result

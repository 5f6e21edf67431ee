"""The encode suite: model time per query at batch 1, 8 and 32, bare torch (the floor every other figure is set
against) beside the served backend on one thread and on every core."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from eval.bench.common import Bench, SuiteResult, default_threads, latency, model_threads


def suite_encode(bench: Bench) -> SuiteResult:
    result = SuiteResult()
    n = max(8, bench.options.queries)
    torch, served = bench.bare_torch(), bench.embedder()
    runs: list[tuple[str, Any, int]] = [("bare torch (the floor)", torch, threads) for threads in sorted({default_threads(), 1})]
    if served is not torch and served.backend != torch.backend:
        runs += [(f"served: {served.backend}", served, threads) for threads in sorted({1, default_threads()})]
    for _, embedder, _ in runs:
        embedder.encode(bench.take(8), batch_size=8)  # first calls allocate; not timed
    for label, embedder, threads in runs:
        with model_threads(embedder, threads):
            for size in (1, 8, 32):
                stats, per_batch, batches = _per_query(bench, embedder, size, max(3, n // size))
                result.rows.append({
                    "encoder": label, "threads": threads or default_threads(), "batch": size, "batches": batches,
                    "per_query_p50_ms": stats["p50_ms"], "per_query_p99_ms": stats["p99_ms"],
                    "per_batch_p50_ms": latency(per_batch)["p50_ms"], "queries_per_s": size / float(np.median(per_batch)),
                })
                if size == 1 and embedder is torch and (bench.floor is None or stats["p50_ms"] < bench.floor["p50_ms"]):
                    bench.floor = stats  # the faster of torch's default threads and one thread
    result.notes.append(f"model {served.name}; the floor is sentence-transformers on torch at its default threads or one, the faster; "
                        "distinct gold-question variants; torch runs a batch in one forward pass, ONNX in passes of at most 8 "
                        "(index/onnx_encoder.py QUERY_BATCH)")
    return result


def _per_query(bench: Bench, embedder: Any, size: int, batches: int) -> tuple[dict[str, float], list[float], int]:
    per_batch = []
    for _ in range(batches):
        texts = bench.take(size)
        started = time.perf_counter()
        embedder.encode(texts, batch_size=size)
        per_batch.append(time.perf_counter() - started)
    return latency([s / size for s in per_batch]), per_batch, batches

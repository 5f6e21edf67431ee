"""The search suite: Engine.search latency beside the encode floor for the same queries, and where the engine's
own time goes (cProfile)."""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from eval.bench.common import TARGETS, Bench, SuiteResult, encode_floor, latency, model_threads
from index.config import Mode


def suite_search(bench: Bench) -> SuiteResult:
    from index.engine import Engine

    result = SuiteResult()
    engine = Engine.open(bench.index, embedder=bench.embedder())
    try:
        with model_threads(engine.embedder, bench.server_threads()):  # the engine as the server runs it
            _measure(bench, engine, result)
    finally:
        engine.close()
    return result


def _measure(bench: Bench, engine: Any, result: SuiteResult) -> None:
    queries = bench.take(max(4, bench.options.queries))
    for q in bench.take(5):  # warm the engine's lazy paths; not timed
        engine.search(engine.query(q), k=5)
    floor: list[float] = []
    full: list[float] = []
    alone: list[float] = []
    vectors, denses = [], []
    for i, query in enumerate(queries):
        dense = engine.query(query, Mode.LEXICAL).dense_text  # lexical: the text analysed without encoding it
        # Alternate the order so that neither measurement always runs second on warm caches.
        for step in ((0, 1) if i % 2 else (1, 0)):
            if step == 0:
                floor.extend(encode_floor(engine.embedder, [dense]))
            else:
                started = time.perf_counter()
                engine.search(engine.query(query), k=5)
                full.append(time.perf_counter() - started)
        vectors.append(engine.embedder.encode([dense], batch_size=1)[0])
        denses.append(dense)
    # Torch's threads spin on after an encode and slow whatever runs next, so its floor is not interleaved.
    torch_floor = bench.torch_floor(denses)
    for query, vector in zip(queries, vectors, strict=True):
        started = time.perf_counter()
        engine.search(engine.query(query, vector=vector), k=5)
        alone.append(time.perf_counter() - started)
    stats_floor, stats_full, stats_alone = latency(floor), latency(full), latency(alone)
    stats_torch = latency(torch_floor)
    result.rows = [
        {"measured": f"encode floor (batch 1, same dense text, {engine.embedder.backend})", **stats_floor},
        {"measured": "Engine.search, k=5 (encode + engine)", **stats_full},
        {"measured": "Engine.search given the vector (engine only)", **stats_alone},
        {"measured": "bare torch floor (batch 1, same dense text)", **stats_torch},
    ]
    ratio = stats_full["p50_ms"] / stats_floor["p50_ms"]
    result.rows.append({"measured": "search p50 / encode floor p50", "p50_ms": ratio})
    result.rows.append({"measured": "search p50 / bare torch floor p50", "p50_ms": stats_full["p50_ms"] / stats_torch["p50_ms"]})
    result.check("Engine.search p50 / encode floor p50", ratio, TARGETS["engine_overhead"])
    result.extra["profile"] = _profile(engine, queries[: min(len(queries), 100)], vectors)
    result.notes.append(f"{len(queries)} distinct queries over {bench.index} ({engine.size} passages, "
                        f"{engine.index.manifest.index_type}); engine-only time by function (cProfile, tottime):")
    for entry in result.extra["profile"][:8]:
        result.notes.append(f"    {entry['share']:5.1%}  {entry['function']}")


def _profile(engine: Any, queries: Sequence[str], vectors: Sequence[np.ndarray]) -> list[dict[str, Any]]:
    """Where Engine.search spends its time once the query vector is known: functions by own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for query, vector in zip(queries, vectors, strict=False):
        engine.search(engine.query(query, vector=vector), k=5)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO())
    total = sum(v[2] for v in stats.stats.values()) or 1.0  # type: ignore[attr-defined]
    rows = []
    for (filename, line, name), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{Path(filename).parent.name}/{Path(filename).name}:{line}" if line else filename
        rows.append({"function": f"{name} ({where})", "calls": calls, "own_s": round(own, 4),
                     "cumulative_s": round(cumulative, 4), "share": own / total})
    rows.sort(key=lambda r: -r["own_s"])
    return rows[:20]

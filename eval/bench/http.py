"""The http suite: GET /api/search through `cited serve` at several concurrencies, batching on then off, beside the
encode floor of the same texts, and a run of cached questions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eval.bench.common import TARGETS, Bench, SuiteResult, latency, rss_mib
from eval.bench.serving import load, serve, stats
from index.config import Mode
from service.launcher import Server


def suite_http(bench: Bench) -> SuiteResult:
    result = SuiteResult()
    levels = list(bench.options.concurrency)
    n = bench.options.requests
    embedder = bench.embedder()
    # Both servers get the same queries: each starts with an empty cache, so none of them is a hit.
    plan = [(c, bench.take(c * 2), bench.take(n)) for c in levels]
    # The floor: bare torch's encode of the texts the lowest level sends, half before the HTTP runs, half after;
    # also of those texts as the engine encodes them (with the acronym expansions it adds).
    floor_queries = plan[0][2][: min(100, n)]
    half = len(floor_queries) // 2
    from index.engine import Engine

    engine = Engine.open(bench.index, embedder=embedder)
    dense_queries = [engine.query(q, Mode.LEXICAL).dense_text for q in floor_queries]  # analysed, not encoded
    engine.close()
    floor_times = bench.torch_floor(floor_queries[:half])
    dense_times = bench.torch_floor(dense_queries[:half])
    cached = bench.take(20)
    by_mode: dict[str, dict[int, dict[str, Any]]] = {"batching on": {}, "batching off": {}}
    rows: list[dict[str, Any]] = []
    server_env = bench.options.server_env
    with serve(bench.index, server_env) as batching, serve(bench.index, server_env, {"CITED_BATCH_WAIT_MS": "0"}) as direct:
        # The two servers take turns at each level (the order alternating), so that a change in the machine's
        # load during the run falls on both.
        for i, (clients, warmup, queries) in enumerate(plan):
            pair = [("batching on", batching), ("batching off", direct)]
            for mode, server in pair[:: -1 if i % 2 else 1]:
                row = _http_run(server, mode, clients, queries, warmup)
                by_mode[mode][clients] = row
                rows.append(row)
        load(batching, cached, 1)  # every later request of this list is a cache hit
        for clients in (1, max(levels)):
            rows.append(_http_run(batching, "batching on, cached", clients, [cached[i % 20] for i in range(n)], ()))
    floor_times += bench.torch_floor(floor_queries[half:])
    dense_times += bench.torch_floor(dense_queries[half:])
    floor, dense = latency(floor_times), latency(dense_times)
    result.rows.append({"server": "bare torch floor (in process, batch 1)", "clients": 1, "requests": len(floor_queries),
                        "p50_ms": floor["p50_ms"], "p99_ms": floor["p99_ms"]})
    result.rows.append({"server": "bare torch floor, texts with expansions", "clients": 1, "requests": len(dense_queries),
                        "p50_ms": dense["p50_ms"], "p99_ms": dense["p99_ms"]})
    result.rows += sorted(rows, key=lambda r: (r["server"], r["clients"]))
    on = by_mode["batching on"]
    low, high = min(levels), max(levels)
    if low == 1:
        result.check("HTTP p50 at 1 client / bare torch floor p50", on[1]["p50_ms"] / floor["p50_ms"], TARGETS["http_p50"])
        result.check("HTTP p50 at 1 client, batching on / off", on[1]["p50_ms"] / by_mode["batching off"][1]["p50_ms"],
                     TARGETS["lone_client"])
        result.check("HTTP p99 at 1 client / bare torch floor p50", on[1]["p99_ms"] / floor["p50_ms"], TARGETS["http_p99"])
    result.check(f"requests/s at {high} clients × bare torch floor p50 (s)", on[high]["req_per_s"] * floor["p50_ms"] / 1000,
                 TARGETS["throughput"], at_most=False)
    if high > low:
        result.notes.append(f"throughput {high} clients / {low} client (batching on): "
                            f"{on[high]['req_per_s'] / on[low]['req_per_s']:.2f}×")
        off = by_mode["batching off"]
        result.notes.append(f"batching off: {high} clients / {low} client throughput "
                            f"{off[high]['req_per_s'] / off[low]['req_per_s']:.2f}×")
    result.check("HTTP errors (all runs)", sum(r.get("errors", 0) for r in result.rows), 0)
    result.notes.append(f"server backend {bench.backend()}; {n} requests per run, GET /api/search?k=5 over {bench.index}; "
                        "distinct queries (cache hit rate "
                        "column) except the cached rows; load generator: asyncio + aiohttp in its own process")
    return result


def _http_run(server: Server, mode: str, clients: int, queries: Sequence[str], warmup: Sequence[str]) -> dict[str, Any]:
    before = stats(server)
    run = load(server, queries, clients, warmup)
    after = stats(server)
    figures = latency(run["latencies_s"])
    batches = after["batching"]["batches"] - before["batching"]["batches"]
    encoded = after["batching"]["encoded"] - before["batching"]["encoded"]
    hits = after["cache"]["hits"] - before["cache"]["hits"]
    looked_up = hits + after["cache"]["misses"] - before["cache"]["misses"]
    return {
        "server": mode, "clients": clients, "requests": len(queries), "errors": len(run["errors"]),
        "p50_ms": figures["p50_ms"], "p99_ms": figures["p99_ms"], "req_per_s": len(run["latencies_s"]) / run["wall_s"],
        "mean_batch": encoded / batches if batches else 0.0, "cache_hit_rate": hits / looked_up if looked_up else 0.0,
        "rss_mib": rss_mib(server.pid)["rss_mib"],
    }

"""`cited bench`: the performance figures of cited, each measured beside its baseline in the same run.

Suites (default: all):
    encode     bare model time per query at batch 1, 8 and 32: the encode floor
    search     Engine.search latency beside the encode floor for the same queries, and where the engine's time goes
    http       GET /api/search through `cited serve` at concurrency 1, 8, 32 (batching on, then off), and a cached run
    build      passages/s of the whole build_index beside bare encoding of the same passages
    scaling    Flat, HNSW and IVF-PQ at 10k, 100k and 1M vectors (random and clustered): latency, recall@10, memory, build time
    memory     server RSS after load: the given index, and a synthetic index of --big passages
    coldstart  process start to /healthz 200, beside process start to a loaded model

Every figure is labelled with what was measured; targets are checked and reported, never asserted. The soak
test (many clients for minutes) is `python -m eval.bench.soak`.
"""

from __future__ import annotations

from pathlib import Path

from eval.bench.options import SUITES, BenchError, BenchOptions, parse_suites

__all__ = ["SUITES", "BenchError", "BenchOptions", "parse_suites", "run"]


def run(options: BenchOptions, index: Path) -> int:
    """Run the suites of `options` over the index folder `index`; prints their tables, writes the JSON if asked."""
    # Imported here: `python -m eval.bench.bare_model` imports this package first, and its start is what the
    # coldstart suite times, so the package itself stays light.
    from eval.bench.suites import run as run_suites

    return run_suites(options, index)

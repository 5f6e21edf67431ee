"""HTTP latency of `cited serve` against the bare query encoder, in one run.

Starts the real server on a free loopback port and sends sequential GET /api/search requests with
distinct queries drawn from eval/gold/default.jsonl; after each request it times
SentenceTransformerEmbedder.encode of the same query in this process. Prints p50/p99 of both and
their ratio.

    .venv/bin/python -m service.bench_http --index var/index --requests 200
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import numpy as np

from index.embed import SentenceTransformerEmbedder  # torch itself loads in warm_up()
from service.runtime import set_model_threads
from service.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "eval" / "gold" / "default.jsonl"


def distinct_queries(gold: Path, count: int) -> list[str]:
    """Up to `count` distinct queries: the gold questions, their histories, their evidence, then lower-cased forms."""
    rows = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = [r["question"] for r in rows]
    pools = [
        questions,
        [h for r in rows for h in r.get("history", [])],
        [e for r in rows for e in r.get("evidence", [])],
        [q.lower().rstrip("?") for q in questions],
        [f"{q} (in brief)" for q in questions],
    ]
    found: dict[str, None] = {}
    for pool in pools:
        for query in pool:
            if len(found) == count:
                return list(found)
            found.setdefault(query.strip(), None)
    return list(found)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(index_dir: Path, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    cited = Path(sys.executable).parent / "cited"
    command = [str(cited), "serve", "--host", "127.0.0.1", "--port", str(port), "--index", str(index_dir)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"cited serve exited with status {process.returncode}; see {log_path}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"cited serve did not become healthy within 180 s; see {log_path}")


def percentiles(samples_ms: Sequence[float]) -> tuple[float, float]:
    return float(np.percentile(samples_ms, 50)), float(np.percentile(samples_ms, 99))


def load_encoder() -> SentenceTransformerEmbedder:
    embedder = SentenceTransformerEmbedder()
    embedder.warm_up()
    return embedder


def time_paired(
    base: str, queries: Sequence[str], k: int, embedder: SentenceTransformerEmbedder
) -> dict[str, list[float]]:
    """For each query, one HTTP search (one keep-alive connection), then the bare encode of the same text.

    Interleaving the two means both meet the same background load, so their ratio holds on a busy machine.
    """
    samples: dict[str, list[float]] = {"http": [], "engine": [], "encoder": []}
    with httpx.Client(base_url=base, timeout=60) as client:
        for query in ("warm up one", "warm up two", "warm up three"):
            client.get("/api/search", params={"q": query, "k": k})
            embedder.encode([query], batch_size=1)
        for query in queries:
            started = time.perf_counter()
            response = client.get("/api/search", params={"q": query, "k": k})
            samples["http"].append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"/api/search answered {response.status_code} for {query!r}: {response.text}")
            samples["engine"].append(float(response.json()["took_ms"]))
            started = time.perf_counter()
            embedder.encode([query], batch_size=1)
            samples["encoder"].append((time.perf_counter() - started) * 1000)
    return samples


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path(os.environ.get("CITED_INDEX_DIR", "var/index")))
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("--gold", type=Path, default=GOLD)
    parser.add_argument("--log", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "cited-bench-server.log")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    queries = distinct_queries(args.gold, args.requests)
    if len(queries) < args.requests:
        print(f"note: only {len(queries)} distinct queries could be drawn from {args.gold}", file=sys.stderr)
    # The bare encoder runs with the torch threads the server uses (CITED_TORCH_THREADS, default 1).
    threads = load_settings().torch_threads
    set_model_threads(threads)
    embedder = load_encoder()
    port = _free_port()
    server = _start_server(args.index, port, args.log)
    try:
        manifest = httpx.get(f"http://127.0.0.1:{port}/healthz").json()
        samples = time_paired(f"http://127.0.0.1:{port}", queries, args.k, embedder)
    finally:
        server.terminate()
        server.wait(timeout=30)
    wall, engine, encoder = samples["http"], samples["engine"], samples["encoder"]
    per_query = [h / e for h, e in zip(wall, encoder, strict=True)]

    http50, http99 = percentiles(wall)
    eng50, eng99 = percentiles(engine)
    enc50, enc99 = percentiles(encoder)
    print(f"index {args.index}: {manifest['passages']} passages, model {manifest['model']}, torch threads {threads or 'default'}")
    print(f"{len(queries)} sequential GET /api/search?k={args.k} over loopback, distinct queries\n")
    print(f"{'measure':<44} {'p50 ms':>8} {'p99 ms':>8}")
    print(f"{'HTTP round trip (client wall clock)':<44} {http50:>8.2f} {http99:>8.2f}")
    print(f"{'  engine.search inside it (took_ms)':<44} {eng50:>8.2f} {eng99:>8.2f}")
    print(f"{'bare encoder, one query per call':<44} {enc50:>8.2f} {enc99:>8.2f}")
    print(f"\nratio HTTP / encoder: p50 {http50 / enc50:.2f}x, p99 {http99 / enc99:.2f}x, "
          f"median per query {float(np.median(per_query)):.2f}x")
    print(f"HTTP minus encoder at p50: {http50 - enc50:.2f} ms (FastAPI, JSON, retrieval, highlighting, loopback)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A closed-loop HTTP load generator for `cited bench http`: C asyncio clients (aiohttp) send GET /api/search
for a bounded list of queries and time each request. Runs in its own process so that its work is not
counted as the server's, nor competes with it for the interpreter lock. aiohttp rather than httpx: on
this 2-core machine an httpx request cost the client ~3.6 ms of CPU against ~1.9 ms, time the server
would otherwise have had and that every latency figure carried.

    python -m eval.loadgen URL QUERIES.json --concurrency 8 [--warmup N]   # prints one JSON object
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp


async def _run(base: str, queries: Sequence[str], concurrency: int, k: int) -> dict[str, object]:
    """Each of `concurrency` clients takes the next query as soon as its previous request is answered."""
    latencies: list[float] = []
    errors: list[str] = []
    pending = iter(queries)
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=120.0)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as client:

        async def worker() -> None:
            for query in pending:
                started = time.perf_counter()
                try:
                    async with client.get("/api/search", params={"q": query, "k": k}) as response:
                        body = await response.read()
                except (aiohttp.ClientError, TimeoutError) as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                elapsed = time.perf_counter() - started
                if response.status == 200:
                    latencies.append(elapsed)
                else:
                    errors.append(f"HTTP {response.status}: {body[:120].decode(errors='replace')}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
    return {"latencies_s": latencies, "errors": errors, "wall_s": wall, "concurrency": concurrency}


def run(base: str, queries: Sequence[str], concurrency: int, k: int = 5, warmup: Sequence[str] = ()) -> dict[str, object]:
    if warmup:  # open the connections and wake every worker thread before timing
        asyncio.run(_run(base, warmup, concurrency, k))
    return asyncio.run(_run(base, queries, concurrency, k))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.loadgen")
    parser.add_argument("url")
    parser.add_argument("queries", type=Path, help="JSON: {'queries': [...], 'warmup': [...]}")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("-k", type=int, default=5)
    args = parser.parse_args(argv)
    spec = json.loads(args.queries.read_text(encoding="utf-8"))
    result = run(args.url, spec["queries"], args.concurrency, args.k, spec.get("warmup", ()))
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

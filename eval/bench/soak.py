"""Soak test of `cited serve`: many concurrent clients on /api/search and /api/chat for minutes, with zero
errors expected and the server's resident memory compared between the end of the warm-up and the end.

Starts its own server on a free loopback port (building the index first if it is missing), runs `--clients`
asyncio clients for `--warmup` then `--duration` seconds, and reports requests, errors, p50/p99 latency per
endpoint, throughput and RSS (from /proc). Exit status 0 only with no error and RSS growth under
`--max-rss-growth` per cent. Not part of `make test` (tests/eval/test_soak_smoke.py runs it for seconds).

    .venv/bin/python -m eval.bench.soak                      # 32 clients, 5 minutes, var/index
    .venv/bin/python -m eval.bench.soak --duration 60 --clients 8 --json out/soak.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

from eval.bench.common import GOLD, rss_mib
from service.launcher import Server, ServerError, cited_command

FOLLOW_UPS = ["Who funded it?", "What about in 2023?", "Which agencies were involved?", "Where did that happen?", "Why?"]
REQUEST_TIMEOUT_S = 60.0
START_TIMEOUT_S = 600.0


def questions(gold: Path = GOLD) -> list[str]:
    """The gold questions and their histories, plus a few that no document answers."""
    rows = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    found = dict.fromkeys([r["question"] for r in rows] + [h for r in rows for h in r.get("history", [])])
    found.update(dict.fromkeys(["What is the capital of Peru?", "bees", "NEAR(violence women", '"quoted'], None))
    return list(found)


@dataclass
class Tally:
    """What the clients saw; only requests that finish inside the measured window are counted."""

    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: {"search": [], "chat": []})
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    warmup_errors: int = 0  # an error in the warm-up fails the run as well
    measuring: bool = False

    def record(self, endpoint: str, millis: float, error: str | None) -> None:
        if error:
            if self.measuring:
                self.error_count += 1
            else:
                self.warmup_errors += 1
            if len(self.errors) < 20:
                self.errors.append(error if self.measuring else f"(warm-up) {error}")
        elif self.measuring:
            self.latencies_ms[endpoint].append(millis)


def _request(rng: random.Random, pool: Sequence[str], fresh: float) -> tuple[str, str, dict]:
    """A search (two in three) or a chat turn with a short history, with a varied k. A `fresh` share of the
    questions get a random number appended, so that they miss the server's query-vector cache and are encoded."""
    k = rng.choice([3, 5, 5, 5, 10])

    def question() -> str:
        chosen = rng.choice(pool)
        return f"{chosen} ({rng.randrange(10**9)})" if rng.random() < fresh else chosen

    if rng.random() < 2 / 3:
        return "search", "/api/search", {"params": {"q": question(), "k": k}}
    history: list[dict[str, str]] = []
    for _ in range(rng.randint(0, 2)):
        history += [{"role": "user", "content": question()}, {"role": "assistant", "content": "An earlier answer [1]."}]
    turn = rng.choice(FOLLOW_UPS) if history and rng.random() < 0.5 else question()
    return "chat", "/api/chat", {"json": {"messages": [*history, {"role": "user", "content": turn}], "k": k}}


async def client(base: str, seed: int, pool: Sequence[str], fresh: float, stop_at: float, tally: Tally) -> int:
    """One client: requests back to back until `stop_at` (monotonic clock); returns how many it sent."""
    rng = random.Random(seed)
    sent = 0
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT_S) as http:
        while time.monotonic() < stop_at:
            endpoint, path, arguments = _request(rng, pool, fresh)
            started = time.perf_counter()
            error = None
            try:
                if endpoint == "search":
                    response = await http.get(path, **arguments)
                else:
                    response = await http.post(path, **arguments)
                if response.status_code != 200:
                    error = f"{endpoint}: HTTP {response.status_code} {response.text[:200]}"
                elif not isinstance(response.json().get("citations" if endpoint == "chat" else "results"), list):
                    error = f"{endpoint}: a 200 without results: {response.text[:200]}"
            except (httpx.HTTPError, ValueError) as exc:
                error = f"{endpoint}: {type(exc).__name__}: {exc}"
            tally.record(endpoint, (time.perf_counter() - started) * 1000, error)
            sent += 1
    return sent


def ensure_index(index_dir: Path) -> None:
    if (index_dir / "manifest.json").is_file():
        return
    print(f"no index at {index_dir}: building it with 'cited build'", flush=True)
    subprocess.run([*cited_command(), "build", "--index", str(index_dir), "-q"], check=True)


async def sample_rss(pid: int, every_s: float, stop_at: float, samples: list[tuple[float, float]]) -> None:
    started = time.monotonic()
    while time.monotonic() < stop_at:
        samples.append((round(time.monotonic() - started, 1), rss_mib(pid)["rss_mib"]))
        await asyncio.sleep(min(every_s, max(0.0, stop_at - time.monotonic())))


async def soak(base: str, pid: int, clients: int, warmup_s: float, duration_s: float, seed: int, fresh: float) -> dict:
    pool = questions()
    tally = Tally()
    started = time.monotonic()
    measure_from = started + warmup_s
    stop_at = measure_from + duration_s
    tasks = [asyncio.create_task(client(base, seed + i, pool, fresh, stop_at, tally)) for i in range(clients)]
    samples: list[tuple[float, float]] = []
    await asyncio.sleep(max(0.0, measure_from - time.monotonic()))
    tally.measuring = True
    rss_start = rss_mib(pid)["rss_mib"]
    sampler = asyncio.create_task(sample_rss(pid, 5.0, stop_at, samples))
    # Every loop ends at stop_at; a request still out then has REQUEST_TIMEOUT_S at most.
    sent = await asyncio.wait_for(asyncio.gather(*tasks), timeout=warmup_s + duration_s + REQUEST_TIMEOUT_S + 30)
    measured_s = time.monotonic() - measure_from
    tally.measuring = False
    await sampler
    rss_end = rss_mib(pid)["rss_mib"]
    result = report(tally, clients, warmup_s, measured_s, sum(sent), rss_start, rss_end, samples)
    return result | {"fresh_share": fresh}


def _percentiles(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"requests": 0, "p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    array = np.asarray(values)
    return {
        "requests": len(values),
        "p50_ms": round(float(np.percentile(array, 50)), 1),
        "p99_ms": round(float(np.percentile(array, 99)), 1),
        "max_ms": round(float(array.max()), 1),
    }


def report(
    tally: Tally, clients: int, warmup_s: float, measured_s: float, sent_total: int, rss_start: float, rss_end: float,
    samples: list[tuple[float, float]],
) -> dict:
    everything = tally.latencies_ms["search"] + tally.latencies_ms["chat"]
    ok = len(everything)
    return {
        "clients": clients,
        "warmup_s": warmup_s,
        "duration_s": round(measured_s, 1),
        "requests": ok + tally.error_count,
        "requests_including_warmup": sent_total,
        "errors": tally.error_count,
        "warmup_errors": tally.warmup_errors,
        "error_examples": tally.errors,
        "throughput_rps": round(ok / measured_s, 2) if measured_s else 0.0,
        "latency": {"all": _percentiles(everything), **{k: _percentiles(v) for k, v in tally.latencies_ms.items()}},
        "rss_mib": {
            "start": round(rss_start, 1),
            "end": round(rss_end, 1),
            "growth_pct": round(100 * (rss_end - rss_start) / rss_start, 2),
            "min": round(min((s[1] for s in samples), default=rss_start), 1),
            "max": round(max((s[1] for s in samples), default=rss_end), 1),
            "samples": [[t, round(mib, 1)] for t, mib in samples],
        },
    }


def print_report(result: dict, max_growth: float) -> None:
    rss = result["rss_mib"]
    print(f"clients             {result['clients']} (warm-up {result['warmup_s']:.0f} s, then {result['duration_s']:.0f} s measured)")
    print(f"requests            {result['requests']} ({result['requests_including_warmup']} with the warm-up)")
    print(f"errors              {result['errors']} (warm-up: {result['warmup_errors']})")
    for example in result["error_examples"][:5]:
        print(f"  {example}")
    print(f"throughput          {result['throughput_rps']:.1f} requests/s ({result['fresh_share']:.0%} of questions made unique)")
    for name, figures in result["latency"].items():
        print(f"latency {name:<11} p50 {figures['p50_ms']:.0f} ms  p99 {figures['p99_ms']:.0f} ms  max {figures['max_ms']:.0f} ms  ({figures['requests']} requests)")
    print(
        f"server RSS          {rss['start']:.1f} MiB after the warm-up, {rss['end']:.1f} MiB at the end: "
        f"{rss['growth_pct']:+.2f} % (limit {max_growth:.0f} %; range {rss['min']:.1f}-{rss['max']:.1f} MiB)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=Path(os.environ.get("CITED_INDEX_DIR", "var/index")))
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, default=300.0, help="seconds measured after the warm-up (default 300)")
    # 60 s: with 32 clients the server fills its caches, worker threads and malloc arenas for about the first
    # 100 s of load (RSS then holds level), so an earlier start sample measures that filling, not a leak.
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds of load before RSS and latency are measured")
    parser.add_argument("--max-rss-growth", type=float, default=10.0, help="per cent of RSS growth that fails the run")
    parser.add_argument("--fresh", type=float, default=0.2, help="share of questions made unique, so they are encoded (default 0.2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--log", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "cited-soak-server.log")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.duration <= 0 or args.warmup < 0 or not 0 <= args.fresh <= 1:
        parser.error("--clients must be at least 1, --duration positive, --warmup not negative and --fresh in 0..1")
    for name, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("TOKENIZERS_PARALLELISM", "false")):
        os.environ.setdefault(name, value)

    ensure_index(args.index)
    try:
        with Server(args.index, log=args.log, start_timeout_s=START_TIMEOUT_S, stop_timeout_s=30) as server:
            result = asyncio.run(soak(server.url, server.pid, args.clients, args.warmup, args.duration, args.seed, args.fresh))
            result["server_exit"] = server.poll()  # None: still running, as it should be
    except ServerError as exc:
        raise SystemExit(str(exc)) from None
    result["index"] = str(args.index)
    print_report(result, args.max_rss_growth)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1))
    failed = (
        result["errors"] + result["warmup_errors"] > 0
        or result["rss_mib"]["growth_pct"] >= args.max_rss_growth
        or result["server_exit"] is not None
    )
    print("soak: " + ("FAILED" if failed else "passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

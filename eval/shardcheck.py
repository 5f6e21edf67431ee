"""Does a split index served through Ray answer as a plain one? Serve a plain index and a split one (each with
`cited serve`, the split one with `--ray local:2` unless told otherwise), ask both the same questions, and report
/healthz, how often the first passage agrees, the mean top-10 overlap, errors, and the latency of each server.

    python -m eval.shardcheck --plain DIR --split DIR --questions GOLD.jsonl [--limit 40] [--ray local:2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from service.launcher import Server


@dataclass
class Answers:
    """One server's top 10 for each question, the failures, and the time each request took."""

    health: dict = field(default_factory=dict)
    top: list[list[str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def ask_all(server: Server, questions: Sequence[str]) -> Answers:
    out = Answers()
    with httpx.Client(base_url=server.url, timeout=60) as client:
        out.health = client.get("/healthz").json()
        client.get("/api/search", params={"q": "warm up", "k": 10})
        for question in questions:
            started = time.perf_counter()
            response = client.get("/api/search", params={"q": question, "k": 10})
            out.seconds.append(time.perf_counter() - started)
            if response.status_code != 200:
                out.errors.append(f"{response.status_code} for {question!r}")
                out.top.append([])
                continue
            out.top.append([r["passage_id"] for r in response.json()["results"]])
    return out


def compare(plain: Answers, split: Answers) -> dict[str, object]:
    pairs = list(zip(plain.top, split.top, strict=True))
    same_first = sum(1 for a, b in pairs if a[:1] == b[:1] and a)
    overlap = statistics.fmean(len(set(a) & set(b)) / max(len(a), 1) for a, b in pairs)
    return {
        "questions": len(pairs), "shards": split.health.get("shards"), "same_first": same_first,
        "mean_top10_overlap": round(overlap, 3), "errors": plain.errors + split.errors,
        "p50_ms_plain": round(1000 * statistics.median(plain.seconds), 1),
        "p50_ms_split": round(1000 * statistics.median(split.seconds), 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.shardcheck", description=__doc__.splitlines()[0])
    parser.add_argument("--plain", type=Path, required=True, help="an ordinary index folder")
    parser.add_argument("--split", type=Path, required=True, help="a split index of the same documents")
    parser.add_argument("--questions", type=Path, nargs="+", required=True, help="gold JSONL files (their 'question')")
    parser.add_argument("--limit", type=int, default=40, help="questions asked, taken in turn from each file")
    parser.add_argument("--ray", default="local:2", help="how the split index is served ('' for plain cited serve)")
    args = parser.parse_args(argv)
    per_file = [[json.loads(line)["question"] for line in path.read_text().splitlines() if line.strip()] for path in args.questions]
    questions = [q for group in zip(*per_file, strict=False) for q in group][: args.limit]
    with Server(args.plain) as server:
        plain = ask_all(server, questions)
    with Server(args.split, args=["--ray", args.ray] if args.ray else []) as server:
        split = ask_all(server, questions)
    print(json.dumps(compare(plain, split), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

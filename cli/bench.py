"""`cited bench`: the performance suites of eval.bench, given their options as one BenchOptions."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import Subcommands, UserError, add_command, name_values
from eval.bench import SUITES, BenchOptions, parse_suites, run
from eval.bench.common import MSMARCO
from service.settings import Settings


def register(sub: Subcommands) -> None:
    p = add_command(sub, "bench", bench, "measure latency, throughput, build speed, index scaling, memory and cold start")
    p.add_argument("suites", nargs="*", metavar="SUITE", help=f"{', '.join(SUITES)} or all (default all)")
    p.add_argument("--json", type=Path, metavar="OUT", help="write every figure as JSON")
    p.add_argument("--queries", type=int, default=200, metavar="N", help="distinct queries for encode and search (default 200)")
    p.add_argument("--requests", type=int, default=300, metavar="N", help="requests per HTTP run (default 300)")
    p.add_argument("--concurrency", default="1,8,32", metavar="LIST", help="HTTP clients per run (default 1,8,32)")
    p.add_argument("--corpus", type=Path, metavar="FILE", help=f"build: a BEIR corpus.jsonl (default {MSMARCO} if present)")
    p.add_argument("--passages", type=int, default=5000, metavar="N", help="build: passages taken from --corpus (default 5000)")
    p.add_argument("--sizes", default="10000,100000,1000000", metavar="LIST", help="scaling: vector counts (default 10k,100k,1M)")
    p.add_argument("--data", default="random,clustered", metavar="LIST", help="scaling: random and/or clustered vectors")
    p.add_argument("--random-efc", type=int, default=40, metavar="N",
                   help="scaling: HNSW efConstruction for random vectors (default 40: at 80 a 1M build takes hours)")
    p.add_argument("--big", type=int, default=100_000, metavar="N", help="memory: passages of the synthetic index (default 100k)")
    p.add_argument("--repeat", type=int, default=3, metavar="N", help="coldstart: starts of each kind (default 3)")
    p.add_argument("--cache", type=Path, default=Path("var/cache/bench"), metavar="DIR", help="built synthetic indexes are kept here")
    p.add_argument("--rebuild", action="store_true", help="rebuild cached synthetic indexes (scaling, memory)")
    p.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                   help="an environment variable for every server started (repeatable), e.g. CITED_TORCH_THREADS=1")


def bench(args: argparse.Namespace, settings: Settings) -> int:
    return run(bench_options(args), settings.index_dir)


def bench_options(args: argparse.Namespace) -> BenchOptions:
    """The parsed arguments as BenchOptions; a suite name or list that cannot be used is a UserError."""
    return BenchOptions(
        suites=parse_suites(args.suites),
        json=args.json,
        queries=args.queries,
        requests=args.requests,
        concurrency=numbers(args.concurrency, "--concurrency"),
        corpus=args.corpus,
        passages=args.passages,
        sizes=numbers(args.sizes, "--sizes"),
        data=tuple(d.strip() for d in args.data.split(",") if d.strip()),
        random_efc=args.random_efc,
        big=args.big,
        repeat=args.repeat,
        cache=args.cache,
        rebuild=args.rebuild,
        server_env=server_env(args),
    )


def server_env(args: argparse.Namespace) -> dict[str, str]:
    """The servers' environment: --server-env, with --backend as CITED_BACKEND unless that is set there, so that
    every suite (the encoders measured in process and the servers started) runs the backend asked for."""
    env = name_values(args.server_env, "--server-env")
    if getattr(args, "backend", None):
        env.setdefault("CITED_BACKEND", args.backend)
    return env


def numbers(text: str, flag: str) -> tuple[int, ...]:
    """A comma-separated list of counts, each at least 1 ('1e6' is allowed)."""
    try:
        values = tuple(int(float(v)) for v in text.split(",") if v.strip())
    except ValueError:
        raise UserError(f"{flag} must be a comma-separated list of numbers, not '{text}'") from None
    if not values or min(values) < 1:
        raise UserError(f"{flag} must list numbers of at least 1")
    return values

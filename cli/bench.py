"""`cited bench`: the performance suites of eval.bench, given their options as one BenchOptions."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cli.common import Subcommands, UserError, add_command, name_values
from eval.bench import MSMARCO, SUITES
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
    return run_bench(bench_options(args), settings.index_dir)


def bench_options(args: argparse.Namespace) -> BenchOptions:
    """The parsed arguments as BenchOptions; a suite name or list that cannot be used is a UserError."""
    return BenchOptions(
        suites=suites(args.suites),
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
        server_env=name_values(args.server_env, "--server-env"),
    )


def suites(names: Sequence[str]) -> tuple[str, ...]:
    """The suites named, in SUITES order; none or 'all' is every suite."""
    unknown = [n for n in names if n not in (*SUITES, "all")]
    if unknown:
        raise UserError(f"unknown suite '{unknown[0]}'; choose from: {', '.join(SUITES)}, all")
    if not names or "all" in names:
        return SUITES
    return tuple(s for s in SUITES if s in names)


def numbers(text: str, flag: str) -> tuple[int, ...]:
    """A comma-separated list of counts, each at least 1 ('1e6' is allowed)."""
    try:
        values = tuple(int(float(v)) for v in text.split(",") if v.strip())
    except ValueError:
        raise UserError(f"{flag} must be a comma-separated list of numbers, not '{text}'") from None
    if not values or min(values) < 1:
        raise UserError(f"{flag} must list numbers of at least 1")
    return values


# -- TEMPORARY until eval/bench is a package ------------------------------------------------------
# At the merge with the bench-pkg branch, replace this whole section by
#     from eval.bench import run
#     from eval.bench.options import BenchOptions
# and make `bench` above `return run(bench_options(args))` (see the note on the index below). It cannot
# live in eval/bench/options.py yet: the module eval/bench.py shadows a package of the same name.


@dataclass(frozen=True)
class BenchOptions:
    suites: tuple[str, ...]            # validated names, in SUITES order
    json: Path | None = None
    queries: int = 200
    requests: int = 300
    concurrency: tuple[int, ...] = (1, 8, 32)
    corpus: Path | None = None
    passages: int = 5000
    sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    data: tuple[str, ...] = ("random", "clustered")
    random_efc: int = 40
    big: int = 100_000
    repeat: int = 3
    cache: Path = Path("var/cache/bench")
    rebuild: bool = False
    server_env: dict[str, str] = field(default_factory=dict)


def run_bench(options: BenchOptions, index_dir: Path) -> int:
    """eval/bench.py's cmd_bench, given the argparse.Namespace it reads. BenchOptions has no index field,
    so the index folder (the setting index_dir, i.e. --index) is passed beside it."""
    from eval.bench import cmd_bench

    return cmd_bench(_namespace(options, index_dir))


def _namespace(options: BenchOptions, index_dir: Path) -> argparse.Namespace:
    """The attributes `cited bench` had before: lists as the strings eval/bench.py parses again."""
    return argparse.Namespace(
        command="bench",
        index=index_dir,
        suites=list(options.suites),
        json=options.json,
        queries=options.queries,
        requests=options.requests,
        concurrency=",".join(map(str, options.concurrency)),
        corpus=options.corpus,
        passages=options.passages,
        sizes=",".join(map(str, options.sizes)),
        data=",".join(options.data),
        random_efc=options.random_efc,
        big=options.big,
        repeat=options.repeat,
        cache=options.cache,
        rebuild=options.rebuild,
        server_env=[f"{name}={value}" for name, value in options.server_env.items()],
    )

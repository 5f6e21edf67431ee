"""`cited bench`: the performance figures of cited, each measured beside its baseline in the same run.

    cited bench [SUITE ...] [--json OUT] [--index DIR]

Suites (default: all):
    encode     bare model time per query at batch 1, 8 and 32: the encode floor
    search     Engine.search latency beside the encode floor for the same queries, and where the engine's time goes
    http       GET /api/search through `cited serve` at concurrency 1, 8, 32 (batching on, then off), and a cached run
    build      passages/s of the whole build_index beside bare encoding of the same passages
    scaling    Flat, HNSW and IVF-PQ at 10k, 100k and 1M vectors (random and clustered): latency, recall@10, memory, build time
    memory     server RSS after load: the given index, and a synthetic index of --big passages
    coldstart  process start to /healthz 200, beside process start to a loaded model

Every figure is labelled with what was measured; targets are checked and reported, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import http.client
import io
import json
import os
import platform
import pstats
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
GOLD = Path(__file__).resolve().parent / "gold" / "default.jsonl"
# The workplace keeps its benchmarks in ../shared beside the checkout.
MSMARCO = ROOT.parent / "shared" / "benchmarks" / "msmarco-subset" / "corpus.jsonl"
SUITES = ("encode", "search", "http", "build", "scaling", "memory", "coldstart")
TARGETS = {
    "engine_overhead": 1.20,  # Engine.search p50 / encode floor p50
    "http_p50": 1.5,  # HTTP p50 at concurrency 1 / encode floor p50
    "http_p99": 3.0,  # HTTP p99 at concurrency 1 / encode floor p50
    "throughput": 3.0,  # requests/s at 32 clients / requests/s at 1 client
    "lone_client": 1.1,  # HTTP p50 at 1 client with batching / without: a lone client must not pay for batching
    "build": 0.8,  # whole build passages/s / bare encoding passages/s
    "ann_p50_ms": 2.0,  # at 1M vectors, with recall@10 >= 0.95
    "ann_recall": 0.95,
    "coldstart": 1.3,  # process start to /healthz 200 / process start to a loaded model
}


class BenchError(ValueError):
    """Options that cannot be benchmarked; printed as one line by `cited`."""


# -- the command ---------------------------------------------------------------------------------


def register(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    p = command("bench", cmd_bench, "measure latency, throughput, build speed, index scaling, memory and cold start")
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


def cmd_bench(args: argparse.Namespace) -> int:
    suites = _suites(args.suites)
    Server.extra_env = {}
    for pair in args.server_env:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise BenchError(f"--server-env takes NAME=VALUE, not '{pair}'")
        Server.extra_env[name] = value
    bench = Bench(args)
    print(f"cited bench {' '.join(suites)} — {bench.machine['date']} — {bench.machine['cpu']}, "
          f"{bench.machine['cores']} cores, {bench.machine['memory_gib']} GiB — load {bench.machine['load_start']}")
    for name in suites:
        started = time.perf_counter()
        result = SUITE_FUNCTIONS[name](bench)
        result.seconds = round(time.perf_counter() - started, 1)
        bench.results[name] = result
        print()
        print(result.text(name))
    bench.machine["load_end"] = _loadavg()
    checks = [c for r in bench.results.values() for c in r.checks]
    if checks:
        print("\nTargets")
        print(_table([c.row() for c in checks]))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(bench.payload(), indent=1) + "\n", encoding="utf-8")
        print(f"\nJSON written to {args.json}")
    return 0


def _suites(names: Sequence[str]) -> list[str]:
    unknown = [n for n in names if n not in (*SUITES, "all")]
    if unknown:
        raise BenchError(f"unknown suite '{unknown[0]}'; choose from: {', '.join(SUITES)}, all")
    if not names or "all" in names:
        return list(SUITES)
    return [s for s in SUITES if s in names]


def _ints(text: str, what: str) -> list[int]:
    try:
        values = [int(float(v)) for v in text.split(",") if v.strip()]
    except ValueError:
        raise BenchError(f"{what} must be a comma-separated list of numbers, not '{text}'") from None
    if not values or min(values) < 1:
        raise BenchError(f"{what} must list numbers of at least 1")
    return values


# -- results -------------------------------------------------------------------------------------


@dataclass
class Check:
    target: str
    value: float
    limit: float
    met: bool

    def row(self) -> dict[str, Any]:
        return {"target": self.target, "value": round(self.value, 3), "limit": self.limit, "met": "yes" if self.met else "NO"}


@dataclass
class SuiteResult:
    rows: list[dict[str, Any]] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def check(self, target: str, value: float, limit: float, at_most: bool = True) -> None:
        self.checks.append(Check(target, float(value), limit, bool(value <= limit if at_most else value >= limit)))

    def text(self, name: str) -> str:
        lines = [f"== {name} ({self.seconds:.0f} s)", _table(self.rows)]
        lines += [f"  · {note}" for note in self.notes]
        return "\n".join(lines)


def _table(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return "  (nothing measured)"
    columns = list(dict.fromkeys(k for row in rows for k in row))
    cells = [[_cell(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    out = ["  " + "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    out += ["  " + "  ".join(v.rjust(w) if _numeric(v) else v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(out)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def _numeric(text: str) -> bool:
    return bool(re.fullmatch(r"-?[\d.]+", text))


def latency(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p99 and mean in milliseconds."""
    if not seconds:
        return {"p50_ms": float("nan"), "p99_ms": float("nan"), "mean_ms": float("nan")}
    ms = np.asarray(seconds) * 1000
    return {"p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99)), "mean_ms": float(ms.mean())}


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def _machine() -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    cpu = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name"))
    memory = 0.0
    with contextlib.suppress(OSError, StopIteration):
        kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
        memory = round(kib / 1024 / 1024, 1)
    versions = {}
    for package in ("torch", "sentence-transformers", "faiss-cpu", "fastapi", "uvicorn"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "absent"
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": memory,
        "python": platform.python_version(),
        "versions": versions,
        "load_start": _loadavg(),
    }


# -- queries -------------------------------------------------------------------------------------

_PREFIXES = (
    "", "Please tell me: ", "Quick question: ", "I would like to know: ", "According to the documents, ",
    "From the report: ", "Can you check: ", "Briefly, ", "In short, ", "One more thing: ", "Help me find out: ",
    "Question: ",
)
_SUFFIXES = (
    "", " Thanks.", " Please cite the source.", " Keep it short.", " (for a briefing)", " I need the exact figure.",
    " Quote the passage.", " Is that documented?", " Be precise.", " Answer from the corpus.", " Which passage says so?",
    " (asked again)",
)


def gold_questions(path: Path = GOLD) -> list[str]:
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            questions.append(json.loads(line)["question"])
    return questions


def question_variants(seed: int = 0) -> list[str]:
    """Distinct rewordings of the gold questions (a prefix and a suffix each), shuffled: a query stream in
    which no text repeats, so that the query-vector cache cannot flatter a figure."""
    base = gold_questions()
    variants = []
    for suffix in _SUFFIXES:
        for prefix in _PREFIXES:
            for q in base:
                body = q[0].lower() + q[1:] if prefix and not q[:2].isupper() else q
                variants.append(f"{prefix}{body}{suffix}")
    variants = list(dict.fromkeys(variants))
    random.Random(seed).shuffle(variants)
    return variants


# -- shared state --------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.machine = _machine()
        self.results: dict[str, SuiteResult] = {}
        self._variants = question_variants()
        self._next = 0
        self._embedder: Any = None
        self.floor: dict[str, float] | None = None  # encode floor at batch 1, from the encode suite

    @property
    def index(self) -> Path:
        return Path(self.args.index)

    def take(self, n: int) -> list[str]:
        """The next `n` queries never used before in this run."""
        if self._next + n > len(self._variants):
            raise BenchError(f"this run needs more than the {len(self._variants)} distinct queries there are; use fewer")
        out = self._variants[self._next : self._next + n]
        self._next += n
        return out

    def model_name(self) -> str:
        from index.embed import MODEL_NAME
        from index.manifest import read_manifest

        try:
            return read_manifest(self.index).model
        except Exception:  # noqa: BLE001 -- no usable index: benchmark the bundled model
            return MODEL_NAME

    def embedder(self) -> Any:
        if self._embedder is None:
            from index.embed import embedder_for

            self._embedder = embedder_for(self.model_name())
            self._embedder.warm_up()
        return self._embedder

    def payload(self) -> dict[str, Any]:
        args = {k: str(v) if isinstance(v, Path) else v for k, v in vars(self.args).items() if k != "handler"}
        return {
            "machine": self.machine,
            "args": args,
            "targets": TARGETS,
            "suites": {
                name: {"seconds": r.seconds, "rows": r.rows, "checks": [c.__dict__ for c in r.checks], "notes": r.notes, **r.extra}
                for name, r in self.results.items()
            },
        }


# -- encode --------------------------------------------------------------------------------------


def encode_floor(embedder: Any, texts: Sequence[str]) -> list[float]:
    """Seconds per bare encode of one text at batch 1."""
    out = []
    for text in texts:
        started = time.perf_counter()
        embedder.encode([text], batch_size=1)
        out.append(time.perf_counter() - started)
    return out


def suite_encode(bench: Bench) -> SuiteResult:
    result = SuiteResult()
    embedder = bench.embedder()
    n = max(8, bench.args.queries)
    embedder.encode(bench.take(8), batch_size=8)  # first calls allocate; not timed
    from index.embed import SentenceTransformerEmbedder

    served = server_threads() if isinstance(embedder, SentenceTransformerEmbedder) else 0
    counts = sorted({served, default_threads()}) if served else [0]
    for threads in counts:
        with torch_threads(threads):
            for size in (1, 8, 32):
                batches = max(3, n // size)
                per_batch = []
                for _ in range(batches):
                    texts = bench.take(size)
                    started = time.perf_counter()
                    embedder.encode(texts, batch_size=size)
                    per_batch.append(time.perf_counter() - started)
                per_query = [s / size for s in per_batch]
                stats = latency(per_query)
                result.rows.append({
                    "torch_threads": threads or "-", "batch": size, "batches": batches,
                    "per_query_p50_ms": stats["p50_ms"], "per_query_p99_ms": stats["p99_ms"],
                    "per_batch_p50_ms": latency(per_batch)["p50_ms"], "queries_per_s": size / float(np.median(per_batch)),
                })
                if size == 1 and threads in (served, 0):
                    bench.floor = stats
    result.notes.append(f"model {embedder.name}; the server runs {served or 'the default number of'} torch thread(s) "
                        "(CITED_TORCH_THREADS), so its rows are the encode floor; distinct gold-question variants, one "
                        "forward pass per batch")
    return result


def _torch() -> Any:
    return sys.modules.get("torch")


def default_threads() -> int:
    """Torch's own choice of intra-op threads (one per core)."""
    return int(os.cpu_count() or 1)


def server_threads() -> int:
    """The torch threads `cited serve` will use (CITED_TORCH_THREADS, --server-env included); 0 when there is no torch."""
    from service.settings import Settings

    if _torch() is None:
        return 0
    value = Server.extra_env.get("CITED_TORCH_THREADS")
    threads = int(value) if value is not None else Settings().torch_threads
    return threads or default_threads()


@contextlib.contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """Run the block with `threads` torch threads (0: unchanged); the bench measures as the server runs."""
    torch = _torch()
    if torch is None or not threads:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# -- search --------------------------------------------------------------------------------------


def suite_search(bench: Bench) -> SuiteResult:
    from index.engine import Engine

    result = SuiteResult()
    engine = Engine.open(bench.index, embedder=bench.embedder())
    threads = torch_threads(server_threads())  # the engine as the server runs it
    threads.__enter__()
    try:
        queries = bench.take(max(4, bench.args.queries))
        for q in bench.take(5):  # warm the engine's lazy paths; not timed
            engine.search(engine.query(q), k=5)
        floor, full, alone = [], [], []
        vectors = []
        for i, query in enumerate(queries):
            dense = engine.dense_text(query, engine.expansions(query))
            # Alternate the order so that neither measurement always runs second on warm caches.
            for step in ((0, 1) if i % 2 else (1, 0)):
                if step == 0:
                    floor.extend(encode_floor(engine.embedder, [dense]))
                else:
                    started = time.perf_counter()
                    engine.search(engine.query(query), k=5)
                    full.append(time.perf_counter() - started)
            vectors.append(engine.embedder.encode([dense], batch_size=1)[0])
        for query, vector in zip(queries, vectors, strict=True):
            started = time.perf_counter()
            engine.search(engine.query(query, vector=vector), k=5)
            alone.append(time.perf_counter() - started)
        stats_floor, stats_full, stats_alone = latency(floor), latency(full), latency(alone)
        result.rows = [
            {"measured": "encode floor (batch 1, same dense text)", **stats_floor},
            {"measured": "Engine.search, k=5 (encode + engine)", **stats_full},
            {"measured": "Engine.search given the vector (engine only)", **stats_alone},
        ]
        ratio = stats_full["p50_ms"] / stats_floor["p50_ms"]
        result.rows.append({"measured": "search p50 / encode floor p50", "p50_ms": ratio})
        result.check("Engine.search p50 / encode floor p50", ratio, TARGETS["engine_overhead"])
        result.extra["profile"] = _profile(engine, queries[: min(len(queries), 100)], vectors)
        result.notes.append(f"{len(queries)} distinct queries over {bench.index} ({engine.size} passages, "
                            f"{engine.index.manifest.index_type}); engine-only time by function (cProfile, tottime):")
        for entry in result.extra["profile"][:8]:
            result.notes.append(f"    {entry['share']:5.1%}  {entry['function']}")
    finally:
        threads.__exit__(None, None, None)
        engine.close()
    return result


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


# -- the server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cited() -> list[str]:
    script = Path(sys.executable).parent / "cited"
    return [str(script)] if script.exists() else [sys.executable, "-c", "import sys; from service.cli import main; sys.exit(main())"]


def status_mib(status: str) -> dict[str, float]:
    """Resident memory now and at its peak (VmRSS, VmHWM), in MiB, from the text of /proc/PID/status."""
    out = {}
    for line in status.splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            out["rss_mib" if line.startswith("VmRSS") else "peak_rss_mib"] = int(line.split()[1]) / 1024
    return out


def rss_mib(pid: int) -> dict[str, float]:
    """Resident memory now and at its peak of a process, in MiB."""
    return status_mib(Path(f"/proc/{pid}/status").read_text())


class Server:
    """`cited serve` on a free loopback port, as a subprocess; `started_s` is process start to /healthz 200."""

    extra_env: dict[str, str] = {}  # noqa: RUF012 -- --server-env, for every server of the run

    def __init__(self, index: Path, env: dict[str, str] | None = None, log: Path | None = None) -> None:
        self.index, self.env = index, {**Server.extra_env, **(env or {})}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log or Path(tempfile.gettempdir()) / f"cited-bench-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.started_s = 0.0

    def __enter__(self) -> Server:
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", **self.env}
        command = [*_cited(), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--index", str(self.index)]
        with self.log.open("w") as log:
            started = time.perf_counter()
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"cited serve exited with status {self.process.returncode}: {self.log.read_text()[-600:]}")
            if self._healthy():
                self.started_s = time.perf_counter() - started
                return self
            time.sleep(0.02)
        self.__exit__()
        raise BenchError(f"cited serve did not answer /healthz within 600 s; see {self.log}")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _healthy(self) -> bool:
        """One GET /healthz over a plain socket: polling must not cost the starting server CPU (httpx.get builds
        an SSL context per call, a core's worth at this rate)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stats(self) -> dict[str, Any]:
        import httpx

        return httpx.get(f"{self.url}/api/stats", timeout=30).json()

    def load(self, queries: Sequence[str], concurrency: int, warmup: Sequence[str] = ()) -> dict[str, Any]:
        """Run the load generator in its own process against this server."""
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as spec:
            json.dump({"queries": list(queries), "warmup": list(warmup)}, spec)
        try:
            done = subprocess.run(
                [sys.executable, "-m", "eval.loadgen", self.url, spec.name, "--concurrency", str(concurrency)],
                capture_output=True, text=True, check=False, cwd=ROOT,
            )
        finally:
            os.unlink(spec.name)
        if done.returncode != 0:
            raise BenchError(f"the load generator failed: {done.stderr[-600:]}")
        return json.loads(done.stdout)


# -- http ----------------------------------------------------------------------------------------


def suite_http(bench: Bench) -> SuiteResult:
    result = SuiteResult()
    levels = _ints(bench.args.concurrency, "--concurrency")
    n = bench.args.requests
    embedder = bench.embedder()
    # Both servers get the same queries: each starts with an empty cache, so none of them is a hit.
    plan = [(c, bench.take(c * 2), bench.take(n)) for c in levels]
    # The floor: the bare encode of the texts the lowest level sends, half before the HTTP runs, half after;
    # also of those texts as the engine encodes them (with the acronym expansions it adds).
    floor_queries = plan[0][2][: min(100, n)]
    half = len(floor_queries) // 2
    from index.engine import Engine

    engine = Engine.open(bench.index, embedder=embedder)
    dense_queries = [engine.dense_text(q, engine.expansions(q)) for q in floor_queries]
    engine.close()
    with torch_threads(server_threads()):  # the floor as the server's model runs
        floor_times = encode_floor(embedder, floor_queries[:half])
        dense_times = encode_floor(embedder, dense_queries[:half])
    cached = bench.take(20)
    by_mode: dict[str, dict[int, dict[str, Any]]] = {"batching on": {}, "batching off": {}}
    rows: list[dict[str, Any]] = []
    with Server(bench.index) as batching, Server(bench.index, {"CITED_BATCH_WAIT_MS": "0"}) as direct:
        # The two servers take turns at each level (the order alternating), so that a change in the machine's
        # load during the run falls on both.
        for i, (clients, warmup, queries) in enumerate(plan):
            pair = [("batching on", batching), ("batching off", direct)]
            for mode, server in pair[:: -1 if i % 2 else 1]:
                row = _http_run(server, mode, clients, queries, warmup)
                by_mode[mode][clients] = row
                rows.append(row)
        batching.load(cached, 1)  # every later request of this list is a cache hit
        for clients in (1, max(levels)):
            rows.append(_http_run(batching, "batching on, cached", clients, [cached[i % 20] for i in range(n)], ()))
    with torch_threads(server_threads()):
        floor_times += encode_floor(embedder, floor_queries[half:])
        dense_times += encode_floor(embedder, dense_queries[half:])
    floor, dense = latency(floor_times), latency(dense_times)
    result.rows.append({"server": "encode floor (in process, batch 1)", "clients": 1, "requests": len(floor_queries),
                        "p50_ms": floor["p50_ms"], "p99_ms": floor["p99_ms"]})
    result.rows.append({"server": "encode floor, texts with expansions", "clients": 1, "requests": len(dense_queries),
                        "p50_ms": dense["p50_ms"], "p99_ms": dense["p99_ms"]})
    result.rows += sorted(rows, key=lambda r: (r["server"], r["clients"]))
    on = by_mode["batching on"]
    low, high = min(levels), max(levels)
    if low == 1:
        result.check("HTTP p50 at 1 client / encode floor p50", on[1]["p50_ms"] / floor["p50_ms"], TARGETS["http_p50"])
        result.check("HTTP p50 at 1 client, batching on / off", on[1]["p50_ms"] / by_mode["batching off"][1]["p50_ms"],
                     TARGETS["lone_client"])
        result.check("HTTP p99 at 1 client / encode floor p50", on[1]["p99_ms"] / floor["p50_ms"], TARGETS["http_p99"])
    if high > low:
        result.check(f"throughput {high} clients / {low} client (batching on)", on[high]["req_per_s"] / on[low]["req_per_s"],
                     TARGETS["throughput"], at_most=False)
        off = by_mode["batching off"]
        result.notes.append(f"batching off: {high} clients / {low} client throughput "
                            f"{off[high]['req_per_s'] / off[low]['req_per_s']:.2f}×")
    result.check("HTTP errors (all runs)", sum(r.get("errors", 0) for r in result.rows), 0)
    result.notes.append(f"{n} requests per run, GET /api/search?k=5 over {bench.index}; distinct queries (cache hit rate "
                        "column) except the cached rows; load generator: asyncio + aiohttp in its own process")
    return result


def _http_run(server: Server, mode: str, clients: int, queries: Sequence[str], warmup: Sequence[str]) -> dict[str, Any]:
    before = server.stats()
    run = server.load(queries, clients, warmup)
    after = server.stats()
    stats = latency(run["latencies_s"])
    batches = after["batching"]["batches"] - before["batching"]["batches"]
    encoded = after["batching"]["encoded"] - before["batching"]["encoded"]
    hits = after["cache"]["hits"] - before["cache"]["hits"]
    looked_up = hits + after["cache"]["misses"] - before["cache"]["misses"]
    return {
        "server": mode, "clients": clients, "requests": len(queries), "errors": len(run["errors"]),
        "p50_ms": stats["p50_ms"], "p99_ms": stats["p99_ms"], "req_per_s": len(run["latencies_s"]) / run["wall_s"],
        "mean_batch": encoded / batches if batches else 0.0, "cache_hit_rate": hits / looked_up if looked_up else 0.0,
        "rss_mib": rss_mib(server.pid)["rss_mib"],
    }


# -- build ---------------------------------------------------------------------------------------


def suite_build(bench: Bench) -> SuiteResult:
    from corpus.pipeline import prepare
    from index.build import build_index, encode_passages

    result = SuiteResult()
    corpus = bench.args.corpus or (MSMARCO if MSMARCO.is_file() else None)
    if corpus is None or not corpus.is_file():
        raise BenchError("the build suite needs a BEIR corpus.jsonl: give --corpus FILE")
    embedder = bench.embedder()
    with tempfile.TemporaryDirectory(prefix="cited-bench-build-") as tmp:
        sample = Path(tmp) / "corpus.jsonl"
        with corpus.open(encoding="utf-8") as source, sample.open("w", encoding="utf-8") as out:
            for i, line in enumerate(source):
                if i >= bench.args.passages:
                    break
                out.write(line)
        started = time.perf_counter()
        prepared = prepare([sample])
        prepare_s = time.perf_counter() - started
        passages = prepared.passages
        texts = [p.embedding_text() for p in passages]
        embedder.encode(texts[:64], batch_size=64)  # not timed
        bare = []
        for step in ("bare", "sentences", "whole", "bare"):  # bare encoding before and after: the spread shows drift
            started = time.perf_counter()
            if step == "bare":
                embedder.encode(texts, batch_size=64)
            elif step == "sentences":
                encode_passages(embedder, passages, 64, False)
            else:
                built = build_index([sample], Path(tmp) / "index", embedder, progress=False)
            seconds = time.perf_counter() - started
            if step == "bare":
                bare.append(seconds)
            elif step == "sentences":
                sentences_s = seconds
            else:
                whole_s = seconds
        bare_s = float(np.mean(bare))
    n = len(passages)
    result.rows = [
        {"measured": "bare encode (Embedder.encode, batch 64), mean of 2", "seconds": bare_s, "passages_per_s": n / bare_s,
         "spread_s": max(bare) - min(bare)},
        {"measured": "encode_with_sentences (the build's encoder)", "seconds": sentences_s, "passages_per_s": n / sentences_s},
        {"measured": "whole build_index", "seconds": whole_s, "passages_per_s": n / whole_s},
        {"measured": "  of which: prepare (load, clean, split, dedup)", "seconds": prepare_s},
        # A difference of separately timed runs: below zero it is within their run-to-run spread.
        {"measured": "  the rest, estimated: whole - prepare - encode_with_sentences", "seconds": whole_s - prepare_s - sentences_s},
    ]
    result.check("whole build / bare encoding (passages/s)", bare_s / whole_s, TARGETS["build"], at_most=False)
    result.notes.append(f"{n} passages from {corpus} (first {bench.args.passages} records); model {embedder.name}; "
                        f"index {built.manifest.index_type}; order: bare, encode_with_sentences, whole build, bare")
    return result


# -- scaling -------------------------------------------------------------------------------------


def _unit(x: np.ndarray) -> np.ndarray:
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def random_vectors(n: int, dim: int = 384, seed: int = 0) -> np.ndarray:
    """Uniform on the unit sphere: the worst case for approximate search (no structure to exploit)."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, dim), np.float32)
    for at in range(0, n, 100_000):
        end = min(n, at + 100_000)
        out[at:end] = _unit(rng.standard_normal((end - at, dim), dtype=np.float32))
    return out


def clustered_vectors(n: int, dim: int = 384, seed: int = 1, *, structure_seed: int = 7) -> np.ndarray:
    """Vectors with structure, as sentence embeddings have: a mixture of 1,000 Gaussians in a 48-dimensional
    subspace, lifted to `dim` and blurred with isotropic noise (nearest-neighbour cosine about 0.7 at 100k,
    unrelated pairs about 0.1). The mixture is fixed by `structure_seed`; `seed` draws the points."""
    structure = np.random.default_rng(structure_seed)
    intrinsic, clusters = 48, 1000
    lift = structure.standard_normal((intrinsic, dim), dtype=np.float32) / np.sqrt(intrinsic)
    centres = structure.standard_normal((clusters, intrinsic), dtype=np.float32)
    rng = np.random.default_rng(seed)
    out = np.empty((n, dim), np.float32)
    for at in range(0, n, 100_000):
        m = min(n, at + 100_000) - at
        z = centres[rng.integers(clusters, size=m)] + 0.6 * rng.standard_normal((m, intrinsic), dtype=np.float32)
        x = z @ lift
        x += 0.5 * np.linalg.norm(x, axis=1, keepdims=True) / np.sqrt(dim) * rng.standard_normal((m, dim), dtype=np.float32)
        out[at : at + m] = _unit(x)
    return out


DATA = {"random": random_vectors, "clustered": clustered_vectors}
EF_SEARCH = (16, 32, 64, 128, 256, 512)
NPROBE = (4, 8, 16, 32, 64, 128)


def _single_query_latency(index: Any, queries: np.ndarray) -> dict[str, float]:
    from index import vectors as vector_index

    for q in queries[:10]:  # touch the pages first
        vector_index.search(index, q[None, :], 10)
    times = []
    for q in queries:
        started = time.perf_counter()
        vector_index.search(index, q[None, :], 10)
        times.append(time.perf_counter() - started)
    return latency(times)


def _recall(index: Any, queries: np.ndarray, truth: np.ndarray) -> float:
    from index import vectors as vector_index

    _, rows = vector_index.search(index, queries, 10)
    return float(np.mean([len(set(r) & set(t)) / 10 for r, t in zip(rows, truth, strict=True)]))


def _index_bytes(index: Any) -> int:
    import faiss

    return int(faiss.serialize_index(index).nbytes)


def _built(bench: Bench, key: str, build: Callable[[], Any]) -> tuple[Any, float, bool]:
    """A built index from the cache folder (with its recorded build time) or built now and kept."""
    from index import vectors as vector_index

    folder = bench.args.cache / "scaling"
    path, meta = folder / f"{key}.faiss", folder / f"{key}.json"
    if path.is_file() and meta.is_file() and not bench.args.rebuild:
        return vector_index.load(path), json.loads(meta.read_text())["build_s"], True
    started = time.perf_counter()
    index = build()
    seconds = time.perf_counter() - started
    folder.mkdir(parents=True, exist_ok=True)
    vector_index.save(index, path)
    meta.write_text(json.dumps({"build_s": seconds, "date": datetime.now(UTC).isoformat(timespec="seconds")}))
    return index, seconds, False


def suite_scaling(bench: Bench) -> SuiteResult:
    import faiss

    from index import vectors as vector_index
    from index.config import EngineConfig

    result = SuiteResult()
    sizes = _ints(bench.args.sizes, "--sizes")
    kinds = [d.strip() for d in bench.args.data.split(",") if d.strip()]
    if not kinds or any(k not in DATA for k in kinds):
        raise BenchError(f"--data lists {', '.join(DATA)}")
    n_queries = max(20, min(bench.args.queries, 200))
    config = EngineConfig()
    defaults = {"hnsw": config.ef_search, "ivfpq": config.nprobe}
    best_at_largest: dict[str, list[float]] = {data: [] for data in kinds}
    for data in kinds:
        for n in sizes:
            vectors = DATA[data](n)
            queries = DATA[data](n_queries, seed=12345)
            started = time.perf_counter()
            flat = vector_index.build(vectors, vector_index.IndexType.FLAT)
            flat_s = time.perf_counter() - started
            _, truth = flat.search(queries, 10)
            base = {"data": data, "vectors": n}
            result.rows.append({**base, "index": "flat", "param": "-", **_lat_row(_single_query_latency(flat, queries)),
                                "recall@10": 1.0, "index_mib": _index_bytes(flat) / 2**20, "build_s": flat_s})
            del flat
            efc = bench.args.random_efc if data == "random" else vector_index.HNSW_EF_CONSTRUCTION
            for kind, knob, values in (("hnsw", "efSearch", EF_SEARCH), ("ivfpq", "nprobe", NPROBE)):
                built = f"M{vector_index.HNSW_M}-efc{efc}" if kind == "hnsw" else f"m{vector_index.PQ_M}-kf{vector_index.REFINE_K_FACTOR}"
                index, build_s, cached = _built(
                    bench, f"{data}-{n}-{kind}-{built}",
                    lambda kind=kind, vectors=vectors, efc=efc: vector_index.build(vectors, vector_index.IndexType(kind), ef_construction=efc),
                )
                memory = _index_bytes(index) / 2**20
                for value in values:
                    if kind == "ivfpq" and value > faiss.extract_index_ivf(index).nlist:
                        continue
                    vector_index.set_search_params(index, **({"ef_search": value} if kind == "hnsw" else {"nprobe": value}))
                    recall = _recall(index, queries, truth)
                    stats = _single_query_latency(index, queries)
                    result.rows.append({**base, "index": f"{kind} {built}", "param": f"{knob}={value}{' *' if value == defaults[kind] else ''}",
                                        **_lat_row(stats), "recall@10": recall, "index_mib": memory,
                                        "build_s": f"{build_s:.1f}{' (cached)' if cached else ''}"})
                    if n == max(sizes) and recall >= TARGETS["ann_recall"]:
                        best_at_largest[data].append(stats["p50_ms"])
                del index
            del vectors
    if max(sizes) >= 1_000_000:
        for data, found in best_at_largest.items():
            best = min(found) if found else float("inf")
            result.check(f"{data}: ANN p50 ms at {max(sizes):,} vectors, recall@10 >= 0.95 (best config)", best, TARGETS["ann_p50_ms"])
    result.notes.append(f"dimension 384, {n_queries} queries per configuration, one query per search call (one OpenMP "
                        "thread), recall@10 against exact search; * marks the default (EngineConfig); index_mib is the "
                        "serialised index; build_s of HNSW/IVF-PQ uses every core")
    return result


def _lat_row(stats: dict[str, float]) -> dict[str, float]:
    return {"p50_ms": stats["p50_ms"], "p99_ms": stats["p99_ms"]}


# -- memory --------------------------------------------------------------------------------------


class SyntheticVectors:
    """An 'encoder' of seeded synthetic unit vectors (the clustered kind of the scaling suite, sentence
    vectors random) that carries the real model's name, so that a server over the index it builds loads
    the real model. For memory and start-up figures only: its search results mean nothing."""

    def __init__(self, name: str, dimension: int = 384, seed: int = 0) -> None:
        self.name, self.dimension = name, dimension
        self._calls = seed
        self._rng = np.random.default_rng(seed)

    def warm_up(self) -> None:
        return None

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        self._calls += 1
        return clustered_vectors(len(texts), self.dimension, seed=1000 + self._calls) if texts else np.zeros((0, self.dimension), np.float32)

    def encode_with_sentences(self, texts: Sequence[str], bodies: Sequence[tuple[int, str]], *, batch_size: int = 64,
                              progress: bool = False) -> Any:
        from corpus.sentences import sentence_spans
        from index.embed import Encoded

        sentences = [_unit(self._rng.standard_normal((len(sentence_spans(body)), self.dimension), dtype=np.float32))
                     for _, body in bodies]
        return Encoded(self.encode(texts), sentences)


def synthetic_corpus(passages: int, per_document: int = 100, seed: int = 0) -> Any:
    """Documents of made-up sentences in the vocabulary of the bundled corpus, `per_document` passages each."""
    from corpus.model import Document, Passage, doc_id_for, passage_id_for
    from corpus.pipeline import BuildReport, PreparedCorpus

    words = sorted({w.lower() for f in (ROOT / "corpus" / "data").glob("*.txt") for w in re.findall(r"[A-Za-z]{3,}", f.read_text())})
    words = words or ["alpha", "beta", "gamma", "delta"]
    rng = random.Random(seed)
    documents, kept = [], []
    for d in range(0, passages, per_document):
        texts = []
        for _ in range(min(per_document, passages - d)):
            sentences = [" ".join(rng.choice(words) for _ in range(rng.randint(8, 18))).capitalize() + "." for _ in range(rng.randint(2, 5))]
            texts.append(f"{len(kept) + len(texts)} " + " ".join(sentences))  # the number keeps every passage distinct
        source = f"synthetic/doc-{d // per_document:05d}.txt"
        body = "\n\n".join(texts)
        doc = Document(doc_id_for(source, body), f"Synthetic document {d // per_document}", source, body)
        documents.append(doc)
        at = 0
        for text in texts:
            kept.append(Passage(passage_id_for(text), doc.doc_id, text, at, at + len(text), None, doc.title, source))
            at += len(text) + 2
    report = BuildReport(documents_read=len(documents), blocks=len(kept), passages_kept=len(kept))
    return PreparedCorpus(documents, kept, report)


def synthetic_index(bench: Bench, passages: int) -> tuple[Path, float, bool]:
    """A `passages`-passage index of made-up text and synthetic vectors (kept in --cache), with its build time."""
    from index.build import build_index
    from index.embed import MODEL_NAME
    from index.manifest import read_manifest

    index_dir = bench.args.cache / f"synthetic-{passages}" / "index"
    with contextlib.suppress(Exception):
        if not bench.args.rebuild and read_manifest(index_dir).passages == passages:
            return index_dir, float(json.loads((index_dir.parent / "build.json").read_text())["build_s"]), True
    started = time.perf_counter()
    build_index([], index_dir, SyntheticVectors(MODEL_NAME), prepared=synthetic_corpus(passages), progress=False)
    seconds = time.perf_counter() - started
    (index_dir.parent / "build.json").write_text(json.dumps({"build_s": seconds}))
    return index_dir, seconds, False


def suite_memory(bench: Bench) -> SuiteResult:
    from index.manifest import read_manifest

    result = SuiteResult()
    model_rss = _bare_model_process(bench)
    result.rows.append({"process": "the model alone (python, torch, model, one encode)", "passages": 0, **model_rss})
    targets = [("given index", bench.index, None)]
    if bench.args.big:
        big, build_s, cached = synthetic_index(bench, bench.args.big)
        targets.append(("synthetic index (synthetic vectors, made-up text)", big, f"{build_s:.0f} s{' (cached)' if cached else ''}"))
    for label, index_dir, build in targets:
        manifest = read_manifest(index_dir)
        with Server(index_dir) as server:
            loaded = rss_mib(server.pid)
            server.load(bench.take(50), 4)
            queried = rss_mib(server.pid)
            row = {"process": f"cited serve, {label}", "passages": manifest.passages, "index_type": manifest.index_type,
                   "rss_mib": loaded["rss_mib"], "rss_after_50_queries_mib": queried["rss_mib"],
                   "peak_rss_mib": queried["peak_rss_mib"], "start_to_healthz_s": server.started_s,
                   "index_files_mib": _folder_mib(index_dir)}
            if build:
                row["index_build"] = build
            result.rows.append(row)
    result.notes.append("RSS from /proc/PID/status (VmRSS, VmHWM) after /healthz answers 200 and after 50 distinct searches")
    return result


def _folder_mib(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.resolve().iterdir() if p.is_file()) / 2**20


_BARE_MODEL = """
import os, sys, time
os.environ.setdefault("HF_HUB_OFFLINE", "1"); os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
from sentence_transformers import SentenceTransformer
from index.embed import bundled_model_path
model = SentenceTransformer(bundled_model_path(), device="cpu")
print("loaded", flush=True)
model.encode(["warm up"])
print("encoded", flush=True)
if len(sys.argv) > 1:
    print(open("/proc/self/status").read(), flush=True)
"""


def _bare_model_process(bench: Bench) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", _BARE_MODEL, "status"], capture_output=True, text=True, check=True, cwd=ROOT)
    return status_mib(done.stdout)


# -- cold start ----------------------------------------------------------------------------------


def _time_to_line(command: Sequence[str], line: str) -> float:
    """Seconds from process start until it prints `line`."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    assert process.stdout is not None
    try:
        for out in process.stdout:
            if out.strip() == line:
                return time.perf_counter() - started
    finally:
        process.kill()
        process.wait()
    raise BenchError(f"the model-loading process ended before printing '{line}'")


_PHASES = """
import json, os, sys, time
t0 = time.perf_counter(); phases = {}
os.environ.setdefault("HF_HUB_OFFLINE", "1"); os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
def mark(name):
    global t0
    now = time.perf_counter(); phases[name] = now - t0; t0 = now
import service.app; mark("import service.app (fastapi, uvicorn, faiss, numpy)")
from pathlib import Path
from index.load import load_index, model_for
loaded = load_index(Path(sys.argv[1])); mark("load_index (checksums, store, faiss, sentences)")
from index.manifest import CHECKED_FILES, sha256_of
for name in CHECKED_FILES: sha256_of(Path(sys.argv[1]) / name)
mark("  of which: sha256 of every file (repeated alone)")
embedder = model_for(loaded.manifest); embedder.warm_up(); mark("model: import sentence_transformers + load")
from index.engine import Engine
engine = Engine(loaded, embedder); mark("Engine() (vocabulary from the FTS index)")
engine.search(engine.query("warm up"), k=1); mark("warm-up search")
print(json.dumps(phases))
"""


def suite_coldstart(bench: Bench) -> SuiteResult:
    result = SuiteResult()
    bare_command = [sys.executable, "-c", _BARE_MODEL]
    _time_to_line(bare_command, "loaded")  # warm the page cache for both; not counted
    with Server(bench.index):
        pass
    bare, bare_encoded, served = [], [], []
    for _ in range(max(1, bench.args.repeat)):
        bare.append(_time_to_line(bare_command, "loaded"))
        bare_encoded.append(_time_to_line(bare_command, "encoded"))
        with Server(bench.index) as server:
            served.append(server.started_s)
    phases = subprocess.run([sys.executable, "-c", _PHASES, str(bench.index)], capture_output=True, text=True, check=True, cwd=ROOT)
    breakdown = json.loads(phases.stdout.strip().splitlines()[-1])
    result.rows = [
        {"measured": "process start to model loaded (import + SentenceTransformer)", "median_s": float(np.median(bare)),
         "min_s": min(bare), "max_s": max(bare)},
        {"measured": "process start to model loaded and one encode", "median_s": float(np.median(bare_encoded)),
         "min_s": min(bare_encoded), "max_s": max(bare_encoded)},
        {"measured": "cited serve: process start to /healthz 200", "median_s": float(np.median(served)),
         "min_s": min(served), "max_s": max(served)},
    ]
    result.rows += [{"measured": f"phase: {name}", "median_s": seconds} for name, seconds in breakdown.items()]
    result.check("cold start / bare model load (medians)", float(np.median(served) / np.median(bare)), TARGETS["coldstart"])
    result.notes.append(f"{len(served)} starts of each, alternating, after one untimed start of each; index {bench.index}; "
                        "phases: one separate process doing the server's start-up steps in order")
    return result


SUITE_FUNCTIONS: dict[str, Callable[[Bench], SuiteResult]] = {
    "encode": suite_encode,
    "search": suite_search,
    "http": suite_http,
    "build": suite_build,
    "scaling": suite_scaling,
    "memory": suite_memory,
    "coldstart": suite_coldstart,
}

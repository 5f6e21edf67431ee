"""What every suite shares: targets, results and their tables, latency figures, the machine, the query stream,
torch's threads, and the Bench context of one run."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import random
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from eval.bench.options import BenchError, BenchOptions
from index.cores import usable_cores

ROOT = Path(__file__).resolve().parent.parent.parent
GOLD = ROOT / "eval" / "gold" / "default.jsonl"
# The workplace keeps its benchmarks in ../shared beside the checkout.
MSMARCO = ROOT.parent / "shared" / "benchmarks" / "msmarco-subset" / "corpus.jsonl"
# "The floor" is the bare torch encoder (sentence-transformers, torch's default threads) encoding one query,
# measured in the same run (issue 13): the served backend has to beat the model it replaces, not itself.
TARGETS = {
    "engine_overhead": 1.20,  # Engine.search p50 / encode floor p50 (the served backend's own floor)
    "http_p50": 0.7,  # HTTP p50 at concurrency 1 / bare torch floor p50
    "http_p99": 1.5,  # HTTP p99 at concurrency 1 / bare torch floor p50
    "throughput": 3.0,  # requests/s at 32 clients × bare torch floor p50 (s): requests answered per floor-time
    "lone_client": 1.1,  # HTTP p50 at 1 client with batching / without: a lone client must not pay for batching
    "build": 0.6,  # whole build seconds / bare torch encoding seconds of the same passages
    "ann_p50_ms": 2.0,  # at 1M vectors, with recall@10 >= 0.95
    "ann_recall": 0.95,
    "coldstart": 1.3,  # process start to /healthz 200 / process start to a loaded model
}


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
        lines = [f"== {name} ({self.seconds:.0f} s)", table(self.rows)]
        lines += [f"  · {note}" for note in self.notes]
        return "\n".join(lines)


def table(rows: Sequence[dict[str, Any]]) -> str:
    """Rows as aligned text columns, numbers to the right."""
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


# -- the machine ---------------------------------------------------------------------------------


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def machine() -> dict[str, Any]:
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
        "load_start": loadavg(),
    }


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


# -- the model's threads -----------------------------------------------------------------------


def default_threads() -> int:
    """The intra-op threads the served encoder takes by default (one per core the process may use)."""
    return usable_cores()


def server_threads(server_env: Mapping[str, str]) -> int:
    """The model threads `cited serve` gives a lone query when CITED_TORCH_THREADS (`server_env` included) fixes
    them; 0 when it chooses by the machine's load (service/runtime.py lone_threads)."""
    from service.settings import Settings

    value = server_env.get("CITED_TORCH_THREADS")
    return int(value) if value is not None else Settings().torch_threads


def server_backend(server_env: Mapping[str, str]) -> str:
    """The backend `cited serve` will run the model with (CITED_BACKEND, `server_env` included)."""
    from service.settings import Settings

    return server_env.get("CITED_BACKEND") or Settings().backend


@contextlib.contextmanager
def model_threads(embedder: Any, threads: int) -> Iterator[None]:
    """Run the block with the model on `threads` threads (0: every core), then back to every core."""
    embedder.set_threads(threads)
    try:
        yield
    finally:
        embedder.set_threads(0)


def encode_floor(embedder: Any, texts: Sequence[str]) -> list[float]:
    """Seconds per bare encode of one text at batch 1."""
    out = []
    for text in texts:
        started = time.perf_counter()
        embedder.encode([text], batch_size=1)
        out.append(time.perf_counter() - started)
    return out


# -- one run -------------------------------------------------------------------------------------


class Bench:
    """The state of one run: its options, the index, the machine, the results so far and the query stream."""

    def __init__(self, options: BenchOptions, index: Path) -> None:
        self.options = options
        self.index = Path(index)
        self.machine = machine()
        self.results: dict[str, SuiteResult] = {}
        self._variants = question_variants()
        self._next = 0
        self._embedder: Any = None
        self._torch: Any = None
        self.floor: dict[str, float] | None = None  # bare torch encode at batch 1, from the encode suite

    def take(self, n: int) -> list[str]:
        """The next `n` queries never used before in this run."""
        if self._next + n > len(self._variants):
            raise BenchError(f"this run needs more than the {len(self._variants)} distinct queries there are; use fewer")
        out = self._variants[self._next : self._next + n]
        self._next += n
        return out

    def server_threads(self) -> int:
        return server_threads(self.options.server_env)

    def backend(self) -> str:
        return server_backend(self.options.server_env)

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

            self._embedder = embedder_for(self.model_name(), self.backend(), near=self.index)
            self._embedder.warm_up()
        return self._embedder

    def bare_torch(self) -> Any:
        """The floor's encoder: the index's model through sentence-transformers and torch, at torch's default
        threads (the hashing encoder of the tests has no torch form: itself)."""
        if self._torch is None:
            from index.embed import embedder_for

            self._torch = embedder_for(self.model_name(), "torch")
            self._torch.warm_up()
            self._torch.set_threads(0)
        return self._torch

    def torch_floor(self, texts: Sequence[str]) -> list[float]:
        """Seconds per bare torch encode of each text at batch 1: at torch's default threads (the issue's floor) or on
        one thread, whichever has the lower median here. On a busy machine two torch threads wait at every barrier
        (p50 206 ms against 25 ms on one), and a floor that slow would flatter every ratio set against it."""
        model = self.bare_torch()
        runs: dict[int, list[float]] = {0: [], 1: []}
        for text in texts:  # alternating, so that a change in the machine's load falls on both
            for threads in runs:
                model.set_threads(threads)
                runs[threads].extend(encode_floor(model, [text]))
        model.set_threads(0)
        return min(runs.values(), key=lambda seconds: float(np.median(seconds)) if seconds else 0.0)

    def payload(self) -> dict[str, Any]:
        options = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self.options).items()}
        return {
            "machine": self.machine,
            "args": {"index": str(self.index), **options},
            "targets": TARGETS,
            "suites": {
                name: {"seconds": r.seconds, "rows": r.rows, "checks": [c.__dict__ for c in r.checks], "notes": r.notes, **r.extra}
                for name, r in self.results.items()
            },
        }

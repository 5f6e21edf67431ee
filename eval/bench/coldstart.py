"""The coldstart suite: process start to /healthz 200 of `cited serve`, beside process start to a loaded model,
and the server's start-up split into its phases."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Sequence

import numpy as np

from eval.bench.common import ROOT, TARGETS, Bench, SuiteResult
from eval.bench.memory import BARE_MODEL, served_backends
from eval.bench.options import BenchError
from eval.bench.serving import serve


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


def suite_coldstart(bench: Bench) -> SuiteResult:
    result = SuiteResult()
    _time_to_line(BARE_MODEL, "loaded")  # warm the page cache for both; not counted
    with serve(bench.index, bench.options.server_env):
        pass
    backends = served_backends(bench)
    bare, bare_encoded = [], []
    served: dict[str, list[float]] = {b: [] for b in backends}
    for _ in range(max(1, bench.options.repeat)):
        bare.append(_time_to_line(BARE_MODEL, "loaded"))
        bare_encoded.append(_time_to_line(BARE_MODEL, "encoded"))
        for backend in backends:
            with serve(bench.index, bench.options.server_env, {"CITED_BACKEND": backend}) as server:
                served[backend].append(server.started_s)
    phases = subprocess.run([sys.executable, "-m", "eval.bench.startup_phases", str(bench.index)],
                            capture_output=True, text=True, check=True, cwd=ROOT)
    breakdown = json.loads(phases.stdout.strip().splitlines()[-1])
    result.rows = [
        {"measured": "process start to model loaded (import + SentenceTransformer)", "median_s": float(np.median(bare)),
         "min_s": min(bare), "max_s": max(bare)},
        {"measured": "process start to model loaded and one encode", "median_s": float(np.median(bare_encoded)),
         "min_s": min(bare_encoded), "max_s": max(bare_encoded)},
    ]
    result.rows += [{"measured": f"cited serve ({backend}): process start to /healthz 200", "median_s": float(np.median(times)),
                     "min_s": min(times), "max_s": max(times)} for backend, times in served.items()]
    result.rows += [{"measured": f"phase: {name}", "median_s": seconds} for name, seconds in breakdown.items()]
    result.check(f"cold start ({backends[0]}) / bare model load (medians)", float(np.median(served[backends[0]]) / np.median(bare)),
                 TARGETS["coldstart"])
    result.notes.append(f"{len(bare)} starts of each, alternating, after one untimed start of each; index {bench.index}; "
                        "phases: one separate process doing the server's start-up steps in order")
    return result

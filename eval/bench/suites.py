"""A bench run: the suites by name, run in order, their tables printed and every figure written as JSON."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from eval.bench.build import suite_build
from eval.bench.coldstart import suite_coldstart
from eval.bench.common import Bench, SuiteResult, loadavg, table
from eval.bench.encode import suite_encode
from eval.bench.http import suite_http
from eval.bench.living import suite_living
from eval.bench.memory import suite_memory
from eval.bench.options import SUITES, BenchOptions
from eval.bench.scaling import suite_scaling
from eval.bench.search import suite_search

SUITE_FUNCTIONS: dict[str, Callable[[Bench], SuiteResult]] = {
    "encode": suite_encode,
    "search": suite_search,
    "http": suite_http,
    "build": suite_build,
    "scaling": suite_scaling,
    "memory": suite_memory,
    "coldstart": suite_coldstart,
    "living": suite_living,
}
assert tuple(SUITE_FUNCTIONS) == SUITES


def run(options: BenchOptions, index: Path) -> int:
    """Run `options.suites` over `index`, print their tables and the targets, write the JSON if asked; 0."""
    bench = Bench(options, index)
    print(f"cited bench {' '.join(options.suites)} — {bench.machine['date']} — {bench.machine['cpu']}, "
          f"{bench.machine['cores']} cores, {bench.machine['memory_gib']} GiB — load {bench.machine['load_start']}")
    for name in options.suites:
        started = time.perf_counter()
        result = SUITE_FUNCTIONS[name](bench)
        result.seconds = round(time.perf_counter() - started, 1)
        bench.results[name] = result
        print()
        print(result.text(name))
    bench.machine["load_end"] = loadavg()
    checks = [c for r in bench.results.values() for c in r.checks]
    if checks:
        print("\nTargets")
        print(table([c.row() for c in checks]))
    if options.json is not None:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps(bench.payload(), indent=1) + "\n", encoding="utf-8")
        print(f"\nJSON written to {options.json}")
    return 0

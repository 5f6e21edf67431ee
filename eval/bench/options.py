"""What a bench run measures: the suite names and the one options object the command line builds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

SUITES = ("encode", "search", "http", "build", "scaling", "memory", "coldstart", "living")
DATA_KINDS = ("random", "clustered")  # the vectors of the scaling suite: the keys of eval.bench.scaling.DATA


class BenchError(ValueError):
    """Options that cannot be benchmarked; printed as one line by `cited`."""


def parse_suites(names: Iterable[str]) -> tuple[str, ...]:
    """Suite names in SUITES order; none, or "all", means every suite."""
    names = list(names)
    unknown = [n for n in names if n not in (*SUITES, "all")]
    if unknown:
        raise BenchError(f"unknown suite '{unknown[0]}'; choose from: {', '.join(SUITES)}, all")
    if not names or "all" in names:
        return SUITES
    return tuple(s for s in SUITES if s in names)


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

    def __post_init__(self) -> None:
        if not self.suites or parse_suites(self.suites) != tuple(self.suites):
            raise BenchError(f"suites must be names from {', '.join(SUITES)}, in that order, not {', '.join(self.suites)}")
        for name in ("concurrency", "sizes"):
            values = getattr(self, name)
            if not values or min(values) < 1:
                raise BenchError(f"{name} must list numbers of at least 1")
        if not self.data or any(kind not in DATA_KINDS for kind in self.data):
            raise BenchError(f"data lists {', '.join(DATA_KINDS)}")

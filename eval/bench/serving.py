"""The servers of a bench run: `cited serve` through service.launcher, its /api/stats, and load from its own process."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.bench.common import ROOT
from eval.bench.options import BenchError
from service.launcher import Server, ServerError


@contextlib.contextmanager
def serve(index: Path, server_env: Mapping[str, str], env: Mapping[str, str] | None = None) -> Iterator[Server]:
    """A running server over `index` with the run's --server-env and then `env`; its failures as BenchError."""
    server = Server(index, env={**server_env, **(env or {})})
    try:
        server.start()
    except ServerError as exc:
        raise BenchError(str(exc)) from None
    try:
        yield server
    finally:
        server.stop()


def stats(server: Server) -> dict[str, Any]:
    import httpx

    return httpx.get(f"{server.url}/api/stats", timeout=30).json()


def load(server: Server, queries: Sequence[str], concurrency: int, warmup: Sequence[str] = ()) -> dict[str, Any]:
    """Run the load generator in its own process against `server`."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as spec:
        json.dump({"queries": list(queries), "warmup": list(warmup)}, spec)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "eval.loadgen", server.url, spec.name, "--concurrency", str(concurrency)],
            capture_output=True, text=True, check=False, cwd=ROOT,
        )
    finally:
        os.unlink(spec.name)
    if done.returncode != 0:
        raise BenchError(f"the load generator failed: {done.stderr[-600:]}")
    return json.loads(done.stdout)

"""eval/bench/soak.py runs end to end for a few seconds (the real soak lasts minutes and is run by hand)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path


def test_the_soak_script_runs_and_reports(small_index: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(small_index.resolve(), index)
    out = tmp_path / "soak.json"
    env = os.environ | {"CITED_MODEL": "hashing-bow", "CITED_TORCH_THREADS": "0"}
    run = subprocess.run(
        [sys.executable, "-m", "eval.bench.soak", "--index", str(index), "--clients", "4", "--warmup", "1", "--duration", "3",
         "--max-rss-growth", "1000", "--json", str(out), "--log", str(tmp_path / "server.log")],
        capture_output=True, text=True, timeout=180, env=env,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "soak: passed" in run.stdout
    result = json.loads(out.read_text())
    assert result["errors"] == result["warmup_errors"] == 0
    assert result["requests"] > 10 and result["throughput_rps"] > 0
    assert result["latency"]["search"]["requests"] > 0 and result["latency"]["chat"]["requests"] > 0
    assert result["rss_mib"]["start"] > 0 and result["rss_mib"]["end"] > 0
    assert result["server_exit"] is None

"""A small run of eval/bench_corpus.py, so the benchmark keeps working (its timings are not checked)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval import bench_corpus


def test_a_small_benchmark_finds_the_planted_duplicates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    assert bench_corpus.main(["--docs", "150", "--json", str(out)]) == 0
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["documents"] == 150 and figures["duplicate_documents"] > 20
    assert figures["recall"] >= 0.99 and figures["precision"] == 1.0 and figures["originals_removed"] == 0
    assert figures["passages"] < figures["blocks"]
    table = capsys.readouterr().out
    assert "recall (planted)" in table and f"wrote {out}" in table

"""`cited bench` on the small hashing-encoder index: the suites run, the JSON has its shape. No timing is
asserted: these figures come from a fake encoder and mean nothing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cli.main import main
from eval.bench import BenchError, BenchOptions, parse_suites
from eval.bench.common import gold_questions, latency, question_variants
from eval.bench.memory import synthetic_corpus, synthetic_index
from eval.bench.scaling import clustered_vectors, random_vectors


def test_bench_encode_and_search_write_json(small_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    status = main(["bench", "encode", "search", "--index", str(small_index), "--queries", "8", "--json", str(out)])
    assert status == 0
    printed = capsys.readouterr().out
    assert "== encode" in printed and "== search" in printed and "Targets" in printed
    payload = json.loads(out.read_text())
    assert {"date", "cpu", "cores", "memory_gib", "load_start", "load_end", "versions"} <= set(payload["machine"])
    assert set(payload["suites"]) == {"encode", "search"}
    encode = payload["suites"]["encode"]
    batches = [row["batch"] for row in encode["rows"]]
    assert batches and batches == [1, 8, 32] * (len(batches) // 3)  # each encoder at each thread count
    assert encode["rows"][0]["encoder"] == "bare torch (the floor)"
    assert all(row["per_query_p50_ms"] > 0 and row["queries_per_s"] > 0 for row in encode["rows"])
    search = payload["suites"]["search"]
    assert [row["measured"].split(" (")[0] for row in search["rows"][:3]] == [
        "encode floor", "Engine.search, k=5", "Engine.search given the vector"
    ]
    assert {"target", "value", "limit", "met"} == set(search["checks"][0])
    assert search["profile"] and {"function", "calls", "own_s", "share"} <= set(search["profile"][0])


def test_an_unknown_suite_is_one_sentence(small_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "speed", "--index", str(small_index)]) == 2
    assert "unknown suite 'speed'" in capsys.readouterr().err


def test_query_variants_are_distinct_and_many() -> None:
    variants = question_variants()
    assert len(variants) == len(set(variants)) > 5000
    assert set(gold_questions()) <= set(variants)


def test_synthetic_corpus_cites_its_documents_exactly() -> None:
    prepared = synthetic_corpus(250, per_document=100)
    assert len(prepared.passages) == 250 and len(prepared.documents) == 3
    texts = {d.doc_id: d.text for d in prepared.documents}
    assert all(texts[p.doc_id][p.start : p.end] == p.text for p in prepared.passages)
    assert len({p.passage_id for p in prepared.passages}) == 250


def test_synthetic_index_builds_through_the_real_path(tmp_path: Path) -> None:
    from index.load import load_index

    index_dir, _, cached = synthetic_index(tmp_path, 120)
    assert not cached
    loaded = load_index(index_dir)
    try:
        assert loaded.manifest.passages == 120 and loaded.manifest.model == "sentence-transformers/all-MiniLM-L6-v2"
    finally:
        loaded.close()
    assert synthetic_index(tmp_path, 120)[2]


@pytest.mark.parametrize("make", [random_vectors, clustered_vectors])
def test_scaling_data_is_unit_length_and_seeded(make) -> None:
    first, again = make(500), make(500)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(first, again)
    assert first.shape == (500, 384)


def test_latency_summary() -> None:
    stats = latency([0.001] * 99 + [0.1])
    assert stats["p50_ms"] == pytest.approx(1.0)
    assert stats["p99_ms"] > 1.0


def test_suites_are_validated_and_put_in_order() -> None:
    assert parse_suites(["http", "encode"]) == ("encode", "http")
    assert parse_suites([]) == parse_suites(["all"]) == BenchOptions(suites=parse_suites([])).suites
    with pytest.raises(BenchError, match="choose from: encode, search, http"):
        parse_suites(["speed"])
    with pytest.raises(BenchError, match="in that order"):
        BenchOptions(suites=("http", "encode"))
    with pytest.raises(BenchError, match="concurrency"):
        BenchOptions(suites=("http",), concurrency=(0,))


def test_bench_living_replaces_removes_and_compacts(small_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "living.json"
    assert main(["bench", "living", "--index", str(small_index), "--big", "1200", "--json", str(out)]) == 0
    living = json.loads(out.read_text())["suites"]["living"]
    operations = [row["operation"] for row in living["rows"]]
    assert operations[0].startswith("cited build: 60 files, 1,200 passages")
    assert operations[1].startswith("cited sync after one file changed") and "compacted: True" in operations[2]
    assert "not supported by FAISS" in operations[4]  # HNSW cannot remove vectors: why tombstones
    checks = {c["target"]: c for c in living["checks"]}
    assert checks["vector rows after compaction / live passages"]["value"] == 1.0
    assert 0 < checks["replace one document / full build"]["value"] < 1

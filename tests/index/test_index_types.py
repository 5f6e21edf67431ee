"""Flat, HNSW and IVF-PQ through the whole path: build, manifest, load, search parameters, search; and the
`cited search` flags that set efSearch and nprobe. Hashing encoder, small corpus."""

from __future__ import annotations

import json
from pathlib import Path

import faiss
import numpy as np
import pytest

from cli.main import main
from index import vectors as vector_index
from index.build import build_index
from index.config import EngineConfig, Mode
from index.embed import HashingEmbedder
from index.engine import Engine
from index.load import load_index


@pytest.fixture(scope="module", params=list(vector_index.IndexType), ids=lambda kind: kind.value)
def typed_index(request: pytest.FixtureRequest, small_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp(f"index-{request.param.value}") / "index"
    build_index([small_corpus], index_dir, HashingEmbedder(), index_type=request.param, progress=False)
    return index_dir


@pytest.mark.parametrize("kind", list(vector_index.IndexType), ids=lambda kind: kind.value)
def test_the_manifest_records_the_type_and_loading_restores_it(
    kind: vector_index.IndexType, small_corpus: Path, tmp_path: Path
) -> None:
    result = build_index([small_corpus], tmp_path / "index", HashingEmbedder(), index_type=kind, progress=False)
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    loaded = load_index(tmp_path / "index")
    try:
        assert result.manifest.index_type == manifest["index_type"] == kind.value
        assert vector_index.kind_of(loaded.vectors) is kind
    finally:
        loaded.close()


def test_search_through_every_index_type(typed_index: Path) -> None:
    engine = Engine.open(typed_index, config=EngineConfig(ef_search=40, nprobe=3))
    try:
        outcome = engine.search(engine.query("How many footbridges were rebuilt?"), k=3)
        assert "footbridges" in outcome.results[0].passage.text
        dense = engine.search(engine.query("bee visits at dawn in apple orchards", Mode.DENSE), k=2)
        assert "bee" in dense.results[0].passage.text.lower()
        index = engine.index.vectors
        kind = vector_index.kind_of(index)
        if kind is vector_index.IndexType.HNSW:
            assert index.hnsw.efSearch == 40
        if kind is vector_index.IndexType.IVFPQ:
            assert faiss.extract_index_ivf(index).nprobe == 3
    finally:
        engine.close()


def test_approximate_indexes_agree_with_exact_search() -> None:
    rng = np.random.default_rng(1)
    # Vectors with structure (12 underlying dimensions), as embeddings have; random ones are the worst case.
    data = (rng.standard_normal((3000, 12)) @ rng.standard_normal((12, 48))).astype(np.float32)
    data += 0.1 * rng.standard_normal(data.shape).astype(np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    queries = data[:50] + 0.05 * rng.standard_normal((50, 48)).astype(np.float32)
    _, exact = vector_index.search(vector_index.build(data, vector_index.IndexType.FLAT), queries, 10)
    for kind in (vector_index.IndexType.HNSW, vector_index.IndexType.IVFPQ):
        index = vector_index.build(data, kind, pq_m=8)
        vector_index.set_search_params(index, ef_search=128, nprobe=32)
        _, found = vector_index.search(index, queries, 10)
        recall = np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found, exact, strict=True)])
        assert recall >= 0.8, (kind, recall)


def test_one_query_and_many_give_the_same_rows() -> None:
    rng = np.random.default_rng(2)
    data = rng.standard_normal((500, 32)).astype(np.float32)
    index = vector_index.build(data, vector_index.IndexType.FLAT)
    _, together = vector_index.search(index, data[:3], 5)
    for i in range(3):
        _, alone = vector_index.search(index, data[i : i + 1], 5)
        assert alone[0].tolist() == together[i].tolist()
    assert faiss.omp_get_max_threads() >= 1


def test_index_type_by_size() -> None:
    assert vector_index.IndexType.for_size(100) is vector_index.IndexType.FLAT
    assert vector_index.IndexType.for_size(vector_index.HNSW_ABOVE + 1) is vector_index.IndexType.HNSW
    assert vector_index.IndexType.for_size(vector_index.IVFPQ_ABOVE + 1) is vector_index.IndexType.IVFPQ


def test_an_ivfpq_index_of_a_tiny_corpus_builds() -> None:
    for n in (1, 2, 7):
        data = np.eye(n, 16, dtype=np.float32)
        index = vector_index.build(data, vector_index.IndexType.IVFPQ)
        assert index.ntotal == n


@pytest.mark.parametrize("flags", [["--ef-search", "32"], ["--nprobe", "4"], []])
def test_cited_search_takes_the_search_parameters(
    typed_index: Path, flags: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CITED_MODEL", "hashing-bow")  # the fake encoder's index; MiniLM is expected by default
    status = main(["search", "--index", str(typed_index), "--json", *flags, "How many footbridges were rebuilt?"])
    assert status == 0
    assert "footbridges" in json.loads(capsys.readouterr().out)["results"][0]["text"]


def test_cited_search_refuses_a_zero_ef_search(typed_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["search", "--index", str(typed_index), "--ef-search", "0", "bees"])
    assert "at least 1" in capsys.readouterr().err

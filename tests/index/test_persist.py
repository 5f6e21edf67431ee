"""The index folder: atomic publication, incremental add, and refusals that name the problem and the fix."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index import vectors as vector_index
from index.build import add_to_index, build_index
from index.embed import HashingEmbedder
from index.engine import Engine
from index.load import load_index
from index.manifest import FORMAT_VERSION, MANIFEST, STORE, VECTORS, IndexFolderError


@pytest.fixture()
def built(list_corpus: Path, tmp_path: Path) -> Path:
    index_dir = tmp_path / "index"
    build_index([list_corpus], index_dir, HashingEmbedder(), progress=False)
    return index_dir


def test_build_publishes_a_complete_index_with_its_manifest(built: Path) -> None:
    manifest = json.loads((built / MANIFEST).read_text())
    assert manifest["model"] == HashingEmbedder.name
    assert manifest["dimension"] == 384
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["index_type"] == "flat"
    loaded = load_index(built)
    assert loaded.vectors.ntotal == loaded.store.count() == manifest["passages"]
    assert not list(built.parent.glob("*.builds/*.partial"))
    loaded.close()


def test_a_rebuild_swaps_the_index_and_leaves_one_build(built: Path, list_corpus: Path) -> None:
    (list_corpus / "more.txt").write_text("A second document about tide tables and moorings.\n", encoding="utf-8")
    before = load_index(built).manifest.passages
    build_index([list_corpus], built, HashingEmbedder(), progress=False)
    assert load_index(built).manifest.passages == before + 1
    assert len(list((built.parent / "index.builds").iterdir())) == 1


def test_a_leftover_partial_build_does_not_trip_the_next(built: Path, list_corpus: Path) -> None:
    stale = built.parent / "index.builds" / "20200101T000000-dead.partial"
    stale.mkdir()
    (stale / "store.sqlite").write_bytes(b"half written")
    build_index([list_corpus], built, HashingEmbedder(), progress=False)
    assert not stale.exists()
    load_index(built).close()


def test_a_failed_build_keeps_the_previous_index(built: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(IndexFolderError, match="no passages"):
        build_index([empty], built, HashingEmbedder(), progress=False)
    load_index(built).close()


def test_add_indexes_new_documents_without_touching_existing_vectors(built: Path, tmp_path: Path) -> None:
    first = load_index(built)
    old_vectors = first.vectors.reconstruct_n(0, first.vectors.ntotal).copy()
    old_count = first.store.count()
    first.close()
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "new.txt").write_text(
        "Tide gauges were installed at three harbours to warn of storm surges.\n\n"
        "Radio coverage was extended to every fishing harbour on the western shore.\n",  # already indexed
        encoding="utf-8",
    )
    result = add_to_index([extra], built, HashingEmbedder(), progress=False)
    assert result.report.exact_duplicates == 1
    loaded = load_index(built)
    assert loaded.store.count() == old_count + 1
    np.testing.assert_array_equal(loaded.vectors.reconstruct_n(0, old_count), old_vectors)
    loaded.close()
    engine = Engine.open(built)
    assert "Tide gauges" in engine.search(engine.query("storm surge warnings at harbours"), k=1).results[0].passage.text
    engine.close()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / VECTORS).write_bytes((d / VECTORS).read_bytes()[:100]), "vectors.faiss .*checksum"),
        (lambda d: (d / STORE).unlink(), "missing store.sqlite"),
        (lambda d: (d / STORE).write_bytes(b"not a database" * 100), "store.sqlite .*checksum"),
        (lambda d: (d / MANIFEST).unlink(), "has no manifest.json"),
        (lambda d: (d / MANIFEST).write_text("{not json"), "manifest .* not valid"),
    ],
)
def test_damage_is_refused_with_one_sentence_and_the_fix(built: Path, damage, message: str) -> None:
    damage(built.resolve())
    with pytest.raises(IndexFolderError, match=message) as caught:
        load_index(built)
    text = str(caught.value)
    assert "cited build --index" in text and "\n" not in text


def test_edited_counts_in_the_manifest_are_caught(built: Path) -> None:
    path = built / MANIFEST
    manifest = json.loads(path.read_text())
    manifest["passages"] += 1
    path.write_text(json.dumps(manifest))
    with pytest.raises(IndexFolderError, match="inconsistent"):
        load_index(built)


def test_an_index_built_with_another_model_is_refused(built: Path) -> None:
    with pytest.raises(IndexFolderError, match="built with the model hashing-bow"):
        load_index(built, expected_model="sentence-transformers/all-MiniLM-L6-v2")


def test_no_index_at_all_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(IndexFolderError, match="there is no index at .*cited build"):
        load_index(tmp_path / "nowhere")


@pytest.mark.parametrize("kind", list(vector_index.IndexType))
def test_every_index_type_finds_the_exact_vector(kind: vector_index.IndexType) -> None:
    rng = np.random.default_rng(0)
    data = rng.standard_normal((2000, 64)).astype(np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    index = vector_index.build(data, kind)
    vector_index.set_search_params(index, ef_search=128, nprobe=32)
    _, rows = vector_index.search(index, data[:20], 1)
    assert vector_index.kind_of(index) is kind
    assert (rows[:, 0] == np.arange(20)).mean() >= (0.9 if kind is vector_index.IndexType.IVFPQ else 1.0)


def test_index_type_names_the_valid_choices() -> None:
    with pytest.raises(ValueError, match="flat, hnsw, ivfpq"):
        vector_index.IndexType.parse("annoy")

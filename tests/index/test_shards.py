"""A split index answers as one index over the same corpus: cuts fall where nothing read together is parted,
collection-wide BM25 from shard tables equals one table's, and search results are the same in every mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from corpus.model import Passage, passage_id_for
from corpus.pipeline import prepare
from corpus.store import PassageStore
from index.build import build_index
from index.config import EngineConfig, Mode
from index.embed import HashingEmbedder
from index.engine import Engine
from index.lexical import LexicalIndex
from index.manifest import IndexFolderError
from index.sharded import ShardedEngine
from index.shards import SHARDS, safe_cuts, split
from service.app import create_app
from service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "corpus" / "data"
GOLD = [json.loads(line)["question"] for line in (ROOT / "eval" / "gold" / "default.jsonl").read_text().splitlines()]


def _passage(doc: str, start: int, end: int, text: str, context: str | None = None) -> Passage:
    return Passage(passage_id_for(text + doc), doc, text, start, end, context, "T", doc)


def test_no_cut_between_touching_passages_or_inside_a_list() -> None:
    passages = [
        _passage("a", 0, 10, "first part"),
        _passage("a", 11, 20, "second bit"),  # touches the first: the pieces of one paragraph
        _passage("a", 30, 40, "Steps:"),  # a lead-in, and its bullets below
        _passage("a", 50, 60, "one", "Steps:"),
        _passage("a", 70, 80, "two", "Steps:"),
        _passage("a", 90, 99, "after the list"),
        _passage("b", 0, 9, "other doc"),
    ]
    assert safe_cuts(passages) == [2, 5, 6]


def test_split_refuses_more_shards_than_places_to_cut(tmp_path: Path) -> None:
    prepared = prepare([BUNDLED])
    assert len(split(prepared, 3)) == 3
    with pytest.raises(IndexFolderError, match="cannot be split into"):
        split(prepared, len(prepared.passages) + 1)


@pytest.fixture(scope="module")
def single_and_sharded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("shards")
    prepared = prepare([BUNDLED])
    build_index([BUNDLED], root / "single", HashingEmbedder(), progress=False, prepared=prepared)
    build_index([BUNDLED], root / "sharded", HashingEmbedder(), progress=False, prepared=prepared, shards=3)
    return root / "single", root / "sharded"


def test_a_split_index_is_complete_shards_named_by_one_manifest(single_and_sharded: tuple[Path, Path]) -> None:
    single, sharded = single_and_sharded
    listed = json.loads((sharded / SHARDS).read_text())
    assert listed["shards"] == ["shard-0", "shard-1", "shard-2"]
    counts = [Engine.open(sharded / name).size for name in listed["shards"]]
    assert sum(counts) == Engine.open(single).size and all(counts)
    assert listed["offsets"] == [0, counts[0], counts[0] + counts[1]]


def test_shards_read_the_collection_bm25_totals(single_and_sharded: tuple[Path, Path]) -> None:
    single, sharded = single_and_sharded
    whole = LexicalIndex(PassageStore.open(single / "store.sqlite")).totals()
    for name in ("shard-0", "shard-2"):
        assert LexicalIndex(PassageStore.open(sharded / name / "store.sqlite")).totals() == whole


@pytest.mark.parametrize("mode", list(Mode))
def test_sharded_search_equals_one_index(single_and_sharded: tuple[Path, Path], mode: Mode) -> None:
    single, sharded = (Engine.open(path) for path in single_and_sharded)
    assert isinstance(sharded, ShardedEngine) and sharded.shard_count == 3
    for question in GOLD:
        one, split_ = single.search(single.query(question, mode), 10), sharded.search(sharded.query(question, mode), 10)
        assert [(r.passage.passage_id, r.score, r.highlight) for r in split_.results] == [
            (r.passage.passage_id, r.score, r.highlight) for r in one.results
        ], question
        assert split_.answerable == one.answerable


def test_a_split_index_ranks_with_the_engines_bm25_weights(single_and_sharded: tuple[Path, Path]) -> None:
    config = EngineConfig(bm25_context=1.0, bm25_title=0.0)
    single, sharded = (Engine.open(path, config=config) for path in single_and_sharded)
    default = Engine.open(single_and_sharded[0])
    changed = 0
    for question in GOLD:
        one, split_ = single.search(single.query(question, Mode.LEXICAL), 10), sharded.search(sharded.query(question, Mode.LEXICAL), 10)
        assert [(r.passage.passage_id, r.score) for r in split_.results] == [(r.passage.passage_id, r.score) for r in one.results]
        before = default.search(default.query(question, Mode.LEXICAL), 10)
        changed += [r.score for r in before.results] != [r.score for r in one.results]
    assert changed  # the weights reached the ranking, in the shards as in one index


def test_plain_serve_of_a_split_index_reports_its_shards(single_and_sharded: tuple[Path, Path]) -> None:
    _, sharded = single_and_sharded
    settings = Settings(index_dir=sharded, model=HashingEmbedder.name)
    with TestClient(create_app(settings)) as client:
        health = client.get("/healthz").json()
        assert health["shards"] == 3 and health["passages"] == Engine.open(sharded).size
        found = client.get("/api/search", params={"q": GOLD[0], "k": 3}).json()["results"]
        assert client.get(f"/api/passages/{found[0]['passage_id']}").status_code == 200
        assert client.get(f"/api/documents/{found[0]['doc_id']}").status_code == 200


def test_a_split_index_refuses_filters_and_the_document_list_in_a_sentence(single_and_sharded: tuple[Path, Path]) -> None:
    _, sharded = single_and_sharded
    with TestClient(create_app(Settings(index_dir=sharded, model=HashingEmbedder.name)), raise_server_exceptions=False) as client:
        for response in (client.get("/api/search", params={"q": GOLD[0], "source": "*"}), client.get("/api/documents")):
            assert response.status_code == 422 and response.json()["detail"].startswith("A split index cannot")
        assert client.get("/api/search", params={"q": GOLD[0]}).status_code == 200
        assert client.get("/", params={"q": GOLD[0]}).status_code == 200
        assert client.get("/documents").status_code == 422


def test_make_build_reads_a_split_index_and_refuses_a_damaged_shard(single_and_sharded: tuple[Path, Path], tmp_path: Path) -> None:
    import shutil

    from index.shards import ShardsManifest, read_index_manifest

    _, sharded = single_and_sharded
    assert isinstance(read_index_manifest(sharded), ShardsManifest)
    copy = tmp_path / "copy"
    shutil.copytree(sharded.resolve(), copy)
    (copy / "shard-1" / "manifest.json").write_text("{}")
    with pytest.raises(IndexFolderError, match="shard-1"):
        read_index_manifest(copy)


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["build", "--ray", "local:0"], "starts no worker node"),
        (["build", "--ray", "localhost"], "is not local:N"),
    ],
)
def test_a_wrong_cluster_address_is_refused_in_one_sentence(
    argv: list[str], said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli.main import main

    assert main([*argv, "--index", str(tmp_path / "index"), str(BUNDLED)]) == 2
    error = capsys.readouterr().err.strip()
    assert said in error and "\n" not in error and not (tmp_path / "index").exists()

"""BEIR folders: reading, the cached index, passages mapped back to benchmark documents, TREC runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.model import Location, Passage
from eval.beir import (
    BeirError,
    cached_index,
    corpus_key,
    document_ids,
    load_beir,
    read_qrels,
    run_beir,
    write_trec,
)
from index.config import Mode
from index.embed import HashingEmbedder
from index.engine import Engine
from index.evidence import Result
from index.load import load_index


def _result(rank: int, doc_id: str, *also: str) -> Result:
    passage = Passage(f"p-{rank:016x}", doc_id, "text", 0, 4, None, "t", "s", also_at=tuple(Location(d, 0, 4) for d in also))
    return Result(rank, 1.0 / rank, passage, None, 0.0, 0.0)


def test_a_folder_loads_with_graded_judgements(tiny_beir: Path) -> None:
    data = load_beir(tiny_beir)
    assert data.corpus == tiny_beir / "corpus.jsonl"
    assert list(data.queries) == ["q1", "q2", "q3", "q4"]
    assert data.qrels["q1"] == {"b7": 2, "b3": 1}
    assert data.judged_queries == ["q1", "q2", "q3", "q4"]


def test_qrels_header_is_skipped_only_when_it_is_one(tmp_path: Path) -> None:
    with_header = tmp_path / "h.tsv"
    with_header.write_text("query-id\tcorpus-id\tscore\nq\td1\t1\nq\td0\t0\n")
    assert read_qrels(with_header) == {"q": {"d1": 1}}  # grade 0 is not relevant
    bare = tmp_path / "b.tsv"
    bare.write_text("q\td1\t2\nq\td2\t1\n")
    assert read_qrels(bare) == {"q": {"d1": 2, "d2": 1}}  # the first line is a judgement, not a header
    trec = tmp_path / "t.txt"
    trec.write_text("q 0 d1 1\n")
    assert read_qrels(trec) == {"q": {"d1": 1}}


@pytest.mark.parametrize(
    ("content", "message"),
    [("q\td1\t1\nq\td2\thigh\n", ":2: the score 'high' is not a number"), ("q\td1\n", ":1: expected query-id, corpus-id and score")],
)
def test_bad_qrels_name_the_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text(content)
    with pytest.raises(BeirError, match=message):
        read_qrels(path)


def test_a_folder_without_its_files_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BeirError, match=r"is not a BEIR folder: corpus.jsonl is missing"):
        load_beir(tmp_path)
    (tmp_path / "corpus.jsonl").write_text("{}\n")
    (tmp_path / "queries.jsonl").write_text('{"_id": "q"}\n')
    (tmp_path / "qrels").mkdir()
    (tmp_path / "qrels" / "test.tsv").write_text("q\td\t1\n")
    with pytest.raises(BeirError, match=r"queries.jsonl:1: not a query record"):
        load_beir(tmp_path)


def test_passages_map_to_documents_with_duplicates_and_best_rank_only() -> None:
    external = {"d-a": "A", "d-b": "B", "d-c": "C", "d-dup": "DUP"}
    results = [_result(1, "d-a"), _result(2, "d-b", "d-dup"), _result(3, "d-a"), _result(4, "d-c"), _result(5, "d-x")]
    # d-a's second passage adds nothing; the duplicate's document follows the passage that stands for it;
    # a document without a benchmark id (d-x) is left out.
    assert document_ids(results, external) == ["A", "B", "DUP", "C"]


def test_the_tiny_benchmark_end_to_end(tiny_beir: Path, tiny_beir_engine: Engine) -> None:
    data = load_beir(tiny_beir)
    store = tiny_beir_engine.index.store
    external = store.external_ids()
    # The duplicated document was folded into one passage that remembers the other copy.
    copies = [p for p in store.passages() if p.also_at]
    assert len(copies) == 1
    assert {external[copies[0].doc_id], *(external[loc.doc_id] for loc in copies[0].also_at)} == {"b3", "b7"}
    # The two-paragraph document is two passages of one document.
    assert sum(external[p.doc_id] == "b9" for p in store.passages()) == 2

    run = run_beir(tiny_beir_engine, data, Mode.HYBRID, depth=20)
    assert set(run.ranking) == set(data.queries)
    for ranked in run.ranking.values():
        assert len(ranked) == len(set(ranked))  # each document once
    assert run.ranking["q1"][:2] in (["b3", "b7"], ["b7", "b3"])  # both copies of the tide passage, at the top
    assert run.ranking["q3"][0] == "b9"
    assert run.scores["recall@10"]["q1"] == 1.0
    assert run.mean("ndcg@10") is not None and 0 < run.mean("ndcg@10") <= 1  # type: ignore[operator]
    assert all(run.leaderboard[q] >= run.scores["ndcg@10"][q] - 1e-9 for q in run.leaderboard)
    assert run.p50_ms is not None and run.p99_ms >= run.p50_ms  # type: ignore[operator]


def test_the_cache_is_keyed_by_the_corpus_bytes_and_reused(tiny_beir: Path, tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    first, built = cached_index(tiny_beir / "corpus.jsonl", tmp_path, embedder, progress=False)
    assert built and first == tmp_path / f"beir-{corpus_key(tiny_beir / 'corpus.jsonl')}"
    assert len(corpus_key(tiny_beir / "corpus.jsonl")) == 16
    again, built_again = cached_index(tiny_beir / "corpus.jsonl", tmp_path, embedder, progress=False)
    assert (again, built_again) == (first, False)
    assert cached_index(tiny_beir / "corpus.jsonl", tmp_path, embedder, progress=False, rebuild=True) == (first, True)
    assert load_index(again).manifest.model == embedder.name


def test_trec_runs_round_trip(tmp_path: Path) -> None:
    ranking = {"q1": ["d3", "d1", "d3", "d2"], "q2": ["d9"]}
    path = tmp_path / "runs" / "run.trec"
    assert write_trec(path, ranking, "cited-hybrid") == 4
    lines = path.read_text().splitlines()
    assert lines[0] == "q1 Q0 d3 1 3 cited-hybrid"
    assert lines[2] == "q1 Q0 d2 3 1 cited-hybrid"
    assert lines[3] == "q2 Q0 d9 1 1 cited-hybrid"
    scores = [float(line.split()[4]) for line in lines[:3]]
    assert scores == sorted(scores, reverse=True)  # trec_eval sorts by score: it must keep our order
    assert [line.split()[2] for line in lines[:3]] == ["d3", "d1", "d2"]  # a repeated document keeps its best rank
    with pytest.raises(ValueError, match="one word"):
        write_trec(path, ranking, "two words")

"""`cited eval` through cli.main.main, over the tiny hashing-encoder indexes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cli.main import main


def test_gold_eval_prints_every_table(tiny_index: Path, tiny_gold: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--index", str(tiny_index), "--gold", str(tiny_gold)]) == 0
    out = capsys.readouterr().out
    assert "6 questions, 5 answerable, 1 unanswerable" in out
    for title in ("Summary", "hybrid: ranking by split and type", "hybrid: abstention (positive = should abstain)",
                  "hybrid: misses", "hybrid: list questions", "latency p99 ms"):
        assert title in out
    assert re.search(r"^mrr@10\s+\d\.\d{3}$", out, re.M)
    assert re.search(r"^split heldout\s+2\s", out, re.M)
    assert "follow-ups" in out


def test_mode_all_runs_three_modes_side_by_side_and_writes_json(
    tiny_index: Path, tiny_gold: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_json = tmp_path / "eval.json"
    code = main(["eval", "--index", str(tiny_index), "--gold", str(tiny_gold), "--mode", "all", "--split", "dev", "-k", "5", "--json", str(out_json)])
    assert code == 0
    out = capsys.readouterr().out
    assert re.search(r"^metric\s+dense\s+lexical\s+hybrid$", out, re.M)
    data = json.loads(out_json.read_text())
    assert list(data["modes"]) == ["dense", "lexical", "hybrid"]
    assert data["split"] == "dev" and data["k"] == 5
    questions = data["modes"]["hybrid"]["questions"]
    assert {q["id"] for q in questions} == {"t1", "t2", "t4", "t5"}
    assert all(len(q["ranked"]) <= 5 for q in questions)
    overall = data["modes"]["lexical"]["groups"]["all"]
    assert overall["answerable"] == 3 and 0 <= overall["mrr@10"] <= 1
    assert set(overall["abstention"]) >= {"true_positive", "false_positive", "precision", "recall"}


def test_report_folder_is_self_contained(tiny_index: Path, tiny_gold: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "report"
    assert main(["eval", "--index", str(tiny_index), "--gold", str(tiny_gold), "--mode", "all", "--report", str(folder)]) == 0
    capsys.readouterr()
    names = {p.name for p in folder.iterdir()}
    assert {"report.md", "report.html", "recall_at_k.png", "confidence.png", "latency.png"} <= names
    page = (folder / "report.html").read_text()
    images = re.findall(r'<img src="([^"]+)"', page)
    assert sorted(images) == ["confidence.png", "latency.png", "recall_at_k.png"]
    assert all((folder / src).read_bytes().startswith(b"\x89PNG") for src in images)
    assert "http://" not in page and "https://" not in page and "<script" not in page
    markdown = (folder / "report.md").read_text()
    assert "![" in markdown and "(recall_at_k.png)" in markdown and "| metric | dense | lexical | hybrid |" in markdown


def test_beir_eval_writes_a_trec_run_per_mode(tiny_beir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_out = tmp_path / "runs" / "tiny.trec"
    args = ["eval", "--beir", str(tiny_beir), "--mode", "all", "--model", "hashing-bow", "--cache", str(tmp_path / "cache"),
            "--run-out", str(run_out), "--depth", "20", "-q"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "nDCG@10 (standard, ranx)" in out and "nDCG@10 (leaderboard form)" in out
    assert "built now" in out
    for mode in ("dense", "lexical", "hybrid"):
        lines = (tmp_path / "runs" / f"tiny.{mode}.trec").read_text().splitlines()
        assert lines and all(line.endswith(f" cited-{mode}") for line in lines)
        assert {line.split()[0] for line in lines} == {"q1", "q2", "q3", "q4"}
    assert main([*args[:3], "--model", "hashing-bow", "--cache", str(tmp_path / "cache"), "-q"]) == 0
    assert "cached" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--beir", "somewhere", "--gold", "g.jsonl"], "--gold and --beir exclude each other"),
        (["--run-out", "x.trec"], "--run-out and --rebuild are for a BEIR benchmark"),
        (["--rebuild"], "--run-out and --rebuild are for a BEIR benchmark"),
        (["--beir", "somewhere", "--split", "dev"], "--split applies to gold questions"),
        (["-k", "0"], "-k must be at least 1"),
        (["--across", "var/collections", "--mode", "dense"], "--mode does not apply to it"),
        (["--across", "var/collections", "--split", "dev", "-k", "5"], "--split, -k do not apply to it"),
    ],
)
def test_option_mistakes_are_one_line_errors(extra: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cited eval: ") and message in err


def test_a_bad_gold_file_names_its_line(tiny_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold = tmp_path / "bad.jsonl"
    gold.write_text('{"id": "a", "question": "Q?", "type": "factoid", "evidence": ["x"]}\n{"id": "b", "question": "Q?", "type": "riddle"}\n')
    assert main(["eval", "--index", str(tiny_index), "--gold", str(gold)]) == 2
    err = capsys.readouterr().err
    assert f"{gold}:2 (b): 'type' is \"riddle\"" in err


def test_a_missing_index_says_how_to_build_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--index", str(tmp_path / "nothing")]) == 2
    assert "cited build" in capsys.readouterr().err


def test_engine_constants_can_be_overridden_for_one_run(tiny_index: Path, tiny_gold: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["eval", "--index", str(tiny_index), "--gold", str(tiny_gold), "--set", "rrf_k=10", "--set", "dense_weight=1.5"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "rrf_k=10," in out and "dense_weight=1.5," in out


@pytest.mark.parametrize(
    ("setting", "message"), [("rrf=10", "choose one of: fusion, dense_share, rrf_k, "), ("rrf_k", "NAME=VALUE"), ("rrf_k=ten", "takes a whole number, not 'ten'"),
     ("bm25_title=-0.5", "bm25_title takes a number of 0 or more, not '-0.5'"), ("bm25_context=nan", "bm25_context takes a number of 0 or more")]
)
def test_bad_engine_overrides_are_one_line_errors(tiny_index: Path, setting: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--index", str(tiny_index), "--set", setting]) == 2
    assert message in capsys.readouterr().err


def test_across_writes_its_table_as_json(tiny_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_json = tmp_path / "across.json"
    code = main(["eval", "--index", str(tiny_index), "--across", str(tmp_path / "no-collections"), "--json", str(out_json),
                 "--set", "rerank_depth=5"])
    assert code == 0
    assert re.search(r"^default\s+heldout\s", capsys.readouterr().out, re.M)
    data = json.loads(out_json.read_text())
    assert data["config"] == {"rerank_depth": "5"} and data["mode"] == "hybrid"
    assert [(r["collection"], r["split"]) for r in data["rows"]] == [("default", "dev"), ("default", "heldout")]
    assert all(0 <= r["mrr@10"] <= 1 and r["leaderboard"] is None for r in data["rows"])

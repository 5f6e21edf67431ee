"""Score retrieval on a gold question set or on a BEIR benchmark folder: a Report to print and a JSON payload."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from eval.beir import cached_index, corpus_key, load_beir, run_beir, write_trec
from eval.gold import load_gold, select
from eval.report import Report
from eval.runner import GoldRun, GroupSummary, QuestionOutcome, run_gold
from eval.tables import beir_report, gold_report
from index.config import EngineConfig, Mode
from index.embed import Embedder
from index.engine import Engine

PACKAGED_GOLD = "eval/gold/default.jsonl"
MIN_BEIR_DEPTH = 10  # nDCG@10 is computed over ten documents


class EvalError(ValueError):
    """Arguments that cannot be evaluated; one sentence."""


def evaluate_gold(
    index_dir: Path,
    gold_path: Path | None,
    modes: Sequence[Mode],
    split: str = "all",
    k: int = 10,
    config: EngineConfig = EngineConfig(),
    figures_dir: Path | None = None,
    backend: str | None = None,
) -> tuple[Report, dict[str, Any]]:
    """Run the gold questions of `split` (None: the packaged set) in each mode, queries encoded by `backend` (None:
    the index's own); figures go to `figures_dir`."""
    if k < 1:
        raise EvalError("k must be at least 1")
    questions = select(load_gold(gold_path), split)
    if not questions:
        raise EvalError(f"the gold file has no questions in the split '{split}'")
    engine = Engine.open(index_dir, config=config, backend=backend)
    try:
        runs = [run_gold(engine, questions, mode, k) for mode in modes]
        manifest = engine.index.manifest
        threshold = engine.abstention.threshold
        constants = config_line(engine.config)
    finally:
        engine.close()
    answerable = sum(q.answerable for q in questions)
    facts = [
        f"gold: {gold_path or PACKAGED_GOLD + ' (packaged)'} — split {split}: {len(questions)} questions, "
        f"{answerable} answerable, {len(questions) - answerable} unanswerable",
        f"index: {index_dir} — {manifest.passages} passages, {manifest.documents} documents, {manifest.model} ({manifest.backend}), built {manifest.built_at}",
        f"k = {k} passages per question; follow-ups made standalone as chat does",
        f"engine: {constants}",
    ]
    if figures_dir is not None:
        figures_dir.mkdir(parents=True, exist_ok=True)
    report = gold_report(runs, facts, threshold, figures_dir)
    payload = {
        "gold": str(gold_path or PACKAGED_GOLD),
        "index": str(index_dir),
        "split": split,
        "k": k,
        "abstention_threshold": threshold,
        "modes": {run.mode.value: _run_json(run) for run in runs},
    }
    return report, payload


def evaluate_beir(
    beir_dir: Path,
    modes: Sequence[Mode],
    embedder: Embedder,
    config: EngineConfig = EngineConfig(),
    *,
    depth: int = 100,
    cache: Path = Path("var/cache"),
    rebuild: bool = False,
    run_out: Path | None = None,
    figures_dir: Path | None = None,
    progress: bool = True,
) -> tuple[Report, dict[str, Any]]:
    """Score a BEIR folder on its qrels/test.tsv over an index cached by corpus checksum under `cache`.

    `run_out`: write each mode's run in TREC format (FILE.MODE.EXT when there are several modes)."""
    data = load_beir(beir_dir)
    if depth < MIN_BEIR_DEPTH:
        raise EvalError(f"the depth must be at least {MIN_BEIR_DEPTH} to fill ten documents")
    index_dir, built = cached_index(data.corpus, cache, embedder, progress=progress, rebuild=rebuild)
    engine = Engine.open(index_dir, embedder, config)
    try:
        runs = [run_beir(engine, data, mode, depth, progress=progress) for mode in modes]
        manifest = engine.index.manifest
        constants = config_line(engine.config)
    finally:
        engine.close()
    judged = len(data.judged_queries)
    facts = [
        f"benchmark: {beir_dir} — {len(data.queries)} queries, {judged} with judgements (scored), "
        f"{sum(len(v) for v in data.qrels.values())} relevance judgements",
        f"index: {index_dir} ({'built now' if built else 'cached'}; corpus sha256 {corpus_key(data.corpus)}…) — "
        f"{manifest.passages} passages from {manifest.documents} documents, {manifest.model}",
        f"{depth} passages retrieved per query, mapped to benchmark documents (duplicates included, best rank kept)",
        f"engine: {constants}",
    ]
    missing = [q for q in data.qrels if q not in data.queries]
    if missing:
        facts.append(f"{len(missing)} judged queries have no text in queries.jsonl and score 0: {', '.join(missing[:5])}")
    if run_out is not None:
        for run in runs:
            out = run_out if len(runs) == 1 else run_out.with_name(f"{run_out.stem}.{run.mode}{run_out.suffix}")
            lines = write_trec(out, run.ranking, f"cited-{run.mode}")
            facts.append(f"TREC run ({run.mode}): {out} ({lines} lines)")
    if figures_dir is not None:
        figures_dir.mkdir(parents=True, exist_ok=True)
    report = beir_report(runs, data, facts, figures_dir)
    payload = {
        "benchmark": str(beir_dir),
        "index": str(index_dir),
        "depth": depth,
        "modes": {
            run.mode.value: {
                "mean": {m: run.mean(m) for m in (*run.scores, "leaderboard_ndcg@10")},
                "latency_p50_ms": run.p50_ms,
                "latency_p99_ms": run.p99_ms,
                "per_query": {m: run.scores[m] for m in run.scores} | {"leaderboard_ndcg@10": run.leaderboard},
            }
            for run in runs
        },
    }
    return report, payload


def config_line(config: EngineConfig) -> str:
    """The engine constants the figures were measured with, so that a report can be traced to them."""
    return ", ".join(f"{name}={value}" for name, value in asdict(config).items())


def _run_json(run: GoldRun) -> dict[str, Any]:
    return {"groups": {s.label: _summary_json(s) for s in run.groups()}, "questions": [_outcome_json(o) for o in run.outcomes]}


def _summary_json(s: GroupSummary) -> dict[str, Any]:
    a = s.abstention
    return {
        "questions": s.questions, "answerable": s.answerable, **s.metrics, "list_coverage@10": s.coverage,
        "answer_holds_answer": s.answer_holds, "answers_judged": s.answers_judged,
        "abstention": {**asdict(a), "precision": a.precision, "recall": a.recall},
        "latency_p50_ms": s.p50_ms, "latency_p99_ms": s.p99_ms,
    }


def _outcome_json(o: QuestionOutcome) -> dict[str, Any]:
    return {
        "id": o.question.id, "type": o.question.type.value, "split": o.question.split.value,
        "question": o.question.question, "searched": o.searched, "first_relevant_rank": o.first_relevant,
        "relevant_passages": sorted(o.relevant), "ranked": [p.passage_id for p in o.ranked],
        "list_coverage@10": o.coverage, "abstained": o.abstained, "confidence": o.confidence, "took_ms": o.took_ms,
        "scores": o.scores, "unmatched_evidence": list(o.unmatched_evidence),
        "answer": o.answer, "answer_holds_answer": o.answer_holds,
    }

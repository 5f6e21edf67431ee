"""`cited eval`: score retrieval on a gold question set, or on a BEIR benchmark folder."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from eval.report import Report


class EvalError(ValueError):
    """A combination of options that cannot be evaluated; printed as one line by `cited`."""


def register(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    p = command("eval", cmd_eval, "score retrieval on the gold questions or on a BEIR benchmark")
    p.add_argument("--gold", type=Path, metavar="FILE", help="gold questions, JSONL (default: the packaged eval/gold/default.jsonl)")
    p.add_argument("--beir", type=Path, metavar="DIR", help="a BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv) instead")
    p.add_argument("--mode", default="hybrid", choices=["hybrid", "dense", "lexical", "all"], help="'all': the three side by side")
    p.add_argument("--split", default="all", choices=["dev", "heldout", "all"], help="gold questions to run (default all)")
    p.add_argument("-k", type=int, default=10, metavar="N", help="passages retrieved per gold question (default 10)")
    p.add_argument("--json", type=Path, metavar="OUT", help="write every figure and every question's outcome as JSON")
    p.add_argument("--report", type=Path, metavar="DIR", help="write report.md, report.html and PNG figures")
    p.add_argument("--run-out", type=Path, metavar="FILE", help="BEIR: write the run in TREC format (one file per mode with --mode all)")
    p.add_argument("--depth", type=int, default=100, metavar="N", help="BEIR: passages retrieved per query, to fill 10 documents (default 100)")
    p.add_argument("--cache", type=Path, default=Path("var/cache"), metavar="DIR", help="BEIR: where benchmark indexes are kept (default var/cache)")
    p.add_argument("--rebuild", action="store_true", help="BEIR: rebuild the cached index (after a change to the corpus pipeline)")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override an EngineConfig constant for this run, e.g. --set rrf_k=10 (repeatable)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    p.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2", help=argparse.SUPPRESS)  # BEIR index encoder


def cmd_eval(args: argparse.Namespace) -> int:
    if args.k < 1:
        raise EvalError("-k must be at least 1")
    if args.beir is not None:
        if args.gold is not None:
            raise EvalError("--gold and --beir exclude each other: a run scores one question set")
        if args.split != "all":
            raise EvalError("--split applies to gold questions; a BEIR folder is scored on its qrels/test.tsv")
        return _beir(args)
    if args.run_out is not None or args.rebuild:
        raise EvalError("--run-out and --rebuild are for a BEIR benchmark; give --beir DIR")
    return _gold(args)


def _finish(report: Report, payload: dict[str, Any], args: argparse.Namespace) -> None:
    print(report.text())
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"\nJSON written to {args.json}")
    if args.report is not None:
        written = report.write(args.report)
        print(f"report written to {', '.join(map(str, written))}")


def _gold(args: argparse.Namespace) -> int:
    from eval.gold import load_gold, select
    from eval.runner import modes_for, run_gold
    from eval.tables import gold_report
    from index.engine import Engine

    questions = select(load_gold(args.gold), args.split)
    if not questions:
        raise EvalError(f"the gold file has no questions in the split '{args.split}'")
    engine = Engine.open(args.index, config=engine_config(args.set))
    try:
        runs = [run_gold(engine, questions, mode, args.k) for mode in modes_for(args.mode)]
        manifest = engine.index.manifest
        threshold = engine.config.min_confidence
        config = _config_line(engine.config)
    finally:
        engine.close()
    answerable = sum(q.answerable for q in questions)
    facts = [
        f"gold: {args.gold or 'eval/gold/default.jsonl (packaged)'} — split {args.split}: {len(questions)} questions, "
        f"{answerable} answerable, {len(questions) - answerable} unanswerable",
        f"index: {args.index} — {manifest.passages} passages, {manifest.documents} documents, {manifest.model}, built {manifest.built_at}",
        f"k = {args.k} passages per question; follow-ups made standalone as chat does",
        f"engine: {config}",
    ]
    if args.report is not None:
        args.report.mkdir(parents=True, exist_ok=True)
    report = gold_report(runs, facts, threshold, args.report)
    payload = {
        "gold": str(args.gold or "eval/gold/default.jsonl"),
        "index": str(args.index),
        "split": args.split,
        "k": args.k,
        "min_confidence": threshold,
        "modes": {
            run.mode.value: {
                "groups": {s.label: _summary_json(s) for s in run.groups()},
                "questions": [_outcome_json(o) for o in run.outcomes],
            }
            for run in runs
        },
    }
    _finish(report, payload, args)
    return 0


def engine_config(overrides: list[str]) -> Any:
    """EngineConfig with NAME=VALUE overrides, each converted to the type of the constant's default."""
    from index.config import EngineConfig

    pairs = {}
    for item in overrides:
        name, sep, raw = item.partition("=")
        if not sep:
            raise EvalError(f"--set takes NAME=VALUE, not '{item}'")
        pairs[name.strip()] = raw
    try:
        return EngineConfig().with_overrides(pairs)
    except ValueError as exc:
        raise EvalError(f"--set: {exc}") from None


def _config_line(config: Any) -> str:
    """The engine constants the figures were measured with, so that a report can be traced to them."""
    return ", ".join(f"{name}={value}" for name, value in asdict(config).items())


def _summary_json(s: Any) -> dict[str, Any]:
    a = s.abstention
    return {
        "questions": s.questions, "answerable": s.answerable, **s.metrics, "list_coverage@10": s.coverage,
        "abstention": {**asdict(a), "precision": a.precision, "recall": a.recall},
        "latency_p50_ms": s.p50_ms, "latency_p99_ms": s.p99_ms,
    }


def _outcome_json(o: Any) -> dict[str, Any]:
    return {
        "id": o.question.id, "type": o.question.type.value, "split": o.question.split.value,
        "question": o.question.question, "searched": o.searched, "first_relevant_rank": o.first_relevant,
        "relevant_passages": sorted(o.relevant), "ranked": [p.passage_id for p in o.ranked],
        "list_coverage@10": o.coverage, "abstained": o.abstained, "confidence": o.confidence, "took_ms": o.took_ms,
        "scores": o.scores, "unmatched_evidence": list(o.unmatched_evidence),
    }


def _beir(args: argparse.Namespace) -> int:
    from eval.beir import cached_index, corpus_key, load_beir, run_beir, write_trec
    from eval.runner import modes_for
    from eval.tables import beir_report
    from index.embed import embedder_for
    from index.engine import Engine

    data = load_beir(args.beir)
    if args.depth < 10:
        raise EvalError("--depth must be at least 10 to fill ten documents")
    embedder = embedder_for(args.model)
    index_dir, built = cached_index(data.corpus, args.cache, embedder, progress=not args.quiet, rebuild=args.rebuild)
    engine = Engine.open(index_dir, embedder, engine_config(args.set))
    try:
        runs = [run_beir(engine, data, mode, args.depth, progress=not args.quiet) for mode in modes_for(args.mode)]
        manifest = engine.index.manifest
        config = _config_line(engine.config)
    finally:
        engine.close()
    judged = len(data.judged_queries)
    facts = [
        f"benchmark: {args.beir} — {len(data.queries)} queries, {judged} with judgements (scored), "
        f"{sum(len(v) for v in data.qrels.values())} relevance judgements",
        f"index: {index_dir} ({'built now' if built else 'cached'}; corpus sha256 {corpus_key(data.corpus)}…) — "
        f"{manifest.passages} passages from {manifest.documents} documents, {manifest.model}",
        f"{args.depth} passages retrieved per query, mapped to benchmark documents (duplicates included, best rank kept)",
        f"engine: {config}",
    ]
    missing = [q for q in data.qrels if q not in data.queries]
    if missing:
        facts.append(f"{len(missing)} judged queries have no text in queries.jsonl and score 0: {', '.join(missing[:5])}")
    for run in runs:
        if args.run_out is not None:
            out = args.run_out if len(runs) == 1 else args.run_out.with_name(f"{args.run_out.stem}.{run.mode}{args.run_out.suffix}")
            lines = write_trec(out, run.ranking, f"cited-{run.mode}")
            facts.append(f"TREC run ({run.mode}): {out} ({lines} lines)")
    if args.report is not None:
        args.report.mkdir(parents=True, exist_ok=True)
    report = beir_report(runs, data, facts, args.report)
    payload = {
        "benchmark": str(args.beir),
        "index": str(index_dir),
        "depth": args.depth,
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
    _finish(report, payload, args)
    return 0


if __name__ == "__main__":  # pragma: no cover - `cited eval` is the way in
    from service.cli import main

    sys.exit(main(["eval", *sys.argv[1:]]))

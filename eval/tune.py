"""Choosing engine constants across collections: every candidate setting is scored on the development split of
each collection (gold sets, and the even-numbered judged queries of a BEIR benchmark), pooled, and the held-out
splits are reported beside them, never used for the choice.

    python -m eval.tune [--collections var/collections] [--index var/index] [--beir DIR] --grid dense_share=0.5,0.6,0.7 --grid fusion=rrf

Each collection's index is loaded once; query vectors are encoded once per text and shared by every setting.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.beir import BeirSet, cached_index, load_beir, run_beir
from eval.gold import GoldQuestion, Split, load_gold
from eval.metrics import mean
from eval.runner import run_gold
from index.batching import QueryEncoder
from index.config import EngineConfig, Mode
from index.embed import BACKENDS, DEFAULT_BACKEND, MODEL_NAME, EmbeddingError, embedder_for
from index.engine import Engine
from index.manifest import IndexFolderError
from service.settings import load_settings

GOLD_DIR = Path(__file__).resolve().parent / "gold"
DEFAULT_INDEX = Path("var/index")


@dataclass(frozen=True)
class Target:
    """A collection to score: a gold set over an index, or a BEIR benchmark."""

    name: str
    index_dir: Path
    gold: Path | None = None
    beir: BeirSet | None = None


@contextlib.contextmanager
def remembering(index_dir: Path, **options: Any) -> Iterator[Engine]:
    """The engine over `index_dir` (`options` as Engine.open takes them), its encoder behind the service's query
    cache, large enough to keep every text of a run; closed when the run ends."""
    engine = Engine.open(index_dir, **options)
    engine.set_query_encoder(QueryEncoder(engine.encode_directly, cache_size=1 << 16, wait_ms=0).encode)
    try:
        yield engine
    finally:
        engine.close()


def targets(
    collections: Path, beir: Path | None, cache: Path, index_dir: Path = DEFAULT_INDEX, backend: str = DEFAULT_BACKEND
) -> list[Target]:
    """The bundled page (at `index_dir`), every built development collection with a gold set, and the BEIR
    benchmark if given, its index built by `backend` (each gold index is searched by the backend it was built by)."""
    found = [Target("default", index_dir, GOLD_DIR / "default.jsonl")]
    for index_dir in sorted(collections.glob("*/index")):
        gold = GOLD_DIR / f"{index_dir.parent.name}.jsonl"
        if gold.is_file():
            found.append(Target(index_dir.parent.name, index_dir, gold))
    if beir is not None:
        data = load_beir(beir)
        index_dir, _ = cached_index(data.corpus, cache, embedder_for(MODEL_NAME, backend), progress=True)
        found.append(Target(beir.name, index_dir, beir=data))
    return found


def target_options(parser: argparse.ArgumentParser, beir: bool = True) -> None:
    """The options that say where `targets` finds the collections: --collections, --index, and --beir with its
    --cache."""
    parser.add_argument("--collections", type=Path, default=Path("var/collections"))
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help=f"the bundled page's index (default {DEFAULT_INDEX})")
    if beir:
        parser.add_argument("--beir", type=Path, help="a BEIR folder; its even-numbered judged queries are its dev split")
        parser.add_argument("--cache", type=Path, default=Path("var/cache"))


def said(prog: str, main: Callable[[], int]) -> int:
    """`main`, with a missing or unreadable index or model said in one line and exit status 2, as `cited` says it."""
    try:
        return main()
    except (IndexFolderError, EmbeddingError) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2


def settings(grid: Mapping[str, Sequence[str]]) -> Iterator[EngineConfig]:
    names = list(grid)
    for values in itertools.product(*(grid[n] for n in names)):
        yield EngineConfig().with_overrides(dict(zip(names, values, strict=True)))


def _gold_figures(engine: Engine, questions: Sequence[GoldQuestion], mode: Mode) -> dict[str, dict[str, float | None]]:
    run = run_gold(engine, questions, mode, k=10)
    out = {}
    for split in Split:
        summary = run.summarise(split.value, lambda o, s=split: o.question.split is s)
        a = summary.abstention
        out[split.value] = {
            "hit@1": summary.metrics.get("hit@1"), "hit@5": summary.metrics.get("hit@5"), "mrr@10": summary.metrics.get("mrr@10"),
            "ndcg@10": summary.metrics.get("ndcg@10"), "abstain": a.recall,
            "false": float(a.false_positive) / max(1, summary.answerable),
            "answer": summary.answer_holds,
        }
    return out


def _beir_figures(engine: Engine, data: BeirSet, mode: Mode) -> dict[str, dict[str, float | None]]:
    run = run_beir(engine, data, mode, depth=100)
    judged = data.judged_queries
    halves = {"dev": judged[0::2], "heldout": judged[1::2]}
    return {
        split: {"ndcg@10": mean(run.scores["ndcg@10"][q] for q in qids), "leaderboard": mean(run.leaderboard[q] for q in qids)}
        for split, qids in halves.items()
    }


def score(target: Target, configs: Sequence[EngineConfig], modes: Sequence[Mode]) -> list[dict]:
    rows = []
    with remembering(target.index_dir) as base:
        questions = load_gold(target.gold) if target.gold else []
        for config in configs:
            engine = Engine(base.index, base.embedder, config)
            engine.set_query_encoder(base.query_encoder)
            for mode in modes:
                figures = _gold_figures(engine, questions, mode) if target.gold else _beir_figures(engine, target.beir, mode)  # type: ignore[arg-type]
                rows.append({"target": target.name, "config": config, "mode": mode.value, **figures})
    return rows


_ACROSS_COLUMNS = ("hit@1", "hit@5", "mrr@10", "ndcg@10", "leaderboard", "abstain", "false", "answer")


def across(
    collections: Path, beir: Path | None, cache: Path, config: EngineConfig, index_dir: Path = DEFAULT_INDEX,
    backend: str = DEFAULT_BACKEND,
) -> tuple[str, list[dict]]:
    """The hybrid figures of every collection and split, for `cited eval --across`: one table, and the same
    figures as rows ({"collection", "split", and a value or None per column}) for its JSON."""
    found = targets(collections, beir, cache, index_dir, backend)
    scored = [row for target in found for row in score(target, [config], [Mode.HYBRID])]
    rows = [
        {"collection": row["target"], "split": split, **{c: row[split].get(c) for c in _ACROSS_COLUMNS}}
        for row in scored for split in ("dev", "heldout")
    ]
    lines = [f"{'collection':<18} {'split':<8} " + " ".join(f"{c:>11}" for c in _ACROSS_COLUMNS)]
    for row in rows:
        cells = [f"{row[c]:>11.3f}" if row[c] is not None else f"{'—':>11}" for c in _ACROSS_COLUMNS]
        lines.append(f"{row['collection']:<18} {row['split']:<8} " + " ".join(cells))
    notes = (
        "hit@k, MRR@10, nDCG@10 over answerable gold questions (BEIR: nDCG@10 standard and leaderboard form, dev = "
        "even-numbered judged queries); abstain: share of unanswerable questions abstained on; false: share of "
        "answerable ones abstained on; answer: share of answerable questions whose /api/ask answer holds the answer."
    )
    return "\n".join([*lines, "", notes]), rows


def _label(config: EngineConfig, grid: Mapping[str, Sequence[str]]) -> str:
    return " ".join(f"{n}={getattr(config, n)}" for n in grid) or "defaults"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.tune", description=__doc__.split("\n\n")[0])
    target_options(parser)
    parser.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2", help="values to try (repeatable)")
    parser.add_argument("--mode", action="append", choices=[m.value for m in Mode], help="modes (default hybrid)")
    parser.add_argument("--backend", choices=BACKENDS, default=None, help="how the model runs for --beir (default onnx, env CITED_BACKEND)")
    args = parser.parse_args(argv)
    grid = {name: values.split(",") for name, _, values in (g.partition("=") for g in args.grid)}
    try:
        configs = list(settings(grid)) or [EngineConfig()]
        backend = args.backend or load_settings().backend
    except ValueError as exc:
        print(f"eval.tune: {exc}", file=sys.stderr)
        return 2
    modes = [Mode.parse(m) for m in args.mode or ["hybrid"]]
    rows = [row for target in targets(args.collections, args.beir, args.cache, args.index, backend) for row in score(target, configs, modes)]
    for split in ("dev", "heldout"):
        print(f"\n== {split} ==")
        for config, mode in itertools.product(configs, modes):
            cells = []
            pooled = []
            for row in rows:
                if row["config"] is config and row["mode"] == mode.value:
                    f = row[split]
                    main_figure = f.get("mrr@10") if "mrr@10" in f else f.get("ndcg@10")
                    pooled.append(main_figure or 0.0)
                    cells.append(f"{row['target']}: " + " ".join(f"{k} {v:.3f}" for k, v in f.items() if v is not None))
            print(f"{_label(config, grid)} [{mode.value}] pooled {np.mean(pooled):.3f}")
            for cell in cells:
                print(f"    {cell}")
    return 0


if __name__ == "__main__":
    sys.exit(said("python -m eval.tune", main))

"""`cited eval`: score retrieval on the gold questions or on a BEIR folder (eval/evaluate.py), print and write the report."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from cli.common import Subcommands, UserError, add_command, name_values
from index.config import EngineConfig
from service.settings import Settings

# The defaults of the options that --across leaves as they are (it prints hybrid figures at k 10 for every split).
DEFAULT_MODE, DEFAULT_SPLIT, DEFAULT_K = "hybrid", "all", 10


def register(sub: Subcommands) -> None:
    p = add_command(sub, "eval", evaluate, "score retrieval on the gold questions or on a BEIR benchmark")
    p.add_argument("--gold", type=Path, metavar="FILE", help="gold questions, JSONL (default: the packaged eval/gold/default.jsonl)")
    p.add_argument("--beir", type=Path, metavar="DIR", help="a BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv) instead")
    p.add_argument("--across", type=Path, metavar="DIR",
                   help="one table over the index's gold set, every collection under DIR with a gold set (python -m "
                        "eval.collections builds them) and --beir if given, by split")
    p.add_argument("--mode", default=DEFAULT_MODE, choices=["hybrid", "dense", "lexical", "all"], help="'all': the three side by side")
    p.add_argument("--split", default=DEFAULT_SPLIT, choices=["dev", "heldout", "all"], help="gold questions to run (default all)")
    p.add_argument("-k", type=int, default=DEFAULT_K, metavar="N", help="passages retrieved per gold question (default 10)")
    p.add_argument("--json", type=Path, metavar="OUT", help="write every figure and every question's outcome as JSON")
    p.add_argument("--report", type=Path, metavar="DIR", help="write report.md, report.html and PNG figures")
    p.add_argument("--run-out", type=Path, metavar="FILE", help="BEIR: write the run in TREC format (one file per mode with --mode all)")
    p.add_argument("--depth", type=int, default=100, metavar="N", help="BEIR: passages retrieved per query, to fill 10 documents (default 100)")
    p.add_argument("--cache", type=Path, default=Path("var/cache"), metavar="DIR", help="BEIR: where benchmark indexes are kept (default var/cache)")
    p.add_argument("--rebuild", action="store_true", help="BEIR: rebuild the cached index (after a change to the corpus pipeline)")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override an EngineConfig constant for this run, e.g. --set rrf_k=10 (repeatable)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    p.add_argument("--model", default=None, help=argparse.SUPPRESS)  # BEIR index encoder; default the setting CITED_MODEL


def evaluate(args: argparse.Namespace, settings: Settings) -> int:
    from eval.evaluate import MIN_BEIR_DEPTH, evaluate_beir, evaluate_gold
    from eval.runner import modes_for

    if args.k < 1:
        raise UserError("-k must be at least 1")
    if args.across is not None:
        ignored = [name for name, given in (
            ("--gold", args.gold is not None), ("--mode", args.mode != DEFAULT_MODE), ("--split", args.split != DEFAULT_SPLIT),
            ("-k", args.k != DEFAULT_K), ("--report", args.report is not None), ("--run-out", args.run_out is not None),
        ) if given]
        if ignored:
            raise UserError(f"--across prints the {DEFAULT_MODE} figures of every collection and split at k {DEFAULT_K}; "
                            f"{', '.join(ignored)} {'does' if len(ignored) == 1 else 'do'} not apply to it")
    if args.beir is None and (args.run_out is not None or args.rebuild):
        raise UserError("--run-out and --rebuild are for a BEIR benchmark; give --beir DIR")
    if args.beir is not None:
        if args.gold is not None:
            raise UserError("--gold and --beir exclude each other: a run scores one question set")
        if args.split != "all":
            raise UserError("--split applies to gold questions; a BEIR folder is scored on its qrels/test.tsv")
        if args.depth < MIN_BEIR_DEPTH:
            raise UserError(f"--depth must be at least {MIN_BEIR_DEPTH} to fill ten documents")
    config = _engine_config(args.set)
    if args.across is not None:
        from eval.tune import across

        table, rows = across(args.across, args.beir, args.cache, config, settings.index_dir, settings.backend)
        print(table)
        if args.json is not None:
            _write_json(args.json, {"across": str(args.across), "beir": None if args.beir is None else str(args.beir),
                                    "config": name_values(args.set, "--set"), "mode": DEFAULT_MODE, "rows": rows})
            print(f"\nJSON written to {args.json}")
        return 0
    modes = modes_for(args.mode)
    if args.beir is None:
        report, payload = evaluate_gold(
            settings.index_dir, args.gold, modes, args.split, args.k, config, figures_dir=args.report, backend=settings.backend
        )
    else:
        from index.embed import embedder_for

        report, payload = evaluate_beir(
            args.beir, modes, embedder_for(settings.model, settings.backend), config, depth=args.depth, cache=args.cache,
            rebuild=args.rebuild, run_out=args.run_out, figures_dir=args.report, progress=not args.quiet,
        )
    print(report.text())
    if args.json is not None:
        _write_json(args.json, payload)
        print(f"\nJSON written to {args.json}")
    if args.report is not None:
        written = report.write(args.report)
        print(f"report written to {', '.join(map(str, written))}")
    return 0


def _engine_config(overrides: list[str]) -> EngineConfig:
    try:
        return EngineConfig().with_overrides(name_values(overrides, "--set"))
    except ValueError as exc:
        raise UserError(f"--set: {exc}") from None


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")

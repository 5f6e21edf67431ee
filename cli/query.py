"""`cited search` and `cited ask`: the engine the service opens, asked from the terminal."""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from cli.common import Subcommands, add_command, positive, print_json
from index.config import Mode
from service.settings import Settings
from service.validation import MAX_K, check_question

if TYPE_CHECKING:  # the engine loads torch: imported when a command runs, so `cited --help` stays quick
    from index.engine import Engine
    from index.query import Query

T = TypeVar("T")


def register(sub: Subcommands) -> None:
    for name, handler, help_ in (("search", search, "ranked cited passages"), ("ask", ask, "an extractive answer")):
        p = add_command(sub, name, handler, help_)
        p.add_argument("question")
        p.add_argument("-k", type=int, default=5, choices=range(1, MAX_K + 1), metavar="N", help=f"results, 1..{MAX_K} (default 5)")
        p.add_argument("--mode", default=Mode.HYBRID.value, choices=[m.value for m in Mode])
        p.add_argument("--json", action="store_true", help="the JSON object of the HTTP API")
        # Default: the settings CITED_EF_SEARCH / CITED_NPROBE, else EngineConfig's.
        p.add_argument("--ef-search", type=positive, metavar="N", help="HNSW search breadth (default 64)")
        p.add_argument("--nprobe", type=positive, metavar="N", help="IVF-PQ lists probed (default 16)")


def _answer(args: argparse.Namespace, settings: Settings, verb: Callable[[Engine, Query, int], T]) -> T:
    """`verb` (Engine.search or Engine.ask) on the question of `args`, over the configured index."""
    from service.runtime import open_engine

    question = check_question(args.question.strip())
    engine = open_engine(settings)
    try:
        return verb(engine, engine.query(question, Mode.parse(args.mode)), args.k)
    finally:
        engine.close()


def search(args: argparse.Namespace, settings: Settings) -> int:
    from index.engine import Engine
    from service.present import search_dict

    outcome = _answer(args, settings, Engine.search)
    if args.json:
        return print_json(search_dict(outcome))
    if not outcome.answerable:
        print("The documents do not seem to answer this; the closest passages:")
    for r in outcome.results:
        print(f"{r.rank}. {r.score:.4f}  {r.passage.title} — {r.passage.source} [{r.passage.start}:{r.passage.end}]")
        if r.passage.context:
            print(textwrap.indent(textwrap.fill(r.passage.context, 100), "   | "))
        print(textwrap.indent(textwrap.fill(r.passage.text, 100), "   "))
        if r.highlight:
            print(textwrap.indent(textwrap.fill("» " + r.highlight.text, 100), "   "))
        print()
    print(f"({outcome.took_ms:.1f} ms)")
    return 0


def ask(args: argparse.Namespace, settings: Settings) -> int:
    from index.engine import Engine
    from service.present import answer_dict

    answer = _answer(args, settings, Engine.ask)
    if args.json:
        return print_json(answer_dict(answer))
    print(textwrap.fill(answer.answer, 100))
    print()
    print("Closest passages:" if answer.abstained else "Citations:")
    for c in answer.citations:
        p = c.result.passage
        print(f"[{c.n}] {p.title} — {p.source} [{p.start}:{p.end}] {p.passage_id}")
    return 0

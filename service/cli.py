"""The `cited` command: build, add, passages, aliases, search, ask, serve, eval, bench."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

from corpus.clean import CleaningRules
from corpus.store import StoreError

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "data"


class UserError(Exception):
    """A mistake the user can fix; printed as one line, exit status 2."""


def default_index() -> Path:
    return Path(os.environ.get("CITED_INDEX_DIR", "var/index"))


def expected_model() -> str:
    """The model queries are encoded with (env CITED_MODEL, as for `cited serve`); another index is refused."""
    from index.embed import MODEL_NAME

    return os.environ.get("CITED_MODEL") or MODEL_NAME


def _index_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", type=Path, default=None, help="index folder (default var/index, env CITED_INDEX_DIR)")


def _rules(args: argparse.Namespace) -> CleaningRules:
    return CleaningRules().extended(nav_lines=args.nav_line or (), ui_phrases=args.ui_phrase or ())


def _embedder(args: argparse.Namespace):
    from index.embed import embedder_for

    return embedder_for(args.model)


def cmd_build(args: argparse.Namespace) -> int:
    from index import vectors as vector_index
    from index.build import build_index

    paths = args.paths or [DEFAULT_CORPUS]
    kind = vector_index.IndexType.parse(args.index_type) if args.index_type else None
    result = build_index(paths, args.index, _embedder(args), rules=_rules(args), index_type=kind, progress=not args.quiet)
    for line in result.report.lines():
        print(line)
    m = result.manifest
    print(f"index               {args.index} ({m.passages} passages, {m.index_type}, {m.model}) in {result.seconds:.1f} s")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    from index.build import add_to_index

    result = add_to_index(args.paths, args.index, rules=_rules(args), progress=not args.quiet)
    for line in result.report.lines():
        print(line)
    print(f"index               {args.index} now holds {result.manifest.passages} passages")
    return 0


def cmd_passages(args: argparse.Namespace) -> int:
    from index.load import load_index
    from service.present import passage_dict

    loaded = load_index(args.index, verify_checksums=False)
    try:
        items = [passage_dict(p) for p in loaded.store.passages()]
    finally:
        loaded.close()
    if args.json:
        json.dump(items, sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        for item in items:
            context = f"  [{item['context'][:60]}]" if item["context"] else ""
            print(f"{item['passage_id']}  {item['start']}-{item['end']}{context}\n    {item['text'][:110]}")
    return 0


def cmd_aliases(args: argparse.Namespace) -> int:
    from index.load import load_index

    loaded = load_index(args.index, verify_checksums=False)
    aliases = loaded.aliases.aliases
    loaded.close()
    if args.json:
        json.dump([{"short": a.short, "long": a.long, "count": a.count} for a in aliases], sys.stdout, indent=1)
        print()
    else:
        width = max((len(a.short) for a in aliases), default=5)
        for a in aliases:
            print(f"{a.short:<{width}}  {a.long}  ({a.count}×)")
        if not aliases:
            print("no acronym definitions were found in this corpus")
    return 0


def _open_engine(args: argparse.Namespace):
    from index.config import EngineConfig
    from index.engine import Engine

    knobs = {name: getattr(args, name, None) for name in ("ef_search", "nprobe")}
    config = EngineConfig().with_overrides({name: value for name, value in knobs.items() if value is not None})
    return Engine.open(args.index, config=config, model=expected_model())


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _check_question(text: str) -> str:
    text = text.strip()
    if not text:
        raise UserError("the question is empty")
    if len(text) > 1000:
        raise UserError("the question is longer than 1,000 characters")
    return text


def cmd_search(args: argparse.Namespace) -> int:
    from index.config import Mode
    from service.present import search_dict

    engine = _open_engine(args)
    outcome = engine.search(engine.query(_check_question(args.question), Mode.parse(args.mode)), args.k)
    if args.json:
        json.dump(search_dict(outcome), sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
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


def cmd_ask(args: argparse.Namespace) -> int:
    from index.config import Mode
    from service.present import answer_dict

    engine = _open_engine(args)
    answer = engine.ask(engine.query(_check_question(args.question), Mode.parse(args.mode)), args.k)
    if args.json:
        json.dump(answer_dict(answer), sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    print(textwrap.fill(answer.answer, 100))
    print()
    print("Closest passages:" if answer.abstained else "Citations:")
    for c in answer.citations:
        p = c.result.passage
        print(f"[{c.n}] {p.title} — {p.source} [{p.start}:{p.end}] {p.passage_id}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from service.app import serve

    serve(host=args.host, port=args.port, index_dir=args.index)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cited", description="Answers questions with cited passages from your documents.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(handler=handler)
        _index_arg(p)
        return p

    for name, handler, help_ in (
        ("build", cmd_build, "build an index from documents (default: the bundled corpus)"),
        ("add", cmd_add, "add documents to an index without re-embedding what it holds"),
    ):
        p = command(name, handler, help_)
        p.add_argument("paths", nargs="*" if name == "build" else "+", help="files or folders (txt, md, html, pdf, BEIR jsonl)")
        p.add_argument("--nav-line", action="append", metavar="TEXT", help="another navigation line to drop (repeatable)")
        p.add_argument("--ui-phrase", action="append", metavar="TEXT", help="another fused UI phrase to strip (repeatable)")
        p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
        if name == "build":
            p.add_argument("--index-type", choices=["flat", "hnsw", "ivfpq"], help="vector index (default: by corpus size)")
            p.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2", help=argparse.SUPPRESS)

    p = command("passages", cmd_passages, "list the stored passages")
    p.add_argument("--json", action="store_true", help="a JSON list of passage objects")
    p = command("aliases", cmd_aliases, "print the acronym table mined from the corpus")
    p.add_argument("--json", action="store_true")

    for name, handler, help_ in (("search", cmd_search, "ranked cited passages"), ("ask", cmd_ask, "an extractive answer")):
        p = command(name, handler, help_)
        p.add_argument("question")
        p.add_argument("-k", type=int, default=5, choices=range(1, 51), metavar="N", help="results, 1..50 (default 5)")
        p.add_argument("--mode", default="hybrid", choices=["hybrid", "dense", "lexical"])
        p.add_argument("--json", action="store_true", help="the JSON object of the HTTP API")
        p.add_argument("--ef-search", type=_positive, metavar="N", help="HNSW search breadth (default 64)")
        p.add_argument("--nprobe", type=_positive, metavar="N", help="IVF-PQ lists probed (default 16)")

    p = command("serve", cmd_serve, "serve the web pages and the HTTP API")
    # Defaults come from service.settings (CITED_HOST, CITED_PORT), which checks them with a sentence.
    p.add_argument("--host", default=None, help="address to bind (default 127.0.0.1, env CITED_HOST)")
    p.add_argument("--port", type=int, default=None, help="port (default 8000, env CITED_PORT)")

    for extra in _plugins():
        extra(sub, command)
    return parser


def _plugins() -> list[Callable[..., None]]:
    """Subcommands that live beside their packages (eval, bench)."""
    found = []
    for module in ("eval.cli", "eval.bench"):
        try:
            found.append(__import__(module, fromlist=["register"]).register)
        except ImportError:
            continue
    return found


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s: %(message)s")
    if getattr(args, "index", None) is None:
        args.index = default_index()
    from index.embed import EmbeddingError
    from index.manifest import IndexFolderError

    try:
        return int(args.handler(args))
    except (UserError, IndexFolderError, StoreError, EmbeddingError, ValueError) as exc:
        print(f"cited {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"cited {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

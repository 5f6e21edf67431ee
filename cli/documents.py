"""`cited build`, `add`, `passages`, `aliases`: make an index from documents and look at what it holds."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import corpus
from cli.common import Subcommands, UserError, add_command, positive
from corpus.clean import CleaningRules
from service.settings import Settings

if TYPE_CHECKING:
    from index.build import BuildResult

BUNDLED_CORPUS = Path(corpus.__file__).resolve().parent / "data"


def register(sub: Subcommands) -> None:
    for name, handler, help_ in (
        ("build", build, "build an index from documents (default: the bundled corpus)"),
        ("add", add, "add documents to an index without re-embedding what it holds"),
    ):
        p = add_command(sub, name, handler, help_)
        p.add_argument("paths", type=Path, nargs="*" if name == "build" else "+", help="files or folders (txt, md, html, pdf, BEIR jsonl)")
        p.add_argument("--nav-line", action="append", default=[], metavar="TEXT", help="another navigation line to drop (repeatable)")
        p.add_argument("--ui-phrase", action="append", default=[], metavar="TEXT", help="another fused UI phrase to strip (repeatable)")
        p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
        if name == "build":
            p.add_argument("--index-type", choices=["flat", "hnsw", "ivfpq"], help="vector index (default: by corpus size)")
            # The encoder; default the setting CITED_MODEL, so that `cited serve` accepts the index built.
            p.add_argument("--model", default=None, help=argparse.SUPPRESS)
            p.add_argument("--ray", metavar="ADDRESS|local:N", help="build on a Ray cluster (local:N starts N worker nodes here)")
            p.add_argument("--shards", type=positive, default=1, help="split the index into this many shards (default 1)")

    p = add_command(sub, "sync", sync, "make the index match files: add new ones, re-index changed ones, remove gone ones")
    p.add_argument("paths", type=Path, nargs="+", help="files or folders; documents of files gone from under them are removed")
    p.add_argument("--model", default=None, help=argparse.SUPPRESS)  # the encoder of a first build (no index yet)
    p.add_argument("--nav-line", action="append", default=[], metavar="TEXT", help="another navigation line to drop (repeatable)")
    p.add_argument("--ui-phrase", action="append", default=[], metavar="TEXT", help="another fused UI phrase to strip (repeatable)")
    p = add_command(sub, "remove", remove, "remove documents from the index by id or by file or folder")
    p.add_argument("targets", nargs="+", metavar="DOC_ID|PATH", help="a document id (d-…) or the file or folder it came from")

    p = add_command(sub, "passages", passages, "list the stored passages")
    p.add_argument("--json", action="store_true", help="a JSON list of passage objects")
    p = add_command(sub, "aliases", aliases, "print the acronym table mined from the corpus")
    p.add_argument("--json", action="store_true")


def _rules(args: argparse.Namespace) -> CleaningRules:
    return CleaningRules().extended(nav_lines=args.nav_line, ui_phrases=args.ui_phrase)


def build(args: argparse.Namespace, settings: Settings) -> int:
    from index import vectors as vector_index
    from index.build import build_index
    from index.embed import embedder_for

    kind = vector_index.IndexType.parse(args.index_type) if args.index_type else None
    paths = args.paths or [BUNDLED_CORPUS]
    if args.ray:
        result = _build_on_ray(args, settings, paths, kind)
    else:
        result = build_index(
            paths, settings.index_dir, embedder_for(settings.model, settings.backend, near=settings.index_dir),
            rules=_rules(args), index_type=kind, progress=not args.quiet, shards=args.shards,
        )
    for line in result.report.lines():
        print(line)
    m = result.manifest
    print(f"index               {settings.index_dir} ({m.passages} passages, {m.index_type}, {m.model}, {m.backend}) in {result.seconds:.1f} s")
    return 0


def _build_on_ray(args: argparse.Namespace, settings: Settings, paths: list[Path], kind: object) -> BuildResult:
    from index.cluster import ClusterError, ClusterSpec, connected
    from index.ray_build import build_on_cluster

    try:
        with connected(ClusterSpec.parse(args.ray)):
            return build_on_cluster(
                paths, settings.index_dir, settings.model, backend=settings.backend, shards=args.shards, rules=_rules(args),
                index_type=kind, progress=not args.quiet,  # type: ignore[arg-type]
            )
    except ClusterError as exc:
        raise UserError(str(exc)) from None


def add(args: argparse.Namespace, settings: Settings) -> int:
    from index.build import add_to_index

    result = add_to_index(args.paths, settings.index_dir, rules=_rules(args), progress=not args.quiet)
    for line in result.report.lines():
        print(line)
    print(f"index               {settings.index_dir} now holds {result.manifest.passages} passages")
    return 0


def sync(args: argparse.Namespace, settings: Settings) -> int:
    from index.sync import sync_paths

    result = sync_paths(args.paths, settings.index_dir, rules=_rules(args), model=settings.model, backend=settings.backend)
    for line in result.lines():
        print(line)
    state = f"now holds {result.change.manifest.passages} passages" if result.change.manifest else "is unchanged"
    print(f"index      {settings.index_dir} {state}")
    return 0


def remove(args: argparse.Namespace, settings: Settings) -> int:
    from index.changes import apply_changes
    from index.load import load_index
    from index.sync import documents_named

    current = load_index(settings.index_dir, verify_checksums=False)
    try:
        doc_ids = documents_named(current.store, args.targets)
    finally:
        current.close()
    result = apply_changes(settings.index_dir, remove=doc_ids)
    print(f"removed    {len(result.removed)} documents")
    state = f"now holds {result.manifest.passages} passages" if result.manifest else "is unchanged"
    print(f"index      {settings.index_dir} {state}")
    return 0


def passages(args: argparse.Namespace, settings: Settings) -> int:
    from index.load import load_index
    from service.present import passage_dict

    loaded = load_index(settings.index_dir, verify_checksums=False)
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


def aliases(args: argparse.Namespace, settings: Settings) -> int:
    from index.load import load_index

    loaded = load_index(settings.index_dir, verify_checksums=False)
    try:
        found = loaded.aliases.aliases
    finally:
        loaded.close()
    if args.json:
        json.dump([{"short": a.short, "long": a.long, "count": a.count} for a in found], sys.stdout, indent=1)
        print()
    else:
        width = max((len(a.short) for a in found), default=5)
        for a in found:
            print(f"{a.short:<{width}}  {a.long}  ({a.count}×)")
        if not found:
            print("no acronym definitions were found in this corpus")
    return 0

"""The `cited` command: its parser, and one place that turns user mistakes into a one-line message."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from cli import bench, documents, evaluate, keys, query, serve
from cli.common import UserError
from corpus.store import StoreError
from index.embed import EmbeddingError
from index.manifest import IndexFolderError
from service.settings import Settings, load_settings

# Options that, when given, stand for the setting of the same name (the option --index for index_dir).
SETTING_OPTIONS = {"index": "index_dir", "model": "model", "backend": "backend", "host": "host", "port": "port", "ef_search": "ef_search", "nprobe": "nprobe"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cited", description="Answers questions with cited passages from your documents.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (documents, query, serve, evaluate, bench, keys):
        module.register(sub)
    return parser


def settings_for(args: argparse.Namespace) -> Settings:
    """The settings (CITED_* variables, then defaults) with the options given on the command line on top."""
    given = {setting: getattr(args, option, None) for option, setting in SETTING_OPTIONS.items()}
    return load_settings(**{name: value for name, value in given.items() if value is not None})


def main(argv: Sequence[str] | None = None) -> int:
    # The machines are offline: the bundled model must load without asking the Hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        return int(args.handler(args, settings_for(args)))
    except (UserError, IndexFolderError, StoreError, EmbeddingError, ValueError) as exc:
        print(f"cited {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"cited {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

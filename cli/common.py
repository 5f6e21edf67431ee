"""What every `cited` command shares: the user-error type, the --index option, and small argument types."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeAlias

from index.embed import BACKENDS, DEFAULT_BACKEND
from service.settings import Settings

Handler: TypeAlias = Callable[[argparse.Namespace, Settings], int]
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class UserError(Exception):
    """A mistake the user can fix; printed as one line, exit status 2."""


def add_command(sub: Subcommands, name: str, handler: Handler, help_: str) -> argparse.ArgumentParser:
    """A subcommand running `handler(args, settings)`, with the --index option every command takes."""
    parser = sub.add_parser(name, help=help_, description=help_)
    parser.set_defaults(handler=handler)
    parser.add_argument("--index", type=Path, default=None, help="index folder (default var/index, env CITED_INDEX_DIR)")
    parser.add_argument("--backend", choices=BACKENDS, default=None,
                        help=f"how the model runs (default {DEFAULT_BACKEND}, env CITED_BACKEND)")
    return parser


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def name_values(items: Iterable[str], flag: str) -> dict[str, str]:
    """NAME=VALUE strings of a repeatable option as a dict; a string without '=' is a UserError."""
    pairs = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UserError(f"{flag} takes NAME=VALUE, not '{item}'")
        pairs[name.strip()] = value
    return pairs


def print_json(payload: object) -> int:
    """`payload` as indented JSON on standard output; the exit status of a command that did so."""
    json.dump(payload, sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0

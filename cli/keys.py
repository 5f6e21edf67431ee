"""`cited keys add|remove|list`: the access keys a server with CITED_KEYS_FILE accepts (service/keys.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import Subcommands, UserError
from service.keys import KeyEntry, KeysFileError, Scope, add_key, read_keys, remove_key
from service.settings import Settings

DEFAULT_KEYS_FILE = Path("var/keys.toml")


def register(sub: Subcommands) -> None:
    keys = sub.add_parser("keys", help="add or remove access keys", description="Add or remove access keys.")
    verbs = keys.add_subparsers(dest="verb", required=True, metavar="VERB")
    add = verbs.add_parser("add", help="add a key and print it once", description="Add a key and print it once, alone on the last line.")
    add.set_defaults(handler=add_command)
    add.add_argument("name", help="a name for the key (letters, digits, '.', '_', '-')")
    add.add_argument(
        "--scope", action="append", required=True, choices=[s.value for s in Scope],
        help="what the key may do (repeatable): read, write (documents in and out), admin",
    )
    add.add_argument(
        "--source", action="append", default=None, metavar="GLOB",
        help="a glob of the document sources the key may see (repeatable; default: every document)",
    )
    remove = verbs.add_parser("remove", help="remove a key by name", description="Remove a key by name.")
    remove.set_defaults(handler=remove_command)
    remove.add_argument("name")
    listed = verbs.add_parser("list", help="the keys' names, scopes and sources", description="List the keys (never the keys themselves).")
    listed.set_defaults(handler=list_command)
    for parser in (add, remove, listed):
        parser.add_argument(
            "--keys-file", type=Path, default=None, metavar="PATH",
            help=f"the keys file (default: CITED_KEYS_FILE, else {DEFAULT_KEYS_FILE})",
        )


def _path(args: argparse.Namespace, settings: Settings) -> Path:
    return args.keys_file or settings.keys_file or DEFAULT_KEYS_FILE


def add_command(args: argparse.Namespace, settings: Settings) -> int:
    path = _path(args, settings)
    try:
        entry, key = add_key(path, args.name, args.scope, args.source)
    except KeysFileError as exc:
        raise UserError(str(exc)) from None
    print(f"added to {path} the key {_described(entry)}")
    print(f"a server reads it with CITED_KEYS_FILE={path}; the key is shown once, on the next line, and stored nowhere")
    print(key)
    return 0


def _described(entry: KeyEntry) -> str:
    sources = ", ".join(entry.sources) if entry.sources is not None else "every document"
    return f"'{entry.name}': scopes {', '.join(sorted(s.value for s in entry.scopes))}; sources {sources}"


def list_command(args: argparse.Namespace, settings: Settings) -> int:
    path = _path(args, settings)
    try:
        entries = read_keys(path)
    except KeysFileError as exc:
        raise UserError(str(exc)) from None
    for entry in entries:
        print(_described(entry))
    return 0


def remove_command(args: argparse.Namespace, settings: Settings) -> int:
    path = _path(args, settings)
    try:
        entry = remove_key(path, args.name)
    except KeysFileError as exc:
        raise UserError(str(exc)) from None
    print(f"removed the key '{entry.name}' from {path}; a running server refuses it from its next request")
    return 0

"""`cited serve`: the web pages and the HTTP API under uvicorn."""

from __future__ import annotations

import argparse

from cli.common import Subcommands, add_command
from service.settings import Settings


def register(sub: Subcommands) -> None:
    p = add_command(sub, "serve", serve, "serve the web pages and the HTTP API")
    # None: the setting decides (CITED_HOST, CITED_PORT), and checks the value with a sentence.
    p.add_argument("--host", default=None, help="address to bind (default 127.0.0.1, env CITED_HOST)")
    p.add_argument("--port", type=int, default=None, help="port (default 8000, env CITED_PORT)")


def serve(args: argparse.Namespace, settings: Settings) -> int:
    from service.app import serve as run

    run(settings)
    return 0

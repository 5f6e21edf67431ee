"""`cited serve`: the web pages and the HTTP API under uvicorn."""

from __future__ import annotations

import argparse

from cli.common import Subcommands, UserError, add_command, positive
from service.settings import Settings


def register(sub: Subcommands) -> None:
    p = add_command(sub, "serve", serve, "serve the web pages and the HTTP API")
    # None: the setting decides (CITED_HOST, CITED_PORT), and checks the value with a sentence.
    p.add_argument("--host", default=None, help="address to bind (default 127.0.0.1, env CITED_HOST)")
    p.add_argument("--port", type=int, default=None, help="port (default 8000, env CITED_PORT)")
    p.add_argument("--ray", metavar="ADDRESS|local:N", help="serve a split index through Ray Serve (local:N starts N worker nodes here)")
    p.add_argument("--replicas", type=positive, default=1, help="replicas of each shard and of the router (with --ray; default 1)")


def serve(args: argparse.Namespace, settings: Settings) -> int:
    if args.ray:
        return _serve_on_ray(args, settings)
    from service.app import serve as run

    run(settings)
    return 0


def _serve_on_ray(args: argparse.Namespace, settings: Settings) -> int:
    from index.cluster import ClusterError, ClusterSpec, connected
    from service.ray_serve import run

    try:
        with connected(ClusterSpec.parse(args.ray)):
            run(settings, args.replicas)
    except ClusterError as exc:
        raise UserError(str(exc)) from None
    return 0

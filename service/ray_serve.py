"""`cited serve --ray`: the same HTTP contract through Ray Serve.

One deployment per shard (`shard-0` …, R replicas each) holds that shard's index (index/sharded.py `Shard`);
the ingress deployment (`router`) is the usual FastAPI app, whose engine is a `ShardedEngine` that builds
each query once, fans it out to the shard deployments through their handles and fuses the answers. Serve
restarts a replica that dies; a call that was running on it is tried once more on another replica, so a
request fails only when every replica of a shard is gone at once. The router runs R replicas too, behind
Serve's HTTP proxy on the head node.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from index.aliases import AliasTable
from index.config import EngineConfig
from index.engine import Engine
from index.load import check_backend, model_for
from index.manifest import IndexFolderError
from index.sharded import Shard, ShardClient, ShardedEngine, ShardError
from index.shards import is_sharded, read_shards
from service.runtime import engine_config
from service.settings import Settings

if TYPE_CHECKING:
    from ray.serve import Deployment

log = logging.getLogger(__name__)

APP_NAME = "cited"
# What one replica declares: a shard answers from memory-mapped files and SQLite in one thread, and a request
# is a few milliseconds of work; the router encodes queries with the model.
SHARD_CPUS = 0.2
ROUTER_CPUS = 0.25
# The methods of `Shard` the router may call.
SHARD_METHODS = frozenset({"facts", "survey", "ranked", "read", "passage", "document"})
CALL_TIMEOUT_S = 30.0


class ShardReplica:
    """A Serve replica of one shard."""

    def __init__(self, folder: str, offset: int, config: EngineConfig) -> None:
        self.shard = Shard(Path(folder), offset, config)

    def call(self, method: str, args: tuple[Any, ...]) -> Any:
        if method not in SHARD_METHODS:
            raise ValueError(f"a shard has no method '{method}'")
        return getattr(self.shard, method)(*args)


class _Attempt:
    """A call to a shard deployment, started again once if the replica running it died."""

    def __init__(self, start: Callable[[], Any], name: str) -> None:
        self.start = start
        self.name = name
        self.response = start()

    def result(self) -> Any:
        from ray.exceptions import RayError

        try:
            return self.response.result(timeout_s=CALL_TIMEOUT_S)
        except (RayError, TimeoutError) as first:
            log.warning("%s did not answer (%s); asking another replica", self.name, type(first).__name__)
        try:
            return self.start().result(timeout_s=CALL_TIMEOUT_S)
        except (RayError, TimeoutError) as exc:
            raise ShardError(f"{self.name} of the index is not answering ({type(exc).__name__}); try again in a moment") from exc


class RayShard:
    """A shard reached through its Serve deployment handle."""

    def __init__(self, handle: Any, name: str) -> None:
        self.handle = handle
        self.name = name

    def call(self, method: str, *args: Any) -> _Attempt:
        return _Attempt(lambda: self.handle.call.remote(method, args), self.name)

    def close(self) -> None:
        """Nothing to close here: the replicas own their files."""


def router_opener(handles: list[Any], names: list[str]) -> Callable[[Settings], Engine]:
    """Opens the router's engine over the shard deployments (the model loads in the router only)."""

    def open_over_shards(settings: Settings) -> Engine:
        folder, manifest = read_shards(settings.index_dir)
        if manifest.model != settings.model:
            raise IndexFolderError(
                f"the index at {settings.index_dir} was built with the model {manifest.model}, but {settings.model} "
                f"is configured"
            )
        embedder = model_for(manifest, settings.backend)  # type: ignore[arg-type]
        check_backend(settings.index_dir, manifest, embedder.backend)  # type: ignore[arg-type]
        embedder.warm_up()
        shards: list[ShardClient] = [RayShard(h, n) for h, n in zip(handles, names, strict=True)]
        aliases = AliasTable.load(folder / manifest.shards[0])
        return ShardedEngine(shards, manifest, aliases, embedder, engine_config(settings))

    return open_over_shards


def _router_class() -> type:
    from ray import serve

    from service.app import create_app

    @serve.ingress()
    class Router:
        """The HTTP front: the FastAPI app over a ShardedEngine whose shards are deployments."""

        def __init__(self, settings: Settings, names: list[str], *handles: Any) -> None:
            self.settings = settings
            self.names = names
            self.handles = list(handles)

        def __serve_build_asgi_app__(self) -> Any:
            return create_app(self.settings, opener=router_opener(self.handles, self.names))

    return Router


def application(settings: Settings, replicas: int) -> Any:
    """The Serve application over the split index at `settings.index_dir`: shard deployments and the router."""
    from ray import serve

    if not is_sharded(settings.index_dir):
        raise IndexFolderError(
            f"the index at {settings.index_dir} is not split into shards; build it with "
            f"'cited build --shards S --index {settings.index_dir}' to serve it on Ray"
        )
    folder, manifest = read_shards(settings.index_dir)
    config = engine_config(settings)
    bound = []
    for name, offset in zip(manifest.shards, manifest.offsets, strict=True):
        # serve.deployment's overloads read a class with options as the decorator form; it returns a Deployment.
        deployment = cast("Deployment", serve.deployment(
            ShardReplica, name=name, num_replicas=replicas, ray_actor_options={"num_cpus": SHARD_CPUS},
            health_check_period_s=2, health_check_timeout_s=10,
        ))
        bound.append(deployment.bind(str(folder / name), offset, config))
    # The folder resolved now: a build published meanwhile does not mix shards of two builds.
    router_settings = settings.model_copy(update={"index_dir": folder})
    router = cast("Deployment", serve.deployment(
        _router_class(), name="router", num_replicas=replicas, ray_actor_options={"num_cpus": ROUTER_CPUS}
    ))
    return router.bind(router_settings, list(manifest.shards), *bound)


def run(settings: Settings, replicas: int, *, blocking: bool = True) -> None:
    """Start Serve on the connected cluster at the settings' host and port and deploy the index; with `blocking`,
    serve until interrupted."""
    from ray import serve

    # One HTTP proxy, on the head node: the address users are given (local nodes would share one port).
    serve.start(proxy_location="HeadOnly", http_options={"host": settings.host, "port": settings.port})
    serve.run(application(settings, replicas), name=APP_NAME, route_prefix="/")
    log.warning("serving %s through Ray Serve on http://%s:%d", settings.index_dir, settings.host, settings.port)
    if blocking:
        # Ray's driver replaces the default handlers; both signals end the wait here, so that the deployments,
        # and a local cluster started for them, are shut down rather than left behind.
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, _stop)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            serve.shutdown()


def _stop(number: int, frame: object) -> None:
    raise KeyboardInterrupt

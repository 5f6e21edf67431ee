"""Reaching a Ray cluster for `cited build --ray` and `cited serve --ray`: `local:N` starts a head and N worker
nodes on this machine (and stops them afterwards), anything else is the address of an existing cluster
(`auto`, `ray://host:10001`, `host:6379`)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

log = logging.getLogger(__name__)

_LOCAL = re.compile(r"local:(\d+)")
# Each local node is given this much shared memory for Ray's object store: enough for batches of passages
# and vectors, small beside the default (30% of the machine's memory per node).
LOCAL_OBJECT_STORE_BYTES = 300 * 1024 * 1024


class ClusterError(Exception):
    """The cluster cannot be reached or started; the message says why in one sentence."""


@dataclass(frozen=True)
class ClusterSpec:
    """Where to run: `local` worker nodes to start here, or an `address`. Each local node declares one CPU, so
    that local:N does the work of N single-core machines (and fits N cores)."""

    address: str | None = None
    local: int = 0
    cpus_per_node: int = 1

    @classmethod
    def parse(cls, text: str) -> ClusterSpec:
        text = text.strip()
        match = _LOCAL.fullmatch(text)
        if match:
            nodes = int(match.group(1))
            if nodes < 1:
                raise ClusterError(f"'{text}' starts no worker node; write local:N with N at least 1")
            return cls(local=nodes)
        if text.startswith("local"):
            raise ClusterError(f"'{text}' is not local:N (N worker nodes on this machine) nor a cluster address")
        if not text:
            raise ClusterError("the Ray address is empty; give local:N or the address of a running cluster")
        return cls(address=text)


def _ray():  # type: ignore[no-untyped-def]
    try:
        import ray
    except ImportError as exc:
        raise ClusterError("Ray is not installed; run 'make install' (it installs ray[data,serve])") from exc
    return ray


@contextmanager
def connected(spec: ClusterSpec) -> Iterator[None]:
    """Ray initialised for the block: on a local cluster started for it, or joined to the address given.

    Workers import cited's packages: a local cluster inherits this process's environment (PYTHONPATH too);
    on a real cluster every node needs cited installed (see README, Scaling out)."""
    ray = _ray()
    cluster = None
    try:
        if spec.local:
            from ray.cluster_utils import Cluster

            # The head schedules nothing (num_cpus 0): the work runs on the worker nodes, as on a real cluster.
            cluster = Cluster(
                initialize_head=True,
                head_node_args={"num_cpus": 0, "object_store_memory": LOCAL_OBJECT_STORE_BYTES, "include_dashboard": False},
            )
            for _ in range(spec.local):
                cluster.add_node(num_cpus=spec.cpus_per_node, object_store_memory=LOCAL_OBJECT_STORE_BYTES)
            cluster.wait_for_nodes()
            ray.init(address=cluster.address, logging_level=logging.WARNING, log_to_driver=False)
        else:
            ray.init(address=spec.address, logging_level=logging.WARNING, log_to_driver=False)
    except ClusterError:
        raise
    except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError… for an unreachable cluster
        if cluster is not None:
            cluster.shutdown()
        where = f"{spec.local} local nodes" if spec.local else f"the Ray cluster at {spec.address}"
        raise ClusterError(f"cannot start or reach {where} ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from exc
    try:
        yield
    finally:
        ray.shutdown()
        if cluster is not None:
            cluster.shutdown()


def worker_cpus() -> int:
    """The CPUs the cluster's nodes declare, for sizing actor pools."""
    return max(1, int(_ray().cluster_resources().get("CPU", 1)))

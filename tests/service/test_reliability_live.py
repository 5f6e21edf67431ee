"""The real server over an index that is rebuilt under it: requests keep succeeding while `cited build`
publishes a new build, and POST /api/admin/reload swaps to it without failing a request in flight."""

from __future__ import annotations

import random
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from index.build import build_index
from index.embed import HashingEmbedder

CITED = Path(sys.executable).parent / "cited"
KEY = "reload-key-for-tests"
QUERIES = ["Who co-chairs the Lantern River Project?", "bees in orchards", "footbridges 2023", "wildflower strips",
           "flood season", "annual budget", "NEAR(bees", '"quoted', "tide gauges harbour"]


def _corpus(folder: Path, theme: str, documents: int) -> Path:
    """`documents` files of made-up paragraphs, each starting with `theme`, so results show which corpus serves."""
    folder.mkdir(parents=True)
    rng = random.Random(theme)
    words = [f"{theme}{i}" for i in range(2000)]
    for d in range(documents):
        paragraphs = [f"{theme.capitalize()} note {d}.{p}: " + " ".join(rng.choice(words) for _ in range(60)) + "." for p in range(6)]
        (folder / f"{theme}-{d:04d}.txt").write_text("\n\n".join(paragraphs), encoding="utf-8")
    return folder


class Hammer:
    """Threads sending searches until stopped; every status and exception is counted."""

    def __init__(self, base: str, threads: int = 4, queries: list[str] | None = None) -> None:
        self.base, self.queries = base, queries or QUERIES
        self.statuses: Counter[int] = Counter()
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]

    def _run(self, seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=self.base, timeout=30) as client:
            while not self._stop.is_set():
                query = rng.choice(self.queries)
                try:
                    response = client.get("/api/search", params={"q": query, "k": rng.randint(1, 10)})
                    ok = response.status_code == 200 and response.json()["results"]
                except (httpx.HTTPError, ValueError) as exc:
                    with self._lock:
                        self.failures.append(f"{query!r}: {exc!r}")
                    continue
                with self._lock:
                    self.statuses[response.status_code] += 1
                    if not ok:
                        self.failures.append(f"{query!r}: {response.status_code} {response.text[:200]}")

    def __enter__(self) -> Hammer:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    @property
    def sent(self) -> int:
        return sum(self.statuses.values()) + len(self.failures)


@pytest.fixture(scope="module")
def served(small_corpus: Path, tmp_path_factory: pytest.TempPathFactory, start_server) -> Iterator[tuple[Path, str]]:
    """`cited serve` (default host, admin key set) over an index of its own in tmp."""
    index = tmp_path_factory.mktemp("live") / "index"
    build_index([small_corpus], index, HashingEmbedder(), progress=False)
    server = start_server(index, env={"CITED_MODEL": "hashing-bow", "CITED_ADMIN_KEY": KEY}, name="reliability-live")
    yield index, server.url
    server.stop()


def _built_at(base: str) -> str:
    return httpx.get(f"{base}/healthz", timeout=10).json()["built_at"]


def test_the_server_keeps_serving_and_follows_while_cited_build_replaces_its_index(served, tmp_path: Path) -> None:
    index, base = served
    old_build = index.resolve()
    before = _built_at(base)
    corpus = _corpus(tmp_path / "gulls", "gull", 300)
    with Hammer(base) as hammer:
        time.sleep(0.5)
        run = subprocess.run(
            [str(CITED), "build", str(corpus), "--index", str(index), "--model", "hashing-bow", "-q"],
            capture_output=True, text=True, timeout=300,
        )
        time.sleep(0.5)
    assert run.returncode == 0, run.stderr
    assert index.resolve() != old_build and not old_build.exists()  # the served files are gone from the folder
    print(f"\nsearches during the rebuild: {hammer.sent}, statuses {dict(hammer.statuses)}")
    assert hammer.failures == []
    assert hammer.sent >= 20
    # The server follows the published build by itself (API.md: within a second), with no request failing.
    assert _built_at(base) != before
    top = httpx.get(f"{base}/api/search", params={"q": "gull7 gull12"}, timeout=10).json()["results"][0]
    assert "Gull note" in top["text"]


def test_admin_reload_swaps_the_index_without_failing_requests_in_flight(served, tmp_path: Path) -> None:
    index, base = served
    corpus = _corpus(tmp_path / "terns", "tern", 40)
    build_index([corpus], index, HashingEmbedder(), progress=False)
    reloads = []
    with Hammer(base, threads=6, queries=[*QUERIES, "tern3 tern9 tern27"]) as hammer:
        time.sleep(0.5)
        for _ in range(3):
            response = httpx.post(f"{base}/api/admin/reload", headers={"x-admin-key": KEY}, timeout=60)
            reloads.append(response)
            time.sleep(0.3)
    print(f"\nsearches during 3 reloads: {hammer.sent}, statuses {dict(hammer.statuses)}")
    assert [r.status_code for r in reloads] == [200, 200, 200], [r.text for r in reloads]
    assert hammer.failures == []
    assert hammer.sent >= 20
    health = httpx.get(f"{base}/healthz", timeout=10).json()
    assert health["passages"] == reloads[-1].json()["passages"] == 240
    top = httpx.get(f"{base}/api/search", params={"q": "tern3 tern9 tern27", "k": 3}, timeout=10).json()["results"]
    assert all(r["text"].startswith("Tern note") for r in top)


def test_reload_refuses_a_wrong_or_missing_key(served) -> None:
    _, base = served
    for headers in ({}, {"x-admin-key": "wrong"}, {"x-admin-key": KEY + "x"}, {"x-admin-key": KEY[:-1]}):
        response = httpx.post(f"{base}/api/admin/reload", headers=headers, timeout=10)
        assert response.status_code == 401 and "X-Admin-Key" in response.json()["detail"]


def test_the_server_binds_loopback_by_default(served) -> None:
    """Started without --host or CITED_HOST: the listening socket is 127.0.0.1, read from /proc, no traffic sent."""
    _, base = served
    port = int(base.rsplit(":", 1)[1])
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                listening.append(address)
    assert listening == ["0100007F"], listening  # 127.0.0.1, little-endian; no 0.0.0.0, no IPv6 wildcard


def test_a_150_kb_request_line_gets_414_and_a_sentence_not_a_dropped_connection(served) -> None:
    _, base = served
    host, port = base.removeprefix("http://").split(":")
    line = f"GET /api/search?q={'a' * 150_000} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(line)
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414"), head[:80]
    assert b"at most 8,192" in body

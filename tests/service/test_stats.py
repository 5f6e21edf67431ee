"""GET /api/stats: the query-vector cache and micro-batch counters, and the settings that shape them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index.engine import Engine
from service.app import create_app
from service.runtime import engine_config
from service.settings import Settings, load_settings


@pytest.fixture()
def engine(small_index: Path) -> Iterator[Engine]:
    engine = Engine.open(small_index)
    yield engine
    engine.close()


def stats_client(small_index: Path, engine: Engine, **settings: object) -> TestClient:
    return TestClient(create_app(Settings(index_dir=small_index, **settings), engine=engine))  # type: ignore[arg-type]


def test_stats_shape(small_index: Path, engine: Engine) -> None:
    with stats_client(small_index, engine) as client:
        response = client.get("/api/stats")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"cache", "batching", "index"}
    assert body["cache"] == {"enabled": True, "capacity": 1024, "size": 0, "hits": 0, "misses": 0, "hit_rate": 0.0}
    assert body["batching"] == {
        "enabled": True, "wait_ms": 2.0, "max_batch": 32, "batches": 0, "encoded": 0,
        "mean_batch_size": 0.0, "largest_batch": 0,
    }
    assert body["index"] == {"type": "flat", "passages": 6, "ef_search": None, "nprobe": None}


def test_searches_count_cache_hits_and_batches(small_index: Path, engine: Engine) -> None:
    with stats_client(small_index, engine) as client:
        for q in ("bee visits at dawn", "footbridges rebuilt", "bee visits at dawn"):
            assert client.get("/api/search", params={"q": q}).status_code == 200
        assert client.get("/api/search", params={"q": "bees", "mode": "lexical"}).status_code == 200
        body = client.get("/api/stats").json()
    assert (body["cache"]["hits"], body["cache"]["misses"], body["cache"]["size"]) == (1, 2, 2)
    assert body["cache"]["hit_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert (body["batching"]["batches"], body["batching"]["encoded"]) == (2, 2)
    assert body["batching"]["mean_batch_size"] == 1.0


def test_stats_with_batching_and_cache_off(small_index: Path, engine: Engine) -> None:
    with stats_client(small_index, engine, batch_wait_ms=0, cache_size=0) as client:
        for _ in range(2):
            client.get("/api/search", params={"q": "bee visits at dawn"})
        body = client.get("/api/stats").json()
    assert body["cache"]["enabled"] is False and body["cache"]["misses"] == 0
    assert body["batching"]["enabled"] is False
    assert (body["batching"]["batches"], body["batching"]["encoded"]) == (2, 2)


def test_the_engine_gets_its_own_encoder_back_after_shutdown(small_index: Path, engine: Engine) -> None:
    with stats_client(small_index, engine):
        assert engine.query_encoder is not None
    assert engine.query_encoder is None


def test_stats_are_503_before_the_index_is_loaded(small_index: Path) -> None:
    response = TestClient(create_app(Settings(index_dir=small_index))).get("/api/stats")
    assert response.status_code == 503


def test_search_parameters_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITED_EF_SEARCH", "200")
    monkeypatch.setenv("CITED_NPROBE", "48")
    config = engine_config(load_settings())
    assert (config.ef_search, config.nprobe) == (200, 48)
    monkeypatch.delenv("CITED_EF_SEARCH")
    monkeypatch.delenv("CITED_NPROBE")
    default = engine_config(load_settings())
    assert (default.ef_search, default.nprobe) == (64, 16)


@pytest.mark.parametrize("name, value", [("CITED_BATCH_WAIT_MS", "-1"), ("CITED_CACHE_SIZE", "-5"), ("CITED_NPROBE", "0")])
def test_bad_performance_settings_are_one_sentence(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        load_settings()


class ThreadsSeen:
    """An embedder's thread setting, recorded at each encode."""

    def __init__(self) -> None:
        self.threads = 0
        self.seen: list[tuple[int, int]] = []

    def set_threads(self, threads: int) -> None:
        self.threads = threads

    def encode(self, texts: list[str]) -> list[int]:
        self.seen.append((len(texts), self.threads))
        return [0] * len(texts)


def test_one_query_encodes_on_its_threads_and_a_batch_on_the_batch_threads() -> None:
    from service.runtime import threads_by_batch

    model = ThreadsSeen()
    wrapped = threads_by_batch(model.encode, model, Settings(torch_threads=1, batch_torch_threads=2))  # type: ignore[arg-type]
    wrapped(["a"])
    wrapped(["a", "b", "c"])
    wrapped(["d"])
    assert model.seen == [(1, 1), (3, 2), (1, 1)]


def test_a_lone_query_uses_the_cores_no_other_thread_wants(monkeypatch) -> None:
    from service import runtime

    monkeypatch.setattr(runtime, "usable_cores", lambda: 4)
    adaptive = Settings(torch_threads=0)
    assert runtime.lone_threads(adaptive, running=lambda: 1) == 4  # only the caller runs
    assert runtime.lone_threads(adaptive, running=lambda: 3) == 2
    assert runtime.lone_threads(adaptive, running=lambda: 4) == 1
    assert runtime.lone_threads(adaptive, running=lambda: 9) == 1
    assert runtime.lone_threads(adaptive, running=lambda: 0) == 4  # never more threads than cores
    assert runtime.lone_threads(Settings(torch_threads=2), running=lambda: 9) == 2  # a setting is obeyed


def test_the_running_count_is_read_from_the_machine() -> None:
    from service import runtime

    running = runtime.running_threads()
    assert running >= 1  # the test itself is running

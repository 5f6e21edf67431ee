"""What a request costs on its way through the service: hand-overs to other threads, reads of the keys file, and
the JSON written without the response models' validation, yet with the values they would give."""

from __future__ import annotations

import json
import os
from pathlib import Path

import fastapi.dependencies.utils
import fastapi.routing
import numpy as np
import pytest
import starlette.concurrency
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from index.engine import Engine
from service import keys
from service.app import create_app
from service.keys import add_key
from service.present import answer_dict, json_response, search_dict
from service.schemas import AskOut, SearchOut
from service.settings import Settings

QUESTIONS = ["Who co-chairs the Lantern River Project?", "How many volunteers joined in 2019?", "zzzz unrelated"]


@pytest.fixture
def hand_overs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the functions FastAPI runs on its thread pool, in order."""
    seen: list[str] = []
    original = starlette.concurrency.run_in_threadpool

    async def counted(func, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(getattr(func, "__name__", repr(func)))
        return await original(func, *args, **kwargs)

    monkeypatch.setattr(fastapi.dependencies.utils, "run_in_threadpool", counted)
    monkeypatch.setattr(fastapi.routing, "run_in_threadpool", counted)
    return seen


def test_a_search_is_handed_to_the_thread_pool_once(client: TestClient, hand_overs: list[str]) -> None:
    # The route waits for its encode, so it runs on the pool; its dependencies and the response must not add hand-overs.
    response = client.get("/api/search", params={"q": QUESTIONS[0], "k": 3})
    assert response.status_code == 200
    assert hand_overs == ["_run_sync_endpoint"]
    hand_overs.clear()
    body = {"question": QUESTIONS[0], "k": 3}
    assert client.post("/api/ask", content=json.dumps(body), headers={"content-type": "application/json"}).status_code == 200
    assert hand_overs == ["_run_sync_endpoint"]


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_json_written_is_what_the_response_models_would_write(client: TestClient, small_engine: Engine, question: str) -> None:
    query = small_engine.query(question)
    searched = client.get("/api/search", params={"q": question, "k": 5}).json()
    expected = TypeAdapter(SearchOut).dump_python(TypeAdapter(SearchOut).validate_python(search_dict(small_engine.search(query, 5))), mode="json")
    searched.pop("took_ms"), expected.pop("took_ms")
    assert searched == expected
    answer = answer_dict(small_engine.ask(query, 5))
    assert json.loads(json_response(answer).body) == TypeAdapter(AskOut).dump_python(TypeAdapter(AskOut).validate_python(answer), mode="json")


def test_numpy_scalars_and_nan_are_written_as_the_models_write_them() -> None:
    response = json_response({"score": np.float32(0.5), "rank": np.int64(3), "missing": float("nan")})
    assert response.headers["content-type"] == "application/json"
    assert json.loads(response.body) == {"score": 0.5, "rank": 3, "missing": None}


def test_the_keys_file_is_stated_once_per_request(small_index: Path, small_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "keys.toml"
    _, key = add_key(path, "reader", ["read"], None)
    app = create_app(Settings(index_dir=small_index, keys_file=path), engine=small_engine)
    stats: list[str] = []
    real_stat = os.stat

    def counted_stat(target, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(target) == path:
            stats.append(str(target))
        return real_stat(target, *args, **kwargs)

    with TestClient(app) as client:
        monkeypatch.setattr(keys.os, "stat", counted_stat)
        response = client.get("/api/search", params={"q": QUESTIONS[0]}, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert len(stats) == 1

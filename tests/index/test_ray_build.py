"""`cited build --ray`: the bundled corpus built on a local 2-node Ray cluster into 3 shards answers the gold
questions with the same top 10 as a plain build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.embed import MODEL_NAME
from index.engine import Engine
from index.ray_build import build_on_cluster
from index.sharded import ShardedEngine

pytestmark = [pytest.mark.ray, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "corpus" / "data"
GOLD = [json.loads(line)["question"] for line in (ROOT / "eval" / "gold" / "default.jsonl").read_text().splitlines()]


def test_three_shards_built_on_ray_answer_as_a_plain_build(ray_cluster: None, default_index: Path, tmp_path: Path) -> None:
    # The plain build ran torch; the Ray workers are told the same backend (not the default) and record it.
    result = build_on_cluster([BUNDLED], tmp_path / "index", MODEL_NAME, backend="torch", shards=3, progress=False)
    assert result.manifest.backend == "torch"
    assert result.report.passages_kept == Engine.open(default_index).size
    plain, on_ray = Engine.open(default_index), Engine.open(tmp_path / "index")
    assert isinstance(on_ray, ShardedEngine) and on_ray.shard_count == 3
    for question in GOLD:
        expected = [r.passage.passage_id for r in plain.search(plain.query(question), 10).results]
        assert [r.passage.passage_id for r in on_ray.search(on_ray.query(question), 10).results] == expected, question


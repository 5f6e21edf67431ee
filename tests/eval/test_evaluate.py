"""eval.evaluate called directly, without the command line: typed arguments in, a Report and a payload out."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.evaluate import EvalError, evaluate_gold
from index.config import EngineConfig, Mode


def test_evaluate_gold_returns_the_report_and_the_payload(tiny_index: Path, tiny_gold: Path) -> None:
    config = EngineConfig().with_overrides({"rrf_k": "10"})
    report, payload = evaluate_gold(tiny_index, tiny_gold, [Mode.LEXICAL], "dev", 5, config)
    assert "rrf_k=10," in report.text()
    assert list(payload["modes"]) == ["lexical"]
    assert payload["split"] == "dev" and payload["k"] == 5 and payload["gold"] == str(tiny_gold)
    assert {q["id"] for q in payload["modes"]["lexical"]["questions"]} == {"t1", "t2", "t4", "t5"}


def test_evaluate_gold_refuses_k_below_one(tiny_index: Path, tiny_gold: Path) -> None:
    with pytest.raises(EvalError, match="k must be at least 1"):
        evaluate_gold(tiny_index, tiny_gold, [Mode.HYBRID], k=0)

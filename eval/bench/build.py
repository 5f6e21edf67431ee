"""The build suite: the whole build_index with the served backend beside bare torch encoding the same passages."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from eval.bench.common import MSMARCO, TARGETS, Bench, SuiteResult
from eval.bench.options import BenchError


def suite_build(bench: Bench) -> SuiteResult:
    from corpus.pipeline import prepare
    from index.build import build_index, encode_passages

    result = SuiteResult()
    corpus = bench.options.corpus or (MSMARCO if MSMARCO.is_file() else None)
    if corpus is None or not corpus.is_file():
        raise BenchError("the build suite needs a BEIR corpus.jsonl: give --corpus FILE")
    embedder, torch = bench.embedder(), bench.bare_torch()
    with tempfile.TemporaryDirectory(prefix="cited-bench-build-") as tmp:
        sample = Path(tmp) / "corpus.jsonl"
        with corpus.open(encoding="utf-8") as source, sample.open("w", encoding="utf-8") as out:
            for i, line in enumerate(source):
                if i >= bench.options.passages:
                    break
                out.write(line)
        started = time.perf_counter()
        prepared = prepare([sample])
        prepare_s = time.perf_counter() - started
        passages = prepared.passages
        texts = [p.embedding_text() for p in passages]
        embedder.encode(texts[:64], batch_size=64)  # not timed
        torch.encode(texts[:64], batch_size=64)
        # Bare torch and the whole build take turns, twice each, so that a change in the machine's load falls on
        # both; each turn gives one ratio, both are printed and the worse one is checked.
        bare, whole = [], []
        for step in ("bare", "whole", "sentences", "whole", "bare"):
            started = time.perf_counter()
            if step == "bare":
                torch.encode(texts, batch_size=64)
            elif step == "sentences":
                encode_passages(embedder, passages, 64, False)
            else:
                built = build_index([sample], Path(tmp) / f"index-{len(whole)}", embedder, progress=False)
            seconds = time.perf_counter() - started
            if step == "sentences":
                sentences_s = seconds
            else:
                (bare if step == "bare" else whole).append(seconds)
        bare_s, whole_s = float(np.mean(bare)), float(np.mean(whole))
        ratios = [w / b for w, b in zip(whole, bare, strict=True)]
    n = len(passages)
    result.rows = [
        {"measured": "bare torch encode (sentence-transformers, batch 64), mean of 2", "seconds": bare_s,
         "passages_per_s": n / bare_s, "spread_s": max(bare) - min(bare)},
        {"measured": f"whole build_index ({embedder.backend}), mean of 2", "seconds": whole_s, "passages_per_s": n / whole_s,
         "spread_s": max(whole) - min(whole)},
        {"measured": f"encode_passages ({embedder.backend}, vectors and sentence vectors)", "seconds": sentences_s,
         "passages_per_s": n / sentences_s},
        {"measured": "whole build / bare torch encode, each turn (ratio)", "seconds": " / ".join(f"{r:.3f}" for r in ratios)},
        {"measured": "  of which: prepare (load, clean, split, dedup)", "seconds": prepare_s},
        # A difference of separately timed runs: below zero it is within their run-to-run spread.
        {"measured": "  the rest, estimated: whole - prepare - encode_with_sentences", "seconds": whole_s - prepare_s - sentences_s},
    ]
    result.check("whole build / bare torch encoding (seconds, worse turn)", max(ratios), TARGETS["build"])
    result.notes.append(f"{n} passages from {corpus} (first {bench.options.passages} records); model {embedder.name}; "
                        f"index {built.manifest.index_type}; order: bare, whole build, encode_passages, whole build, bare (turns: "
                        "first bare with first build, second with second)")
    return result

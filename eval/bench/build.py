"""The build suite: passages/s of the whole build_index beside bare encoding of the same passages."""

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
    embedder = bench.embedder()
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
        bare = []
        for step in ("bare", "sentences", "whole", "bare"):  # bare encoding before and after: the spread shows drift
            started = time.perf_counter()
            if step == "bare":
                embedder.encode(texts, batch_size=64)
            elif step == "sentences":
                encode_passages(embedder, passages, 64, False)
            else:
                built = build_index([sample], Path(tmp) / "index", embedder, progress=False)
            seconds = time.perf_counter() - started
            if step == "bare":
                bare.append(seconds)
            elif step == "sentences":
                sentences_s = seconds
            else:
                whole_s = seconds
        bare_s = float(np.mean(bare))
    n = len(passages)
    result.rows = [
        {"measured": "bare encode (Embedder.encode, batch 64), mean of 2", "seconds": bare_s, "passages_per_s": n / bare_s,
         "spread_s": max(bare) - min(bare)},
        {"measured": "encode_with_sentences (the build's encoder)", "seconds": sentences_s, "passages_per_s": n / sentences_s},
        {"measured": "whole build_index", "seconds": whole_s, "passages_per_s": n / whole_s},
        {"measured": "  of which: prepare (load, clean, split, dedup)", "seconds": prepare_s},
        # A difference of separately timed runs: below zero it is within their run-to-run spread.
        {"measured": "  the rest, estimated: whole - prepare - encode_with_sentences", "seconds": whole_s - prepare_s - sentences_s},
    ]
    result.check("whole build / bare encoding (passages/s)", bare_s / whole_s, TARGETS["build"], at_most=False)
    result.notes.append(f"{n} passages from {corpus} (first {bench.options.passages} records); model {embedder.name}; "
                        f"index {built.manifest.index_type}; order: bare, encode_with_sentences, whole build, bare")
    return result

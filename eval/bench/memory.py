"""The memory suite: server RSS after load, over the given index and over a synthetic index of --big passages,
beside the model alone; and the synthetic index it builds."""

from __future__ import annotations

import contextlib
import json
import random
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from eval.bench.common import ROOT, Bench, SuiteResult, rss_mib, status_mib
from eval.bench.scaling import clustered_vectors, unit
from eval.bench.serving import load, serve

BARE_MODEL = [sys.executable, "-m", "eval.bench.bare_model"]


class SyntheticVectors:
    """An 'encoder' of seeded synthetic unit vectors (the clustered kind of the scaling suite, sentence
    vectors random) that carries the real model's name, so that a server over the index it builds loads
    the real model. For memory and start-up figures only: its search results mean nothing."""

    def __init__(self, name: str, dimension: int = 384, seed: int = 0, backend: str = "torch") -> None:
        self.name, self.dimension, self.backend = name, dimension, backend
        self._calls = seed
        self._rng = np.random.default_rng(seed)

    def warm_up(self) -> None:
        return None

    def set_threads(self, threads: int) -> None:
        return None

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        self._calls += 1
        return clustered_vectors(len(texts), self.dimension, seed=1000 + self._calls) if texts else np.zeros((0, self.dimension), np.float32)

    def encode_with_sentences(self, texts: Sequence[str], bodies: Sequence[tuple[int, str]], *, batch_size: int = 64,
                              progress: bool = False) -> Any:
        from corpus.sentences import sentence_spans
        from index.embed import Encoded

        sentences = [unit(self._rng.standard_normal((len(sentence_spans(body)), self.dimension), dtype=np.float32))
                     for _, body in bodies]
        return Encoded(self.encode(texts), sentences)


def synthetic_corpus(passages: int, per_document: int = 100, seed: int = 0) -> Any:
    """Documents of made-up sentences in the vocabulary of the bundled corpus, `per_document` passages each."""
    from corpus.model import Document, Passage, doc_id_for, passage_id_for
    from corpus.pipeline import BuildReport, PreparedCorpus

    words = sorted({w.lower() for f in (ROOT / "corpus" / "data").glob("*.txt") for w in re.findall(r"[A-Za-z]{3,}", f.read_text())})
    words = words or ["alpha", "beta", "gamma", "delta"]
    rng = random.Random(seed)
    documents: list[Any] = []
    kept: list[Any] = []
    for d in range(0, passages, per_document):
        texts: list[str] = []
        for _ in range(min(per_document, passages - d)):
            sentences = [" ".join(rng.choice(words) for _ in range(rng.randint(8, 18))).capitalize() + "." for _ in range(rng.randint(2, 5))]
            texts.append(f"{len(kept) + len(texts)} " + " ".join(sentences))  # the number keeps every passage distinct
        source = f"synthetic/doc-{d // per_document:05d}.txt"
        body = "\n\n".join(texts)
        doc = Document(doc_id_for(source, body), f"Synthetic document {d // per_document}", source, body)
        documents.append(doc)
        at = 0
        for text in texts:
            kept.append(Passage(passage_id_for(text), doc.doc_id, text, at, at + len(text), None, doc.title, source))
            at += len(text) + 2
    report = BuildReport(documents_read=len(documents), blocks=len(kept), passages_kept=len(kept))
    return PreparedCorpus(documents, kept, report)


def synthetic_index(cache: Path, passages: int, rebuild: bool = False, backend: str = "torch") -> tuple[Path, float, bool]:
    """A `passages`-passage index of made-up text and synthetic vectors, kept in `cache`, with its build time and
    whether it came from the cache; its manifest names `backend`, so that a server of that backend opens it."""
    from index.build import build_index
    from index.embed import MODEL_NAME
    from index.manifest import read_manifest

    index_dir = cache / (f"synthetic-{passages}" + ("" if backend == "torch" else f"-{backend}")) / "index"
    with contextlib.suppress(Exception):
        if not rebuild and read_manifest(index_dir).passages == passages:
            return index_dir, float(json.loads((index_dir.parent / "build.json").read_text())["build_s"]), True
    started = time.perf_counter()
    vectors = SyntheticVectors(MODEL_NAME, backend=backend)
    build_index([], index_dir, vectors, prepared=synthetic_corpus(passages), progress=False)
    seconds = time.perf_counter() - started
    (index_dir.parent / "build.json").write_text(json.dumps({"build_s": seconds}))
    return index_dir, seconds, False


def served_backends(bench: Bench) -> list[str]:
    """The backends a server can open the given index with (those of its vector family), the served one first."""
    from index.embed import BACKENDS, compatible_backends
    from index.manifest import read_manifest

    built = read_manifest(bench.index).backend
    served = bench.backend()
    return [served] + [b for b in BACKENDS if b != served and compatible_backends(built, b) and built != "exact"]


def suite_memory(bench: Bench) -> SuiteResult:
    from index.manifest import read_manifest

    result = SuiteResult()
    done = subprocess.run([*BARE_MODEL, "status"], capture_output=True, text=True, check=True, cwd=ROOT)
    result.rows.append({"process": "the model alone (python, torch, model, one encode)", "passages": 0, **status_mib(done.stdout)})
    targets: list[tuple[str, Path, str | None, str]] = [("given index", bench.index, None, b) for b in served_backends(bench)]
    if bench.options.big:
        backend = bench.backend()
        big, build_s, cached = synthetic_index(bench.options.cache, bench.options.big, bench.options.rebuild, backend)
        targets.append(("synthetic index (synthetic vectors, made-up text)", big, f"{build_s:.0f} s{' (cached)' if cached else ''}",
                        backend))
    for label, index_dir, build, backend in targets:
        manifest = read_manifest(index_dir)
        with serve(index_dir, bench.options.server_env, {"CITED_BACKEND": backend}) as server:
            loaded = rss_mib(server.pid)
            load(server, bench.take(50), 4)
            queried = rss_mib(server.pid)
            row = {"process": f"cited serve, {label}", "backend": backend, "passages": manifest.passages,
                   "index_type": manifest.index_type,
                   "rss_mib": loaded["rss_mib"], "rss_after_50_queries_mib": queried["rss_mib"],
                   "peak_rss_mib": queried["peak_rss_mib"], "start_to_healthz_s": server.started_s,
                   "index_files_mib": _folder_mib(index_dir)}
            if build:
                row["index_build"] = build
            result.rows.append(row)
    result.notes.append("RSS from /proc/PID/status (VmRSS, VmHWM) after /healthz answers 200 and after 50 distinct searches")
    return result


def _folder_mib(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.resolve().iterdir() if p.is_file()) / 2**20

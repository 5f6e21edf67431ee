"""Building an index folder from documents, and adding documents to one without re-embedding what it holds."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from corpus.clean import CleaningRules
from corpus.model import Passage
from corpus.pipeline import BuildReport, PreparedCorpus, prepare
from corpus.store import PassageStore
from index import vectors as vector_index
from index.aliases import AliasTable
from index.embed import Embedder, embedder_for
from index.lexical import LexicalIndex
from index.load import LoadedIndex, load_index
from index.manifest import (
    CHECKED_FILES,
    FORMAT_VERSION,
    MANIFEST,
    SENTENCE_ROWS,
    SENTENCES,
    STORE,
    VECTORS,
    IndexFolderError,
    Manifest,
    corpus_checksum,
    fix_hint,
    sha256_of,
)
from index.publish import publish, staged

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    report: BuildReport
    manifest: Manifest
    seconds: float


# -- writing -------------------------------------------------------------------------------------


def encode_passages(
    embedder: Embedder, passages: Sequence[Passage], batch_size: int, progress: bool
) -> tuple[np.ndarray, list[np.ndarray]]:
    vectors: list[np.ndarray] = []
    sentences: list[np.ndarray] = []
    step = batch_size * 8
    bar = tqdm(total=len(passages), desc="embedding", unit="passage", disable=not progress or len(passages) < 64)
    for at in range(0, len(passages), step):
        chunk = passages[at : at + step]
        texts = [p.embedding_text() for p in chunk]
        bodies = [(len(t) - len(p.text), p.text) for t, p in zip(texts, chunk, strict=True)]
        encoded = embedder.encode_with_sentences(texts, bodies, batch_size=batch_size)
        vectors.append(encoded.vectors)
        sentences.extend(encoded.sentence_vectors)
        bar.update(len(chunk))
    bar.close()
    dim = embedder.dimension
    return (np.concatenate(vectors) if vectors else np.zeros((0, dim), np.float32)), sentences


def _write_sentences(directory: Path, per_passage: Sequence[np.ndarray], dim: int) -> None:
    counts = np.array([len(s) for s in per_passage], dtype=np.int64)
    rows = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    matrix = np.concatenate(per_passage).astype(np.float16) if len(per_passage) else np.zeros((0, dim), np.float16)
    np.save(directory / SENTENCES, matrix.reshape(-1, dim))
    np.save(directory / SENTENCE_ROWS, rows)


def _finish(directory: Path, store: PassageStore, index: Any, model: str, dim: int, kind: vector_index.IndexType) -> Manifest:
    store.commit()
    AliasTable.mine(store.texts()).save(directory)
    vector_index.save(index, directory / VECTORS)
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        model=model,
        dimension=dim,
        passages=store.count(),
        documents=store.document_count(),
        corpus_checksum=corpus_checksum(store.texts()),
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        index_type=kind.value,
        files={},
    )
    store.close()
    files = {name: sha256_of(directory / name) for name in CHECKED_FILES}
    manifest = Manifest(**{**manifest.__dict__, "files": files})
    (directory / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    return manifest


def build_index(
    paths: Sequence[str | Path],
    index_dir: Path,
    embedder: Embedder,
    *,
    rules: CleaningRules = CleaningRules(),
    index_type: vector_index.IndexType | None = None,
    batch_size: int = 64,
    progress: bool = True,
    prepared: PreparedCorpus | None = None,
) -> BuildResult:
    """Build a new index from `paths` and publish it at `index_dir`; the old one serves until then."""
    started = time.perf_counter()
    prepared = prepared or prepare(paths, rules)
    if not prepared.passages:
        raise IndexFolderError("no passages were found in the given paths, so there is nothing to index")
    embedder.warm_up()
    with staged(index_dir) as staging:
        matrix, sentences = encode_passages(embedder, prepared.passages, batch_size, progress)
        kind = index_type or vector_index.IndexType.for_size(len(prepared.passages))
        store = PassageStore.create(staging / STORE)
        store.add_documents(prepared.documents)
        store.add_passages(prepared.passages)
        LexicalIndex.create(store).add(0, prepared.passages)
        _write_sentences(staging, sentences, embedder.dimension)
        index = vector_index.build(matrix, kind)
        manifest = _finish(staging, store, index, embedder.name, embedder.dimension, kind)
        publish(staging, index_dir)
    return BuildResult(prepared.report, manifest, time.perf_counter() - started)


def add_to_index(
    paths: Sequence[str | Path],
    index_dir: Path,
    embedder: Embedder | None = None,
    *,
    rules: CleaningRules = CleaningRules(),
    batch_size: int = 64,
    progress: bool = True,
) -> BuildResult:
    """Index new documents without re-embedding what is there, deduplicating against it."""
    started = time.perf_counter()
    current = load_index(index_dir)
    embedder = embedder or embedder_for(current.manifest.model)
    if embedder.name != current.manifest.model:
        raise IndexFolderError(
            f"the index at {index_dir} was built with {current.manifest.model}, not {embedder.name}; {fix_hint(index_dir)}"
        )
    try:
        prepared = prepare(paths, rules, existing=current.store.texts())
        known = {d.doc_id for d in current.store.documents()}
        prepared.documents = [d for d in prepared.documents if d.doc_id not in known]
        embedder.warm_up()
        with staged(index_dir) as staging:
            manifest = _append(current, staging, prepared, embedder, batch_size, progress)
            publish(staging, index_dir)
    finally:
        current.close()
    return BuildResult(prepared.report, manifest, time.perf_counter() - started)


def _append(
    current: LoadedIndex, staging: Path, prepared: PreparedCorpus, embedder: Embedder, batch_size: int, progress: bool
) -> Manifest:
    """The current index copied into `staging` with the new passages appended (the live files are never written)."""
    index_dir = current.directory
    matrix, sentences = encode_passages(embedder, prepared.passages, batch_size, progress)
    # Copy the store with SQLite's online backup, then append.
    current.store.copy_to(staging / STORE)
    store = PassageStore.open(staging / STORE, readonly=False)
    first = store.count()
    store.add_documents(prepared.documents)
    store.add_passages(prepared.passages)
    LexicalIndex(store).add(first, prepared.passages)
    old_rows = np.load(index_dir / SENTENCE_ROWS)
    old_sentences = np.load(index_dir / SENTENCES)
    per_passage = [old_sentences[old_rows[i] : old_rows[i + 1]] for i in range(len(old_rows) - 1)] + sentences
    _write_sentences(staging, per_passage, embedder.dimension)
    index = vector_index.load(index_dir / VECTORS)
    vector_index.append(index, matrix)
    kind = vector_index.IndexType.parse(current.manifest.index_type)
    return _finish(staging, store, index, embedder.name, embedder.dimension, kind)

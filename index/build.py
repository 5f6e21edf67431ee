"""Building an index folder from documents, and adding documents to one without re-embedding what it holds."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from corpus.clean import CleaningRules
from corpus.model import Passage
from corpus.pipeline import BuildReport, PreparedCorpus, prepare
from corpus.store import PassageStore
from index import vectors as vector_index
from index.aliases import AliasTable
from index.embed import Embedder
from index.lexical import LexicalIndex
from index.load import LoadedIndex, check_backend, load_index, model_for
from index.manifest import STORE, VECTORS, IndexFolderError, Manifest, fix_hint, write_manifest
from index.progress import BuildProgress
from index.publish import publish, staged, writer_lock
from index.sentence_vectors import write_sentence_vectors
from index.shards import ShardsManifest, index_type_for, write_sharded

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    report: BuildReport
    manifest: Manifest | ShardsManifest
    seconds: float


# -- writing -------------------------------------------------------------------------------------


def encode_passages(
    embedder: Embedder, passages: Sequence[Passage], batch_size: int, progress: bool | BuildProgress
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Each passage's vector and its sentences' vectors, in the passages' order.

    Passages are encoded longest first, so that the texts of a batch are of about one length and little of it is
    padding (the encoders pad a batch to its longest text)."""
    shown = progress if isinstance(progress, BuildProgress) else BuildProgress(progress and len(passages) >= 64)
    dim = embedder.dimension
    vectors = np.zeros((len(passages), dim), np.float32)
    sentences: list[np.ndarray] = [np.zeros((0, dim), np.float32)] * len(passages)
    texts = [p.embedding_text() for p in passages]
    order = sorted(range(len(passages)), key=lambda i: -len(texts[i]))
    step = batch_size  # one forward pass per call: the count moves with every batch
    shown.embed(len(passages))
    for at in range(0, len(order), step):
        rows = order[at : at + step]
        chunk = [texts[i] for i in rows]
        bodies = [(len(texts[i]) - len(passages[i].text), passages[i].text) for i in rows]
        encoded = embedder.encode_with_sentences(chunk, bodies, batch_size=batch_size)
        vectors[rows] = encoded.vectors
        for i, found in zip(rows, encoded.sentence_vectors, strict=True):
            sentences[i] = found
        shown.advance(len(rows))
    return vectors, sentences


def _finish(
    directory: Path, store: PassageStore, index: Any, embedder: Embedder, kind: vector_index.IndexType,
    aliases: AliasTable | None = None,
) -> Manifest:
    """Commit and close the store, save the aliases (mined from the passages unless given) and the vector index,
    and write the manifest."""
    store.commit()
    texts = store.texts()  # read once, for the aliases and the manifest's checksum
    (aliases or AliasTable.mine(texts)).save(directory)
    vector_index.save(index, directory / VECTORS)
    passages, documents = store.count(), store.document_count()
    store.close()
    return write_manifest(
        directory, embedder.name, embedder.dimension, passages, documents, texts, kind.value, embedder.backend
    )


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
    shards: int = 1,
) -> BuildResult:
    """Build a new index from `paths` and publish it at `index_dir`; the old one serves until then. With
    `shards` > 1 the index is split into that many complete shards (index/shards.py)."""
    started = time.perf_counter()
    shown = BuildProgress(progress)
    prepared = prepared or prepare(paths, rules, phase=shown.phase)
    if not prepared.passages:
        raise IndexFolderError("no passages were found in the given paths, so there is nothing to index")
    embedder.warm_up()
    with writer_lock(index_dir), staged(index_dir) as staging:
        matrix, sentences = encode_passages(embedder, prepared.passages, batch_size, shown)
        shown.phase("index", f"{len(prepared.passages)} passages")
        manifest = write_build(staging, prepared, Encoded(matrix, sentences), embedder, index_type, shards)
        shown.phase("publish", str(index_dir))
        publish(staging, index_dir)
    return BuildResult(prepared.report, manifest, time.perf_counter() - started)


def write_build(
    staging: Path, prepared: PreparedCorpus, encoded: Encoded, embedder: Embedder,
    index_type: vector_index.IndexType | None, shards: int,
) -> Manifest | ShardsManifest:
    """One index folder of `prepared` in `staging`, or (`shards` > 1) a split index of that many shards."""
    if shards == 1:
        kind = index_type or vector_index.IndexType.for_size(len(prepared.passages))
        return write_index(staging, prepared, encoded, embedder, kind)
    kind = index_type_for(len(prepared.passages), shards, index_type)

    def write(directory: Path, part: PreparedCorpus, vectors: np.ndarray, sentences: list[np.ndarray], aliases: AliasTable) -> None:
        write_index(directory, part, Encoded(vectors, sentences), embedder, kind, aliases=aliases)

    return write_sharded(staging, prepared, encoded.vectors, encoded.sentences, shards, embedder, write)


@dataclass(frozen=True)
class Encoded:
    """The passages' vectors (row i = passage i) and each passage's sentence vectors."""

    vectors: np.ndarray
    sentences: list[np.ndarray]


def write_index(
    directory: Path, prepared: PreparedCorpus, encoded: Encoded, embedder: Embedder, kind: vector_index.IndexType,
    *, aliases: AliasTable | None = None,
) -> Manifest:
    """An index folder of `prepared` in `directory` (aliases mined from its passages unless given)."""
    store = PassageStore.create(directory / STORE)
    store.add_documents(prepared.documents)
    store.add_passages(prepared.passages)
    LexicalIndex.create(store).add(0, prepared.passages)
    write_sentence_vectors(directory, encoded.sentences, embedder.dimension)
    index = vector_index.build(encoded.vectors, kind)
    return _finish(directory, store, index, embedder, kind, aliases)


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
    with writer_lock(index_dir):
        return _add(paths, index_dir, embedder, rules, batch_size, progress, started)


def _add(
    paths: Sequence[str | Path], index_dir: Path, embedder: Embedder | None, rules: CleaningRules, batch_size: int,
    progress: bool, started: float,
) -> BuildResult:
    current = load_index(index_dir)
    embedder = embedder or model_for(current.manifest, near=index_dir)
    if embedder.name != current.manifest.model:
        raise IndexFolderError(
            f"the index at {index_dir} was built with {current.manifest.model}, not {embedder.name}; {fix_hint(index_dir)}"
        )
    check_backend(index_dir, current.manifest, embedder.backend)
    shown = BuildProgress(progress)
    try:
        prepared = prepare(paths, rules, existing=current.store.texts(), phase=shown.phase)
        known = {d.doc_id for d in current.store.documents()}
        prepared.documents = [d for d in prepared.documents if d.doc_id not in known]
        embedder.warm_up()
        with staged(index_dir) as staging:
            manifest = _append(current, staging, prepared, embedder, batch_size, shown)
            shown.phase("publish", str(index_dir))
            publish(staging, index_dir)
    finally:
        current.close()
    return BuildResult(prepared.report, manifest, time.perf_counter() - started)


def _append(
    current: LoadedIndex, staging: Path, prepared: PreparedCorpus, embedder: Embedder, batch_size: int,
    progress: BuildProgress,
) -> Manifest:
    """The current index copied into `staging` with the new passages appended (the live files are never written)."""
    index_dir = current.directory
    matrix, sentences = encode_passages(embedder, prepared.passages, batch_size, progress)
    progress.phase("index", f"{len(prepared.passages)} passages added")
    # Copy the store with SQLite's online backup, then append.
    current.store.copy_to(staging / STORE)
    store = PassageStore.open(staging / STORE, readonly=False)
    first = store.next_row()  # after every row of the vector index, those of removed passages included
    store.add_documents(prepared.documents)
    store.add_passages(prepared.passages, first)
    LexicalIndex(store).add(first, prepared.passages)
    store.set_row_count(first + len(prepared.passages))
    old_rows, old_sentences = current.sentence_rows, current.sentences
    per_passage = [old_sentences[old_rows[i] : old_rows[i + 1]] for i in range(len(old_rows) - 1)] + sentences
    write_sentence_vectors(staging, per_passage, embedder.dimension)
    index = vector_index.load(index_dir / VECTORS)
    vector_index.append(index, matrix)
    kind = vector_index.IndexType.parse(current.manifest.index_type)
    return _finish(staging, store, index, embedder, kind)

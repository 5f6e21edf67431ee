"""Loading an index folder, with checks that refuse a damaged or inconsistent one in one sentence."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from corpus.store import PassageStore, StoreError
from index import vectors as vector_index
from index.aliases import AliasTable
from index.embed import Embedder, EmbeddingError, built_family, embedder_for, vector_family
from index.lexical import LexicalIndex
from index.manifest import (
    CHECKED_FILES,
    SENTENCE_ROWS,
    SENTENCES,
    STORE,
    VECTORS,
    IndexFolderError,
    Manifest,
    fix_hint,
    read_manifest,
    sha256_of,
)


@dataclass
class LoadedIndex:
    directory: Path
    manifest: Manifest
    store: PassageStore
    vectors: Any  # faiss.Index
    aliases: AliasTable
    sentences: np.ndarray
    sentence_rows: np.ndarray
    folder: Path | None = None  # the build `directory` resolved to when it was read (it is a link that moves)

    def close(self) -> None:
        self.store.close()


def load_index(index_dir: Path, *, verify_checksums: bool = True, expected_model: str | None = None) -> LoadedIndex:
    """Open an index folder, or raise `IndexFolderError` with one sentence naming the problem and the fix."""
    index_dir = Path(index_dir)
    # Read every file through one resolution of the link: a build published meanwhile swaps `index_dir`
    # to another folder, and the files must all come from the same one. Messages keep the name given.
    folder = index_dir.resolve()
    manifest = read_manifest(index_dir, folder)
    if expected_model is not None and manifest.model != expected_model:
        raise IndexFolderError(
            f"the index at {index_dir} was built with the model {manifest.model}, but {expected_model} is "
            f"configured; {fix_hint(index_dir)}, or set CITED_MODEL={manifest.model}"
        )
    for name in CHECKED_FILES:
        path = folder / name
        if not path.is_file():
            raise IndexFolderError(f"the index at {index_dir} is missing {name}; {fix_hint(index_dir)}")
        if verify_checksums and sha256_of(path) != manifest.files.get(name):
            raise IndexFolderError(f"{name} in the index at {index_dir} does not match its checksum; {fix_hint(index_dir)}")
    try:
        store = PassageStore.open(folder / STORE)
    except StoreError as exc:
        raise IndexFolderError(f"{exc}; {fix_hint(index_dir)}") from exc
    try:
        LexicalIndex(store).check()
    except sqlite3.DatabaseError as exc:
        store.close()
        raise IndexFolderError(f"the lexical index in {folder / STORE} is unreadable ({exc}); {fix_hint(index_dir)}") from exc
    reading = VECTORS
    try:
        index = vector_index.load(folder / VECTORS)
        reading = SENTENCES
        sentences = np.load(folder / SENTENCES, mmap_mode="r")
        reading = SENTENCE_ROWS
        sentence_rows = np.load(folder / SENTENCE_ROWS)
        reading = AliasTable.FILENAME
        aliases = AliasTable.load(folder)
    except (RuntimeError, ValueError, OSError, KeyError, TypeError, AttributeError):
        # FAISS and numpy explain a damaged file in several lines of C++ and dtype detail; the file's name is the news.
        store.close()
        raise IndexFolderError(
            f"{reading} in the index at {index_dir} cannot be read (truncated or damaged); {fix_hint(index_dir)}"
        ) from None
    count, rows = store.count(), store.row_count()
    problems = []
    if index.ntotal != rows or manifest.passages != count:
        problems.append(f"it holds {index.ntotal} vectors for {rows} rows of {count} passages (manifest: {manifest.passages})")
    if index.d != manifest.dimension:
        problems.append(f"its vectors have dimension {index.d}, the manifest says {manifest.dimension}")
    if not store.rows_fit(rows):
        problems.append("its passage rows lie outside the vector index, so vectors and passages no longer line up")
    if len(sentence_rows) != rows + 1 or (rows and sentence_rows[-1] != len(sentences)):
        problems.append("its sentence vectors do not line up with its passages")
    if problems:
        store.close()
        raise IndexFolderError(f"the index at {index_dir} is inconsistent: {problems[0]}; {fix_hint(index_dir)}")
    return LoadedIndex(index_dir, manifest, store, index, aliases, sentences, sentence_rows, folder)


def model_for(manifest: Manifest, backend: str | None = None, near: Path | None = None) -> Embedder:
    """The encoder of the index's model, run by `backend` (None: as the index was built)."""
    try:
        return embedder_for(manifest.model, backend or manifest.backend, near=near)
    except EmbeddingError as exc:
        raise IndexFolderError(str(exc)) from exc


def check_backend(index_dir: Path, manifest: Manifest, backend: str) -> None:
    """Refuse query vectors of another family than the index's own (int8 against fp32, or another int8 recipe's:
    see vector_family)."""
    built = built_family(manifest.backend, manifest.family)
    if built == vector_family(backend):
        return
    rebuild = f"rebuild it with 'cited build --index {index_dir} --backend {backend}'"
    if built != vector_family(manifest.backend):  # an earlier export of its backend, which nothing now reproduces
        raise IndexFolderError(
            f"the index at {index_dir} holds vectors of an earlier {manifest.backend} export ({built}), which the "
            f"current one ({vector_family(manifest.backend)}) does not reproduce closely enough to search them; {rebuild}"
        )
    raise IndexFolderError(
        f"the index at {index_dir} holds vectors made by the {manifest.backend} encoder, which {backend} does not "
        f"reproduce closely enough to search them; {rebuild}, or set CITED_BACKEND={manifest.backend}"
    )

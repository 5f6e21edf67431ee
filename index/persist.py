"""The index folder: build it atomically, add to it, and load it with checks that speak in sentences.

Layout of an index folder:
    manifest.json        model, dimension, counts, corpus checksum, file checksums, format version
    vectors.faiss        row i = passage row i of the store
    store.sqlite         documents, passages, duplicate locations, FTS5 lexical index
    aliases.json         acronym definitions mined from the corpus
    sentences.npy        one unit vector per passage sentence (float16), for highlighting
    sentence_rows.npy    passage row -> first sentence vector (int64, length passages + 1)

`DIR` itself is a symbolic link to a complete build in `DIR.builds/`; publishing a build swaps the
link in one rename, so a reader sees the old index or the new one, never a mixture.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from corpus.clean import CleaningRules
from corpus.model import Passage, normalise
from corpus.pipeline import BuildReport, PreparedCorpus, prepare
from corpus.store import PassageStore, StoreError
from index import vectors as vx
from index.aliases import AliasTable
from index.embed import Embedder, EmbeddingError, embedder_for

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
STORE = "store.sqlite"
SENTENCES = "sentences.npy"
SENTENCE_ROWS = "sentence_rows.npy"
CHECKED_FILES = (VECTORS, STORE, AliasTable.FILENAME, SENTENCES, SENTENCE_ROWS)


class IndexError_(Exception):
    """An index that cannot be used; the message names the problem and the command that fixes it."""


def _fix(index_dir: Path) -> str:
    return f"rebuild it with 'cited build --index {index_dir}'"


@dataclass(frozen=True)
class Manifest:
    format_version: int
    model: str
    dimension: int
    passages: int
    documents: int
    corpus_checksum: str
    built_at: str
    index_type: str
    files: dict[str, str]

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        """The manifest from its JSON object; a missing field or one of the wrong type raises ValueError."""
        if not isinstance(data, dict):
            raise ValueError("it is not a JSON object")
        for name, kind in _FIELD_TYPES.items():
            if name not in data:
                raise ValueError(f"the field '{name}' is missing")
            value = data[name]
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ValueError(f"the field '{name}' is not a {_TYPE_NAMES[kind]}")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in data["files"].items()):
            raise ValueError("the field 'files' does not map file names to checksums")
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


# A hand-edited manifest must fail here with a sentence, not later inside a request (a `built_at` that is
# not a string would break /healthz, a `files` that is not an object the checksum loop).
_FIELD_TYPES: dict[str, type] = {
    "format_version": int, "model": str, "dimension": int, "passages": int, "documents": int,
    "corpus_checksum": str, "built_at": str, "index_type": str, "files": dict,
}
_TYPE_NAMES = {int: "whole number", str: "string", dict: "JSON object"}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def corpus_checksum(texts: Iterable[str]) -> str:
    """A checksum of the passages' normalised text in row order: equal corpora, equal checksum."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(normalise(text).encode("utf-8") + b"\x00")
    return digest.hexdigest()


@dataclass
class BuildResult:
    report: BuildReport
    manifest: Manifest
    seconds: float


# -- writing -------------------------------------------------------------------------------------


def _encode(
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


def encode_passages(
    embedder: Embedder, passages: Sequence[Passage], batch_size: int = 64, progress: bool = False
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The build's encoding of passages: one vector each and one per sentence (what the bench times alone)."""
    return _encode(embedder, passages, batch_size, progress)


def _write_sentences(directory: Path, per_passage: Sequence[np.ndarray], dim: int) -> None:
    counts = np.array([len(s) for s in per_passage], dtype=np.int64)
    rows = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    matrix = np.concatenate(per_passage).astype(np.float16) if len(per_passage) else np.zeros((0, dim), np.float16)
    np.save(directory / SENTENCES, matrix.reshape(-1, dim))
    np.save(directory / SENTENCE_ROWS, rows)


def _finish(directory: Path, store: PassageStore, index: Any, model: str, dim: int, kind: vx.IndexType) -> Manifest:
    store.commit()
    AliasTable.mine(store.texts()).save(directory)
    vx.save(index, directory / VECTORS)
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


def _staging(index_dir: Path) -> Path:
    builds = index_dir.parent / f"{index_dir.name}.builds"
    builds.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    staging = builds / f"{stamp}-{uuid.uuid4().hex[:8]}.partial"
    staging.mkdir()
    return staging


def _publish(staging: Path, index_dir: Path) -> None:
    """Point `index_dir` at the finished build in one atomic rename; drop older builds."""
    final = staging.with_suffix("")
    staging.rename(final)
    builds = final.parent
    if index_dir.exists() and not index_dir.is_symlink():
        # An index folder from before builds were versioned: keep it as a build of its own.
        index_dir.rename(builds / f"legacy-{uuid.uuid4().hex[:8]}")
    link = index_dir.parent / f".{index_dir.name}.link-{uuid.uuid4().hex[:8]}"
    link.symlink_to(os.path.relpath(final, index_dir.parent))
    os.replace(link, index_dir)
    for old in builds.iterdir():
        if old != final and not old.name.endswith(".partial"):
            shutil.rmtree(old, ignore_errors=True)


def clean_stale_builds(index_dir: Path, older_than_s: float = 0.0) -> None:
    """Remove builds left half-written by an interrupted process (they never became the index)."""
    builds = index_dir.parent / f"{index_dir.name}.builds"
    if not builds.is_dir():
        return
    now = time.time()
    for partial in builds.glob("*.partial"):
        if now - partial.stat().st_mtime >= older_than_s and not _owned_by_live_process(partial):
            shutil.rmtree(partial, ignore_errors=True)


def _owned_by_live_process(partial: Path) -> bool:
    owner = partial / "owner.pid"
    try:
        os.kill(int(owner.read_text()), 0)
    except (OSError, ValueError):
        return False
    return True


def build_index(
    paths: Sequence[str | Path],
    index_dir: Path,
    embedder: Embedder,
    *,
    rules: CleaningRules = CleaningRules(),
    index_type: vx.IndexType | None = None,
    batch_size: int = 64,
    progress: bool = True,
    prepared: PreparedCorpus | None = None,
) -> BuildResult:
    """Build a new index from `paths` and publish it at `index_dir`; the old one serves until then."""
    started = time.perf_counter()
    prepared = prepared or prepare(paths, rules)
    if not prepared.passages:
        raise IndexError_("no passages were found in the given paths, so there is nothing to index")
    embedder.warm_up()
    clean_stale_builds(index_dir)
    staging = _staging(index_dir)
    (staging / "owner.pid").write_text(str(os.getpid()))
    try:
        matrix, sentences = _encode(embedder, prepared.passages, batch_size, progress)
        kind = index_type or vx.IndexType.for_size(len(prepared.passages))
        store = PassageStore.create(staging / STORE)
        store.add_documents(prepared.documents)
        store.add_passages(prepared.passages)
        _write_sentences(staging, sentences, embedder.dimension)
        index = vx.build(matrix, kind)
        manifest = _finish(staging, store, index, embedder.name, embedder.dimension, kind)
        (staging / "owner.pid").unlink()
        _publish(staging, index_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
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
        raise IndexError_(
            f"the index at {index_dir} was built with {current.manifest.model}, not {embedder.name}; {_fix(index_dir)}"
        )
    existing = current.store.texts()
    prepared = prepare(paths, rules, existing=existing)
    known = {d.doc_id for d in current.store.documents()}
    prepared.documents = [d for d in prepared.documents if d.doc_id not in known]
    embedder.warm_up()
    clean_stale_builds(index_dir)
    staging = _staging(index_dir)
    (staging / "owner.pid").write_text(str(os.getpid()))
    try:
        matrix, sentences = _encode(embedder, prepared.passages, batch_size, progress)
        # Copy the store with SQLite's online backup, then append: the live files are never written.
        current.store.copy_to(staging / STORE)
        store = PassageStore.open(staging / STORE, readonly=False)
        store.add_documents(prepared.documents)
        store.add_passages(prepared.passages)
        old_rows = np.load(index_dir / SENTENCE_ROWS)
        old_sentences = np.load(index_dir / SENTENCES)
        per_passage = [old_sentences[old_rows[i] : old_rows[i + 1]] for i in range(len(old_rows) - 1)] + sentences
        _write_sentences(staging, per_passage, embedder.dimension)
        index = vx.load(index_dir / VECTORS)
        vx.append(index, matrix)
        kind = vx.IndexType.parse(current.manifest.index_type)
        manifest = _finish(staging, store, index, embedder.name, embedder.dimension, kind)
        (staging / "owner.pid").unlink()
        current.close()
        _publish(staging, index_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BuildResult(prepared.report, manifest, time.perf_counter() - started)


# -- reading -------------------------------------------------------------------------------------


@dataclass
class LoadedIndex:
    directory: Path
    manifest: Manifest
    store: PassageStore
    vectors: Any  # faiss.Index
    aliases: AliasTable
    sentences: np.ndarray
    sentence_rows: np.ndarray

    def close(self) -> None:
        self.store.close()


def read_manifest(index_dir: Path, folder: Path | None = None) -> Manifest:
    """The manifest of the index at `index_dir`, read from `folder` (its resolved build) when given."""
    path = (folder or index_dir) / MANIFEST
    if not index_dir.exists():
        raise IndexError_(f"there is no index at {index_dir}; build one with 'cited build --index {index_dir}'")
    if not path.is_file():
        raise IndexError_(f"the index at {index_dir} has no {MANIFEST}; {_fix(index_dir)}")
    try:
        manifest = Manifest.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexError_(f"the manifest of the index at {index_dir} is not valid ({exc}); {_fix(index_dir)}") from exc
    if manifest.format_version != FORMAT_VERSION:
        raise IndexError_(
            f"the index at {index_dir} has format version {manifest.format_version}, this cited reads "
            f"{FORMAT_VERSION}; {_fix(index_dir)}"
        )
    return manifest


def load_index(index_dir: Path, *, verify_checksums: bool = True, expected_model: str | None = None) -> LoadedIndex:
    """Open an index folder, or raise `IndexError_` with one sentence naming the problem and the fix."""
    index_dir = Path(index_dir)
    # Read every file through one resolution of the link: a build published meanwhile swaps `index_dir`
    # to another folder, and the files must all come from the same one. Messages keep the name given.
    folder = index_dir.resolve()
    manifest = read_manifest(index_dir, folder)
    if expected_model is not None and manifest.model != expected_model:
        raise IndexError_(
            f"the index at {index_dir} was built with the model {manifest.model}, but {expected_model} is "
            f"configured; {_fix(index_dir)}, or set CITED_MODEL={manifest.model}"
        )
    for name in CHECKED_FILES:
        path = folder / name
        if not path.is_file():
            raise IndexError_(f"the index at {index_dir} is missing {name}; {_fix(index_dir)}")
        if verify_checksums and sha256_of(path) != manifest.files.get(name):
            raise IndexError_(f"{name} in the index at {index_dir} does not match its checksum; {_fix(index_dir)}")
    try:
        store = PassageStore.open(folder / STORE)
    except StoreError as exc:
        raise IndexError_(f"{exc}; {_fix(index_dir)}") from exc
    reading = VECTORS
    try:
        index = vx.load(folder / VECTORS)
        reading = SENTENCES
        sentences = np.load(folder / SENTENCES, mmap_mode="r")
        reading = SENTENCE_ROWS
        sentence_rows = np.load(folder / SENTENCE_ROWS)
        reading = AliasTable.FILENAME
        aliases = AliasTable.load(folder)
    except (RuntimeError, ValueError, OSError, KeyError, TypeError, AttributeError):
        # FAISS and numpy explain a damaged file in several lines of C++ and dtype detail; the file's name is the news.
        store.close()
        raise IndexError_(
            f"{reading} in the index at {index_dir} cannot be read (truncated or damaged); {_fix(index_dir)}"
        ) from None
    count = store.count()
    problems = []
    if index.ntotal != count or manifest.passages != count:
        problems.append(f"it holds {index.ntotal} vectors for {count} passages (manifest: {manifest.passages})")
    if index.d != manifest.dimension:
        problems.append(f"its vectors have dimension {index.d}, the manifest says {manifest.dimension}")
    if not store.rows_are_dense():
        problems.append("its passage rows have gaps, so vectors and passages no longer line up")
    if len(sentence_rows) != count + 1 or (count and sentence_rows[-1] != len(sentences)):
        problems.append("its sentence vectors do not line up with its passages")
    if problems:
        store.close()
        raise IndexError_(f"the index at {index_dir} is inconsistent: {problems[0]}; {_fix(index_dir)}")
    return LoadedIndex(index_dir, manifest, store, index, aliases, sentences, sentence_rows)


def model_for(manifest: Manifest) -> Embedder:
    try:
        return embedder_for(manifest.model)
    except EmbeddingError as exc:
        raise IndexError_(str(exc)) from exc

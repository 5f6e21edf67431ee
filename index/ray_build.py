"""`cited build --ray`: the same index as `build_index`, with the per-document and per-passage work on a Ray
cluster through Ray Data. Loading and rendering, cleaning and splitting into blocks, MinHash signatures, and
embedding (an actor pool, one model per actor) run on the workers; what needs every document at once stays
on the driver: the recurring furniture lines, and dedup's banding over all signatures (so near duplicates are
found across whatever computed them). The result is written and published as any build, split into shards
when asked, so a lost node means a retried task or a build that fails in one sentence with nothing published.

Every stage keeps each item's position and the driver puts results back in that order, so the passages,
their rows and (batches being the same) their vectors are those of a build on one machine.
"""

from __future__ import annotations

import logging
import pickle
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from corpus.clean import Cleaner, CleaningRules, recurring_furniture
from corpus.dedup import DedupConfig, Fingerprint, fingerprint
from corpus.loaders import LoadError, RawDocument, Skipped, discover, display_source, load_file
from corpus.model import Document
from corpus.pipeline import (
    DEFAULT_DEDUP,
    BuildReport,
    PreparedCorpus,
    clean_document,
    distinct,
    passage_blocks,
    passages_from,
    rendered,
)
from corpus.structure import Block
from index import vectors as vector_index
from index.build import BuildResult, Encoded, write_build
from index.embed import DEFAULT_BACKEND, Embedder, embedder_for
from index.manifest import IndexFolderError
from index.publish import publish, staged

log = logging.getLogger(__name__)

# Items per Ray Data batch for the light stages; embedding takes one chunk of passages per call.
FILES_PER_BATCH = 8
BLOCKS_PER_BATCH = 512


class BuildFailed(IndexFolderError):
    """The cluster could not finish the build; nothing was published."""


# -- the work of each stage, run on the workers ---------------------------------------------------------


def _load(batch: dict[str, np.ndarray]) -> dict[str, list[Any]]:
    """Files → their documents and rendered texts, or the reason a file is skipped."""
    out = []
    for path in batch["path"]:
        try:
            raw = list(load_file(Path(path)))
            out.append(pickle.dumps((raw, [rendered(r) for r in raw], None if raw else "it holds no text")))
        except LoadError as exc:
            out.append(pickle.dumps(([], [], str(exc))))
    return {"at": list(batch["at"]), "payload": out}


def _clean(batch: dict[str, np.ndarray], rules: CleaningRules, furniture: frozenset[str]) -> dict[str, list[Any]]:
    """(raw document, rendered text) → the cleaned document and its blocks, or None."""
    cleaner = Cleaner(rules, furniture)
    out = []
    for payload in batch["payload"]:
        raw, body = pickle.loads(payload)
        doc = clean_document(raw, body, cleaner, rules)
        out.append(pickle.dumps((doc, passage_blocks(doc) if doc is not None else [])))
    return {"at": list(batch["at"]), "payload": out}


def _fingerprint(batch: dict[str, np.ndarray], config: DedupConfig) -> dict[str, list[Any]]:
    return {"at": list(batch["at"]), "payload": [pickle.dumps(fingerprint(str(t), config)) for t in batch["text"]]}


class Embed:
    """One model per actor, loaded once; each call embeds one chunk of passages as the local build does."""

    def __init__(self, model: str, backend: str, batch_size: int, threads: int) -> None:
        self.embedder = embedder_for(model, backend)
        self.embedder.set_threads(threads)  # the actor's CPUs, whichever backend runs the model
        self.embedder.warm_up()
        self.batch_size = batch_size

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[Any]]:
        out = []
        for payload in batch["payload"]:
            texts, bodies = pickle.loads(payload)
            encoded = self.embedder.encode_with_sentences(texts, bodies, batch_size=self.batch_size)
            out.append(pickle.dumps((encoded.vectors, encoded.sentence_vectors)))
        return {"at": list(batch["at"]), "payload": out}


# -- the driver ---------------------------------------------------------------------------------------


def _run(items: Sequence[dict[str, Any]], stage: Callable[..., Any], batch_size: int, **options: Any) -> list[Any]:
    """Items through one Ray Data stage, results unpickled back in the items' order."""
    import ray

    if not items:
        return []
    dataset = ray.data.from_items(list(items), override_num_blocks=max(1, min(len(items), 64)))
    rows = dataset.map_batches(stage, batch_size=batch_size, **options).take_all()
    return [pickle.loads(row["payload"]) for row in sorted(rows, key=lambda r: int(r["at"]))]


def load_on_cluster(paths: Sequence[str | Path]) -> tuple[list[RawDocument], list[str], list[Skipped]]:
    """Every document under `paths` with its rendered text, and the files skipped (as `load_paths` finds them)."""
    files, skipped = discover(paths)
    results = _run([{"at": i, "path": str(f)} for i, f in enumerate(files)], _load, FILES_PER_BATCH, num_cpus=1)
    raw: list[RawDocument] = []
    texts: list[str] = []
    for path, (found, bodies, reason) in zip(files, results, strict=True):
        if reason is not None:
            log.warning("skipped %s: %s", display_source(path), reason)
            skipped.append(Skipped(display_source(path), reason))
        raw.extend(found)
        texts.extend(bodies)
    return raw, texts, skipped


def prepare_on_cluster(paths: Sequence[str | Path], rules: CleaningRules, *, max_words: int = 200) -> PreparedCorpus:
    """`corpus.pipeline.prepare` with the per-document and per-block work on the cluster."""
    raw, texts, skipped = load_on_cluster(paths)
    report = BuildReport(documents_read=len(raw), skipped=skipped)
    furniture = recurring_furniture(texts, rules)
    items = [{"at": i, "payload": pickle.dumps((r, t))} for i, (r, t) in enumerate(zip(raw, texts, strict=True))]
    cleaned = _run(items, _clean, FILES_PER_BATCH, num_cpus=1, fn_kwargs={"rules": rules, "furniture": furniture})
    blocks: dict[str, list[Block]] = {}
    for doc, found in cleaned:
        if doc is not None:
            blocks.setdefault(doc.doc_id, found)
    documents = distinct(doc for doc, _ in cleaned if doc is not None)

    def blocks_of(docs: Sequence[Document]) -> list[list[Block]]:
        return [blocks[d.doc_id] for d in docs]

    def fingerprints_of(block_texts: Sequence[str]) -> list[Fingerprint]:
        items = [{"at": i, "text": t} for i, t in enumerate(block_texts)]
        return _run(items, _fingerprint, BLOCKS_PER_BATCH, num_cpus=1, fn_kwargs={"config": DEFAULT_DEDUP})

    passages = passages_from(
        documents, max_words=max_words, report=report, blocks_of=blocks_of, fingerprints_of=fingerprints_of
    )
    return PreparedCorpus(documents, passages, report)


def embed_on_cluster(prepared: PreparedCorpus, embedder: Embedder, batch_size: int, actors: int) -> Encoded:
    """The passages' vectors from an actor pool of `actors` models, in chunks as `encode_passages` makes them."""
    step = batch_size * 8
    items = []
    for at in range(0, len(prepared.passages), step):
        chunk = prepared.passages[at : at + step]
        texts = [p.embedding_text() for p in chunk]
        bodies = [(len(t) - len(p.text), p.text) for t, p in zip(texts, chunk, strict=True)]
        items.append({"at": at, "payload": pickle.dumps((texts, bodies))})
    import ray

    results = _run(
        items, Embed, 1, compute=ray.data.ActorPoolStrategy(size=max(1, min(actors, len(items)))), num_cpus=1,
        fn_constructor_kwargs={"model": embedder.name, "backend": embedder.backend, "batch_size": batch_size, "threads": 1},
    )
    vectors = [v for v, _ in results]
    sentences = [s for _, per_chunk in results for s in per_chunk]
    return Encoded(np.concatenate(vectors) if vectors else np.zeros((0, embedder.dimension), np.float32), sentences)


def build_on_cluster(
    paths: Sequence[str | Path],
    index_dir: Path,
    model: str,
    *,
    backend: str = DEFAULT_BACKEND,
    shards: int = 1,
    rules: CleaningRules = CleaningRules(),
    index_type: vector_index.IndexType | None = None,
    batch_size: int = 64,
    progress: bool = True,
) -> BuildResult:
    """Build on the Ray cluster this process is connected to (index/cluster.py) and publish at `index_dir`."""
    import ray
    from ray.data.exceptions import SystemException
    from ray.exceptions import RayError

    from index.cluster import worker_cpus

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = progress
    # Ray Data logs each dataset's plan at INFO; a build prints its own report.
    logging.getLogger("ray.data").setLevel(logging.INFO if progress else logging.WARNING)
    started = time.perf_counter()
    embedder = embedder_for(model, backend)  # its name, backend and dimension; the workers load the model itself
    try:
        prepared = prepare_on_cluster(paths, rules)
        if not prepared.passages:
            raise IndexFolderError("no passages were found in the given paths, so there is nothing to index")
        with staged(index_dir) as staging:
            encoded = embed_on_cluster(prepared, embedder, batch_size, worker_cpus())
            manifest = write_build(staging, prepared, encoded, embedder, index_type, shards)
            publish(staging, index_dir)
    except (RayError, SystemException) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BuildFailed(f"the Ray cluster failed during the build ({first}); nothing was published at {index_dir}") from exc
    return BuildResult(prepared.report, manifest, time.perf_counter() - started)

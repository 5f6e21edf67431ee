"""Changing a published index a document at a time: add, replace and remove documents. The store, the lexical
index and the vector index change together in a copy that is published whole (index/publish.py), under the writer
lock, so a reader sees the old index or the new one and a replaced document is never missing in between.

Removed passages leave the store and the FTS5 table at once; their vectors stay in the FAISS index as tombstones
(HNSW cannot remove a vector; `IndexIDMap.remove_ids` on a flat index rewrites every vector after the first
removed one), left out of every search by an IDSelector (index/engine.py). Compaction rebuilds the vector index
from the live rows alone once tombstones pass COMPACT_ABOVE of the rows, and reclaims their space."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from corpus.model import Document, Location, Passage
from corpus.pipeline import passages_from
from corpus.store import PassageStore
from index import vectors as vector_index
from index.build import _finish, encode_passages
from index.embed import Embedder
from index.lexical import LexicalIndex
from index.load import LoadedIndex, check_backend, load_index, model_for
from index.manifest import STORE, IndexFolderError, Manifest, fix_hint
from index.publish import publish, staged, writer_lock
from index.sentence_vectors import of_rows, write_sentence_vectors, write_with_appended

log = logging.getLogger(__name__)

# Tombstones above this share of the vector index's rows trigger compaction: searches skip them through a
# selector, which costs little until they are a good part of what HNSW walks.
COMPACT_ABOVE = 0.25


class UnknownDocument(IndexFolderError):
    """A document id to remove that the index does not hold."""


@dataclass
class ChangeResult:
    """What one change did: documents added, replaced (old id -> new document) and removed; the manifest published
    (None when nothing needed changing); whether the vector index was compacted."""

    added: list[Document] = field(default_factory=list)
    replaced: dict[str, Document] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    unchanged: list[Document] = field(default_factory=list)
    passages: dict[str, int] = field(default_factory=dict)  # doc_id -> passages stored for it
    manifest: Manifest | None = None
    compacted: bool = False

    @property
    def changed(self) -> bool:
        return self.manifest is not None


@dataclass
class _Plan:
    documents: list[Document]  # to store, new or replacing another
    gone: set[str]  # stored documents to delete
    again: list[tuple[Document, str | None]]  # stored documents indexed again (they shared text with a gone one)
    result: ChangeResult


def apply_changes(
    index_dir: Path,
    documents: Sequence[Document] = (),
    remove: Sequence[str] = (),
    embedder: Embedder | None = None,
    *,
    progress: bool = False,
    compact_above: float = COMPACT_ABOVE,
) -> ChangeResult:
    """Add `documents` (one whose source is stored replaces that document; one stored already is left alone) and
    remove the documents `remove`, publishing the result as one new build of `index_dir`."""
    with writer_lock(index_dir):
        # Not verified byte for byte here: this writer published it with fresh checksums, every reader verifies it,
        # and hashing every file would cost a change at 100k passages a tenth of a second per 100 MB.
        current = load_index(index_dir, verify_checksums=False)
        try:
            embedder = embedder or model_for(current.manifest, near=index_dir)
            if embedder.name != current.manifest.model:
                raise IndexFolderError(
                    f"the index at {index_dir} was built with {current.manifest.model}, not {embedder.name}; {fix_hint(index_dir)}"
                )
            check_backend(index_dir, current.manifest, embedder.backend)
            plan = _plan(current.store, documents, remove)
            if not plan.gone and not plan.documents:
                return plan.result
            embedder.warm_up()
            with staged(index_dir) as staging:
                _write(current, staging, plan, embedder, progress, compact_above)
                publish(staging, index_dir)
        finally:
            current.close()
    return plan.result


def _plan(store: PassageStore, documents: Sequence[Document], remove: Sequence[str]) -> _Plan:
    result = ChangeResult()
    unknown = [d for d in remove if store.document(d) is None]
    if unknown:
        raise UnknownDocument(f"the index holds no document with the id {unknown[0]}")
    by_source = store.by_source()
    gone = set(remove)
    result.removed = list(dict.fromkeys(remove))
    incoming: list[Document] = []
    for doc in {d.source: d for d in documents}.values():  # the last of one source wins
        old = by_source.get(doc.source)
        # Stored already: the same text from the same source (or from another of the same file name).
        stored = old[0] if old is not None else doc.doc_id if store.document(doc.doc_id) else None
        if stored == doc.doc_id and doc.doc_id not in gone:
            result.unchanged.append(doc)
            continue
        if old is not None and old[0] != doc.doc_id:
            gone.add(old[0])
            result.replaced[old[0]] = doc
        else:
            result.added.append(doc)
        incoming.append(doc)
    # A document whose text duplicated a passage of a gone one has that text stored only there: it is indexed
    # again from its stored text, so the passage is its own (and so on, for documents that shared with it).
    again: set[str] = set()
    while frontier := store.dependants(sorted(gone | again)) - gone - again:
        again |= frontier
    history = store.history(sorted(again))
    sharing = [store.document(d) for d in sorted(again)]
    kept = [(doc, history.get(doc.doc_id)) for doc in sharing if doc is not None]
    return _Plan(incoming, gone | again, kept, result)


def _write(
    current: LoadedIndex, staging: Path, plan: _Plan, embedder: Embedder, progress: bool, compact_above: float
) -> None:
    """The current index copied into `staging` with the plan applied (the live files are never written)."""
    folder = current.folder or current.directory
    current.store.copy_to(staging / STORE)
    store = PassageStore.open(staging / STORE, readonly=False)
    lexical = LexicalIndex(store)
    gone = sorted(plan.gone)
    gone_rows = store.rows_of(gone)
    lexical.remove(gone_rows)
    store.remove_documents(gone)
    first = int(current.vectors.ntotal)  # new rows follow every row of the vector index, tombstones included
    new_documents = [*plan.documents, *(doc for doc, _ in plan.again)]
    passages, repeats = _new_passages(store, new_documents)
    matrix, sentences = encode_passages(embedder, passages, 64, progress)
    store.add_documents(plan.documents)
    for doc, added_at in plan.again:
        store.add_documents([doc], added_at)
    store.add_passages(passages, first)
    lexical.add(first, passages)
    store.add_duplicates(repeats)
    total = first + len(passages)
    store.set_row_count(total)
    index = current.vectors  # this writer's own copy, loaded from the live file, which it never writes
    vector_index.append(index, matrix)
    kind = vector_index.IndexType.parse(current.manifest.index_type)
    live = store.count()
    if total and (total - live) / total > compact_above:
        index = _compact(store, lexical, index, kind, staging, current, sentences, first)
        plan.result.compacted = True
    else:
        write_with_appended(staging, folder, current.sentence_rows, sentences, embedder.dimension)
    plan.result.passages = store.passage_counts([d.doc_id for d in new_documents])
    # The acronym table is mined again from every passage: an acronym a new document only uses may be spelled out
    # by a name anywhere in the corpus (AliasTable.mine), which no count of the changed passages alone can tell.
    plan.result.manifest = _finish(staging, store, index, embedder, kind)


def _new_passages(store: PassageStore, documents: Sequence[Document]) -> tuple[list[Passage], list[tuple[str, Location]]]:
    """The passages of `documents`, deduplicated among themselves as a build does, less those whose text is stored
    already (found by passage id, which derives from the text), whose places are recorded with the stored passage
    instead. Near duplicates of stored passages are not looked for: that would read every stored text (MinHash over
    all of them) for each change; a rebuild finds them."""
    passages = passages_from(documents)
    stored = store.stored_ids([p.passage_id for p in passages])
    fresh = [p for p in passages if p.passage_id not in stored]
    repeats = [
        (p.passage_id, place) for p in passages if p.passage_id in stored
        for place in (Location(p.doc_id, p.start, p.end), *p.also_at)
    ]
    return fresh, repeats


def _compact(
    store: PassageStore, lexical: LexicalIndex, index: Any, kind: vector_index.IndexType, staging: Path,
    current: LoadedIndex, added: Sequence[np.ndarray], first: int,
) -> Any:
    """Drop the tombstones: live rows renumbered 0..N-1 in their order in the store, the FTS5 table, the vector index
    (rebuilt from the stored vectors, no re-embedding) and the sentence vectors with them; the store vacuumed."""
    rows = store.renumber_rows()
    old_sentences = of_rows(current.sentences, current.sentence_rows, [r for r in rows if r < first])
    write_sentence_vectors(staging, [*old_sentences, *(added[r - first] for r in rows if r >= first)], index.d)
    vectors = index.reconstruct_batch(np.asarray(rows, dtype=np.int64)) if rows else np.zeros((0, index.d), np.float32)
    lexical.rebuild()
    store.set_row_count(len(rows))
    store.commit()
    store.vacuum()
    log.info("compacted the index: %d rows kept", len(rows))
    return vector_index.build(vectors, kind)


"""An index split into shards: a folder holding S ordinary index folders (`shard-0` …) and `shards.json`,
which names them and the first collection-wide row of each. Documents are split in order and whole, so a
shard's rows are a contiguous run of the rows one index over the same corpus would have.

Each shard is complete on its own (store, FTS5 table, vectors, sentence vectors, manifest). Two things in it
are the collection's rather than its own, so that shards answer together as one index: the alias table
(mined over every passage) and the totals in its FTS5 averages record (every shard's rows and tokens, so
that bm25() reads the collection's N and average length; index/lexical.py `Weighting` supplies the
collection's document frequencies per query).
"""

from __future__ import annotations

import bisect
import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from corpus.model import Document, Passage
from corpus.pipeline import BuildReport, PreparedCorpus
from corpus.store import PassageStore
from index import vectors as vector_index
from index.aliases import AliasTable
from index.embed import Embedder, vector_family
from index.lexical import NEIGHBOUR_GAP, LexicalIndex
from index.manifest import (
    MANIFEST,
    STORE,
    IndexFolderError,
    Manifest,
    corpus_checksum,
    fix_hint,
    read_manifest,
    sha256_of,
)

SHARDS = "shards.json"
SHARDS_FORMAT = 1

# Writes an index folder of one shard's corpus (index/build.py `write_index`, bound to the model and type).
ShardWriter = Callable[[Path, PreparedCorpus, np.ndarray, list[np.ndarray], AliasTable], None]


@dataclass(frozen=True)
class ShardsManifest:
    """What a split index holds as a whole, the folders of its shards, and the first row of each."""

    format_version: int
    model: str
    dimension: int
    passages: int
    documents: int
    corpus_checksum: str
    built_at: str
    shards: list[str]
    offsets: list[int]
    # How the model ran (index/embed.py BACKENDS); absent in shard lists written before there was a choice: torch.
    backend: str = "torch"
    family: str = ""  # as Manifest.family

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @property
    def index_type(self) -> str:
        return f"{len(self.shards)} shards"

    @classmethod
    def from_dict(cls, data: Any) -> ShardsManifest:
        if not isinstance(data, dict):
            raise ValueError("it is not a JSON object")
        missing = [name for name in cls.__dataclass_fields__ if name not in data and name not in ("backend", "family")]
        if missing:
            raise ValueError(f"the field '{missing[0]}' is missing")
        manifest = cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})
        if len(manifest.shards) != len(manifest.offsets) or not manifest.shards:
            raise ValueError("'shards' and 'offsets' do not name the same shards")
        return manifest


def is_sharded(index_dir: Path) -> bool:
    return (Path(index_dir) / SHARDS).is_file()


def read_shards(index_dir: Path) -> tuple[Path, ShardsManifest]:
    """The resolved folder of a split index and its manifest, or IndexFolderError in one sentence."""
    folder = Path(index_dir).resolve()
    try:
        manifest = ShardsManifest.from_dict(json.loads((folder / SHARDS).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise IndexFolderError(f"the shard list of the index at {index_dir} is not valid ({exc}); {fix_hint(index_dir)}") from exc
    if manifest.format_version != SHARDS_FORMAT:
        raise IndexFolderError(
            f"the index at {index_dir} is split in format {manifest.format_version}, this cited reads {SHARDS_FORMAT}; "
            f"{fix_hint(index_dir)}"
        )
    return folder, manifest


def read_index_manifest(index_dir: Path) -> Manifest | ShardsManifest:
    """The manifest of an ordinary or a split index (each shard's read too), or IndexFolderError in one sentence:
    what `make build` asks to decide whether the index needs building again."""
    if not is_sharded(index_dir):
        return read_manifest(index_dir)
    folder, manifest = read_shards(index_dir)
    for name in manifest.shards:
        read_manifest(folder / name)
    return manifest


def split(prepared: PreparedCorpus, shards: int) -> list[PreparedCorpus]:
    """The corpus cut into `shards` runs of passages in row order, of about equal size.

    A cut falls only where nothing that one index reads together would be parted: never between two touching
    passages of one document (the neighbours a query reads beside a candidate) nor inside a list (a lead-in and
    its bullets). A cut inside a document stores that document in both shards."""
    passages = prepared.passages
    safe = safe_cuts(passages)
    if shards < 1 or shards - 1 > len(safe):
        raise IndexFolderError(
            f"{len(passages)} passages cannot be split into {shards} shards here; choose --shards between 1 and "
            f"{len(safe) + 1}"
        )
    cuts: list[int] = []
    for s in range(1, shards):
        ideal = len(passages) * s / shards
        # The safe cut nearest the ideal one, after the previous cut, leaving one for each later shard.
        lowest = bisect.bisect_right(safe, cuts[-1]) if cuts else 0
        highest = len(safe) - (shards - 1 - s)
        at = min(range(lowest, highest), key=lambda i: abs(safe[i] - ideal))
        cuts.append(safe[at])
    bounds = [0, *cuts, len(passages)]
    parts = [passages[lo:hi] for lo, hi in itertools.pairwise(bounds)]
    held = [{p.doc_id for p in part} for part in parts]
    documents: list[list[Document]] = [[] for _ in parts]
    current = 0
    for doc in prepared.documents:
        holders = [i for i, ids in enumerate(held) if doc.doc_id in ids]
        # A document without passages (all its blocks were duplicates) stays with the one before it.
        for i in holders or [current]:
            documents[i].append(doc)
        current = holders[-1] if holders else current
    return [
        PreparedCorpus(docs, part, BuildReport(passages_kept=len(part))) for docs, part in zip(documents, parts, strict=True)
    ]


def safe_cuts(passages: Sequence[Passage]) -> list[int]:
    """Rows i (1 <= i < n) before which a shard may start: passage i does not touch passage i - 1 of its
    document, and no list (a lead-in ending in ':' and the bullets whose context it is) spans the cut."""
    n = len(passages)
    leads = {
        (p.doc_id, " ".join(p.text.split())): i for i, p in enumerate(passages) if p.text.rstrip().endswith(":")
    }
    # The rows each list covers, from its lead-in to its last bullet, may not be cut.
    last = list(range(n))
    for i, p in enumerate(passages):
        lead = leads.get((p.doc_id, p.context or ""))
        if lead is not None and lead != i:
            low, high = min(lead, i), max(lead, i)
            last[low] = max(last[low], high)
    out, reach = [], 0
    for i in range(1, n):
        reach = max(reach, last[i - 1])
        a, b = passages[i - 1], passages[i]
        touching = a.doc_id == b.doc_id and b.start <= a.end + NEIGHBOUR_GAP and a.start <= b.end + NEIGHBOUR_GAP
        if reach < i and not touching:
            out.append(i)
    return out


def write_sharded(
    directory: Path, prepared: PreparedCorpus, vectors: np.ndarray, sentences: Sequence[np.ndarray],
    shards: int, embedder: Embedder, write: ShardWriter,
) -> ShardsManifest:
    """`shards` index folders of `prepared` in `directory`, each written by `write`, then made collection-wide
    (aliases, BM25 totals), and the manifest naming them."""
    parts = split(prepared, shards)
    aliases = AliasTable.mine(p.text for p in prepared.passages)
    names, offsets, first = [], [], 0
    for i, part in enumerate(parts):
        name = f"shard-{i}"
        (directory / name).mkdir()
        count = len(part.passages)
        write(directory / name, part, vectors[first : first + count], list(sentences[first : first + count]), aliases)
        names.append(name)
        offsets.append(first)
        first += count
    share_bm25_totals([directory / name for name in names])
    manifest = ShardsManifest(
        format_version=SHARDS_FORMAT, model=embedder.name, dimension=embedder.dimension,
        passages=len(prepared.passages), documents=len(prepared.documents),
        corpus_checksum=corpus_checksum(p.text for p in prepared.passages),
        built_at=datetime.now(UTC).isoformat(timespec="seconds"), shards=names, offsets=offsets, backend=embedder.backend,
        family=vector_family(embedder.backend),
    )
    (directory / SHARDS).write_text(manifest.to_json(), encoding="utf-8")
    return manifest


def share_bm25_totals(folders: Sequence[Path]) -> None:
    """Write the collection's row and token totals into every shard's FTS5 table, and re-sum its checksum."""
    stores = [PassageStore.open(folder / STORE, readonly=False) for folder in folders]
    try:
        each = [LexicalIndex(store).totals() for store in stores]
        totals = [sum(values) for values in zip(*each, strict=True)]
        for store in stores:
            LexicalIndex(store).set_totals(totals)
            store.commit()
    finally:
        for store in stores:
            store.close()
    for folder in folders:
        path = folder / MANIFEST
        manifest = json.loads(path.read_text(encoding="utf-8"))
        manifest["files"][STORE] = sha256_of(folder / STORE)
        path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def index_type_for(passages: int, shards: int, chosen: vector_index.IndexType | None) -> vector_index.IndexType:
    """The vector index of each shard: the one asked for, else the one its own size calls for."""
    return chosen or vector_index.IndexType.for_size(max(1, passages // max(shards, 1)))

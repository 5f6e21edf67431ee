"""The manifest of an index folder (model, dimension, counts, checksums, format version), and reading it with
checks that speak in sentences.

Layout of an index folder:
    manifest.json        model, dimension, counts, corpus checksum, file checksums, format version
    vectors.faiss        row i = passage row i of the store
    store.sqlite         documents, passages, duplicate locations, and the FTS5 lexical index
    aliases.json         acronym definitions mined from the corpus
    sentences.npy        one unit vector per passage sentence (float16), for highlighting
    sentence_rows.npy    passage row -> first sentence vector (int64, length passages + 1)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from corpus.model import normalise
from index.aliases import AliasTable
from index.embed import vector_family

# 2: the lexical index holds the document title, and the dense vectors read it.
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
STORE = "store.sqlite"
SENTENCES = "sentences.npy"
SENTENCE_ROWS = "sentence_rows.npy"
CHECKED_FILES = (VECTORS, STORE, AliasTable.FILENAME, SENTENCES, SENTENCE_ROWS)


class IndexFolderError(Exception):
    """An index that cannot be used; the message names the problem and the command that fixes it."""


def fix_hint(index_dir: Path) -> str:
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
    # How the model ran (index/embed.py BACKENDS); absent in manifests written before there was a choice: torch.
    backend: str = "torch"
    # Which vectors that backend gave (index/embed.py vector_family); "" in manifests written before it was kept.
    family: str = ""

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
        optional = {"backend": data.get("backend", "torch"), "family": data.get("family", "")}
        for name, value in optional.items():
            if not isinstance(value, str):
                raise ValueError(f"the field '{name}' is not a string")
        return cls(**{name: data[name] for name in _FIELD_TYPES}, **optional)


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


def write_manifest(
    directory: Path, model: str, dimension: int, passages: int, documents: int, texts: Iterable[str], index_type: str,
    backend: str = "torch",
) -> Manifest:
    """The manifest of the finished build in `directory`, with the checksums of its files, written beside them."""
    manifest = Manifest(
        format_version=FORMAT_VERSION, model=model, dimension=dimension, passages=passages, documents=documents,
        corpus_checksum=corpus_checksum(texts), built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        index_type=index_type, files={name: sha256_of(directory / name) for name in CHECKED_FILES}, backend=backend,
        family=vector_family(backend),
    )
    (directory / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    return manifest


def read_manifest(index_dir: Path, folder: Path | None = None) -> Manifest:
    """The manifest of the index at `index_dir`, read from `folder` (its resolved build) when given."""
    path = (folder or index_dir) / MANIFEST
    if not index_dir.exists():
        raise IndexFolderError(f"there is no index at {index_dir}; build one with 'cited build --index {index_dir}'")
    if not path.is_file():
        raise IndexFolderError(f"the index at {index_dir} has no {MANIFEST}; {fix_hint(index_dir)}")
    try:
        manifest = Manifest.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexFolderError(f"the manifest of the index at {index_dir} is not valid ({exc}); {fix_hint(index_dir)}") from exc
    if manifest.format_version != FORMAT_VERSION:
        raise IndexFolderError(
            f"the index at {index_dir} has format version {manifest.format_version}, this cited reads "
            f"{FORMAT_VERSION}; {fix_hint(index_dir)}"
        )
    return manifest

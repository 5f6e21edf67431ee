"""`cited sync`: make an index match files on disk. New files are added, files whose bytes changed (by SHA-256)
are indexed again, files gone from under the given folders are removed; a file whose bytes are unchanged is not
even read, so a second sync does nothing, quickly."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from corpus.clean import CleaningRules
from corpus.loaders import LoadError, Skipped, discover, display_source, file_sha256, load_file
from corpus.pipeline import DEFAULT_RULES, clean_documents
from corpus.store import PassageStore, StoreError
from index.build import build_index
from index.changes import ChangeResult, UnknownDocument, apply_changes
from index.embed import DEFAULT_BACKEND, MODEL_NAME, Embedder, embedder_for
from index.load import load_index
from index.manifest import STORE, IndexFolderError, fix_hint, read_manifest


@dataclass
class SyncResult:
    change: ChangeResult
    unchanged_files: int = 0
    skipped: list[Skipped] = field(default_factory=list)

    def lines(self) -> list[str]:
        """One line per kind of change, then the files skipped with the reason."""
        c = self.change
        added = sum(c.passages.get(d.doc_id, 0) for d in c.added)
        replaced = sum(c.passages.get(d.doc_id, 0) for d in c.replaced.values())
        out = [
            f"added      {len(c.added)} documents ({added} passages)",
            f"replaced   {len(c.replaced)} documents ({replaced} passages)",
            f"removed    {len(c.removed)} documents",
            f"unchanged  {self.unchanged_files} files",
        ]
        return out + [f"skipped    {s.source}: {s.reason}" for s in self.skipped]


def file_of(source: str) -> str:
    """The file a stored document came from: its source, less the `#id` of a record in a BEIR corpus.jsonl."""
    head, _, tail = source.rpartition("#")
    return head if head.endswith(".jsonl") and tail else source


def _first_build(paths: Sequence[Path], index_dir: Path, embedder: Embedder, rules: CleaningRules) -> SyncResult:
    """A sync into a folder that holds no index yet is its first build: every document is added."""
    built = build_index(paths, index_dir, embedder, rules=rules, progress=False)
    loaded = load_index(index_dir, verify_checksums=False)
    try:
        added = list(loaded.store.documents())
        counts = loaded.store.passage_counts([d.doc_id for d in added])
    finally:
        loaded.close()
    return SyncResult(ChangeResult(added=added, passages=counts, manifest=built.manifest), skipped=built.report.skipped)


def display_sources(files: Sequence[Path]) -> dict[Path, str]:
    """`display_source` of every file, resolving each folder once rather than each file (a sync of 5,000 files
    spent half a second in resolve()); a file that is itself a link is resolved on its own."""
    cwd = Path.cwd().resolve()
    folders: dict[Path, Path] = {}
    out: dict[Path, str] = {}
    for path in files:
        if path.is_symlink():
            out[path] = display_source(path)
            continue
        folder = folders.get(path.parent)
        if folder is None:
            folder = folders[path.parent] = path.parent.resolve()
        resolved = folder / path.name
        out[path] = resolved.relative_to(cwd).as_posix() if resolved.is_relative_to(cwd) else resolved.as_posix()
    return out


def under(source: str, roots: Sequence[str]) -> bool:
    """Whether a document's file lies in one of the folders (or is one of the files) being synced."""
    return any(source == root or source.startswith(root.rstrip("/") + "/") for root in roots)


def sync_paths(
    paths: Iterable[str | Path], index_dir: Path, embedder: Embedder | None = None, *, rules: CleaningRules = DEFAULT_RULES,
    model: str = MODEL_NAME, backend: str = DEFAULT_BACKEND,
) -> SyncResult:
    """Make the documents from files under `paths` in the index at `index_dir` match those files (with no index
    there yet, build one with `model` run by `backend`)."""
    folders = [Path(p) for p in paths]
    missing = [p for p in folders if not p.exists()]
    if missing:
        raise IndexFolderError(f"there is no file or folder {missing[0]}; nothing was changed")
    roots = [display_source(p) for p in folders]
    if not index_dir.exists() and not index_dir.is_symlink():
        return _first_build(folders, index_dir, embedder or embedder_for(model, backend, near=index_dir), rules)
    read_manifest(index_dir)  # an outdated or damaged index is refused in its own sentence
    # Only the store is read to plan: the vectors are loaded once, by the change itself.
    try:
        store = PassageStore.open(index_dir.resolve() / STORE)
    except StoreError as exc:
        raise IndexFolderError(f"{exc}; {fix_hint(index_dir)}") from exc
    try:
        stored: dict[str, list[tuple[str, str, str | None]]] = {}
        for source, (doc_id, digest) in store.by_source().items():
            stored.setdefault(file_of(source), []).append((source, doc_id, digest))
    finally:
        store.close()
    files, skipped = discover(folders)
    result = SyncResult(ChangeResult(), skipped=skipped)
    raw, remove, seen = [], [], set()
    shown = display_sources(files)
    for path in files:
        source = shown[path]
        seen.add(source)
        try:
            digest = file_sha256(path)
            old = stored.get(source, [])
            if old and all(d == digest for _, _, d in old):
                result.unchanged_files += 1
                continue
            loaded = list(load_file(path))
        except LoadError as exc:
            result.skipped.append(Skipped(source, str(exc)))  # a file that cannot be read now keeps its old version
            continue
        if not loaded:
            result.skipped.append(Skipped(source, "it holds no text"))
        raw.extend(loaded)
        # Documents of the file read again replace those of the same source; the others it held are gone.
        sources = {r.source for r in loaded}
        remove += [doc_id for old_source, doc_id, _ in old if old_source not in sources]
    remove += [doc_id for file, docs in stored.items() if file not in seen and under(file, roots) for _, doc_id, _ in docs]
    documents = clean_documents(raw, rules)
    result.change = apply_changes(index_dir, documents, sorted(set(remove)), embedder)
    return result


def documents_named(store: PassageStore, targets: Iterable[str]) -> list[str]:
    """The ids of the documents that `targets` name: a document id, or a file or folder documents came from.
    A target that names none raises UnknownDocument, so nothing is removed by a typo."""
    by_source = store.by_source()
    found: list[str] = []
    for target in targets:
        if store.document(target) is not None:
            found.append(target)
            continue
        root = display_source(Path(target))
        named = [doc_id for source, (doc_id, _) in by_source.items() if under(file_of(source), [root, target])]
        if not named:
            raise UnknownDocument(f"no document has the id or comes from the file or folder {target}")
        found += named
    return list(dict.fromkeys(found))

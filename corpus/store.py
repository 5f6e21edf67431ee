"""The SQLite passage store: documents, passages (row i = vector i), duplicate locations. The lexical index
(index/lexical.py) keeps its FTS5 table in the same file."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from corpus.model import Document, Location, Passage

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT NOT NULL, text TEXT NOT NULL,
    pages TEXT NOT NULL DEFAULT '[]', external_id TEXT, sha256 TEXT, added_at TEXT
);
CREATE INDEX documents_by_source ON documents(source);
CREATE TABLE passages (
    row INTEGER PRIMARY KEY, passage_id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL, context TEXT, page INTEGER
);
CREATE TABLE duplicates (
    passage_id TEXT NOT NULL REFERENCES passages(passage_id), doc_id TEXT NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL
);
CREATE INDEX duplicates_by_passage ON duplicates(passage_id);
CREATE INDEX passages_by_context ON passages(doc_id, context);
"""

# The columns a Passage is made of (`passage_from_row`), from passages p joined with documents d.
PASSAGE_COLUMNS = 'p.row, p.passage_id, p.doc_id, p.text, p.start, p."end", p.context, d.title, d.source, p.page'
_PASSAGE_SELECT = f"SELECT {PASSAGE_COLUMNS} FROM passages p JOIN documents d ON d.doc_id = p.doc_id"


# Columns added to `documents` after the first stores were written: a store without them is read with NULLs and
# given them when it is next written (index/changes.py copies it first).
_HISTORY_COLUMNS = {"sha256": "TEXT", "added_at": "TEXT"}


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """A line of the document list: what a document is, how many passages it has, when it came and its hash."""

    doc_id: str
    title: str
    source: str
    passages: int
    added_at: str | None
    sha256: str | None


def passage_from_row(row: tuple[object, ...], also_at: tuple[Location, ...]) -> Passage:
    """A passage from the values of PASSAGE_COLUMNS, with the other places its text stands."""
    _, pid, doc_id, text, start, end, context, title, source, page = row
    return Passage(
        passage_id=str(pid), doc_id=str(doc_id), text=str(text), start=int(start),  # type: ignore[call-overload]
        end=int(end), context=context, title=str(title), source=str(source),  # type: ignore[call-overload,arg-type]
        page=page, also_at=also_at,  # type: ignore[arg-type]
    )


class StoreError(Exception):
    """The store is missing, unreadable or of another schema; the message names the problem."""


class PassageStore:
    """Documents and passages of one index. Open with `create` (a new file) or `open` (existing)."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        present = {row[1] for row in connection.execute("PRAGMA table_info(documents)")}
        self._history = all(name in present for name in _HISTORY_COLUMNS)

    @classmethod
    def create(cls, path: Path) -> PassageStore:
        if path.exists():
            path.unlink()
        db = sqlite3.connect(path, check_same_thread=False)
        db.executescript(_SCHEMA)
        db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        db.commit()
        return cls(db, path)

    @classmethod
    def open(cls, path: Path, *, readonly: bool = True) -> PassageStore:
        if not path.is_file():
            raise StoreError(f"the passage store {path} is missing")
        # Percent-encoded: a '#', '?' or '%' in a folder name would otherwise end or change the URI.
        uri = f"file:{quote(str(path.absolute()))}?mode={'ro' if readonly else 'rw'}"
        try:
            db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"the passage store {path} is unreadable ({exc})") from exc
        if row is None or int(row[0]) != SCHEMA_VERSION:
            found = row[0] if row else "none"
            raise StoreError(f"the passage store {path} has schema version {found}, expected {SCHEMA_VERSION}")
        return cls(db, path)

    def copy_to(self, path: Path) -> None:
        """A consistent copy of the whole store (SQLite online backup), for building on top of it."""
        target = sqlite3.connect(path)
        try:
            self._db.backup(target)
        finally:
            target.close()

    @property
    def connection(self) -> sqlite3.Connection:
        """The store's connection, shared with the lexical index that lives in the same file."""
        return self._db

    def close(self) -> None:
        self._db.close()

    # -- writing -------------------------------------------------------------------------------

    def add_documents(self, documents: Iterable[Document], added_at: str | None = None) -> None:
        """Store documents (one already stored is left as it is), added at `added_at` (default: now, ISO 8601 UTC)."""
        self._ensure_history()
        added_at = added_at or datetime.now(UTC).isoformat(timespec="seconds")
        self._db.executemany(
            "INSERT OR IGNORE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ((d.doc_id, d.title, d.source, d.text, json.dumps(d.pages), d.external_id, d.sha256, added_at) for d in documents),
        )

    def _ensure_history(self) -> None:
        """Give a store written before documents had a hash and a date the columns for them."""
        if self._history:
            return
        present = {row[1] for row in self._db.execute("PRAGMA table_info(documents)")}
        for name, kind in _HISTORY_COLUMNS.items():
            if name not in present:
                self._db.execute(f"ALTER TABLE documents ADD COLUMN {name} {kind}")
        self._db.execute("CREATE INDEX IF NOT EXISTS documents_by_source ON documents(source)")
        self._history = True

    def add_passages(self, passages: Sequence[Passage], first: int | None = None) -> None:
        """Store passages at rows `first`, `first` + 1, … in the order given (default: after the last row)."""
        first = self.next_row() if first is None else first
        self._db.executemany(
            'INSERT INTO passages (row, passage_id, doc_id, start, "end", text, context, page) VALUES (?,?,?,?,?,?,?,?)',
            (
                (first + i, p.passage_id, p.doc_id, p.start, p.end, p.text, p.context, p.page)
                for i, p in enumerate(passages)
            ),
        )
        self.add_duplicates((p.passage_id, loc) for p in passages for loc in p.also_at)

    def add_duplicates(self, locations: Iterable[tuple[str, Location]]) -> None:
        self._db.executemany(
            'INSERT INTO duplicates (passage_id, doc_id, start, "end") VALUES (?, ?, ?, ?)',
            ((pid, loc.doc_id, loc.start, loc.end) for pid, loc in locations),
        )

    def remove_documents(self, doc_ids: Sequence[str]) -> None:
        """Delete documents with their passages and every location recorded in them or of their passages. The vector
        and lexical indexes still hold the passages' rows until they are told: read them first (`rows_of`), since the
        lexical index needs them while the passages are still stored."""
        ids = json.dumps(list(doc_ids))
        self._db.execute(
            "DELETE FROM duplicates WHERE doc_id IN (SELECT value FROM json_each(?1)) OR passage_id IN "
            "(SELECT passage_id FROM passages WHERE doc_id IN (SELECT value FROM json_each(?1)))",
            (ids,),
        )
        self._db.execute("DELETE FROM passages WHERE doc_id IN (SELECT value FROM json_each(?))", (ids,))
        self._db.execute("DELETE FROM documents WHERE doc_id IN (SELECT value FROM json_each(?))", (ids,))

    def set_row_count(self, rows: int) -> None:
        """Record how many rows the vector index holds, removed passages' rows included (see `row_count`)."""
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('rows', ?)", (str(rows),))

    def commit(self) -> None:
        self._db.commit()

    # -- reading -------------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM passages").fetchone()[0])

    def document_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM documents").fetchone()[0])

    def _passage(self, row: tuple[object, ...], also: tuple[Location, ...] | None = None) -> Passage:
        """A passage from a row of _PASSAGE_SELECT; `also` its other locations, looked up when not given."""
        return passage_from_row(row, self.locations(str(row[1])) if also is None else also)

    def locations(self, passage_id: str) -> tuple[Location, ...]:
        rows = self._db.execute(
            'SELECT doc_id, start, "end" FROM duplicates WHERE passage_id = ? ORDER BY rowid', (passage_id,)
        ).fetchall()
        return tuple(Location(d, s, e) for d, s, e in rows)

    def list_items(self) -> dict[int, list[int]]:
        """For each row that introduces a list (its text ends with ':'), the rows of the bullets under it, in
        document order: the bullets whose context is the lead-in's text."""
        leads = self._db.execute("SELECT row, doc_id, text FROM passages WHERE rtrim(text) LIKE '%:'").fetchall()
        items: dict[int, list[int]] = {}
        for row, doc_id, text in leads:
            found = self._db.execute(
                "SELECT row FROM passages WHERE doc_id = ? AND context = ? AND row != ? ORDER BY start",
                (doc_id, " ".join(text.split()), row),
            ).fetchall()
            if found:
                items[int(row)] = [int(r) for (r,) in found]
        return items

    def passage(self, passage_id: str) -> Passage | None:
        row = self._db.execute(f"{_PASSAGE_SELECT} WHERE p.passage_id = ?", (passage_id,)).fetchone()
        return self._passage(row) if row else None

    def passages(self, with_locations: bool = True) -> Iterator[Passage]:
        for row in self._db.execute(f"{_PASSAGE_SELECT} ORDER BY p.row"):
            yield self._passage(row, None if with_locations else ())

    def row_count(self) -> int:
        """Rows of the vector index: one per passage, and those of removed passages until compaction drops them."""
        recorded = self.meta("rows")
        return int(recorded) if recorded is not None else self.count()

    def next_row(self) -> int:
        return self.row_count()

    def rows_fit(self, total: int) -> bool:
        """Every passage's row is one of the vector index's `total` rows (row numbers are unique by the schema)."""
        low, high, n = self._db.execute("SELECT min(row), max(row), count(*) FROM passages").fetchone()
        return n == 0 or (low >= 0 and high < total)

    def dependants(self, doc_ids: Sequence[str]) -> set[str]:
        """Other documents with a location in a passage of `doc_ids`: the text they share is stored only there."""
        found = self._db.execute(
            "SELECT DISTINCT u.doc_id FROM duplicates u JOIN passages p ON p.passage_id = u.passage_id "
            "WHERE p.doc_id IN (SELECT value FROM json_each(?1)) AND u.doc_id NOT IN (SELECT value FROM json_each(?1))",
            (json.dumps(list(doc_ids)),),
        )
        return {d for (d,) in found}

    def rows_of(self, doc_ids: Sequence[str]) -> list[int]:
        found = self._db.execute("SELECT row FROM passages WHERE doc_id IN (SELECT value FROM json_each(?))", (json.dumps(list(doc_ids)),))
        return [int(r) for (r,) in found]

    def stored_ids(self, passage_ids: Sequence[str]) -> set[str]:
        """Those of `passage_ids` that are stored (an indexed lookup each, whatever the size of the store)."""
        found = self._db.execute(
            "SELECT passage_id FROM passages WHERE passage_id IN (SELECT value FROM json_each(?))", (json.dumps(list(passage_ids)),)
        )
        return {pid for (pid,) in found}

    def history(self, doc_ids: Sequence[str]) -> dict[str, str | None]:
        """doc_id -> when it was added, for documents that are indexed again and keep their place in the list."""
        if not self._history:
            return {}
        found = self._db.execute("SELECT doc_id, added_at FROM documents WHERE doc_id IN (SELECT value FROM json_each(?))", (json.dumps(list(doc_ids)),))
        return dict(found)

    def passage_counts(self, doc_ids: Sequence[str]) -> dict[str, int]:
        found = self._db.execute(
            "SELECT d.value, (SELECT count(*) FROM passages p WHERE p.doc_id = d.value) FROM json_each(?) d", (json.dumps(list(doc_ids)),)
        )
        return {doc_id: int(n) for doc_id, n in found}

    def renumber_rows(self) -> list[int]:
        """Renumber the passages 0..N-1 in row order, closing the gaps removed passages left; returns the old rows
        in the new order. Two steps (through negative numbers) so that no new row meets an old one on the way."""
        old = [int(r) for (r,) in self._db.execute("SELECT row FROM passages ORDER BY row")]
        self._db.execute("UPDATE passages SET row = -row - 1")
        self._db.executemany("UPDATE passages SET row = ? WHERE row = ?", ((new, -r - 1) for new, r in enumerate(old)))
        return old

    def vacuum(self) -> None:
        """Give the space of deleted rows back (after a commit)."""
        self._db.execute("VACUUM")

    def document_list(self, offset: int = 0, limit: int = 50, within: Sequence[str] | None = None) -> list[DocumentInfo]:
        """Documents newest first (latest added, then latest stored), with their passage counts; only those of
        `within` when given (the documents a filter lets through)."""
        history = "d.added_at, d.sha256" if self._history else "NULL, NULL"
        order = "d.added_at DESC, d.rowid DESC" if self._history else "d.rowid DESC"
        rows = self._db.execute(
            f"SELECT d.doc_id, d.title, d.source, (SELECT count(*) FROM passages p WHERE p.doc_id = d.doc_id), {history} "
            "FROM documents d WHERE ?3 IS NULL OR d.doc_id IN (SELECT value FROM json_each(?3)) "
            f"ORDER BY {order} LIMIT ?1 OFFSET ?2",
            (limit, offset, None if within is None else json.dumps(list(within))),
        )
        return [DocumentInfo(*row) for row in rows]

    def by_source(self) -> dict[str, tuple[str, str | None]]:
        """source -> (doc_id, sha256) of every stored document."""
        sha = "sha256" if self._history else "NULL"
        return {source: (doc_id, digest) for doc_id, source, digest in self._db.execute(f"SELECT doc_id, source, {sha} FROM documents")}

    def document(self, doc_id: str) -> Document | None:
        sha = "sha256" if self._history else "NULL"
        row = self._db.execute(
            f"SELECT doc_id, title, source, text, pages, external_id, {sha} FROM documents WHERE doc_id = ?", (doc_id,)
        ).fetchone()
        if row is None:
            return None
        pages = tuple(tuple(p) for p in json.loads(row[4]))
        return Document(row[0], row[1], row[2], row[3], pages, row[5], row[6])  # type: ignore[arg-type]

    def external_ids(self) -> dict[str, str]:
        """doc_id -> the id the source gave (BEIR `_id`), for documents that had one."""
        rows = self._db.execute("SELECT doc_id, external_id FROM documents WHERE external_id IS NOT NULL")
        return {d: e for d, e in rows}

    def documents(self) -> Iterator[Document]:
        for (doc_id,) in self._db.execute("SELECT doc_id FROM documents ORDER BY rowid").fetchall():
            doc = self.document(doc_id)
            if doc is not None:
                yield doc

    def texts(self) -> list[str]:
        """Passage texts in row order (for deduplicating an incremental add against them)."""
        return [t for (t,) in self._db.execute("SELECT text FROM passages ORDER BY row")]

"""Restricting a search to some documents: by `source` glob (matched as `fnmatch` does, so `*` also crosses `/`)
and by `doc_id`. A filter is a value: two of them intersect into one that lets through only what both do, which
is how access control narrows what a client asks for without ever widening it."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import translate
from functools import cached_property, lru_cache

import numpy as np

from index.vectors import Selector


class FilterUnsupported(ValueError):
    """An engine that cannot apply a filter (a split index); the message says so in a sentence."""


@lru_cache(maxsize=1024)
def _pattern(glob: str) -> re.Pattern[str]:
    # fnmatch.fnmatchcase, compiled once per glob: case-sensitive on every platform, as sources are paths or URLs.
    return re.compile(translate(glob))


@dataclass(frozen=True)
class Filter:
    """Documents a search may return. `sources` is a conjunction of alternatives: a document passes when, for every
    group, its source matches one glob of the group (a request's globs form one group; intersecting adds groups).
    `doc_ids` None lets any id through; a set lets through only those ids. The open filter lets everything through."""

    sources: tuple[tuple[str, ...], ...] = ()
    doc_ids: frozenset[str] | None = None

    @classmethod
    def of(cls, sources: Iterable[str] | None = None, doc_ids: Iterable[str] | None = None) -> Filter:
        """The filter of one request: any of `sources` (None: any source) and any of `doc_ids` (None: any id).
        An empty list matches nothing; it never means "no restriction"."""
        return cls(() if sources is None else (tuple(dict.fromkeys(sources)),), None if doc_ids is None else frozenset(doc_ids))

    @property
    def is_open(self) -> bool:
        return not self.sources and self.doc_ids is None

    def intersect(self, other: Filter | None) -> Filter:
        """What both filters let through."""
        if other is None:
            return self
        if self.doc_ids is None or other.doc_ids is None:
            ids = self.doc_ids if other.doc_ids is None else other.doc_ids
        else:
            ids = self.doc_ids & other.doc_ids
        return Filter(tuple(dict.fromkeys((*self.sources, *other.sources))), ids)

    def matches(self, doc_id: str, source: str) -> bool:
        if self.doc_ids is not None and doc_id not in self.doc_ids:
            return False
        return all(any(_pattern(glob).match(source) for glob in group) for group in self.sources)


OPEN = Filter()


@dataclass(frozen=True, eq=False)
class Allowed:
    """What a filter lets through in one loaded index: the documents' ids and their passage rows (sorted)."""

    doc_ids: tuple[str, ...]
    rows: np.ndarray

    @property
    def empty(self) -> bool:
        return not len(self.rows)

    @cached_property
    def documents(self) -> frozenset[str]:
        return frozenset(self.doc_ids)

    @cached_property
    def selector(self) -> Selector:
        """The rows as FAISS checks them during a search; built on first use, kept with the cached filter."""
        return Selector(self.rows)


class DocumentRows:
    """Each document's source and passage rows, read once when an engine opens, so that a filter becomes rows
    (for the dense side) and document ids (for the lexical statement) without a query to the store."""

    def __init__(self, connection: sqlite3.Connection, cache_size: int = 256) -> None:
        self.sources: dict[str, str] = dict(connection.execute("SELECT doc_id, source FROM documents ORDER BY rowid"))
        rows: dict[str, list[int]] = {doc_id: [] for doc_id in self.sources}
        for doc_id, row in connection.execute("SELECT doc_id, row FROM passages ORDER BY row"):
            rows[doc_id].append(int(row))
        self.rows = {doc_id: np.asarray(found, dtype=np.int64) for doc_id, found in rows.items()}
        every = [r for r in self.rows.values() if len(r)]
        self.all_rows = np.sort(np.concatenate(every)) if every else np.zeros(0, dtype=np.int64)
        # The rows whose text also stands in a document (corpus/dedup.py kept it once, under another document): a
        # filter letting that document through lets them through too, to be shown at their place in it.
        copies: dict[str, list[int]] = {}
        for doc_id, row in connection.execute(
            "SELECT u.doc_id, p.row FROM duplicates u JOIN passages p ON p.passage_id = u.passage_id ORDER BY p.row"
        ):
            copies.setdefault(doc_id, []).append(int(row))
        self.copies = {doc_id: np.asarray(found, dtype=np.int64) for doc_id, found in copies.items()}
        # Per engine, not per process: the rows belong to the index this engine opened.
        self.allowed = lru_cache(maxsize=cache_size)(self._allowed)

    def _allowed(self, where: Filter) -> Allowed:
        ids = tuple(d for d, source in self.sources.items() if where.matches(d, source))
        found = [self.rows[d] for d in ids] + [self.copies[d] for d in ids if d in self.copies]
        rows = np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
        return Allowed(ids, rows)

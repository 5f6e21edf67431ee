"""The lexical index: SQLite FTS5 (Porter-stemmed BM25) over the passages, kept in the store's own file so that
one statement can rank by BM25 and read the candidate passages together."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from corpus.model import Location, Passage
from corpus.store import PASSAGE_COLUMNS, PassageStore, passage_from_row
from index.config import EngineConfig

# Contentless: the FTS table keeps only its term index; the words are read back from the passages table.
_SCHEMA = """
CREATE VIRTUAL TABLE passages_fts USING fts5(
    text, context, title, content='',
    tokenize='porter unicode61 remove_diacritics 2'
);
"""
# The values `LexicalIndex.add` indexes for a passage, read back from the store: a contentless table deletes a
# row only when given exactly these, and compaction re-indexes with them.
_INDEXED = (
    "p.row, p.text, coalesce(p.context, ''), CASE WHEN p.context IS NOT NULL AND d.title = p.context THEN '' "
    "ELSE d.title END FROM passages p JOIN documents d ON d.doc_id = p.doc_id"
)

# How far apart (in characters) two passages of one document may stand and still be read as neighbours: the
# space between two sentences of one paragraph. index/windows.py decides which of them are; this only bounds
# what is read.
NEIGHBOUR_GAP = 1

# One statement per query: the best BM25 rows, the dense candidates passed in, and the list items under any of
# them (the temporary table `list_items`, filled when the index is opened), each with its passage and the other
# places its text stands; and, flagged, the rows just before and after a candidate that touch it in the same
# document (rows are in document order within a document), where its answering sentence may continue.
_GATHER_TEMPLATE = f"""
WITH {{phrases}}matched(row, score) AS MATERIALIZED (
    {{matched}}
),
lexical(row, score) AS (SELECT row, score FROM matched ORDER BY score DESC, row LIMIT ?2),
asked(row) AS (SELECT value FROM json_each(?3)),
asked_scored(row, score) AS (SELECT m.row, m.score FROM asked a JOIN matched m ON m.row = a.row),
wanted(row) AS (SELECT row FROM lexical UNION SELECT row FROM asked),
chosen(row) AS (SELECT row FROM wanted UNION SELECT item FROM temp.list_items WHERE lead IN (SELECT row FROM wanted)),
near(row, of) AS (SELECT row - 1, row FROM wanted UNION ALL SELECT row + 1, row FROM wanted),
beside(row) AS (
    SELECT n.row FROM near JOIN passages n ON n.row = near.row JOIN passages c ON c.row = near.of
    WHERE n.doc_id = c.doc_id AND n.start <= c."end" + {NEIGHBOUR_GAP} AND c.start <= n."end" + {NEIGHBOUR_GAP}
    EXCEPT SELECT row FROM chosen
),
read(row, beside) AS (SELECT row, 0 FROM chosen UNION ALL SELECT row, 1 FROM beside)
SELECT {PASSAGE_COLUMNS}, lexical.score, asked_scored.score, read.beside,
    (SELECT json_group_array(json_array(u.doc_id, u.start, u."end"))
     FROM (SELECT doc_id, start, "end" FROM duplicates WHERE passage_id = p.passage_id ORDER BY rowid) u)
FROM read JOIN passages p ON p.row = read.row JOIN documents d ON d.doc_id = p.doc_id
LEFT JOIN lexical ON lexical.row = p.row LEFT JOIN asked_scored ON asked_scored.row = p.row
"""
# {bm25}: the bm25() expression of the index's column weights, filled in when a LexicalIndex is made.
_MATCHED = "SELECT rowid, -{bm25} FROM passages_fts WHERE passages_fts MATCH ?1"
# A filter's documents (?4, a JSON list, or NULL for all): BM25 ranks only their passages, before its cut; a passage
# whose text also stands in one of them (deduplicated into another document) is one of their passages too.
_WITHIN = (
    " AND (?4 IS NULL OR rowid IN (SELECT row FROM passages WHERE doc_id IN (SELECT value FROM json_each(?4))"
    " UNION SELECT p.row FROM duplicates u JOIN passages p ON p.passage_id = u.passage_id"
    " WHERE u.doc_id IN (SELECT value FROM json_each(?4))))"
)
_GATHER = _GATHER_TEMPLATE.replace("{phrases}", "").replace("{matched}", _MATCHED + _WITHIN)
_RANKED = "WITH {phrases}matched(row, score) AS MATERIALIZED ({matched}) SELECT row, score FROM matched ORDER BY score DESC, row LIMIT ?2"

_DEFAULT_WEIGHTS = EngineConfig().bm25_weights

# FTS5 keeps the collection's row count and token totals (from which bm25() takes N and avgdl) in this record of
# its data table, as SQLite varints.
_AVERAGES_ROWID = 1


def bm25_expression(weights: Sequence[float]) -> str:
    """FTS5's bm25() over the table's columns (text, context, title) with these weights, each checked to be a finite
    number >= 0 and written into the SQL as a float, never as the text it was given."""
    if len(weights) != 3:
        raise ValueError(f"BM25 takes three column weights (text, context, title), not {len(weights)}")
    try:
        checked = [float(w) for w in weights]
    except (TypeError, ValueError):
        checked = [math.nan]
    if not all(math.isfinite(w) and w >= 0 for w in checked):
        raise ValueError(f"BM25 column weights are numbers of 0 or more, not {', '.join(map(str, weights))}")
    return f"bm25(passages_fts, {', '.join(repr(w) for w in checked)})"


def _by_phrase(template: str, phrases: int, bm25: str) -> str:
    """`template` with BM25 (the `bm25` expression) as a sum over the query's phrases, each phrase's bm25() scaled
    by a factor bound beside it (?4 and ?5, ?6 and ?7, ...); each phrase is its own materialised match, where bm25()
    may run.

    bm25() of an OR query is the sum of its phrases' own bm25() (each term is idf x a saturated frequency), and
    only the idf depends on the other rows of the table: scaling each phrase's score by global idf / local idf
    gives the score the whole collection would give, when the table's averages record holds the collection's."""
    each = "".join(
        f"phrase{i}(row, score) AS MATERIALIZED (SELECT rowid, -{bm25} * ?{5 + 2 * i} FROM passages_fts "
        f"WHERE passages_fts MATCH ?{4 + 2 * i}),\n"
        for i in range(phrases)
    )
    union = " UNION ALL ".join(f"SELECT row, score FROM phrase{i}" for i in range(phrases))
    return template.replace("{phrases}", each).replace("{matched}", f"SELECT row, sum(score) FROM ({union}) GROUP BY row")


@dataclass(frozen=True)
class Weighting:
    """How to score a query's phrases over the whole collection: each phrase with the factor that turns this
    table's idf into the collection's (see `_matched_by_phrase`)."""

    phrases: tuple[str, ...]
    factors: tuple[float, ...]

    def parameters(self) -> list[object]:
        return [value for pair in zip(self.phrases, self.factors, strict=True) for value in pair]


def bm25_idf(rows: int, hits: int) -> float:
    """FTS5's idf of a phrase that `hits` of `rows` rows match (fts5_aux.c: never below 1e-6)."""
    idf = math.log((rows - hits + 0.5) / (hits + 0.5))
    return idf if idf > 0 else 1e-6


def _varints(data: bytes) -> list[int]:
    """SQLite's big-endian varints (7 bits a byte, the ninth byte whole), as FTS5 writes its averages record."""
    out: list[int] = []
    at = 0
    while at < len(data):
        value = 0
        for i in range(9):
            byte = data[at]
            at += 1
            if i == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        out.append(value)
    return out


def _varint(value: int) -> bytes:
    if value >= 1 << 56:
        raise ValueError("FTS5 averages beyond 2**56 are not written here")
    groups = [value & 0x7F]
    value >>= 7
    while value:
        groups.append((value & 0x7F) | 0x80)
        value >>= 7
    return bytes(reversed(groups))


@dataclass(frozen=True, slots=True)
class Hit:
    row: int
    score: float


@dataclass(frozen=True)
class Gathered:
    """What one statement read: the lexical ranking (best first), the BM25 score of every candidate that matches
    at all (ranked or asked for), the passages of every candidate row, and those of the rows touching a candidate
    in its document (`beside`, not candidates themselves)."""

    lexical: list[Hit]
    scores: dict[int, float]
    passages: dict[int, Passage]
    beside: dict[int, Passage] = field(default_factory=dict)


class LexicalIndex:
    """BM25 over the passages of one store, through the store's connection, with the column weights `weights`
    (text, context, title; EngineConfig.bm25_weights)."""

    def __init__(self, store: PassageStore, weights: Sequence[float] = _DEFAULT_WEIGHTS) -> None:
        self._db = store.connection
        self._bm25 = bm25_expression(weights)
        self._gather = _GATHER.replace("{bm25}", self._bm25)
        self._gather_no_lexical = self._gather.replace("WHERE passages_fts MATCH ?1", "WHERE ?1 IS NULL AND 0")

    @classmethod
    def create(cls, store: PassageStore) -> LexicalIndex:
        store.connection.executescript(_SCHEMA)
        return cls(store)

    def add(self, first_row: int, passages: Sequence[Passage]) -> None:
        """Index passages stored from row `first_row` on, in order."""
        self._db.executemany(
            "INSERT INTO passages_fts (rowid, text, context, title) VALUES (?, ?, ?, ?)",
            ((first_row + i, p.text, p.context or "", p.title if p.title != p.context else "") for i, p in enumerate(passages)),
        )

    def remove(self, rows: Sequence[int]) -> None:
        """Forget the terms of the passages at `rows`, while they are still stored: a contentless FTS5 table deletes
        a row only when given the values it indexed, which are read back here as `add` wrote them."""
        self._db.execute(
            f"INSERT INTO passages_fts (passages_fts, rowid, text, context, title) SELECT 'delete', {_INDEXED} "
            "WHERE p.row IN (SELECT value FROM json_each(?))",
            (json.dumps([int(r) for r in rows]),),
        )

    def rebuild(self) -> None:
        """Index every stored passage afresh (after compaction renumbered the rows)."""
        self._db.execute("INSERT INTO passages_fts (passages_fts) VALUES ('delete-all')")
        self._db.execute(f"INSERT INTO passages_fts (rowid, text, context, title) SELECT {_INDEXED} ORDER BY p.row")

    def check(self) -> None:
        """Raises sqlite3.DatabaseError when the FTS table is missing or damaged."""
        self._db.execute("SELECT count(*) FROM passages_fts WHERE passages_fts MATCH 'x'").fetchone()

    def term_frequencies(self) -> dict[str, int]:
        """Stemmed term -> number of passages whose text or context holds it, from the FTS5 index itself (the
        title column is left out: every passage of a document shares it). A term in both counts in both."""
        passages = self._passages()  # once, not once per term: start-up reads the whole vocabulary
        return {term: min(n, passages) for term, n in self.term_counts().items()}

    def term_counts(self) -> dict[str, int]:
        """`term_frequencies` before capping at the passage count: shards' counts add up to the collection's."""
        self._db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.passages_vocab USING fts5vocab(main, passages_fts, 'col')")
        counts = self._db.execute("SELECT term, sum(doc) FROM temp.passages_vocab WHERE col IN ('text', 'context') GROUP BY term")
        return {term: int(n) for term, n in counts}

    def _passages(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM passages").fetchone()[0])

    # -- collection-wide BM25, for an index split into shards --------------------------------------

    def totals(self) -> list[int]:
        """The table's row count and token total per column, as bm25() reads them (N and avgdl)."""
        row = self._db.execute("SELECT block FROM passages_fts_data WHERE id = ?", (_AVERAGES_ROWID,)).fetchone()
        return _varints(bytes(row[0])) if row else []

    def set_totals(self, totals: Sequence[int]) -> None:
        """Make bm25() read the collection's N and avgdl (a shard's own rows give its frequencies only)."""
        block = b"".join(_varint(int(v)) for v in totals)
        self._db.execute("UPDATE passages_fts_data SET block = ? WHERE id = ?", (block, _AVERAGES_ROWID))

    def hits(self, phrases: Sequence[str]) -> list[int]:
        """How many rows match each phrase: a phrase's document frequency, from which bm25() takes its idf."""
        count = "SELECT count(*) FROM passages_fts WHERE passages_fts MATCH ?"
        return [int(self._db.execute(count, (p,)).fetchone()[0]) for p in phrases]

    def ranked(self, weighting: Weighting, depth: int) -> list[Hit]:
        """The `depth` best rows under collection-wide BM25."""
        if not weighting.phrases:
            return []
        sql = _by_phrase(_RANKED, len(weighting.phrases), self._bm25)
        read = self._db.execute(sql, [None, depth, None, *weighting.parameters()]).fetchall()
        return [Hit(int(r), float(s)) for r, s in read]

    def prepare_list_items(self, list_items: Mapping[int, Sequence[int]]) -> None:
        """Load lead-in -> bullet rows into this connection's temporary table, which `gather` follows."""
        self._db.execute("CREATE TEMP TABLE IF NOT EXISTS list_items (lead INTEGER NOT NULL, item INTEGER NOT NULL)")
        self._db.execute("DELETE FROM temp.list_items")
        self._db.executemany(
            "INSERT INTO temp.list_items VALUES (?, ?)", ((lead, item) for lead, items in list_items.items() for item in items)
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS temp.list_items_by_lead ON list_items(lead)")

    def gather(
        self, expression: str | None, depth: int, also: Iterable[int], doc_ids: Sequence[str] | None = None
    ) -> Gathered:
        """In one statement: the `depth` best rows matching `expression` (none when it is None) among the passages
        of `doc_ids` (None: of every document; a passage whose text also stands in one of them counts), the BM25
        scores of the rows `also` that match it, the passages of all those rows and of the list items under any of
        them; and the passages just before and after those rows that touch them in their document."""
        sql = self._gather if expression is not None else self._gather_no_lexical
        within = None if doc_ids is None else json.dumps(list(doc_ids))
        read = self._db.execute(sql, (expression, depth, json.dumps([int(r) for r in also]), within)).fetchall()
        return self._gathered(read)

    def gather_weighted(self, weighting: Weighting | None, depth: int, also: Iterable[int]) -> Gathered:
        """`gather` with collection-wide BM25 (None: no lexical ranking), for one shard of a split index."""
        if weighting is None or not weighting.phrases:
            return self.gather(None, depth, also)
        sql = _by_phrase(_GATHER_TEMPLATE, len(weighting.phrases), self._bm25)
        parameters = [None, depth, json.dumps([int(r) for r in also]), *weighting.parameters()]
        return self._gathered(self._db.execute(sql, parameters).fetchall())

    @staticmethod
    def _gathered(read: list[Any]) -> Gathered:
        passages: dict[int, Passage] = {}
        beside: dict[int, Passage] = {}
        lexical: list[Hit] = []
        scores: dict[int, float] = {}
        for record in read:
            *columns, ranked, asked, is_beside, located = record
            row = int(columns[0])
            also_at = () if located == "[]" else tuple(Location(str(d), int(s), int(e)) for d, s, e in json.loads(located))
            (beside if is_beside else passages)[row] = passage_from_row(tuple(columns), also_at)
            if ranked is not None:
                lexical.append(Hit(row, float(ranked)))
            if ranked is not None or asked is not None:
                scores[row] = float(ranked if ranked is not None else asked)
        # BM25 order; equal scores in row order, as FTS5 returns them.
        lexical.sort(key=lambda h: (-h.score, h.row))
        return Gathered(lexical, scores, passages, beside)

"""What a filter lets a caller see of a passage: the passage where it stands in a document the filter lets through.

Deduplication (corpus/dedup.py) keeps a text once, under the first document holding it, and lists the other places
as `also_at`. Behind a filter, such a passage is shown at a place the filter lets through: the same text seen in a
visible document is found through that document (its id, offsets, title and source, its own wording), and a
document the filter keeps out is never named, neither as the passage's document nor among its `also_at` places.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from corpus.model import Document, Location, Passage
from index.filters import Allowed
from index.retrieval import Candidates

DocumentOf = Callable[[str], Document | None]


def visible_passage(passage: Passage, allowed: Allowed | None, document_of: DocumentOf) -> Passage | None:
    """`passage` as `allowed` lets it be seen (None: not at all); unchanged without a filter."""
    if allowed is None:
        return passage
    places = [loc for loc in passage.also_at if loc.doc_id in allowed.documents]
    if passage.doc_id in allowed.documents:
        return passage if len(places) == len(passage.also_at) else dataclasses.replace(passage, also_at=tuple(places))
    for place in places:
        document = document_of(place.doc_id)
        if document is not None:
            return _moved(passage, place, document, tuple(p for p in places if p is not place))
    return None


def _moved(passage: Passage, place: Location, document: Document, others: tuple[Location, ...]) -> Passage:
    """The passage at `place` in `document`: that document's own text there, and no context, since the heading
    that situates the kept copy belongs to the document kept out."""
    return dataclasses.replace(
        passage, doc_id=document.doc_id, text=document.text[place.start : place.end], start=place.start,
        end=place.end, context=None, title=document.title, source=document.source,
        page=document.page_at(place.start), also_at=others,
    )


def visible_candidates(candidates: Candidates, allowed: Allowed | None, document_of: DocumentOf) -> Candidates:
    """The candidates as `allowed` lets them be seen, before highlighting reads them: passages moved to a visible
    place, and anything read beside them (a neighbour, a list item) from a document kept out dropped."""
    if allowed is None:
        return candidates
    nearby = {}
    changed = False
    for row, passage in candidates.nearby.items():
        seen = visible_passage(passage, allowed, document_of)
        changed = changed or seen is not passage
        if seen is not None:
            nearby[row] = seen
    if not changed:
        return candidates
    kept = [i for i, hit in enumerate(candidates.hits) if hit.row in nearby]
    return Candidates([candidates.hits[i] for i in kept], candidates.vectors[kept], candidates.agreement, nearby)

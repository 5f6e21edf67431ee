"""Neighbouring passages of one document: the pieces of a long paragraph (split at sentences, one sentence of
overlap) and paragraphs that touch. They never take two result slots, and a result's answering sentence may lie
just past its end, in the neighbour."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from corpus.model import Passage
from index.evidence import Highlight, highlight, passage_terms, sentence_scores
from index.lexical import NEIGHBOUR_GAP, Hit
from index.lists import is_lead_in
from index.pointers import can_answer
from index.query import Query

if TYPE_CHECKING:
    from index.retrieval import Candidates


def overlapping(a: Passage, b: Passage) -> bool:
    """Two pieces of one paragraph that share text: a long paragraph is split at sentences with one of overlap."""
    return a.doc_id == b.doc_id and a.start < b.end and b.start < a.end and (a.start, a.end) != (b.start, b.end)


def adjacent(a: Passage, b: Passage) -> bool:
    """Two passages of one document, under the same heading or lead-in, that overlap or touch (at most
    NEIGHBOUR_GAP characters apart: the space between two sentences, or the line break between two one-line
    paragraphs)."""
    if a.doc_id != b.doc_id or a.context != b.context or (a.start, a.end) == (b.start, b.end):
        return False
    return a.start <= b.end + NEIGHBOUR_GAP and b.start <= a.end + NEIGHBOUR_GAP


def one_slot_each(hits: Sequence[Hit], passages: Mapping[int, Passage], exempt: Collection[int] = ()) -> list[Hit]:
    """The hits, best first, without any whose passage overlaps a better-ranked kept one: the later of two pieces
    of one paragraph repeats a sentence of the first, and its own sentences stay reachable as the first one's
    neighbour (`answering_place`). Rows in `exempt` (the bullets of a lifted list, which are the answer) always
    stay. Touching paragraphs both stay: a paragraph per line is common, and each says its own thing."""
    kept: dict[str, list[Passage]] = {}
    out: list[Hit] = []
    for hit in hits:
        passage = passages[hit.row]
        same_document = kept.setdefault(passage.doc_id, [])
        if hit.row not in exempt and any(overlapping(passage, other) for other in same_document):
            continue
        same_document.append(passage)
        out.append(hit)
    return out


def lifted_items(hits: Sequence[Hit], items: Mapping[int, Sequence[int]], k: int) -> set[int]:
    """The bullet rows under the lead-ins among the first k hits: the lists `lift_list_items` lifts."""
    return {item for h in hits[:k] if h.row in items for item in items[h.row]}


def neighbour_rows(row: int, nearby: Mapping[int, Passage]) -> list[int]:
    """The rows just before and after `row` whose passages neighbour its own (among those read)."""
    own = nearby.get(row)
    if own is None:
        return []
    return [r for r in (row - 1, row + 1) if r in nearby and adjacent(own, nearby[r])]


def answering_place(
    query: Query,
    row: int,
    nearby: Mapping[int, Passage],
    sentence_vectors: Callable[[int], np.ndarray],
    dense_weight: float,
    taken: Iterable[int] = (),
) -> tuple[int, Highlight | None]:
    """Where a result's answer stands: its own row, or a neighbour (not in `taken`) whose best sentence answers
    better than any of its own, e.g. the sentence just past a split. Returns the row and its highlight."""
    best_row = row
    best = highlight(query, nearby[row], sentence_vectors(row), dense_weight)
    blocked = set(taken)
    beside = [r for r in neighbour_rows(row, nearby) if r not in blocked]
    for other in beside:
        marked = highlight(query, nearby[other], sentence_vectors(other), dense_weight)
        if marked is not None and (best is None or _better(marked, best)):
            best_row, best = other, marked
    if best is None:
        return best_row, None
    extended = continued(nearby[best_row], best)
    if extended is best and best.end == len(nearby[best_row].text):
        # The sentence closes its passage: the piece after it, which repeats it, may hold its continuation.
        for other in (r for r in beside if r > best_row):
            start = nearby[other].text.find(best.text)
            if start >= 0:
                there = continued(nearby[other], replace(best, start=start, end=start + len(best.text)))
                if there.end > start + len(best.text):
                    return other, there
    return best_row, extended


# Openings by which a sentence refers back to the one before it and carries on its statement.
_REFERS_BACK = re.compile(
    r"^\W*(?:this|these|that|those|such|it|its|they|their|them|as a result|as such|consequently|therefore|thus|"
    r"hence|in turn|accordingly|to this end|for this reason|in doing so|by doing so)\b",
    re.IGNORECASE,
)


def refers_back(sentence: str) -> bool:
    """The sentence opens by pointing back to the one before ("This effort will …", "As a result, …")."""
    return _REFERS_BACK.search(sentence) is not None


def continued(passage: Passage, marked: Highlight) -> Highlight:
    """The highlight with the sentence after it when that one refers back to it and can answer: "This effort
    will be carried out through 2025." completes the sentence it follows, and an answer without it stops short."""
    text = passage.text
    spans = passage_terms(text, passage.context).spans
    following = next((s for s in spans if s[0] >= marked.end), None)
    if following is None or text[marked.end : following[0]].strip():
        return marked
    sentence = text[following[0] : following[1]]
    if not refers_back(sentence) or not can_answer(sentence):
        return marked
    return replace(marked, end=following[1], text=text[marked.start : following[1]])  # its score and cosine stay


def _better(a: Highlight, b: Highlight) -> bool:
    """A sentence that can answer beats one that cannot; then the score, strictly: the sentence two pieces share
    stays cited where it was ranked."""
    if can_answer(a.text) != can_answer(b.text):
        return can_answer(a.text)
    return a.score > b.score + 1e-9


def answer_places(
    query: Query, found: Candidates, sentence_vectors: Callable[[int], np.ndarray], dense_weight: float
) -> list[tuple[int, Highlight | None]]:
    """For each kept hit, the row it cites and its highlight: its own, or a neighbour's that answers better and is
    neither another hit nor already cited by a better one. For a list question a lead-in stays: it is there for the
    items it introduces."""
    taken = {h.row for h in found.hits}
    places: list[tuple[int, Highlight | None]] = []
    for hit in found.hits:
        stays = query.is_list and is_lead_in(found.nearby[hit.row])
        row, marked = answering_place(
            query, hit.row, {hit.row: found.nearby[hit.row]} if stays else found.nearby, sentence_vectors, dense_weight, taken
        )
        taken.add(row)
        places.append((row, marked))
    return places


# How many sentences may lie between a highlight and a sentence that answers with it: a story often states its answer
# a sentence later ("During the 1989 Christmas holidays … I decided to give it a try. During the next year … In
# February 1991 … I decided to post to USENET."). What lies between is quoted too: a quote is one span of the text.
GAP = 1


def window(
    query: Query, passage: Passage, marked: Highlight, sentence_vectors: np.ndarray, dense_weight: float, margin: float
) -> Highlight:
    """The highlight widened by the sentences near it that answer with it: the one before when the highlight
    refers back to it ("This fostered …" needs what "this" is), and the best of the other sentences at most `GAP`
    sentences before or after it that scores within `margin` of the highlight (an answer often takes two sentences
    to state), with the sentences between."""
    spans = passage_terms(passage.text, passage.context).spans
    inside = [i for i, (a, b) in enumerate(spans) if a >= marked.start and b <= marked.end]
    if not inside:
        return marked
    scores = sentence_scores(query, passage, sentence_vectors, dense_weight)
    before, after = inside[0] - 1, inside[-1] + 1
    added: set[int] = set()
    if before in scores and refers_back(marked.text):
        added.add(before)
    reach = range(before - GAP, after + GAP + 1)
    close = [i for i in reach if i in scores and i not in inside and i not in added and scores[i].score >= marked.score - margin]
    if close:
        added.add(max(close, key=lambda i: scores[i].score))
    if not added:
        return marked
    start = min(marked.start, *(spans[i][0] for i in added))
    end = max(marked.end, *(spans[i][1] for i in added))
    return Highlight(start, end, passage.text[start:end], marked.score, marked.cosine)

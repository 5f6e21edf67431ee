"""Lists: a lead-in (a passage ending with ':') and the bullets under it, whose context is the lead-in's text. A
list question is answered by the lead-in and its items, each cited, so the lead-in keeps a result slot."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from corpus.model import Passage
from index.lexical import Hit


def is_lead_in(passage: Passage) -> bool:
    return passage.text.rstrip().endswith(":")


def introduces(lead: Passage, item: Passage) -> bool:
    """`item` is a bullet under the lead-in `lead` (the relation `PassageStore.list_items` stores by row)."""
    return (
        item.doc_id == lead.doc_id and item.passage_id != lead.passage_id and is_lead_in(lead)
        and item.context == " ".join(lead.text.split())
    )


def keep_lead_ins(order: Sequence[int], ranked: Sequence[Hit], items: Mapping[int, Sequence[int]], k: int) -> list[int]:
    """For a list question, positions in `ranked` of the k results: when the bullets lifted under a lead-in fill the
    slots and push the lead-in out, it takes the place of the last of them (with the same score, so scores still
    fall with rank), and the answer can quote it before them. Returns the new positions."""
    out = list(order)
    if len(out) < k:
        return out
    chosen = {ranked[i].row for i in out}
    for position, hit in enumerate(ranked):
        if hit.row not in items or hit.row in chosen:
            continue
        bullets = set(items[hit.row])
        # Lifted bullets inherit their lead-in's score; a bullet ranked on its own does not call its lead-in back.
        present = [j for j, i in enumerate(out) if ranked[i].row in bullets and math.isclose(ranked[i].score, hit.score)]
        if len(present) >= 2:
            out[present[-1]] = position
            chosen.add(hit.row)
    return out

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
    """For a list question, positions in `ranked` of the k results, so that a list among them keeps its lead-in and
    the answer can quote it before the items. When the bullets lifted under a lead-in push it out, it takes the place
    of the last of them (with the same score); when two or more bullets ranked on their own and their lead-in is a
    lower candidate, it takes the last slot. Either way scores still fall with rank. Returns the new positions."""
    out = list(order)
    if len(out) < k:
        return out
    chosen = {ranked[i].row for i in out}
    for position, hit in enumerate(ranked):
        if hit.row not in items or hit.row in chosen:
            continue
        bullets = set(items[hit.row])
        present = [j for j, i in enumerate(out) if ranked[i].row in bullets]
        if len(present) < 2:
            continue
        lifted = [j for j in present if math.isclose(ranked[out[j]].score, hit.score)]  # lifted bullets share its score
        if len(lifted) >= 2:
            out[lifted[-1]] = position
        else:
            others = [j for j in range(len(out)) if j not in present]
            if not others or position < max(out):
                continue
            del out[others[-1]]
            out.append(position)
        chosen = {ranked[i].row for i in out}
    return out

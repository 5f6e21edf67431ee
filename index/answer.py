"""Answers: the verbatim highlighted sentences of the results that answer, each marked with its citation, or
the abstention message when none does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from index.config import EngineConfig
from index.evidence import Highlight, Result, SearchOutcome, passage_terms
from index.lists import introduces, is_lead_in
from index.pointers import Kind, can_answer, kind

ABSTAIN_MESSAGE = "The documents do not contain an answer to this question. The closest passages are listed below."


@dataclass(frozen=True)
class Citation:
    n: int
    result: Result


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    outcome: SearchOutcome


def compose_answer(outcome: SearchOutcome, config: EngineConfig) -> Answer:
    """Verbatim highlighted sentences of the best results, each marked [n]; markers number citations 1..N. A list
    (a lead-in and its bullets among the results) answers a list question, and any answer whose sentence is the
    lead-in that introduces it; a bare link, a pointer elsewhere or a heading is never an answer sentence."""
    query, results = outcome.query, outcome.results
    question = query.standalone
    if not outcome.answerable or not results:
        citations = [Citation(i, r) for i, r in enumerate(results, 1)]
        return Answer(question, ABSTAIN_MESSAGE, True, citations, outcome)
    chosen = list_answer(outcome) or sentence_answer(outcome, config)
    if not chosen:
        marked = [r for r in results if r.highlight is not None]
        chosen = ([r for r in marked if can_answer(r.highlight.text)] or marked)[:1]  # type: ignore[union-attr]
    quoted = {r.rank for r in chosen}
    order = chosen + [r for r in results if r.rank not in quoted]
    citations = [Citation(i, r) for i, r in enumerate(order, 1)]
    answer = " ".join(f"{c.result.highlight.text} [{c.n}]" for c in citations[: len(chosen)])  # type: ignore[union-attr]
    return Answer(question, answer, False, citations, outcome)


def sentence_answer(outcome: SearchOutcome, config: EngineConfig) -> list[Result]:
    """The supporting results whose highlighted sentences answer, best first, one per distinct sentence, the first
    `answer_windows` of them quoted with the sentences beside them that answer too (`quoting`). A quote closing
    with ':' introduces what follows it, which is not quoted: it is left out too."""
    limit = len(outcome.results) if outcome.query.is_list else config.max_answer_sentences
    chosen: list[Result] = []
    seen: list[str] = []
    for r in outcome.supporting:
        if r.highlight is None or len(chosen) >= limit:
            continue
        quoted = quoting(r) if len(chosen) < config.answer_windows else r
        marked = quoted.highlight
        if marked is None or any(r.highlight.text in text for text in seen):  # quoted already, maybe in a window
            continue
        if quotable(r, marked):
            chosen.append(quoted)
            seen.append(marked.text)
    return chosen


def list_answer(outcome: SearchOutcome) -> list[Result]:
    """A lead-in and its bullets among the results, in document order: for a list question, the first list that a
    supporting result belongs to; otherwise only when the first sentence an answer would quote is a lead-in's
    closing ':' (results whose sentence is not quoted, a pointer or a ':' that introduces no bullet here, are passed
    over: "This idiom is called Decorate-Sort-Undecorate after its three steps:" answers with its steps)."""
    query, results = outcome.query, outcome.results
    for r in outcome.supporting:
        lead = r if is_lead_in(r.passage) else next((x for x in results if introduces(x.passage, r.passage)), None)
        items = _items(lead, results) if lead is not None else []
        if lead is not None and items and (query.is_list or (r is lead and _closes_with_colon(lead.highlight))):
            return [lead, *items]
        if not query.is_list and quotable(r):
            return []
    return []


def _items(lead: Result, results: Sequence[Result]) -> list[Result]:
    """The bullets `lead` introduces among `results`, in document order, each quoted by its opening sentence; none
    when the lead-in itself is a link or a pointer."""
    if lead.highlight is None or kind(lead.highlight.text) in (Kind.LINK, Kind.POINTER):
        return []
    items = sorted(
        (x for x in results if introduces(lead.passage, x.passage) and x.highlight is not None
         and kind(x.highlight.text) not in (Kind.LINK, Kind.POINTER)),
        key=lambda x: (x.passage.start, x.rank),
    )
    return [opening(x) for x in items]


def quotable(r: Result, quoted: Highlight | None = None) -> bool:
    """Whether an answer of sentences quotes `r`: its highlight can answer, and what is quoted (`quoted`, its
    window, else the highlight) does not close with the ':' of something that is not quoted with it."""
    return r.highlight is not None and can_answer(r.highlight.text) and not _closes_with_colon(quoted or r.highlight)


def _closes_with_colon(marked: Highlight | None) -> bool:
    return marked is not None and marked.text.rstrip().endswith(":")


def opening(item: Result) -> Result:
    """A list item quoted by its first sentence, which names the item (the rest of a bullet tells about it)."""
    spans = passage_terms(item.passage.text, item.passage.context).spans
    if not spans or item.highlight is None or (item.highlight.start, item.highlight.end) == spans[0]:
        return item
    start, end = spans[0]
    return replace(item, highlight=Highlight(start, end, item.passage.text[start:end], item.highlight.score))


def quoting(result: Result) -> Result:
    """The result as an answer quotes it: its highlight widened to the sentences that answer with it."""
    return result if result.window is None else replace(result, highlight=result.window)

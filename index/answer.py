"""Answers: the verbatim highlighted sentences of the results that answer, each marked with its citation, or
the abstention message when none does."""

from __future__ import annotations

from dataclasses import dataclass

from index.config import EngineConfig
from index.evidence import Result, SearchOutcome

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
    """Verbatim highlighted sentences of the best results, each marked [n]; markers number citations 1..N."""
    query, results = outcome.query, outcome.results
    question = query.standalone
    if not outcome.answerable or not results:
        citations = [Citation(i, r) for i, r in enumerate(results, 1)]
        return Answer(question, ABSTAIN_MESSAGE, True, citations, outcome)
    limit = len(results) if query.is_list else config.max_answer_sentences
    chosen: list[Result] = []
    seen: set[str] = set()
    for r in outcome.supporting:
        if r.highlight is not None and r.highlight.text not in seen and len(chosen) < limit:
            chosen.append(r)
            seen.add(r.highlight.text)
    if not chosen:
        chosen = [r for r in results if r.highlight is not None][:1]
    order = chosen + [r for r in results if r not in chosen]
    citations = [Citation(i, r) for i, r in enumerate(order, 1)]
    answer = " ".join(f"{c.result.highlight.text} [{c.n}]" for c in citations[: len(chosen)])  # type: ignore[union-attr]
    return Answer(question, answer, False, citations, outcome)
